package clikit

import "github.com/spf13/cobra"

// StateCmd returns the command use (such as "ack ID") that moves one
// object, named noun in the help, to a state with move, passing the
// comment given with -m.
func StateCmd(use, short, noun string, move func(cmd *cobra.Command, id, comment string) error) *cobra.Command {
	var comment string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  ExactArgs("ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return move(cmd, args[0], comment)
		},
	}
	cmd.Flags().StringVarP(&comment, "message", "m", "", "comment kept with the "+noun)
	return cmd
}

// ResolveCmd returns `resolve ID`, which closes one object, named noun
// in the help, with move: resolved, or a false positive with
// --false-positive.
func ResolveCmd(noun string, move func(cmd *cobra.Command, id, comment string, falsePositive bool) error) *cobra.Command {
	var falsePositive bool
	cmd := StateCmd("resolve ID", "Resolve an "+noun+", or close it as a false positive", noun,
		func(cmd *cobra.Command, id, comment string) error { return move(cmd, id, comment, falsePositive) })
	cmd.Flags().BoolVar(&falsePositive, "false-positive", false, "close it as a false positive")
	return cmd
}
