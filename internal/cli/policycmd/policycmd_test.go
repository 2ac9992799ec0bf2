package policycmd

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/cli/clikit"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

const (
	evalData   = "../../compliance/eval/testdata"
	policyData = "../../compliance/policy/testdata"
)

// run executes `policy ARGS...` and returns stdout, stderr and the error.
func run(t *testing.T, output string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	a := clikit.NewApp(clikit.Env{Stdout: &out, Stderr: &errb})
	a.Output = output
	cmd := Command(a)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errb.String(), err
}

func TestLint(t *testing.T) {
	out, _, err := run(t, "table", "lint", policyData+"/good", evalData+"/example.yml")
	if err != nil || !strings.Contains(out, "3 files, no problems") {
		t.Errorf("good: %q %v", out, err)
	}
	out, _, err = run(t, "table", "lint", policyData+"/bad/schema/unknown_format.yml")
	want := policyData + `/bad/schema/unknown_format.yml:15: checks[0].rules[0].config.format: unknown format "sshd2"`
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("bad: %q %v", out, err)
	}
	out, _, err = run(t, "json", "lint", policyData+"/bad")
	var rep LintReport
	if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || err == nil || rep.Files != 5 || len(rep.Problems) < 10 {
		t.Errorf("json: %+v %v %v", rep, err, jerr)
	}
	out, _, err = run(t, "table", "lint", "--sca", "../../compliance/policy/sca/testdata/cis_debian12_sample.yml")
	if err == nil || !strings.Contains(out, "lookahead") {
		t.Errorf("sca: %q %v", out, err)
	}
	if _, _, err := run(t, "table", "lint"); err == nil {
		t.Error("lint without files must fail")
	}
}

func TestCheck(t *testing.T) {
	out, _, err := run(t, "table", "check", evalData+"/example.yml", "--root", evalData+"/root", "--commands", evalData+"/commands.yml")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`pass\s+example_linux\.3\.1\s`).MatchString(out) {
		t.Errorf("no pass line for 3.1:\n%s", out)
	}
	for _, want := range []string{"fail example_linux.10.1", "selected: root, toor", "28 checks:", "score"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "json", "check", evalData+"/example.yml", "--root", evalData+"/root")
	var rep eval.Report
	if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil || err != nil {
		t.Fatalf("json: %v %v", err, jerr)
	}
	// Without recorded commands, a command rule under --root is an error.
	if r := rep.Result("example_linux.4.1"); r == nil || r.Status != eval.Error {
		t.Errorf("4.1 without a runner: %+v", r)
	}
	_, errOut, err := run(t, "table", "check", policyData+"/bad/schema/unknown_format.yml")
	if err == nil || !strings.Contains(errOut, "unknown format") {
		t.Errorf("a bad policy: %q %v", errOut, err)
	}
	if _, _, err := run(t, "table", "check", evalData+"/example.yml", "--root", "/nonexistent-root"); err == nil {
		t.Error("a missing root must fail")
	}
}
