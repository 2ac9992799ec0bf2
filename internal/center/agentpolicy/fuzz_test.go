package agentpolicy

import (
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func FuzzParseSpec(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`{"collectors": {"os/dpkg": {"enabled": true, "intervalSeconds": 3600}}, "budget": {"cpuPercent": 2}}`,
		`{"sensors": {"fim": {"enabled": false}}, "heartbeatIntervalSeconds": 300, "spoolMaxMb": "16"}`,
		`{"budget": {"cpuPercent": "Infinity"}}`,
		`{"unknown": 1}`,
		`[]`,
		`{"collectors": {"": null}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseSpec(data)
		if err != nil {
			return
		}
		if err := Validate(p); err != nil {
			t.Fatalf("ParseSpec accepted a spec Validate refuses: %v", err)
		}
		if err := Validate(Merge(p)); err != nil {
			t.Fatalf("merged policy invalid: %v", err)
		}
		again, err := ParseSpec([]byte(protojson.Format(p)))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", protojson.Format(p), err)
		}
		if !proto.Equal(p, again) {
			t.Fatalf("round trip changed the spec: %v != %v", p, again)
		}
	})
}
