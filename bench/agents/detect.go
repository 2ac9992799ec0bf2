package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/bench/agents/internal/fleet"
	"github.com/vigilsec/vigil/bench/agents/internal/stats"
	"github.com/vigilsec/vigil/internal/store"
)

// ruleLost is the rule of the alert the center raises for a lost agent
// (health.RuleLost).
const ruleLost = "vigil.agent.lost"

// Polling of the taken-down agents.
const (
	pollEvery  = 100 * time.Millisecond
	alertGrace = 10 * time.Second
)

// watched is one taken-down agent.
type watched struct {
	agent   *fleet.Agent
	kind    fleet.Failure
	downAt  time.Time
	seenAt  time.Time // GET /agents/{id} first answered lost
	decided time.Time // status_changed_at
	reason  string
	alert   bool
}

// detect takes down cfg.kill agents by killing their sockets and as many
// by silencing them, at the same instant, and measures how long the
// center takes to call each lost and whether it raised the alert.
func (b *bench) detect(ctx context.Context) ([]detection, error) {
	var up []*fleet.Agent
	for _, a := range b.fleet.Agents() {
		if a.Up() {
			up = append(up, a)
		}
	}
	k := b.cfg.kill
	if len(up) < 2*k {
		return nil, fmt.Errorf("offline detection: %d agents connected, %d needed", len(up), 2*k)
	}
	rand.Shuffle(len(up), func(i, j int) { up[i], up[j] = up[j], up[i] })
	killed, silent := up[:k], up[k:2*k]
	b.log.Info("taking agents down", "killed", k, "silent", k)
	atK := b.fleet.TakeDown(killed, fleet.Killed)
	atS := b.fleet.TakeDown(silent, fleet.Silent)
	var ws []*watched
	for i, a := range killed {
		ws = append(ws, &watched{agent: a, kind: fleet.Killed, downAt: atK[i]})
	}
	for i, a := range silent {
		ws = append(ws, &watched{agent: a, kind: fleet.Silent, downAt: atS[i]})
	}
	deadline := time.Now().Add(b.cfg.detectTimeout)
	var wg sync.WaitGroup
	for _, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.pollLost(ctx, w, deadline)
			if !w.seenAt.IsZero() {
				w.alert = b.hasLostAlert(ctx, w.agent.ID())
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []detection{summarizeDetection(fleet.Killed, ws), summarizeDetection(fleet.Silent, ws)}, nil
}

// pollLost asks for the agent every pollEvery until it is lost.
func (b *bench) pollLost(ctx context.Context, w *watched, deadline time.Time) {
	for time.Now().Before(deadline) && ctx.Err() == nil {
		t0 := time.Now()
		a, err := b.api.Agent(ctx, w.agent.ID())
		if err == nil && a.Status == store.StatusLost {
			w.seenAt, w.decided, w.reason = time.Now(), a.StatusChangedAt, a.StatusReason
			return
		}
		if err != nil {
			b.log.Warn("poll agent", "agent", w.agent.ID(), "err", err)
		}
		sleep(ctx, pollEvery-time.Since(t0))
	}
}

// hasLostAlert looks for the agent's lost alert, for a little while: the
// alert is stored with the status change but may trail it.
func (b *bench) hasLostAlert(ctx context.Context, id string) bool {
	deadline := time.Now().Add(alertGrace)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		page, err := b.api.Alerts(ctx, store.AlertFilter{AgentID: id, RuleID: ruleLost})
		if err == nil && len(page.Items) > 0 {
			return true
		}
		sleep(ctx, 250*time.Millisecond)
	}
	return false
}

// summarizeDetection gathers the results of one kind.
func summarizeDetection(kind fleet.Failure, ws []*watched) detection {
	d := detection{Kind: kind.String(), Reasons: map[string]int{}}
	var visible, decided []time.Duration
	for _, w := range ws {
		if w.kind != kind {
			continue
		}
		d.Agents++
		if w.seenAt.IsZero() {
			d.NotLost = append(d.NotLost, w.agent.ID())
			continue
		}
		d.Lost++
		visible = append(visible, w.seenAt.Sub(w.downAt))
		decided = append(decided, w.decided.Sub(w.downAt))
		d.Reasons[reasonKind(w.reason)]++
		if w.alert {
			d.Alerts++
		} else {
			d.NoAlert = append(d.NoAlert, w.agent.ID())
		}
	}
	d.Visible, d.Decided = stats.Summarize(visible), stats.Summarize(decided)
	return d
}

// reasonKind drops the parts of a status reason that differ from agent to
// agent (the peer address), so that equal reasons are counted together.
func reasonKind(reason string) string {
	if i := strings.Index(reason, " (from "); i >= 0 {
		reason = reason[:i]
	}
	return oneLine(reason)
}
