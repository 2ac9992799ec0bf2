package enroll

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nkeys"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/jointoken"
	"github.com/vigilsec/vigil/internal/store"
)

// Messages an agent shows its operator (docs/troubleshooting.md).
const (
	msgMalformed = "malformed join token"
	msgOtherCA   = "token is for another center (CA hash mismatch)"
	msgInvalid   = "invalid join token"
	msgExpired   = "join token expired"
	msgUsedUp    = "join token used up"
)

// enroll checks the request and token, counts one use of the token,
// creates the agent and issues its credentials.
func (h *handler) enroll(w http.ResponseWriter, r *http.Request, ip string, now time.Time) (bus.EnrollResponse, error) {
	req, err := decodeRequest(w, r)
	if err != nil {
		return bus.EnrollResponse{}, err
	}
	tok, err := jointoken.Parse(req.Token)
	if err != nil {
		return bus.EnrollResponse{}, clientError(http.StatusBadRequest, msgMalformed)
	}
	if tok.CAHash != h.cfg.CAHash {
		return bus.EnrollResponse{}, clientError(http.StatusBadRequest, msgOtherCA)
	}
	ctx := r.Context()
	stored, err := h.cfg.Store.JoinTokens().Get(ctx, tok.ID)
	if errors.Is(err, store.ErrNotFound) {
		return bus.EnrollResponse{}, clientError(http.StatusUnauthorized, msgInvalid)
	}
	if err != nil {
		return bus.EnrollResponse{}, fmt.Errorf("look up join token %s: %w", tok.ID, err)
	}
	if !tok.SecretMatches(stored.SecretHash) {
		h.audit(ctx, tok.ID, "", "denied", ip, map[string]any{"reason": "secret does not match"})
		return bus.EnrollResponse{}, clientError(http.StatusUnauthorized, msgInvalid)
	}
	if !nkeys.IsValidPublicUserKey(req.PublicKey) {
		return bus.EnrollResponse{}, clientError(http.StatusBadRequest, "public_key: not an NKEY user public key (U...)")
	}
	a, err := newAgent(req, now)
	if err != nil {
		return bus.EnrollResponse{}, err
	}
	used, err := h.cfg.Store.JoinTokens().Consume(ctx, tok.ID, now)
	if err != nil {
		var f *failure
		switch {
		case errors.Is(err, store.ErrTokenExpired):
			f = clientError(http.StatusGone, msgExpired)
		case errors.Is(err, store.ErrTokenUsedUp):
			f = clientError(http.StatusGone, msgUsedUp)
		case errors.Is(err, store.ErrNotFound):
			f = clientError(http.StatusUnauthorized, msgInvalid)
		default:
			return bus.EnrollResponse{}, fmt.Errorf("use join token %s: %w", tok.ID, err)
		}
		h.audit(ctx, tok.ID, "", "denied", ip, map[string]any{"reason": f.Message, "hostname": a.Hostname})
		return bus.EnrollResponse{}, f
	}
	a.JoinTokenID = used.ID
	a.Labels = map[string]string{}
	for k, v := range used.Labels {
		a.Labels[k] = v
	}
	if err := h.cfg.Store.Agents().Create(ctx, a); err != nil {
		return bus.EnrollResponse{}, fmt.Errorf("store agent %s: %w", a.ID, err)
	}
	jwt, err := h.cfg.Issuer.IssueAgent(a.ID, a.UserKey)
	if err != nil {
		// Without credentials the agent cannot use its record: remove it.
		if derr := h.cfg.Store.Agents().Delete(context.WithoutCancel(ctx), a.ID); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove agent again: %w", derr))
		}
		return bus.EnrollResponse{}, fmt.Errorf("issue credentials for agent %s: %w", a.ID, err)
	}
	if h.cfg.Policies != nil {
		if err := h.cfg.Policies.Publish(ctx, a.ID); err != nil {
			// The agent runs on the default policy until the next
			// publication; enrollment itself succeeded.
			h.log.Error("publish the new agent's policy", "agent", a.ID, "err", err)
		}
	}
	h.audit(ctx, tok.ID, a.ID, "ok", ip, map[string]any{"hostname": a.Hostname, "labels": a.Labels, "join_token_id": tok.ID})
	resp := bus.EnrollResponse{AgentID: a.ID, UserJWT: jwt, NATSURLs: h.cfg.NATSURLs, Labels: a.Labels}
	if len(resp.NATSURLs) == 0 {
		resp.NATSPort = h.cfg.NATSPort
	}
	return resp, nil
}

// newAgent builds the agent record from the request's facts.
func newAgent(req bus.EnrollRequest, now time.Time) (store.Agent, error) {
	facts, err := parseFacts(req.Facts)
	if err != nil {
		return store.Agent{}, err
	}
	hostname := req.Hostname
	if hostname == "" {
		hostname = facts.GetHostname()
	}
	if err := checkText("hostname", hostname, 1, 255); err != nil {
		return store.Agent{}, err
	}
	machineID := req.MachineID
	if machineID == "" {
		machineID = facts.GetMachineId()
	}
	if err := checkText("machine_id", machineID, 0, 128); err != nil {
		return store.Agent{}, err
	}
	a := store.Agent{
		ID: uuid.NewString(), Hostname: hostname, Status: store.StatusEnrolled,
		StatusReason: "enrolled", StatusChangedAt: now, LastSeen: now, EnrolledAt: now,
		OS: facts.GetOs(), Platform: facts.GetPlatform(), PlatformVersion: facts.GetPlatformVersion(),
		Kernel: facts.GetKernel(), Arch: facts.GetArch(), IPs: append([]string{}, facts.GetIps()...),
		AgentVersion: facts.GetAgentVersion(), MachineID: machineID, UserKey: req.PublicKey,
	}
	if bt := facts.GetBootTimeUnix(); bt > 0 {
		a.BootTime = time.Unix(bt, 0).UTC()
	}
	return a, nil
}

// audit records an enrollment or a refused one for a known token.
func (h *handler) audit(ctx context.Context, tokenID, agentID, result, ip string, detail map[string]any) {
	target := agentID
	if target == "" {
		target = "join-token:" + tokenID
	}
	e := store.AuditEntry{
		At: h.now().UTC(), Actor: "join-token:" + tokenID, Action: "agent.enroll",
		Target: target, Result: result, Detail: detail, SourceIP: ip,
	}
	if _, err := h.cfg.Store.Audit().Append(context.WithoutCancel(ctx), e); err != nil {
		h.log.Error("audit append failed", "action", e.Action, "err", err)
	}
}
