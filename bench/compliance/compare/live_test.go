package compare

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/vigilsec/vigil/bench/compliance/measure"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

// TestLiveLynis runs the real Lynis audit of this host and Vigil's
// evaluation beside it, and checks that every row of the table finds
// Lynis's verdict in what this Lynis writes.
func TestLiveLynis(t *testing.T) {
	if os.Getenv("VIGIL_REQUIRE_LYNIS") != "1" {
		t.Skip("runs the real Lynis audit of this host (Debian package lynis, as root, a few minutes): set VIGIL_REQUIRE_LYNIS=1")
	}
	prog, err := exec.LookPath("lynis")
	if err != nil {
		t.Fatalf("VIGIL_REQUIRE_LYNIS=1 but lynis is not installed (apt-get install lynis): %v", err)
	}
	if os.Geteuid() != 0 {
		t.Fatal("VIGIL_REQUIRE_LYNIS=1 but not root: Lynis audits the whole host only as root")
	}
	ctx := context.Background()
	run, err := measure.RunLynis(ctx, prog, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	p, err := measure.LoadShipped(PolicyID)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := ScopedPolicy(p, Rows())
	if err != nil {
		t.Fatal(err)
	}
	env, err := measure.Env("/")
	if err != nil {
		t.Fatal(err)
	}
	full, scoped := eval.Run(ctx, p, env), eval.Run(ctx, sp, env)
	res := Compare(Rows(), run.Audit, &full, &scoped)
	for _, l := range res.Lines {
		if l.LynisReading.Verdict == Unknown {
			t.Errorf("%s: Lynis's verdict unknown: %s", l.Lynis, l.LynisReading.Evidence)
		}
	}
	t.Logf("Lynis %s: %.0f s wall, %.0f s CPU; %s", run.Audit.Version(), run.Usage.Wall.Seconds(), run.Usage.CPU().Seconds(), res.Summary())
}
