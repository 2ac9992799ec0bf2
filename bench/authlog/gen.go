package main

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"time"
)

// generator writes a synthetic sshd auth.log with the mix of a host
// exposed to the Internet: password guessing from many addresses (for
// root and for users that do not exist), scanners that disconnect before
// authenticating, and the PAM, logind and cron lines of the legitimate
// logins and jobs in between.
type generator struct {
	rng    *rand.Rand
	format string // "rfc3339" or "traditional"
	host   string
	at     time.Time
	pid    int
	ips    []string
	users  []string
	counts map[string]int
}

var guessedUsers = []string{"admin", "test", "user", "oracle", "postgres", "ubuntu", "git", "ftpuser",
	"guest", "support", "pi", "deploy", "jenkins", "hadoop", "mysql", "www", "nagios", "minecraft", "steam", "test user"}

var legitUsers = []string{"alice", "bob", "carol", "deploy", "ansible"}

func newGenerator(seed uint64, format string, distinctIPs int) *generator {
	g := &generator{
		rng:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		format: format,
		host:   "web1",
		at:     time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC),
		pid:    1000,
		counts: map[string]int{},
	}
	// Addresses in a few documentation and private ranges, IPv4 and
	// some IPv6.
	for len(g.ips) < distinctIPs {
		var a netip.Addr
		switch g.rng.IntN(10) {
		case 0:
			var b [16]byte
			b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8
			for i := 8; i < 16; i++ {
				b[i] = byte(g.rng.IntN(256))
			}
			a = netip.AddrFrom16(b)
		default:
			a = netip.AddrFrom4([4]byte{byte(45 + g.rng.IntN(180)), byte(g.rng.IntN(256)), byte(g.rng.IntN(256)), byte(1 + g.rng.IntN(254))})
		}
		g.ips = append(g.ips, a.String())
	}
	return g
}

// stamp returns the next line's header, time moving on by up to 2 s.
func (g *generator) header(prog string, pid int) string {
	g.at = g.at.Add(time.Duration(g.rng.IntN(2000)) * time.Millisecond)
	var ts string
	if g.format == "traditional" {
		ts = g.at.Format(time.Stamp)
	} else {
		ts = g.at.Format("2006-01-02T15:04:05.000000-07:00")
	}
	if pid == 0 {
		return fmt.Sprintf("%s %s %s: ", ts, g.host, prog)
	}
	return fmt.Sprintf("%s %s %s[%d]: ", ts, g.host, prog, pid)
}

func (g *generator) ip() string   { return g.ips[g.rng.IntN(len(g.ips))] }
func (g *generator) port() int    { return 1024 + g.rng.IntN(64000) }
func (g *generator) nextPID() int { g.pid++; return g.pid }

// episode returns the lines of one connection or job, chosen by weight.
func (g *generator) episode() []string {
	n := g.rng.IntN(100)
	switch {
	case n < 35:
		return g.invalidUser()
	case n < 60:
		return g.rootGuessing()
	case n < 78:
		return g.scanner()
	case n < 90:
		return g.legitLogin()
	case n < 96:
		return g.cron()
	default:
		return g.sudo()
	}
}

func (g *generator) invalidUser() []string {
	g.counts["invalid-user"]++
	pid, ip, port := g.nextPID(), g.ip(), g.port()
	u := guessedUsers[g.rng.IntN(len(guessedUsers))]
	return []string{
		g.header("sshd", pid) + fmt.Sprintf("Invalid user %s from %s port %d", u, ip, port),
		g.header("sshd", pid) + "pam_unix(sshd:auth): check pass; user unknown",
		g.header("sshd", pid) + fmt.Sprintf("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s", ip),
		g.header("sshd", pid) + fmt.Sprintf("Failed password for invalid user %s from %s port %d ssh2", u, ip, port),
		g.header("sshd", pid) + fmt.Sprintf("Received disconnect from %s port %d:11: Bye Bye [preauth]", ip, port),
		g.header("sshd", pid) + fmt.Sprintf("Disconnected from invalid user %s %s port %d [preauth]", u, ip, port),
	}
}

func (g *generator) rootGuessing() []string {
	g.counts["root-guessing"]++
	pid, ip, port := g.nextPID(), g.ip(), g.port()
	lines := []string{
		g.header("sshd", pid) + fmt.Sprintf("pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root", ip),
	}
	tries := 1 + g.rng.IntN(6)
	for i := 0; i < tries; i++ {
		lines = append(lines, g.header("sshd", pid)+fmt.Sprintf("Failed password for root from %s port %d ssh2", ip, port))
	}
	if tries == 6 {
		lines = append(lines,
			g.header("sshd", pid)+fmt.Sprintf("error: maximum authentication attempts exceeded for root from %s port %d ssh2 [preauth]", ip, port),
			g.header("sshd", pid)+fmt.Sprintf("Disconnecting authenticating user root %s port %d: Too many authentication failures [preauth]", ip, port),
			g.header("sshd", pid)+fmt.Sprintf("PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root", ip),
			g.header("sshd", pid)+"PAM service(sshd) ignoring max retries; 6 > 3")
	} else {
		lines = append(lines, g.header("sshd", pid)+fmt.Sprintf("Connection closed by authenticating user root %s port %d [preauth]", ip, port))
	}
	return lines
}

func (g *generator) scanner() []string {
	g.counts["scanner"]++
	pid, ip, port := g.nextPID(), g.ip(), g.port()
	switch g.rng.IntN(5) {
	case 0:
		return []string{g.header("sshd", pid) + fmt.Sprintf("Did not receive identification string from %s port %d", ip, port)}
	case 1:
		return []string{g.header("sshd", pid) + fmt.Sprintf("Unable to negotiate with %s port %d: no matching key exchange method found. Their offer: diffie-hellman-group1-sha1,diffie-hellman-group14-sha1 [preauth]", ip, port)}
	case 2:
		return []string{
			g.header("sshd", pid) + "error: kex_exchange_identification: Connection closed by remote host",
			g.header("sshd", pid) + fmt.Sprintf("Connection closed by %s port %d", ip, port),
		}
	case 3:
		return []string{g.header("sshd", pid) + fmt.Sprintf("banner exchange: Connection from %s port %d: invalid format", ip, port)}
	}
	return []string{g.header("sshd", pid) + fmt.Sprintf("Connection closed by %s port %d [preauth]", ip, port)}
}

func (g *generator) legitLogin() []string {
	g.counts["login"]++
	pid, port := g.nextPID(), g.port()
	ip := fmt.Sprintf("10.0.%d.%d", g.rng.IntN(4), 1+g.rng.IntN(50))
	u := legitUsers[g.rng.IntN(len(legitUsers))]
	uid := 1000 + g.rng.IntN(5)
	session := 1 + g.rng.IntN(5000)
	accepted := fmt.Sprintf("Accepted publickey for %s from %s port %d ssh2: ED25519 SHA256:Yt6BYV9yHcDQlY8m3M+Ub5hQz2oWq6tnrD1kqAq2k0E", u, ip, port)
	if g.rng.IntN(4) == 0 {
		accepted = fmt.Sprintf("Accepted password for %s from %s port %d ssh2", u, ip, port)
	}
	return []string{
		g.header("sshd", pid) + accepted,
		g.header("sshd", pid) + fmt.Sprintf("pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0)", u, uid),
		g.header("systemd-logind", 412) + fmt.Sprintf("New session %d of user %s.", session, u),
		g.header("sshd", pid+1) + fmt.Sprintf("Received disconnect from %s port %d:11: disconnected by user", ip, port),
		g.header("sshd", pid+1) + fmt.Sprintf("Disconnected from user %s %s port %d", u, ip, port),
		g.header("sshd", pid) + fmt.Sprintf("pam_unix(sshd:session): session closed for user %s", u),
		g.header("systemd-logind", 412) + fmt.Sprintf("Session %d logged out. Waiting for processes to exit.", session),
		g.header("systemd-logind", 412) + fmt.Sprintf("Removed session %d.", session),
	}
}

func (g *generator) cron() []string {
	g.counts["cron"]++
	pid := g.nextPID()
	return []string{
		g.header("CRON", pid) + "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
		g.header("CRON", pid) + "pam_unix(cron:session): session closed for user root",
	}
}

func (g *generator) sudo() []string {
	g.counts["sudo"]++
	u := legitUsers[g.rng.IntN(len(legitUsers))]
	return []string{
		g.header("sudo", 0) + fmt.Sprintf("   %s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx", u, g.rng.IntN(8), u),
		g.header("sudo", 0) + fmt.Sprintf("pam_unix(sudo:session): session opened for user root(uid=0) by %s(uid=1000)", u),
		g.header("sudo", 0) + "pam_unix(sudo:session): session closed for user root",
	}
}

// write writes exactly n lines.
func (g *generator) write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	written := 0
	for written < n {
		for _, l := range g.episode() {
			if written == n {
				break
			}
			if _, err := bw.WriteString(l + "\n"); err != nil {
				return err
			}
			written++
		}
	}
	return bw.Flush()
}
