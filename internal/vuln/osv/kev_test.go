package osv

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseKEV(t *testing.T) {
	c, err := ParseKEV(readTestdata(t, "kev.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.CatalogVersion != "2025.06.30" {
		t.Errorf("catalogVersion = %q", c.CatalogVersion)
	}
	if diff := cmp.Diff([]string{"CVE-2021-44228", "CVE-2014-6271"}, c.CVEs()); diff != "" {
		t.Errorf("CVEs (-want +got):\n%s", diff)
	}
	log4j := c.Vulnerabilities[0]
	if log4j.VendorProject != "Apache" || log4j.Product != "Log4j2" || !log4j.UsedByRansomware() {
		t.Errorf("entry = %+v", log4j)
	}
	if want := time.Date(2021, 12, 10, 0, 0, 0, 0, time.UTC); !log4j.DateAdded.Equal(want) {
		t.Errorf("dateAdded = %v, want %v", log4j.DateAdded, want)
	}
	if want := time.Date(2021, 12, 24, 0, 0, 0, 0, time.UTC); !log4j.DueDate.Equal(want) {
		t.Errorf("dueDate = %v, want %v", log4j.DueDate, want)
	}
	if c.Vulnerabilities[1].UsedByRansomware() {
		t.Error("bash entry says Unknown, not Known")
	}
	if len(c.Skipped) != 1 || c.Skipped[0].File != "vulnerabilities[2]" {
		t.Errorf("skipped = %+v, want the entry without a CVE id", c.Skipped)
	}
}

func TestParseKEVRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not json":             `{"vulnerabilities":`,
		"no vulnerabilities":   `{"title":"x","catalogVersion":"1"}`,
		"vulnerabilities type": `{"vulnerabilities":{}}`,
		"bad release date":     `{"dateReleased":"June","vulnerabilities":[]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseKEV([]byte(in)); !errors.Is(err, ErrInvalidKEV) {
				t.Errorf("err = %v, want ErrInvalidKEV", err)
			}
		})
	}
	c, err := ParseKEV([]byte(`{"vulnerabilities":[{"cveID":"CVE-2024-0001","dateAdded":"10/12/2024"}]}`))
	if err != nil || len(c.Vulnerabilities) != 0 || len(c.Skipped) != 1 {
		t.Errorf("bad date: catalog %+v, err %v; want the entry skipped", c, err)
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want Format
	}{
		{"osv record", readTestdata(t, "GHSA-jfh8-c2jp-5v3q.json"), FormatOSV},
		{"kev catalog", readTestdata(t, "kev.json"), FormatKEV},
		{"array", []byte(` [{"id":"X"}]`), FormatOSVList},
		{"minimal osv", []byte(`{"id":"X","modified":"2024-01-01T00:00:00Z"}`), FormatOSV},
		{"osv with a vulnerabilities member is still osv", []byte(`{"id":"X","modified":"2024-01-01T00:00:00Z","vulnerabilities":[]}`), FormatOSV},
		{"kev without version", []byte(`{"count":0,"vulnerabilities":[]}`), FormatKEV},
		{"osv query answer", []byte(`{"vulns":[]}`), FormatUnknown},
		{"broken", []byte(`{"id":`), FormatUnknown},
		{"empty", nil, FormatUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect(tt.in); got != tt.want {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
}
