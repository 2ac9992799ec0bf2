package lynis

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func FuzzParseReport(f *testing.F) {
	f.Add([]byte("lynis_version=3.0.8\nwarning[]=FIRE-4512|iptables module(s) loaded, but no rules active|-|-|\n"))
	f.Add([]byte("details[]=KRNL-6000|sysctl|desc:x;field:kernel.kptr_restrict;prefval:2;value:0;|\ntests_executed=A-1|B-2|\n"))
	f.Add([]byte("suggestion[]=X-1|a|b|c|d|e|\n# comment\n\nk[]=v\n"))
	f.Add([]byte("details[]=SSH-7408|sshd|desc:a;b;c:d|\n"))
	if data, err := os.ReadFile(recordedReport); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReport(bytes.NewReader(data))
		if err != nil {
			if r != nil {
				t.Fatal("a report with an error")
			}
			return
		}
		for _, fs := range [][]Finding{r.Warnings, r.Suggestions} {
			for _, x := range fs {
				if strings.TrimSpace(x.Test) == "" {
					t.Fatalf("finding without a test: %+v", x)
				}
			}
		}
		for _, d := range r.Details {
			if strings.TrimSpace(d.Test) == "" || d.Fields == nil {
				t.Fatalf("detail without a test or fields: %+v", d)
			}
		}
		for key := range r.Values {
			if checkKey(key) != nil {
				t.Fatalf("accepted key %q", key)
			}
		}
	})
}

func FuzzParseLog(f *testing.F) {
	f.Add([]byte("2026-11-29 21:55:00 Performing test ID CORE-1000 (Check all system binaries)\n2026-11-29 21:55:00 Result: x\n2026-11-29 21:55:01 ====\n"))
	f.Add([]byte("2026-11-29 21:55:29 Skipped test DEB-0510 (d)\n2026-11-29 21:55:29 Reason to skip: r\nno time here\n"))
	f.Add([]byte("2026-13-45 99:99:99 Performing test ID X-1 (bad time)\n"))
	f.Add(readGzip(f, recordedLog))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := ParseLog(bytes.NewReader(data))
		if err != nil {
			if l != nil {
				t.Fatal("a log with an error")
			}
			return
		}
		for i, tt := range l.Tests {
			if tt.ID == "" || tt.Line < 1 {
				t.Fatalf("test %d without an id or line: %+v", i, tt)
			}
			if got := l.Test(tt.ID); got == nil {
				t.Fatalf("Test(%q) = nil", tt.ID)
			}
		}
	})
}
