package systemd

import "testing"

func FuzzParseUnit(f *testing.F) {
	f.Add([]byte("[Service]\nExecStart=-/usr/sbin/sshd -D\n[Install]\nWantedBy=multi-user.target\nAlias=sshd.service\n"))
	f.Add([]byte("[Install\n=\nExecStart=@\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		install, exec := parseUnit(data)
		for _, i := range install {
			if i == "" {
				t.Fatal("an empty install target")
			}
		}
		_ = exec
		_, _ = template(string(data))
	})
}
