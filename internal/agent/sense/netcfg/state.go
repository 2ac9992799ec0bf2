package netcfg

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/pki/securefile"
)

// Link is what the sensor knows of one network interface.
type Link struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	// Type is the link kind: "veth", "bridge", "tun", "tap", "vlan",
	// "macvlan", "wireguard", "dummy", "loopback", "device" (a physical
	// or otherwise kind-less interface) ...
	Type string `json:"type"`
	MAC  string `json:"mac,omitempty"`
	MTU  int    `json:"mtu"`
	// Up is the administrative state (IFF_UP).
	Up        bool   `json:"up"`
	OperState string `json:"oper_state,omitempty"`
	// PromiscFlag is IFF_PROMISC as set by user space; Promiscuity is the
	// kernel's count of reasons to be promiscuous (packet sockets,
	// bridges, the flag).
	PromiscFlag bool `json:"promisc_flag,omitempty"`
	Promiscuity int  `json:"promiscuity,omitempty"`
	MasterIndex int  `json:"master_index,omitempty"`
	// Master is the master's name, filled in when reported.
	Master      string `json:"master,omitempty"`
	ParentIndex int    `json:"parent_index,omitempty"`
	LinkNetNSID int    `json:"link_netnsid,omitempty"`
	Alias       string `json:"alias,omitempty"`
	Flags       uint32 `json:"flags"`
}

// Promiscuous reports whether the interface receives all packets.
func (l Link) Promiscuous() bool { return l.PromiscFlag || l.Promiscuity > 0 }

// linkChanges returns the attributes (by their event names) that differ
// between two states of one interface; promiscuity, operational state
// and flags other than IFF_UP are not among them (promiscuity has events
// of its own, the rest changes with the carrier).
func linkChanges(old, cur Link) []string {
	var ch []string
	if old.Name != cur.Name {
		ch = append(ch, "name")
	}
	if old.Type != cur.Type {
		ch = append(ch, "type")
	}
	if old.MAC != cur.MAC {
		ch = append(ch, "mac")
	}
	if old.MTU != cur.MTU {
		ch = append(ch, "mtu")
	}
	if old.Up != cur.Up {
		ch = append(ch, "state")
	}
	if old.MasterIndex != cur.MasterIndex {
		ch = append(ch, "master")
	}
	if old.Alias != cur.Alias {
		ch = append(ch, "alias")
	}
	return ch
}

// Addr is one address of an interface.
type Addr struct {
	Index int `json:"index"`
	// Interface is the interface's name when the snapshot was taken.
	Interface string `json:"interface,omitempty"`
	// Prefix is the address with its prefix length (host bits kept).
	Prefix netip.Prefix `json:"prefix"`
	Scope  int          `json:"scope"`
	// Peer is the other end of a point-to-point address.
	Peer netip.Prefix `json:"peer,omitzero"`
}

// addrKey identifies an address on a live host.
type addrKey struct {
	Index  int
	Prefix netip.Prefix
}

func (a Addr) key() addrKey { return addrKey{a.Index, a.Prefix} }

// Nexthop is one way out of a route.
type Nexthop struct {
	Gateway   netip.Addr `json:"gateway,omitzero"`
	Index     int        `json:"index,omitempty"`
	Interface string     `json:"interface,omitempty"`
	Weight    int        `json:"weight,omitempty"`
}

// Route is one route of a routing table.
type Route struct {
	Family int `json:"family"`
	Table  int `json:"table"`
	// Dst is the destination; 0.0.0.0/0 or ::/0 for a default route.
	Dst netip.Prefix `json:"dst"`
	// Src is the source prefix of an IPv6 source-specific route.
	Src      netip.Prefix `json:"src,omitzero"`
	Tos      int          `json:"tos,omitempty"`
	Priority int          `json:"priority,omitempty"`
	Protocol int          `json:"protocol"`
	Scope    int          `json:"scope"`
	Type     int          `json:"type"`
	// PrefSrc is the preferred source address.
	PrefSrc  netip.Addr `json:"prefsrc,omitzero"`
	Nexthops []Nexthop  `json:"nexthops,omitempty"`
}

// routeKey is what the kernel tells routes of one table apart by; routes
// appended to one key differ in their nexthops.
type routeKey struct {
	Family, Table int
	Dst, Src      netip.Prefix
	Tos, Priority int
}

func (r Route) key() routeKey {
	return routeKey{r.Family, r.Table, r.Dst, r.Src, r.Tos, r.Priority}
}

// IsDefault reports whether r is a default route.
func (r Route) IsDefault() bool { return r.Dst.IsValid() && r.Dst.Bits() == 0 }

// sameRoute reports whether a and b are the same route with the same
// nexthops; byName compares nexthop interfaces by name (snapshots of
// different runs, whose interface indexes may differ) instead of index.
func sameRoute(a, b Route, byName bool) bool {
	if a.key() != b.key() || a.Protocol != b.Protocol || a.Scope != b.Scope || a.Type != b.Type ||
		a.PrefSrc != b.PrefSrc || len(a.Nexthops) != len(b.Nexthops) {
		return false
	}
	for i := range a.Nexthops {
		x, y := a.Nexthops[i], b.Nexthops[i]
		if x.Gateway != y.Gateway || x.Weight != y.Weight {
			return false
		}
		if byName && x.Interface != y.Interface || !byName && x.Index != y.Index {
			return false
		}
	}
	return true
}

// routeIdentity is a string naming a route with its nexthops, for sets.
func routeIdentity(r Route, byName bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d|%d|%s|%s|%d|%d|%d|%d|%d|%s", r.Family, r.Table, r.Dst, r.Src, r.Tos, r.Priority,
		r.Protocol, r.Scope, r.Type, r.PrefSrc)
	for _, nh := range r.Nexthops {
		ifc := strconv.Itoa(nh.Index)
		if byName {
			ifc = nh.Interface
		}
		fmt.Fprintf(&b, "|%s@%s*%d", nh.Gateway, ifc, nh.Weight)
	}
	return b.String()
}

// Snapshot is the configuration at one moment, as persisted.
type Snapshot struct {
	Version int    `json:"version"`
	BootID  string `json:"boot_id,omitempty"`
	// SavedAt is when the snapshot was written (RFC 3339).
	SavedAt string  `json:"saved_at,omitempty"`
	Links   []Link  `json:"links"`
	Addrs   []Addr  `json:"addresses"`
	Routes  []Route `json:"routes"`
}

// snapshotVersion is the format of the snapshot file.
const snapshotVersion = 1

// maxSnapshotBytes bounds the snapshot file read at start.
const maxSnapshotBytes = 256 << 20

// DecodeSnapshot parses a snapshot file and checks it.
func DecodeSnapshot(data []byte) (*Snapshot, error) {
	if len(data) > maxSnapshotBytes {
		return nil, fmt.Errorf("snapshot of %d bytes is larger than %d", len(data), maxSnapshotBytes)
	}
	var s Snapshot
	if err := plugin.DecodeStrict(data, &s); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("snapshot version %d, want %d", s.Version, snapshotVersion)
	}
	for _, l := range s.Links {
		if l.Index <= 0 || l.Name == "" {
			return nil, fmt.Errorf("snapshot: interface %q with index %d", l.Name, l.Index)
		}
	}
	for _, a := range s.Addrs {
		if !a.Prefix.IsValid() {
			return nil, fmt.Errorf("snapshot: address without prefix on interface %q", a.Interface)
		}
	}
	for _, r := range s.Routes {
		if !r.Dst.IsValid() {
			return nil, fmt.Errorf("snapshot: route without destination in table %d", r.Table)
		}
	}
	return &s, nil
}

// loadSnapshot reads the snapshot at path; (nil, nil) when there is none.
func loadSnapshot(path string) (*Snapshot, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read snapshot: %w", err)
	}
	return DecodeSnapshot(data)
}

// saveSnapshot writes s to path atomically and durably.
func saveSnapshot(path string, s *Snapshot) error {
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := securefile.EnsureDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	if err := securefile.Write(path, data, 0o600); err != nil {
		return fmt.Errorf("save snapshot: %w", err)
	}
	return nil
}

// state is the configuration the sensor believes the host has.
type state struct {
	links  map[int]Link
	addrs  map[addrKey]Addr
	routes map[routeKey][]Route
	nroute int
	// max bounds each of the three; full records that one was reached.
	max  int
	full bool
}

func newState(max int) *state {
	return &state{links: map[int]Link{}, addrs: map[addrKey]Addr{}, routes: map[routeKey][]Route{}, max: max}
}

// putLink stores l; false when l is new and the table is full.
func (s *state) putLink(l Link) bool {
	if _, ok := s.links[l.Index]; !ok && len(s.links) >= s.max {
		s.full = true
		return false
	}
	s.links[l.Index] = l
	return true
}

func (s *state) putAddr(a Addr) bool {
	if _, ok := s.addrs[a.key()]; !ok && len(s.addrs) >= s.max {
		s.full = true
		return false
	}
	s.addrs[a.key()] = a
	return true
}

// addRoute appends r to its key.
func (s *state) addRoute(r Route) bool {
	if s.nroute >= s.max {
		s.full = true
		return false
	}
	k := r.key()
	s.routes[k] = append(s.routes[k], r)
	s.nroute++
	return true
}

// findRoute returns the index of r among the routes of its key, -1 if
// it is not there.
func (s *state) findRoute(r Route) int {
	return slices.IndexFunc(s.routes[r.key()], func(x Route) bool { return sameRoute(x, r, false) })
}

// removeRoute removes the i-th route of key k.
func (s *state) removeRoute(k routeKey, i int) {
	rs := slices.Delete(s.routes[k], i, i+1)
	if len(rs) == 0 {
		delete(s.routes, k)
	} else {
		s.routes[k] = rs
	}
	s.nroute--
}

// interfaceName returns the name of interface index as the state knows
// it.
func (s *state) interfaceName(index int) string {
	if l, ok := s.links[index]; ok {
		return l.Name
	}
	return ""
}

// snapshot returns the state in its persisted form, sorted, with the
// interface names filled in.
func (s *state) snapshot(bootID string) *Snapshot {
	snap := &Snapshot{Version: snapshotVersion, BootID: bootID,
		Links: make([]Link, 0, len(s.links)), Addrs: make([]Addr, 0, len(s.addrs)), Routes: make([]Route, 0, s.nroute)}
	for _, l := range s.links {
		if l.MasterIndex > 0 {
			l.Master = s.interfaceName(l.MasterIndex)
		}
		snap.Links = append(snap.Links, l)
	}
	for _, a := range s.addrs {
		a.Interface = s.interfaceName(a.Index)
		snap.Addrs = append(snap.Addrs, a)
	}
	for _, rs := range s.routes {
		for _, r := range rs {
			r.Nexthops = slices.Clone(r.Nexthops)
			for i := range r.Nexthops {
				r.Nexthops[i].Interface = s.interfaceName(r.Nexthops[i].Index)
			}
			snap.Routes = append(snap.Routes, r)
		}
	}
	slices.SortFunc(snap.Links, func(a, b Link) int { return cmp.Compare(a.Index, b.Index) })
	slices.SortFunc(snap.Addrs, func(a, b Addr) int {
		return cmp.Or(cmp.Compare(a.Index, b.Index), strings.Compare(a.Prefix.String(), b.Prefix.String()))
	})
	slices.SortFunc(snap.Routes, func(a, b Route) int {
		return strings.Compare(routeIdentity(a, false), routeIdentity(b, false))
	})
	return snap
}

// stateFromSnapshot builds a state from a dump (or a loaded snapshot).
func stateFromSnapshot(snap *Snapshot, max int) *state {
	s := newState(max)
	for _, l := range snap.Links {
		s.putLink(l)
	}
	for _, a := range snap.Addrs {
		s.putAddr(a)
	}
	for _, r := range snap.Routes {
		if s.findRoute(r) < 0 {
			s.addRoute(r)
		}
	}
	return s
}

// change is one difference between two configurations.
type change struct {
	action string
	link   *Link
	addr   *Addr
	route  *Route
	// previous is the former state of a changed interface or route.
	prevLink  *Link
	prevRoute *Route
	// changes lists the changed attributes of an interface.
	changes []string
}

// diff returns what changed from old to cur, in an order that makes
// sense to a reader: interfaces appear before their addresses and routes
// and disappear after them. byName matches interfaces, and the
// interfaces of addresses and routes, by name instead of index: for
// snapshots of different runs, across which indexes may change.
func diff(old, cur *Snapshot, byName bool) []change {
	var out []change
	links := diffLinks(old.Links, cur.Links, byName)
	addrAdded, addrRemoved := diffAddrs(old.Addrs, cur.Addrs, byName)
	routeAdded, routeRemoved, routeChanged := diffRoutes(old.Routes, cur.Routes, byName)
	// Removals, innermost first.
	for i := range routeRemoved {
		out = append(out, change{action: ActionRouteRemoved, route: &routeRemoved[i]})
	}
	for i := range addrRemoved {
		out = append(out, change{action: ActionAddressRemoved, addr: &addrRemoved[i]})
	}
	for _, c := range links {
		if c.action == ActionInterfaceRemoved {
			out = append(out, c)
		}
	}
	// Interface changes and additions, then what lies on them.
	for _, c := range links {
		if c.action != ActionInterfaceRemoved {
			out = append(out, c)
		}
	}
	for i := range addrAdded {
		out = append(out, change{action: ActionAddressAdded, addr: &addrAdded[i]})
	}
	for i := range routeAdded {
		out = append(out, change{action: ActionRouteAdded, route: &routeAdded[i]})
	}
	for _, pair := range routeChanged {
		out = append(out, change{action: ActionRouteChanged, route: &pair[1], prevRoute: &pair[0]})
	}
	return out
}

// linkChangeEvents returns the changes between two states of one
// interface: interface-changed for its attributes, and the promiscuous
// mode's own change.
func linkChangeEvents(old, cur Link) []change {
	var out []change
	o, c := old, cur
	if ch := linkChanges(old, cur); len(ch) > 0 {
		out = append(out, change{action: ActionInterfaceChanged, link: &c, prevLink: &o, changes: ch})
	}
	switch {
	case !old.Promiscuous() && cur.Promiscuous():
		out = append(out, change{action: ActionPromiscuousEnabled, link: &c, prevLink: &o})
	case old.Promiscuous() && !cur.Promiscuous():
		out = append(out, change{action: ActionPromiscuousDisabled, link: &c, prevLink: &o})
	}
	return out
}

// diffLinks compares interfaces: by index on a live host (a rename is a
// change), by name across runs (an interface matched by index only when
// its name is the same too).
func diffLinks(old, cur []Link, byName bool) []change {
	var out []change
	matched := make(map[int]bool, len(cur)) // indexes in cur
	curByIndex := make(map[int]Link, len(cur))
	curByName := make(map[string]Link, len(cur))
	for _, l := range cur {
		curByIndex[l.Index] = l
		curByName[l.Name] = l
	}
	var pairs [][2]Link
	var removed []Link
	pending := old
	if byName {
		// First pass: same index and name; second pass: same name.
		var rest []Link
		for _, o := range old {
			if c, ok := curByIndex[o.Index]; ok && c.Name == o.Name {
				pairs = append(pairs, [2]Link{o, c})
				matched[c.Index] = true
			} else {
				rest = append(rest, o)
			}
		}
		pending = rest
	}
	for _, o := range pending {
		var c Link
		var ok bool
		if byName {
			c, ok = curByName[o.Name]
		} else {
			c, ok = curByIndex[o.Index]
		}
		if ok && !matched[c.Index] {
			pairs = append(pairs, [2]Link{o, c})
			matched[c.Index] = true
		} else {
			removed = append(removed, o)
		}
	}
	for _, o := range removed {
		l := o
		out = append(out, change{action: ActionInterfaceRemoved, link: &l})
	}
	for _, p := range pairs {
		out = append(out, linkChangeEvents(p[0], p[1])...)
	}
	for _, c := range cur {
		if !matched[c.Index] {
			l := c
			out = append(out, change{action: ActionInterfaceAdded, link: &l})
		}
	}
	return out
}

// addrIdentity names an address for sets.
func addrIdentity(a Addr, byName bool) string {
	if byName {
		return a.Interface + "|" + a.Prefix.String()
	}
	return strconv.Itoa(a.Index) + "|" + a.Prefix.String()
}

func diffAddrs(old, cur []Addr, byName bool) (added, removed []Addr) {
	oldSet := make(map[string]bool, len(old))
	for _, a := range old {
		oldSet[addrIdentity(a, byName)] = true
	}
	curSet := make(map[string]bool, len(cur))
	for _, a := range cur {
		id := addrIdentity(a, byName)
		curSet[id] = true
		if !oldSet[id] {
			added = append(added, a)
		}
	}
	for _, a := range old {
		if !curSet[addrIdentity(a, byName)] {
			removed = append(removed, a)
		}
	}
	return added, removed
}

// diffRoutes compares routes as sets; a route removed and one added with
// the same key (table, destination, metric ...) make a change.
func diffRoutes(old, cur []Route, byName bool) (added, removed []Route, changed [][2]Route) {
	oldSet := make(map[string]int, len(old))
	for _, r := range old {
		oldSet[routeIdentity(r, byName)]++
	}
	curSet := make(map[string]int, len(cur))
	for _, r := range cur {
		curSet[routeIdentity(r, byName)]++
	}
	var add, rem []Route
	for _, r := range cur {
		id := routeIdentity(r, byName)
		if oldSet[id] > 0 {
			oldSet[id]--
		} else {
			add = append(add, r)
		}
	}
	for _, r := range old {
		id := routeIdentity(r, byName)
		if curSet[id] > 0 {
			curSet[id]--
		} else {
			rem = append(rem, r)
		}
	}
	// Pair removals and additions of one key.
	used := make([]bool, len(add))
	for _, r := range rem {
		j := -1
		for i, a := range add {
			if !used[i] && a.key() == r.key() {
				j = i
				break
			}
		}
		if j < 0 {
			removed = append(removed, r)
			continue
		}
		used[j] = true
		changed = append(changed, [2]Route{r, add[j]})
	}
	for i, a := range add {
		if !used[i] {
			added = append(added, a)
		}
	}
	return added, removed, changed
}

// readBootID returns the kernel's boot id under root, "" when unknown.
func readBootID(root string) string {
	b, err := os.ReadFile(filepath.Join(root, "proc/sys/kernel/random/boot_id"))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
