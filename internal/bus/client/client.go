// Package client is the agent half of the bus: it connects an enrolled
// agent to the center with the credentials and pinned CA of its identity,
// keeps the connection up for as long as the agent runs, and follows the
// agent's policy in the policy bucket.
package client

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/pki"
)

// Client-side liveness: a center that stops answering is noticed within
// about PingInterval*(MaxPingsOut+1), then the agent reconnects.
const (
	PingInterval = 15 * time.Second
	MaxPingsOut  = 2
)

// Options tunes Connect. Every field is optional.
type Options struct {
	// Logger receives connection state changes (default: discard).
	Logger *slog.Logger
	// OnDisconnect is called when the connection drops, with the cause
	// (nil for a clean close).
	OnDisconnect func(error)
	// OnReconnect is called each time the connection comes up: the first
	// time (also when the center was down at Connect time and came up
	// later) and after every reconnect.
	OnReconnect func()
	// OnError is called with asynchronous errors, among them permission
	// violations and slow-consumer errors.
	OnError func(error)
	// OnClosed is called once the connection is closed for good: by Close,
	// or after the center refused the credentials twice in a row (revoked
	// or unknown agent), which needs a new enrollment.
	OnClosed func()
	// Extra options are applied after the ones Connect sets.
	Extra []nats.Option
}

// Connect connects the agent to the bus: TLS that trusts only the CA pinned
// at enrollment, the agent's user JWT and seed, the agent's own inbox
// prefix, its id as connection name, and reconnects without end with
// exponential backoff and full jitter (Backoff). When the center cannot be
// reached, Connect still returns a connection that keeps trying; ctx only
// bounds the call itself.
func Connect(ctx context.Context, id bus.Identity, opts Options) (*nats.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("bus connect: %w", err)
	}
	if err := checkIdentity(id); err != nil {
		return nil, err
	}
	tlsCfg, err := pki.ClientTLSConfig([]byte(id.CAPEM))
	if err != nil {
		return nil, fmt.Errorf("bus connect: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("agent", id.AgentID)
	up := func(nc *nats.Conn) {
		log.Info("bus connected", "url", nc.ConnectedUrlRedacted())
		if opts.OnReconnect != nil {
			opts.OnReconnect()
		}
	}
	nopts := []nats.Option{
		nats.Secure(tlsCfg),
		nats.UserJWTAndSeed(id.UserJWT, id.UserSeed),
		nats.CustomInboxPrefix(bus.InboxPrefix(id.AgentID)),
		nats.Name(id.AgentID),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(Backoff),
		nats.RetryOnFailedConnect(true),
		nats.PermissionErrOnSubscribe(true),
		nats.PingInterval(PingInterval),
		nats.MaxPingsOutstanding(MaxPingsOut),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("bus disconnected", "err", err)
			if opts.OnDisconnect != nil {
				opts.OnDisconnect(err)
			}
		}),
		nats.ConnectHandler(up),
		nats.ReconnectHandler(up),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			log.Warn("bus error", "subject", subj, "err", err)
			if opts.OnError != nil {
				opts.OnError(err)
			}
		}),
		nats.ClosedHandler(func(nc *nats.Conn) {
			log.Info("bus connection closed", "last_err", nc.LastError())
			if opts.OnClosed != nil {
				opts.OnClosed()
			}
		}),
	}
	nc, err := nats.Connect(strings.Join(id.NATSURLs, ","), append(nopts, opts.Extra...)...)
	if err != nil {
		return nil, fmt.Errorf("bus connect: %w", err)
	}
	return nc, nil
}

// checkIdentity rejects an identity that cannot connect.
func checkIdentity(id bus.Identity) error {
	switch {
	case !bus.ValidAgentID(id.AgentID):
		return fmt.Errorf("bus connect: identity has an invalid agent id %q", id.AgentID)
	case len(id.NATSURLs) == 0:
		return errors.New("bus connect: identity has no bus URL")
	case id.UserJWT == "" || id.UserSeed == "":
		return errors.New("bus connect: identity has no credentials")
	case id.CAPEM == "":
		return errors.New("bus connect: identity has no pinned CA")
	}
	return nil
}
