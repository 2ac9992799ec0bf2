package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/center/notify"
)

// NotifyChannels is the notification service as the API uses it
// (notify.Service is one): the channels of the configuration file and
// of the store with their counters, the changes of the stored ones, and
// test messages.
type NotifyChannels interface {
	Channels(ctx context.Context) ([]notify.ChannelView, error)
	Channel(ctx context.Context, name string) (notify.ChannelView, error)
	// Put creates or replaces a stored channel from the JSON of its
	// configuration, in the name of actor.
	Put(ctx context.Context, name string, body []byte, actor string) (notify.PutResult, error)
	Delete(ctx context.Context, name string) (notify.DeleteResult, error)
	Test(ctx context.Context, name string) (notify.TestResult, error)
}

// channelRefusal is the 400 answer to an invalid channel configuration:
// the error envelope and each invalid field.
type channelRefusal struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Fields []notify.FieldProblem `json:"fields"`
}

// notifier returns the notification service, or a 503 when
// notifications are off.
func (s *server) notifier() (NotifyChannels, error) {
	if s.cfg.Notify == nil {
		return nil, errorf(http.StatusServiceUnavailable, "notifications are off on this center")
	}
	return s.cfg.Notify, nil
}

// notifyError turns an error of the notification service about channel
// name into the answer the client gets.
func notifyError(err error, name string) error {
	switch {
	case errors.Is(err, notify.ErrUnknownChannel):
		return errorf(http.StatusNotFound, "notification channel %s not found", name)
	case errors.Is(err, notify.ErrReadOnly):
		return errorf(http.StatusConflict, "notification channel %s is defined in the notification file and cannot be changed through the API", name)
	case errors.Is(err, notify.ErrUnusable):
		return errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, notify.ErrNoStore):
		return errorf(http.StatusServiceUnavailable, "%v", err)
	}
	return storeError(err, "notification channel "+name)
}

func (s *server) listNotifyChannels(w http.ResponseWriter, r *http.Request, c *call) error {
	n, err := s.notifier()
	if err != nil {
		return err
	}
	views, err := n.Channels(r.Context())
	if err != nil {
		return fmt.Errorf("list notification channels: %w", err)
	}
	writeList(w, views, "")
	return nil
}

func (s *server) getNotifyChannel(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	n, err := s.notifier()
	if err != nil {
		return err
	}
	v, err := n.Channel(r.Context(), name)
	if err != nil {
		return notifyError(err, name)
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *server) putNotifyChannel(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	n, err := s.notifier()
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", maxBody)
	case err != nil:
		return errorf(http.StatusBadRequest, "read request body: %v", err)
	}
	res, err := n.Put(r.Context(), name, body, c.p.Actor())
	if errors.Is(err, notify.ErrNotApplied) {
		return s.partial(err, "notification channel %s saved, but applying it failed; it applies within seconds (see the center's log)", name)
	}
	if errors.Is(err, notify.ErrInvalidConfig) {
		problems := notify.FieldProblems(err)
		c.note("problems", problems)
		refuseChannel(w, problems)
		return nil
	}
	if err != nil {
		return notifyError(err, name)
	}
	c.note("type", res.Channel.Type)
	c.note("created", res.Created)
	c.note("revision", res.Channel.Revision)
	c.note("secrets_changed", append([]string{}, res.SecretsChanged...))
	c.note("config", res.Channel.Config)
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	writeJSON(w, status, res.Channel)
	return nil
}

// refuseChannel answers 400 with the invalid fields of a configuration.
func refuseChannel(w http.ResponseWriter, problems []notify.FieldProblem) {
	var body channelRefusal
	body.Error.Code = httpjson.Code(http.StatusBadRequest)
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.Reason
		if p.Path != "" {
			parts[i] = p.Path + ": " + p.Reason
		}
	}
	body.Error.Message = "invalid notification channel: " + strings.Join(parts, "; ")
	body.Fields = problems
	if body.Fields == nil {
		body.Fields = []notify.FieldProblem{}
	}
	writeJSON(w, http.StatusBadRequest, body)
}

func (s *server) deleteNotifyChannel(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	n, err := s.notifier()
	if err != nil {
		return err
	}
	res, err := n.Delete(r.Context(), name)
	if errors.Is(err, notify.ErrNotApplied) {
		return s.partial(err, "notification channel %s deleted, but stopping it failed; it stops within seconds (see the center's log)", name)
	}
	if err != nil {
		return notifyError(err, name)
	}
	c.note("dropped", res.Dropped)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) testNotifyChannel(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	n, err := s.notifier()
	if err != nil {
		return err
	}
	res, err := n.Test(r.Context(), name)
	if err != nil {
		return notifyError(err, name)
	}
	c.note("ok", res.OK)
	if !res.OK {
		c.note("failure", res.Error)
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}
