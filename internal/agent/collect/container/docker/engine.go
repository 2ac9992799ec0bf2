package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors of the engine client.
var (
	// ErrNoEngine: nothing listens on the socket (it is missing, or the
	// engine is stopped).
	ErrNoEngine = errors.New("no Docker engine")
	// ErrPermission: the agent's user may not use the socket.
	ErrPermission = errors.New("permission denied on the Docker engine socket")
	// ErrTooLarge: a response is larger than its bound.
	ErrTooLarge = errors.New("engine response larger than the limit")
	// ErrMalformed: a response is not the JSON the Engine API describes.
	ErrMalformed = errors.New("malformed engine response")
	// ErrAPIVersion: the engine speaks no API version the collector reads.
	ErrAPIVersion = errors.New("unsupported Engine API version")
)

// APIError is an error status of the engine, with the message of its
// {"message": "..."} body.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("engine answered %d: %s", e.Status, e.Message)
}

// Bounds on what is read.
const (
	maxListing   = 64 << 20 // a container or image listing
	maxContainer = 8 << 20  // one container's inspection
	maxSmall     = 1 << 20  // /version, error bodies
	// requestTimeout bounds one request.
	requestTimeout = 30 * time.Second
)

// API versions: the highest the decoders were checked against, and the
// lowest accepted.
var (
	maxAPI = apiVersion{1, 47}
	minAPI = apiVersion{1, 24}
)

// engine is a client of one engine socket, for one run.
type engine struct {
	socket  string // path to dial, as this process sees it
	hc      *http.Client
	tr      *http.Transport
	version string // "v1.45", set by negotiate
}

func newEngine(socket string) *engine {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConns:          2,
		IdleConnTimeout:       10 * time.Second,
		ResponseHeaderTimeout: requestTimeout,
		DisableCompression:    true,
	}
	return &engine{socket: socket, tr: tr, hc: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

// close drops the idle connections: none is kept between runs.
func (e *engine) close() { e.tr.CloseIdleConnections() }

// get reads path (with its query) and returns the body of a 200 answer,
// at most limit bytes.
func (e *engine) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return nil, e.connError(path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %w", path, readAPIError(resp))
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("GET %s: %w (%d bytes)", path, ErrTooLarge, limit)
	}
	return b, nil
}

// connError names why the socket could not be used.
func (e *engine) connError(path string, err error) error {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return fmt.Errorf("%w: socket %s is missing", ErrNoEngine, e.socket)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%w: nothing listens on %s (engine stopped?)", ErrNoEngine, e.socket)
	case errors.Is(err, syscall.EACCES), errors.Is(err, syscall.EPERM):
		return fmt.Errorf("%w %s: the agent needs root or the socket's group", ErrPermission, e.socket)
	}
	return fmt.Errorf("GET %s on %s: %w", path, e.socket, err)
}

// readAPIError reads an error answer: the engine's {"message": ...}, or
// the start of whatever else it sent.
func readAPIError(resp *http.Response) *APIError {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxSmall))
	var body struct {
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(b, &body) == nil && body.Message != "" {
		msg = body.Message
	} else {
		msg = strings.TrimSpace(string(b))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		if msg == "" {
			msg = http.StatusText(resp.StatusCode)
		}
	}
	return &APIError{Status: resp.StatusCode, Message: msg}
}

// negotiate reads the engine's version and chooses the API version of
// the paths.
func (e *engine) negotiate(ctx context.Context) (versionInfo, error) {
	b, err := e.get(ctx, "/version", maxSmall)
	if err != nil {
		return versionInfo{}, err
	}
	v, err := decodeVersion(b)
	if err != nil {
		return versionInfo{}, err
	}
	use, err := chooseAPI(v.APIVersion, v.MinAPIVersion)
	if err != nil {
		return v, err
	}
	e.version = "v" + use.String()
	return v, nil
}

// chooseAPI returns the version to speak with an engine whose highest and
// lowest API versions are server and serverMin ("" when it does not say).
func chooseAPI(server, serverMin string) (apiVersion, error) {
	hi, err := parseAPIVersion(server)
	if err != nil {
		return apiVersion{}, fmt.Errorf("%w: engine API version %q: %w", ErrMalformed, server, err)
	}
	use := hi
	if maxAPI.less(use) {
		use = maxAPI
	}
	if serverMin != "" {
		lo, err := parseAPIVersion(serverMin)
		if err != nil {
			return apiVersion{}, fmt.Errorf("%w: engine minimum API version %q: %w", ErrMalformed, serverMin, err)
		}
		if use.less(lo) {
			// An engine that dropped the versions we know: the fields
			// read are stable, newer answers only add to them.
			use = lo
		}
	}
	if use.less(minAPI) {
		return apiVersion{}, fmt.Errorf("%w: engine speaks %s, the collector needs %s or later", ErrAPIVersion, hi, minAPI)
	}
	return use, nil
}

// apiVersion is an Engine API version, major.minor.
type apiVersion struct{ major, minor int }

func (v apiVersion) String() string { return fmt.Sprintf("%d.%d", v.major, v.minor) }

func (v apiVersion) less(w apiVersion) bool {
	return v.major < w.major || v.major == w.major && v.minor < w.minor
}

func parseAPIVersion(s string) (apiVersion, error) {
	maj, min, ok := strings.Cut(s, ".")
	if !ok {
		return apiVersion{}, errors.New("not major.minor")
	}
	a, err1 := strconv.Atoi(maj)
	b, err2 := strconv.Atoi(min)
	if err1 != nil || err2 != nil || a < 0 || b < 0 || a > 99 || b > 999 {
		return apiVersion{}, errors.New("not major.minor")
	}
	return apiVersion{a, b}, nil
}

// containerIDs lists every container, running or not.
func (e *engine) containers(ctx context.Context) ([]containerSummary, error) {
	b, err := e.get(ctx, "/"+e.version+"/containers/json?all=1", maxListing)
	if err != nil {
		return nil, err
	}
	return decodeContainerList(b)
}

// inspect reads one container; nil, nil when it is gone.
func (e *engine) inspect(ctx context.Context, id string) (*containerJSON, error) {
	b, err := e.get(ctx, "/"+e.version+"/containers/"+url.PathEscape(id)+"/json", maxContainer)
	var ae *APIError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeContainer(b)
}

// images lists the images.
func (e *engine) images(ctx context.Context) ([]imageSummary, error) {
	b, err := e.get(ctx, "/"+e.version+"/images/json", maxListing)
	if err != nil {
		return nil, err
	}
	return decodeImages(b)
}
