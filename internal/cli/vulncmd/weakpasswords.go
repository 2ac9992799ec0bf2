package vulncmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) weakPasswordsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "weak-passwords",
		Aliases: []string{"weak-password", "weakpass"},
		Short:   "Weak passwords and unauthenticated services found on the hosts, and the word lists checked",
	}
	wl := &cobra.Command{
		Use:   "wordlist",
		Short: "Upload or delete a word list the agents' weak password checks use",
	}
	wl.AddCommand(a.putWordlistCmd(), a.deleteWordlistCmd())
	cmd.AddCommand(a.weakListCmd(), a.wordlistsCmd(), clikit.Group(wl))
	return clikit.Group(cmd)
}

func (a *app) weakListCmd() *cobra.Command {
	var (
		f     apiclient.WeakPasswordFilter
		limit int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List weak credentials and open services; passwords never leave the hosts",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			items, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[apiclient.WeakPassword], error) {
				f.Page = p
				return c.WeakPasswords(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(items)
			}
			t := clikit.NewTable(a.Env.Stdout, "HOST", "TARGET", "TYPE", "SEVERITY", "ACCOUNT", "WHERE", "REASON")
			for _, w := range items {
				d := readDetail(w.Fields)
				account := d.account()
				if account == "" && w.Target == "account" {
					account = w.Name
				}
				t.Row(host(w.Hostname, w.AgentID), w.Target, w.Type, w.Severity, clikit.Truncate(account, 32),
					clikit.Truncate(d.where(), 48), clikit.Truncate(w.Reason, 70))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.AgentID, "agent", "", "only findings on this agent ID")
	fs.StringVar(&f.Target, "target", "", "only this target: account, redis, mysql, postgresql, ssh, tomcat, memcached, mongodb, elasticsearch")
	fs.StringVar(&f.Type, "type", "", "only this weakness: dictionary, empty, uid0, no_auth, trust ...")
	fs.StringVar(&f.Severity, "severity", "", "only this severity: critical, high, medium or low")
	fs.StringVarP(&f.Q, "query", "q", "", "only items whose key or name contains this text")
	fs.IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

// detail is the fields of a weak-password item, as the agent sent them.
type detail map[string]any

// readDetail reads an item's fields; fields that are not a JSON object
// give an empty detail.
func readDetail(fields json.RawMessage) detail {
	var d detail
	if len(fields) == 0 || json.Unmarshal(fields, &d) != nil {
		return nil
	}
	return d
}

// get returns the value at a path of nested objects, nil when absent.
func (d detail) get(path ...string) any {
	var v any = map[string]any(d)
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// account is the account whose credential is weak: a service's user
// (Tomcat's, MySQL's) or a host account.
func (d detail) account() string {
	for _, path := range [][]string{{"vigil", "weak_password", "account"}, {"user", "name"}} {
		if s, ok := d.get(path...).(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// where says where a weak credential is: the address a service listens
// on, the file that holds it, or the addresses the agent found.
func (d detail) where() string {
	if addr, ok := d.get("server", "address").(string); ok && addr != "" {
		if port := d.get("server", "port"); port != nil {
			if strings.Contains(addr, ":") {
				addr = "[" + addr + "]"
			}
			return fmt.Sprintf("%s:%v", addr, port)
		}
		return addr
	}
	if path, ok := d.get("file", "path").(string); ok && path != "" {
		return path
	}
	if listen, ok := d.get("vigil", "weak_password", "listen").([]any); ok {
		parts := make([]string, 0, len(listen))
		for _, l := range listen {
			parts = append(parts, fmt.Sprint(l))
		}
		return strings.Join(parts, ",")
	}
	return ""
}

func (a *app) wordlistsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "wordlists",
		Short: "List the uploaded word lists (without their words)",
		Args:  clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			lists, err := c.Wordlists(cmd.Context())
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(lists)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "NAME", "WORDS", "SHA256", "AUTHOR", "UPDATED")
			for _, l := range lists {
				t.Row(l.Name, strconv.Itoa(l.Count), clikit.Truncate(l.SHA256, 16), l.Author, clikit.Ago(now, l.UpdatedAt))
			}
			return t.Flush()
		},
	}
}

func (a *app) putWordlistCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "put NAME FILE",
		Short: "Create or replace a word list from a text file, one word per line (- reads stdin)",
		Long: `Create or replace the word list NAME with the words of FILE, one per line
(FILE - reads them from stdin). Blank lines and lines starting with "#" are
skipped, duplicates dropped. Words are at most 128 bytes, a list at most
256 KiB, and all the lists together at most 20,000 words: they travel in
every agent's policy, and the agents' weak password checks try them next to
the built-in dictionary.`,
		Args: clikit.ExactArgs("NAME", "FILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, file := args[0], args[1]
			text, err := a.readWordlist(file)
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			wl, created, err := c.PutWordlist(cmd.Context(), name, text)
			if err != nil {
				return err
			}
			what := "replaced"
			if created {
				what = "created"
			}
			return a.Done(wl, "word list %s %s: %d words", clikit.Clean(wl.Name), what, wl.Count)
		},
	}
}

// readWordlist reads a word list file, or stdin for "-", of at most
// apiclient.MaxWordlistSize bytes.
func (a *app) readWordlist(file string) ([]byte, error) {
	var r io.Reader = a.Env.Stdin
	if file != "-" {
		f, err := os.Open(file)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	text, err := io.ReadAll(io.LimitReader(r, apiclient.MaxWordlistSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(text) > apiclient.MaxWordlistSize {
		return nil, fmt.Errorf("%s: larger than %d bytes, the most the center takes", file, apiclient.MaxWordlistSize)
	}
	if len(strings.TrimSpace(string(text))) == 0 {
		return nil, fmt.Errorf("%s: no words (one word per line)", file)
	}
	return text, nil
}

func (a *app) deleteWordlistCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a word list; the agents stop trying its words",
		Args:  clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			if err := c.DeleteWordlist(cmd.Context(), args[0]); err != nil {
				return err
			}
			return a.Done(map[string]any{"name": args[0], "deleted": true}, "word list %s deleted", clikit.Clean(args[0]))
		},
	}
}
