package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestGetSet(t *testing.T) {
	e := New("id-1", time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), "process", "exec")
	e.Set(FieldProcessExe, "/bin/sh")
	e.Set(FieldParentExe, "/usr/sbin/sshd")
	e["flat"] = map[string]any{"a.b": "dotted"}
	tests := []struct {
		path string
		want string
	}{
		{FieldID, "id-1"},
		{FieldTimestamp, "2026-01-02T03:04:05.000000006Z"},
		{FieldProcessExe, "/bin/sh"},
		{FieldParentExe, "/usr/sbin/sshd"},
		{"flat.a.b", "dotted"},
		{"process.missing", ""},
		{"process.executable.deeper", ""},
	}
	for _, tt := range tests {
		if got := e.String(tt.path); got != tt.want {
			t.Errorf("String(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestDecode(t *testing.T) {
	valid := `{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"x","category":"process","action":"exec"},"agent":{"id":"a"}}`
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"valid", valid, nil},
		{"null", `null`, ErrInvalidField},
		{"no id", `{"@timestamp":"2026-01-02T03:04:05Z","event":{"category":"process","action":"exec"},"agent":{"id":"a"}}`, ErrMissingField},
		{"bad time", `{"@timestamp":"yesterday","event":{"id":"x","category":"process","action":"exec"},"agent":{"id":"a"}}`, ErrInvalidField},
		{"category array", `{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"x","category":["process"],"action":"exec"},"agent":{"id":"a"}}`, ErrInvalidField},
		{"empty action", `{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"x","category":"process","action":""},"agent":{"id":"a"}}`, ErrMissingField},
		{"too large", `{"message":"` + strings.Repeat("a", MaxSize) + `"}`, ErrTooLarge},
		{"array", `[` + valid + `]`, ErrInvalidField},
		{"data after", valid + ` {}`, ErrJSONSyntax},
		{"brace after", valid + `}`, ErrJSONSyntax},
		{"truncated", valid[:len(valid)-1], ErrJSONSyntax},
		{"white space around", "\n " + valid + " \r\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode([]byte(tt.in))
			if tt.wantErr == nil && err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode error = %v, want %v", err, tt.wantErr)
			}
		})
	}
	if _, err := Decode([]byte(`{`)); err == nil {
		t.Fatal("Decode of broken JSON succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"x","category":"process","action":"exec"},"agent":{"id":"a"}}`))
	f.Add([]byte(`{"event":{"id":1}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Decode(data)
		if err != nil {
			return
		}
		if e.Validate() != nil {
			t.Fatal("decoded event does not validate")
		}
		_ = e.Text()
	})
}

func BenchmarkGet(b *testing.B) {
	e := New("id-1", time.Now(), "process", "exec")
	e.Set(FieldParentExe, "/usr/sbin/sshd")
	b.ReportAllocs()
	for b.Loop() {
		if e.String(FieldParentExe) == "" {
			b.Fatal("not found")
		}
	}
}

func TestDecodeKeepsLargeIntegers(t *testing.T) {
	e, err := Decode([]byte(`{"@timestamp":"2026-01-02T03:04:05Z","event":{"id":"x","category":"process","action":"exec"},"agent":{"id":"a"},"process":{"pid":9007199254740993}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.String(FieldProcessPID); got != "9007199254740993" {
		t.Fatalf("process.pid = %s", got)
	}
}
