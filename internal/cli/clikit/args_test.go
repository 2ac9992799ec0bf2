package clikit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/store"
)

// limitCmd is a listing command with Limit's flags, parsed from args.
func limitCmd(t *testing.T, args ...string) (*cobra.Command, *Limit) {
	t.Helper()
	var l Limit
	cmd := &cobra.Command{Use: "list"}
	l.AddFlags(cmd.Flags(), "indicator")
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cmd, &l
}

func TestLimit(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
		err  string
	}{
		{nil, store.DefaultLimit, ""},
		{[]string{"--limit", "5"}, 5, ""},
		{[]string{"--limit", "0"}, 0, ""},
		{[]string{"--all"}, 0, ""},
		{[]string{"--limit", "5", "--all"}, 0, ""},
		{[]string{"--limit", "-1"}, 0, "--limit -1: want 0 or more"},
		{[]string{"--limit", "-1", "--all"}, 0, "--limit -1: want 0 or more"},
	} {
		cmd, l := limitCmd(t, tc.args...)
		got, err := l.most(cmd)
		var ue *usageError
		switch {
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("%v: %d, %v; want %d", tc.args, got, err, tc.want)
		case tc.err != "" && (!errors.As(err, &ue) || err.Error() != tc.err || ue.cmd != "list"):
			t.Errorf("%v: %v; want the usage error %q of list", tc.args, err, tc.err)
		}
	}
	cmd, _ := limitCmd(t)
	if f := cmd.Flags().Lookup("all"); f == nil || f.Usage != "list every indicator (as --limit 0)" {
		t.Errorf("--all: %+v", f)
	}
	if f := cmd.Flags().Lookup("limit"); f == nil || f.Usage != "list at most this many (0: all)" {
		t.Errorf("--limit: %+v", f)
	}
}

// TestListLimitedChecksFirst: a bad --limit is reported before the API
// client is built, and neither a bad limit nor a client that cannot be
// built fetches anything.
func TestListLimitedChecksFirst(t *testing.T) {
	fetch := func(context.Context, *apiclient.Client, store.Page) (apiclient.Page[string], error) {
		t.Error("fetched")
		return apiclient.Page[string]{}, nil
	}
	a := NewApp(Env{Getenv: func(string) string { return "" }})
	a.Server = "http://insecure.example"
	cmd, l := limitCmd(t, "--limit", "-2")
	cmd.SetContext(context.Background())
	if _, err := ListLimited(cmd, a, l, fetch); err == nil || err.Error() != "--limit -2: want 0 or more" {
		t.Errorf("bad limit and bad server: %v", err)
	}
	cmd, l = limitCmd(t, "--all")
	cmd.SetContext(context.Background())
	if _, err := ListLimited(cmd, a, l, fetch); err == nil || !strings.Contains(err.Error(), "https://") {
		t.Errorf("bad server: %v", err)
	}
}
