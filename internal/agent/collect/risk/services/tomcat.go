package services

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/agent/collect/app/middleware"
	"github.com/vigilsec/vigil/internal/agent/collect/risk/services/tomcatusers"
)

// tomcatRoles are the roles that give control of the server or its
// applications: the Manager and Host Manager applications (Tomcat 7 and
// later), and the single roles of Tomcat 6.
var tomcatRoles = []string{
	"manager-gui", "manager-script", "manager-jmx", "admin-gui", "admin-script", "manager", "admin",
}

// tomcatDefaults are well-known passwords of Tomcat's sample and
// installer accounts; tomcatPairs the user names they go with.
var (
	tomcatDefaults = []string{"tomcat", "admin", "s3cret", "manager", "password", "changethis", "root", "role1", "123456"}
	tomcatPairs    = map[string][]string{
		"tomcat":  {"tomcat", "s3cret", "admin", "changethis"},
		"admin":   {"admin", "tomcat", "password", "changethis", ""},
		"manager": {"manager", "tomcat"},
		"both":    {"tomcat"},
		"role1":   {"tomcat", "role1"},
		"root":    {"root", "tomcat"},
	}
)

// tomcatFileBudget bounds the time spent comparing the passwords of one
// user database.
const tomcatFileBudget = time.Minute

// tomcatBase is one Tomcat instance's configuration: a running one's
// catalina.base, or a Debian package's /etc/tomcatN.
type tomcatBase struct {
	in *instance
	// base is catalina.base; conf is its configuration folder
	// (base/conf, or /etc/tomcatN itself).
	base, conf string
	// serverXML is the server configuration.
	serverXML string
	files     view
}

func (r *run) tomcat() []check {
	if !r.s.Checks.Tomcat {
		return nil
	}
	var bases []*tomcatBase
	for _, in := range r.d.of(ProductTomcat) {
		base := in.java.Props["catalina.base"]
		if base == "" {
			base = in.java.Props["catalina.home"]
		}
		if base == "" {
			continue
		}
		base = absFrom(in.cwd, base)
		sx, ok := middleware.OptionValue(in.java.Args, false, "-config")
		if ok {
			sx = absFrom(base, sx)
		} else {
			sx = path.Join(base, "conf/server.xml")
		}
		bases = append(bases, &tomcatBase{in: in, base: base, conf: path.Join(base, "conf"), serverXML: sx, files: in.files})
	}
	// Debian's packages keep the configuration in /etc/tomcatN, which
	// /var/lib/tomcatN/conf links to.
	for _, dir := range r.host.glob("/etc", "tomcat*") {
		if r.host.exists(path.Join(dir, "tomcat-users.xml")) || r.host.exists(path.Join(dir, "server.xml")) {
			bases = append(bases, &tomcatBase{base: path.Join("/var/lib", path.Base(dir)), conf: dir,
				serverXML: path.Join(dir, "server.xml"), files: r.host})
		}
	}
	var out []check
	seen := map[string]bool{}
	for _, b := range bases {
		for _, db := range r.tomcatDatabases(b) {
			key := b.files.top + "\x00" + db.file
			if seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, check{
				scope: ProductTomcat + ":" + db.file,
				run:   func(ctx context.Context) ([]finding, error) { return r.checkTomcatUsers(ctx, b, db) },
			})
		}
	}
	return out
}

// tomcatDB is one user database file and the credential handlers of the
// realms that use it.
type tomcatDB struct {
	file     string
	handlers []*tomcatusers.Handler
}

// tomcatDatabases returns the user database files of a Tomcat: those of
// server.xml's UserDatabase resources (conf/tomcat-users.xml when the
// file cannot be read), each with the handlers of the realms that use
// it (none: plain text, Tomcat's default).
func (r *run) tomcatDatabases(b *tomcatBase) []tomcatDB {
	data, err := b.files.ReadFile(b.serverXML)
	var srv *tomcatusers.Server
	if err == nil {
		srv, err = tomcatusers.ParseServer(data)
	}
	if err != nil {
		if !isNotExist(err) {
			r.errorf("Tomcat: server.xml not read", "file", b.serverXML, "error", err)
		}
		return []tomcatDB{{file: b.files.Resolve(path.Join(b.conf, "tomcat-users.xml"))}}
	}
	var out []tomcatDB
	for name, p := range srv.Databases {
		db := tomcatDB{file: b.files.Resolve(b.resolve(p))}
		for _, realm := range srv.Realms {
			if realm.Resource == name {
				db.handlers = append(db.handlers, realm.Handler)
			}
		}
		out = append(out, db)
	}
	slices.SortFunc(out, func(a, b tomcatDB) int { return cmp.Compare(a.file, b.file) })
	return out
}

// resolve makes a UserDatabase pathname a host path: properties
// replaced, relative to catalina.base (conf/ meaning the configuration
// folder).
func (b *tomcatBase) resolve(p string) string {
	p = strings.ReplaceAll(p, "${catalina.base}", b.base)
	if b.in != nil {
		home := b.in.java.Props["catalina.home"]
		if home == "" {
			home = b.base
		}
		p = strings.ReplaceAll(p, "${catalina.home}", home)
	}
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	if rest, ok := strings.CutPrefix(path.Clean(p), "conf/"); ok {
		return path.Join(b.conf, rest)
	}
	return path.Join(b.base, p)
}

// checkTomcatUsers compares the stored password of each user with a
// role of tomcatRoles with the candidates, as the realm's credential
// handler would: the user's name, the defaults, the settings' words and
// the dictionary, at most max_attempts each. Nothing is sent to Tomcat.
func (r *run) checkTomcatUsers(ctx context.Context, b *tomcatBase, db tomcatDB) ([]finding, error) {
	data, err := b.files.ReadFile(db.file)
	if err != nil {
		if isNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	users, err := tomcatusers.ParseUsers(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", db.file, err)
	}
	handlers := db.handlers
	if len(handlers) == 0 {
		handlers = []*tomcatusers.Handler{nil}
	}
	// Key derivation with many iterations (SecretKeyCredentialHandler:
	// 20,000 by default, 13 ms a candidate here) makes a large file
	// costly: past the budget the check ends without a conclusion.
	deadline := time.Now().Add(tomcatFileBudget)
	var out []finding
	for _, u := range users {
		if !u.HasPassword || !u.HasRole(tomcatRoles...) {
			continue
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("%s: comparing the stored passwords took more than %s", db.file, tomcatFileBudget)
		}
		tries := r.candidates(r.s.MaxAttempts, []candidate{{"", ""}}, fromWords(SourceDefault, tomcatPairs[u.Name]...),
			fromWords(SourceAccount, u.Name), fromWords(SourceDefault, tomcatDefaults...))
		for _, c := range tries {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			ok, h, err := tomcatMatch(handlers, c.word, u.Password)
			if err != nil {
				r.errorf("Tomcat: stored credential not compared", "file", db.file, "user", u.Name, "error", err)
				break
			}
			if !ok {
				continue
			}
			f := finding{target: ProductTomcat, file: db.file, account: u.Name}
			f.onInstance(b.in)
			f.typ = c.typeOf()
			f.setPassword(c)
			f.key = fmt.Sprintf("%s:%s:%s:%s", ProductTomcat, db.file, u.Name, f.typ)
			f.severity = SeverityHigh
			what := map[string]string{
				TypeEmptyPassword:      "an empty password",
				TypeDefaultPassword:    "a well-known default password",
				TypeDictionaryPassword: "a dictionary password",
			}[f.typ]
			if c.source == SourceAccount {
				what = "its own name as password"
			}
			f.reason = fmt.Sprintf("Tomcat user %q has the role %s and %s", u.Name, privileged(u.Roles), what)
			f.evidence = fmt.Sprintf("%s:%d: <user username=%q roles=%q>; password stored as %s",
				db.file, u.Line, u.Name, strings.Join(u.Roles, ","), h.Describe())
			out = append(out, f)
			break
		}
	}
	return out, nil
}

// tomcatMatch reports whether pw matches the stored credential under any
// of the handlers, and which one.
func tomcatMatch(handlers []*tomcatusers.Handler, pw, stored string) (bool, *tomcatusers.Handler, error) {
	var errs []error
	for _, h := range handlers {
		ok, err := tomcatusers.Matches(h, pw, stored)
		if ok {
			return true, h, nil
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) == len(handlers) {
		return false, nil, errors.Join(errs...)
	}
	return false, nil, nil
}

// privileged names the first of a user's roles that is a privileged
// one.
func privileged(roles []string) string {
	for _, want := range tomcatRoles {
		for _, r := range roles {
			if r == want {
				return r
			}
		}
	}
	return ""
}
