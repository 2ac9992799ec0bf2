package osv

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add(readTestdata(f, "GHSA-jfh8-c2jp-5v3q.json"))
	f.Add(record("PYSEC-2024-1"))
	f.Add([]byte(`{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]}`))
	f.Add([]byte(`{"id":"X","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"GIT","events":[{"introduced":"0","fixed":"a"}]}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			if r != nil {
				t.Fatal("record returned with an error")
			}
			return
		}
		if strings.TrimSpace(r.ID) == "" || r.Modified.IsZero() && !strings.Contains(string(data), "0001-01-01") {
			t.Fatalf("accepted a record without id or modified: %q", data)
		}
		for _, a := range r.Affected {
			for _, rg := range a.Ranges {
				if len(rg.Events) == 0 {
					t.Fatal("accepted a range without events")
				}
				for _, e := range rg.Events {
					if e.Kind() == 0 {
						t.Fatal("accepted an event without a key")
					}
				}
			}
		}
		Severity(r) // must not panic
	})
}

func FuzzReadZip(f *testing.F) {
	f.Add(exportZip(f))
	f.Add(exportZip(f)[:100])
	f.Add(buildZip(f, []zipEntry{{name: "a.json", data: []byte(`[{"id":"A"}]`), method: zip.Store}}))
	f.Add([]byte("PK\x05\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := ReadZip(bytes.NewReader(data), int64(len(data)), "all.zip", ReadOptions{MaxEntrySize: 1 << 16, MaxProblems: 5}, func(r *Record) error {
			if r.ID == "" {
				t.Fatal("handler got a record without id")
			}
			return nil
		})
		if err == nil && rep.Records+rep.Bad < rep.Entries {
			t.Fatalf("report does not add up: %+v", rep)
		}
		if len(rep.Problems) > 5 {
			t.Fatalf("%d problems listed, limit 5", len(rep.Problems))
		}
	})
}

func FuzzParseKEV(f *testing.F) {
	f.Add(readTestdata(f, "kev.json"))
	f.Add([]byte(`{"vulnerabilities":[{"cveID":"CVE-2024-0001","dateAdded":"2024-01-01"}]}`))
	f.Add([]byte(`{"vulnerabilities":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseKEV(data)
		if err != nil {
			return
		}
		for _, e := range c.Vulnerabilities {
			if !IsCVE(e.CVEID) {
				t.Fatalf("kept an entry without a CVE id: %+v", e)
			}
		}
		_ = Detect(data)
	})
}
