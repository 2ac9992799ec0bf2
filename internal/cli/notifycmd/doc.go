// Package notifycmd is `vigil notify`: the notification channels of the
// center. It lists them with their delivery counters, shows one, creates
// or replaces one from a YAML or JSON file (the channel as in the
// center's notification file, with the field and line of every problem
// the center finds), deletes one and sends a test message through one.
// Write-only fields (URLs, secrets, header values, passwords) are never
// shown; a file that leaves them out keeps the stored values.
package notifycmd

import (
	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// app gives the commands of this package the shared App, whose API
// client has a method for each notification route.
type app struct {
	*clikit.App
}

// Command returns `vigil notify` with its subcommands.
func Command(a *clikit.App) *cobra.Command {
	x := &app{App: a}
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Notifications: the channels alerts are sent to",
		Long: `The channels the center sends new alerts to (webhooks, syslog, e-mail,
DingTalk, WeCom, Feishu): those of its notification file, read-only here,
and those managed through the API, which change while the center runs.`,
	}
	channels := &cobra.Command{
		Use:     "channels",
		Aliases: []string{"channel"},
		Short:   "Notification channels: list, show, set, delete, test",
	}
	channels.AddCommand(x.listCmd(), x.showCmd(), x.setCmd(), x.deleteCmd(), x.testCmd())
	cmd.AddCommand(clikit.Group(channels))
	return clikit.Group(cmd)
}
