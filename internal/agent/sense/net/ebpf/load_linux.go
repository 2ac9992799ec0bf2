//go:build linux && (amd64 || arm64)

package ebpf

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	cebpf "github.com/cilium/ebpf"
	"github.com/cilium/ebpf/btf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/rlimit"
	"golang.org/x/sys/unix"
)

// kernel is the loaded and attached programs.
type kernel struct {
	objs  vnetObjects
	links []link.Link
	// exactAccept: attach the sys_exit program (exact_accept_owner).
	exactAccept bool
	// uring: the io_uring_complete program is loaded, and attached with
	// sys_exit (objs.IoUringComplete is nil otherwise).
	uring bool
}

// uringTracepoint is the tracepoint that sees accepts made through
// io_uring.
const uringTracepoint = "io_uring_complete"

// hasTracepoint reports whether the running kernel's BTF has the raw
// tracepoint name: kernels built without io_uring have none of its
// tracepoints, and a program aimed at a missing one does not load.
func hasTracepoint(name string) bool {
	spec, err := btf.LoadKernelSpec()
	if err != nil {
		return false
	}
	var td *btf.Typedef
	return spec.TypeByName("btf_trace_"+name, &td) == nil
}

// coreObjects are the objects every load takes: vnetObjects less the
// io_uring program, which loads only with exact_accept_owner and where
// the kernel has its tracepoint.
type coreObjects struct {
	Maps             *vnetMaps
	Variables        *vnetVariables
	InetSockSetState *cebpf.Program `ebpf:"inet_sock_set_state"`
	SkbEgress        *cebpf.Program `ebpf:"skb_egress"`
	SkbIngress       *cebpf.Program `ebpf:"skb_ingress"`
	SockRelease      *cebpf.Program `ebpf:"sock_release"`
	SysExit          *cebpf.Program `ebpf:"sys_exit"`
	UdpBind4         *cebpf.Program `ebpf:"udp_bind4"`
	UdpBind6         *cebpf.Program `ebpf:"udp_bind6"`
	UdpConnect4      *cebpf.Program `ebpf:"udp_connect4"`
	UdpConnect6      *cebpf.Program `ebpf:"udp_connect6"`
	UdpSendmsg4      *cebpf.Program `ebpf:"udp_sendmsg4"`
	UdpSendmsg6      *cebpf.Program `ebpf:"udp_sendmsg6"`
}

// loadObjects loads spec into objs, with or without the io_uring
// program.
func loadObjects(spec *cebpf.CollectionSpec, objs *vnetObjects, uring bool) error {
	if uring {
		return spec.LoadAndAssign(objs, nil)
	}
	c := coreObjects{Maps: &objs.vnetMaps, Variables: &objs.vnetVariables}
	if err := spec.LoadAndAssign(&c, nil); err != nil {
		return err
	}
	objs.vnetPrograms = vnetPrograms{
		InetSockSetState: c.InetSockSetState, SkbEgress: c.SkbEgress, SkbIngress: c.SkbIngress,
		SockRelease: c.SockRelease, SysExit: c.SysExit, UdpBind4: c.UdpBind4, UdpBind6: c.UdpBind6,
		UdpConnect4: c.UdpConnect4, UdpConnect6: c.UdpConnect6, UdpSendmsg4: c.UdpSendmsg4, UdpSendmsg6: c.UdpSendmsg6,
	}
	return nil
}

// cgroupRoots are where the cgroup v2 hierarchy is mounted: the unified
// layout, and the hybrid one of systems that still mount cgroup v1.
var cgroupRoots = []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"}

// findCgroup2 returns the mount point of the cgroup v2 hierarchy below
// root.
func findCgroup2(root string) (string, error) {
	for _, p := range cgroupRoots {
		p = filepath.Join(root, p)
		var st unix.Statfs_t
		if err := unix.Statfs(p, &st); err == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: no cgroup v2 hierarchy at %v", ErrUnsupported, cgroupRoots)
}

// load loads the programs into the kernel without attaching them.
func load(st Settings) (*kernel, error) {
	if _, err := os.Stat("/sys/kernel/btf/vmlinux"); err != nil {
		return nil, fmt.Errorf("%w: the kernel has no BTF (/sys/kernel/btf/vmlinux): %w", ErrUnsupported, err)
	}
	// Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK.
	if err := rlimit.RemoveMemlock(); err != nil {
		return nil, fmt.Errorf("%w: raise the memlock limit: %w", ErrUnsupported, err)
	}
	spec, err := loadVnet()
	if err != nil {
		return nil, fmt.Errorf("net/ebpf: read the programs: %w", err)
	}
	for name, on := range map[string]bool{
		vnetVarDnsEnabled: st.DNS, vnetVarUdpEnabled: st.UDP, vnetVarFlowsEnabled: st.Flows,
		vnetVarExactAccept: st.ExactAcceptOwner,
	} {
		v := uint8(0)
		if on {
			v = 1
		}
		if err := spec.Variables[name].Set(v); err != nil {
			return nil, fmt.Errorf("net/ebpf: set %s: %w", name, err)
		}
	}
	if st.RingBufferKiB > 0 {
		spec.Maps[vnetMapEvents].MaxEntries = uint32(st.RingBufferKiB) << 10
	}
	k := &kernel{exactAccept: st.ExactAcceptOwner}
	k.uring = k.exactAccept && hasTracepoint(uringTracepoint)
	if err := loadObjects(spec, &k.objs, k.uring); err != nil {
		var ve *cebpf.VerifierError
		if errors.As(err, &ve) {
			return nil, fmt.Errorf("%w: the verifier refused the programs: %+v", ErrUnsupported, ve)
		}
		return nil, fmt.Errorf("%w: load into the kernel: %w", ErrUnsupported, explain(err))
	}
	one := uint8(1)
	for _, p := range st.DNSPorts {
		if err := k.objs.DnsPorts.Put(uint16(p), one); err != nil {
			_ = k.close()
			return nil, fmt.Errorf("net/ebpf: set the DNS ports: %w", err)
		}
	}
	return k, nil
}

// attach attaches every program: the tracing ones to their tracepoints,
// the cgroup ones to the root of the cgroup v2 hierarchy at cgroup.
func (k *kernel) attach(cgroup string) error {
	tracing := []*cebpf.Program{k.objs.InetSockSetState}
	if k.exactAccept {
		tracing = append(tracing, k.objs.SysExit)
	}
	if k.uring {
		tracing = append(tracing, k.objs.IoUringComplete)
	}
	for _, p := range tracing {
		l, err := link.AttachTracing(link.TracingOptions{Program: p})
		if err != nil {
			return fmt.Errorf("%w: attach %s: %w", ErrUnsupported, p, explain(err))
		}
		k.links = append(k.links, l)
	}
	for _, c := range []struct {
		prog   *cebpf.Program
		attach cebpf.AttachType
	}{
		{k.objs.SkbEgress, cebpf.AttachCGroupInetEgress},
		{k.objs.SkbIngress, cebpf.AttachCGroupInetIngress},
		{k.objs.UdpSendmsg4, cebpf.AttachCGroupUDP4Sendmsg},
		{k.objs.UdpSendmsg6, cebpf.AttachCGroupUDP6Sendmsg},
		{k.objs.UdpConnect4, cebpf.AttachCGroupInet4Connect},
		{k.objs.UdpConnect6, cebpf.AttachCGroupInet6Connect},
		{k.objs.UdpBind4, cebpf.AttachCGroupInet4Bind},
		{k.objs.UdpBind6, cebpf.AttachCGroupInet6Bind},
		{k.objs.SockRelease, cebpf.AttachCgroupInetSockRelease},
	} {
		l, err := link.AttachCgroup(link.CgroupOptions{Path: cgroup, Attach: c.attach, Program: c.prog})
		if err != nil {
			return fmt.Errorf("%w: attach %s to %s: %w", ErrUnsupported, c.prog, cgroup, explain(err))
		}
		k.links = append(k.links, l)
	}
	return nil
}

// close detaches and unloads everything.
func (k *kernel) close() error {
	var errs []error
	for i := len(k.links) - 1; i >= 0; i-- {
		errs = append(errs, k.links[i].Close())
	}
	k.links = nil
	errs = append(errs, k.objs.Close())
	return errors.Join(errs...)
}

// explain adds the usual cause to a permission error.
func explain(err error) error {
	if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
		return fmt.Errorf("%w (needs root or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)", err)
	}
	return err
}
