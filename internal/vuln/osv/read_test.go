package osv

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

type zipEntry struct {
	name   string
	data   []byte
	method uint16
}

func buildZip(t testing.TB, entries []zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: e.method})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func record(id string) []byte {
	return fmt.Appendf(nil, `{"id":%q,"modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1.0"]}]}`, id)
}

// exportZip is shaped like an osv.dev export: one record per entry, with
// a malformed record, an oversized one and a stray file among them.
func exportZip(t testing.TB) []byte {
	return buildZip(t, []zipEntry{
		{name: "PYSEC-2024-1.json", data: record("PYSEC-2024-1"), method: zip.Deflate},
		{name: "PYSEC-2024-2.json", data: []byte(`{"id":"PYSEC-2024-2"}`), method: zip.Deflate},
		{name: "PYSEC-2024-3.json", data: append(record("PYSEC-2024-3"), bytes.Repeat([]byte(" "), 300)...), method: zip.Deflate},
		{name: "README.txt", data: []byte("not a record"), method: zip.Store},
		{name: "PYSEC-2024-4.json", data: record("PYSEC-2024-4"), method: zip.Store},
	})
}

func collect(ids *[]string) Handler {
	return func(r *Record) error {
		*ids = append(*ids, r.ID)
		return nil
	}
}

func TestReadZip(t *testing.T) {
	data := exportZip(t)
	var ids []string
	var progress [][2]int
	rep, err := ReadZip(bytes.NewReader(data), int64(len(data)), "PyPI/all.zip", ReadOptions{
		MaxEntrySize: 256,
		Progress:     func(done, total int) { progress = append(progress, [2]int{done, total}) },
	}, collect(&ids))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"PYSEC-2024-1", "PYSEC-2024-4"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	want := Report{
		Entries: 3, Records: 2, Bad: 1, Oversized: 1, Skipped: 1,
		Problems: []Problem{
			{File: "PyPI/all.zip!/PYSEC-2024-2.json", Reason: "invalid OSV record: PYSEC-2024-2: modified: missing"},
			{File: "PyPI/all.zip!/PYSEC-2024-3.json", Reason: fmt.Sprintf("larger than 256 bytes (%d)", len(record("PYSEC-2024-3"))+300)},
		},
	}
	if diff := cmp.Diff(want, rep); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][2]int{{1, 5}, {2, 5}, {3, 5}, {4, 5}, {5, 5}}, progress); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestReadZipLimitsProblems(t *testing.T) {
	var entries []zipEntry
	for i := range 10 {
		entries = append(entries, zipEntry{name: fmt.Sprintf("bad-%d.json", i), data: []byte(`{}`), method: zip.Deflate})
	}
	data := buildZip(t, entries)
	rep, err := ReadZip(bytes.NewReader(data), int64(len(data)), "all.zip", ReadOptions{MaxProblems: 3}, collect(new([]string)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Bad != 10 || len(rep.Problems) != 3 {
		t.Errorf("bad = %d, problems listed = %d; want 10 and 3", rep.Bad, len(rep.Problems))
	}
}

func TestReadZipCorrupt(t *testing.T) {
	good := buildZip(t, []zipEntry{
		{name: "A-1.json", data: record("A-1"), method: zip.Store},
		{name: "A-2.json", data: record("A-2"), method: zip.Deflate},
	})
	// Flip a byte of the stored entry's content: its CRC no longer holds.
	badCRC := bytes.Clone(good)
	i := bytes.Index(badCRC, []byte(`"A-1"`))
	badCRC[i+1] = 'B'
	if crc32.ChecksumIEEE(badCRC[i:i+5]) == crc32.ChecksumIEEE(good[i:i+5]) {
		t.Fatal("the change did not alter the content")
	}
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"checksum", badCRC, zip.ErrChecksum},
		{"truncated", good[:len(good)-30], zip.ErrFormat},
		{"empty", nil, zip.ErrFormat},
		{"not a zip", []byte("PK\x03\x04 this is not a zip archive at all"), zip.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadZip(bytes.NewReader(tt.data), int64(len(tt.data)), "all.zip", ReadOptions{}, collect(new([]string)))
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), "all.zip") {
				t.Errorf("err %q does not name the archive", err)
			}
		})
	}
}

func TestReadZipHandlerStops(t *testing.T) {
	data := exportZip(t)
	stop := errors.New("enough")
	n := 0
	_, err := ReadZip(bytes.NewReader(data), int64(len(data)), "all.zip", ReadOptions{}, func(*Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d records; want the handler's error after 1", err, n)
	}
}

// TestReadDir reads a folder as an import would find it: loose records,
// an array of records, a malformed record, a KEV catalog put there by
// mistake, an export zip in a sub-folder and unrelated files. The report
// is compared with a golden file.
func TestReadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("GHSA-jfh8-c2jp-5v3q.json", readTestdata(t, "GHSA-jfh8-c2jp-5v3q.json"))
	write("list.json", []byte("["+string(record("L-1"))+",{\"id\":\"L-2\",\"modified\":\"bad\"}]"))
	write("broken.json", []byte(`{"id": "B-1", "modified": `))
	write("kev.json", readTestdata(t, "kev.json"))
	write("notes.txt", []byte("ignored"))
	write("PyPI/all.zip", exportZip(t))

	var ids []string
	var last [2]int
	rep, err := ReadDir(dir, ReadOptions{MaxEntrySize: 4096, Progress: func(d, n int) { last = [2]int{d, n} }}, collect(&ids))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	if diff := cmp.Diff([]string{"GHSA-jfh8-c2jp-5v3q", "L-1", "PYSEC-2024-1", "PYSEC-2024-3", "PYSEC-2024-4"}, ids); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	if last != [2]int{9, 9} {
		t.Errorf("last progress = %v, want 9 of 9 (4 files, 5 entries)", last)
	}
	for i := range rep.Problems {
		rep.Problems[i].File = filepath.ToSlash(strings.TrimPrefix(rep.Problems[i].File, dir+string(filepath.Separator)))
	}
	checkGolden(t, "readdir-report.golden.json", rep)
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, diff)
	}
}

func TestReadFileAndRead(t *testing.T) {
	dir := t.TempDir()
	rec := filepath.Join(dir, "GHSA-jfh8-c2jp-5v3q.json")
	if err := os.WriteFile(rec, readTestdata(t, "GHSA-jfh8-c2jp-5v3q.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	kev := filepath.Join(dir, "known_exploited_vulnerabilities.json")
	if err := os.WriteFile(kev, readTestdata(t, "kev.json"), 0o644); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(dir, "all.zip")
	if err := os.WriteFile(zipPath, exportZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.json")
	if err := os.WriteFile(big, append(record("BIG-1"), bytes.Repeat([]byte(" "), 100)...), 0o644); err != nil {
		t.Fatal(err)
	}

	var ids []string
	rep, err := Read(rec, ReadOptions{}, collect(&ids))
	if err != nil || rep.Records != 1 || ids[0] != "GHSA-jfh8-c2jp-5v3q" {
		t.Errorf("Read(record) = %+v, %v, ids %v", rep, err, ids)
	}
	if _, err := ReadFile(kev, ReadOptions{}, collect(&ids)); err == nil || !strings.Contains(err.Error(), "Known Exploited Vulnerabilities catalog") {
		t.Errorf("ReadFile(kev) err = %v, want one telling it is a KEV catalog", err)
	}
	rep, err = Read(zipPath, ReadOptions{}, collect(&ids))
	if err != nil || rep.Records != 3 || rep.Bad != 1 {
		t.Errorf("Read(zip) = %+v, %v", rep, err)
	}
	rep, err = Read(big, ReadOptions{MaxEntrySize: 100}, collect(&ids))
	if err != nil || rep.Oversized != 1 || rep.Records != 0 {
		t.Errorf("Read(big) = %+v, %v", rep, err)
	}
	rep, err = Read(dir, ReadOptions{}, collect(&ids))
	if err != nil || rep.Records != 5 || rep.Bad != 2 {
		t.Errorf("Read(dir) = %+v, %v", rep, err)
	}
	if _, err := Read(filepath.Join(dir, "missing.json"), ReadOptions{}, collect(&ids)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) err = %v, want not exist", err)
	}
	broken := filepath.Join(dir, "broken.zip")
	if err := os.WriteFile(broken, exportZip(t)[:40], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir, ReadOptions{}, collect(&ids)); !errors.Is(err, zip.ErrFormat) {
		t.Errorf("Read(dir with a truncated zip) err = %v, want a zip format error", err)
	}
}
