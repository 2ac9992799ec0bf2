package conf

import "testing"

func seeds(f *testing.F, s ...string) {
	for _, x := range s {
		f.Add([]byte(x))
	}
}

func FuzzSSHD(f *testing.F) {
	seeds(f, "PermitRootLogin no\nMatch User x\n  X11Forwarding yes\n", "Key=\"a b\" # c\n", "Include *.conf\n", "\"\n=\n")
	src := mapSource{"/etc/ssh/a.conf": "Port 22\n"}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := ParseSSHDData("f", data)
		for k, e := range cfg.Settings {
			if k == "" || e.Line < 1 {
				t.Fatalf("bad setting %q %+v", k, e)
			}
		}
		src["/etc/ssh/sshd_config"] = string(data)
		_, _ = ParseSSHD(src, "/etc/ssh/sshd_config")
		_, _ = SSHDNumber(string(data))
	})
}

func FuzzKeyValue(f *testing.F) {
	seeds(f, "A 1\n# c\nB=2\n", "x=\"y\"\n", "\r\n\t \n")
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, sep := range []string{" ", "="} {
			for k := range ParseKeyValue("f", data, sep).Settings {
				if k == "" {
					t.Fatal("empty key")
				}
			}
		}
	})
}

func FuzzSysctl(f *testing.F) {
	seeds(f, "net.ipv4.ip_forward = 1\n", "-a/b/c=2\n; c\n", "a.*.b = 3\n", "[=\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewSysctl()
		s.Add("f", data)
		s.Add("g", data)
		_, _ = s.Get("net.ipv4.ip_forward")
		_, _ = s.Get("a.x.b")
	})
}

func FuzzPAM(f *testing.F) {
	seeds(f, "auth required pam_unix.so nullok\n", "@include x\n", "password [success=1 default=ignore pam_unix.so\n", "auth include x\\\n")
	src := mapSource{"/etc/pam.d/x": "auth required pam_x.so\n"}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := ParsePAMData("f", data)
		for _, l := range p.Lines {
			_, _ = l.Arg("retry")
			_ = l.String()
		}
		src["/etc/pam.d/main"] = string(data)
		_, _ = ParsePAM(src, "/etc/pam.d/main")
	})
}

func FuzzINI(f *testing.F) {
	seeds(f, "[a]\nb=c\n", "[\n=\n]", "k\n[s]]\n")
	f.Fuzz(func(t *testing.T, data []byte) {
		_ = ParseINI("f", data)
	})
}
