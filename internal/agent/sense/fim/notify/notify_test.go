package notify

import (
	"encoding/binary"
	"testing"

	"golang.org/x/sys/unix"
)

func inotifyRecord(wd int32, mask, cookie uint32, name string) []byte {
	n := (len(name) + 16) &^ 15
	b := make([]byte, unix.SizeofInotifyEvent+n)
	binary.NativeEndian.PutUint32(b[0:], uint32(wd))
	binary.NativeEndian.PutUint32(b[4:], mask)
	binary.NativeEndian.PutUint32(b[8:], cookie)
	binary.NativeEndian.PutUint32(b[12:], uint32(n))
	copy(b[16:], name)
	return b
}

func fanotifyRecord(mask uint64, pid int32, infos ...[]byte) []byte {
	var info []byte
	for _, i := range infos {
		info = append(info, i...)
	}
	b := make([]byte, fanMetadataLen, fanMetadataLen+len(info))
	binary.NativeEndian.PutUint32(b[0:], uint32(fanMetadataLen+len(info)))
	b[4] = unix.FANOTIFY_METADATA_VERSION
	binary.NativeEndian.PutUint16(b[6:], fanMetadataLen)
	binary.NativeEndian.PutUint64(b[8:], mask)
	binary.NativeEndian.PutUint32(b[16:], uint32(0xffffffff)) // FAN_NOFD
	binary.NativeEndian.PutUint32(b[20:], uint32(pid))
	return append(b, info...)
}

func fidRecord(typ uint8, handle []byte, name string) []byte {
	body := make([]byte, 8+8)
	binary.NativeEndian.PutUint32(body[8:], uint32(len(handle)))
	binary.NativeEndian.PutUint32(body[12:], 1)
	body = append(body, handle...)
	if name != "" {
		body = append(body, append([]byte(name), 0)...)
	}
	for (len(body)+4)%4 != 0 {
		body = append(body, 0)
	}
	h := []byte{typ, 0, 0, 0}
	binary.NativeEndian.PutUint16(h[2:], uint16(4+len(body)))
	return append(h, body...)
}

func TestDecodeFanotify(t *testing.T) {
	buf := fanotifyRecord(unix.FAN_RENAME, 42,
		fidRecord(unix.FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, []byte{1, 2, 3, 4, 5, 6, 7, 8}, "old"),
		fidRecord(unix.FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, []byte{9, 9, 9, 9, 9, 9, 9, 9}, "new"))
	var got []fanRecord
	if err := decodeFanotify(buf, func(r *fanRecord) { got = append(got, *r) }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].pid != 42 || got[0].old.name != "old" || got[0].new.name != "new" || got[0].old.key == got[0].new.key {
		t.Errorf("decoded %+v", got)
	}
	if err := decodeFanotify(buf[:30], func(*fanRecord) {}); err == nil {
		t.Error("truncated record accepted")
	}
}

func TestDecodeInotify(t *testing.T) {
	buf := append(inotifyRecord(1, unix.IN_CREATE, 0, "a"), inotifyRecord(2, unix.IN_MOVED_FROM, 7, "bb")...)
	var names []string
	if err := decodeInotify(buf, func(wd int32, mask, cookie uint32, name string) { names = append(names, name) }); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "bb" {
		t.Errorf("names %q", names)
	}
}

func TestParseStat(t *testing.T) {
	st, err := parseStat([]byte("123 (a (weird) name) S 1 123 123 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 0 0"))
	if err != nil || st.comm != "a (weird) name" || st.ppid != 1 || st.start != 98765 {
		t.Errorf("parseStat = %+v, %v", st, err)
	}
	if parseEffectiveUID([]byte("Name:\tx\nUid:\t1000\t0\t0\t0\n")) != 0 {
		t.Error("effective uid")
	}
}

func FuzzDecodeFanotify(f *testing.F) {
	f.Add(fanotifyRecord(unix.FAN_CREATE|unix.FAN_ONDIR, 1, fidRecord(unix.FAN_EVENT_INFO_TYPE_DFID_NAME, []byte{1, 2, 3, 4, 5, 6, 7, 8}, "x"),
		fidRecord(unix.FAN_EVENT_INFO_TYPE_FID, []byte{1, 2, 3, 4, 5, 6, 7, 9}, "")))
	f.Add(fanotifyRecord(unix.FAN_Q_OVERFLOW, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = decodeFanotify(b, func(r *fanRecord) {
			if r.fd >= 0 && r.fd < 3 {
				return // would be closed by the reader: never by the decoder
			}
		})
	})
}

func FuzzDecodeInotify(f *testing.F) {
	f.Add(inotifyRecord(1, unix.IN_CREATE|unix.IN_ISDIR, 0, "dir"))
	f.Add(inotifyRecord(-1, unix.IN_Q_OVERFLOW, 0, ""))
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = decodeInotify(b, func(wd int32, mask, cookie uint32, name string) {
			if len(name) > len(b) {
				t.Fatal("name longer than the buffer")
			}
		})
	})
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (init) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 5 0 0"))
	f.Add([]byte("2 ()) R"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseStat(b)
		_ = parseEffectiveUID(b)
		if a := splitArgs(b); len(a) > maxArgs {
			t.Fatalf("%d args", len(a))
		}
	})
}
