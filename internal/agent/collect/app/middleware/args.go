package middleware

import (
	"path"
	"strings"
)

// NormalizeArgs returns a process's arguments as /proc shows them without
// the empty arguments a rewritten process title leaves at the end, and
// with a title rewritten into one argument ("nginx: master process
// /usr/sbin/nginx -c /etc/nginx/nginx.conf", "/usr/bin/redis-server
// 127.0.0.1:6379") split back into words.
func NormalizeArgs(args []string) []string {
	n := len(args)
	for n > 0 && args[n-1] == "" {
		n--
	}
	args = args[:n]
	if n == 1 && strings.ContainsAny(args[0], " \t") {
		return strings.Fields(args[0])
	}
	return args
}

// OptionValue returns the value of the last of the options names in args:
// "-c FILE", "--config FILE" or "--config=FILE". An option of one dash
// and one letter also takes an attached value ("-cFILE") when attached is
// true. Scanning stops at "--".
func OptionValue(args []string, attached bool, names ...string) (string, bool) {
	var val string
	found := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, name := range names {
			switch {
			case a == name:
				if i+1 < len(args) {
					val, found = args[i+1], true
					i++
				}
			case strings.HasPrefix(a, name+"="):
				val, found = a[len(name)+1:], true
			case attached && len(name) == 2 && name[0] == '-' && name[1] != '-' &&
				len(a) > 2 && strings.HasPrefix(a, name):
				val, found = a[2:], true
			default:
				continue
			}
			break
		}
	}
	return val, found
}

// OptionValues returns the values of every occurrence of option name in
// args ("-c a=b -c x=y"), in order.
func OptionValues(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--":
			return out
		case a == name && i+1 < len(args):
			out = append(out, args[i+1])
			i++
		case strings.HasPrefix(a, name+"="):
			out = append(out, a[len(name)+1:])
		}
	}
	return out
}

// JavaCommand is what a java command line says.
type JavaCommand struct {
	// Props are the system properties set with -Dname=value, in the JVM
	// options and in the program's arguments (launchers such as
	// jboss-modules take them there too). The last setting wins.
	Props map[string]string
	// ClassPath is the class path (-cp, -classpath, --class-path).
	ClassPath []string
	// Jar is the archive of "-jar FILE".
	Jar string
	// Main is the main class, or "module/class" of -m.
	Main string
	// Args are the program's arguments.
	Args []string
}

// javaValueOptions are the JVM options whose value is the next argument.
var javaValueOptions = map[string]bool{
	"-cp": true, "-classpath": true, "--class-path": true,
	"-p": true, "--module-path": true, "--upgrade-module-path": true,
	"--add-modules": true, "--limit-modules": true, "--add-exports": true,
	"--add-opens": true, "--add-reads": true, "--patch-module": true,
	"--enable-native-access": true, "--source": true,
}

// ParseJava parses the arguments of a java process (args[0] is the
// launcher).
func ParseJava(args []string) JavaCommand {
	jc := JavaCommand{Props: map[string]string{}}
	i := 1
	for ; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-jar":
			if i+1 < len(args) {
				jc.Jar = args[i+1]
				i += 2
			} else {
				i++
			}
			jc.Args = args[min(i, len(args)):]
			jc.collectProps()
			return jc
		case a == "-m" || a == "--module":
			if i+1 < len(args) {
				jc.Main = args[i+1]
				i += 2
			} else {
				i++
			}
			jc.Args = args[min(i, len(args)):]
			jc.collectProps()
			return jc
		case strings.HasPrefix(a, "--module="):
			jc.Main = a[len("--module="):]
			jc.Args = args[i+1:]
			jc.collectProps()
			return jc
		case strings.HasPrefix(a, "-D"):
			setProp(jc.Props, a[2:])
		case a == "-cp" || a == "-classpath" || a == "--class-path":
			if i+1 < len(args) {
				jc.ClassPath = splitClassPath(args[i+1])
			}
			i++
		case strings.HasPrefix(a, "--class-path="):
			jc.ClassPath = splitClassPath(a[len("--class-path="):])
		case javaValueOptions[a]:
			i++
		case strings.HasPrefix(a, "-"), strings.HasPrefix(a, "@"):
			// Another option (-Xmx1g, --add-opens=..., -javaagent:...), or
			// an argument file the agent does not read.
		default:
			jc.Main = a
			jc.Args = args[i+1:]
			jc.collectProps()
			return jc
		}
	}
	return jc
}

// collectProps adds the -D properties among the program's arguments.
func (jc *JavaCommand) collectProps() {
	for _, a := range jc.Args {
		if strings.HasPrefix(a, "-D") {
			setProp(jc.Props, a[2:])
		}
	}
}

func setProp(props map[string]string, def string) {
	k, v, _ := strings.Cut(def, "=")
	if k != "" {
		props[k] = v
	}
}

func splitClassPath(cp string) []string {
	var out []string
	for _, e := range strings.Split(cp, ":") {
		if e != "" {
			out = append(out, e)
		}
	}
	return out
}

// MainClass returns the class of Main ("org.elasticsearch.bootstrap.Elasticsearch"
// of "org.elasticsearch.server/org.elasticsearch.bootstrap.Elasticsearch").
func (jc *JavaCommand) MainClass() string {
	if _, cls, ok := strings.Cut(jc.Main, "/"); ok {
		return cls
	}
	return jc.Main
}

// FirstArg returns the first program argument that is not an option.
func (jc *JavaCommand) FirstArg() string {
	for _, a := range jc.Args {
		if !strings.HasPrefix(a, "-") {
			return a
		}
	}
	return ""
}

// ClassPathJar returns the first class path entry whose file name
// matches the prefix and ends in ".jar", with its directory.
func (jc *JavaCommand) ClassPathJar(prefix string) (string, bool) {
	for _, e := range jc.ClassPath {
		base := path.Base(e)
		if strings.HasPrefix(base, prefix) && strings.HasSuffix(base, ".jar") {
			return e, true
		}
	}
	return "", false
}
