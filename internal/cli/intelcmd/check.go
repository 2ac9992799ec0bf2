package intelcmd

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/cli/clikit"
)

func (a *app) checkCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check VALUE",
		Short: "Look a value up in the indicators, as the center's matcher does",
		Long: `Look VALUE (an IP address, a domain, a URL or a file hash) up in the
indicators as the center matches events: an address is matched by the
networks that hold it, a domain by its parent domains too. Prints the
value's type, its normalized form and the indicators it matches, or
"no match". The exit status is 0 either way; it is 1 when VALUE is no
indicator value.`,
		Example: `  vigil intel check 203.0.113.9
  vigil intel check 'hxxps://login[.]example[.]net/reset'`,
		Args: clikit.ExactArgs("VALUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			raw, err := c.CheckIndicator(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(raw)
			}
			res := raw.Value
			f := clikit.NewFields(a.Env.Stdout)
			f.Add("Value", res.Value)
			f.Add("Type", string(res.Type))
			f.Add("Normalized", res.Normalized)
			matches := "no match"
			if n := len(res.Matches); n > 0 {
				matches = strconv.Itoa(n)
			}
			f.Add("Matches", matches)
			if err := f.Flush(); err != nil {
				return err
			}
			if len(res.Matches) == 0 {
				return nil
			}
			fmt.Fprintln(a.Env.Stdout)
			return a.indicatorTable(res.Matches, true)
		},
	}
}
