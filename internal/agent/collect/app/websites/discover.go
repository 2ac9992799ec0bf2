package websites

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/proctable/procparse"
)

// Server types (vigil.website.server).
const (
	ServerNginx      = "nginx"
	ServerApache     = "apache"
	ServerTomcat     = "tomcat"
	ServerSpringBoot = "spring-boot"
)

// instance is one web server configuration to read.
type instance struct {
	server string
	// config is the main configuration file (host path, as found);
	// resolved is the same with links resolved, the instance's
	// identity.
	config, resolved string
	// prefix is nginx's prefix, apache's ServerRoot or Tomcat's
	// catalina.base.
	prefix string
	// home is Tomcat's catalina.home.
	home string
	// defines are apache's -D names, known when the server runs; env
	// its environment for ${VAR}.
	defines      []string
	definesKnown bool
	env          map[string]string
	// args are a Spring Boot application's arguments.
	args []string
	// pid is the process the instance was found from, 0 for a default
	// path.
	pid int
}

// process is a process that may be a web server.
type process struct {
	pid  int
	args []string
}

// processes lists the host's processes that may be web servers: nginx
// masters, apache parents and java. Processes in containers are left
// out (their files are in another root).
func (c *Collector) processes(ctx context.Context, root string) ([]process, error) {
	procDir := filepath.Join(root, "proc")
	ents, err := os.ReadDir(procDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []process
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := readSmall(filepath.Join(procDir, e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		args, _ := procparse.ParseArgs(b, 4096)
		args = nginxTitle(args)
		if len(args) == 0 || !candidate(args[0]) {
			continue
		}
		if cg, err := readSmall(filepath.Join(procDir, e.Name(), "cgroup")); err == nil {
			if _, in, _ := procparse.ContainerFromCgroup(cg); in {
				c.containers.Add(1)
				continue
			}
		}
		out = append(out, process{pid: pid, args: args})
	}
	return out, nil
}

// nginxTitle turns the title nginx gives its master ("nginx: master
// process /usr/sbin/nginx -c /etc/nginx/nginx.conf") back into
// arguments; workers and other titles give none.
func nginxTitle(args []string) []string {
	if len(args) == 0 || !strings.HasPrefix(args[0], "nginx: ") {
		return args
	}
	title := strings.Join(slices.DeleteFunc(slices.Clone(args), func(s string) bool { return s == "" }), " ")
	rest, ok := strings.CutPrefix(title, "nginx: master process ")
	if !ok {
		return nil
	}
	return strings.Fields(rest)
}

// candidate reports whether argv0 may be a web server.
func candidate(argv0 string) bool {
	switch path.Base(argv0) {
	case "nginx", "openresty", "apache2", "httpd", "java":
		return true
	}
	return false
}

// option returns the value of a command-line option given as "-c
// value" or "-cvalue".
func option(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name); ok && v != "" && len(name) == 2 {
			return v
		}
	}
	return ""
}

// options returns every value of a repeated option ("-D X" or "-DX").
func options(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == name && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		} else if v, ok := strings.CutPrefix(a, name); ok && v != "" {
			out = append(out, v)
		}
	}
	return out
}

// javaProp returns the value of -Dname=value.
func javaProp(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "-D"+name+"="); ok {
			return v
		}
	}
	return ""
}

// absolute makes p absolute relative to dir.
func absolute(dir, p string) string {
	if p == "" || strings.HasPrefix(p, "/") {
		return path.Clean(p)
	}
	return path.Join(dir, p)
}

// instances finds the web server configurations: those of the running
// servers first, then those at the default paths of the packages.
func (c *Collector) instances(ctx context.Context, root string, src hostSource) ([]instance, error) {
	procs, err := c.processes(ctx, root)
	if err != nil {
		return nil, err
	}
	var out []instance
	seen := map[string]bool{}
	add := func(in instance) {
		if in.config == "" || !src.exists(in.config) {
			return
		}
		in.resolved = src.resolve(in.config)
		id := in.server + "\x00" + in.resolved
		if in.server == ServerSpringBoot {
			id += "\x00" + strings.Join(in.args, "\x00")
		}
		if seen[id] {
			return
		}
		seen[id] = true
		out = append(out, in)
	}
	for _, p := range procs {
		switch path.Base(p.args[0]) {
		case "nginx", "openresty":
			add(c.nginxProcess(root, p))
		case "apache2", "httpd":
			add(apacheProcess(root, p))
		case "java":
			if in, ok := javaProcess(root, p); ok {
				add(in)
			}
		}
	}
	for _, d := range nginxDefaults {
		add(instance{server: ServerNginx, config: d.config, prefix: d.prefix})
	}
	for _, d := range apacheDefaults {
		in := instance{server: ServerApache, config: d.config, prefix: d.prefix}
		if env := apacheEnvvars(src, d.prefix); env != nil {
			// Debian starts httpd through apache2ctl, which adds
			// APACHE_ARGUMENTS from envvars: the -D names are known.
			in.env, in.definesKnown = env, true
			in.defines = options(strings.Fields(env["APACHE_ARGUMENTS"]), "-D")
		}
		add(in)
	}
	for _, pattern := range tomcatBases {
		bases, _ := src.Glob(pattern)
		for _, b := range bases {
			add(instance{server: ServerTomcat, config: path.Join(b, "conf/server.xml"), prefix: b, home: b})
		}
	}
	return out, nil
}

// defaultPath is a packaged server's configuration and prefix.
type defaultPath struct{ config, prefix string }

var (
	nginxDefaults = []defaultPath{
		{"/etc/nginx/nginx.conf", "/usr/share/nginx/"},
		{"/usr/local/nginx/conf/nginx.conf", "/usr/local/nginx/"},
		{"/usr/local/openresty/nginx/conf/nginx.conf", "/usr/local/openresty/nginx/"},
	}
	apacheDefaults = []defaultPath{
		{"/etc/apache2/apache2.conf", "/etc/apache2"},
		{"/etc/httpd/conf/httpd.conf", "/etc/httpd"},
		{"/usr/local/apache2/conf/httpd.conf", "/usr/local/apache2"},
	}
	tomcatBases = []string{"/var/lib/tomcat*", "/usr/share/tomcat*", "/opt/tomcat*", "/opt/apache-tomcat*", "/usr/local/tomcat*"}
)

// nginxProcess finds the configuration of an nginx master: -p and -c,
// else the paths compiled into its executable (--prefix, --conf-path),
// else those its location suggests.
func (c *Collector) nginxProcess(root string, p process) instance {
	exe := p.args[0]
	prefix := option(p.args, "-p")
	conf := option(p.args, "-c")
	if prefix == "" || conf == "" {
		bp, bc := configureArgs(filepath.Join(root, "proc", strconv.Itoa(p.pid), "exe"))
		switch {
		case prefix != "":
		case bp != "":
			prefix = bp
		case strings.HasPrefix(exe, "/usr/sbin/") || strings.HasPrefix(exe, "/usr/bin/") || !strings.HasPrefix(exe, "/"):
			prefix = "/usr/share/nginx/"
		default:
			prefix = path.Dir(path.Dir(exe))
		}
		if conf == "" {
			conf = bc
		}
		if conf == "" {
			if strings.HasPrefix(prefix, "/usr/share/nginx") {
				conf = "/etc/nginx/nginx.conf"
			} else {
				conf = "conf/nginx.conf"
			}
		}
	}
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return instance{server: ServerNginx, config: absolute(prefix, conf), prefix: prefix, pid: p.pid}
}

// configureArgs reads nginx's --prefix and --conf-path from its
// executable (the configure arguments nginx -V prints are kept in it).
func configureArgs(exe string) (prefix, conf string) {
	f, err := os.Open(exe)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	r := bufio.NewReaderSize(io.LimitReader(f, 128<<20), 64<<10)
	const overlap = 4096
	buf := make([]byte, 0, 1<<20)
	chunk := make([]byte, 1<<20)
	for prefix == "" || conf == "" {
		n, err := io.ReadFull(r, chunk)
		buf = append(buf, chunk[:n]...)
		if prefix == "" {
			prefix = optionIn(buf, "--prefix=")
		}
		if conf == "" {
			conf = optionIn(buf, "--conf-path=")
		}
		if err != nil {
			break
		}
		if len(buf) > overlap {
			buf = append(buf[:0], buf[len(buf)-overlap:]...)
		}
	}
	return prefix, conf
}

// optionIn returns the absolute path after opt in b.
func optionIn(b []byte, opt string) string {
	i := bytes.Index(b, []byte(opt))
	if i < 0 {
		return ""
	}
	rest := b[i+len(opt):]
	j := bytes.IndexAny(rest, " \x00\n\t'\"")
	if j < 0 {
		return ""
	}
	v := string(rest[:j])
	if !strings.HasPrefix(v, "/") || len(v) > 1024 {
		return ""
	}
	return v
}

// apacheProcess finds the configuration of an httpd: -d and -f, the
// -D names, and Debian's APACHE_CONFDIR from its environment.
func apacheProcess(root string, p process) instance {
	env := environ(filepath.Join(root, "proc", strconv.Itoa(p.pid), "environ"))
	in := instance{server: ServerApache, pid: p.pid, env: env, definesKnown: true}
	in.defines = options(p.args[1:], "-D")
	serverRoot := option(p.args[1:], "-d")
	conf := option(p.args[1:], "-f")
	exe := p.args[0]
	debian := path.Base(exe) == "apache2"
	if serverRoot == "" {
		switch {
		case debian && env["APACHE_CONFDIR"] != "":
			serverRoot = env["APACHE_CONFDIR"]
		case debian:
			serverRoot = "/etc/apache2"
		case strings.HasPrefix(exe, "/usr/sbin/") || !strings.HasPrefix(exe, "/"):
			serverRoot = "/etc/httpd"
		default:
			serverRoot = path.Dir(path.Dir(exe))
		}
	}
	if conf == "" {
		conf = "conf/httpd.conf"
		if debian {
			conf = "apache2.conf"
		}
	}
	in.prefix = path.Clean(serverRoot)
	in.config = absolute(in.prefix, conf)
	return in
}

// environ reads /proc/PID/environ.
func environ(name string) map[string]string {
	b, err := readSmall(name)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	args, _ := procparse.ParseArgs(b, 4096)
	for _, kv := range args {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}

// javaProcess finds a Tomcat (catalina.base) or a Spring Boot
// application run with -jar.
func javaProcess(root string, p process) (instance, bool) {
	if base := javaProp(p.args, "catalina.base"); base != "" || slices.Contains(p.args, "org.apache.catalina.startup.Bootstrap") {
		home := javaProp(p.args, "catalina.home")
		if base == "" {
			base = home
		}
		if base == "" {
			return instance{}, false
		}
		conf := path.Join(base, "conf/server.xml")
		if i := slices.Index(p.args, "-config"); i >= 0 && i+1 < len(p.args) {
			conf = absolute(base, p.args[i+1])
		}
		if home == "" {
			home = base
		}
		return instance{server: ServerTomcat, config: conf, prefix: path.Clean(base), home: path.Clean(home), pid: p.pid}, true
	}
	i := slices.Index(p.args, "-jar")
	if i < 0 || i+1 >= len(p.args) {
		return instance{}, false
	}
	jar := p.args[i+1]
	if !strings.HasPrefix(jar, "/") {
		cwd, err := os.Readlink(filepath.Join(root, "proc", strconv.Itoa(p.pid), "cwd"))
		if err != nil {
			return instance{}, false
		}
		jar = path.Join(cwd, jar)
	}
	args := slices.Clone(p.args[1:i])
	args = append(args, p.args[i+2:]...)
	env := environ(filepath.Join(root, "proc", strconv.Itoa(p.pid), "environ"))
	if v := env["SERVER_PORT"]; v != "" {
		args = append(args, "--server.port="+v)
	}
	return instance{server: ServerSpringBoot, config: path.Clean(jar), args: args, pid: p.pid}, true
}

// apacheEnvvars reads Debian's envvars file (export NAME=value lines
// outside if blocks), for ${VAR} in a configuration read while httpd
// does not run.
func apacheEnvvars(src hostSource, serverRoot string) map[string]string {
	data, err := src.ReadFile(path.Join(serverRoot, "envvars"))
	if err != nil {
		return nil
	}
	return parseEnvvars(data, map[string]string{"APACHE_CONFDIR": serverRoot})
}

// parseEnvvars reads shell assignments ("export A=b", "A=$B/c") at the
// top level of a script: $NAME and ${NAME} are replaced with earlier
// assignments (unset ones are empty); lines inside if, case, while and
// for blocks are skipped.
func parseEnvvars(data []byte, env map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range env {
		out[k] = v
	}
	nest := 0
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		first, _, _ := strings.Cut(line, " ")
		switch strings.TrimSuffix(first, ";") {
		case "if", "case", "while", "for", "until":
			nest++
			continue
		case "fi", "esac", "done":
			if nest > 0 {
				nest--
			}
			continue
		}
		if nest > 0 {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t$") {
			continue
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		out[k] = shellExpand(v, out)
		if len(out) > 256 {
			break
		}
	}
	return out
}

// shellExpand replaces $NAME and ${NAME}.
func shellExpand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			sb.WriteByte(s[i])
			continue
		}
		var name string
		if s[i+1] == '{' {
			j := strings.IndexByte(s[i:], '}')
			if j < 0 {
				sb.WriteString(s[i:])
				break
			}
			name = s[i+2 : i+j]
			i += j
		} else {
			j := i + 1
			for j < len(s) && (s[j] == '_' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			name = s[i+1 : j]
			i = j - 1
		}
		sb.WriteString(env[name])
	}
	return sb.String()
}
