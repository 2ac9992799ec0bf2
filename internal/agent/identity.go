package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"time"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/client"
	"github.com/vigilsec/vigil/internal/bus/enroll"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
)

// identity loads the agent's identity from the data directory, or enrolls
// the host and saves the new identity there. A center that cannot be
// reached is tried again until ctx ends; a refusal is final.
func (a *Agent) identity(ctx context.Context, facts *busv1.HostFacts) (bus.Identity, error) {
	dir := a.cfg.DataDir
	id, err := enroll.Load(dir)
	if err == nil {
		if a.cfg.CenterURL != "" && a.cfg.CenterURL != id.CenterURL {
			a.log.Warn("already enrolled with another center URL; keeping the enrolled identity",
				"enrolled", id.CenterURL, "given", a.cfg.CenterURL)
		}
		return id, nil
	}
	if !errors.Is(err, enroll.ErrNotEnrolled) {
		return id, fmt.Errorf("agent: %w", err)
	}
	if a.cfg.CenterURL == "" || a.cfg.JoinToken == "" {
		return id, fmt.Errorf("agent: not enrolled yet: the center URL and a join token are needed for the first run")
	}
	if u, err := url.Parse(a.cfg.CenterURL); err != nil || u.Scheme != "https" || u.Host == "" {
		return id, fmt.Errorf("agent: center URL %q: want https://host[:port]", a.cfg.CenterURL)
	}
	for attempt := 1; ; attempt++ {
		id, err = enroll.Enroll(ctx, a.cfg.CenterURL, a.cfg.JoinToken, facts)
		if err == nil {
			break
		}
		if final(err) || ctx.Err() != nil {
			return id, fmt.Errorf("agent: %w", err)
		}
		pause := max(client.Backoff(attempt), time.Second)
		a.log.Warn("enrollment failed; trying again", "center", a.cfg.CenterURL, "err", err, "pause", pause)
		select {
		case <-ctx.Done():
			return id, fmt.Errorf("agent: enrollment: %w", ctx.Err())
		case <-time.After(pause):
		}
	}
	if err := enroll.Save(dir, id); err != nil {
		return id, fmt.Errorf("agent: %w", err)
	}
	a.log.Info("enrolled", "agent", id.AgentID, "center", id.CenterURL)
	return id, nil
}

// final reports whether an enrollment error will not go away by trying
// again: the token or the center was refused. Network trouble, a busy or
// failing center may pass.
func final(err error) bool {
	var apiErr *enroll.APIError
	switch {
	case errors.Is(err, enroll.ErrRateLimited), errors.Is(err, enroll.ErrCenterFailure):
		return false
	case errors.As(err, &apiErr):
		return apiErr.Status < http.StatusInternalServerError
	case errors.Is(err, enroll.ErrCAMismatch), errors.Is(err, jointoken.ErrMalformed),
		errors.Is(err, jointoken.ErrVersion), errors.Is(err, jointoken.ErrHash):
		return true
	}
	return false
}

// readFacts asks the facts provider for the host's facts; without one, or
// when it fails, the facts this process knows by itself are used.
func (a *Agent) readFacts(ctx context.Context) *busv1.HostFacts {
	var f *busv1.HostFacts
	if a.facts != nil {
		var err error
		err = a.safely("host facts", func() error {
			var ferr error
			f, ferr = a.facts.HostFacts(ctx, a.env)
			return ferr
		})
		if err != nil {
			a.log.Debug("host facts incomplete", "err", err)
		}
	}
	if f == nil {
		f = &busv1.HostFacts{Os: runtime.GOOS, Arch: runtime.GOARCH}
	}
	if f.Hostname == "" {
		f.Hostname, _ = os.Hostname()
	}
	f.AgentVersion = a.cfg.Version
	return f
}

// refreshFacts reads the facts again every factsRefresh and flags them
// for the next heartbeat when they changed.
func (a *Agent) refreshFacts(ctx context.Context) {
	t := time.NewTicker(factsRefresh)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f := a.readFacts(ctx)
			if !factsEqual(f, a.hostFacts.Load()) {
				a.hostFacts.Store(f)
				a.needFacts.Store(true)
			}
		}
	}
}
