package ebpf

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

func TestSensorIdentity(t *testing.T) {
	s := New()
	if s.Name() != "net/ebpf" || s.Mechanism() != "ebpf" || s.Provides() != "network" {
		t.Errorf("name %q, mechanism %q, provides %q", s.Name(), s.Mechanism(), s.Provides())
	}
	r := s.Requirements()
	if !r.Root || !slices.Contains(r.Features, plugin.FeatureBTF) || !slices.Contains(r.Features, plugin.FeatureCgroup2) {
		t.Errorf("requirements %+v", r)
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		raw  string
		want func(Settings) bool
		err  string
	}{
		{"", func(s Settings) bool {
			return s.DNS && s.UDP && s.Flows && slices.Equal(s.DNSPorts, []int{53}) && s.RingBufferKiB == 1024 &&
				time.Duration(s.FlowInterval) == time.Minute
		}, ""},
		{"  ", func(s Settings) bool { return s.DNS }, ""},
		{`{"flow_interval":"10s","dns":false,"dns_ports":[53,5353],"udp":false,"flows":false,"ring_buffer_kib":4096,
			"ignore_ports":[443],"ignore_addresses":["192.0.2.0/24"]}`,
			func(s Settings) bool {
				return !s.DNS && !s.UDP && !s.Flows && len(s.DNSPorts) == 2 && s.RingBufferKiB == 4096 &&
					time.Duration(s.FlowInterval) == 10*time.Second
			}, ""},
		{`{"flow_interval":"0s"}`, nil, "outside"},
		{`{"flow_interval":"2h"}`, nil, "outside"},
		{`{"dns_ports":[70000]}`, nil, "not a port"},
		{`{"dns_ports":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17]}`, nil, "at most 16"},
		{`{"ring_buffer_kib":1000}`, nil, "power of two"},
		{`{"ring_buffer_kib":32}`, nil, "power of two"},
		{`{"ignore_addresses":["10.0.0.0/33"]}`, nil, "neither an IP address"},
		{`{"dns":"yes"}`, nil, "cannot unmarshal"},
		{`{"interval":"1s"}`, nil, "unknown field"},
		{`[]`, nil, "cannot unmarshal"},
	}
	for _, tt := range tests {
		s := New()
		err := s.ApplySettings([]byte(tt.raw))
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: err = %v, want %q", tt.raw, err, tt.err)
			}
			if s.settings.RingBufferKiB != 1024 {
				t.Errorf("%s: a refused setting changed the settings", tt.raw)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.raw, err)
			continue
		}
		if !tt.want(s.settings) {
			t.Errorf("%s: settings %+v", tt.raw, s.settings)
		}
	}
}
