package admincmd

import (
	"bufio"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) usersCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "users",
		Aliases: []string{"user"},
		Short:   "People who sign in to the console and the API",
	}
	cmd.AddCommand(a.usersListCmd(), a.usersCreateCmd(), a.usersUpdateCmd(), a.usersDeleteCmd())
	return clikit.Group(cmd)
}

func (a *app) usersListCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List users",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.API()
			if err != nil {
				return err
			}
			users, err := clikit.ListAll(cmd.Context(), 0, c.Users)
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(users)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "ID", "NAME", "ROLE", "STATUS", "CREATED", "UPDATED")
			for _, u := range users {
				t.Row(u.ID, u.Name, string(u.Role), userStatus(u), clikit.Ago(now, u.CreatedAt), clikit.Ago(now, u.UpdatedAt))
			}
			return t.Flush()
		},
	}
}

func userStatus(u store.User) string {
	if u.Disabled {
		return "disabled"
	}
	return "enabled"
}

// readPassword reads one line from stdin.
func (a *app) readPassword() (string, error) {
	line, err := bufio.NewReader(io.LimitReader(a.Env.Stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from stdin: %w", err)
	}
	pw := strings.TrimRight(line, "\r\n")
	if pw == "" {
		return "", fmt.Errorf("read password from stdin: empty")
	}
	return pw, nil
}

// generatePassword makes a 20-character password of letters and digits.
func generatePassword() string {
	return rand.Text()[:20]
}

func (a *app) usersCreateCmd() *cobra.Command {
	var (
		role    string
		fromIn  bool
		created struct {
			store.User
			Password string `json:"password,omitempty"`
		}
	)
	cmd := &cobra.Command{
		Use:   "create NAME --role ROLE",
		Short: "Create a user; the password comes from stdin or is generated and shown once",
		Example: `  printf '%s\n' "$PASSWORD" | vigil users create alice --role admin --password-stdin
  vigil users create bob --role analyst      # prints a generated password once`,
		Args: clikit.ExactArgs("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return clikit.UsageErr(cmd, "--role is required: viewer, analyst, responder or admin")
			}
			pw := ""
			if fromIn {
				var err error
				if pw, err = a.readPassword(); err != nil {
					return err
				}
			} else {
				pw = generatePassword()
				created.Password = pw
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), apiclient.NewUser{Name: args[0], Password: pw, Role: store.Role(role)})
			if err != nil {
				return err
			}
			created.User = u
			if a.JSON() {
				return a.PrintJSON(created)
			}
			fmt.Fprintf(a.Env.Stdout, "user %s created (id %s, role %s)\n", clikit.Clean(u.Name), clikit.Clean(u.ID), u.Role)
			if created.Password != "" {
				fmt.Fprintf(a.Env.Stdout, "password: %s\n", created.Password)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&role, "role", "", "viewer, analyst, responder or admin")
	cmd.Flags().BoolVar(&fromIn, "password-stdin", false, "read the password from the first line of stdin")
	return cmd
}

// resolveUser finds a user by id, else by name.
func resolveUser(ctx context.Context, c *apiclient.Client, idOrName string) (store.User, error) {
	u, err := c.User(ctx, idOrName)
	if err == nil || !apiclient.IsStatus(err, 404) {
		return u, err
	}
	users, lerr := clikit.ListAll(ctx, 0, c.Users)
	if lerr != nil {
		return u, lerr
	}
	for _, u := range users {
		if u.Name == idOrName {
			return u, nil
		}
	}
	return u, err
}
