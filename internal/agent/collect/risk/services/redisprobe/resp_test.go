package redisprobe

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadReply(t *testing.T) {
	tests := []struct {
		name, in string
		want     Reply
		err      bool
	}{
		{"simple", "+PONG\r\n", Reply{Kind: SimpleString, Str: "PONG"}, false},
		{"error", "-NOAUTH Authentication required.\r\n", Reply{Kind: Error, Str: "NOAUTH Authentication required."}, false},
		{"integer", ":-42\r\n", Reply{Kind: Integer, Int: -42}, false},
		{"bulk", "$5\r\nhe\r\no\r\n", Reply{Kind: BulkString, Str: "he\r\no"}, false},
		{"nil bulk", "$-1\r\n", Reply{Kind: BulkString, Nil: true}, false},
		{"array", "*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n", Reply{Kind: Array, Elems: []Reply{
			{Kind: BulkString, Str: "protected-mode"}, {Kind: BulkString, Str: "yes"}}}, false},
		{"nil array", "*-1\r\n", Reply{Kind: Array, Nil: true}, false},
		{"empty array", "*0\r\n", Reply{Kind: Array, Elems: []Reply{}}, false},
		{"bad integer", ":x\r\n", Reply{}, true},
		{"no CR", "+PONG\n", Reply{}, true},
		{"bulk short", "$5\r\nab\r\n", Reply{}, true},
		{"bulk no CRLF", "$2\r\nabcd\r\n", Reply{}, true},
		{"bulk too long", "$999999999\r\n", Reply{}, true},
		{"negative length", "$-2\r\n", Reply{}, true},
		{"array too long", "*99999999\r\n", Reply{}, true},
		{"RESP3 type", "%1\r\n", Reply{}, true},
		{"too deep", strings.Repeat("*1\r\n", MaxDepth+1) + ":1\r\n", Reply{}, true},
		{"cut element", "*2\r\n:1\r\n", Reply{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadReply(bufio.NewReader(strings.NewReader(tc.in)))
			if tc.err {
				if err == nil {
					t.Fatalf("no error, got %+v", got)
				}
				if !errors.Is(err, ErrMalformed) {
					t.Errorf("error %v does not wrap ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestAppendCommand(t *testing.T) {
	got := string(AppendCommand(nil, "AUTH", "p w\r\n"))
	want := "*2\r\n$4\r\nAUTH\r\n$5\r\np w\r\n\r\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestClassify(t *testing.T) {
	ping := []struct {
		r    Reply
		want Access
	}{
		{Reply{Kind: SimpleString, Str: "PONG"}, AccessOpen},
		{Reply{Kind: Error, Str: "NOAUTH Authentication required."}, AccessAuthRequired},
		{Reply{Kind: Error, Str: "DENIED Redis is running in protected mode"}, AccessDenied},
		{Reply{Kind: Error, Str: "ERR unknown command 'PING'"}, AccessUnknown},
	}
	for _, tc := range ping {
		if got := ClassifyPing(tc.r); got != tc.want {
			t.Errorf("ClassifyPing(%s) = %v, want %v", tc.r.Short(), got, tc.want)
		}
	}
	auth := []struct {
		r    Reply
		want AuthOutcome
	}{
		{Reply{Kind: SimpleString, Str: "OK"}, AuthAccepted},
		{Reply{Kind: Error, Str: "WRONGPASS invalid username-password pair or user is disabled."}, AuthRejected},
		{Reply{Kind: Error, Str: "ERR invalid password"}, AuthRejected},
		{Reply{Kind: Error, Str: "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"}, AuthNoPassword},
		{Reply{Kind: Error, Str: "ERR Client sent AUTH, but no password is set"}, AuthNoPassword},
		{Reply{Kind: Error, Str: "ERR unknown command"}, AuthUnexpected},
		{Reply{Kind: Integer, Int: 1}, AuthUnexpected},
	}
	for _, tc := range auth {
		if got := ClassifyAuth(tc.r); got != tc.want {
			t.Errorf("ClassifyAuth(%s) = %v, want %v", tc.r.Short(), got, tc.want)
		}
	}
	cfg := Reply{Kind: Array, Elems: []Reply{{Kind: BulkString, Str: "protected-mode"}, {Kind: BulkString, Str: "no"}}}
	if v, ok := ConfigValue(cfg, "protected-mode"); !ok || v != "no" {
		t.Errorf("ConfigValue = %q, %v", v, ok)
	}
	if _, ok := ConfigValue(Reply{Kind: Error, Str: "ERR"}, "bind"); ok {
		t.Error("ConfigValue of an error")
	}
}

func TestShort(t *testing.T) {
	r := Reply{Kind: BulkString, Str: strings.Repeat("x", 100) + "\x00"}
	if got := r.Short(); len(got) > 90 || strings.ContainsRune(got, 0) {
		t.Errorf("Short = %q", got)
	}
}
