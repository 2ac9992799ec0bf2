package baseline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/compliance/eval"
	"github.com/vigilsec/vigil/internal/event"
)

// Name is the collector's name.
const Name = "compliance/baseline"

// Collector is the compliance/baseline collector.
type Collector struct {
	// Now is the clock of the evaluations (the age of a password);
	// time.Now when nil.
	Now func() time.Time

	mu  sync.Mutex
	cfg config

	evaluated, checks, checkErrors, millis, abandoned atomic.Uint64
	refused                                           atomic.Uint64 // of the current settings
}

var (
	_ plugin.AssetCollector = (*Collector)(nil)
	_ plugin.Tunable        = (*Collector)(nil)
	_ plugin.Counted        = (*Collector)(nil)
)

// New returns the collector with the default settings: no policy.
func New() *Collector { return &Collector{cfg: prepare(DefaultSettings())} }

// Name implements plugin.Plugin.
func (*Collector) Name() string { return Name }

// Requirements implements plugin.Plugin: the rules read /etc/shadow and
// run commands such as sshd -T, which need root.
func (*Collector) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// DefaultInterval implements plugin.Collector.
func (*Collector) DefaultInterval() time.Duration { return 24 * time.Hour }

// Kinds implements plugin.AssetCollector.
func (*Collector) Kinds() []string { return []string{event.AssetCompliance} }

// ApplySettings implements plugin.Tunable. Settings that do not decode
// or break a bound are refused whole and the previous ones stay. A
// policy that does not read, or whose digest does not match, is refused
// alone: the others are applied, and the error names the refused ones
// (the collector's status shows it).
func (c *Collector) ApplySettings(raw json.RawMessage) error {
	s, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	cfg := prepare(s)
	c.mu.Lock()
	c.cfg = cfg
	c.mu.Unlock()
	c.refused.Store(uint64(len(cfg.refused)))
	if len(cfg.refused) == 0 {
		return nil
	}
	errs := make([]error, len(cfg.refused))
	for i, r := range cfg.refused {
		errs[i] = r.error()
	}
	return fmt.Errorf("%s: %w", Name, errors.Join(errs...))
}

// Counters implements plugin.Counted: policies_evaluated, checks_evaluated,
// check_errors (checks whose status was error), evaluation_ms and
// evaluations_blocked (evaluations left behind, blocked past the
// timeout) are totals; policies_refused is the number of policies of
// the current settings that were refused.
func (c *Collector) Counters() map[string]uint64 {
	return map[string]uint64{
		"policies_evaluated":  c.evaluated.Load(),
		"checks_evaluated":    c.checks.Load(),
		"check_errors":        c.checkErrors.Load(),
		"policies_refused":    c.refused.Load(),
		"evaluation_ms":       c.millis.Load(),
		"evaluations_blocked": c.abandoned.Load(),
	}
}

// Assets implements plugin.AssetCollector: one item per policy and one
// per check of each policy that applies to the host (see the package
// documentation).
func (c *Collector) Assets(ctx context.Context, env plugin.Env) ([]event.Asset, error) {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	root := env.Root
	if root == "" {
		root = "/"
	}
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	// Commands run only on the host itself: in a tree standing for a
	// host they would answer for the wrong one.
	var runner eval.Runner
	if root == "/" {
		runner = eval.ExecRunner{Timeout: cfg.commandTimeout}
	}
	runCtx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	var out []event.Asset
	for _, r := range cfg.refused {
		out = append(out, refusedItem(r))
	}
	for i := range cfg.policies {
		a := &cfg.policies[i]
		rep, finished := c.evaluate(ctx, runCtx, a, eval.Env{Root: root, Runner: runner, Now: c.Now, Logger: log})
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", Name, err)
		}
		if !finished {
			log.Error("compliance evaluation blocked; it is left behind", "policy", a.id, "timeout", cfg.timeout)
			out = append(out, blockedItem(a, cfg.timeout))
			continue
		}
		stopped := runCtx.Err() != nil
		items := policyItems(a, &rep, stopped, cfg.timeout)
		out = append(out, items...)
		c.evaluated.Add(1)
		c.millis.Add(uint64(rep.Duration.Milliseconds()))
		if rep.Applicable {
			c.checks.Add(uint64(rep.Counts.Total))
			c.checkErrors.Add(uint64(rep.Counts.Error))
		}
		log.Info("compliance policy evaluated", "policy", a.id, "applicable", rep.Applicable,
			"pass", rep.Counts.Pass, "fail", rep.Counts.Fail, "error", rep.Counts.Error,
			"not_applicable", rep.Counts.NotApplicable, "stopped", stopped, "duration", rep.Duration)
	}
	slices.SortFunc(out, func(a, b event.Asset) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// stopGrace is how long an evaluation may take to stop once its time
// is up: the evaluator stops between two rules.
const stopGrace = 2 * time.Second

// evaluate runs one policy. finished is false when the evaluation did
// not stop within stopGrace of the end of runCtx, or ctx ended first: a
// rule is blocked in a read the evaluator cannot interrupt (a named
// pipe opened as a file ...). The evaluation is then left behind.
func (c *Collector) evaluate(ctx, runCtx context.Context, a *assigned, env eval.Env) (eval.Report, bool) {
	done := make(chan eval.Report, 1)
	go func() { done <- eval.Run(runCtx, a.policy, env) }()
	select {
	case rep := <-done:
		return rep, true
	case <-runCtx.Done():
	}
	grace := time.NewTimer(stopGrace)
	defer grace.Stop()
	select {
	case rep := <-done:
		return rep, true
	case <-ctx.Done():
		// The agent stopped the run: the evaluation ends on its own at
		// its next rule, unless it is blocked too.
		return eval.Report{}, false
	case <-grace.C:
		c.abandoned.Add(1)
		return eval.Report{}, false
	}
}
