package intel

import (
	"encoding/binary"
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"

	"github.com/vigilsec/vigil/internal/store"
)

// Matcher finds the indicators that match a value. It is built once and
// never changes, so any number of goroutines may read it without locks.
//
// Every lookup first asks a filter of 16 bits per indicator (a blocked
// Bloom filter, 2 MiB for a million indicators, small enough to stay in
// cache): a value that is no indicator is turned away there about 98
// times in 100, without the cache misses of the large maps.
//
// Addresses are looked up exactly and in one map per network prefix
// length present (the key: the address masked to that length), so an
// address costs one map lookup per length in use, at most 33 (IPv4) or
// 129 (IPv6). Domains are looked up as the name and each parent domain
// ("a.b.example.com", "b.example.com", "example.com"), so an indicator
// of example.com matches its subdomains but not notexample.com. URLs and
// hashes are looked up exactly; hashes are kept as bytes.
//
// Values are expected in the form Normalize gives: NewMatcher skips (and
// counts, see Invalid) those it cannot read. A /0 network, which
// Normalize refuses, would match every address of its family.
type Matcher struct {
	// ins are the indicators in the caller's order; order lists their
	// positions grouped by key, group g being order[starts[g]:starts[g+1]].
	ins    []store.Indicator
	order  []int32
	starts []int32

	v4      map[uint32]int32
	v6      map[[16]byte]int32
	nets4   []netTable[uint32] // longest prefix first
	nets6   []netTable[[16]byte]
	domains map[string]int32
	urls    map[string]int32
	md5     map[[16]byte]int32
	sha1    map[[20]byte]int32
	sha256  map[[32]byte]int32
	invalid int
	// filter holds a few bits of every key: a value whose bits are not
	// all set is in no map, and is known so without touching the maps,
	// which for a large feed do not fit in the processor's caches.
	filter filter
	seed   maphash.Seed
}

// netTable maps the networks of one prefix length, by their masked
// address, to groups.
type netTable[K comparable] struct {
	bits int
	m    map[K]int32
}

// NewMatcher builds a matcher of indicators. It keeps ins (and shares
// the strings of repeated fields among its elements): the caller must not
// change it afterwards. Expiry is not looked at: give only the
// indicators that should match.
func NewMatcher(ins []store.Indicator) *Matcher {
	b := newMatcherBuilder(ins)
	groupOf := make([]int32, len(ins))
	for i := range ins {
		b.intern(&ins[i])
		groupOf[i] = b.add(&ins[i])
	}
	return b.finish(groupOf)
}

// matcherBuilder assigns every indicator a group (one per distinct key)
// and then lays the groups out.
type matcherBuilder struct {
	m      *Matcher
	counts []int32 // indicators per group
	nets4  map[int]map[uint32]int32
	nets6  map[int]map[[16]byte]int32
	strs   map[string]string
	lists  map[string][]string
	key    []byte
}

func newMatcherBuilder(ins []store.Indicator) *matcherBuilder {
	n := map[store.IndicatorType]int{}
	for i := range ins {
		n[ins[i].Type]++
	}
	m := &Matcher{
		ins:     ins,
		filter:  newFilter(len(ins)),
		seed:    maphash.MakeSeed(),
		v4:      make(map[uint32]int32, n[store.IndicatorIP]),
		v6:      map[[16]byte]int32{},
		domains: make(map[string]int32, n[store.IndicatorDomain]),
		urls:    make(map[string]int32, n[store.IndicatorURL]),
		md5:     make(map[[16]byte]int32, n[store.IndicatorMD5]),
		sha1:    make(map[[20]byte]int32, n[store.IndicatorSHA1]),
		sha256:  make(map[[32]byte]int32, n[store.IndicatorSHA256]),
	}
	return &matcherBuilder{m: m, counts: make([]int32, 0, len(ins)),
		nets4: map[int]map[uint32]int32{}, nets6: map[int]map[[16]byte]int32{},
		strs: map[string]string{}, lists: map[string][]string{}}
}

// groupIn returns the group of key in m, making a new one when the key
// is new.
func groupIn[K comparable](b *matcherBuilder, m map[K]int32, key K) int32 {
	if g, ok := m[key]; ok {
		b.counts[g]++
		return g
	}
	g := int32(len(b.counts))
	b.counts = append(b.counts, 1)
	m[key] = g
	return g
}

// add files one indicator under its key; -1 when its value is no
// normalized value of its type.
func (b *matcherBuilder) add(in *store.Indicator) int32 {
	m := b.m
	switch in.Type {
	case store.IndicatorIP:
		if a, err := netip.ParseAddr(in.Value); err == nil {
			a = a.Unmap()
			if a.Is4() {
				k := v4Key(a)
				m.filter.add(hashV4(k, 32))
				return groupIn(b, m.v4, k)
			}
			k := a.As16()
			m.filter.add(m.hashV6(k, 128))
			return groupIn(b, m.v6, k)
		}
		p, err := netip.ParsePrefix(in.Value)
		if err != nil {
			break
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		p = p.Masked()
		if p.Addr().Is4() {
			t := b.nets4[p.Bits()]
			if t == nil {
				t = map[uint32]int32{}
				b.nets4[p.Bits()] = t
			}
			k := v4Key(p.Addr())
			m.filter.add(hashV4(k, p.Bits()))
			return groupIn(b, t, k)
		}
		t := b.nets6[p.Bits()]
		if t == nil {
			t = map[[16]byte]int32{}
			b.nets6[p.Bits()] = t
		}
		k := p.Addr().As16()
		m.filter.add(m.hashV6(k, p.Bits()))
		return groupIn(b, t, k)
	case store.IndicatorDomain:
		if in.Value != "" {
			m.filter.add(m.hashString(kindDomainKey, in.Value))
			return groupIn(b, m.domains, in.Value)
		}
	case store.IndicatorURL:
		if in.Value != "" {
			m.filter.add(m.hashString(kindURLKey, in.Value))
			return groupIn(b, m.urls, in.Value)
		}
	case store.IndicatorMD5:
		var k [16]byte
		if decodeHex(k[:], in.Value) {
			m.filter.add(hashDigest(kindMD5Key, k[:]))
			return groupIn(b, m.md5, k)
		}
	case store.IndicatorSHA1:
		var k [20]byte
		if decodeHex(k[:], in.Value) {
			m.filter.add(hashDigest(kindSHA1Key, k[:]))
			return groupIn(b, m.sha1, k)
		}
	case store.IndicatorSHA256:
		var k [32]byte
		if decodeHex(k[:], in.Value) {
			m.filter.add(hashDigest(kindSHA256Key, k[:]))
			return groupIn(b, m.sha256, k)
		}
	}
	m.invalid++
	return -1
}

// intern shares the strings that repeat across indicators (source,
// severity, author, type, tag and technique lists) so that a large feed
// keeps one copy of each.
func (b *matcherBuilder) intern(in *store.Indicator) {
	in.Source = b.str(in.Source)
	in.Severity = b.str(in.Severity)
	in.UpdatedBy = b.str(in.UpdatedBy)
	in.Type = store.IndicatorType(b.str(string(in.Type)))
	in.Tags = b.list(in.Tags)
	in.Techniques = b.list(in.Techniques)
}

func (b *matcherBuilder) str(s string) string {
	if s == "" {
		return ""
	}
	if v, ok := b.strs[s]; ok {
		return v
	}
	b.strs[s] = s
	return s
}

func (b *matcherBuilder) list(l []string) []string {
	if len(l) == 0 {
		return l
	}
	b.key = b.key[:0]
	for _, s := range l {
		b.key = append(b.key, s...)
		b.key = append(b.key, 0)
	}
	if v, ok := b.lists[string(b.key)]; ok {
		return v
	}
	for i, s := range l {
		l[i] = b.str(s)
	}
	l = slices.Clip(l)
	b.lists[string(b.key)] = l
	return l
}

// finish lays the indicators out by group.
func (b *matcherBuilder) finish(groupOf []int32) *Matcher {
	m := b.m
	m.starts = make([]int32, len(b.counts)+1)
	for g, n := range b.counts {
		m.starts[g+1] = m.starts[g] + n
	}
	next := slices.Clone(m.starts[:len(b.counts)])
	m.order = make([]int32, m.starts[len(b.counts)])
	for i, g := range groupOf {
		if g < 0 {
			continue
		}
		m.order[next[g]] = int32(i)
		next[g]++
	}
	for bits, t := range b.nets4 {
		m.nets4 = append(m.nets4, netTable[uint32]{bits: bits, m: t})
	}
	for bits, t := range b.nets6 {
		m.nets6 = append(m.nets6, netTable[[16]byte]{bits: bits, m: t})
	}
	slices.SortFunc(m.nets4, func(a, b netTable[uint32]) int { return b.bits - a.bits })
	slices.SortFunc(m.nets6, func(a, b netTable[[16]byte]) int { return b.bits - a.bits })
	return m
}

func v4Key(a netip.Addr) uint32 {
	b := a.As4()
	return binary.BigEndian.Uint32(b[:])
}

// mask6 zeroes the bits of a past the first bits.
func mask6(a [16]byte, bits int) [16]byte {
	for i := range a {
		switch {
		case bits >= 8:
			bits -= 8
		case bits > 0:
			a[i] &= ^byte(0xff >> bits)
			bits = 0
		default:
			a[i] = 0
		}
	}
	return a
}

// decodeHex fills dst with the hex digits of s (either case); false
// when s is not exactly that many digits.
func decodeHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, lo := hexTable[s[2*i]], hexTable[s[2*i+1]]
		if hi|lo == 0xff {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

// hexTable maps bytes to their hex value, 0xff for those that are no
// hex digit.
var hexTable = func() (t [256]byte) {
	for i := range t {
		if v := hexVal(byte(i)); v >= 0 {
			t[i] = byte(v)
		} else {
			t[i] = 0xff
		}
	}
	return t
}()

// Len is the number of indicators the matcher holds.
func (m *Matcher) Len() int { return len(m.order) }

// Invalid is the number of indicators NewMatcher left out because their
// value was no normalized value of their type.
func (m *Matcher) Invalid() int { return m.invalid }

// Lookup returns copies of the indicators that match a normalized value
// of type t (from Normalize or Detect), most specific first: for an
// address, those of the address and then of each network holding it, the
// longest prefix first (for a network, those of the network and of each
// wider one holding it); for a domain, those of the name and then of
// each parent; for a URL or a hash, those of the value. Nil when none.
func (m *Matcher) Lookup(t store.IndicatorType, normalized string) []store.Indicator {
	var groups [8]int32
	var out []store.Indicator
	for _, g := range m.lookup(t, normalized, groups[:0]) {
		for _, i := range m.order[m.starts[g]:m.starts[g+1]] {
			out = append(out, m.ins[i])
		}
	}
	return out
}

// lookup appends the groups matching a value to dst, most specific
// first. It allocates nothing unless dst is full.
func (m *Matcher) lookup(t store.IndicatorType, v string, dst []int32) []int32 {
	switch t {
	case store.IndicatorIP:
		if a, err := netip.ParseAddr(v); err == nil {
			return m.lookupAddr(a, 128, dst)
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			if p.Addr().Is4In6() && p.Bits() >= 96 {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			}
			p = p.Masked()
			return m.lookupAddr(p.Addr(), p.Bits(), dst)
		}
	case store.IndicatorDomain:
		return m.lookupDomain(v, dst)
	case store.IndicatorURL:
		return m.lookupURL([]byte(v), dst)
	case store.IndicatorMD5, store.IndicatorSHA1, store.IndicatorSHA256:
		return m.lookupHash(v, dst)
	}
	return dst
}

// lookupAddr appends the groups of an address (bits 128 or more) or of a
// network of bits: the exact entry, then the networks holding it.
func (m *Matcher) lookupAddr(a netip.Addr, bits int, dst []int32) []int32 {
	if a.Zone() != "" {
		a = a.WithZone("")
	}
	a = a.Unmap()
	if a.Is4() {
		k := v4Key(a)
		if bits >= 32 && m.filter.has(hashV4(k, 32)) {
			if g, ok := m.v4[k]; ok {
				dst = append(dst, g)
			}
		}
		for _, t := range m.nets4 {
			if t.bits > bits {
				continue
			}
			mask := ^uint32(0)
			if t.bits < 32 {
				mask = ^(^uint32(0) >> t.bits)
			}
			if !m.filter.has(hashV4(k&mask, t.bits)) {
				continue
			}
			if g, ok := t.m[k&mask]; ok {
				dst = append(dst, g)
			}
		}
		return dst
	}
	k := a.As16()
	if bits >= 128 && m.filter.has(m.hashV6(k, 128)) {
		if g, ok := m.v6[k]; ok {
			dst = append(dst, g)
		}
	}
	for _, t := range m.nets6 {
		if t.bits > bits {
			continue
		}
		masked := mask6(k, t.bits)
		if !m.filter.has(m.hashV6(masked, t.bits)) {
			continue
		}
		if g, ok := t.m[masked]; ok {
			dst = append(dst, g)
		}
	}
	return dst
}

// lookupDomain appends the groups of a lower-case name and of each of
// its parents (not the last label alone: a domain indicator has two at
// least).
func (m *Matcher) lookupDomain(name string, dst []int32) []int32 {
	for {
		i := strings.IndexByte(name, '.')
		if i < 0 {
			return dst
		}
		if m.filter.has(m.hashString(kindDomainKey, name)) {
			if g, ok := m.domains[name]; ok {
				dst = append(dst, g)
			}
		}
		name = name[i+1:]
	}
}

// lookupURL appends the group of a canonical URL.
func (m *Matcher) lookupURL(u []byte, dst []int32) []int32 {
	if len(m.urls) == 0 || !m.filter.has(m.hashBytes(kindURLKey, u)) {
		return dst
	}
	if g, ok := m.urls[string(u)]; ok {
		dst = append(dst, g)
	}
	return dst
}

// lookupHash appends the group of a hash in hex (either case); its
// length says which hash it is. The filter is asked with the first 8
// bytes before the rest is decoded.
func (m *Matcher) lookupHash(v string, dst []int32) []int32 {
	var (
		kind uint64
		n    int
	)
	switch len(v) {
	case 32:
		kind, n = kindMD5Key, len(m.md5)
	case 40:
		kind, n = kindSHA1Key, len(m.sha1)
	case 64:
		kind, n = kindSHA256Key, len(m.sha256)
	}
	var head [8]byte
	if n == 0 || !decodeHex(head[:], v[:16]) || !m.filter.has(hashDigest(kind, head[:])) {
		return dst
	}
	var (
		g  int32
		ok bool
	)
	switch len(v) {
	case 32:
		var k [16]byte
		if decodeHex(k[:], v) {
			g, ok = m.md5[k]
		}
	case 40:
		var k [20]byte
		if decodeHex(k[:], v) {
			g, ok = m.sha1[k]
		}
	case 64:
		var k [32]byte
		if decodeHex(k[:], v) {
			g, ok = m.sha256[k]
		}
	}
	if ok {
		dst = append(dst, g)
	}
	return dst
}

// group returns the positions in ins of the indicators of group g.
func (m *Matcher) group(g int32) []int32 {
	return m.order[m.starts[g]:m.starts[g+1]]
}

// Kinds of keys, mixed into their filter hashes so that equal bytes of
// different kinds differ.
const (
	kindV4Key uint64 = iota + 1
	kindV6Key
	kindDomainKey
	kindURLKey
	kindMD5Key
	kindSHA1Key
	kindSHA256Key
)

// mix64 is the finalizer of SplitMix64: it spreads every input bit over
// the output.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// hashV4 is the filter hash of an IPv4 address or network of bits.
func hashV4(k uint32, bits int) uint64 {
	return mix64(uint64(k)<<16 | uint64(bits)<<8 | kindV4Key)
}

// hashV6 is the filter hash of an IPv6 address or network of bits.
func (m *Matcher) hashV6(k [16]byte, bits int) uint64 {
	return mix64(maphash.Bytes(m.seed, k[:]) ^ uint64(bits)<<8 ^ kindV6Key)
}

func (m *Matcher) hashString(kind uint64, s string) uint64 {
	return mix64(maphash.String(m.seed, s) ^ kind)
}

func (m *Matcher) hashBytes(kind uint64, b []byte) uint64 {
	return mix64(maphash.Bytes(m.seed, b) ^ kind)
}

// hashDigest is the filter hash of a file hash: its bytes are random
// already.
func hashDigest(kind uint64, d []byte) uint64 {
	return mix64(binary.LittleEndian.Uint64(d) ^ kind)
}

// filter is a blocked Bloom filter: two bits of a key's hash in one
// 64-bit word, 16 bits per key. With n keys it answers "maybe" for about
// 1.4% of the others.
type filter struct {
	words []uint64
	mask  uint64
}

// filterBitsPerKey sizes the filter.
const filterBitsPerKey = 16

func newFilter(n int) filter {
	words := 1
	for words*64 < n*filterBitsPerKey {
		words <<= 1
	}
	return filter{words: make([]uint64, words), mask: uint64(words - 1)}
}

// bits are the word and the two bits of hash h.
func (f *filter) bits(h uint64) (uint64, uint64) {
	return h & f.mask, 1<<(h>>52&63) | 1<<(h>>58)
}

func (f *filter) add(h uint64) {
	w, b := f.bits(h)
	f.words[w] |= b
}

func (f *filter) has(h uint64) bool {
	w, b := f.bits(h)
	return f.words[w]&b == b
}
