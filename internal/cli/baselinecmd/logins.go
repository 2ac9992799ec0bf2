package baselinecmd

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/store"
)

func (a *app) loginsCmd() *cobra.Command {
	var (
		f     store.LoginProfileFilter
		limit clikit.Limit
		wide  bool
	)
	cmd := &cobra.Command{
		Use:     "logins",
		Aliases: []string{"login"},
		Short:   "List the login profiles by host, then user",
		Long: `List the login profiles, by agent id then user: whether each still learns
or already judges logins, how many logins it learned from how many
addresses, and when the first and the last were. --wide shows each profile
in detail: the hours of the day its logins fell in, as a bar row from 0h to
23h in the baseline's time zone (. for none, ▁ to █ for few to most), and
every address with its count. At most --limit are listed (100 by default);
--all lists every one.`,
		Example: `  vigil baselines logins --agent 7f3c9a
  vigil baselines logins --user root --wide`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			list, err := clikit.ListLimited(cmd, a.App, &limit, func(ctx context.Context, c *apiclient.Client, p store.Page) (apiclient.Page[apiclient.Raw[apiclient.LoginProfile]], error) {
				f.Page = p
				return c.LoginProfiles(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(list)
			}
			if wide {
				return a.details(list)
			}
			now := a.Env.Now()
			t := clikit.NewTable(a.Env.Stdout, "AGENT", "HOST", "USER", "STATUS", "LOGINS", "SOURCES", "FIRST-SEEN", "LAST-SEEN")
			for _, raw := range list {
				p := raw.Value
				t.Row(p.AgentID, p.Hostname, p.User, p.Status, strconv.FormatInt(p.Logins, 10), strconv.Itoa(len(p.Sources)),
					clikit.Ago(now, p.FirstSeen), clikit.Ago(now, p.LastSeen))
			}
			return t.Flush()
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.AgentID, "agent", "", "only the profiles of this agent")
	fs.StringVar(&f.User, "user", "", "only the profiles of this user")
	limit.AddFlags(fs, "profile")
	fs.BoolVar(&wide, "wide", false, "show each profile in detail: its hours as a bar row and its addresses")
	return cmd
}

// details writes each profile with its hours and sources.
func (a *app) details(list []apiclient.Raw[apiclient.LoginProfile]) error {
	out := a.Env.Stdout
	now := a.Env.Now()
	if len(list) == 0 {
		_, err := fmt.Fprintln(out, "no login profile")
		return err
	}
	for i, raw := range list {
		p := raw.Value
		if i > 0 {
			fmt.Fprintln(out)
		}
		f := clikit.NewFields(out)
		f.Add("Agent", hostOf(p))
		f.Add("User", p.User)
		f.Add("Status", status(now, p.ProfileView))
		f.Add("Logins", strconv.FormatInt(p.Logins, 10))
		f.Add("First seen", clikit.When(now, p.FirstSeen))
		f.Add("Last seen", clikit.When(now, p.LastSeen))
		f.Add("Hours", hoursText(p.ProfileView))
		f.Add("Sources", strconv.Itoa(len(p.Sources)))
		if err := f.Flush(); err != nil {
			return err
		}
		if len(p.Sources) == 0 {
			continue
		}
		t := clikit.NewTable(out, "  ADDRESS", "LOGINS", "FIRST-SEEN", "LAST-SEEN")
		for _, s := range p.Sources {
			t.Row("  "+s.IP, strconv.FormatInt(s.Count, 10), clikit.Ago(now, s.FirstSeen), clikit.Ago(now, s.LastSeen))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// hostOf is "7f3c9a (web-1)", or the agent id alone when its host is not
// known.
func hostOf(p apiclient.LoginProfile) string {
	if p.Hostname == "" {
		return p.AgentID
	}
	return p.AgentID + " (" + p.Hostname + ")"
}

// status is "learning", or "learned 3d ago (TIME)".
func status(now time.Time, v baseline.ProfileView) string {
	if v.Status != baseline.StatusLearned || v.LearnedAt.IsZero() {
		return v.Status
	}
	return v.Status + " " + clikit.When(now, v.LearnedAt)
}

// barLevels are the cells of the hour row, from one login to the most.
var barLevels = []rune("▁▂▃▄▅▆▇█")

// HourBar is a profile's logins per hour as one row of 24 cells, hour 0
// first: "." for an hour without logins, else a bar from ▁ (few) to █
// (the busiest hour), in proportion to the busiest hour.
func HourBar(hours [24]int64) string {
	var peak int64
	for _, n := range hours {
		peak = max(peak, n)
	}
	var b strings.Builder
	for _, n := range hours {
		if n <= 0 {
			b.WriteByte('.')
			continue
		}
		// 1..len(barLevels), rounded up so that one login shows; in
		// floating point, as counts may be as large as int64 holds.
		level := int(math.Ceil(float64(n) * float64(len(barLevels)) / float64(peak)))
		b.WriteRune(barLevels[min(max(level, 1), len(barLevels))-1])
	}
	return b.String()
}

// hoursText is the bar row with its time zone and the busiest hour.
func hoursText(v baseline.ProfileView) string {
	busiest, peak := 0, int64(0)
	for h, n := range v.Hours {
		if n > peak {
			busiest, peak = h, n
		}
	}
	text := HourBar(v.Hours) + "  0h-23h " + v.TimeZone
	if peak > 0 {
		text += fmt.Sprintf(", most at %dh (%d)", busiest, peak)
	}
	return text
}
