package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ChannelView is a channel as the API shows it: never a credential.
type ChannelView struct {
	Name     string      `json:"name"`
	Type     ChannelType `json:"type"`
	Source   Source      `json:"source"`
	Disabled bool        `json:"disabled"`
	// Running says that the channel delivers now: enabled, usable, and
	// not hidden by a channel of the file of the same name.
	Running bool `json:"running"`
	// Problem says why a stored channel does not run.
	Problem string `json:"problem,omitempty"`
	// Config is the configuration as an update takes it, each write-only
	// field shown as a WriteOnly (ConfigView); for a stored channel whose
	// secrets cannot be opened, the stored configuration without them.
	Config json.RawMessage `json:"config"`
	// Revision, the times and the authors of a stored channel.
	Revision  int64     `json:"revision,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	CreatedBy string    `json:"created_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	// Stats are the delivery counters since the center started (zero
	// for a channel that does not run).
	Stats DeliveryStats `json:"stats"`
}

// Channels returns every channel: the file's in file order, then the
// store's by name.
func (s *Service) Channels(ctx context.Context) ([]ChannelView, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ChannelView, 0, len(s.file)+len(s.api))
	for _, c := range s.cfg.File.Channels {
		out = append(out, s.fileView(c))
	}
	names := make([]string, 0, len(s.api))
	for name := range s.api {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		out = append(out, s.storedView(s.api[name]))
	}
	return out, nil
}

// Channel returns one channel; ErrUnknownChannel. A name both in the
// file and in the store is the file's channel.
func (s *Service) Channel(ctx context.Context, name string) (ChannelView, error) {
	if err := ctx.Err(); err != nil {
		return ChannelView{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.viewLocked(name)
	if !ok {
		return ChannelView{}, fmt.Errorf("%w: %q", ErrUnknownChannel, name)
	}
	return v, nil
}

// viewLocked returns the view of a channel, with s.mu held.
func (s *Service) viewLocked(name string) (ChannelView, bool) {
	if c, ok := s.file[name]; ok {
		return s.fileView(c), true
	}
	if sc, ok := s.api[name]; ok {
		return s.storedView(sc), true
	}
	return ChannelView{}, false
}

func (s *Service) fileView(c ChannelConfig) ChannelView {
	v := ChannelView{Name: c.Name, Type: c.Type, Source: SourceFile, Disabled: c.Disabled, Config: ConfigView(c)}
	s.addStats(&v)
	return v
}

func (s *Service) storedView(sc *storedChannel) ChannelView {
	v := ChannelView{
		Name: sc.row.Name, Type: ChannelType(sc.row.Type), Source: SourceAPI, Problem: sc.problem,
		Revision: sc.row.Revision, CreatedAt: sc.row.CreatedAt, CreatedBy: sc.row.CreatedBy,
		UpdatedAt: sc.row.UpdatedAt, UpdatedBy: sc.row.UpdatedBy,
	}
	if sc.problem != "" && !sc.buildError {
		v.Config = sc.row.Config
		return v
	}
	v.Disabled, v.Config = sc.cfg.Disabled, ConfigView(sc.cfg)
	if sc.problem == "" {
		s.addStats(&v)
	}
	return v
}

// addStats sets the counters and Running of a channel the dispatcher
// runs.
func (s *Service) addStats(v *ChannelView) {
	st, ok := s.d.StatsOf(v.Name)
	if ok {
		v.Running, v.Stats = true, st.DeliveryStats
	}
}

// FieldProblem is one invalid field of a configuration: its path
// ("webhook.url", "" for the whole document) and why.
type FieldProblem struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// FieldProblems lists the field errors in err (through joined
// errors), in order; nil when it has none.
func FieldProblems(err error) []FieldProblem {
	var out []FieldProblem
	var walk func(error)
	walk = func(e error) {
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var fe *FieldError
		if errors.As(e, &fe) {
			out = append(out, FieldProblem{Path: fe.Path, Reason: fe.Reason})
		}
	}
	if err != nil {
		walk(err)
	}
	return out
}
