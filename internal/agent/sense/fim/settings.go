package fim

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Mechanism choices of the "mechanism" setting.
const (
	MechanismAuto     = "auto"
	MechanismFanotify = "fanotify"
	MechanismInotify  = "inotify"
)

// Choices of the "fanotify_marks" setting.
const (
	// FanotifyMarksInode marks each watched directory: the kernel wakes
	// the agent only for changes in the watched trees.
	FanotifyMarksInode = "inode"
	// FanotifyMarksFilesystem marks the watched trees' whole filesystems:
	// the kernel wakes the agent for every change on them and the agent
	// drops those outside the trees.
	FanotifyMarksFilesystem = "filesystem"
)

// Settings are the sensor's policy settings (a JSON object; every field is
// optional, see the package documentation for the defaults).
type Settings struct {
	Paths    []string `json:"paths,omitempty"`
	WebRoots []string `json:"web_roots,omitempty"`
	// DiscoverWebRoots adds the document roots of the host's web servers
	// (Sensor.DiscoverWebRoots) to the watched trees; default true.
	DiscoverWebRoots *bool    `json:"discover_web_roots,omitempty"`
	Exclude          []string `json:"exclude,omitempty"`
	MaxFileSize      Size     `json:"max_file_size,omitempty"`
	DiffMaxSize      Size     `json:"diff_max_size,omitempty"`
	DiffStoreSize    Size     `json:"diff_store_size,omitempty"`
	Hash             *bool    `json:"hash,omitempty"`
	RescanInterval   Duration `json:"rescan_interval,omitempty"`
	ReadRate         Size     `json:"read_rate,omitempty"`
	HashWorkers      int      `json:"hash_workers,omitempty"`
	MergeWindow      Duration `json:"merge_window,omitempty"`
	Mechanism        string   `json:"mechanism,omitempty"`
	FanotifyMarks    string   `json:"fanotify_marks,omitempty"`
}

// Defaults of the settings.
const (
	DefaultMaxFileSize    = 128 << 20
	DefaultDiffMaxSize    = 64 << 10
	DefaultDiffStoreSize  = 32 << 20
	DefaultRescanInterval = 24 * time.Hour
	DefaultReadRate       = 50 << 20
	DefaultHashWorkers    = 1
	DefaultMergeWindow    = 2 * time.Second
)

// defaultSettings returns the settings with every default filled in.
func defaultSettings() Settings {
	on := true
	return Settings{
		MaxFileSize:      DefaultMaxFileSize,
		DiffMaxSize:      DefaultDiffMaxSize,
		DiffStoreSize:    DefaultDiffStoreSize,
		Hash:             &on,
		DiscoverWebRoots: &on,
		RescanInterval:   Duration(DefaultRescanInterval),
		ReadRate:         DefaultReadRate,
		HashWorkers:      DefaultHashWorkers,
		MergeWindow:      Duration(DefaultMergeWindow),
		Mechanism:        MechanismAuto,
		FanotifyMarks:    FanotifyMarksInode,
	}
}

// ParseSettings decodes raw strictly (unknown fields are errors) over the
// defaults and validates the result. Empty raw gives the defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := defaultSettings()
	var in Settings
	if err := plugin.DecodeSettings(raw, &in); err != nil {
		return s, fmt.Errorf("fim %w", err)
	}
	if in.Paths != nil {
		s.Paths = in.Paths
	}
	s.WebRoots, s.Exclude = in.WebRoots, in.Exclude
	if in.MaxFileSize != 0 {
		s.MaxFileSize = in.MaxFileSize
	}
	if in.DiffMaxSize != 0 {
		s.DiffMaxSize = in.DiffMaxSize
	}
	if in.DiffStoreSize != 0 {
		s.DiffStoreSize = in.DiffStoreSize
	}
	if in.Hash != nil {
		s.Hash = in.Hash
	}
	if in.DiscoverWebRoots != nil {
		s.DiscoverWebRoots = in.DiscoverWebRoots
	}
	if in.RescanInterval != 0 {
		s.RescanInterval = in.RescanInterval
	}
	if in.ReadRate != 0 {
		s.ReadRate = in.ReadRate
	}
	if in.HashWorkers != 0 {
		s.HashWorkers = in.HashWorkers
	}
	if in.MergeWindow != 0 {
		s.MergeWindow = in.MergeWindow
	}
	if in.Mechanism != "" {
		s.Mechanism = in.Mechanism
	}
	if in.FanotifyMarks != "" {
		s.FanotifyMarks = in.FanotifyMarks
	}
	return s, s.validate()
}

func (s *Settings) validate() error {
	var errs []error
	for _, list := range []struct {
		name  string
		paths []string
	}{{"paths", s.Paths}, {"web_roots", s.WebRoots}} {
		for _, p := range list.paths {
			if !strings.HasPrefix(p, "/") || strings.ContainsRune(p, 0) {
				errs = append(errs, fmt.Errorf("%s: %q is not an absolute path", list.name, p))
			}
		}
	}
	for _, g := range s.Exclude {
		if g == "" {
			errs = append(errs, errors.New("exclude: empty pattern"))
		} else if _, err := path.Match(g, ""); err != nil {
			errs = append(errs, fmt.Errorf("exclude: %q: %w", g, err))
		}
	}
	if s.MaxFileSize.value() < 0 {
		errs = append(errs, errors.New("max_file_size: negative"))
	}
	if s.DiffMaxSize.value() < 0 || s.DiffMaxSize.value() > 1<<20 {
		errs = append(errs, errors.New("diff_max_size: must be between 0 and 1 MiB"))
	}
	if s.DiffStoreSize.value() < 0 {
		errs = append(errs, errors.New("diff_store_size: negative"))
	}
	if r := s.RescanInterval.value(); r < 0 || r > 0 && r < time.Minute {
		errs = append(errs, errors.New("rescan_interval: at least 1m (or \"0\" for never)"))
	}
	if s.ReadRate.value() < 0 {
		errs = append(errs, errors.New("read_rate: negative"))
	}
	if s.HashWorkers < 1 || s.HashWorkers > 16 {
		errs = append(errs, errors.New("hash_workers: must be between 1 and 16"))
	}
	if w := s.MergeWindow.value(); w < 0 || w > time.Minute {
		errs = append(errs, errors.New("merge_window: must be between 0 and 1m"))
	}
	switch s.Mechanism {
	case MechanismAuto, MechanismFanotify, MechanismInotify:
	default:
		errs = append(errs, fmt.Errorf("mechanism: %q is not auto, fanotify or inotify", s.Mechanism))
	}
	switch s.FanotifyMarks {
	case FanotifyMarksInode, FanotifyMarksFilesystem:
	default:
		errs = append(errs, fmt.Errorf("fanotify_marks: %q is not inode or filesystem", s.FanotifyMarks))
	}
	if len(errs) > 0 {
		return fmt.Errorf("fim settings: %w", errors.Join(errs...))
	}
	return nil
}

// Size is a byte count: a JSON number, or a string with a unit ("64KiB",
// "50MiB", "1GiB", "512", "10MB"). A string "0" means zero, where the
// setting allows it (read_rate "0": no limit).
type Size int64

// UnmarshalJSON implements json.Unmarshaler.
func (s *Size) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		v, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil {
			return fmt.Errorf("size %s: %w", b, err)
		}
		if v == 0 {
			v = zeroSize
		}
		*s = Size(v)
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("size %s: want a number of bytes or a string such as \"64KiB\"", b)
	}
	v, err := parseSize(str)
	if err != nil {
		return err
	}
	if v == 0 {
		v = zeroSize
	}
	*s = Size(v)
	return nil
}

// zeroSize stands for an explicit zero, which the zero value cannot say.
const zeroSize = -1 << 62

// value returns the size, with an explicit zero as 0.
func (s Size) value() int64 {
	if s == zeroSize {
		return 0
	}
	return int64(s)
}

func parseSize(str string) (int64, error) {
	t := strings.TrimSpace(str)
	i := len(t)
	for i > 0 && (t[i-1] < '0' || t[i-1] > '9') {
		i--
	}
	num, unit := t[:i], strings.TrimSpace(t[i:])
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1000, "KiB": 1 << 10, "M": 1 << 20, "MB": 1000 * 1000,
		"MiB": 1 << 20, "G": 1 << 30, "GB": 1000 * 1000 * 1000, "GiB": 1 << 30}[unit]
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || mult == 0 || v < 0 || v > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a whole number with an optional unit (KiB, MiB, GiB)", str)
	}
	return v * mult, nil
}

// Duration is a Go duration string ("30s", "24h"; "0" for never) or a
// number of seconds.
type Duration time.Duration

// zeroDuration stands for an explicit "0".
const zeroDuration = -1 << 62

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var secs float64
	if err := json.Unmarshal(b, &secs); err == nil {
		*d = Duration(secs * float64(time.Second))
		if secs == 0 {
			*d = zeroDuration
		}
		return nil
	}
	var str string
	if err := json.Unmarshal(b, &str); err != nil {
		return fmt.Errorf("duration %s: want a string such as \"30s\"", b)
	}
	v, err := time.ParseDuration(str)
	if err != nil {
		return fmt.Errorf("duration %q: %w", str, err)
	}
	*d = Duration(v)
	if v == 0 {
		*d = zeroDuration
	}
	return nil
}

// value returns the duration, with an explicit zero as 0.
func (d Duration) value() time.Duration {
	if d == zeroDuration {
		return 0
	}
	return time.Duration(d)
}
