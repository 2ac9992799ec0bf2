package processes_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/internal/collecttest"
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/event"
)

// psProc is one line of ps.
type psProc struct {
	pid, age int
	euid     string
	args     string
}

// psList runs ps for every process but the kernel threads (kthreadd and
// its children) and the zombies.
func psList(t *testing.T) map[int]psProc {
	t.Helper()
	cmd := exec.Command("ps", "-ww", "--ppid", "2", "-p", "2", "--deselect",
		"-o", "pid=,etimes=,euid=,stat=,args=")
	// In the C locale ps would print every byte beyond ASCII as '?'.
	cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("ps: %v", err)
	}
	got := map[int]psProc{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || strings.HasPrefix(f[3], "Z") {
			continue
		}
		pid, _ := strconv.Atoi(f[0])
		age, _ := strconv.Atoi(f[1])
		// The arguments as ps prints them: after four fields.
		rest := line
		for range 4 {
			rest = strings.TrimLeft(rest, " ")
			rest = rest[strings.IndexByte(rest, ' '):]
		}
		got[pid] = psProc{pid: pid, age: age, euid: f[2], args: strings.TrimSpace(rest)}
	}
	return got
}

// comparable writes a command line so that ps's and the collector's
// agree where they only differ in how they show what does not print: ps
// writes each byte that is not UTF-8 and each character that does not
// print (by its own tables) as '?', the collector keeps a run of bytes
// that are not UTF-8 as one U+FFFD. Both become: every run of characters
// outside printable ASCII, and of '?', is one '?', and the blanks at either end are
// dropped (ps drops them). ps shows a newline as a blank.
func comparable(s string) string {
	var b strings.Builder
	inRun := false
	for _, r := range strings.ReplaceAll(s, "\n", " ") {
		if r >= ' ' && r <= '~' && r != '?' {
			b.WriteRune(r)
			inRun = false
			continue
		}
		if !inRun {
			b.WriteByte('?')
		}
		inRun = true
	}
	return strings.TrimSpace(b.String())
}

// TestHostMatchesPS compares the inventory of this host with ps: every
// process older than min_age is an item (by effective user and command
// line), and every item is a process ps showed. The test starts three
// identical processes, which must be one item, with the executable's
// SHA-256 and package.
func TestHostMatchesPS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to read every process")
	}
	if _, err := exec.LookPath("ps"); err != nil {
		t.Skip("ps (procps) is not installed")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep command")
	}
	for _, arg := range []string{"1000", "1000", "1000", "999"} {
		cmd := exec.Command(sleep, arg)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	// A shell whose arguments are longer than the collector keeps, and
	// hold what does not print: its item is cut, and still one of ps's.
	odd := []string{"-c", "sleep 1000; :", "vigil-odd", "no\u00a0break", "tab\there", "new\nline", "bad\xff\xfeutf8"}
	odd = append(odd, strings.Repeat("long-argument ", 2000))
	if sh, err := exec.LookPath("sh"); err == nil {
		cmd := exec.Command(sh, odd...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	}
	const minAge = 5
	// Old enough to be items, and for ps (whole seconds) to say so.
	time.Sleep((minAge+1)*time.Second + 200*time.Millisecond)

	// Other tests running at the same time start, exec and end processes
	// between the two ps runs and the inventory; a difference that is
	// real shows in every attempt.
	c := newCollector(t, `{"min_age":"5s"}`)
	var assets []event.Asset
	var before map[int]psProc
	for attempt := 1; ; attempt++ {
		var diffs []string
		assets, before, diffs = compareWithPS(t, c, minAge)
		if len(diffs) == 0 {
			break
		}
		if attempt == 3 {
			for _, d := range diffs {
				t.Error(d)
			}
			break
		}
		t.Logf("attempt %d: %d differences (trying again): %v", attempt, len(diffs), diffs)
	}

	// The three sleep 1000 are one item, with hash and package.
	real, err := filepath.EvalSymlinks(sleep)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	var n int
	for _, a := range assets {
		f := event.Event(a.Fields)
		if f.String("process.command_line") != sleep+" 1000" {
			continue
		}
		n++
		if got := f.String("process.hash.sha256"); got != hex.EncodeToString(sum[:]) {
			t.Errorf("sleep hash %q, want %x", got, sum)
		}
		if f.String("process.executable") != real {
			t.Errorf("sleep executable %q, want %q", f.String("process.executable"), real)
		}
		if want := dpkgOwner(t, real); want != "" && f.String("package.name") != want {
			t.Errorf("sleep package %q, want %q", f.String("package.name"), want)
		}
	}
	if n != 1 {
		t.Errorf("three identical sleep processes make %d items, want 1", n)
	}
	t.Logf("%d items of %d processes; counters %v", len(assets), len(before), c.Counters())
}

// compareWithPS runs ps, the collector and ps again, and returns the
// items, the first ps list and the differences: every process that both
// ps runs show unchanged and older than minAge must be an item (by
// effective user and command line), and every item must be a process
// the first ps run showed (an item is at least minAge old, so it ran
// then).
func compareWithPS(t *testing.T, c plugin.AssetCollector, minAge int) ([]event.Asset, map[int]psProc, []string) {
	t.Helper()
	before := psList(t)
	assets, err := c.Assets(context.Background(), plugin.Env{Root: "/"})
	if err != nil {
		t.Fatalf("Assets: %v", err)
	}
	after := psList(t)
	collecttest.Check(t, c, assets)

	var diffs []string
	// ours holds each item's effective user and command line; truncated,
	// the items whose arguments the collector cut at its bound, which
	// must be the start of a process's as ps shows them.
	ours := map[string]bool{}
	var truncated []string
	for _, a := range assets {
		f := event.Event(a.Fields)
		line := comparable(f.String("process.command_line"))
		if line == "" {
			// ps shows a process without arguments by its command name.
			line = "[" + comparable(f.String("process.name")) + "]"
		}
		key := f.String("user.id") + " " + line
		ours[key] = true
		if v, _ := f.Get("vigil.process.args_truncated"); v == true {
			truncated = append(truncated, strings.TrimSuffix(key, "?"))
		}
	}
	known := func(key string) bool {
		if ours[key] {
			return true
		}
		for _, prefix := range truncated {
			if strings.HasPrefix(key, prefix) {
				return true
			}
		}
		return false
	}
	for pid, p := range before {
		q, ok := after[pid]
		if !ok || q.args != p.args || q.euid != p.euid || p.age < minAge+1 {
			continue
		}
		if !known(p.euid + " " + comparable(p.args)) {
			diffs = append(diffs, fmt.Sprintf("ps process %d (uid %s) %q is not in the inventory", pid, p.euid, abbreviate(p.args)))
		}
	}
	psSet := map[string]bool{}
	var psKeys []string
	for _, p := range before {
		key := p.euid + " " + comparable(p.args)
		psSet[key] = true
		psKeys = append(psKeys, key)
	}
	for k := range ours {
		if psSet[k] {
			continue
		}
		if slices.Contains(truncated, strings.TrimSuffix(k, "?")) && slices.ContainsFunc(psKeys, func(ps string) bool {
			return strings.HasPrefix(ps, strings.TrimSuffix(k, "?"))
		}) {
			continue
		}
		diffs = append(diffs, fmt.Sprintf("item %q is no process ps showed", abbreviate(k)))
	}
	slices.Sort(diffs)
	return assets, before, diffs
}

// abbreviate shortens a command line for a message.
func abbreviate(s string) string {
	if len(s) <= 300 {
		return s
	}
	return s[:300] + fmt.Sprintf("... (%d bytes)", len(s))
}

// dpkgOwner returns the package dpkg -S names for p (under its name or
// the one before /usr was merged), "" without dpkg.
func dpkgOwner(t *testing.T, p string) string {
	if _, err := exec.LookPath("dpkg"); err != nil {
		return ""
	}
	for _, q := range []string{p, strings.TrimPrefix(p, "/usr")} {
		out, err := exec.Command("dpkg", "-S", q).Output()
		if err == nil {
			pkg, _, _ := strings.Cut(string(out), ":")
			return pkg
		}
	}
	t.Fatalf("dpkg -S %s: no package", p)
	return ""
}

// BenchmarkHost runs the collector on this host (see collecttest.Benchmark).
func BenchmarkHost(b *testing.B) {
	collecttest.Benchmark(b, newCollector(b, ""), plugin.Env{Root: "/"})
}

// TestHostStable runs the collector twice on this host: the items both
// runs have are the same, field for field (an unchanged process gives an
// unchanged item, whichever of its processes speaks for it). Listening
// sockets are left out of the comparison: other tests running at the same
// time open and close theirs, which rightly changes their items.
func TestHostStable(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to read every process")
	}
	c := newCollector(t, `{"min_age":"2s"}`)
	env := plugin.Env{Root: "/"}
	first, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Assets(context.Background(), env)
	if err != nil {
		t.Fatal(err)
	}
	hashOf := func(a event.Asset) [32]byte {
		t.Helper()
		if v, ok := a.Fields["vigil"].(map[string]any); ok {
			if p, ok := v["process"].(map[string]any); ok {
				// An item with no listening socket left has no
				// vigil.process at all: drop what is empty.
				trimmed := maps.Clone(p)
				delete(trimmed, "listening")
				vigil := maps.Clone(v)
				vigil["process"] = trimmed
				if len(trimmed) == 0 {
					delete(vigil, "process")
				}
				fields := maps.Clone(a.Fields)
				fields["vigil"] = vigil
				if len(vigil) == 0 {
					delete(fields, "vigil")
				}
				a.Fields = fields
			}
		}
		h, err := a.Hash()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	hashes := map[string][32]byte{}
	for i := range first {
		hashes[first[i].Key] = hashOf(first[i])
	}
	var common int
	for i := range second {
		want, ok := hashes[second[i].Key]
		if !ok {
			continue
		}
		common++
		if hashOf(second[i]) != want {
			t.Errorf("%s changed between two runs: %v", second[i].Key, second[i].Fields)
		}
	}
	if common == 0 {
		t.Error("no item in both runs")
	}
}
