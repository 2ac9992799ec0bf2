package admincmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) auditCmd() *cobra.Command {
	var (
		f            store.AuditFilter
		since, until string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit log: every state-changing or refused call, newest first",
		Example: `  vigil audit --since 24h
  vigil audit --action agent. --actor alice`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := a.Env.Now()
			var err error
			if f.Since, err = clikit.ParseTime(now, since); err != nil {
				return clikit.UsageErr(cmd, "--since %v", err)
			}
			if f.Until, err = clikit.ParseTime(now, until); err != nil {
				return clikit.UsageErr(cmd, "--until %v", err)
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			entries, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[store.AuditEntry], error) {
				f.Page = p
				return c.Audit(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(entries)
			}
			t := clikit.NewTable(a.Env.Stdout, "AT", "ACTOR", "ROLE", "ACTION", "TARGET", "RESULT", "SOURCE")
			for _, e := range entries {
				t.Row(clikit.Stamp(e.At), e.Actor, string(e.Role), e.Action, clikit.Truncate(e.Target, 60), e.Result, e.SourceIP)
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&f.Actor, "actor", "", "only entries of this actor (user name, token:NAME, system)")
	cmd.Flags().StringVar(&f.Action, "action", "", "only actions starting with this (agent. matches agent.delete)")
	cmd.Flags().StringVar(&since, "since", "", "only entries at or after this time: a duration before now (24h, 7d) or RFC 3339")
	cmd.Flags().StringVar(&until, "until", "", "only entries before this time")
	cmd.Flags().IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}
