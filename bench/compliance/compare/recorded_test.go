package compare

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/bench/compliance/lynis"
	"github.com/vigilsec/vigil/internal/compliance/eval"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// The recorded sets are real output from the project's test machine:
// Lynis 3.0.8's report and log of `lynis audit system --quick
// --no-colors` (the log gzipped), and Vigil's reports of the shipped
// cis_debian12 policy and of its Lynis-scoped checks, evaluated on the
// same host in the same run (`go run ./bench/compliance --lynis --keep`).
// "host" is the machine as it is; "host-sshd" is the same audit with a
// loopback sshd running (--sshd), so that Lynis runs its SSH tests.
var recordedHosts = []string{"host", "host-sshd"}

func loadRecorded(t *testing.T, host string) (*lynis.Audit, *eval.Report, *eval.Report) {
	t.Helper()
	dir := filepath.Join("..", "testdata", host)
	rep, err := lynis.ReadReportFile(filepath.Join(dir, "lynis-report.dat"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "lynis.log.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	log, err := lynis.ParseLog(zr)
	if err != nil {
		t.Fatal(err)
	}
	var reports [2]eval.Report
	for i, name := range []string{"vigil.json", "vigil-scoped.json"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &reports[i]); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return &lynis.Audit{Report: rep, Log: log}, &reports[0], &reports[1]
}

func TestRecordedComparison(t *testing.T) {
	for _, host := range recordedHosts {
		t.Run(host, func(t *testing.T) {
			a, full, scoped := loadRecorded(t, host)
			res := Compare(Rows(), a, full, scoped)
			var buf bytes.Buffer
			if err := WriteText(&buf, &res); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", host+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(want, buf.Bytes()) {
				t.Errorf("comparison differs from %s (run with -update to rewrite it):\n%s", golden, buf.String())
			}
			// Every row of the table finds Lynis's verdict in a real
			// audit: a pattern that no longer matches Lynis's lines
			// shows as unknown.
			for _, l := range res.Lines {
				if l.LynisReading.Verdict == Unknown {
					t.Errorf("%s: Lynis's verdict unknown: %s", l.Lynis, l.LynisReading.Evidence)
				}
				if l.Vigil.Verdict == Unknown || l.Scoped.Verdict == Unknown {
					t.Errorf("%s: Vigil's verdict missing: %s / %s", l.Lynis, l.Vigil.Evidence, l.Scoped.Evidence)
				}
			}
			if res.Agree+res.Differ != len(res.Lines) || res.Agree == 0 || res.Differ == 0 {
				t.Errorf("counts %d agree + %d differ for %d lines", res.Agree, res.Differ, len(res.Lines))
			}
			if _, err := json.Marshal(&res); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestSSHRowsNeedARunningSSHD: without an sshd Lynis judges no SSH
// option; with one it judges them all.
func TestSSHRowsNeedARunningSSHD(t *testing.T) {
	for _, host := range recordedHosts {
		a, full, scoped := loadRecorded(t, host)
		res := Compare(Rows(), a, full, scoped)
		for _, l := range res.Lines {
			if !strings.HasPrefix(l.Lynis, "SSH-") {
				continue
			}
			judged := l.LynisReading.Verdict == Pass || l.LynisReading.Verdict == Fail
			if judged != (host == "host-sshd") {
				t.Errorf("%s %s: Lynis %s (%s)", host, l.Lynis, l.LynisReading.Verdict, l.LynisReading.Evidence)
			}
		}
	}
}
