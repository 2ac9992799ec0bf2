package redisprobe

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

func FuzzReadReply(f *testing.F) {
	for _, s := range []string{
		"+PONG\r\n", "-NOAUTH Authentication required.\r\n", ":42\r\n", "$5\r\nhello\r\n", "$-1\r\n",
		"*2\r\n$14\r\nprotected-mode\r\n$3\r\nyes\r\n", "*-1\r\n", "*1\r\n*1\r\n*1\r\n:1\r\n",
		"$3\r\nab\r\n", "%1\r\n", "+x\n", "*999999999\r\n", "$9999999999\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		for range 8 {
			rep, err := ReadReply(r)
			if err != nil {
				if !errors.Is(err, ErrMalformed) && !errors.Is(err, io.EOF) {
					t.Fatalf("error %v wraps neither ErrMalformed nor io.EOF", err)
				}
				return
			}
			_ = rep.Short()
			ClassifyPing(rep)
			ClassifyAuth(rep)
			ConfigValue(rep, "bind")
			// What was read, written again as a command when it is one,
			// reads back the same.
			if rep.Kind == Array && !rep.Nil && allBulk(rep) {
				args := make([]string, len(rep.Elems))
				for i, e := range rep.Elems {
					args[i] = e.Str
				}
				again, err := ReadReply(bufio.NewReader(bytes.NewReader(AppendCommand(nil, args...))))
				if err != nil || len(again.Elems) != len(args) {
					t.Fatalf("round trip of %q: %v", args, err)
				}
			}
		}
	})
}

func allBulk(r Reply) bool {
	for _, e := range r.Elems {
		if e.Kind != BulkString || e.Nil {
			return false
		}
	}
	return true
}
