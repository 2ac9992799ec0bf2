package lynis

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseLog(t *testing.T) {
	in := `2026-11-29 21:54:57 Starting Lynis 3.0.8 with PID 23860, build date 2022-05-17
2026-11-29 21:54:57 ====
2026-11-29 21:55:00 Performing test ID CORE-1000 (Check all system binaries)
2026-11-29 21:55:00 Found /usr/bin/python (version: pyenv: python: command not found
continued line of a tool's message
)
2026-11-29 21:55:01 ====
2026-11-29 21:55:29 Skipped test DEB-0510 (Checking if LVM volume groups or file systems are stored on encrypted partitions)
2026-11-29 21:55:29 Reason to skip: Prerequisites not met (ie missing tool, other type of Linux distribution)
2026-11-29 21:55:29 ====
2026-11-29 21:55:35 Performing test ID BOOT-5142 (Check SPARC Improved boot loader (SILO))
2026-11-29 21:55:35 Result: no SILO found
2026-11-29 21:55:36 Performing test ID BOOT-5155 (Check for YABOOT boot loader configuration file)
2026-11-29 21:55:36 Security check: file is normal
2026-11-29 21:57:50 Lynis ended successfully.
`
	l, err := ParseLog(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Log{
		Version: "3.0.8",
		Start:   time.Date(2026, 11, 29, 21, 54, 57, 0, time.UTC),
		End:     time.Date(2026, 11, 29, 21, 57, 50, 0, time.UTC),
		Tests: []Test{
			{ID: "CORE-1000", Description: "Check all system binaries", Line: 3,
				Lines: []string{"Found /usr/bin/python (version: pyenv: python: command not found", "continued line of a tool's message", ")"}},
			{ID: "DEB-0510", Description: "Checking if LVM volume groups or file systems are stored on encrypted partitions", Line: 8,
				Skipped: true, SkipReason: "Prerequisites not met (ie missing tool, other type of Linux distribution)"},
			{ID: "BOOT-5142", Description: "Check SPARC Improved boot loader (SILO)", Line: 11, Lines: []string{"Result: no SILO found"}},
			// A test runs until the next test when no "====" comes between.
			{ID: "BOOT-5155", Description: "Check for YABOOT boot loader configuration file", Line: 13,
				Lines: []string{"Security check: file is normal", "Lynis ended successfully."}},
		},
	}
	if diff := cmp.Diff(want, l, cmpopts.IgnoreUnexported(Log{})); diff != "" {
		t.Errorf("log (-want +got):\n%s", diff)
	}
	if got := l.Test("DEB-0510"); got == nil || !got.Skipped {
		t.Errorf("Test(DEB-0510) = %+v, want the skipped test", got)
	}
	if got := l.Test("NOPE-0000"); got != nil {
		t.Errorf("Test(NOPE-0000) = %+v, want nil", got)
	}
	if line, ok := l.Test("BOOT-5142").Find("Result:", "SILO"); !ok || line != "Result: no SILO found" {
		t.Errorf("Find = %q %v", line, ok)
	}
}

func TestParseLogErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not a log", "hello\nworld\n", "not a Lynis log"},
		{"empty", "", "not a Lynis log"},
		{"header without id", "2026-11-29 21:55:00 Performing test ID \n", "line 1: a test header without an id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLog(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one holding %q", err, tt.want)
			}
		})
	}
}

func TestAuditTestStatus(t *testing.T) {
	rep, err := ParseReport(strings.NewReader("tests_executed=AUTH-9204|\ntests_skipped=SSH-7408|\n"))
	if err != nil {
		t.Fatal(err)
	}
	log, err := ParseLog(strings.NewReader("2026-11-29 21:55:00 Skipped test BOOT-5122 (Check for GRUB boot password)\n" +
		"2026-11-29 21:55:00 Reason to skip: Prerequisites not met\n"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		audit      Audit
		id         string
		want       Status
		wantReason string
	}{
		{"report executed", Audit{Report: rep}, "AUTH-9204", Ran, ""},
		{"report skipped", Audit{Report: rep}, "SSH-7408", Skipped, "listed in tests_skipped"},
		{"log skipped with reason", Audit{Report: rep, Log: log}, "BOOT-5122", Skipped, "Prerequisites not met"},
		{"log first, then report", Audit{Report: rep, Log: log}, "AUTH-9204", Ran, ""},
		{"nowhere", Audit{Report: rep, Log: log}, "NOPE-0000", Unknown, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := tt.audit.TestStatus(tt.id)
			if got != tt.want || reason != tt.wantReason {
				t.Errorf("TestStatus(%s) = %s %q, want %s %q", tt.id, got, reason, tt.want, tt.wantReason)
			}
		})
	}
}
