package kube

import (
	"context"
	"encoding/json"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/imageref"
)

// Asset kinds of cluster objects that internal/event does not define yet.
// Pods are event.AssetPod and images event.AssetImage.
const (
	KindNamespace = event.AssetK8sNamespace
	KindNode      = event.AssetK8sNode
	KindService   = event.AssetK8sService
	KindWorkload  = event.AssetK8sWorkload // Deployment, DaemonSet, StatefulSet
)

// Kinds lists the kinds Inventory returns.
var Kinds = []string{KindNamespace, KindNode, event.AssetPod, KindService, KindWorkload, event.AssetImage}

// resources are the collections listed, in order.
var resources = []struct {
	name, path string
}{
	{"namespaces", "/api/v1/namespaces"},
	{"nodes", "/api/v1/nodes"},
	{"pods", "/api/v1/pods"},
	{"services", "/api/v1/services"},
	{"deployments", "/apis/apps/v1/deployments"},
	{"daemonsets", "/apis/apps/v1/daemonsets"},
	{"statefulsets", "/apis/apps/v1/statefulsets"},
}

// Bounds on the labels kept in an item.
const (
	maxLabels     = 64
	maxLabelValue = 256
)

// Inventory lists the cluster's namespaces, nodes, pods, services,
// deployments, daemon sets and stateful sets, and the images the pods
// run, as assets (kinds Kinds). An error means the set is incomplete: a
// listing failed, was refused or could not be decoded.
func (c *Client) Inventory(ctx context.Context) ([]event.Asset, error) {
	var s snapshot
	for _, r := range resources {
		var add func([]json.RawMessage) error
		var reset func()
		switch r.name {
		case "namespaces":
			add, reset = collectItems(r.name, false, &s.namespaces, func(v *namespace) *objectMeta { return &v.Metadata })
		case "nodes":
			add, reset = collectItems(r.name, false, &s.nodes, func(v *node) *objectMeta { return &v.Metadata })
		case "pods":
			add, reset = collectItems(r.name, true, &s.pods, func(v *pod) *objectMeta { return &v.Metadata })
		case "services":
			add, reset = collectItems(r.name, true, &s.services, func(v *service) *objectMeta { return &v.Metadata })
		case "deployments":
			add, reset = collectItems(r.name, true, &s.deployments, func(v *workload) *objectMeta { return &v.Metadata })
		case "daemonsets":
			add, reset = collectItems(r.name, true, &s.daemonsets, func(v *workload) *objectMeta { return &v.Metadata })
		case "statefulsets":
			add, reset = collectItems(r.name, true, &s.statefulsets, func(v *workload) *objectMeta { return &v.Metadata })
		}
		if err := c.listAll(ctx, r.name, r.path, add, reset); err != nil {
			return nil, err
		}
	}
	assets := s.assets(c.cfg.ClusterName)
	c.log.Debug("cluster inventory read", "items", len(assets))
	return assets, nil
}

// collectItems returns the add and reset functions of a listing that
// decodes its items into *dst.
func collectItems[T any](resource string, namespaced bool, dst *[]T, meta func(*T) *objectMeta) (func([]json.RawMessage) error, func()) {
	add := func(items []json.RawMessage) error {
		for _, raw := range items {
			var v T
			if err := decodeItem(raw, resource, namespaced, &v, func() *objectMeta { return meta(&v) }); err != nil {
				return err
			}
			*dst = append(*dst, v)
		}
		return nil
	}
	return add, func() { *dst = nil }
}

// snapshot is what one Inventory read.
type snapshot struct {
	namespaces                            []namespace
	nodes                                 []node
	pods                                  []pod
	services                              []service
	deployments, daemonsets, statefulsets []workload
}

// assets turns the snapshot into items, sorted by kind then key; items
// that are too large are dropped.
func (s *snapshot) assets(cluster string) []event.Asset {
	var out []event.Asset
	base := func(f event.Event) {
		f.Set("orchestrator.type", "kubernetes")
		if cluster != "" {
			f.Set("orchestrator.cluster.name", cluster)
		}
	}
	for i := range s.namespaces {
		out = append(out, namespaceAsset(&s.namespaces[i], base))
	}
	for i := range s.nodes {
		out = append(out, nodeAsset(&s.nodes[i], base))
	}
	for i := range s.pods {
		out = append(out, podAsset(&s.pods[i], base))
	}
	for i := range s.services {
		out = append(out, serviceAsset(&s.services[i], base))
	}
	for kind, list := range map[string][]workload{"Deployment": s.deployments, "DaemonSet": s.daemonsets, "StatefulSet": s.statefulsets} {
		for i := range list {
			out = append(out, workloadAsset(kind, &list[i], base))
		}
	}
	out = append(out, imageAssets(s.pods, base)...)
	kept := out[:0]
	for _, a := range out {
		if checkSize(a) {
			kept = append(kept, a)
		}
	}
	slices.SortFunc(kept, func(a, b event.Asset) int {
		if c := strings.Compare(a.Kind, b.Kind); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return kept
}

// checkSize validates an asset as event.Asset.Validate does, but for its
// kind, which event may not know yet.
func checkSize(a event.Asset) bool {
	probe := a
	probe.Kind = event.AssetPod
	return probe.Validate() == nil
}

func meta(f event.Event, m *objectMeta, typ string) {
	f.Set("orchestrator.resource.type", typ)
	f.Set("orchestrator.resource.name", m.Name)
	if m.UID != "" {
		f.Set("orchestrator.resource.id", m.UID)
	}
	if m.Namespace != "" {
		f.Set("orchestrator.namespace", m.Namespace)
	}
	if m.CreationTimestamp != "" {
		f.Set("vigil.kubernetes.created", m.CreationTimestamp)
	}
	if l, dropped := imageref.BoundLabels(m.Labels, maxLabels, maxLabelValue); len(l) > 0 {
		f.Set("vigil.kubernetes.labels", l)
		if dropped > 0 {
			f.Set("vigil.kubernetes.labels_dropped", dropped)
		}
	}
}

func namespaceAsset(n *namespace, base func(event.Event)) event.Asset {
	f := event.Event{}
	base(f)
	meta(f, &n.Metadata, "namespace")
	if n.Status.Phase != "" {
		f.Set("vigil.kubernetes.phase", n.Status.Phase)
	}
	// Pod Security Admission's level, the namespace's guard rail.
	for _, mode := range []string{"enforce", "audit", "warn"} {
		if v := n.Metadata.Labels["pod-security.kubernetes.io/"+mode]; v != "" {
			f.Set("vigil.kubernetes.pod_security."+mode, v)
		}
	}
	return event.Asset{Kind: KindNamespace, Key: n.Metadata.Name, Name: n.Metadata.Name, Fields: f}
}

func nodeAsset(n *node, base func(event.Event)) event.Asset {
	f := event.Event{}
	base(f)
	meta(f, &n.Metadata, "node")
	ni := n.Status.NodeInfo
	f.Set("host.name", n.Metadata.Name)
	set := func(p, v string) {
		if v != "" {
			f.Set(p, v)
		}
	}
	set("host.os.kernel", ni.KernelVersion)
	set("host.os.full", ni.OSImage)
	set("host.os.type", ni.OperatingSystem)
	set("host.architecture", ni.Architecture)
	set("vigil.kubernetes.node.kubelet_version", ni.KubeletVersion)
	set("vigil.kubernetes.node.container_runtime", ni.ContainerRuntimeVersion)
	set("vigil.kubernetes.node.provider_id", n.Spec.ProviderID)
	var ips []string
	var addrs []any
	for _, a := range n.Status.Addresses {
		addrs = append(addrs, map[string]any{"type": a.Type, "address": a.Address})
		if a.Type == "InternalIP" || a.Type == "ExternalIP" {
			ips = append(ips, a.Address)
		}
	}
	if len(ips) > 0 {
		f.Set("host.ip", ips)
	}
	if len(addrs) > 0 {
		f.Set("vigil.kubernetes.node.addresses", addrs)
	}
	var roles []string
	for k := range n.Metadata.Labels {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) > 0 {
		slices.Sort(roles)
		f.Set("vigil.kubernetes.node.roles", roles)
	}
	f.Set("vigil.kubernetes.node.unschedulable", n.Spec.Unschedulable)
	var taints []any
	for _, t := range n.Spec.Taints {
		m := map[string]any{"key": t.Key, "effect": t.Effect}
		if t.Value != "" {
			m["value"] = t.Value
		}
		taints = append(taints, m)
	}
	if len(taints) > 0 {
		f.Set("vigil.kubernetes.node.taints", taints)
	}
	if len(n.Spec.PodCIDRs) > 0 {
		f.Set("vigil.kubernetes.node.pod_cidrs", n.Spec.PodCIDRs)
	}
	for _, c := range n.Status.Conditions {
		if c.Type == "Ready" {
			f.Set("vigil.kubernetes.node.ready", c.Status)
		}
	}
	capa := map[string]any{}
	for _, k := range []string{"cpu", "memory", "pods", "ephemeral-storage"} {
		if v := n.Status.Capacity[k]; v != "" {
			capa[k] = v
		}
	}
	if len(capa) > 0 {
		f.Set("vigil.kubernetes.node.capacity", capa)
	}
	return event.Asset{Kind: KindNode, Key: n.Metadata.Name, Name: n.Metadata.Name, Version: ni.KubeletVersion, Fields: f}
}

// owner names the workload that controls a pod: its controller's kind and
// name, a ReplicaSet's Deployment found by the pod-template-hash the
// Deployment appends to its ReplicaSets' names.
func owner(m *objectMeta) (kind, name string) {
	for _, o := range m.OwnerReferences {
		if o.Controller == nil || !*o.Controller {
			continue
		}
		if o.Kind == "ReplicaSet" {
			if h := m.Labels["pod-template-hash"]; h != "" {
				if d, ok := strings.CutSuffix(o.Name, "-"+h); ok {
					return "Deployment", d
				}
			}
		}
		return o.Kind, o.Name
	}
	return "", ""
}

func podAsset(p *pod, base func(event.Event)) event.Asset {
	f := event.Event{}
	base(f)
	meta(f, &p.Metadata, "pod")
	if kind, name := owner(&p.Metadata); kind != "" {
		f.Set("orchestrator.resource.parent.type", kind)
		f.Set("vigil.kubernetes.owner", kind+"/"+name)
	}
	if p.Spec.NodeName != "" {
		f.Set("host.name", p.Spec.NodeName)
	}
	if p.Status.Phase != "" {
		f.Set("vigil.kubernetes.pod.phase", p.Status.Phase)
	}
	var ips []string
	for _, ip := range p.Status.PodIPs {
		if ip.IP != "" {
			ips = append(ips, ip.IP)
		}
	}
	if len(ips) == 0 && p.Status.PodIP != "" {
		ips = []string{p.Status.PodIP}
	}
	if len(ips) > 0 && !p.Spec.HostNetwork {
		f.Set("vigil.kubernetes.pod.ips", ips)
	}
	if p.Status.QOSClass != "" {
		f.Set("vigil.kubernetes.pod.qos_class", p.Status.QOSClass)
	}
	imageIDs := map[string]string{}
	for _, list := range [][]containerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
		for _, cs := range list {
			if d := digestOf(cs.ImageID); d != "" {
				imageIDs[cs.Name] = d
			}
		}
	}
	podSpecFacts(f, "vigil.kubernetes.pod", &p.Spec, imageIDs)
	key := p.Metadata.Namespace + "/" + p.Metadata.Name
	return event.Asset{Kind: event.AssetPod, Key: key, Name: p.Metadata.Name, Fields: f}
}

// runtimeSockets are the base names of container engines' sockets.
var runtimeSockets = []string{"docker.sock", "containerd.sock", "crio.sock", "podman.sock", "cri-dockerd.sock"}

// riskyCaps are the capabilities that lead out of a container.
var riskyCaps = map[string]string{
	"SYS_ADMIN": "cap_sys_admin", "SYS_PTRACE": "cap_sys_ptrace", "SYS_MODULE": "cap_sys_module",
	"SYS_RAWIO": "cap_sys_rawio", "DAC_READ_SEARCH": "cap_dac_read_search", "NET_ADMIN": "cap_net_admin",
	"BPF": "cap_bpf", "PERFMON": "cap_perfmon", "SYS_BOOT": "cap_sys_boot", "MAC_ADMIN": "cap_mac_admin",
	"ALL": "cap_all",
}

// podSpecFacts sets the security-relevant facts of a pod spec under
// prefix: service account, host namespaces, containers with their
// security contexts, hostPath volumes, and the risks they make.
func podSpecFacts(f event.Event, prefix string, s *podSpec, imageIDs map[string]string) {
	sa := s.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	f.Set(prefix+".service_account", sa)
	if s.AutomountServiceAccountToken != nil {
		f.Set(prefix+".automount_service_account_token", *s.AutomountServiceAccountToken)
	}
	f.Set(prefix+".host_network", s.HostNetwork)
	f.Set(prefix+".host_pid", s.HostPID)
	f.Set(prefix+".host_ipc", s.HostIPC)
	if s.PriorityClassName != "" {
		f.Set(prefix+".priority_class", s.PriorityClassName)
	}
	var risks []string
	add := func(ok bool, r string) {
		if ok {
			risks = append(risks, r)
		}
	}
	add(s.HostNetwork, "host_network")
	add(s.HostPID, "host_pid")
	add(s.HostIPC, "host_ipc")
	podNonRoot := s.SecurityContext != nil && s.SecurityContext.RunAsNonRoot != nil && *s.SecurityContext.RunAsNonRoot
	podSeccomp := ""
	if s.SecurityContext != nil && s.SecurityContext.SeccompProfile != nil {
		podSeccomp = s.SecurityContext.SeccompProfile.Type
	}
	hostPaths := map[string]string{} // volume name -> host path
	var vols []any
	for _, v := range s.Volumes {
		if v.HostPath == nil {
			continue
		}
		hostPaths[v.Name] = v.HostPath.Path
		m := map[string]any{"name": v.Name, "path": v.HostPath.Path}
		if v.HostPath.Type != "" {
			m["type"] = v.HostPath.Type
		}
		vols = append(vols, m)
		p := path.Clean("/" + v.HostPath.Path)
		add(true, "host_path")
		add(p == "/", "host_root_mounted")
		add(slices.Contains(runtimeSockets, path.Base(p)), "runtime_socket_mounted")
	}
	if len(vols) > 0 {
		f.Set(prefix+".host_path_volumes", vols)
	}
	var cs []any
	for _, group := range []struct {
		kind string
		list []container
	}{{"init", s.InitContainers}, {"app", s.Containers}, {"ephemeral", s.EphemeralContainers}} {
		for i := range group.list {
			c := &group.list[i]
			m := map[string]any{"name": c.Name, "image": c.Image}
			if group.kind != "app" {
				m["kind"] = group.kind
			}
			if d := imageIDs[c.Name]; d != "" {
				m["image_digest"] = d
			}
			sc := c.SecurityContext
			privileged := sc != nil && sc.Privileged != nil && *sc.Privileged
			m["privileged"] = privileged
			add(privileged, "privileged")
			if sc != nil {
				if sc.AllowPrivilegeEscalation != nil {
					m["allow_privilege_escalation"] = *sc.AllowPrivilegeEscalation
				}
				if sc.RunAsUser != nil {
					m["run_as_user"] = *sc.RunAsUser
				}
				if sc.ReadOnlyRootFilesystem != nil {
					m["read_only_root_filesystem"] = *sc.ReadOnlyRootFilesystem
				}
				if sc.Capabilities != nil && len(sc.Capabilities.Add) > 0 {
					caps := normCaps(sc.Capabilities.Add)
					m["capabilities_add"] = caps
					if !privileged {
						for _, cp := range caps {
							if r, ok := riskyCaps[cp]; ok {
								risks = append(risks, r)
							}
						}
					}
				}
				if sc.SeccompProfile != nil {
					m["seccomp_profile"] = sc.SeccompProfile.Type
				}
			}
			nonRoot := podNonRoot
			if sc != nil && sc.RunAsNonRoot != nil {
				nonRoot = *sc.RunAsNonRoot
			}
			m["run_as_non_root"] = nonRoot
			seccomp := podSeccomp
			if sc != nil && sc.SeccompProfile != nil {
				seccomp = sc.SeccompProfile.Type
			}
			add(seccomp == "Unconfined", "seccomp_unconfined")
			var hostPorts []any
			for _, p := range c.Ports {
				if p.HostPort > 0 {
					proto := p.Protocol
					if proto == "" {
						proto = "TCP"
					}
					hp := map[string]any{"host_port": p.HostPort, "container_port": p.ContainerPort, "protocol": proto}
					if p.HostIP != "" {
						hp["host_ip"] = p.HostIP
					}
					hostPorts = append(hostPorts, hp)
				}
			}
			if len(hostPorts) > 0 {
				m["host_ports"] = hostPorts
				add(true, "host_port")
			}
			var mounts []any
			for _, vm := range c.VolumeMounts {
				if hp, ok := hostPaths[vm.Name]; ok {
					mounts = append(mounts, map[string]any{"host_path": hp, "mount_path": vm.MountPath, "read_only": vm.ReadOnly})
				}
			}
			if len(mounts) > 0 {
				m["host_path_mounts"] = mounts
			}
			cs = append(cs, m)
		}
	}
	if len(cs) > 0 {
		f.Set(prefix+".containers", cs)
	}
	slices.Sort(risks)
	if risks = slices.Compact(risks); len(risks) > 0 {
		f.Set(prefix+".risks", risks)
	}
}

func serviceAsset(s *service, base func(event.Event)) event.Asset {
	f := event.Event{}
	base(f)
	meta(f, &s.Metadata, "service")
	sp := s.Spec
	typ := sp.Type
	if typ == "" {
		typ = "ClusterIP"
	}
	f.Set("vigil.kubernetes.service.type", typ)
	ips := sp.ClusterIPs
	if len(ips) == 0 && sp.ClusterIP != "" {
		ips = []string{sp.ClusterIP}
	}
	if len(ips) > 0 {
		f.Set("vigil.kubernetes.service.cluster_ips", ips)
	}
	if len(sp.ExternalIPs) > 0 {
		f.Set("vigil.kubernetes.service.external_ips", sp.ExternalIPs)
	}
	if sp.ExternalName != "" {
		f.Set("vigil.kubernetes.service.external_name", sp.ExternalName)
	}
	var lb []string
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			lb = append(lb, in.IP)
		} else if in.Hostname != "" {
			lb = append(lb, in.Hostname)
		}
	}
	if len(lb) > 0 {
		f.Set("vigil.kubernetes.service.load_balancer_ingress", lb)
	}
	if len(sp.LoadBalancerSourceRanges) > 0 {
		f.Set("vigil.kubernetes.service.load_balancer_source_ranges", sp.LoadBalancerSourceRanges)
	}
	if sp.ExternalTrafficPolicy != "" {
		f.Set("vigil.kubernetes.service.external_traffic_policy", sp.ExternalTrafficPolicy)
	}
	var ports []any
	nodePort := false
	for _, p := range sp.Ports {
		m := map[string]any{"port": p.Port, "protocol": p.Protocol}
		if p.Name != "" {
			m["name"] = p.Name
		}
		if tp := targetPort(p.TargetPort); tp != "" {
			m["target_port"] = tp
		}
		if p.NodePort > 0 {
			m["node_port"] = p.NodePort
			nodePort = true
		}
		ports = append(ports, m)
	}
	if len(ports) > 0 {
		f.Set("vigil.kubernetes.service.ports", ports)
	}
	if len(sp.Selector) > 0 {
		sel := map[string]any{}
		for k, v := range sp.Selector {
			sel[k] = v
		}
		f.Set("vigil.kubernetes.service.selector", sel)
	}
	var exposure []string
	if nodePort {
		exposure = append(exposure, "node_port")
	}
	if typ == "LoadBalancer" {
		exposure = append(exposure, "load_balancer")
	}
	if len(sp.ExternalIPs) > 0 {
		exposure = append(exposure, "external_ip")
	}
	if len(exposure) > 0 {
		f.Set("vigil.kubernetes.service.exposure", exposure)
	}
	key := s.Metadata.Namespace + "/" + s.Metadata.Name
	return event.Asset{Kind: KindService, Key: key, Name: s.Metadata.Name, Fields: f}
}

// targetPort writes an IntOrString: 8080 or "http".
func targetPort(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var n int64
	if json.Unmarshal(raw, &n) == nil {
		return strconv.FormatInt(n, 10)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}

func workloadAsset(kind string, w *workload, base func(event.Event)) event.Asset {
	f := event.Event{}
	base(f)
	meta(f, &w.Metadata, strings.ToLower(kind))
	f.Set("vigil.kubernetes.workload.kind", kind)
	if w.Spec.Replicas != nil {
		f.Set("vigil.kubernetes.workload.replicas", *w.Spec.Replicas)
	}
	if w.Spec.Selector != nil && len(w.Spec.Selector.MatchLabels) > 0 {
		sel := map[string]any{}
		for k, v := range w.Spec.Selector.MatchLabels {
			sel[k] = v
		}
		f.Set("vigil.kubernetes.workload.selector", sel)
	}
	for _, st := range []*strategy{w.Spec.Strategy, w.Spec.UpdateStrategy} {
		if st != nil && st.Type != "" {
			f.Set("vigil.kubernetes.workload.update_strategy", st.Type)
		}
	}
	if w.Spec.ServiceName != "" {
		f.Set("vigil.kubernetes.workload.service_name", w.Spec.ServiceName)
	}
	podSpecFacts(f, "vigil.kubernetes.workload", &w.Spec.Template.Spec, nil)
	key := kind + "/" + w.Metadata.Namespace + "/" + w.Metadata.Name
	return event.Asset{Kind: KindWorkload, Key: key, Name: w.Metadata.Name, Fields: f}
}

// imageAssets makes one item per image reference the pods run (init and
// ephemeral containers included), written in full ("nginx" is
// "docker.io/library/nginx:latest"), with the digests the kubelets
// report and the workloads that use it.
func imageAssets(pods []pod, base func(event.Event)) []event.Asset {
	type use struct {
		digests, users, namespaces map[string]bool
		repo, tag, digest          string
	}
	uses := map[string]*use{}
	for i := range pods {
		p := &pods[i]
		ids := map[string]string{}
		for _, list := range [][]containerStatus{p.Status.InitContainerStatuses, p.Status.ContainerStatuses, p.Status.EphemeralContainerStatuses} {
			for _, cs := range list {
				ids[cs.Name] = digestOf(cs.ImageID)
			}
		}
		user := "Pod/" + p.Metadata.Namespace + "/" + p.Metadata.Name
		if kind, name := owner(&p.Metadata); kind != "" {
			user = kind + "/" + p.Metadata.Namespace + "/" + name
		}
		for _, list := range [][]container{p.Spec.InitContainers, p.Spec.Containers, p.Spec.EphemeralContainers} {
			for _, c := range list {
				if c.Image == "" {
					continue
				}
				ref, repo, tag, dg := normalizeRef(c.Image)
				u := uses[ref]
				if u == nil {
					u = &use{digests: map[string]bool{}, users: map[string]bool{}, namespaces: map[string]bool{}, repo: repo, tag: tag, digest: dg}
					uses[ref] = u
				}
				if d := ids[c.Name]; d != "" {
					u.digests[d] = true
				}
				u.users[user] = true
				u.namespaces[p.Metadata.Namespace] = true
			}
		}
	}
	keys := make([]string, 0, len(uses))
	for k := range uses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []event.Asset
	for _, ref := range keys {
		u := uses[ref]
		f := event.Event{}
		base(f)
		f.Set("container.image.name", u.repo)
		if u.tag != "" {
			f.Set("container.image.tag", []string{u.tag})
		}
		digests := sortedKeys(u.digests)
		if u.digest != "" && !slices.Contains(digests, u.digest) {
			digests = append(digests, u.digest)
			slices.Sort(digests)
		}
		if len(digests) > 0 {
			f.Set("container.image.hash.all", digests)
		}
		f.Set("vigil.image.reference", ref)
		f.Set("vigil.image.registry", imageref.Registry(u.repo))
		f.Set("vigil.kubernetes.image.namespaces", sortedKeys(u.namespaces))
		users := sortedKeys(u.users)
		const maxUsers = 200
		if len(users) > maxUsers {
			f.Set("vigil.kubernetes.image.users_dropped", len(users)-maxUsers)
			users = users[:maxUsers]
		}
		f.Set("vigil.kubernetes.image.used_by", users)
		out = append(out, event.Asset{Kind: event.AssetImage, Key: ref, Name: u.repo, Version: u.tag, Fields: f})
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// normalizeRef writes an image reference in full, as the container
// runtimes resolve it: "nginx" is "docker.io/library/nginx:latest",
// "quay.io/x/y@sha256:..." keeps its digest and takes no tag.
func normalizeRef(ref string) (full, repo, tag, digest string) {
	name := ref
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name, digest = name[:i], name[i+1:]
	}
	if i := strings.LastIndexByte(name, ':'); i >= 0 && !strings.Contains(name[i+1:], "/") {
		name, tag = name[:i], name[i+1:]
	}
	first, _, hasSlash := strings.Cut(name, "/")
	switch {
	case !hasSlash:
		name = "docker.io/library/" + name
	case !strings.ContainsAny(first, ".:") && first != "localhost":
		name = "docker.io/" + name
	}
	if tag == "" && digest == "" {
		tag = "latest"
	}
	full = name
	if tag != "" {
		full += ":" + tag
	}
	if digest != "" {
		full += "@" + digest
	}
	return full, name, tag, digest
}

// digestOf takes the digest out of a container status's imageID
// ("docker.io/library/nginx@sha256:...", "docker-pullable://...@sha256:...",
// or a bare "sha256:..." id).
func digestOf(imageID string) string {
	if i := strings.LastIndexByte(imageID, '@'); i >= 0 {
		return imageID[i+1:]
	}
	if strings.HasPrefix(imageID, "sha256:") {
		return imageID
	}
	return ""
}

// normCaps writes capabilities without "CAP_", upper case, sorted.
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
