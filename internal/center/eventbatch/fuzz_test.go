package eventbatch

import (
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

func FuzzDecode(f *testing.F) {
	good := lines(f, events("a1", "f", 2))
	f.Add(batchMsg("a1", good, 2, false, 0))
	f.Add(batchMsg("a1", good, 2, true, 3))
	f.Add(batchMsg("a1", []byte("{}\n{\"agent\":{\"id\":\"a2\"}}\nnull\n"), 3, false, 0))
	f.Add(batchMsg("a2", good, 2, false, 0))
	f.Add([]byte{0x0a, 0x02, 'a', '1', 0x20, 0x01, 0x2a, 0x04, 0x28, 0xb5, 0x2f, 0xfd})
	d, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := d.Decode("vigil.agent.a1.events", data)
		if err != nil {
			return
		}
		for _, e := range b.Events {
			if err := e.Validate(); err != nil {
				t.Fatalf("accepted an invalid event: %v", err)
			}
			if e.AgentID() != "a1" {
				t.Fatalf("accepted an event of agent %q", e.AgentID())
			}
			if _, ok := e.Get(event.FieldID); !ok {
				t.Fatal("accepted an event without id")
			}
		}
	})
}
