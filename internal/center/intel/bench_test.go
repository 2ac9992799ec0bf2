package intel

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// benchSize is the number of indicators of the large benchmarks.
const benchSize = 1_000_000

// mixedIndicators returns n indicators as a feed of mixed kinds gives
// them: 40% addresses, 5% networks, 25% domains, 10% URLs, 20% hashes.
func mixedIndicators(n int) []store.Indicator {
	ins := make([]store.Indicator, 0, n)
	for i := range n {
		var (
			t store.IndicatorType
			v string
		)
		switch r := i % 20; {
		case r < 8:
			t, v = store.IndicatorIP, fmt.Sprintf("%d.%d.%d.%d", 11+i%200, i>>16&255, i>>8&255, i&255)
		case r < 9:
			t, v = store.IndicatorIP, fmt.Sprintf("%d.%d.%d.0/24", 11+i%200, i>>16&255, i>>8&255)
		case r < 14:
			t, v = store.IndicatorDomain, fmt.Sprintf("host-%d.bad-%d.example.net", i, i%997)
		case r < 16:
			t, v = store.IndicatorURL, fmt.Sprintf("http://dl-%d.example.com/payload/%d.bin", i%5000, i)
		default:
			h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16), byte(i >> 24)})
			t, v = store.IndicatorSHA256, hex.EncodeToString(h[:])
		}
		in := ind(t, v, fmt.Sprintf("feed-%d", i%4))
		in.Description = "seen in the example campaign"
		in.Tags = []string{"c2", "feed"}
		ins = append(ins, in)
	}
	return ins
}

// textFeed returns a text feed of n lines of mixed values.
func textFeed(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# example feed\n")
	for i := range n {
		switch i % 4 {
		case 0:
			fmt.Fprintf(&b, "%d.%d.%d.%d\n", 11+i%200, i>>16&255, i>>8&255, i&255)
		case 1:
			fmt.Fprintf(&b, "host-%d.bad[.]example[.]net C2\n", i)
		case 2:
			fmt.Fprintf(&b, "hxxp://dl-%d.example.com/p/%d.bin\n", i%5000, i)
		default:
			h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
			fmt.Fprintf(&b, "%x dropper\n", h)
		}
	}
	return b.Bytes()
}

func BenchmarkParseText1M(b *testing.B) {
	feed := textFeed(benchSize)
	b.SetBytes(int64(len(feed)))
	b.ReportAllocs()
	for b.Loop() {
		ins, _, _, err := Parse(bytes.NewReader(feed), ImportOptions{Source: "bench"})
		if err != nil || len(ins) != benchSize {
			b.Fatalf("%d indicators, %v", len(ins), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/indicator")
}

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkNewMatcher1M builds a matcher of a million indicators and
// reports the heap it keeps per indicator: B/indicator for the
// indicators (as a store load gives them, every string its own) and the
// matcher together, after the matcher shared their repeated strings;
// index-B/indicator for the matcher alone (its maps, filter and order),
// measured over indicators whose strings are shared already.
func BenchmarkNewMatcher1M(b *testing.B) {
	var m *Matcher
	var total, index float64
	for b.Loop() {
		b.StopTimer()
		m = nil
		base := heapInUse()
		ins := mixedIndicators(benchSize)
		b.StartTimer()
		m = NewMatcher(ins)
		b.StopTimer()
		ins = nil
		total = float64(heapInUse()-base) / benchSize
		// The index alone: build again over the same (now shared)
		// indicators.
		ins = m.ins
		before := heapInUse()
		again := NewMatcher(ins)
		index = (float64(heapInUse()) - float64(before)) / benchSize
		runtime.KeepAlive(again)
		b.StartTimer()
	}
	if m.Len() != benchSize {
		b.Fatalf("Len %d", m.Len())
	}
	b.ReportMetric(total, "B/indicator")
	b.ReportMetric(index, "index-B/indicator")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/indicator")
	runtime.KeepAlive(m)
}

// benchEnricher is a Service whose matcher holds benchSize indicators,
// built once for the Enrich benchmarks.
var benchEnricher = func() func() *Service {
	var s *Service
	return func() *Service {
		if s == nil {
			s = enricher(mixedIndicators(benchSize)...)
		}
		return s
	}
}()

// benchEvent is a network and process event with 6 fields Enrich looks
// at (source.ip, destination.ip, destination.domain, url.full,
// process.hash.sha256, file.hash.md5) among others, as an agent sends
// it; srcIP is its source address.
func benchEvent(b testing.TB, srcIP string) event.Event {
	return decoded(b, `{"@timestamp":"2026-03-10T12:00:00Z","event":{"id":"e-1","category":"network","action":"connection-attempted","kind":"event"},
		"agent":{"id":"a-1","version":"1.0.0"},"host":{"id":"h-1","name":"web-01"},
		"process":{"pid":4242,"executable":"/usr/bin/curl","command_line":"curl -s http://cdn.example.org/app.js","entity_id":"a-1:4242:1",
		  "hash":{"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},"parent":{"pid":1,"executable":"/usr/sbin/cron"}},
		"user":{"name":"www-data"},"source":{"ip":"`+srcIP+`","port":51234},
		"destination":{"ip":"192.0.2.80","port":443,"domain":"cdn.example.org"},
		"url":{"full":"https://cdn.example.org/app.js"},"file":{"path":"/var/www/static/app.js","hash":{"md5":"0cc175b9c0f1b6a831c399e269772661"}},
		"network":{"transport":"tcp","direction":"egress"},"message":"connect to cdn.example.org"}`)
}

func BenchmarkEnrichMiss(b *testing.B) {
	s := benchEnricher()
	ev := benchEvent(b, "10.0.0.5")
	b.ReportAllocs()
	for b.Loop() {
		if s.Enrich(ev) != 0 {
			b.Fatal("matched")
		}
	}
}

func BenchmarkEnrichMissParallel(b *testing.B) {
	s := benchEnricher()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		ev := benchEvent(b, "10.0.0.5")
		for pb.Next() {
			if s.Enrich(ev) != 0 {
				b.Fatal("matched")
			}
		}
	})
}

func BenchmarkEnrichHit(b *testing.B) {
	s := benchEnricher()
	// An address of mixedIndicators (i = 20: 31.0.0.20) and the network
	// of i = 8 (19.0.0.0/24) do not overlap; i = 40 gives 51.0.0.40.
	src := "51.0.0.40"
	if len(s.state.Load().m.Lookup(store.IndicatorIP, src)) != 1 {
		b.Fatalf("%s is no indicator", src)
	}
	events := make([]event.Event, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%len(events) == 0 {
			b.StopTimer()
			for j := range events {
				events[j] = benchEvent(b, src)
			}
			b.StartTimer()
		}
		if s.Enrich(events[i%len(events)]) != 1 {
			b.Fatal("no match")
		}
	}
}
