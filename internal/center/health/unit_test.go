package health

import (
	"testing"
	"unicode/utf8"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"google.golang.org/protobuf/proto"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/store"
)

func TestGoodbyeStatus(t *testing.T) {
	tests := []struct {
		name   string
		gb     *busv1.Goodbye
		status store.AgentStatus
		reason string
	}{
		{"systemd", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
			Source: &busv1.StopSource{Via: "systemd"}}, store.StatusStopped, "SIGTERM via systemd"},
		{"shell kill", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
			Source: &busv1.StopSource{Uid: 0, Command: "bash"}}, store.StatusStopped, "SIGTERM from uid 0: bash"},
		{"user and pid", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGINT",
			Source: &busv1.StopSource{Uid: 1000, User: "ops", Pid: 812, Command: "kill 4242", Via: "signal"}},
			store.StatusStopped, "SIGINT from ops (uid 1000): kill 4242 (pid 812) via signal"},
		{"traced sender", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
			Source: &busv1.StopSource{Uid: 0, User: "root", Pid: 4242, Command: "[kill]", ParentPid: 4100,
				ParentCommand: "-bash", LoginUser: "alice", Via: "signal", SeenBy: "ebpf"}},
			store.StatusStopped, "SIGTERM from root (uid 0): [kill] (pid 4242), run by -bash (pid 4100), login user alice via signal"},
		{"systemd traced", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
			Source: &busv1.StopSource{User: "root", Pid: 1, Command: "/sbin/init", Via: "systemd", SeenBy: "ebpf"}},
			store.StatusStopped, "SIGTERM from root (uid 0): /sbin/init (pid 1) via systemd"},
		{"sender unknown", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
			Source: &busv1.StopSource{Via: "signal", Note: "sender unknown (no signal tracer); the agent's parent is bash (pid 9, user root)"}},
			store.StatusStopped, "SIGTERM via signal; sender unknown (no signal tracer); the agent's parent is bash (pid 9, user root)"},
		{"no source", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED}, store.StatusStopped, "stopped"},
		{"no reason", &busv1.Goodbye{Signal: "SIGHUP"}, store.StatusStopped, "SIGHUP (no reason given)"},
		{"uninstall", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_UNINSTALLED, Detail: "package removed",
			Source: &busv1.StopSource{Via: "dpkg"}}, store.StatusUninstalled, "uninstalled via dpkg: package removed"},
		{"control characters", &busv1.Goodbye{Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIG\nTERM\x1b[2J"},
			store.StatusStopped, "SIG TERM [2J"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, reason := goodbyeStatus(tc.gb)
			if status != tc.status || reason != tc.reason {
				t.Errorf("goodbyeStatus = %s %q, want %s %q", status, reason, tc.status, tc.reason)
			}
		})
	}
}

func TestClientAgent(t *testing.T) {
	user, _ := nkeys.CreateUser()
	pub, _ := user.PublicKey()
	other, _ := nkeys.CreateUser()
	otherPub, _ := other.PublicKey()
	account, _ := nkeys.CreateAccount()
	uc := jwt.NewUserClaims(pub)
	uc.Name = "agent-7"
	token, err := uc.Encode(account)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ci   natsserver.ClientInfo
		want string
		ok   bool
	}{
		{"jwt name", natsserver.ClientInfo{User: pub, Jwt: token, Name: "spoofed"}, "agent-7", true},
		{"jwt of another key", natsserver.ClientInfo{User: otherPub, Jwt: token}, "", false},
		{"broken jwt", natsserver.ClientInfo{User: pub, Jwt: "x.y.z"}, "", false},
		{"plain user", natsserver.ClientInfo{User: "agent-8", Name: "whatever"}, "agent-8", true},
		{"no user", natsserver.ClientInfo{Name: "agent-9"}, "", false},
		{"user not an id", natsserver.ClientInfo{User: "a.b"}, "a.b", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := clientAgent(tc.ci)
			if ok != tc.ok || ok && got != tc.want {
				t.Errorf("clientAgent = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func FuzzGoodbyeStatus(f *testing.F) {
	seed, _ := proto.Marshal(&busv1.Goodbye{AgentId: "a1", Reason: busv1.Goodbye_REASON_STOPPED, Signal: "SIGTERM",
		Source: &busv1.StopSource{Pid: 1, Uid: 0, User: "root", Command: "bash", Via: "systemd"}, Detail: "x"})
	f.Add(seed)
	f.Add([]byte{0x10, 0x02, 0x22, 0x03, 0xff, 0xfe, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		gb := &busv1.Goodbye{}
		if proto.Unmarshal(data, gb) != nil {
			return
		}
		status, reason := goodbyeStatus(gb)
		if status != store.StatusStopped && status != store.StatusUninstalled {
			t.Fatalf("status %q", status)
		}
		if !utf8.ValidString(reason) || len(reason) > 520 {
			t.Fatalf("reason of %d bytes, valid UTF-8 %v", len(reason), utf8.ValidString(reason))
		}
	})
}

func FuzzDecodeClientEvent(f *testing.F) {
	f.Add("$SYS.ACCOUNT.VIGIL.CONNECT", []byte(`{"type":"io.nats.server.advisory.v1.client_connect","client":{"id":3,"user":"a1","host":"10.0.0.5"},"server":{"id":"S1"}}`))
	f.Add("$SYS.ACCOUNT.VIGIL.DISCONNECT", []byte(`{"client":{"id":3,"user":"a1","jwt":"e30.e30.e30"},"reason":"Stale Connection"}`))
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		ev, ok := decodeClientEvent(&nats.Msg{Subject: subject, Data: data})
		if !ok {
			return
		}
		_, _ = clientAgent(ev.client)
	})
}
