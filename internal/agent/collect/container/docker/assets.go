package docker

import (
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/imageref"
)

// Bounds on the labels kept in an item.
const (
	maxLabels     = 100
	maxLabelValue = 512
)

// runtimeSockets are the base names of container engines' sockets: a
// container that has one mounted can start containers of its own, on the
// host's terms.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock"}

// riskyCaps are the capabilities that give a way out of a container or
// onto the host, with the names of their risks.
var riskyCaps = map[string]string{
	"SYS_ADMIN": "cap_sys_admin", "SYS_PTRACE": "cap_sys_ptrace", "SYS_MODULE": "cap_sys_module",
	"SYS_RAWIO": "cap_sys_rawio", "DAC_READ_SEARCH": "cap_dac_read_search", "NET_ADMIN": "cap_net_admin",
	"BPF": "cap_bpf", "PERFMON": "cap_perfmon", "SYS_BOOT": "cap_sys_boot", "MAC_ADMIN": "cap_mac_admin",
	"ALL": "cap_all",
}

// containerAsset makes the item of one inspected container. socket is the
// engine socket's path on the host, to recognise it among the mounts.
func containerAsset(c *containerJSON, socket string) event.Asset {
	f := event.Event{}
	name := strings.TrimPrefix(c.Name, "/")
	f.Set("container.id", c.ID)
	if name != "" {
		f.Set("container.name", name)
	}
	f.Set("container.runtime", "docker")
	cfg, hc := c.Config, c.HostConfig
	if cfg.Image != "" {
		f.Set("container.image.name", cfg.Image)
	}
	if c.Image != "" {
		f.Set("container.image.id", c.Image)
	}
	if labels, dropped := imageref.BoundLabels(cfg.Labels, maxLabels, maxLabelValue); len(labels) > 0 {
		f.Set("container.labels", labels)
		if dropped > 0 {
			f.Set("vigil.container.labels_dropped", dropped)
		}
	}
	f.Set("container.security_context.privileged", hc.Privileged)
	if c.Path != "" {
		f.Set("process.executable", c.Path)
		f.Set("process.args", append([]string{c.Path}, c.Args...))
	}
	if cfg.WorkingDir != "" {
		f.Set("process.working_directory", cfg.WorkingDir)
	}

	st := c.State
	f.Set("vigil.container.state", st.Status)
	if t := apiTime(c.Created); t != "" {
		f.Set("vigil.container.created", t)
	}
	if t := apiTime(st.StartedAt); t != "" {
		f.Set("vigil.container.started_at", t)
	}
	if !st.Running && st.Status != "created" {
		if t := apiTime(st.FinishedAt); t != "" {
			f.Set("vigil.container.finished_at", t)
			f.Set("vigil.container.exit_code", st.ExitCode)
		}
	}
	if cfg.User != "" {
		f.Set("vigil.container.user", cfg.User)
	}
	root := runsAsRoot(cfg.User)
	f.Set("vigil.container.runs_as_root", root)
	if len(hc.CapAdd) > 0 {
		f.Set("vigil.container.cap_add", normCaps(hc.CapAdd))
	}
	if len(hc.CapDrop) > 0 {
		f.Set("vigil.container.cap_drop", normCaps(hc.CapDrop))
	}
	if len(hc.SecurityOpt) > 0 {
		f.Set("vigil.container.security_opt", hc.SecurityOpt)
	}
	ns := map[string]any{}
	for k, v := range map[string]string{
		"pid": hc.PidMode, "network": hc.NetworkMode, "ipc": hc.IpcMode, "uts": hc.UTSMode,
		"userns": hc.UsernsMode, "cgroupns": hc.CgroupnsMode,
	} {
		if v != "" {
			ns[k] = v
		}
	}
	if len(ns) > 0 {
		f.Set("vigil.container.namespaces", ns)
	}
	if hc.NetworkMode != "" {
		f.Set("vigil.container.network_mode", hc.NetworkMode)
	}
	if nets := networks(c.NetworkSettings); len(nets) > 0 {
		f.Set("vigil.container.networks", nets)
	}
	bindings := hc.PortBindings
	if st.Running && c.NetworkSettings != nil {
		bindings = c.NetworkSettings.Ports
	}
	if ports := portList(bindings); len(ports) > 0 {
		f.Set("vigil.container.ports", ports)
	}
	mounts := make([]any, 0, len(c.Mounts))
	for _, m := range c.Mounts {
		mm := map[string]any{"type": m.Type, "destination": m.Destination, "rw": m.RW}
		if m.Source != "" {
			mm["source"] = m.Source
		}
		if m.Name != "" {
			mm["name"] = m.Name
		}
		if m.Propagation != "" {
			mm["propagation"] = m.Propagation
		}
		mounts = append(mounts, mm)
	}
	if len(mounts) > 0 {
		f.Set("vigil.container.mounts", mounts)
	}
	var devices []string
	for _, d := range hc.Devices {
		if d.PathOnHost != "" {
			devices = append(devices, d.PathOnHost)
		}
	}
	if len(devices) > 0 {
		slices.Sort(devices)
		f.Set("vigil.container.devices", slices.Compact(devices))
	}
	f.Set("vigil.container.readonly_rootfs", hc.ReadonlyRootfs)
	if hc.RestartPolicy.Name != "" {
		f.Set("vigil.container.restart_policy", hc.RestartPolicy.Name)
	}
	if hc.Runtime != "" {
		f.Set("vigil.container.oci_runtime", hc.Runtime)
	}
	if r := risks(c, socket); len(r) > 0 {
		f.Set("vigil.container.risks", r)
	}
	kubernetes(f, cfg.Labels)
	if name == "" {
		name = c.ID[:12]
	}
	return event.Asset{Kind: event.AssetContainer, Key: c.ID, Name: name, Fields: f}
}

// risks names what weakens the container's isolation, sorted.
func risks(c *containerJSON, socket string) []string {
	hc := c.HostConfig
	var r []string
	add := func(ok bool, name string) {
		if ok {
			r = append(r, name)
		}
	}
	add(hc.Privileged, "privileged")
	add(hc.PidMode == "host", "host_pid")
	add(hc.NetworkMode == "host", "host_network")
	add(hc.IpcMode == "host", "host_ipc")
	add(hc.UTSMode == "host", "host_uts")
	add(hc.UsernsMode == "host", "host_userns")
	for _, o := range hc.SecurityOpt {
		// The engine writes "seccomp=unconfined"; old ones took ':'.
		k, v, ok := strings.Cut(o, "=")
		if !ok {
			k, v, _ = strings.Cut(o, ":")
		}
		add(k == "seccomp" && v == "unconfined", "seccomp_unconfined")
		add(k == "apparmor" && v == "unconfined", "apparmor_unconfined")
	}
	add(c.AppArmorProfile == "unconfined" && !slices.Contains(r, "apparmor_unconfined") && !hc.Privileged, "apparmor_unconfined")
	for _, m := range c.Mounts {
		if m.Type != "bind" && m.Type != "" {
			continue
		}
		src := path.Clean("/" + m.Source)
		add(src == "/", "host_root_mounted")
		add(isRuntimeSocket(src, socket) || isRuntimeSocket(path.Clean("/"+m.Destination), ""), "runtime_socket_mounted")
	}
	if !hc.Privileged { // a privileged container has every capability anyway
		for _, capName := range normCaps(hc.CapAdd) {
			if risk, ok := riskyCaps[capName]; ok {
				r = append(r, risk)
			}
		}
	}
	slices.Sort(r)
	return slices.Compact(r)
}

func isRuntimeSocket(p, socket string) bool {
	return socket != "" && p == socket || slices.Contains(runtimeSockets, path.Base(p))
}

// normCaps writes capabilities as the engine's CapAdd does, without the
// "CAP_" prefix, upper case, sorted.
func normCaps(caps []string) []string {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		c = strings.ToUpper(strings.TrimSpace(c))
		c = strings.TrimPrefix(c, "CAP_")
		if c != "" {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// runsAsRoot reports whether a configured user is root: none (the image's
// default, root when the image sets none; the engine shows the image's
// own USER in Config.User), "root" or uid 0, with or without a group.
func runsAsRoot(user string) bool {
	u, _, _ := strings.Cut(user, ":")
	return u == "" || u == "root" || u == "0"
}

// networks lists the container's networks with their addresses, sorted by
// name.
func networks(ns *networkSettings) []any {
	if ns == nil {
		return nil
	}
	names := make([]string, 0, len(ns.Networks))
	for n := range ns.Networks {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]any, 0, len(names))
	for _, n := range names {
		m := map[string]any{"name": n}
		if ep := ns.Networks[n]; ep != nil {
			if ep.IPAddress != "" {
				m["ip"] = ep.IPAddress
			}
			if ep.GlobalIPv6Address != "" {
				m["ipv6"] = ep.GlobalIPv6Address
			}
		}
		out = append(out, m)
	}
	return out
}

// portList turns {"80/tcp": [{HostIp, HostPort}]} into a sorted list, one
// entry per host binding; a port published on no host port is listed
// without one.
func portList(bindings map[string][]portBinding) []any {
	type entry struct {
		port           int
		proto, ip, hp  string
		hostPortNumber int
	}
	var es []entry
	for spec, bs := range bindings {
		p, proto, _ := strings.Cut(spec, "/")
		if proto == "" {
			proto = "tcp"
		}
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			continue
		}
		if len(bs) == 0 {
			es = append(es, entry{port: n, proto: proto})
			continue
		}
		for _, b := range bs {
			hpn, _ := strconv.Atoi(b.HostPort)
			es = append(es, entry{port: n, proto: proto, ip: b.HostIP, hp: b.HostPort, hostPortNumber: hpn})
		}
	}
	slices.SortFunc(es, func(a, b entry) int {
		switch {
		case a.port != b.port:
			return a.port - b.port
		case a.proto != b.proto:
			return strings.Compare(a.proto, b.proto)
		case a.ip != b.ip:
			return strings.Compare(a.ip, b.ip)
		}
		return strings.Compare(a.hp, b.hp)
	})
	out := make([]any, 0, len(es))
	for _, e := range es {
		m := map[string]any{"container_port": e.port, "protocol": e.proto}
		if e.ip != "" {
			m["host_ip"] = e.ip
		}
		if e.hostPortNumber > 0 {
			m["host_port"] = e.hostPortNumber
		}
		out = append(out, m)
	}
	return out
}

// kubernetes sets the orchestrator fields of a container that the
// engine runs for Kubernetes (the kubelet's io.kubernetes.* labels).
func kubernetes(f event.Event, labels map[string]string) {
	pod := labels["io.kubernetes.pod.name"]
	if pod == "" {
		return
	}
	f.Set("orchestrator.type", "kubernetes")
	f.Set("orchestrator.resource.type", "pod")
	f.Set("orchestrator.resource.name", pod)
	if ns := labels["io.kubernetes.pod.namespace"]; ns != "" {
		f.Set("orchestrator.namespace", ns)
	}
	if uid := labels["io.kubernetes.pod.uid"]; uid != "" {
		f.Set("orchestrator.resource.id", uid)
	}
	if cn := labels["io.kubernetes.container.name"]; cn != "" {
		f.Set("vigil.kubernetes.container_name", cn)
	}
}

// cut shortens s to at most n bytes without splitting a rune.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// apiTime normalises one of the engine's RFC 3339 times to UTC; "" for
// the zero time ("0001-01-01T00:00:00Z") or an unreadable one.
func apiTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// imageAsset makes the item of one image.
func imageAsset(im imageSummary) event.Asset {
	var tags, digests []string
	for _, t := range im.RepoTags {
		if t != "" && t != "<none>:<none>" {
			tags = append(tags, t)
		}
	}
	for _, d := range im.RepoDigests {
		if d != "" && d != "<none>@<none>" {
			digests = append(digests, d)
		}
	}
	slices.Sort(tags)
	tags = slices.Compact(tags)
	slices.Sort(digests)
	digests = slices.Compact(digests)

	repo, tag := "", ""
	switch {
	case len(tags) > 0:
		repo, tag = imageref.SplitTag(tags[0])
	case len(digests) > 0:
		repo, _, _ = strings.Cut(digests[0], "@")
	default:
		repo = imageref.Short(im.ID)
	}
	if repo == "" {
		// A tag or digest with no repository (":", "@sha256:..."): the
		// image is known by its id.
		repo = imageref.Short(im.ID)
	}
	f := event.Event{}
	f.Set("container.image.id", im.ID)
	f.Set("container.image.name", repo)
	var sameRepo []string
	for _, t := range tags {
		if r, tg := imageref.SplitTag(t); r == repo && tg != "" {
			sameRepo = append(sameRepo, tg)
		}
	}
	if len(sameRepo) > 0 {
		f.Set("container.image.tag", sameRepo)
	}
	var hashes []string
	for _, d := range digests {
		if _, h, ok := strings.Cut(d, "@"); ok && h != "" {
			hashes = append(hashes, h)
		}
	}
	if len(hashes) > 0 {
		slices.Sort(hashes)
		f.Set("container.image.hash.all", slices.Compact(hashes))
	}
	if len(tags) > 0 || len(digests) > 0 {
		f.Set("vigil.image.registry", imageref.Registry(repo))
	}
	if len(tags) > 0 {
		f.Set("vigil.image.repo_tags", tags)
	}
	if len(digests) > 0 {
		f.Set("vigil.image.repo_digests", digests)
	}
	if im.Size >= 0 {
		f.Set("vigil.image.size", im.Size)
	}
	if im.Created > 0 {
		f.Set("vigil.image.created", time.Unix(im.Created, 0).UTC().Format(time.RFC3339))
	}
	if labels, dropped := imageref.BoundLabels(im.Labels, maxLabels, maxLabelValue); len(labels) > 0 {
		f.Set("vigil.image.labels", labels)
		if dropped > 0 {
			f.Set("vigil.image.labels_dropped", dropped)
		}
	}
	return event.Asset{Kind: event.AssetImage, Key: im.ID, Name: repo, Version: tag, Fields: f}
}
