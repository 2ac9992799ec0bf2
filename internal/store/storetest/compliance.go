package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

var complianceCases = []testCase{
	{"Compliance/Policies", testCompliancePolicies},
	{"Compliance/PoliciesInvalid", testCompliancePoliciesInvalid},
	{"Compliance/PoliciesConcurrent", testCompliancePoliciesConcurrent},
	{"Compliance/Assignments", testComplianceAssignments},
	{"Compliance/DeletePolicy", testComplianceDeletePolicy},
	{"Compliance/Exceptions", testComplianceExceptions},
	{"Compliance/ExceptionsExpiry", testComplianceExceptionsExpiry},
	{"Compliance/ScoresPut", testComplianceScoresPut},
	{"Compliance/ScoresSameDay", testComplianceScoresSameDay},
	{"Compliance/ScoresInvalid", testComplianceScoresInvalid},
	{"Compliance/ScoresConcurrent", testComplianceScoresConcurrent},
	{"Compliance/ScoresList", testComplianceScoresList},
	{"Compliance/ScoresDelete", testComplianceScoresDelete},
}

// compliancePolicy returns an uploaded policy of a Wazuh SCA file with n
// checks.
func compliancePolicy(id string, n int, when time.Time) store.CompliancePolicy {
	var b strings.Builder
	fmt.Fprintf(&b, "policy:\n  id: %q\n  file: %q\n  name: \"CIS Benchmark for %s\"\n", id, id+".yml", id)
	b.WriteString("requirements:\n  title: \"Check Debian version\"\n  condition: any\n  rules:\n    - 'f:/etc/debian_version'\n")
	b.WriteString("checks:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - id: %d\n    title: \"Ensure mounting of cramfs filesystems is disabled (%d)\"\n", 28500+i, i)
		b.WriteString("    condition: all\n    rules:\n      - 'c:modprobe -n -v cramfs -> r:install /bin/true|Module cramfs not found'\n")
	}
	return store.CompliancePolicy{
		ID: id, Version: "1.0.0", Digest: strings.Repeat("ab", 32), Name: "CIS Benchmark for " + id,
		Format: "wazuh-sca", Checks: n, Content: []byte(b.String()), Author: "ann", CreatedAt: when, UpdatedAt: when,
	}
}

// storedPolicy is p as the store gives it back.
func storedPolicy(p store.CompliancePolicy) store.CompliancePolicy {
	p.CreatedAt, p.UpdatedAt = stored(p.CreatedAt), stored(p.UpdatedAt)
	return p
}

// putPolicy puts p and fails unless its newness is wantNew.
func putPolicy(t *testing.T, s store.Store, p store.CompliancePolicy, wantNew bool) {
	t.Helper()
	isNew, err := s.Compliance().PutPolicy(ctx(t), p)
	must(t, err)
	if isNew != wantNew {
		t.Fatalf("PutPolicy %s: new %v, want %v", p.ID, isNew, wantNew)
	}
}

// policies lists the uploaded policies.
func policies(t *testing.T, s store.Store) []store.CompliancePolicy {
	t.Helper()
	got, err := s.Compliance().Policies(ctx(t))
	must(t, err)
	return got
}

func testCompliancePolicies(t *testing.T, s store.Store) {
	cs := s.Compliance()
	diff(t, "no policies", []store.CompliancePolicy{}, policies(t, s))

	debian := compliancePolicy("cis_debian12", 3, at(0))
	// Ids whose byte order differs from any locale's; a native policy
	// whose file is not text at all, NUL and invalid UTF-8 included.
	ubuntu := compliancePolicy("CIS_ubuntu22", 1, at(time.Minute))
	native := store.CompliancePolicy{ID: "mlps-2.0-l3", Version: "2", Name: "MLPS 2.0 level 3", Format: "vigil",
		Content: []byte("policy:\x00\xff\xfe\n  id: mlps\n"), CreatedAt: at(2 * time.Minute), UpdatedAt: at(3 * time.Minute)}
	// A large file (about 300 KB), as the CIS benchmarks are.
	big := compliancePolicy("cis_rhel9", 1200, at(4*time.Minute))
	for _, p := range []store.CompliancePolicy{debian, ubuntu, native, big} {
		putPolicy(t, s, p, true)
	}
	want := []store.CompliancePolicy{storedPolicy(ubuntu), storedPolicy(debian), storedPolicy(big), storedPolicy(native)}
	got := policies(t, s)
	diff(t, "policies, by id in byte order", want, got)
	wantUTC(t, "policy", got[0].CreatedAt, got[0].UpdatedAt)
	one, err := cs.GetPolicy(ctx(t), big.ID)
	must(t, err)
	if !bytes.Equal(one.Content, big.Content) || len(one.Content) < 200_000 {
		t.Fatalf("content of a large policy: %d bytes back of %d", len(one.Content), len(big.Content))
	}
	diff(t, "GetPolicy", storedPolicy(native), getPolicy(t, s, native.ID))

	// Replacing keeps the creation time and takes everything else.
	newer := compliancePolicy(debian.ID, 5, at(time.Hour))
	newer.Version, newer.Digest, newer.Name, newer.Author = "1.1.0", strings.Repeat("cd", 32), "CIS Debian 12 v1.1", "bob"
	newer.CreatedAt = at(2 * time.Hour) // kept from the first put
	putPolicy(t, s, newer, false)
	wantNewer := storedPolicy(newer)
	wantNewer.CreatedAt = stored(debian.CreatedAt)
	diff(t, "replaced policy", wantNewer, getPolicy(t, s, debian.ID))

	// Zero times mean now.
	before := time.Now().Add(-time.Second)
	bare := store.CompliancePolicy{ID: "bare", Format: "vigil", Content: []byte("x")}
	putPolicy(t, s, bare, true)
	b := getPolicy(t, s, "bare")
	if b.CreatedAt.Before(before) || b.CreatedAt.After(time.Now()) || !b.UpdatedAt.Equal(b.CreatedAt) {
		t.Fatalf("default times: created %v updated %v", b.CreatedAt, b.UpdatedAt)
	}
	later := at(24 * time.Hour)
	bare.UpdatedAt = later
	putPolicy(t, s, bare, false)
	b2 := getPolicy(t, s, "bare")
	if !b2.CreatedAt.Equal(b.CreatedAt) || !b2.UpdatedAt.Equal(stored(later)) {
		t.Fatalf("replaced with a zero creation time: created %v (was %v), updated %v", b2.CreatedAt, b.CreatedAt, b2.UpdatedAt)
	}

	_, err = cs.GetPolicy(ctx(t), "cis_debian")
	wantErr(t, "GetPolicy of a prefix", err, store.ErrNotFound)
	_, err = cs.GetPolicy(ctx(t), "CIS_DEBIAN12")
	wantErr(t, "GetPolicy in another case", err, store.ErrNotFound)
	_, err = cs.GetPolicy(ctx(t), "cis_debian12\x00")
	wantErr(t, "GetPolicy of an id with NUL", err, store.ErrNotFound)
	_, err = cs.GetPolicy(ctx(t), "cis_\xff")
	wantErr(t, "GetPolicy of an id that is not UTF-8", err, store.ErrNotFound)
}

// getPolicy returns the uploaded policy id.
func getPolicy(t *testing.T, s store.Store, id string) store.CompliancePolicy {
	t.Helper()
	p, err := s.Compliance().GetPolicy(ctx(t), id)
	must(t, err)
	return p
}

func testCompliancePoliciesInvalid(t *testing.T, s store.Store) {
	cs := s.Compliance()
	good := compliancePolicy("cis_debian12", 2, at(0))
	putPolicy(t, s, good, true)
	for name, change := range map[string]func(p *store.CompliancePolicy){
		"empty id":           func(p *store.CompliancePolicy) { p.ID = "" },
		"nil content":        func(p *store.CompliancePolicy) { p.Content = nil },
		"empty content":      func(p *store.CompliancePolicy) { p.Content = []byte{} },
		"unknown format":     func(p *store.CompliancePolicy) { p.Format = "xccdf" },
		"no format":          func(p *store.CompliancePolicy) { p.Format = "" },
		"negative checks":    func(p *store.CompliancePolicy) { p.Checks = -1 },
		"NUL in the id":      func(p *store.CompliancePolicy) { p.ID = "cis\x00" },
		"id not UTF-8":       func(p *store.CompliancePolicy) { p.ID = "cis_\xff" },
		"name not UTF-8":     func(p *store.CompliancePolicy) { p.Name = "CIS \xc3" },
		"NUL in the version": func(p *store.CompliancePolicy) { p.Version = "1\x00" },
		"NUL in the author":  func(p *store.CompliancePolicy) { p.Author = "ann\x00" },
		"digest not UTF-8":   func(p *store.CompliancePolicy) { p.Digest = "\xfe" },
	} {
		bad := compliancePolicy(good.ID, 7, at(time.Hour))
		change(&bad)
		_, err := cs.PutPolicy(ctx(t), bad)
		wantErr(t, "PutPolicy with "+name, err, store.ErrInvalid)
	}
	diff(t, "policies after rejected puts", []store.CompliancePolicy{storedPolicy(good)}, policies(t, s))
}

func testCompliancePoliciesConcurrent(t *testing.T, s store.Store) {
	const workers = 8
	news := countNew(t, workers, func(i int) (bool, error) {
		return s.Compliance().PutPolicy(ctx(t), compliancePolicy("cis_debian12", i+1, at(time.Duration(i)*time.Second)))
	})
	if news != 1 {
		t.Fatalf("%d of %d concurrent puts of one policy are new, want 1", news, workers)
	}
	got := policies(t, s)
	if len(got) != 1 || got[0].Checks < 1 || got[0].Checks > workers {
		t.Fatalf("policies after concurrent puts: %+v", got)
	}
	// The content is the one of the put whose checks are stored.
	diff(t, "content after concurrent puts", compliancePolicy("cis_debian12", got[0].Checks, at(0)).Content, got[0].Content)
}

// assignment returns an assignment of policyID to the web hosts.
func assignment(policyID string, when time.Time) store.ComplianceAssignment {
	return store.ComplianceAssignment{PolicyID: policyID, Selector: map[string]string{"team": "web", "env": "prod"},
		IntervalSeconds: 6 * 3600, Author: "ann", UpdatedAt: when}
}

// storedAssignment is a as the store gives it back.
func storedAssignment(a store.ComplianceAssignment) store.ComplianceAssignment {
	a.UpdatedAt = stored(a.UpdatedAt)
	if a.Selector == nil {
		a.Selector = map[string]string{}
	}
	return a
}

// assignments lists every assignment.
func assignments(t *testing.T, s store.Store) []store.ComplianceAssignment {
	t.Helper()
	got, err := s.Compliance().Assignments(ctx(t))
	must(t, err)
	return got
}

func testComplianceAssignments(t *testing.T, s store.Store) {
	cs := s.Compliance()
	diff(t, "no assignments", []store.ComplianceAssignment{}, assignments(t, s))
	// Shipped policies are not stored: their assignments need no upload.
	web := assignment("cis_debian12", at(0))
	every := store.ComplianceAssignment{PolicyID: "CIS_ubuntu22", Author: "bob", UpdatedAt: at(time.Minute)}
	labels := store.ComplianceAssignment{PolicyID: "mlps-2.0-l3", Selector: map[string]string{"zone": "等保三级", "tier": ""},
		IntervalSeconds: 1, Disabled: true, UpdatedAt: at(2 * time.Minute)}
	for _, a := range []store.ComplianceAssignment{web, every, labels} {
		must(t, cs.PutAssignment(ctx(t), a))
	}
	got := assignments(t, s)
	diff(t, "assignments, by policy id in byte order",
		[]store.ComplianceAssignment{storedAssignment(every), storedAssignment(web), storedAssignment(labels)}, got)
	wantUTC(t, "assignment", got[0].UpdatedAt)

	// Replacing takes everything.
	replaced := store.ComplianceAssignment{PolicyID: web.PolicyID, Selector: map[string]string{"os": "debian"},
		Disabled: true, Author: "carl", UpdatedAt: at(time.Hour)}
	must(t, cs.PutAssignment(ctx(t), replaced))
	got = assignments(t, s)
	diff(t, "replaced assignment", storedAssignment(replaced), got[1])

	before := time.Now().Add(-time.Second)
	must(t, cs.PutAssignment(ctx(t), store.ComplianceAssignment{PolicyID: "now"}))
	got = assignments(t, s)
	if now := got[3]; now.PolicyID != "now" || now.UpdatedAt.Before(before) || now.UpdatedAt.After(time.Now()) {
		t.Fatalf("default update time: %+v", now)
	}

	for name, a := range map[string]store.ComplianceAssignment{
		"empty policy id":        {IntervalSeconds: 60},
		"negative interval":      {PolicyID: "cis_debian12", IntervalSeconds: -1},
		"NUL in the policy id":   {PolicyID: "cis\x00"},
		"label not UTF-8":        {PolicyID: "cis_debian12", Selector: map[string]string{"te\xffam": "web"}},
		"NUL in a label's value": {PolicyID: "cis_debian12", Selector: map[string]string{"team": "w\x00eb"}},
		"author not UTF-8":       {PolicyID: "cis_debian12", Author: "\xc3"},
	} {
		wantErr(t, "PutAssignment with "+name, cs.PutAssignment(ctx(t), a), store.ErrInvalid)
	}
	if got := assignments(t, s); len(got) != 4 || got[1].Author != "carl" {
		t.Fatalf("assignments after rejected puts: %+v", got)
	}

	must(t, cs.DeleteAssignment(ctx(t), "cis_debian12"))
	wantErr(t, "DeleteAssignment twice", cs.DeleteAssignment(ctx(t), "cis_debian12"), store.ErrNotFound)
	wantErr(t, "DeleteAssignment of an id with NUL", cs.DeleteAssignment(ctx(t), "now\x00"), store.ErrNotFound)
	var ids []string
	for _, a := range assignments(t, s) {
		ids = append(ids, a.PolicyID)
	}
	diff(t, "assignments after delete", []string{"CIS_ubuntu22", "mlps-2.0-l3", "now"}, ids)
}

func testComplianceDeletePolicy(t *testing.T, s store.Store) {
	cs := s.Compliance()
	debian, ubuntu := compliancePolicy("cis_debian12", 2, at(0)), compliancePolicy("cis_ubuntu22", 2, at(0))
	putPolicy(t, s, debian, true)
	putPolicy(t, s, ubuntu, true)
	for _, id := range []string{debian.ID, ubuntu.ID, "shipped_cis_rhel9"} {
		must(t, cs.PutAssignment(ctx(t), assignment(id, at(0))))
	}
	must(t, cs.DeletePolicy(ctx(t), debian.ID))
	_, err := cs.GetPolicy(ctx(t), debian.ID)
	wantErr(t, "GetPolicy after delete", err, store.ErrNotFound)
	diff(t, "policies after delete", []store.CompliancePolicy{storedPolicy(ubuntu)}, policies(t, s))
	// The policy's assignment went with it; the others stay.
	diff(t, "assignments after delete", []store.ComplianceAssignment{
		storedAssignment(assignment(ubuntu.ID, at(0))), storedAssignment(assignment("shipped_cis_rhel9", at(0))),
	}, assignments(t, s))

	wantErr(t, "DeletePolicy twice", cs.DeletePolicy(ctx(t), debian.ID), store.ErrNotFound)
	wantErr(t, "DeletePolicy of an id with NUL", cs.DeletePolicy(ctx(t), "cis_ubuntu22\x00"), store.ErrNotFound)
	// A policy that was never uploaded is not found, and its assignment
	// stays.
	wantErr(t, "DeletePolicy of a shipped policy", cs.DeletePolicy(ctx(t), "shipped_cis_rhel9"), store.ErrNotFound)
	if got := assignments(t, s); len(got) != 2 {
		t.Fatalf("assignments after deleting a policy never uploaded: %+v", got)
	}
	// The policy can come back, without an assignment.
	putPolicy(t, s, debian, true)
	if got := assignments(t, s); len(got) != 2 || got[0].PolicyID == debian.ID {
		t.Fatalf("assignments after the policy came back: %+v", got)
	}
}

// complianceException returns an exception of one check of a policy on
// one host.
func complianceException(policyID, checkID, agentID string, created time.Time) store.ComplianceException {
	return store.ComplianceException{PolicyID: policyID, CheckID: checkID, AgentID: agentID,
		Reason: "compensating control: cramfs is blocked by the image", Author: "ann", CreatedAt: created}
}

// storedComplianceException is e as the store gives it back under id.
func storedComplianceException(e store.ComplianceException, id string) store.ComplianceException {
	e.ID = id
	e.CreatedAt, e.ExpiresAt = stored(e.CreatedAt), stored(e.ExpiresAt)
	return e
}

// createExceptions creates es and returns them as stored, with their ids.
func createExceptions(t *testing.T, s store.Store, es ...store.ComplianceException) []store.ComplianceException {
	t.Helper()
	out := make([]store.ComplianceException, len(es))
	for i, e := range es {
		got, err := s.Compliance().CreateException(ctx(t), e)
		must(t, err)
		diff(t, "CreateException", storedComplianceException(e, got.ID), got)
		wantUTC(t, "CreateException", got.CreatedAt, got.ExpiresAt)
		out[i] = got
	}
	return out
}

// newestFirst returns es newest first, as the listing orders them.
func newestFirst(es ...store.ComplianceException) []store.ComplianceException {
	out := slices.Clone(es)
	slices.SortFunc(out, func(a, b store.ComplianceException) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	if out == nil {
		out = []store.ComplianceException{}
	}
	return out
}

// listExceptions lists exceptions and compares them with want.
func listExceptions(t *testing.T, s store.Store, policyID string, now time.Time, expired bool, want []store.ComplianceException) {
	t.Helper()
	got, err := s.Compliance().Exceptions(ctx(t), policyID, now, expired)
	must(t, err)
	diff(t, fmt.Sprintf("exceptions of %q at %v (expired %v)", policyID, now, expired), want, got)
}

func testComplianceExceptions(t *testing.T, s store.Store) {
	cs := s.Compliance()
	listExceptions(t, s, "", at(0), true, []store.ComplianceException{})
	a := complianceException("cis_debian12", "28500", "agent-01", at(0))
	a.ID = "chosen-by-the-caller" // replaced by a random id
	b := complianceException("cis_debian12", "", "", at(time.Minute))
	c := complianceException("CIS_ubuntu22", "1.1.1", "", at(time.Minute)) // the same creation time as b
	d := complianceException("cis_debian12", "28501", "Agent-02", at(-time.Hour))
	all := createExceptions(t, s, a, b, c, d)
	ids := map[string]bool{}
	for _, e := range all {
		if e.ID == "" || e.ID == "chosen-by-the-caller" || ids[e.ID] {
			t.Fatalf("exception ids are not new and distinct: %+v", all)
		}
		ids[e.ID] = true
	}
	listExceptions(t, s, "", at(0), false, newestFirst(all...))
	listExceptions(t, s, "cis_debian12", at(0), false, newestFirst(all[0], all[1], all[3]))
	listExceptions(t, s, "CIS_ubuntu22", at(0), true, all[2:3])
	listExceptions(t, s, "cis_debian", at(0), true, []store.ComplianceException{})
	listExceptions(t, s, "cis_debian12\x00", at(0), true, []store.ComplianceException{})

	// A zero creation time means now.
	before := time.Now().Add(-time.Second)
	e, err := cs.CreateException(ctx(t), store.ComplianceException{PolicyID: "p", Reason: "r"})
	must(t, err)
	if e.CreatedAt.Before(before) || e.CreatedAt.After(time.Now()) || !e.ExpiresAt.IsZero() {
		t.Fatalf("default creation time: %+v", e)
	}

	for name, bad := range map[string]store.ComplianceException{
		"empty policy id":     {Reason: "r"},
		"empty reason":        {PolicyID: "cis_debian12"},
		"NUL in the check id": {PolicyID: "cis_debian12", CheckID: "1\x00", Reason: "r"},
		"agent id not UTF-8":  {PolicyID: "cis_debian12", AgentID: "\xff", Reason: "r"},
		"reason not UTF-8":    {PolicyID: "cis_debian12", Reason: "caf\xe9"},
		"NUL in the author":   {PolicyID: "cis_debian12", Reason: "r", Author: "\x00"},
	} {
		_, err := cs.CreateException(ctx(t), bad)
		wantErr(t, "CreateException with "+name, err, store.ErrInvalid)
	}

	must(t, cs.DeleteException(ctx(t), all[1].ID))
	wantErr(t, "DeleteException twice", cs.DeleteException(ctx(t), all[1].ID), store.ErrNotFound)
	wantErr(t, "DeleteException of an id with NUL", cs.DeleteException(ctx(t), all[0].ID+"\x00"), store.ErrNotFound)
	listExceptions(t, s, "cis_debian12", at(0), true, newestFirst(all[0], all[3]))
}

func testComplianceExceptionsExpiry(t *testing.T, s store.Store) {
	now := at(0)
	never := complianceException("cis_debian12", "28500", "", at(-4*time.Hour))
	ended := complianceException("cis_debian12", "28501", "", at(-3*time.Hour))
	ended.ExpiresAt = now.Add(-time.Microsecond)
	endsNow := complianceException("cis_debian12", "28502", "", at(-2*time.Hour))
	endsNow.ExpiresAt = now
	// Given in another time zone: the instant counts.
	ends := complianceException("cis_debian12", "28503", "", at(-time.Hour))
	ends.ExpiresAt = now.Add(time.Microsecond).In(time.FixedZone("UTC-5", -5*3600))
	other := complianceException("CIS_ubuntu22", "1.1.1", "", at(-time.Hour))
	other.ExpiresAt = now.Add(-24 * time.Hour)
	all := createExceptions(t, s, never, ended, endsNow, ends, other)

	// An exception ends at its expiry: at that time it is expired.
	listExceptions(t, s, "", now, false, newestFirst(all[0], all[3]))
	listExceptions(t, s, "cis_debian12", now, false, newestFirst(all[0], all[3]))
	listExceptions(t, s, "", now, true, newestFirst(all...))
	listExceptions(t, s, "CIS_ubuntu22", now, false, []store.ComplianceException{})
	listExceptions(t, s, "CIS_ubuntu22", now, true, all[4:5])
	// Now in another time zone is the same instant.
	listExceptions(t, s, "", now.In(time.FixedZone("UTC+14", 14*3600)), false, newestFirst(all[0], all[3]))
	// Earlier, more are active; later, only the one that never expires.
	listExceptions(t, s, "", now.Add(-time.Microsecond), false, newestFirst(all[0], all[2], all[3]))
	listExceptions(t, s, "", now.Add(-48*time.Hour), false, newestFirst(all...))
	listExceptions(t, s, "", now.Add(time.Hour), false, all[0:1])
	// A zero now is the current time.
	cs := s.Compliance()
	must(t, cs.DeleteException(ctx(t), all[0].ID))
	current := complianceException("cis_debian12", "28504", "", time.Now())
	current.ExpiresAt = time.Now().Add(time.Hour)
	past := complianceException("cis_debian12", "28505", "", time.Now())
	past.ExpiresAt = time.Now().Add(-time.Minute)
	kept := createExceptions(t, s, current, past)
	listExceptions(t, s, "cis_debian12", time.Time{}, false, kept[0:1])
}
