//go:build linux

package netcfg

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// Timing of the watcher.
const (
	// saveDelay is how long after a change the snapshot is written:
	// changes in a burst are saved once.
	saveDelay = 2 * time.Second
	// linkResyncDelay is how long after an interface went down or away
	// the routes are compared with a fresh dump (the kernel removes IPv4
	// routes of a vanished interface without a word).
	linkResyncDelay = time.Second
	// dumpAttempts bounds the retries of a dump the kernel interrupted
	// because the configuration changed meanwhile.
	dumpAttempts = 5
	// goneLinks is how many removed interfaces' names are remembered,
	// to name the addresses and routes that go with them.
	goneLinks = 256
	// updateQueue is the length of each subscription's channel.
	updateQueue = 128
)

// subscription is one netlink subscription: its channel, closed by the
// library when the socket fails or is closed, and the done channel that
// closes the socket.
type subscription[T any] struct {
	ch   chan T
	done chan struct{}
	// lastErr is the latest error the library reported.
	lastErr atomic.Pointer[string]
}

// stop closes the socket and waits for the library's goroutine to end.
func (s *subscription[T]) stop() {
	if s == nil {
		return
	}
	select {
	case <-s.done:
	default:
		close(s.done)
	}
	for range s.ch {
		// Drop what is left until the library closes the channel.
	}
}

func (s *subscription[T]) lastError() string {
	if p := s.lastErr.Load(); p != nil {
		return *p
	}
	return "closed"
}

// watcher is one Run of the sensor.
type watcher struct {
	set       Settings
	log       *slog.Logger
	emit      plugin.Emitter
	statePath string
	bootID    string
	ns        netns.NsHandle
	h         *netlink.Handle
	st        *state
	// gone remembers the names of removed interfaces, oldest first.
	gone      map[int]string
	goneOrder []int
	dirty     bool
	stopping  atomic.Bool
	counters  *counters

	links  *subscription[netlink.LinkUpdate]
	addrs  *subscription[netlink.AddrUpdate]
	routes *subscription[netlink.RouteUpdate]
}

// Run implements plugin.Sensor.
func (s *Sensor) Run(ctx context.Context, emit plugin.Emitter) error {
	set, statePath, bootID, log := s.config()
	w := &watcher{set: set, log: log, emit: emit, statePath: statePath, bootID: bootID,
		ns: netns.None(), gone: map[int]string{}, counters: &s.counters}
	if s.Namespace != "" {
		ns, err := netns.GetFromPath(s.Namespace)
		if err != nil {
			return fmt.Errorf("netcfg: open network namespace %s: %w", s.Namespace, err)
		}
		defer ns.Close()
		w.ns = ns
	}
	h, err := netlink.NewHandleAt(w.ns, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("netcfg: netlink handle: %w", err)
	}
	defer h.Delete()
	w.h = h
	// Subscribe before the dump, so that nothing falls between them.
	defer w.stopAll()
	if err := w.subscribeLinks(); err != nil {
		return err
	}
	if err := w.subscribeAddrs(); err != nil {
		return err
	}
	if err := w.subscribeRoutes(); err != nil {
		return err
	}
	snap, err := w.dump()
	if err != nil {
		return err
	}
	w.st = stateFromSnapshot(snap, set.MaxObjects)
	w.sizes()
	w.reportOffline()
	return w.loop(ctx)
}

// reportOffline compares the saved snapshot with the current state and
// saves the current one.
func (w *watcher) reportOffline() {
	if w.statePath == "" {
		w.log.Info("no data directory: changes while the agent is stopped will not be reported")
		return
	}
	prev, err := loadSnapshot(w.statePath)
	if err != nil {
		// The changes made while the agent was stopped cannot be known.
		w.log.Warn("saved network configuration unreadable; changes while stopped are unknown", "err", err)
		w.counters.snapshotErrors.Add(1)
		w.emit.Lost(1)
	}
	if prev != nil {
		rebooted := prev.BootID != "" && w.bootID != "" && prev.BootID != w.bootID
		now := time.Now()
		for _, c := range diff(prev, w.st.snapshot(w.bootID), true) {
			w.emit.Emit(toEvent(c, now, offline, rebooted))
		}
	}
	w.save()
}

func (w *watcher) loop(ctx context.Context) error {
	saveTimer := time.NewTimer(time.Hour)
	saveTimer.Stop()
	defer saveTimer.Stop()
	resyncTimer := time.NewTimer(time.Hour)
	resyncTimer.Stop()
	defer resyncTimer.Stop()
	var periodic <-chan time.Time
	if w.set.ResyncInterval > 0 {
		t := time.NewTicker(time.Duration(w.set.ResyncInterval))
		defer t.Stop()
		periodic = t.C
	}
	resyncPending := false
	changed := func(needResync bool) {
		w.sizes()
		if !w.dirty {
			w.dirty = true
			saveTimer.Reset(saveDelay)
		}
		if needResync && !resyncPending {
			resyncPending = true
			resyncTimer.Reset(linkResyncDelay)
		}
	}
	for {
		select {
		case <-ctx.Done():
			w.stopAll()
			if w.dirty {
				w.save()
			}
			return nil
		case u, ok := <-w.links.ch:
			if !ok {
				if err := w.overflow("links", w.links.lastError(), w.subscribeLinks); err != nil {
					return err
				}
				changed(false)
				continue
			}
			changed(w.handleLink(u))
		case u, ok := <-w.addrs.ch:
			if !ok {
				if err := w.overflow("addresses", w.addrs.lastError(), w.subscribeAddrs); err != nil {
					return err
				}
				changed(false)
				continue
			}
			w.handleAddr(u)
			changed(false)
		case u, ok := <-w.routes.ch:
			if !ok {
				if err := w.overflow("routes", w.routes.lastError(), w.subscribeRoutes); err != nil {
					return err
				}
				changed(false)
				continue
			}
			w.handleRoute(u)
			changed(false)
		case <-resyncTimer.C:
			resyncPending = false
			if err := w.resync(); err != nil {
				w.log.Warn("resynchronisation failed", "err", err)
			}
			changed(false)
		case <-periodic:
			if err := w.resync(); err != nil {
				w.log.Warn("periodic resynchronisation failed", "err", err)
			}
			changed(false)
		case <-saveTimer.C:
			w.save()
		}
	}
}

// overflow handles a subscription the library closed: its socket failed,
// most often because its receive buffer overflowed (ENOBUFS) and
// notifications were dropped. It subscribes again and resynchronises.
func (w *watcher) overflow(what, last string, subscribe func() error) error {
	w.log.Warn("netlink subscription lost notifications; resynchronising", "subscription", what, "err", last)
	w.counters.overflowResyncs.Add(1)
	w.emit.Lost(1)
	if err := subscribe(); err != nil {
		return err
	}
	if err := w.resync(); err != nil {
		// The next overflow, link change or periodic resync tries again.
		w.log.Warn("resynchronisation failed", "err", err)
	}
	return nil
}

// resync handles the notifications already queued, dumps the
// configuration and reports how it differs from the state; the caller
// has the new state saved.
func (w *watcher) resync() error {
	w.drainQueued()
	w.counters.resyncs.Add(1)
	snap, err := w.dump()
	if err != nil {
		w.counters.resyncFailures.Add(1)
		return err
	}
	cur := stateFromSnapshot(snap, w.set.MaxObjects)
	now := time.Now()
	for _, c := range diff(w.st.snapshot(w.bootID), cur.snapshot(w.bootID), false) {
		if c.link != nil && c.action == ActionInterfaceRemoved {
			w.remember(c.link.Index, c.link.Name)
		}
		w.named(&c)
		w.emit.Emit(toEvent(c, now, resynced, false))
	}
	w.st = cur
	return nil
}

// drainQueued handles the notifications waiting in the channels, without
// blocking.
func (w *watcher) drainQueued() {
	for {
		select {
		case u, ok := <-w.links.ch:
			if !ok {
				return // the loop resubscribes
			}
			w.handleLink(u)
		case u, ok := <-w.addrs.ch:
			if !ok {
				return
			}
			w.handleAddr(u)
		case u, ok := <-w.routes.ch:
			if !ok {
				return
			}
			w.handleRoute(u)
		default:
			return
		}
	}
}

// handleLink applies a link notification; it reports whether routes
// should be compared with a fresh dump (the interface went down or away).
func (w *watcher) handleLink(u netlink.LinkUpdate) bool {
	if u.IfInfomsg.Family == unix.AF_BRIDGE {
		return false // a bridge port's forwarding state, not the interface
	}
	l := linkFrom(u.Link)
	now := time.Now()
	switch u.Header.Type {
	case unix.RTM_NEWLINK:
		old, known := w.st.links[l.Index]
		if !known {
			w.st.putLink(l)
			w.emitChange(change{action: ActionInterfaceAdded, link: &l}, now)
			if l.Promiscuous() {
				w.emitChange(change{action: ActionPromiscuousEnabled, link: &l}, now)
			}
			return false
		}
		if l.MAC == "" {
			// A device's address length never changes: a notification
			// without the address (one sent while the device is torn
			// down) leaves it as it was.
			l.MAC = old.MAC
		}
		w.st.putLink(l)
		for _, c := range linkChangeEvents(old, l) {
			w.emitChange(c, now)
		}
		return old.Up && !l.Up
	case unix.RTM_DELLINK:
		if old, known := w.st.links[l.Index]; known {
			// The last full state: a device being torn down is announced
			// without some of its attributes.
			delete(w.st.links, l.Index)
			l = old
		} else if !w.st.full {
			// Already reported by a resynchronisation.
			return true
		}
		w.remember(l.Index, l.Name)
		w.emitChange(change{action: ActionInterfaceRemoved, link: &l}, now)
		return true
	}
	return false
}

func (w *watcher) handleAddr(u netlink.AddrUpdate) {
	p, ok := prefixFrom(&u.LinkAddress)
	if !ok {
		w.counters.malformed.Add(1)
		w.emit.Lost(1)
		return
	}
	a := Addr{Index: u.LinkIndex, Prefix: p, Scope: u.Scope}
	now := time.Now()
	_, known := w.st.addrs[a.key()]
	if u.NewAddr {
		if known {
			w.st.addrs[a.key()] = a // flags or lifetimes changed
			return
		}
		w.st.putAddr(a)
		w.emitChange(change{action: ActionAddressAdded, addr: &a}, now)
		return
	}
	if !known && !w.st.full {
		return
	}
	delete(w.st.addrs, a.key())
	w.emitChange(change{action: ActionAddressRemoved, addr: &a}, now)
}

func (w *watcher) handleRoute(u netlink.RouteUpdate) {
	r, ok := routeFrom(u.Route, w.set.KernelRoutes)
	if !ok {
		return
	}
	now := time.Now()
	k := r.key()
	switch u.Type {
	case unix.RTM_NEWROUTE:
		if w.st.findRoute(r) >= 0 {
			return
		}
		if existing := w.st.routes[k]; len(existing) > 0 && u.NlFlags&unix.NLM_F_REPLACE != 0 {
			prev := existing[0]
			existing[0] = r
			w.emitChange(change{action: ActionRouteChanged, route: &r, prevRoute: &prev}, now)
			return
		}
		w.st.addRoute(r)
		w.emitChange(change{action: ActionRouteAdded, route: &r}, now)
	case unix.RTM_DELROUTE:
		if i := w.st.findRoute(r); i >= 0 {
			w.st.removeRoute(k, i)
		} else if rs := w.st.routes[k]; len(rs) > 0 {
			// Deleted by key alone (ip route del PREFIX): the message
			// names the route removed, the state may differ in detail.
			w.st.removeRoute(k, 0)
		} else if !w.st.full {
			return
		}
		w.emitChange(change{action: ActionRouteRemoved, route: &r}, now)
	}
}

// emitChange names the interfaces of c and emits it.
func (w *watcher) emitChange(c change, at time.Time) {
	w.named(&c)
	w.emit.Emit(toEvent(c, at, live, false))
}

// named fills in the interface names of an address or a route, and the
// masters of interfaces.
func (w *watcher) named(c *change) {
	for _, lp := range []**Link{&c.link, &c.prevLink} {
		if *lp != nil && (*lp).MasterIndex > 0 && (*lp).Master == "" {
			l := **lp
			l.Master = w.name(l.MasterIndex)
			*lp = &l
		}
	}
	if c.addr != nil && c.addr.Interface == "" {
		a := *c.addr
		a.Interface = w.name(a.Index)
		c.addr = &a
	}
	for _, rp := range []**Route{&c.route, &c.prevRoute} {
		if *rp == nil {
			continue
		}
		r := **rp
		r.Nexthops = append([]Nexthop(nil), r.Nexthops...)
		for i := range r.Nexthops {
			if r.Nexthops[i].Interface == "" && r.Nexthops[i].Index > 0 {
				r.Nexthops[i].Interface = w.name(r.Nexthops[i].Index)
			}
		}
		*rp = &r
	}
}

// name returns the name of interface index, also shortly after it was
// removed. The subscriptions are separate sockets: an address or route
// may be announced before its new interface is, and the kernel is then
// asked.
func (w *watcher) name(index int) string {
	if n := w.st.interfaceName(index); n != "" {
		return n
	}
	if n, ok := w.gone[index]; ok {
		return n
	}
	if l, err := w.h.LinkByIndex(index); err == nil {
		return l.Attrs().Name
	}
	return ""
}

// remember keeps the name of a removed interface for a while.
func (w *watcher) remember(index int, name string) {
	if _, ok := w.gone[index]; !ok {
		w.goneOrder = append(w.goneOrder, index)
	}
	w.gone[index] = name
	if len(w.goneOrder) > goneLinks {
		delete(w.gone, w.goneOrder[0])
		w.goneOrder = w.goneOrder[1:]
	}
}

func (w *watcher) save() {
	w.dirty = false
	if w.statePath == "" {
		return
	}
	snap := w.st.snapshot(w.bootID)
	snap.SavedAt = time.Now().UTC().Format(time.RFC3339)
	if err := saveSnapshot(w.statePath, snap); err != nil {
		w.counters.snapshotErrors.Add(1)
		w.log.Warn("cannot save the network configuration", "err", err)
	}
}

// sizes publishes the sizes of the state.
func (w *watcher) sizes() {
	w.counters.interfaces.Store(uint64(len(w.st.links)))
	w.counters.addresses.Store(uint64(len(w.st.addrs)))
	w.counters.routes.Store(uint64(w.st.nroute))
}

// dump reads the whole configuration.
func (w *watcher) dump() (*Snapshot, error) {
	snap := &Snapshot{Version: snapshotVersion}
	links, err := retryDump(w.h.LinkList)
	if err != nil {
		return nil, fmt.Errorf("netcfg: list interfaces: %w", err)
	}
	for _, l := range links {
		snap.Links = append(snap.Links, linkFrom(l))
	}
	addrs, err := retryDump(func() ([]netlink.Addr, error) { return w.h.AddrList(nil, netlink.FAMILY_ALL) })
	if err != nil {
		return nil, fmt.Errorf("netcfg: list addresses: %w", err)
	}
	for _, a := range addrs {
		p, ok := prefixFrom(a.IPNet)
		if !ok {
			continue
		}
		addr := Addr{Index: a.LinkIndex, Prefix: p, Scope: a.Scope}
		if peer, ok := prefixFrom(a.Peer); ok {
			addr.Peer = peer
		}
		snap.Addrs = append(snap.Addrs, addr)
	}
	routes, err := retryDump(func() ([]netlink.Route, error) {
		return w.h.RouteListFiltered(netlink.FAMILY_ALL, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	})
	if err != nil {
		return nil, fmt.Errorf("netcfg: list routes: %w", err)
	}
	for _, r := range routes {
		if rt, ok := routeFrom(r, w.set.KernelRoutes); ok {
			snap.Routes = append(snap.Routes, rt)
		}
	}
	return snap, nil
}

// retryDump runs a dump again while the kernel reports it interrupted
// (the configuration changed during it).
func retryDump[T any](list func() ([]T, error)) ([]T, error) {
	var err error
	for range dumpAttempts {
		var out []T
		out, err = list()
		if err == nil {
			return out, nil
		}
		if !errors.Is(err, netlink.ErrDumpInterrupted) {
			return nil, err
		}
	}
	return nil, err
}

// callback returns the error callback of a subscription: it records the
// error and counts the notifications the library could not decode as
// lost. The library reports errors as text only.
func callback(w *watcher, last *atomic.Pointer[string]) func(error) {
	return func(err error) {
		if w.stopping.Load() {
			return
		}
		msg := err.Error()
		last.Store(&msg)
		switch {
		case strings.HasPrefix(msg, "Receive failed"):
			// The subscription ends; the loop sees its channel closed.
		case strings.HasPrefix(msg, "Wrong sender portid"):
			// Not from the kernel: a process sent a forged notification.
			w.counters.forged.Add(1)
			w.log.Warn("netlink notification from a process, not the kernel, ignored", "err", msg)
		default:
			w.counters.malformed.Add(1)
			w.log.Debug("undecodable netlink notification", "err", msg)
			w.emit.Lost(1)
		}
	}
}

func (w *watcher) subscribeLinks() error {
	w.links.stop()
	sub := &subscription[netlink.LinkUpdate]{ch: make(chan netlink.LinkUpdate, updateQueue), done: make(chan struct{})}
	err := netlink.LinkSubscribeWithOptions(sub.ch, sub.done, netlink.LinkSubscribeOptions{
		Namespace: &w.ns, ErrorCallback: callback(w, &sub.lastErr),
		ReceiveBufferSize: w.set.ReceiveBufferBytes, ReceiveBufferForceSize: os.Geteuid() == 0,
	})
	if err != nil {
		close(sub.done)
		return fmt.Errorf("netcfg: subscribe to links: %w", err)
	}
	w.links = sub
	return nil
}

func (w *watcher) subscribeAddrs() error {
	w.addrs.stop()
	sub := &subscription[netlink.AddrUpdate]{ch: make(chan netlink.AddrUpdate, updateQueue), done: make(chan struct{})}
	err := netlink.AddrSubscribeWithOptions(sub.ch, sub.done, netlink.AddrSubscribeOptions{
		Namespace: &w.ns, ErrorCallback: callback(w, &sub.lastErr),
		ReceiveBufferSize: w.set.ReceiveBufferBytes, ReceiveBufferForceSize: os.Geteuid() == 0,
	})
	if err != nil {
		close(sub.done)
		return fmt.Errorf("netcfg: subscribe to addresses: %w", err)
	}
	w.addrs = sub
	return nil
}

func (w *watcher) subscribeRoutes() error {
	w.routes.stop()
	sub := &subscription[netlink.RouteUpdate]{ch: make(chan netlink.RouteUpdate, updateQueue), done: make(chan struct{})}
	err := netlink.RouteSubscribeWithOptions(sub.ch, sub.done, netlink.RouteSubscribeOptions{
		Namespace: &w.ns, ErrorCallback: callback(w, &sub.lastErr),
		ReceiveBufferSize: w.set.ReceiveBufferBytes, ReceiveBufferForceSize: os.Geteuid() == 0,
	})
	if err != nil {
		close(sub.done)
		return fmt.Errorf("netcfg: subscribe to routes: %w", err)
	}
	w.routes = sub
	return nil
}

// stopAll closes the subscriptions and waits for their goroutines.
func (w *watcher) stopAll() {
	w.stopping.Store(true)
	w.links.stop()
	w.addrs.stop()
	w.routes.stop()
}

// linkFrom converts the library's link.
func linkFrom(l netlink.Link) Link {
	a := l.Attrs()
	typ := l.Type()
	switch v := l.(type) {
	case *netlink.Tuntap:
		switch v.Mode {
		case netlink.TUNTAP_MODE_TUN:
			typ = "tun"
		case netlink.TUNTAP_MODE_TAP:
			typ = "tap"
		}
	case *netlink.Device:
		if a.Flags&net.FlagLoopback != 0 {
			typ = "loopback"
		}
	}
	out := Link{
		Index:       a.Index,
		Name:        a.Name,
		Type:        typ,
		MTU:         a.MTU,
		Up:          a.RawFlags&unix.IFF_UP != 0,
		OperState:   a.OperState.String(),
		PromiscFlag: a.RawFlags&unix.IFF_PROMISC != 0,
		Promiscuity: a.Promisc,
		MasterIndex: a.MasterIndex,
		ParentIndex: a.ParentIndex,
		LinkNetNSID: a.NetNsID,
		Alias:       a.Alias,
		Flags:       a.RawFlags,
	}
	if len(a.HardwareAddr) > 0 {
		out.MAC = a.HardwareAddr.String()
	}
	if out.ParentIndex == out.Index {
		out.ParentIndex = 0
	}
	return out
}

// prefixFrom converts an address with its mask.
func prefixFrom(n *net.IPNet) (netip.Prefix, bool) {
	if n == nil {
		return netip.Prefix{}, false
	}
	ip, ok := netip.AddrFromSlice(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	ones, bits := n.Mask.Size()
	if bits == 0 {
		ones = ip.BitLen()
	}
	if ones > ip.BitLen() {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(ip, ones), true
}

func addrFrom(ip net.IP) netip.Addr {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.Addr{}
	}
	return a.Unmap()
}

// routeFrom converts the library's route; false for routes the sensor
// does not report: other families, cached clones, and kernel-made routes
// unless asked for.
func routeFrom(r netlink.Route, kernelRoutes bool) (Route, bool) {
	if r.Family != unix.AF_INET && r.Family != unix.AF_INET6 {
		return Route{}, false
	}
	if r.Flags&unix.RTM_F_CLONED != 0 {
		return Route{}, false
	}
	if int(r.Protocol) == unix.RTPROT_KERNEL && !kernelRoutes {
		return Route{}, false
	}
	out := Route{
		Family: r.Family, Table: r.Table, Tos: r.Tos, Priority: r.Priority,
		Protocol: int(r.Protocol), Scope: int(r.Scope), Type: r.Type, PrefSrc: addrFrom(r.Src),
	}
	if d, ok := prefixFrom(r.Dst); ok {
		out.Dst = d
	} else if r.Family == unix.AF_INET {
		out.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	} else {
		out.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
	}
	gateway := func(gw net.IP, via netlink.Destination) netip.Addr {
		if a := addrFrom(gw); a.IsValid() {
			return a
		}
		if v, ok := via.(*netlink.Via); ok && v != nil {
			return addrFrom(v.Addr)
		}
		return netip.Addr{}
	}
	if len(r.MultiPath) > 0 {
		for _, nh := range r.MultiPath {
			if nh == nil {
				continue
			}
			out.Nexthops = append(out.Nexthops, Nexthop{Gateway: gateway(nh.Gw, nh.Via), Index: nh.LinkIndex, Weight: nh.Hops + 1})
		}
	} else if gw := gateway(r.Gw, r.Via); gw.IsValid() || r.LinkIndex > 0 {
		out.Nexthops = []Nexthop{{Gateway: gw, Index: r.LinkIndex}}
	}
	return out, true
}
