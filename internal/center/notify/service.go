package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// DefaultPollInterval is how often a Service looks for changes of the
// stored channels made by other centers sharing its database.
const DefaultPollInterval = 10 * time.Second

// testTimeout bounds Service.Test: the wait for the rate limit and the
// attempt.
const testTimeout = 30 * time.Second

// Errors of a Service.
var (
	// ErrReadOnly is returned for a change of a channel of the
	// configuration file.
	ErrReadOnly = errors.New("channel is defined in the notification file and is read-only here")
	// ErrNoStore is returned for a change when the Service has no store.
	ErrNoStore = errors.New("notification channels cannot be changed on this center")
	// ErrUnusable is returned by Test for a stored channel that cannot
	// run (its Problem says why).
	ErrUnusable = errors.New("notification channel cannot be used")
	// ErrNotApplied is returned when a change was stored but applying it
	// failed; the Service applies it within its poll interval.
	ErrNotApplied = errors.New("stored, but not applied yet")
)

// ServiceConfig configures a Service.
type ServiceConfig struct {
	// File is the configuration of --notify-config (zero for none); its
	// channels are read-only and its console_url makes every message's
	// link. FileName names it in messages.
	File     Config
	FileName string
	// Store keeps the channels managed through the API; nil for a
	// Service of the file's channels only.
	Store store.NotifyChannelStore
	// KeyFile is the file of the key sealing the stored channels'
	// secrets (see SecretBox), required with Store.
	KeyFile string
	// PollInterval is how often the store is read for changes made
	// elsewhere (DefaultPollInterval when zero).
	PollInterval time.Duration
	Logger       *slog.Logger
	// Now is the clock of the stored times (time.Now when nil).
	Now func() time.Time
}

// Service is the center's notification service: a Dispatcher with the
// channels of the configuration file (read-only) and those of the store,
// which it applies while it runs (after each change made through it at
// once, after changes made by other centers within PollInterval), and
// the operations of the API on them.
type Service struct {
	cfg  ServiceConfig
	log  *slog.Logger
	now  func() time.Time
	d    *Dispatcher
	box  *SecretBox
	file map[string]ChannelConfig

	// mu serializes changes and reloads, and guards api.
	mu  sync.Mutex
	api map[string]*storedChannel
	// lastPollErr is the last poll's error, logged once until it changes.
	lastPollErr string
}

// storedChannel is a channel of the store as last read.
type storedChannel struct {
	row store.NotifyChannel // without its sealed secrets
	cfg ChannelConfig       // with its secrets; set when problem is ""
	// problem says why the channel does not run. openError tells that
	// the row could not be read (its secrets sealed with another key, or
	// the key missing), buildError that only building the channel failed
	// (a TLS file missing): both are tried again at every reload.
	problem    string
	openError  bool
	buildError bool
}

// NewService builds the file's channels and reads the store's.
// Stored channels that cannot be used (secrets sealed with another key,
// a configuration this release refuses) do not stop it: they are shown
// with their problem.
func NewService(ctx context.Context, cfg ServiceConfig) (*Service, error) {
	if cfg.Store != nil && cfg.KeyFile == "" {
		return nil, errors.New("notify: a store needs a key file")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d, err := NewDispatcher(cfg.File, log)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: log.With("service", "notify"), now: cfg.Now, d: d, file: map[string]ChannelConfig{},
		api: map[string]*storedChannel{}}
	if s.now == nil {
		s.now = time.Now
	}
	for _, c := range cfg.File.Channels {
		s.file[c.Name] = c
	}
	if cfg.Store != nil {
		s.box = NewSecretBox(cfg.KeyFile)
		if _, err := s.Reload(ctx); err != nil {
			d.closeChannels(d.routes)
			return nil, err
		}
	}
	return s, nil
}

// Run delivers until ctx is done, reading the store for changes every
// PollInterval (a failed read is logged and retried). It returns nil.
func (s *Service) Run(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- s.d.Run(ctx) }()
	if s.cfg.Store != nil {
		t := time.NewTicker(s.cfg.PollInterval)
		defer t.Stop()
	poll:
		for {
			select {
			case <-ctx.Done():
				break poll
			case <-t.C:
				_, err := s.Reload(ctx)
				s.notePollError(ctx, err)
			}
		}
	}
	return <-done
}

// notePollError logs a failed poll once until its error changes.
func (s *Service) notePollError(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	s.mu.Lock()
	changed := msg != s.lastPollErr
	s.lastPollErr = msg
	s.mu.Unlock()
	switch {
	case changed && err != nil:
		s.log.Error("reading the notification channels failed; retrying", "error", msg)
	case changed:
		s.log.Info("reading the notification channels works again")
	}
}

// NotifyAlert notifies an alert to every channel whose filter it passes.
func (s *Service) NotifyAlert(a store.Alert) { s.d.NotifyAlert(a) }

// Notify queues m (see Dispatcher.Notify).
func (s *Service) Notify(m Message) { s.d.Notify(m) }

// Reload reads the stored channels and applies their changes: see
// Dispatcher.SetChannels for what happens to each channel's queue. It
// is what the Service does after each change it makes and every
// PollInterval.
func (s *Service) Reload(ctx context.Context) (Changes, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reload(ctx)
}

// reload is Reload with s.mu held.
func (s *Service) reload(ctx context.Context) (Changes, error) {
	if s.cfg.Store == nil {
		return Changes{}, nil
	}
	rows, err := s.cfg.Store.List(ctx)
	if err != nil {
		return Changes{}, fmt.Errorf("read notification channels: %w", err)
	}
	next := make(map[string]*storedChannel, len(rows))
	changed := len(rows) != len(s.api)
	for _, row := range rows {
		prev, ok := s.api[row.Name]
		same := ok && prev.row.Revision == row.Revision && prev.row.UpdatedAt.Equal(row.UpdatedAt)
		switch {
		case same && prev.openError:
			// Read again: the key file may be back.
			sc := s.read(row, prev)
			changed = changed || sc.problem == ""
			next[row.Name] = sc
		case same:
			next[row.Name] = prev
			changed = changed || prev.buildError
		default:
			changed = true
			next[row.Name] = s.read(row, nil)
		}
	}
	if !changed {
		return Changes{}, nil
	}
	var cfgs []ChannelConfig
	for _, sc := range next {
		if sc.problem == "" || sc.buildError {
			cfgs = append(cfgs, sc.cfg)
		}
	}
	ch, err := s.d.SetChannels(cfgs)
	if err != nil {
		return ch, err
	}
	for name, sc := range next {
		e, failed := ch.Failed[name]
		switch {
		case failed && (!sc.buildError || sc.problem != e.Error()):
			// Logged once, not at every retry.
			sc.problem, sc.buildError = e.Error(), true
			s.log.Warn("notification channel does not run", "channel", name, "error", sc.problem)
		case !failed && sc.buildError:
			sc.problem, sc.buildError = "", false
		}
	}
	s.api = next
	if len(ch.Added)+len(ch.Changed)+len(ch.Removed) > 0 {
		s.log.Info("notification channels changed", "added", ch.Added, "changed", ch.Changed, "removed", ch.Removed,
			"carried", ch.Carried, "dropped", ch.Dropped)
	}
	return ch, nil
}

// read turns a stored row into a channel, or one with its problem; the
// problem is logged unless prev, the row as read before, had it too.
func (s *Service) read(row store.NotifyChannel, prev *storedChannel) *storedChannel {
	sc := &storedChannel{row: row}
	sc.row.Secrets = nil
	if _, clash := s.file[row.Name]; clash {
		sc.problem = fmt.Sprintf("the notification file %s also defines a channel %q, which is the one that runs: delete this one", s.cfg.FileName, row.Name)
		return sc
	}
	var err error
	if sc.cfg, err = s.open(row); err != nil {
		sc.problem, sc.openError = err.Error(), true
		if prev == nil || prev.problem != sc.problem {
			s.log.Warn("stored notification channel cannot be used", "channel", row.Name, "error", sc.problem)
		}
	}
	return sc
}

// open decodes a stored channel and its sealed secrets, and validates
// it. Its errors never hold a secret.
func (s *Service) open(row store.NotifyChannel) (ChannelConfig, error) {
	var pub ChannelConfig
	if err := decodeJSON(row.Config, &pub); err != nil {
		return ChannelConfig{}, fmt.Errorf("stored configuration: %w", err)
	}
	if pub.Name != row.Name || string(pub.Type) != row.Type {
		return ChannelConfig{}, fmt.Errorf("stored configuration is of channel %q of type %s, not %q of type %s", pub.Name, pub.Type, row.Name, row.Type)
	}
	var sec Secrets
	if len(row.Secrets) > 0 {
		plain, err := s.box.Open(row.Name, row.Secrets)
		if err != nil {
			return ChannelConfig{}, err
		}
		if err := json.Unmarshal(plain, &sec); err != nil {
			return ChannelConfig{}, errors.New("open sealed secrets: not the secrets of a channel")
		}
	}
	c := WithSecrets(pub, sec)
	if err := c.Validate(); err != nil {
		return ChannelConfig{}, fmt.Errorf("stored configuration is not valid: %w", err)
	}
	return c, nil
}

// PutResult is the outcome of Put.
type PutResult struct {
	Channel ChannelView
	Created bool
	// SecretsChanged names the write-only fields whose value changed.
	SecretsChanged []string
	// Changes is what applying the stored channels did.
	Changes Changes
}

// Put creates or replaces the stored channel name from body, the JSON
// of its configuration (see ParseChannelUpdate: strict, validated as
// the file is, write-only fields left out keep their stored values),
// checks that it can be built (TLS files), seals its secrets, stores it
// in the name of actor and applies it at once. Errors: a *FieldError
// joined list (ErrInvalidConfig) for a bad configuration, ErrReadOnly
// for a channel of the file, ErrNoStore, store.ErrConflict when the
// channel changed meanwhile.
func (s *Service) Put(ctx context.Context, name string, body []byte, actor string) (PutResult, error) {
	if s.cfg.Store == nil {
		return PutResult{}, ErrNoStore
	}
	if !namePattern.MatchString(name) {
		return PutResult{}, &FieldError{Path: "name", Reason: "must be 1 to 63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.file[name]; ok {
		return PutResult{}, fmt.Errorf("%w: %q (%s)", ErrReadOnly, name, s.cfg.FileName)
	}
	row, err := s.cfg.Store.Get(ctx, name)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return PutResult{}, err
	}
	var prev *ChannelConfig
	var prevErr error
	if found {
		c, err := s.open(row)
		if err == nil {
			prev = &c
		}
		prevErr = err
	}
	cfg, changed, err := ParseChannelUpdate(body, name, prev)
	if err != nil {
		if prevErr != nil {
			err = errors.Join(err, &FieldError{Reason: "the stored secrets cannot be used (" + prevErr.Error() + "): give every secret again"})
		}
		return PutResult{}, err
	}
	if !found && len(s.file)+len(s.api) >= maxChannels {
		return PutResult{}, &FieldError{Reason: fmt.Sprintf("there are %d channels already (at most %d, of the file and the API together)", len(s.file)+len(s.api), maxChannels)}
	}
	built, err := NewChannel(cfg)
	if err != nil {
		return PutResult{}, &FieldError{Reason: err.Error()}
	}
	_ = built.Close()
	pub, sec := SplitSecrets(cfg)
	config, err := json.Marshal(pub)
	if err != nil {
		return PutResult{}, fmt.Errorf("encode channel %s: %w", name, err)
	}
	var sealed []byte
	if !sec.IsZero() {
		plain, err := json.Marshal(sec)
		if err != nil {
			return PutResult{}, fmt.Errorf("encode the secrets of channel %s: %w", name, err)
		}
		if sealed, err = s.box.Seal(name, plain); err != nil {
			return PutResult{}, err
		}
	}
	if _, err := s.cfg.Store.Put(ctx, store.NotifyChannel{
		Name: name, Type: string(cfg.Type), Config: config, Secrets: sealed, Revision: row.Revision,
		UpdatedAt: s.now().UTC(), UpdatedBy: actor,
	}); err != nil {
		return PutResult{}, err
	}
	res := PutResult{Created: !found, SecretsChanged: changed}
	res.Changes, err = s.reload(ctx)
	if err != nil {
		return res, fmt.Errorf("channel %s %w (retried within %s): %w", name, ErrNotApplied, s.cfg.PollInterval, err)
	}
	res.Channel, _ = s.viewLocked(name)
	return res, nil
}

// DeleteResult is the outcome of Delete.
type DeleteResult struct {
	// Dropped counts the notifications the channel had waiting, which
	// were dropped.
	Dropped int
}

// Delete removes the stored channel name and stops it at once; its
// waiting notifications are dropped and counted. ErrUnknownChannel,
// ErrReadOnly for a channel of the file.
func (s *Service) Delete(ctx context.Context, name string) (DeleteResult, error) {
	if s.cfg.Store == nil {
		return DeleteResult{}, ErrNoStore
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.cfg.Store.Delete(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if _, ok := s.file[name]; ok {
			return DeleteResult{}, fmt.Errorf("%w: %q (%s)", ErrReadOnly, name, s.cfg.FileName)
		}
		return DeleteResult{}, fmt.Errorf("%w: %q", ErrUnknownChannel, name)
	case err != nil:
		return DeleteResult{}, err
	}
	ch, err := s.reload(ctx)
	if err != nil {
		return DeleteResult{}, fmt.Errorf("channel %s deleted: %w (retried within %s): %w", name, ErrNotApplied, s.cfg.PollInterval, err)
	}
	return DeleteResult{Dropped: ch.Dropped}, nil
}

// TestResult is the outcome of a test message.
type TestResult struct {
	OK bool `json:"ok"`
	// Error is why the delivery failed, without credentials; Permanent
	// says that retrying would not help.
	Error      string `json:"error,omitempty"`
	Permanent  bool   `json:"permanent,omitempty"`
	DurationMS int64  `json:"duration_ms"`
}

// Test sends a sample message through channel name now, bypassing its
// filter and queue, within 30 seconds, and reports the outcome. A
// running channel waits for its rate limit; a disabled one is built for
// the test. ErrUnknownChannel; ErrUnusable for a stored channel that
// cannot run.
func (s *Service) Test(ctx context.Context, name string) (TestResult, error) {
	s.mu.Lock()
	cfg, problem, found := s.configLocked(name)
	s.mu.Unlock()
	switch {
	case !found:
		return TestResult{}, fmt.Errorf("%w: %q", ErrUnknownChannel, name)
	case problem != "":
		return TestResult{}, fmt.Errorf("%w: %s: %s", ErrUnusable, name, problem)
	}
	ctx, cancel := context.WithTimeout(ctx, testTimeout)
	defer cancel()
	start := time.Now()
	err := s.d.Test(ctx, name)
	if errors.Is(err, ErrUnknownChannel) {
		err = TestChannel(ctx, cfg)
	}
	res := TestResult{OK: err == nil, DurationMS: time.Since(start).Milliseconds()}
	if err != nil {
		res.Error, res.Permanent = err.Error(), IsPermanent(err)
	}
	return res, nil
}

// configLocked returns the configuration of a channel of the file or the
// store.
func (s *Service) configLocked(name string) (cfg ChannelConfig, problem string, found bool) {
	if c, ok := s.file[name]; ok {
		return c, "", true
	}
	if sc, ok := s.api[name]; ok {
		return sc.cfg, sc.problem, true
	}
	return ChannelConfig{}, "", false
}
