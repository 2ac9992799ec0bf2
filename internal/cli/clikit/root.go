package clikit

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
)

// NewRoot returns the vigil command without subcommands: the global flags
// --server, --token, --ca and --output bound to a's fields, -o checked
// before any command runs, a's streams as the command's, flag mistakes as
// usage errors, and errors left to the caller (Run reports them). Add the
// commands, then wrap it with Group.
func NewRoot(a *App) *cobra.Command {
	root := &cobra.Command{
		Use:               "vigil",
		SilenceErrors:     true,
		SilenceUsage:      true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return a.CheckOutput() },
	}
	root.SetIn(a.Env.Stdin)
	root.SetOut(a.Env.Stdout)
	root.SetErr(a.Env.Stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return UsageErr(cmd, "%v", err)
	})
	f := root.PersistentFlags()
	f.StringVar(&a.Server, "server", "", fmt.Sprintf("center URL (%s, default %s)", EnvServer, apiclient.DefaultServer))
	f.StringVar(&a.Token, "token", "", fmt.Sprintf("API token (%s)", EnvToken))
	f.StringVar(&a.CA, "ca", "", fmt.Sprintf("CA certificate of the center, PEM (%s; default: system roots)", EnvCA))
	f.StringVarP(&a.Output, "output", "o", "table", "output format: table or json")
	return root
}

// Run executes root (from NewRoot, bound to a) with the command line args
// (without the program name) and returns the exit status: 0 on success,
// 1 on any error, which a.Report writes to stderr.
func Run(ctx context.Context, a *App, root *cobra.Command, args []string) int {
	root.SetArgs(args)
	if err := root.ExecuteContext(ctx); err != nil {
		return a.Report(err)
	}
	return 0
}
