package notifycmd

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) listCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the channels with their delivery counters since the center started",
		Long: `List the notification channels: the file's (source file, read-only here)
in file order, then those managed through the API (source api) by name,
with what each delivered, gave up, dropped and has waiting since the
center started, and its last error.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			views, err := api.NotifyChannels(cmd.Context())
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(views)
			}
			t := clikit.NewTable(a.Env.Stdout, "NAME", "TYPE", "SOURCE", "STATE", "SENT", "FAILED", "DROPPED", "QUEUED", "LAST ERROR")
			for _, raw := range views {
				v := raw.Value
				t.Row(v.Name, string(v.Type), string(v.Source), state(v), count(v.Stats.Sent), count(v.Stats.Failed),
					count(v.Stats.Dropped), strconv.Itoa(v.Stats.Queued), clikit.Truncate(lastError(a, v.Stats), 70))
			}
			return t.Flush()
		},
	}
}

// state is running, disabled, or "error" for a stored channel with a
// problem.
func state(v notify.ChannelView) string {
	switch {
	case v.Problem != "":
		return "error"
	case v.Disabled:
		return "disabled"
	case v.Running:
		return "running"
	}
	return "stopped"
}

func count(n uint64) string { return strconv.FormatUint(n, 10) }

// lastError is "2m ago: ERROR", or "".
func lastError(a *app, s notify.DeliveryStats) string {
	if s.LastError == "" {
		return ""
	}
	return clikit.Ago(a.Env.Now(), s.LastErrorAt) + ": " + s.LastError
}

func (a *app) showCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show a channel: its configuration (never a credential) and counters",
		Args:  clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			v, err := api.NotifyChannel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(v)
			}
			return a.show(v.Value)
		},
	}
}

// show prints a channel for people.
func (a *app) show(v notify.ChannelView) error {
	now := a.Env.Now()
	t := clikit.NewTable(a.Env.Stdout)
	t.Row("Name:", v.Name)
	t.Row("Type:", string(v.Type))
	t.Row("Source:", string(v.Source))
	t.Row("State:", state(v))
	if v.Problem != "" {
		t.Row("Problem:", v.Problem)
	}
	if v.Source == notify.SourceAPI {
		t.Row("Revision:", strconv.FormatInt(v.Revision, 10))
		t.Row("Created:", clikit.When(now, v.CreatedAt)+" by "+v.CreatedBy)
		t.Row("Updated:", clikit.When(now, v.UpdatedAt)+" by "+v.UpdatedBy)
	}
	s := v.Stats
	t.Row("Sent:", count(s.Sent))
	t.Row("Failed:", count(s.Failed))
	t.Row("Retried:", count(s.Retried))
	t.Row("Dropped:", count(s.Dropped))
	t.Row("Queued:", strconv.Itoa(s.Queued))
	t.Row("Last sent:", clikit.When(now, s.LastSentAt))
	if s.LastError != "" {
		t.Row("Last error:", clikit.When(now, s.LastErrorAt)+": "+s.LastError)
	}
	if err := t.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(a.Env.Stdout, "\nConfiguration:\n%s\n", clikit.IndentJSON(v.Config, "  "))
	return err
}

func (a *app) setCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "set NAME --file FILE",
		Short: "Create or replace a channel from a YAML or JSON file",
		Long: `Create or replace the notification channel NAME. FILE ("-" for stdin) holds
one channel as in the center's notification file (docs/detection.md), in
YAML or JSON; "name" may be left out. The center checks it with the same
rules as the file and answers every invalid field, shown here with its line.

Write-only fields (a webhook's or robot's url and secret, a webhook's header
values, an e-mail password) are never shown. Left out of FILE, or given as
{set: true}, they keep the stored value; "" or null clears one. So
'show -o json' of a channel, its "config" edited, can be set again. The
channel runs at once, without a restart. Channels of the file cannot be set.`,
		Example: `  vigil notify channels set soc-dingtalk --file soc-dingtalk.yml
  vigil notify channels show ops -o json | jq .config | vigil notify channels set ops --file -`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if file == "" {
				return clikit.UsageErr(cmd, "--file is required")
			}
			f, err := readChannelFile(file, a.Env.Stdin)
			if err != nil {
				return err
			}
			api, err := a.API()
			if err != nil {
				return err
			}
			v, created, err := api.PutNotifyChannel(cmd.Context(), args[0], f.body)
			var refused *apiclient.APIError
			if errors.As(err, &refused) && len(refused.Fields) > 0 {
				for _, p := range refused.Fields {
					fmt.Fprintln(a.Env.Stderr, clikit.Clean(f.where(p.Path)+": "+p.Reason))
				}
				return clikit.Exitf("notification channel %s not saved: %d problems in %s", args[0], len(refused.Fields), f.name)
			}
			if err != nil {
				return err
			}
			what := "replaced"
			if created {
				what = "created"
			}
			return a.Done(v, "notification channel %s %s (revision %d, %s)", v.Value.Name, what, v.Value.Revision, state(v.Value))
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "channel file, YAML or JSON (- for stdin)")
	return cmd
}

func (a *app) deleteCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a channel: it stops at once, its waiting notifications are dropped",
		Long: `Delete a notification channel managed through the API. It stops at once;
the notifications it had waiting are dropped (and counted in the center's
log). Channels of the file cannot be deleted. Asks for confirmation unless
--yes is given.`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			if !yes {
				raw, err := api.NotifyChannel(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				v := raw.Value
				ok, err := a.Confirm(fmt.Sprintf("Delete notification channel %s (%s, %d waiting)?", clikit.Clean(v.Name), v.Type, v.Stats.Queued))
				if err != nil {
					return err
				}
				if !ok {
					return clikit.Exitf("notification channel %s not deleted (confirm with --yes)", args[0])
				}
			}
			if err := api.DeleteNotifyChannel(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"name": args[0], "deleted": true}, "notification channel %s deleted", args[0])
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}

func (a *app) testCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "test NAME",
		Short: "Send a test message through a channel now and say whether it arrived",
		Long: `Send a sample message through the channel now, bypassing its filter and
queue (a running channel still waits for its rate limit), and report the
outcome within 30 seconds. A disabled channel is tested too. The exit
status is 1 when the delivery failed.`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := a.API()
			if err != nil {
				return err
			}
			raw, err := api.TestNotifyChannel(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				if err := a.PrintJSON(raw); err != nil {
					return err
				}
			}
			res := raw.Value
			if !res.OK {
				hint := ""
				if res.Permanent {
					hint = " (retrying will not help: check the configuration)"
				}
				return clikit.Exitf("test message through %s failed after %d ms: %s%s", args[0], res.DurationMS, res.Error, hint)
			}
			if a.JSON() {
				return nil
			}
			_, err = fmt.Fprintf(a.Env.Stdout, "test message sent through %s (%d ms)\n", args[0], res.DurationMS)
			return err
		},
	}
}
