package eventcmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// eventFlags are the filters shared by events list and tail.
type eventFlags struct {
	f            store.EventFilter
	since, until string
}

// register adds the filter flags; --until only to listings (follow is false).
func (ef *eventFlags) register(fs *pflag.FlagSet, follow bool) {
	fs.StringVar(&ef.f.AgentID, "agent", "", "only events of this agent ID")
	fs.StringVar(&ef.f.Category, "category", "", "only this event.category (process, network, file, authentication ...)")
	fs.StringVar(&ef.f.Action, "action", "", "only this event.action")
	fs.StringVar(&ef.since, "since", "", "only events at or after this time: a duration before now (1h, 7d) or RFC 3339")
	if !follow {
		fs.StringVar(&ef.until, "until", "", "only events before this time: a duration before now or RFC 3339")
	}
	fs.StringVarP(&ef.f.Q, "query", "q", "", "only events whose message, command line, path, user or IPs contain this text")
}

// filter resolves --since and --until against now.
func (ef *eventFlags) filter(cmd *cobra.Command, now time.Time) (store.EventFilter, error) {
	f := ef.f
	var err error
	if f.Since, err = clikit.ParseTime(now, ef.since); err != nil {
		return f, clikit.UsageErr(cmd, "--since %v", err)
	}
	if f.Until, err = clikit.ParseTime(now, ef.until); err != nil {
		return f, clikit.UsageErr(cmd, "--until %v", err)
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, clikit.UsageErr(cmd, "--since must be before --until")
	}
	return f, nil
}

func (a *app) eventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "events",
		Aliases: []string{"event"},
		Short:   "Events (ECS documents) sent by agents: list and follow",
	}
	cmd.AddCommand(a.eventsListCmd(), a.eventsTailCmd())
	return clikit.Group(cmd)
}

func (a *app) eventsListCmd() *cobra.Command {
	var (
		ef    eventFlags
		limit int
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List events, newest first",
		Args:    clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := ef.filter(cmd, a.Env.Now())
			if err != nil {
				return err
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			events, err := clikit.ListAll(cmd.Context(), limit, func(ctx context.Context, p store.Page) (apiclient.Page[event.Event], error) {
				f.Page = p
				return c.Events(ctx, f)
			})
			if err != nil {
				return err
			}
			if a.JSON() {
				return a.PrintJSON(events)
			}
			t := clikit.NewTable(a.Env.Stdout, "TIME", "HOST", "EVENT", "SUMMARY")
			for _, e := range events {
				t.Row(clikit.Stamp(e.Timestamp()), hostOfEvent(e), kindOf(e), clikit.Truncate(summary(e), 120))
			}
			return t.Flush()
		},
	}
	ef.register(cmd.Flags(), false)
	cmd.Flags().IntVar(&limit, "limit", store.DefaultLimit, "list at most this many (0: all)")
	return cmd
}

func (a *app) eventsTailCmd() *cobra.Command {
	var ef eventFlags
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Follow new events as they arrive, until Ctrl-C",
		Long: `Print events as the center stores them, one line each: time, host,
category/action and a summary (-o json: one JSON document per line). It
starts with the events stamped from now on (or from --since) and asks the
center for newer ones every second, until interrupted.`,
		Args: clikit.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			now := a.Env.Now()
			f, err := ef.filter(cmd, now)
			if err != nil {
				return err
			}
			if f.Since.IsZero() {
				f.Since = now.UTC()
			}
			c, err := a.API()
			if err != nil {
				return err
			}
			return a.tail(cmd.Context(), c, f)
		},
	}
	ef.register(cmd.Flags(), true)
	return cmd
}

// tailPage is the page size of tail: what a burst can bring at once.
const tailPage = 500

// tail polls for events in ingest order with the cursor of the last page,
// printing each; it returns nil when ctx ends. While the center cannot be
// reached it says so once and keeps trying.
func (a *app) tail(ctx context.Context, c *apiclient.Client, f store.EventFilter) error {
	f.Ascending, f.Limit = true, tailPage
	enc := json.NewEncoder(a.Env.Stdout)
	down := false
	for {
		page, err := c.Events(ctx, f)
		if ctx.Err() != nil {
			return nil
		}
		var ne *apiclient.NetError
		switch {
		case errors.As(err, &ne):
			if !down {
				fmt.Fprintf(a.Env.Stderr, "vigil: %s; retrying\n", clikit.Clean(ne.Error()))
				down = true
			}
		case err != nil:
			return err
		default:
			if down {
				fmt.Fprintln(a.Env.Stderr, "vigil: center reachable again")
				down = false
			}
			for _, e := range page.Items {
				if err := a.tailLine(enc, e); err != nil {
					return err
				}
			}
			if page.NextCursor != "" {
				f.Cursor = page.NextCursor
			}
			if len(page.Items) == f.Limit {
				continue // more are waiting
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(a.Env.PollInterval):
		}
	}
}

func (a *app) tailLine(enc *json.Encoder, e event.Event) error {
	if a.JSON() {
		if err := enc.Encode(e); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		return nil
	}
	_, err := fmt.Fprintf(a.Env.Stdout, "%s  %s  %s  %s\n", clikit.Stamp(e.Timestamp()), clikit.Clean(hostOfEvent(e)), clikit.Clean(kindOf(e)), clikit.Clean(summary(e)))
	return err
}
