package policy

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// SplitCommand splits a command line into words without a shell:
// blanks separate words, 'single' and "double" quotes group them (no
// expansion; a backslash escapes " and \ inside double quotes).
func SplitCommand(run string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(run); i++ {
		c := run[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(run[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("a ' quote is not closed")
			}
			cur.WriteString(run[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(run) && run[i] != '"'; i++ {
				if run[i] == '\\' && i+1 < len(run) && (run[i+1] == '"' || run[i+1] == '\\') {
					i++
				}
				cur.WriteByte(run[i])
			}
			if i >= len(run) {
				return nil, errors.New(`a " quote is not closed`)
			}
			inWord = true
		case c < ' ' || c == 0x7f:
			return nil, fmt.Errorf("control character %#x in the command", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, errors.New("the command is empty")
	}
	return words, nil
}

// argument classes of the allow-list.
var (
	unitName   = regexp.MustCompile(`^[A-Za-z0-9@._:\\-]+$`)
	propName   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9,]*$`)
	moduleName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	matchSpec  = regexp.MustCompile(`^[a-z]+=[^,\s]+(,[a-z]+=[^,\s]+)*$`)
	plainWord  = regexp.MustCompile(`^[A-Za-z0-9@%{}$:=/._+,~^*\[\]\\ -]+$`)
)

// allowedCommand is one pattern of the allow-list: fixed leading words,
// then fixed arguments with argument classes, or any further arguments
// that pass rest.
type allowedCommand struct {
	words []string          // fixed words; "<unit>" and the like are argument classes
	rest  func(string) bool // nil: no further argument
	deny  []string          // arguments never allowed after the fixed words
}

func exact(words ...string) allowedCommand { return allowedCommand{words: words} }

// safeArg is an argument of a "..." pattern: no option that could run
// a program or write; plain characters only.
func safeArg(a string) bool { return plainWord.MatchString(a) }

// nonOption is an argument that is not an option.
func nonOption(a string) bool { return !strings.HasPrefix(a, "-") && safeArg(a) }

var argClasses = map[string]*regexp.Regexp{
	"<unit>":   unitName,
	"<prop>":   propName,
	"<module>": moduleName,
	"<spec>":   matchSpec,
}

// rpmDenied are rpm options that run programs, change the database or
// read other configuration.
var rpmDenied = []string{"--pipe", "--eval", "-E", "--define", "-D", "--macros", "--rcfile", "--load",
	"--predefine", "--setperms", "--setugids", "--setcaps", "--restore", "--rebuilddb", "--initdb",
	"--import", "--delsign", "--addsign", "--resign", "--erase", "-e", "--install", "-U", "--upgrade",
	"--freshen", "-F", "--reinstall", "--scripts", "--triggers", "--triggerscripts"}

// Allowed lists the commands a policy may run (docs/policies.md).
var allowed = []allowedCommand{
	exact("sshd", "-T"),
	exact("sshd", "-T", "-C", "<spec>"),
	exact("systemctl", "is-enabled", "<unit>"),
	exact("systemctl", "is-active", "<unit>"),
	exact("systemctl", "show", "<unit>", "-p", "<prop>"),
	exact("auditctl", "-l"),
	exact("auditctl", "-s"),
	exact("nft", "list", "ruleset"),
	exact("iptables", "-S"),
	exact("iptables", "-L", "-n"),
	exact("ip6tables", "-S"),
	exact("ip6tables", "-L", "-n"),
	exact("ufw", "status"),
	exact("ufw", "status", "verbose"),
	exact("firewall-cmd", "--state"),
	exact("sestatus"),
	exact("aa-status"),
	exact("getenforce"),
	exact("mount"),
	{words: []string{"findmnt"}, rest: safeArg, deny: []string{"-p", "--poll", "-w", "--timeout"}},
	exact("modprobe", "-n", "-v", "<module>"),
	exact("lsmod"),
	{words: []string{"dpkg-query", "-W"}, rest: safeArg},
	{words: []string{"rpm", "-q"}, rest: func(a string) bool {
		return safeArg(a) && !strings.Contains(a, "%(") && !strings.Contains(a, "%{lua")
	}, deny: rpmDenied},
	{words: []string{"apt-cache", "policy"}, rest: nonOption},
	exact("timedatectl"),
	exact("chronyc", "sources"),
	exact("grub-editenv", "list"),
	{words: []string{"stat"}, rest: safeArg},
	{words: []string{"id"}, rest: safeArg},
	{words: []string{"getent"}, rest: nonOption},
}

// AllowedCommands lists the allowed command patterns, as docs/policies.md shows them.
func AllowedCommands() []string {
	out := make([]string, len(allowed))
	for i, a := range allowed {
		out[i] = strings.Join(a.words, " ")
		if a.rest != nil {
			out[i] += " ..."
		}
	}
	return out
}

// CheckCommand returns nil when argv is on the allow-list, else why not.
func CheckCommand(argv []string) error {
	if len(argv) == 0 {
		return errors.New("the command is empty")
	}
	for _, a := range allowed {
		if a.match(argv) {
			return nil
		}
	}
	return fmt.Errorf("command %q is not allowed (the allowed commands are listed in docs/policies.md)", strings.Join(argv, " "))
}

func (a allowedCommand) match(argv []string) bool {
	if len(argv) < len(a.words) || (a.rest == nil && len(argv) != len(a.words)) {
		return false
	}
	for i, w := range a.words {
		if re, ok := argClasses[w]; ok {
			if !re.MatchString(argv[i]) || strings.HasPrefix(argv[i], "-") {
				return false
			}
			continue
		}
		if argv[i] != w {
			return false
		}
	}
	for _, arg := range argv[len(a.words):] {
		if !a.rest(arg) {
			return false
		}
		name, _, _ := strings.Cut(arg, "=")
		for _, d := range a.deny {
			if name == d || (len(d) == 2 && d[0] == '-' && len(arg) > 1 && arg[0] == '-' && arg[1] != '-' && strings.ContainsRune(arg[1:], rune(d[1]))) {
				return false
			}
		}
	}
	return true
}

// ParseCommand splits run and checks it against the allow-list.
func ParseCommand(run string) ([]string, error) {
	argv, err := SplitCommand(run)
	if err != nil {
		return nil, err
	}
	return argv, CheckCommand(argv)
}
