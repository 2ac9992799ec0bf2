package intelcmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) sourcesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "sources",
		Short: "List the sources of indicators with their counts",
		Long: `List the sources indicators came from (the names imports and adds gave
them), by name, with how many indicators each holds, expired ones included,
and when one of them last changed.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			list, err := c.IntelSources(cmd.Context())
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(list)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "NAME", "COUNT", "UPDATED")
			for _, raw := range list {
				s := raw.Value
				t.Row(s.Name, strconv.Itoa(s.Count), clikit.Ago(now, s.UpdatedAt))
			}
			return t.Flush()
		},
	}
}

func (a *app) deleteSourceCmd() *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use:   "delete-source NAME",
		Short: "Delete every indicator of a source: they stop matching at once",
		Long: `Delete every indicator of the source NAME, expired ones included; they stop
matching at once. Asks for confirmation unless --yes is given.`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			c, err := a.API()
			if err != nil {
				return err
			}
			if !yes {
				list, err := c.IntelSources(cmd.Context())
				if err != nil {
					return err
				}
				count := -1
				for _, raw := range list {
					if raw.Value.Name == name {
						count = raw.Value.Count
					}
				}
				if count < 0 {
					return clikit.Exitf("intelligence source %s not found (see vigil intel sources)", clikit.Clean(name))
				}
				ok, err := a.Confirm(fmt.Sprintf("Delete the %d indicators of source %s?", count, clikit.Clean(name)))
				if err != nil {
					return err
				}
				if !ok {
					return clikit.Exitf("intelligence source %s not deleted (confirm with --yes)", clikit.Clean(name))
				}
			}
			n, err := c.DeleteIntelSource(cmd.Context(), name)
			if err != nil {
				return err
			}
			return a.Done(map[string]any{"name": name, "removed": n}, "intelligence source %s deleted: %d indicators removed", clikit.Clean(name), n)
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
