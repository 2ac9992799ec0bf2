package baseline

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		// Kept: what evidence says without a hash.
		{"/etc/passwd:6: toor:x:0:0:root:/root:/bin/bash", ""},
		{"/etc/shadow:1: root:[password hash]:19700:0:99999:7:::", ""},
		{"/etc/shadow:2: daemon:*:19700:0:99999:7:::", ""},
		{"/etc/shadow:3: sshd:!:19700::::::", ""},
		{"net.ipv4.conf.all.rp_filter = 1 (want 2)", ""},
		{"Environment=PATH=$PATH:/usr/local/bin", ""},
		{"selected: root, toor (want exactly root)", ""},
		{"/etc/group:5: shadow:x:42:alice,bob", ""},
		// Removed: hashes of every form.
		{"/root/s:1: root:$y$j9T$abcdefghijklmnop$QRSTUVWXYZ:19700:0:99999:7:::", "/root/s:1: root:[hash removed]:19700:0:99999:7:::"},
		{"/root/s:1: u:!$6$salt$hash:19700:0:99999:7:::", "/root/s:1: u:![hash removed]:19700:0:99999:7:::"},
		{"/root/s:2: user10:x2VQm2Vkl4Ujg:19700:0:99999:7:::", "/root/s:2: user10:[hash removed]:19700:0:99999:7:::"},
		{"/root/s:3: u9:_J9..UD.CZUV.XGBpvtw:19700::::::", "/root/s:3: u9:[hash removed]:19700::::::"},
		{"/root/s:4: nt $3$$f077ca4b7d73486a45e75dcdd74cd5bd here", "/root/s:4: nt [hash removed] here"},
		{"x $md5,rounds=40597$HI.qQpSK$$.uQYqxy3Xoy4EU275c3sB0 y", "x [hash removed] y"},
		{"a $2b$05$AS94ayj/8lC.BNwr2rSB6.WbKbPOxIidtDqh97ClnRehNaXaRp48u", "a [hash removed]"},
		{"old: 1001:2:$gy$j9T$Xiq$6Ga,$5$abc$def", "old: 1001:2:[hash removed],[hash removed]"},
	}
	for _, tt := range tests {
		want := tt.want
		if want == "" {
			want = tt.in
		}
		if got := redact(tt.in); got != want {
			t.Errorf("redact(%q)\n got %q\nwant %q", tt.in, got, want)
		}
	}
}
