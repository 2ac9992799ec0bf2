package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/center/api/httpjson"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/store"
)

// maxIntelUpload bounds an indicator file sent to POST /intel/import.
const maxIntelUpload = 64 << 20

// maxIntelAdd bounds the indicators of one POST /intel.
const maxIntelAdd = 10_000

// Intel is the threat-intelligence service as the API uses it
// (intel.Service is one). Listings read the store directly.
type Intel interface {
	Import(ctx context.Context, r io.Reader, opts intel.ImportOptions) (intel.ImportResult, error)
	Add(ctx context.Context, source string, ins []store.Indicator, actor string) (intel.ImportResult, error)
	Check(value string) (store.IndicatorType, string, []store.Indicator, error)
	// Reload brings the matcher in step with the store at once.
	Reload(ctx context.Context) error
}

// intelService returns the intelligence service, or a 503 when it is
// off.
func (s *server) intelService() (Intel, error) {
	if s.cfg.Intel == nil {
		return nil, errorf(http.StatusServiceUnavailable, "threat intelligence is off on this center")
	}
	return s.cfg.Intel, nil
}

func (s *server) listIndicators(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.IndicatorFilter{Type: store.IndicatorType(q.Get("type")), Source: q.Get("source"), Q: q.Get("q"), At: s.now()}
	if f.Type != "" && !slices.Contains(store.IndicatorTypes, f.Type) {
		return errorf(http.StatusBadRequest, "type %q: want one of %s", f.Type, indicatorTypeList())
	}
	if len(f.Source) > maxQueryLen || len(f.Q) > maxQueryLen {
		return errorf(http.StatusBadRequest, "source and q: at most %d bytes", maxQueryLen)
	}
	switch q.Get("expired") {
	case "true":
		f.Expired = true
	case "", "false":
	default:
		return errorf(http.StatusBadRequest, "expired %q: want true or false", q.Get("expired"))
	}
	var err error
	if f.Page, err = page(q); err != nil {
		return err
	}
	list, next, err := s.cfg.Store.Intel().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list indicators")
	}
	writeList(w, list, next)
	return nil
}

// indicatorTypeList names the indicator types for error messages.
func indicatorTypeList() string {
	names := make([]string, len(store.IndicatorTypes))
	for i, t := range store.IndicatorTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

func (s *server) getIndicator(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	in, err := s.cfg.Store.Intel().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "indicator "+id)
	}
	writeJSON(w, http.StatusOK, in)
	return nil
}

func (s *server) listIntelSources(w http.ResponseWriter, r *http.Request, c *call) error {
	list, err := s.cfg.Store.Intel().Sources(r.Context())
	if err != nil {
		return storeError(err, "list intelligence sources")
	}
	writeList(w, list, "")
	return nil
}

// checkAnswer is the answer of GET /intel/check.
type checkAnswer struct {
	Value      string              `json:"value"`
	Type       store.IndicatorType `json:"type"`
	Normalized string              `json:"normalized"`
	Matches    []store.Indicator   `json:"matches"`
}

func (s *server) checkIndicator(w http.ResponseWriter, r *http.Request, c *call) error {
	svc, err := s.intelService()
	if err != nil {
		return err
	}
	v := r.URL.Query().Get("value")
	if v == "" || len(v) > maxTextLen {
		return errorf(http.StatusBadRequest, "value: give an address, network, domain, URL or file hash of at most %d bytes", maxTextLen)
	}
	t, norm, matches, err := svc.Check(v)
	if err != nil {
		return errorf(http.StatusBadRequest, "value %q: %v", v, err)
	}
	if matches == nil {
		matches = []store.Indicator{}
	}
	writeJSON(w, http.StatusOK, checkAnswer{Value: v, Type: t, Normalized: norm, Matches: matches})
	return nil
}

// indicatorInput is one indicator of POST /intel.
type indicatorInput struct {
	Type        store.IndicatorType `json:"type"`
	Value       string              `json:"value"`
	Description string              `json:"description"`
	Severity    string              `json:"severity"`
	Confidence  *int                `json:"confidence"`
	Tags        []string            `json:"tags"`
	Techniques  []string            `json:"techniques"`
	Reference   string              `json:"reference"`
	ExpiresAt   time.Time           `json:"expires_at"`
}

// addIndicatorsRequest is the body of POST /intel.
type addIndicatorsRequest struct {
	Source     string           `json:"source"`
	Indicators []indicatorInput `json:"indicators"`
}

func (s *server) addIndicators(w http.ResponseWriter, r *http.Request, c *call) error {
	svc, err := s.intelService()
	if err != nil {
		return err
	}
	var req addIndicatorsRequest
	if err := decodeBody(w, r, &req); err != nil {
		return err
	}
	if req.Source == "" {
		req.Source = "manual"
	}
	c.target = req.Source
	if len(req.Source) > maxNameLen {
		return errorf(http.StatusBadRequest, "source: at most %d bytes", maxNameLen)
	}
	switch n := len(req.Indicators); {
	case n == 0:
		return errorf(http.StatusBadRequest, "indicators: give at least one")
	case n > maxIntelAdd:
		return errorf(http.StatusBadRequest, "indicators: at most %d at once; import a file for more", maxIntelAdd)
	}
	ins := make([]store.Indicator, len(req.Indicators))
	for i, in := range req.Indicators {
		ins[i] = store.Indicator{Type: in.Type, Value: in.Value, Source: req.Source, Description: in.Description,
			Severity: in.Severity, Confidence: -1, Tags: in.Tags, Techniques: in.Techniques, Reference: in.Reference,
			ExpiresAt: in.ExpiresAt}
		if in.Confidence != nil {
			ins[i].Confidence = *in.Confidence
		}
	}
	res, err := svc.Add(r.Context(), req.Source, ins, c.p.Actor())
	if errors.Is(err, store.ErrInvalid) {
		c.note("problems", res.Problems)
		refuseIndicators(w, err, res.Problems)
		return nil
	}
	if err != nil {
		return fmt.Errorf("add indicators: %w", err)
	}
	noteImport(c, res)
	writeJSON(w, http.StatusOK, res)
	return nil
}

// indicatorRefusal is the 400 answer to indicators none of which is
// valid: the error envelope and the problem of each.
type indicatorRefusal struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Problems []intel.Problem `json:"problems"`
}

// refuseIndicators answers 400 with every problem of the indicators.
func refuseIndicators(w http.ResponseWriter, err error, problems []intel.Problem) {
	var body indicatorRefusal
	body.Error.Code = httpjson.Code(http.StatusBadRequest)
	body.Error.Message = err.Error()
	body.Problems = problems
	if body.Problems == nil {
		body.Problems = []intel.Problem{}
	}
	writeJSON(w, http.StatusBadRequest, body)
}

// noteImport writes the figures of an import to the audit entry.
func noteImport(c *call, res intel.ImportResult) {
	c.note("format", res.Format)
	c.note("read", res.Read)
	c.note("added", res.Added)
	c.note("updated", res.Updated)
	c.note("removed", res.Removed)
	c.note("skipped", res.Skipped)
	c.note("problems", len(res.Problems))
}

func (s *server) importIndicators(w http.ResponseWriter, r *http.Request, c *call) error {
	svc, err := s.intelService()
	if err != nil {
		return err
	}
	q := r.URL.Query()
	opts := intel.ImportOptions{Source: q.Get("source"), Format: intel.Format(q.Get("format")),
		Severity: q.Get("severity"), Actor: c.p.Actor(), Replace: q.Get("replace") == "true"}
	c.target = opts.Source
	if opts.Source == "" || len(opts.Source) > maxNameLen {
		return errorf(http.StatusBadRequest, "source: name the feed or list the file is (at most %d bytes)", maxNameLen)
	}
	if v := q.Get("replace"); v != "" && v != "true" && v != "false" {
		return errorf(http.StatusBadRequest, "replace %q: want true or false", v)
	}
	if v := q.Get("confidence"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100 {
			return errorf(http.StatusBadRequest, "confidence %q: want 0 to 100", v)
		}
		opts.Confidence = n
	}
	if v := q.Get("tags"); v != "" {
		for t := range strings.SplitSeq(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				opts.Tags = append(opts.Tags, t)
			}
		}
	}
	if v := q.Get("expires_in"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return errorf(http.StatusBadRequest, "expires_in %q: want a positive duration such as 720h", v)
		}
		opts.ExpiresAt = s.now().Add(d).UTC()
	}
	res, err := svc.Import(r.Context(), http.MaxBytesReader(w, r.Body, maxIntelUpload), opts)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return errorf(http.StatusRequestEntityTooLarge, "indicator file larger than %d bytes", maxIntelUpload)
	case errors.Is(err, store.ErrInvalid), errors.Is(err, intel.ErrBadFile):
		return errorf(http.StatusBadRequest, "%v", err)
	case err != nil:
		return fmt.Errorf("import indicators: %w", err)
	}
	noteImport(c, res)
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *server) deleteIndicator(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("id")
	c.target = id
	in, err := s.cfg.Store.Intel().Get(r.Context(), id)
	if err != nil {
		return storeError(err, "indicator "+id)
	}
	if err := s.cfg.Store.Intel().Delete(r.Context(), id); err != nil {
		return storeError(err, "indicator "+id)
	}
	c.note("type", in.Type)
	c.note("value", in.Value)
	c.note("source", in.Source)
	s.reloadIntel(r.Context())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) deleteIntelSource(w http.ResponseWriter, r *http.Request, c *call) error {
	name := r.PathValue("name")
	c.target = name
	n, err := s.cfg.Store.Intel().DeleteSource(r.Context(), name)
	if err != nil {
		return storeError(err, "intelligence source "+name)
	}
	if n == 0 {
		return errorf(http.StatusNotFound, "intelligence source %s not found", name)
	}
	c.note("removed", n)
	s.reloadIntel(r.Context())
	writeJSON(w, http.StatusOK, map[string]int{"removed": n})
	return nil
}

// reloadIntel brings the matcher in step after a change made through
// the store; when it fails, the periodic reload does it.
func (s *server) reloadIntel(ctx context.Context) {
	if s.cfg.Intel == nil {
		return
	}
	if err := s.cfg.Intel.Reload(ctx); err != nil {
		s.log.Warn("intel: reload after a change", "err", err)
	}
}
