package lynis

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"slices"
	"testing"
)

// The recorded files are real output of `lynis audit system --quick
// --no-colors` (Lynis 3.0.8 from Debian 12's package) on the project's
// test machine, kept as Lynis wrote them; the log is gzipped.
const (
	recordedReport = "../testdata/host/lynis-report.dat"
	recordedLog    = "../testdata/host/lynis.log.gz"
	recordedSSHD   = "../testdata/host-sshd/lynis-report.dat"
)

// readGzip reads a gzipped file.
func readGzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRecordedReport(t *testing.T) {
	r, err := ReadReportFile(recordedReport)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := r.Value("lynis_version"); v != "3.0.8" {
		t.Errorf("lynis_version %q", v)
	}
	if v, _ := r.Value("os_name"); v != "Debian" {
		t.Errorf("os_name %q", v)
	}
	done, _ := r.Value("lynis_tests_done")
	if done == "" || len(r.Executed) == 0 || len(r.Skipped) == 0 {
		t.Fatalf("tests done %q, executed %d, skipped %d", done, len(r.Executed), len(r.Skipped))
	}
	// Every line of the file is accounted for: each key=value line is
	// in Values, Lists, the findings or the details.
	data, err := os.ReadFile(recordedReport)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, l := range bytes.Split(data, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			want++
		}
	}
	got := len(r.Warnings) + len(r.Suggestions) + len(r.Details)
	for _, v := range r.Values {
		got += len(v)
	}
	for _, v := range r.Lists {
		got += len(v)
	}
	if got != want {
		t.Errorf("%d entries parsed from %d lines", got, want)
	}
	// What this host's audit found, as the file says.
	if !slices.ContainsFunc(r.Warnings, func(f Finding) bool { return f.Test == "FIRE-4512" }) {
		t.Error("the FIRE-4512 warning is missing")
	}
	if ds := r.DetailsOf("KRNL-6000"); len(ds) < 10 || ds[0].Service != "sysctl" || ds[0].Field() == "" {
		t.Errorf("KRNL-6000 details: %+v", ds)
	}
	if got := r.Values["uncommon_network_protocol_enabled"]; !slices.Equal(got, []string{"dccp", "sctp", "rds", "tipc"}) {
		t.Errorf("uncommon_network_protocol_enabled %v", got)
	}
	if !slices.Contains(r.Skipped, "SSH-7408") {
		t.Error("SSH-7408 ran without an sshd")
	}
}

func TestRecordedReportWithSSHD(t *testing.T) {
	r, err := ReadReportFile(recordedSSHD)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(r.Executed, "SSH-7408") {
		t.Fatal("SSH-7408 did not run although an sshd ran")
	}
	fields := map[string]bool{}
	for _, d := range r.DetailsOf("SSH-7408") {
		fields[d.Field()] = true
	}
	for _, f := range []string{"MaxAuthTries", "MaxSessions", "LogLevel"} {
		if !fields[f] {
			t.Errorf("no SSH-7408 detail for %s: %v", f, fields)
		}
	}
}

func TestRecordedLog(t *testing.T) {
	l, err := ParseLog(bytes.NewReader(readGzip(t, recordedLog)))
	if err != nil {
		t.Fatal(err)
	}
	r, err := ReadReportFile(recordedReport)
	if err != nil {
		t.Fatal(err)
	}
	if l.Version != "3.0.8" || !l.End.After(l.Start) {
		t.Errorf("version %q, from %s to %s", l.Version, l.Start, l.End)
	}
	// The log and the report agree on what ran and what was skipped.
	a := &Audit{Report: r, Log: l}
	for _, id := range r.Executed {
		if st, _ := a.TestStatus(id); st != Ran {
			t.Errorf("%s: executed in the report, %s in the log", id, st)
		}
	}
	skippedWithReason := 0
	for _, id := range r.Skipped {
		st, reason := a.TestStatus(id)
		if st != Skipped {
			t.Errorf("%s: skipped in the report, %s in the log", id, st)
		}
		if reason != "" {
			skippedWithReason++
		}
	}
	if skippedWithReason != len(r.Skipped) {
		t.Errorf("%d of %d skipped tests have their reason", skippedWithReason, len(r.Skipped))
	}
	// FILE-6430 ran and said why it did not judge anything here.
	if _, ok := l.Test("FILE-6430").Find("Test skipped lsmod binary not found"); !ok {
		t.Error("FILE-6430 without its skip line")
	}
}
