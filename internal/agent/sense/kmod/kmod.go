// Package kmod is the kmod sensor: it reports kernel modules loaded and
// unloaded, who did it and from which file, failed attempts to do either,
// and the modules that came and went while the agent was not running.
//
// # Mechanisms
//
// One sensor, whose mechanism Configure decides from what the kernel
// offers (the setting "mechanism" can force one):
//
//   - "ebpf" where the kernel's BTF has the module_load and module_free
//     tracepoints. Both fire in the context of the task in the module
//     syscall, so the events name the process (pid, name, users, parent,
//     entity ids; executable and arguments from /proc while it lives);
//     for finit_module the program resolves the file descriptor's path
//     in the kernel while the syscall holds it, which is reliable where
//     a look at /proc/PID/fd from user space would race with the
//     syscall's end. A third program on sys_exit reports the module
//     syscalls that fail (no privilege, a rejected signature, no module
//     support), which the tracepoints never see. It returns after one
//     comparison unless a syscall failed, but a program on sys_exit puts
//     every syscall of the host through the kernel's syscall tracing
//     path: about 100 ns more per syscall (BenchmarkSysExitCost), so it
//     runs only when the setting failed_attempts turns it on.
//   - "proc-modules" elsewhere: /proc/modules is read every
//     poll_interval and compared with the previous reading. The loading
//     process is unknown; the module's file is looked up by name in the
//     running kernel's modules.dep, as modinfo -n does.
//   - On a kernel without loadable module support (no /proc/modules) but
//     with BTF and failed_attempts on, "ebpf" with the sys_exit program
//     alone: every attempt to load a module fails there, and each is
//     reported. With failed_attempts off there is nothing to observe and
//     Configure says so (plugin.ErrUnsupported: the sensor is skipped).
//
// One sensor rather than two alternatives, because both mechanisms share
// the module table, its snapshot and the modules.dep lookup, and the eBPF
// one reads /proc/modules too (for sizes and for what changed while the
// agent was stopped).
//
// # Events
//
// Every event has event.category "driver", event.dataset "kmod" and,
// unless a load failed before the kernel read the module's name,
// vigil.kmod.name.
//
//   - module-loaded (event.type start, outcome success) and
//     module-unloaded (end, success): vigil.kmod.{size, taints,
//     taint_flags, signed, path, path_source ("syscall" or
//     "modules.dep"), unusual_path (the file lies outside /lib/modules
//     and /usr/lib/modules), file_deleted, in_modules_dep, syscall,
//     params, load_flags}; process.* and user.* from eBPF.
//     vigil.kmod.init_failed marks a module freed because its init
//     function failed (its code did run). vigil.offline marks what
//     happened while the agent was stopped; vigil.kmod.resync what a
//     comparison with /proc/modules found after lost eBPF records.
//   - module-load-failed (start, failure) and module-unload-failed (end,
//     failure): error.code (errno name), error.message, the process,
//     vigil.kmod.{syscall, path, unusual_path, params, image_size} and
//     for unloads the module name asked for.
//
// # Counters
//
// The sensor's counters (plugin.Counted), totals since it was created:
// lost_records (eBPF records the ring buffer had no room for),
// malformed_records (eBPF records that did not decode),
// malformed_module_lines (lines of /proc/modules that did not parse, a
// line that stays bad counted once), malformed_modules_dep_lines (once
// per version of modules.dep), resyncs (comparisons with /proc/modules
// after lost records), snapshot_errors (a saved module table unreadable
// or not written); and modules, the size of the module table.
//
// # Settings
//
// A JSON object; every field is optional.
//
//   - mechanism ("auto", "ebpf" or "poll"; default "auto").
//   - poll_interval (Go duration, default "5s", from "100ms" to "1h"):
//     how often /proc/modules is read by the proc-modules mechanism.
//   - failed_attempts (bool, default false): report failed module
//     syscalls (eBPF only). Off by default for its cost on every
//     syscall of the host.
package kmod

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Name is the sensor's name.
const Name = "kmod"

// Actions of the events.
const (
	ActionLoaded       = "module-loaded"
	ActionUnloaded     = "module-unloaded"
	ActionLoadFailed   = "module-load-failed"
	ActionUnloadFailed = "module-unload-failed"
)

// Mechanisms.
const (
	MechanismEBPF = "ebpf"
	MechanismPoll = "proc-modules"
)

// Values of the setting "mechanism".
const (
	ChooseAuto = "auto"
	ChooseEBPF = "ebpf"
	ChoosePoll = "poll"
)

// stateDir is the agent's folder for the state of its parts, inside its
// data directory, and stateFile the sensor's snapshot in it.
const (
	stateDir  = "state"
	stateFile = "kmod.json"
)

// Settings are the sensor's settings (see the package documentation).
type Settings struct {
	Mechanism      string          `json:"mechanism"`
	PollInterval   plugin.Duration `json:"poll_interval"`
	FailedAttempts bool            `json:"failed_attempts"`
}

// DefaultSettings returns the settings used when the policy sets none.
func DefaultSettings() Settings {
	return Settings{Mechanism: ChooseAuto, PollInterval: plugin.Duration(5 * time.Second)}
}

// ParseSettings decodes and checks settings; empty raw gives the
// defaults, fields not given keep their defaults.
func ParseSettings(raw json.RawMessage) (Settings, error) {
	s := DefaultSettings()
	if err := plugin.DecodeSettings(raw, &s); err != nil {
		return Settings{}, fmt.Errorf("kmod %w", err)
	}
	switch s.Mechanism {
	case ChooseAuto, ChooseEBPF, ChoosePoll:
	default:
		return Settings{}, fmt.Errorf("kmod settings: mechanism %q is not auto, ebpf or poll", s.Mechanism)
	}
	if p := time.Duration(s.PollInterval); p < 100*time.Millisecond || p > time.Hour {
		return Settings{}, fmt.Errorf("kmod settings: poll_interval %s is not between 100ms and 1h", p)
	}
	return s, nil
}

// probe is what Configure found about the kernel.
type probe struct {
	// procModules: <root>/proc/modules exists (loadable module support).
	procModules bool
	// btf: the kernel's BTF is there for CO-RE programs.
	btf bool
	// tracepoints: the BTF has module_load and module_free.
	tracepoints bool
	// tracepointErr says why tracepoints is false.
	tracepointErr error
	// signing: the kernel checks module signatures (CONFIG_MODULE_SIG),
	// so the taint E means an unsigned module.
	signing bool
	// release is the running kernel's release (uname -r).
	release string
}

// Sensor reports kernel module loads and unloads.
type Sensor struct {
	mu         sync.Mutex
	settings   Settings
	configured bool
	root       string
	statePath  string
	hostID     string
	bootID     string
	probe      probe
	log        *slog.Logger
	counters   counters
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with its default settings.
func New() *Sensor { return &Sensor{settings: DefaultSettings()} }

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }

// Requirements implements plugin.Plugin.
func (*Sensor) Requirements() plugin.Requirements {
	return plugin.Requirements{OS: []string{"linux"}, Root: true}
}

// Mechanism implements plugin.Sensor: the mechanism Run uses with the
// current settings on this kernel ("ebpf" before Configure).
func (s *Sensor) Mechanism() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured {
		return MechanismEBPF
	}
	m, err := decide(s.settings, s.probe)
	if err != nil {
		return "none"
	}
	return m
}

// Configure implements plugin.Configurer: it looks at what the kernel
// offers and fails when there is nothing this sensor can observe.
func (s *Sensor) Configure(env plugin.Env) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = env.Logger
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("sensor", Name)
	s.root = env.Root
	if s.root == "" {
		s.root = "/"
	}
	s.hostID = env.HostID
	if env.DataDir != "" {
		s.statePath = filepath.Join(env.DataDir, stateDir, stateFile)
	}
	at := func(p string) string { return filepath.Join(s.root, p) }
	_, err := os.Stat(at("proc/modules"))
	s.probe.procModules = err == nil
	_, err = os.Stat(at("sys/module/module/parameters/sig_enforce"))
	s.probe.signing = err == nil
	if b, err := os.ReadFile(at("proc/sys/kernel/osrelease")); err == nil {
		s.probe.release = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile(at("proc/sys/kernel/random/boot_id")); err == nil {
		s.bootID = strings.TrimSpace(string(b))
	}
	s.probe.btf, s.probe.tracepoints, s.probe.tracepointErr = probeKernel()
	s.configured = true
	if s.settings.Mechanism == "" {
		s.settings = DefaultSettings()
	}
	if _, err := decide(s.settings, s.probe); err != nil {
		return err
	}
	return nil
}

// ApplySettings implements plugin.Tunable.
func (s *Sensor) ApplySettings(raw json.RawMessage) error {
	st, err := ParseSettings(raw)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.configured {
		if _, err := decide(st, s.probe); err != nil {
			return err
		}
	}
	s.settings = st
	return nil
}

// decide returns the mechanism for settings on a kernel, or why none
// can run.
func decide(set Settings, p probe) (string, error) {
	switch set.Mechanism {
	case ChoosePoll:
		if !p.procModules {
			return "", fmt.Errorf("kmod: mechanism poll: %w", errNoModules)
		}
		return MechanismPoll, nil
	case ChooseEBPF:
		switch {
		case !p.btf:
			return "", errors.New("kmod: mechanism ebpf: the kernel has no BTF (/sys/kernel/btf/vmlinux)")
		case p.tracepoints:
			return MechanismEBPF, nil
		case p.procModules:
			return "", fmt.Errorf("kmod: mechanism ebpf: %w", p.tracepointErr)
		case !set.FailedAttempts:
			return "", fmt.Errorf("kmod: mechanism ebpf: %w, and failed_attempts is off", errNoModules)
		}
		return MechanismEBPF, nil
	}
	switch {
	case p.tracepoints:
		return MechanismEBPF, nil
	case p.procModules:
		return MechanismPoll, nil
	case p.btf && set.FailedAttempts:
		return MechanismEBPF, nil
	case p.btf:
		return "", fmt.Errorf("kmod: %w, and failed_attempts is off: nothing to observe", errNoModules)
	}
	return "", fmt.Errorf("kmod: %w, and no BTF to trace load attempts: nothing to observe", errNoModules)
}

// config is what one Run needs.
type config struct {
	settings  Settings
	mechanism string
	root      string
	statePath string
	hostID    string
	bootID    string
	probe     probe
	log       *slog.Logger
}

// current returns the configuration for a Run.
func (s *Sensor) current() (config, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.configured {
		return config{}, errors.New("kmod: not configured")
	}
	if s.settings.Mechanism == "" {
		s.settings = DefaultSettings()
	}
	m, err := decide(s.settings, s.probe)
	if err != nil {
		return config{}, err
	}
	return config{settings: s.settings, mechanism: m, root: s.root, statePath: s.statePath,
		hostID: s.hostID, bootID: s.bootID, probe: s.probe, log: s.log}, nil
}
