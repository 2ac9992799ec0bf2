package netcfg

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
)

// origin says how a change was found.
type origin int

const (
	// live: a notification announced it.
	live origin = iota
	// resynced: a fresh dump after lost notifications found it.
	resynced
	// offline: it happened while the agent was stopped.
	offline
)

// eventTypes maps actions to their ECS event.type.
var eventTypes = map[string]string{
	ActionInterfaceAdded:      "creation",
	ActionInterfaceRemoved:    "deletion",
	ActionInterfaceChanged:    "change",
	ActionPromiscuousEnabled:  "change",
	ActionPromiscuousDisabled: "change",
	ActionAddressAdded:        "creation",
	ActionAddressRemoved:      "deletion",
	ActionRouteAdded:          "creation",
	ActionRouteRemoved:        "deletion",
	ActionRouteChanged:        "change",
}

// toEvent turns a change into an event. rebooted marks offline changes
// found after the host restarted.
func toEvent(c change, at time.Time, how origin, rebooted bool) event.Event {
	e := event.New("", at, "network", c.action)
	e.Set(event.FieldKind, "event")
	e.Set("event.type", []string{eventTypes[c.action]})
	e.Set(event.FieldDataset, Name)
	var msg string
	switch {
	case c.link != nil:
		msg = linkEvent(e, c)
	case c.addr != nil:
		msg = addrEvent(e, c)
	case c.route != nil:
		msg = routeEvent(e, c)
	}
	switch how {
	case offline:
		e.Set("vigil.offline", true)
		if rebooted {
			e.Set("vigil.netcfg.rebooted", true)
			msg += " (while the agent was stopped; the host restarted since)"
		} else {
			msg += " (while the agent was stopped)"
		}
	case resynced:
		e.Set("vigil.netcfg.resync", true)
		msg += " (found by resynchronisation)"
	}
	e.Set(event.FieldMessage, msg)
	return e
}

// setInterface sets the ECS interface fields.
func setInterface(e event.Event, index int, name, alias string) {
	if name != "" {
		e.Set("interface.name", name)
	}
	if index > 0 {
		e.Set("interface.id", strconv.Itoa(index))
	}
	if alias != "" {
		e.Set("interface.alias", alias)
	}
}

func linkEvent(e event.Event, c change) string {
	l := *c.link
	e.Set("vigil.netcfg.object", ObjectInterface)
	setInterface(e, l.Index, l.Name, l.Alias)
	e.Set("vigil.netcfg.interface", linkFields(l))
	name := fmt.Sprintf("interface %s (%s, index %d)", l.Name, l.Type, l.Index)
	switch c.action {
	case ActionInterfaceAdded:
		return fmt.Sprintf("%s added: mac %s, mtu %d, %s", name, orNone(l.MAC), l.MTU, upDown(l.Up))
	case ActionInterfaceRemoved:
		return name + " removed"
	case ActionInterfaceChanged:
		p := *c.prevLink
		e.Set("vigil.netcfg.changes", c.changes)
		prev := map[string]any{}
		var parts []string
		for _, what := range c.changes {
			switch what {
			case "name":
				prev["name"] = p.Name
				parts = append(parts, fmt.Sprintf("name %s -> %s", p.Name, l.Name))
			case "type":
				prev["type"] = p.Type
				parts = append(parts, fmt.Sprintf("type %s -> %s", p.Type, l.Type))
			case "mac":
				prev["mac"] = p.MAC
				parts = append(parts, fmt.Sprintf("mac %s -> %s", orNone(p.MAC), orNone(l.MAC)))
			case "mtu":
				prev["mtu"] = p.MTU
				parts = append(parts, fmt.Sprintf("mtu %d -> %d", p.MTU, l.MTU))
			case "state":
				prev["state"] = upDown(p.Up)
				parts = append(parts, fmt.Sprintf("state %s -> %s", upDown(p.Up), upDown(l.Up)))
			case "master":
				prev["master_index"] = p.MasterIndex
				if p.Master != "" {
					prev["master"] = p.Master
				}
				parts = append(parts, fmt.Sprintf("master %s -> %s", masterText(p), masterText(l)))
			case "alias":
				prev["alias"] = p.Alias
				parts = append(parts, fmt.Sprintf("alias %q -> %q", p.Alias, l.Alias))
			}
		}
		e.Set("vigil.netcfg.previous", prev)
		return fmt.Sprintf("%s changed: %s", name, strings.Join(parts, ", "))
	case ActionPromiscuousEnabled, ActionPromiscuousDisabled:
		src := "count"
		if l.PromiscFlag || c.prevLink != nil && c.prevLink.PromiscFlag {
			src = "flag"
		}
		e.Set("vigil.netcfg.promiscuous.source", src)
		if c.action == ActionPromiscuousEnabled {
			how := "IFF_PROMISC set"
			if src == "count" {
				how = "by a packet socket or a bridge"
				if l.MasterIndex > 0 {
					how = "as a port of " + masterText(l)
				}
			}
			return fmt.Sprintf("%s entered promiscuous mode (%s)", name, how)
		}
		return name + " left promiscuous mode"
	}
	return name
}

// linkFields returns vigil.netcfg.interface.
func linkFields(l Link) map[string]any {
	m := map[string]any{
		"index":       l.Index,
		"name":        l.Name,
		"type":        l.Type,
		"mtu":         l.MTU,
		"state":       upDown(l.Up),
		"promiscuous": l.Promiscuous(),
		"promiscuity": l.Promiscuity,
		"flags":       flagNames(l.Flags),
	}
	if l.MAC != "" {
		m["mac"] = l.MAC
	}
	if l.OperState != "" {
		m["oper_state"] = l.OperState
	}
	if l.MasterIndex > 0 {
		m["master_index"] = l.MasterIndex
	}
	if l.Master != "" {
		m["master"] = l.Master
	}
	if l.ParentIndex > 0 {
		m["parent_index"] = l.ParentIndex
	}
	if l.LinkNetNSID >= 0 && l.ParentIndex > 0 {
		m["link_netnsid"] = l.LinkNetNSID
	}
	if l.Alias != "" {
		m["alias"] = l.Alias
	}
	return m
}

func addrEvent(e event.Event, c change) string {
	a := *c.addr
	e.Set("vigil.netcfg.object", ObjectAddress)
	setInterface(e, a.Index, a.Interface, "")
	fam := family(a.Prefix.Addr())
	e.Set("network.type", fam)
	f := map[string]any{
		"ip":            a.Prefix.Addr().String(),
		"prefix_length": a.Prefix.Bits(),
		"cidr":          a.Prefix.String(),
		"family":        fam,
		"scope":         scopeName(a.Scope),
	}
	if a.Peer.IsValid() {
		f["peer"] = a.Peer.String()
	}
	e.Set("vigil.netcfg.address", f)
	verb := "added to"
	if c.action == ActionAddressRemoved {
		verb = "removed from"
	}
	return fmt.Sprintf("address %s %s %s", a.Prefix, verb, ifName(a.Interface, a.Index))
}

func routeEvent(e event.Event, c change) string {
	r := *c.route
	e.Set("vigil.netcfg.object", ObjectRoute)
	first := Nexthop{}
	if len(r.Nexthops) > 0 {
		first = r.Nexthops[0]
	}
	setInterface(e, first.Index, first.Interface, "")
	fam := "ipv4"
	if r.Family == familyV6 {
		fam = "ipv6"
	}
	e.Set("network.type", fam)
	e.Set("vigil.netcfg.route", routeFields(r))
	desc := describeRoute(r)
	switch c.action {
	case ActionRouteAdded:
		return desc + " added"
	case ActionRouteRemoved:
		return desc + " removed"
	}
	p := *c.prevRoute
	prev := map[string]any{"nexthops": nexthopFields(p.Nexthops)}
	if len(p.Nexthops) > 0 {
		if p.Nexthops[0].Gateway.IsValid() {
			prev["gateway"] = p.Nexthops[0].Gateway.String()
		}
		if p.Nexthops[0].Interface != "" {
			prev["interface"] = p.Nexthops[0].Interface
		}
	}
	prev["protocol"] = protocolName(p.Protocol)
	prev["type"] = routeTypeName(p.Type)
	e.Set("vigil.netcfg.previous", prev)
	return fmt.Sprintf("%s changed (was %s)", desc, nexthopText(p))
}

// routeFields returns vigil.netcfg.route.
func routeFields(r Route) map[string]any {
	m := map[string]any{
		"destination": r.Dst.String(),
		"default":     r.IsDefault(),
		"table":       r.Table,
		"table_name":  tableName(r.Table),
		"protocol":    protocolName(r.Protocol),
		"metric":      r.Priority,
		"scope":       scopeName(r.Scope),
		"type":        routeTypeName(r.Type),
		"nexthops":    nexthopFields(r.Nexthops),
	}
	if r.Src.IsValid() {
		m["source_prefix"] = r.Src.String()
	}
	if r.PrefSrc.IsValid() {
		m["source"] = r.PrefSrc.String()
	}
	if r.Tos != 0 {
		m["tos"] = r.Tos
	}
	if len(r.Nexthops) > 0 {
		nh := r.Nexthops[0]
		if nh.Gateway.IsValid() {
			m["gateway"] = nh.Gateway.String()
		}
		if nh.Interface != "" {
			m["interface"] = nh.Interface
		}
		if nh.Index > 0 {
			m["interface_index"] = nh.Index
		}
	}
	return m
}

func nexthopFields(nhs []Nexthop) []map[string]any {
	out := make([]map[string]any, 0, len(nhs))
	for _, nh := range nhs {
		m := map[string]any{}
		if nh.Gateway.IsValid() {
			m["gateway"] = nh.Gateway.String()
		}
		if nh.Interface != "" {
			m["interface"] = nh.Interface
		}
		if nh.Index > 0 {
			m["interface_index"] = nh.Index
		}
		if nh.Weight > 0 {
			m["weight"] = nh.Weight
		}
		out = append(out, m)
	}
	return out
}

// describeRoute is the route as `ip route` would print it, roughly.
func describeRoute(r Route) string {
	var b strings.Builder
	if t := routeTypeName(r.Type); t != "unicast" {
		b.WriteString(t + " ")
	}
	if r.IsDefault() {
		b.WriteString("default route")
	} else {
		b.WriteString("route " + r.Dst.String())
	}
	if nh := nexthopText(r); nh != "" {
		b.WriteString(" " + nh)
	}
	fmt.Fprintf(&b, " (table %s, proto %s", tableName(r.Table), protocolName(r.Protocol))
	if r.Priority != 0 {
		fmt.Fprintf(&b, ", metric %d", r.Priority)
	}
	b.WriteString(")")
	return b.String()
}

func nexthopText(r Route) string {
	var parts []string
	for _, nh := range r.Nexthops {
		var p []string
		if nh.Gateway.IsValid() {
			p = append(p, "via "+nh.Gateway.String())
		}
		if nh.Index > 0 || nh.Interface != "" {
			p = append(p, "dev "+ifName(nh.Interface, nh.Index))
		}
		parts = append(parts, strings.Join(p, " "))
	}
	return strings.Join(parts, ", ")
}

// Address families as the kernel numbers them.
const (
	familyV4 = 2
	familyV6 = 10
)

func family(a netip.Addr) string {
	if a.Is4() {
		return "ipv4"
	}
	return "ipv6"
}

func ifName(name string, index int) string {
	if name != "" {
		return name
	}
	return fmt.Sprintf("index %d", index)
}

// masterText names an interface's master for a message.
func masterText(l Link) string {
	switch {
	case l.MasterIndex == 0:
		return "none"
	case l.Master != "":
		return l.Master
	}
	return fmt.Sprintf("index %d", l.MasterIndex)
}

func upDown(up bool) string {
	if up {
		return "up"
	}
	return "down"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// tableName names the reserved routing tables.
func tableName(t int) string {
	switch t {
	case 253:
		return "default"
	case 254:
		return "main"
	case 255:
		return "local"
	}
	return strconv.Itoa(t)
}

var protocolNames = map[int]string{
	0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt",
	11: "zebra", 12: "bird", 13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted",
	18: "keepalived", 42: "babel", 99: "openr", 186: "bgp", 187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
}

// protocolName names a route's protocol (who installed it).
func protocolName(p int) string {
	if n, ok := protocolNames[p]; ok {
		return n
	}
	return strconv.Itoa(p)
}

var routeTypeNames = map[int]string{
	0: "unspec", 1: "unicast", 2: "local", 3: "broadcast", 4: "anycast", 5: "multicast",
	6: "blackhole", 7: "unreachable", 8: "prohibit", 9: "throw", 10: "nat", 11: "xresolve",
}

func routeTypeName(t int) string {
	if n, ok := routeTypeNames[t]; ok {
		return n
	}
	return strconv.Itoa(t)
}

// scopeName names a route or address scope.
func scopeName(s int) string {
	switch s {
	case 0:
		return "global"
	case 200:
		return "site"
	case 253:
		return "link"
	case 254:
		return "host"
	case 255:
		return "nowhere"
	}
	return strconv.Itoa(s)
}

// interfaceFlags names the bits of an interface's flags (IFF_*).
var interfaceFlags = []string{
	"up", "broadcast", "debug", "loopback", "pointopoint", "notrailers", "running", "noarp",
	"promisc", "allmulti", "master", "slave", "multicast", "portsel", "automedia", "dynamic",
	"lower_up", "dormant", "echo",
}

func flagNames(f uint32) []string {
	out := []string{}
	for i, n := range interfaceFlags {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}
