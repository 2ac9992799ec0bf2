package containerd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/vigilsec/vigil/internal/event"
)

// ErrMalformed reports a runtime spec or metadata record that cannot be
// what containerd writes.
var ErrMalformed = errors.New("malformed containerd data")

// maxSpec bounds a runtime spec (config.json, or the spec of a container
// record): a privileged container's lists every host device, some tens of
// KiB.
const maxSpec = 4 << 20

// spec is the part of an OCI runtime spec (config.json) the collector
// reads. process.env is deliberately not a field: it is never decoded.
type spec struct {
	OCIVersion string `json:"ociVersion"`
	Process    *struct {
		User struct {
			UID uint32 `json:"uid"`
			GID uint32 `json:"gid"`
		} `json:"user"`
		Args         []string `json:"args"`
		Cwd          string   `json:"cwd"`
		Capabilities *struct {
			Bounding []string `json:"bounding"`
		} `json:"capabilities"`
		ApparmorProfile string `json:"apparmorProfile"`
		NoNewPrivileges bool   `json:"noNewPrivileges"`
	} `json:"process"`
	Root *struct {
		Readonly bool `json:"readonly"`
	} `json:"root"`
	Mounts []struct {
		Destination string   `json:"destination"`
		Type        string   `json:"type"`
		Source      string   `json:"source"`
		Options     []string `json:"options"`
	} `json:"mounts"`
	Annotations map[string]string `json:"annotations"`
	Linux       *struct {
		Namespaces []struct {
			Type string `json:"type"`
			Path string `json:"path"`
		} `json:"namespaces"`
		Seccomp *struct {
			DefaultAction string `json:"defaultAction"`
		} `json:"seccomp"`
		Devices []struct {
			Path string `json:"path"`
		} `json:"devices"`
	} `json:"linux"`
}

// decodeSpec decodes an OCI runtime spec.
func decodeSpec(b []byte) (*spec, error) {
	if len(b) > maxSpec {
		return nil, fmt.Errorf("%w: runtime spec of %d bytes", ErrMalformed, len(b))
	}
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: runtime spec is not UTF-8", ErrMalformed)
	}
	var s spec
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%w: runtime spec: %w", ErrMalformed, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: runtime spec: data after the document", ErrMalformed)
	}
	if s.OCIVersion == "" || s.Process == nil || s.Linux == nil {
		return nil, fmt.Errorf("%w: runtime spec without ociVersion, process or linux", ErrMalformed)
	}
	return &s, nil
}

// specTypeURL is the type of the runtime spec in containerd's container
// records.
const specTypeURL = "types.containerd.io/opencontainers/runtime-spec/1/Spec"

// decodeSpecAny decodes the spec of a container record: a protobuf
// google.protobuf.Any (type_url = 1, value = 2) whose value is the spec's
// JSON. It returns the JSON.
func decodeSpecAny(b []byte) ([]byte, error) {
	var typeURL string
	var value []byte
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: spec record: %w", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		if typ != protowire.BytesType {
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("%w: spec record: %w", ErrMalformed, protowire.ParseError(n))
			}
			b = b[n:]
			continue
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: spec record: %w", ErrMalformed, protowire.ParseError(n))
		}
		b = b[n:]
		switch num {
		case 1:
			typeURL = string(v)
		case 2:
			value = v
		}
	}
	if typeURL != specTypeURL {
		return nil, fmt.Errorf("%w: spec record of type %.100q", ErrMalformed, typeURL)
	}
	return value, nil
}

// defaultCaps is the capability set containerd (and the CRI plugin) gives
// a container that asks for nothing else.
var defaultCaps = []string{
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
	"NET_RAW", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

// privilegedCaps: a bounding set of CAP_SYS_ADMIN and at least this many
// capabilities (all of Linux 4.3's, 0 to 37) is what a privileged
// container gets; the spec has no flag of its own.
const privilegedCaps = 38

// runtimeSockets are the base names of container engines' sockets.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock"}

// riskyCaps are the capabilities that give a way out of a container or
// onto the host, with the names of their risks.
var riskyCaps = map[string]string{
	"SYS_ADMIN": "cap_sys_admin", "SYS_PTRACE": "cap_sys_ptrace", "SYS_MODULE": "cap_sys_module",
	"SYS_RAWIO": "cap_sys_rawio", "DAC_READ_SEARCH": "cap_dac_read_search", "NET_ADMIN": "cap_net_admin",
	"BPF": "cap_bpf", "PERFMON": "cap_perfmon", "SYS_BOOT": "cap_sys_boot", "MAC_ADMIN": "cap_mac_admin",
}

// maxDevices bounds the device paths listed.
const maxDevices = 64

// facts sets what the spec says of the container: process, user,
// capabilities, namespaces, mounts and the risks they make.
func (s *spec) facts(f event.Event) {
	p := s.Process
	if len(p.Args) > 0 {
		f.Set("process.executable", p.Args[0])
		f.Set("process.args", p.Args)
	}
	if p.Cwd != "" {
		f.Set("process.working_directory", p.Cwd)
	}
	f.Set("vigil.container.user", strconv.FormatUint(uint64(p.User.UID), 10)+":"+strconv.FormatUint(uint64(p.User.GID), 10))
	f.Set("vigil.container.runs_as_root", p.User.UID == 0)
	f.Set("vigil.container.no_new_privileges", p.NoNewPrivileges)
	if p.ApparmorProfile != "" {
		f.Set("vigil.container.apparmor_profile", p.ApparmorProfile)
	}
	var risks []string
	add := func(ok bool, r string) {
		if ok {
			risks = append(risks, r)
		}
	}
	var bounding []string
	if p.Capabilities != nil {
		bounding = normCaps(p.Capabilities.Bounding)
	}
	privileged := slices.Contains(bounding, "SYS_ADMIN") && len(bounding) >= privilegedCaps
	f.Set("container.security_context.privileged", privileged)
	add(privileged, "privileged")
	var capAdd, capDrop []string
	for _, c := range bounding {
		if !slices.Contains(defaultCaps, c) {
			capAdd = append(capAdd, c)
		}
	}
	for _, c := range defaultCaps {
		if !slices.Contains(bounding, c) {
			capDrop = append(capDrop, c)
		}
	}
	if len(capAdd) > 0 && !privileged {
		f.Set("vigil.container.cap_add", capAdd)
		for _, c := range capAdd {
			if r, ok := riskyCaps[c]; ok {
				risks = append(risks, r)
			}
		}
	}
	if len(capDrop) > 0 {
		f.Set("vigil.container.cap_drop", capDrop)
	}

	// A namespace the spec does not list is the host's; one with a path
	// is joined (a Kubernetes pod's sandbox), one without is the
	// container's own.
	ns := map[string]any{}
	listed := map[string]string{}
	for _, n := range s.Linux.Namespaces {
		mode := "private"
		if n.Path != "" {
			mode = "joined"
		}
		listed[n.Type] = mode
	}
	for _, t := range []struct{ typ, field, risk string }{
		{"pid", "pid", "host_pid"}, {"network", "network", "host_network"}, {"ipc", "ipc", "host_ipc"},
		{"uts", "uts", "host_uts"}, {"cgroup", "cgroupns", ""}, {"user", "userns", ""},
	} {
		mode, ok := listed[t.typ]
		if !ok {
			if t.typ == "user" {
				continue // no user namespace is the rule, not a risk
			}
			mode = "host"
			add(t.risk != "", t.risk)
		}
		ns[t.field] = mode
	}
	f.Set("vigil.container.namespaces", ns)
	add(s.Linux.Seccomp == nil, "seccomp_unconfined")
	f.Set("vigil.container.seccomp", s.Linux.Seccomp != nil)
	add(p.ApparmorProfile == "unconfined", "apparmor_unconfined")

	var mounts []any
	cri := s.Annotations["io.kubernetes.cri.container-type"] != ""
	for _, m := range s.Mounts {
		if !isBind(m.Type, m.Options) || cri && criPlumbing(m.Source) {
			continue
		}
		rw := !slices.Contains(m.Options, "ro")
		mm := map[string]any{"source": m.Source, "destination": m.Destination, "rw": rw}
		for _, o := range m.Options {
			if strings.HasSuffix(o, "shared") || strings.HasSuffix(o, "slave") {
				mm["propagation"] = o
			}
		}
		mounts = append(mounts, mm)
		src := path.Clean("/" + m.Source)
		add(src == "/", "host_root_mounted")
		add(slices.Contains(runtimeSockets, path.Base(src)) || slices.Contains(runtimeSockets, path.Base(path.Clean("/"+m.Destination))), "runtime_socket_mounted")
	}
	if len(mounts) > 0 {
		f.Set("vigil.container.mounts", mounts)
	}
	if s.Root != nil {
		f.Set("vigil.container.readonly_rootfs", s.Root.Readonly)
	}
	if !privileged && len(s.Linux.Devices) > 0 {
		var devs []string
		for _, d := range s.Linux.Devices {
			if d.Path != "" {
				devs = append(devs, d.Path)
			}
		}
		slices.Sort(devs)
		devs = slices.Compact(devs)
		if len(devs) > maxDevices {
			f.Set("vigil.container.devices_dropped", len(devs)-maxDevices)
			devs = devs[:maxDevices]
		}
		f.Set("vigil.container.devices", devs)
	}
	slices.Sort(risks)
	if risks = slices.Compact(risks); len(risks) > 0 {
		f.Set("vigil.container.risks", risks)
	}
}

// criPlumbing reports whether a mount source is one the kubelet and the
// CRI plugin give every container (hosts, hostname, resolv.conf, shm,
// termination log) or one of the pod's own volumes (service account
// token, config maps, secrets, emptyDir): not a host path the pod asked
// for. A hostPath volume is bound from its own path and stays listed.
func criPlumbing(src string) bool {
	return strings.HasPrefix(src, "/var/lib/kubelet/pods/") || strings.Contains(src, "/io.containerd.grpc.v1.cri/sandboxes/")
}

// isBind reports whether a mount binds a host path: type "bind", or the
// "bind"/"rbind" option with no type (older specs).
func isBind(typ string, opts []string) bool {
	if typ == "bind" {
		return true
	}
	return (typ == "" || typ == "none") && (slices.Contains(opts, "bind") || slices.Contains(opts, "rbind"))
}

// normCaps writes capabilities without the "CAP_" prefix, upper case,
// sorted.
func normCaps(caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		c = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(c)), "CAP_")
		if c != "" {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
