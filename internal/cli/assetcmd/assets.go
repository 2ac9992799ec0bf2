package assetcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) assetsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "assets",
		Aliases: []string{"asset", "inventory"},
		Short:   "The fleet's inventory: search it, its changes, its counts",
	}
	cmd.AddCommand(a.listCmd(), a.changesCmd(), a.summaryCmd())
	return clikit.Group(cmd)
}

func (a *app) listCmd() *cobra.Command {
	var (
		f     apiclient.AssetQuery
		limit int
	)
	cmd := &cobra.Command{
		Use:     "list [SEARCH]",
		Aliases: []string{"ls", "search"},
		Short:   "List inventory items across the fleet",
		Long: `List inventory items across the fleet, by host, kind and key.

SEARCH is a list of terms that must all hold: words or "quoted phrases"
(found in the key, name, version or fields), kind:K, name:N (name:N* for a
prefix), version<V (also <=, >, >=, =, !=; an item's epoch and package
revision are ignored unless V has them), port:P, agent:ID, collector:C.

  vigil assets list 'name:redis version<6'     hosts running redis below 6
  vigil assets list port:3000                  who listens on 3000
  vigil assets list 'kind:library log4j-core version<2.17'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				f.Q = args[0]
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			items, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.Asset], error) {
				f.Page = p
				return c.Assets(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(items)
			}
			t := clikit.NewTable(a.Env.Stdout, "HOST", "KIND", "NAME", "VERSION", "DETAIL")
			for _, it := range items {
				t.Row(host(it.Hostname, it.AgentID), it.Kind, clikit.Truncate(it.Name, 40), clikit.Truncate(it.Version, 32),
					clikit.Truncate(detail(it.Kind, it.Key, it.Fields), 80))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.Kind, "kind", "", "only items of this kind (package, port, user, middleware, library ...)")
	fs.StringVar(&f.AgentID, "agent", "", "only items of this agent ID")
	fs.StringVar(&f.Collector, "collector", "", "only items from this collector (os/packages ...)")
	fs.IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

func (a *app) changesCmd() *cobra.Command {
	var (
		f            store.AssetChangeFilter
		since, until string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "changes",
		Short: "The inventory's changes, newest first (new ports, upgraded packages, new users ...)",
		Args:  clikit.NoArgs,
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
			changes, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.AssetChange], error) {
				f.Page = p
				return c.AssetChanges(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(changes)
			}
			t := clikit.NewTable(a.Env.Stdout, "TIME", "HOST", "CHANGE", "KIND", "ITEM")
			for _, ch := range changes {
				t.Row(clikit.Stamp(ch.At), host(ch.Hostname, ch.AgentID), ch.Action, ch.Kind, clikit.Truncate(changeText(ch.AssetChange), 100))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.AgentID, "agent", "", "only changes of this agent ID")
	fs.StringVar(&f.Kind, "kind", "", "only changes of this kind")
	fs.StringVar(&f.Action, "action", "", "only added, changed or removed")
	fs.StringVarP(&f.Q, "query", "q", "", "only items whose key or name contains this text")
	fs.StringVar(&since, "since", "", "only changes at or after this time: a duration before now (1h, 7d) or RFC 3339")
	fs.StringVar(&until, "until", "", "only changes before this time")
	fs.IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

func (a *app) summaryCmd() *cobra.Command {
	var agentID string
	cmd := &cobra.Command{
		Use:   "summary",
		Short: "Items per kind, for the fleet or one agent (--agent, with its collectors' last check)",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			s, err := c.AssetSummary(cmd.Context(), agentID)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(s)
			}
			t := clikit.NewTable(a.Env.Stdout, "KIND", "ITEMS", "HOSTS")
			for _, k := range s.Kinds {
				t.Row(k.Kind, fmt.Sprint(k.Items), fmt.Sprint(k.Agents))
			}
			if err := t.Flush(); err != nil {
				return err
			}
			if len(s.Sets) == 0 {
				return nil
			}
			fmt.Fprintln(a.Env.Stdout)
			t = clikit.NewTable(a.Env.Stdout, "COLLECTOR", "ITEMS", "CHANGED", "CHECKED")
			for _, set := range s.Sets {
				t.Row(set.Collector, fmt.Sprint(set.Items), clikit.Stamp(set.UpdatedAt), clikit.Stamp(set.CheckedAt))
			}
			return t.Flush()
		},
	}
	cmd.Flags().StringVar(&agentID, "agent", "", "one agent's counts and collector sets")
	return cmd
}

// host names an agent by hostname, or by ID when it has none.
func host(hostname, id string) string {
	if hostname != "" {
		return hostname
	}
	return id
}

// detail is one line about an item: its key where it says more than the
// name, and a few telling fields.
func detail(kind, key string, fields json.RawMessage) string {
	var doc map[string]any
	_ = json.Unmarshal(fields, &doc)
	var parts []string
	add := func(label string, path ...string) {
		var v any = doc
		for _, p := range path {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			v = m[p]
		}
		if v == nil {
			return
		}
		if s := fmt.Sprint(v); s != "" {
			parts = append(parts, label+s)
		}
	}
	switch kind {
	case "port":
		parts = append(parts, key)
		add("", "process", "executable")
		add("user ", "user", "name")
	case "process":
		add("", "process", "command_line")
		add("user ", "user", "name")
	case "package", "library":
		add("", "package", "architecture")
		add("", "package", "path")
	default:
		if key != "" {
			parts = append(parts, key)
		}
	}
	return strings.Join(parts, "  ")
}

// changeText says what changed: "openssl 3.0.11 -> 3.0.13".
func changeText(ch store.AssetChange) string {
	s := ch.Name
	if ch.Name != ch.Key && ch.Kind == "port" {
		s = ch.Key
	}
	switch {
	case ch.Before != "" && ch.After != "" && ch.Before != ch.After:
		return s + " " + ch.Before + " -> " + ch.After
	case ch.After != "":
		return s + " " + ch.After
	case ch.Before != "":
		return s + " " + ch.Before
	}
	return s
}
