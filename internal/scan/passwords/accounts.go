package passwords

import (
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/group"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/passwd"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/shadow"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// maxFileBytes bounds an account database.
const maxFileBytes = 16 << 20

// privilegedGroups are the groups whose members act as root through sudo
// or by owning the system's files.
var privilegedGroups = []string{"root", "sudo", "wheel", "admin"}

// account is one local account as the scan sees it.
type account struct {
	name     string
	uid, gid int64
	// field is the password field in effect: shadow's when passwd says
	// "x", passwd's own otherwise. It is held in memory only.
	field string
	// inShadow is false when passwd says "x" and shadow has no entry
	// (no password matches).
	inShadow bool
	// login is true when the shell lets the account run commands.
	login bool
	// privileged is true for uid 0 and for members (primary or
	// supplementary) of gid 0 and of privilegedGroups.
	privileged bool
}

// database is what the account files say.
type database struct {
	accounts []account
	// host is the host's short name (for candidates), "" when unknown.
	host string
}

// readDatabase reads passwd, shadow, group and the host name under the
// root. Passwd missing or unreadable, or shadow or group present and
// unreadable, is an error: the findings would be wrong.
func readDatabase(root string, sum *protocol.Summary) (*database, error) {
	fsys, err := rootfs.New(root)
	if err != nil {
		return nil, err
	}
	fsys = fsys.Cached()
	var files [3][]byte
	for i, name := range []string{"passwd", "shadow", "group"} {
		data, _, err := fsys.ReadFile("/etc/"+name, maxFileBytes)
		switch {
		case err == nil:
			sum.Sources = append(sum.Sources, "etc/"+name)
			files[i] = data
		case name != "passwd" && rootfs.IsNotExist(err):
		default:
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
	}
	db := parseDatabase(files[0], files[1], files[2], sum)
	db.host = hostName(fsys)
	return db, nil
}

// parseDatabase parses the account files with the accounts sensor's
// parsers, keeping the password fields those leave out. Lines the
// parsers skip are counted in sum as file errors.
func parseDatabase(pwData, shData, grData []byte, sum *protocol.Summary) *database {
	pf := passwd.Parse(pwData, nil)
	problems(sum, "etc/passwd", "passwd", pf.Problems)
	sf := shadow.Parse(shData, nil)
	problems(sum, "etc/shadow", "shadow", sf.Problems)
	shadowField := map[string]string{}
	shLines := lineFields(shData, -1)
	for _, e := range sf.Entries {
		if _, dup := shadowField[e.Name]; !dup {
			shadowField[e.Name] = field(shLines[e.Line], 1)
		}
	}

	gf := group.Parse(grData, nil)
	problems(sum, "etc/group", "group", gf.Problems)
	privGID := map[int64]bool{0: true}
	privMember := map[string]bool{}
	for _, g := range gf.Entries {
		if g.Compat || !isPrivilegedGroup(g) {
			continue
		}
		privGID[g.GID] = true
		for _, m := range g.Members {
			privMember[m] = true
		}
	}

	db := &database{}
	pwLines := lineFields(pwData, 7)
	seen := map[string]bool{}
	for _, e := range pf.Entries {
		if e.Compat {
			continue // NIS compat lines name no local account
		}
		if seen[e.Name] {
			sum.Skip("duplicate_account", 1)
			continue
		}
		seen[e.Name] = true
		a := account{
			name: e.Name, uid: e.UID, gid: e.GID, login: loginShell(e.Shell),
			privileged: e.UID == 0 || privGID[e.GID] || privMember[e.Name],
		}
		if pw := field(pwLines[e.Line], 1); pw == "x" {
			a.field, a.inShadow = shadowField[e.Name]
		} else {
			// A hash or an empty field in passwd itself is honoured.
			a.field, a.inShadow = pw, true
		}
		db.accounts = append(db.accounts, a)
	}
	return db
}

// problems counts the lines a parser skipped as file errors (the line's
// number and the reason, never its text: shadow lines hold hashes).
func problems(sum *protocol.Summary, file, parser string, p textfile.Problems) {
	for _, m := range p.List {
		sum.AddError(protocol.FileError{Path: file, Extractor: parser, Error: fmt.Sprintf("line %d: %s", m.Line, m.Reason)})
	}
	sum.Errors += p.Skipped - len(p.List)
}

func isPrivilegedGroup(g group.Entry) bool {
	if g.GID == 0 {
		return true
	}
	for _, name := range privilegedGroups {
		if g.Name == name {
			return true
		}
	}
	return false
}

// lineFields returns the lines of data by number (as package textfile
// numbers them), each split at ':' into at most n fields (n < 0: all).
func lineFields(data []byte, n int) map[int][]string {
	out := map[int][]string{}
	for num, line := range textfile.Lines(data) {
		out[num] = strings.SplitN(string(line), ":", n)
	}
	return out
}

// field returns fields[i], or "" when there are fewer.
func field(fields []string, i int) string {
	if i < len(fields) {
		return fields[i]
	}
	return ""
}

// loginShell reports whether a shell lets the account run commands
// (empty means /bin/sh to login(1)).
func loginShell(shell string) bool {
	switch path.Base(strings.TrimSpace(shell)) {
	case "nologin", "false", "sync", "halt", "shutdown":
		return false
	}
	return true
}

// hostName returns the host's short name from /etc/hostname under the
// root, or the running host's when the root is "/" and the file says
// nothing.
func hostName(fsys *rootfs.FS) string {
	var name string
	if data, _, err := fsys.ReadFile("/etc/hostname", 4096); err == nil {
		name = strings.TrimSpace(string(data))
	}
	if name == "" && fsys.Root() == "/" {
		name, _ = os.Hostname()
	}
	name, _, _ = strings.Cut(name, ".")
	if len(name) > 64 || strings.ContainsAny(name, " \t\r\n\x00") {
		return ""
	}
	return name
}
