package procfs

import "testing"

func FuzzParseNet(f *testing.F) {
	f.Add([]byte("sl local\n 0: 0100007F:0CEA 00000000:0000 0A 0:0 0:0 0 112 0 2345 1\n"))
	f.Add([]byte("sl\n 0: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 0 0 0 0 0 5678 1\n"))
	f.Add([]byte(" 0: :0 :0 0 0 0 0 0 0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		socks, err := ParseNet("tcp", data)
		if err != nil {
			return
		}
		for _, s := range socks {
			_ = s.Listening()
			_ = s.Loopback()
		}
	})
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add([]byte("23 1 0:21 / /tmp rw,nosuid shared:2 - tmpfs tmpfs rw\n"))
	f.Add([]byte("1 2 3 4 /a\\040b\\ 6 - x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMountinfo(data)
		if err == nil {
			for _, x := range m {
				_ = x.HasOption("nodev")
			}
		}
		_, _ = ParseFstab(data)
		_ = ParseModules(data)
	})
}
