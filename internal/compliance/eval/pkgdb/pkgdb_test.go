package pkgdb

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestParseDpkgStatus(t *testing.T) {
	data := []byte("Package: a\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\nDescription: x\n y\n .\n\n\n" +
		"Package: b\nStatus: deinstall ok config-files\nVersion: 2\n\nPackage: a\nStatus: install ok half-configured\nArchitecture: i386\nVersion: 1.0-2\n")
	db, err := ParseDpkgStatus(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := db.Lookup("a"); len(got) != 2 || got[0].Version != "1.0-1" || got[1].Arch != "i386" {
		t.Errorf("a: %+v", got)
	}
	if got := db.Lookup("b"); len(got) != 0 {
		t.Errorf("config-files is not installed: %+v", got)
	}
	for _, bad := range []string{"Version: 1\n", "Package: a\nStatus: installed\n", "Package: a\nno colon\n"} {
		if _, err := ParseDpkgStatus([]byte(bad)); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestParseDpkgStatusThisHost(t *testing.T) {
	data, err := os.ReadFile("/var/lib/dpkg/status")
	if err != nil {
		t.Skip("no dpkg here")
	}
	db, err := ParseDpkgStatus(data)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("dpkg-query", "-W", "-f", "${db:Status-Status} ${Package}\n").Output()
	if err != nil {
		t.Skip("dpkg-query failed")
	}
	n := 0
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "installed" {
			n++
			if len(db.Lookup(f[1])) == 0 {
				t.Errorf("%s is installed but not found", f[1])
			}
		}
	}
	if n == 0 {
		t.Fatal("dpkg-query listed nothing")
	}
	t.Logf("%d installed packages found", n)
}

// TestCompareDebianWithDpkg compares CompareDebian with dpkg
// --compare-versions on pairs of tricky and installed versions.
func TestCompareDebianWithDpkg(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("dpkg is not installed here")
	}
	versions := []string{"1.0", "1.0-1", "1.0-1~bpo1", "1.0~rc1", "1.0~~", "1.0~", "1.0+b1", "1.0.0", "1:0.9", "0:1.0", "2:1",
		"1.0a", "1.0-1ubuntu1", "1.9.13p3-1+deb12u1", "1.9.13p3-1", "1.9.9", "1.10", "9.2p1-2+deb12u3", "1:9.2p1-2",
		"0.17+2.4-2", "10", "9", "1.0-0", "1.0-00", "a", "1.0-1.1", "1.0-1a", "2.36-9+deb12u7", "2.36-9+deb12u10"}
	if data, err := os.ReadFile("/var/lib/dpkg/status"); err == nil {
		if db, err := ParseDpkgStatus(data); err == nil {
			i := 0
			for _, ps := range db.Packages {
				if i++; i > 60 {
					break
				}
				versions = append(versions, ps[0].Version)
			}
		}
	}
	checked := 0
	for i, a := range versions {
		for j, b := range versions {
			if (i+j)%3 != 0 && i > 28 {
				continue
			}
			want := 0
			if exec.Command("dpkg", "--compare-versions", a, "lt", b).Run() == nil {
				want = -1
			} else if exec.Command("dpkg", "--compare-versions", a, "gt", b).Run() == nil {
				want = 1
			}
			if got := sign(CompareDebian(a, b)); got != want {
				t.Errorf("CompareDebian(%q, %q) = %d, dpkg says %d", a, b, got, want)
			}
			checked++
			if checked > 1200 {
				return
			}
		}
	}
}

func TestCompareRPM(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.1", -1}, {"1.10", "1.9", 1}, {"1.0~rc1", "1.0", -1}, {"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0.1", -1}, {"1:1.0", "2.0", 1}, {"1.0-1.el9", "1.0-2.el9", -1}, {"1.0a", "1.0", 1},
		{"1.0", "1.0-5", 0}, {"2.0.1", "2.0.1a", -1}, {"5.5p1", "5.5p10", -1}, {"1.0.010", "1.0.9", 1}, {"abc", "abd", -1},
	}
	for _, c := range cases {
		if got := sign(CompareRPM(c.a, c.b)); got != c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestCompareAPK(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.0.1", -1}, {"1.0_rc1", "1.0", -1}, {"1.0", "1.0_p1", -1}, {"1.0-r1", "1.0-r2", -1},
		{"1.0a", "1.0b", -1}, {"1.0_alpha", "1.0_beta", -1}, {"1.2.10", "1.2.9", 1}, {"3.0.8-r0", "3.0.10-r0", -1},
	}
	for _, c := range cases {
		if got := sign(CompareAPK(c.a, c.b)); got != c.want {
			t.Errorf("CompareAPK(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseAPKAndRPM(t *testing.T) {
	db, err := ParseAPKInstalled([]byte("C:Q1x\nP:musl\nV:1.2.4-r2\nA:x86_64\n\nP:busybox\nV:1.36.1-r5\n"))
	if err != nil || len(db.Lookup("musl")) != 1 || db.Lookup("busybox")[0].Version != "1.36.1-r5" {
		t.Errorf("apk: %+v %v", db, err)
	}
	if _, err := ParseAPKInstalled([]byte("garbage\n")); err == nil {
		t.Error("want an error")
	}
	r := ParseRPMQuery([]byte("sudo 0:1.9.5p2-9.el9 x86_64\npackage telnet-server is not installed\nopenssl 1:3.0.7-24.el9 x86_64\n"))
	if len(r.Lookup("sudo")) != 1 || r.Lookup("sudo")[0].Version != "1.9.5p2-9.el9" || len(r.Lookup("telnet-server")) != 0 || r.Lookup("openssl")[0].Version != "1:3.0.7-24.el9" {
		t.Errorf("rpm: %+v", r.Packages)
	}
}
