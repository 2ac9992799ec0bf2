package fim_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/fim"
	"github.com/vigilsec/vigil/internal/agent/sense/fim/filecap/filecaptest"
	"github.com/vigilsec/vigil/internal/event"
)

// File capabilities as the kernel stores them in security.capability.
const (
	capNetRaw       = "0100000200200000000000000000000000000000"         // cap_net_raw=ep
	capSetuidNetRaw = "0100000280200000000000000000000000000000"         // cap_setuid,cap_net_raw=ep
	capNamespaced   = "0100000300200000000000000000000000000000e8030000" // cap_net_raw=ep for the namespace of uid 1000
)

// field returns the value at path as text, lists as "[a b]"; "" when
// absent.
func field(e event.Event, path string) string {
	v, ok := e.Get(path)
	if !ok {
		return ""
	}
	return fmt.Sprint(v)
}

// capsEvent matches the attribute change of path that turns its
// capabilities from previous to text ("" none).
func capsEvent(path, previous, text string) func(event.Event) bool {
	return func(e event.Event) bool {
		return is(fim.ActionAttributesChanged, path)(e) && e.String("vigil.file.capabilities") == text &&
			e.String("vigil.file.previous.capabilities") == previous &&
			strings.Contains(field(e, "vigil.fim.changes"), "capabilities")
	}
}

// TestCapabilities: setting, changing and removing a file's capabilities
// is an attribute change with the capabilities before and after, as it
// happens and when it happened while the agent was stopped.
func TestCapabilities(t *testing.T) {
	for _, mech := range []string{fim.MechanismFanotify, fim.MechanismInotify} {
		t.Run(mech, func(t *testing.T) {
			if mech == fim.MechanismFanotify {
				needFanotifyGroup(t)
			}
			root, data := host(t), t.TempDir()
			tool := filepath.Join(root, "usr/bin/tool")
			r := start(t, root, data, mech)

			for _, step := range []struct {
				name, xattr, text, previous string
				fields                      map[string]string
			}{
				{"set", capNetRaw, "cap_net_raw=ep", "", map[string]string{
					"vigil.file.capabilities_permitted": "[cap_net_raw]", "vigil.fim.changes": "[capabilities]",
					"event.type": "[change]", "file.hash.sha256": sum([]byte("#!/bin/sh\necho tool\n")),
				}},
				{"changed", capSetuidNetRaw, "cap_setuid,cap_net_raw=ep", "cap_net_raw=ep", map[string]string{
					"vigil.file.capabilities_permitted": "[cap_setuid cap_net_raw]", "vigil.file.previous.capabilities_permitted": "[cap_net_raw]",
				}},
				{"namespaced", capNamespaced, "cap_net_raw=ep", "cap_setuid,cap_net_raw=ep", map[string]string{
					"vigil.file.capabilities_rootid": "1000",
				}},
				{"removed", "", "", "cap_net_raw=ep", map[string]string{
					"vigil.file.previous.capabilities_rootid": "1000", "vigil.file.capabilities_permitted": "",
				}},
			} {
				filecaptest.Write(t, tool, step.xattr)
				e := r.c.waitFor(t, step.name, capsEvent("/usr/bin/tool", step.previous, step.text))
				for k, v := range step.fields {
					if got := field(e, k); got != v {
						t.Errorf("%s: %s = %q, want %q", step.name, k, got, v)
					}
				}
				msg := "(capabilities: " + step.text + ")"
				if step.text == "" {
					msg = "(capabilities: none)"
				}
				if !strings.Contains(e.String(event.FieldMessage), msg) {
					t.Errorf("%s: message %q does not tell %s", step.name, e.String(event.FieldMessage), msg)
				}
				if mech == fim.MechanismFanotify && e.String("process.pid") != fmt.Sprint(os.Getpid()) {
					t.Errorf("%s: process.pid %q, want this process's %d", step.name, e.String("process.pid"), os.Getpid())
				}
			}
			// A file written without a capability change says nothing of
			// capabilities.
			write(t, filepath.Join(root, "etc/app.conf"), "listen = 81\n")
			e := r.c.waitFor(t, "modified", is(fim.ActionModified, "/etc/app.conf"))
			if _, ok := e.Get("vigil.file.capabilities"); ok || strings.Contains(field(e, "vigil.fim.changes"), "capabilities") {
				t.Errorf("capabilities on a plain change: %v", e)
			}
			r.stop(t)

			// Set while the agent was stopped: the stored baseline knew
			// there were none.
			filecaptest.Write(t, tool, capSetuidNetRaw)
			r = start(t, root, data, mech)
			e = r.c.waitFor(t, "capabilities set while stopped", capsEvent("/usr/bin/tool", "", "cap_setuid,cap_net_raw=ep"))
			if e.String("vigil.fim.offline") != "true" {
				t.Errorf("offline: %v", e)
			}
			r.stop(t)

			// Removed while stopped: the stored baseline knew them.
			filecaptest.Write(t, tool, "")
			r = start(t, root, data, mech)
			defer r.stop(t)
			e = r.c.waitFor(t, "capabilities removed while stopped", capsEvent("/usr/bin/tool", "cap_setuid,cap_net_raw=ep", ""))
			if e.String("vigil.fim.offline") != "true" {
				t.Errorf("offline removal: %v", e)
			}
		})
	}
}

// TestCapabilitiesLearntFromOldBaseline: a baseline stored before
// capabilities were recorded (format version 1) says nothing of them: the
// first scan learns them without an event, and a later change is told
// with what they were.
func TestCapabilitiesLearntFromOldBaseline(t *testing.T) {
	root, data := host(t), t.TempDir()
	tool := filepath.Join(root, "usr/bin/tool")
	start(t, root, data, fim.MechanismInotify).stop(t)

	// Without capabilities anywhere, the records of versions 1 and 2 are
	// the same: the stored file becomes a version 1 one.
	db := filepath.Join(data, "state", "fim", "baseline.db")
	b, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:8]) != "VGFIMB\x00\x02" {
		t.Fatalf("stored baseline header %q", b[:8])
	}
	b[7] = 1
	binary.LittleEndian.PutUint32(b[len(b)-4:], crc32.Checksum(b[:len(b)-4], crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(db, b, 0o600); err != nil {
		t.Fatal(err)
	}
	filecaptest.Write(t, tool, capNetRaw)

	r := start(t, root, data, fim.MechanismInotify)
	defer r.stop(t)
	if e := r.c.waitFor(t, "baseline", is(fim.ActionBaselineCompleted, "")); e.String("vigil.fim.first_baseline") != "false" {
		t.Errorf("the old baseline was not read: %v", e)
	}
	filecaptest.Write(t, tool, "")
	r.c.waitFor(t, "capabilities removed", capsEvent("/usr/bin/tool", "cap_net_raw=ep", ""))
	for _, e := range r.c.all() {
		if e.String(event.FieldFilePath) == "/usr/bin/tool" && e.String("vigil.fim.offline") == "true" {
			t.Errorf("the first scan after the old baseline told: %v", e)
		}
	}
}
