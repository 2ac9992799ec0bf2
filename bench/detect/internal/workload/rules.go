package workload

import (
	"fmt"
	"io/fs"
	"math/rand/v2"
	"slices"
	"strings"
	"testing/fstest"

	"github.com/vigilsec/vigil/internal/detect/ruleset"
)

// RuleFile is a generated rule file, imported as operators import theirs.
type RuleFile struct {
	Name    string
	Content []byte
}

// RuleSet is the rules of one benchmark case: shipped files loaded as
// built in, and generated files to import.
type RuleSet struct {
	Builtin   fs.FS
	Generated []RuleFile
	// PackRules and PackFiles count the shipped rules and files used.
	PackRules, PackFiles int
}

// Compose returns a rule set of n rules: the whole pack and generated
// rules for the rest when the pack has at most n rules, else the pack
// files that fit within n (AlertRuleFile first, then in name order),
// completed with generated rules.
func Compose(pack fs.FS, n int, seed uint64) (RuleSet, error) {
	var names []string
	err := fs.WalkDir(pack, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".yml") && !strings.HasSuffix(path, ruleset.TestSuffix) {
			names = append(names, path)
		}
		return nil
	})
	if err != nil {
		return RuleSet{}, fmt.Errorf("rule pack: %w", err)
	}
	if !slices.Contains(names, AlertRuleFile) {
		return RuleSet{}, fmt.Errorf("rule pack: %s is missing", AlertRuleFile)
	}
	whole, err := countRules(pack)
	if err != nil {
		return RuleSet{}, err
	}
	set := RuleSet{Builtin: pack, PackRules: whole, PackFiles: len(names)}
	if whole > n {
		subset := fstest.MapFS{}
		set.PackRules, set.PackFiles = 0, 0
		order := append([]string{AlertRuleFile}, slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == AlertRuleFile })...)
		for _, name := range order {
			data, err := fs.ReadFile(pack, name)
			if err != nil {
				return RuleSet{}, fmt.Errorf("rule pack: %w", err)
			}
			c, err := countRules(fstest.MapFS{name: {Data: data}})
			if err != nil {
				return RuleSet{}, err
			}
			if set.PackRules+c > n {
				continue
			}
			subset[name] = &fstest.MapFile{Data: data, Mode: 0o644}
			set.PackRules += c
			set.PackFiles++
		}
		set.Builtin = subset
	}
	set.Generated = Rules(seed, n-set.PackRules)
	return set, nil
}

// countRules loads the rules of fsys and counts them; a problem is an
// error.
func countRules(fsys fs.FS) (int, error) {
	rs := ruleset.Load([]ruleset.Source{{Name: "builtin", FS: fsys, Root: "."}}, ruleset.Options{})
	if len(rs.Problems) > 0 {
		return 0, fmt.Errorf("rule pack: %w", rs.Problems[0])
	}
	return rs.Loaded(), nil
}

// Rules returns n generated Sigma rules, one per file: the shapes of
// community rules (program names, command line fragments, parents,
// destinations, file paths, DNS names, log lines; with filters, regular
// expressions and CIDR networks), each looking for a rare word that the
// benign events never hold. Many pair it with a value common in those
// events, so the engine has to evaluate them often; a few have no word
// the index can use at all.
func Rules(seed uint64, n int) []RuleFile {
	g := ruleGen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	out := make([]RuleFile, 0, max(n, 0))
	for i := range max(n, 0) {
		out = append(out, RuleFile{Name: fmt.Sprintf("generated/rule_%04d.yml", i), Content: []byte(g.rule(i))})
	}
	return out
}

type ruleGen struct{ r *rand.Rand }

// token is a rare word: "qz" and five letters, which no benign event
// holds.
func (g *ruleGen) token() string {
	b := []byte("qz")
	for range 5 {
		b = append(b, byte('a'+g.r.IntN(26)))
	}
	return string(b)
}

func (g *ruleGen) uuid() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// q quotes a YAML string.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// Common values of the benign events, which generated rules pair with
// their rare words.
var (
	commonImages  = []string{"/curl", "/git", "/python3.11", "/tar", "/docker", "/systemctl", "/bash", "/dash", "/ssh", "/go", "/npm", "/runc"}
	commonParents = []string{"/bash", "/dash", "/cron", "/gitlab-runner", "/containerd-shim-runc-v2", "/systemd"}
	commonArgs    = []string{" -c ", "--format", "http://", "/tmp", " -n ", "docker", "/etc/", "--no-pager"}
	commonDaemons = []string{"/java", "/node", "/nginx", "/dockerd", "/http", "/chronyd"}
	commonUsers   = []string{"root", "deploy", "app", "gitlab-runner"}
	commonDirs    = []string{"/etc/nginx/", "/etc/ssl/", "/usr/bin/", "/etc/apt/", "/home/"}
	tactics       = []string{"execution", "persistence", "privilege-escalation", "defense-evasion", "credential-access",
		"discovery", "lateral-movement", "collection", "command-and-control", "exfiltration", "impact"}
)

// rule returns generated rule i as a YAML document.
func (g *ruleGen) rule(i int) string {
	var logsource, detection string
	switch x := g.r.IntN(100); {
	case x < 50:
		logsource, detection = "category: process_creation", g.process()
	case x < 70:
		logsource, detection = "category: network_connection", g.network()
	case x < 85:
		logsource, detection = "category: file_event", g.file()
	case x < 90:
		logsource, detection = "category: dns_query", g.dns()
	default:
		logsource, detection = "service: "+pick(g.r, []string{"sshd", "auth", "authlog"}), g.auth()
	}
	tactic := pick(g.r, tactics)
	return fmt.Sprintf(`title: Generated rule %d (%s)
id: %s
status: %s
description: A generated rule of the detection benchmark.
author: Vigil benchmark
date: 2026-12-01
tags:
  - attack.%s
  - attack.t%04d
logsource:
  product: linux
  %s
detection:
%sfalsepositives:
  - Unknown
level: %s
`, i, tactic, g.uuid(), pick(g.r, []string{"stable", "test", "experimental"}), tactic, 1000+g.r.IntN(600),
		logsource, detection, pick(g.r, []string{"low", "medium", "medium", "high", "critical"}))
}

// selections joins named selections and a condition into a detection
// block.
func selections(cond string, sel ...string) string {
	var b strings.Builder
	for _, s := range sel {
		b.WriteString(s)
	}
	b.WriteString("  condition: " + cond + "\n")
	return b.String()
}

func (g *ruleGen) process() string {
	t := g.token()
	switch g.r.IntN(11) {
	case 0:
		return selections("selection", fmt.Sprintf("  selection:\n    Image|endswith:\n      - %s\n      - %s\n", q("/"+t), q("/"+g.token())))
	case 1:
		return selections("selection", fmt.Sprintf("  selection:\n    Image|endswith: %s\n    CommandLine|contains: %s\n", q(pick(g.r, commonImages)), q(t)))
	case 2:
		return selections("selection", fmt.Sprintf("  selection:\n    CommandLine|contains|all:\n      - %s\n      - %s\n", q(pick(g.r, commonArgs)), q(t)))
	case 3:
		return selections("selection", fmt.Sprintf("  selection:\n    ParentImage|endswith: %s\n    Image|endswith: %s\n", q(pick(g.r, commonParents)), q("/"+t)))
	case 4:
		return selections("selection", fmt.Sprintf("  selection:\n    CommandLine|re: %s\n", q(t+`\s+--?[a-z]+`)))
	case 5:
		return selections("selection and not filter_main", fmt.Sprintf("  selection:\n    process.args: %s\n", q(t)),
			fmt.Sprintf("  filter_main:\n    User: %s\n", q(pick(g.r, commonUsers))))
	case 6:
		return selections("selection", fmt.Sprintf("  selection:\n    CurrentDirectory|startswith: %s\n", q("/tmp/"+t)))
	case 7:
		// No word for the index: evaluated on every process start.
		return selections("selection", fmt.Sprintf("  selection:\n    process.args_count|gte: %d\n", 100+g.r.IntN(100)))
	case 8:
		return selections("selection", fmt.Sprintf("  selection:\n    CommandLine|windash|contains: %s\n", q(" -"+t)))
	case 9:
		return selections("1 of selection_*", fmt.Sprintf("  selection_path:\n    Image|contains: %s\n", q("/."+t+"/")),
			fmt.Sprintf("  selection_parent:\n    ParentImage|endswith: %s\n    CommandLine|contains: %s\n", q(pick(g.r, commonParents)), q(g.token())))
	}
	return selections("all of selection_* and not filter_parent",
		fmt.Sprintf("  selection_image:\n    Image|endswith: %s\n", q(pick(g.r, commonImages))),
		fmt.Sprintf("  selection_args:\n    CommandLine|contains:\n      - %s\n      - %s\n", q(t), q(g.token())),
		fmt.Sprintf("  filter_parent:\n    ParentImage|endswith: %s\n", q(pick(g.r, commonParents))))
}

func (g *ruleGen) network() string {
	t := g.token()
	switch g.r.IntN(5) {
	case 0:
		return selections("selection", fmt.Sprintf("  selection:\n    DestinationPort: %d\n    Image|endswith: %s\n", 40000+g.r.IntN(25000), q(pick(g.r, commonDaemons))))
	case 1:
		// No word for the index: evaluated on every connection.
		return selections("selection", fmt.Sprintf("  selection:\n    DestinationIp|cidr: %s\n", q(fmt.Sprintf("192.0.2.%d/29", 8*g.r.IntN(32)))))
	case 2:
		return selections("selection", fmt.Sprintf("  selection:\n    DestinationHostname|endswith: %s\n", q("."+t+".example")))
	case 3:
		return selections("selection", fmt.Sprintf("  selection:\n    Image|endswith: %s\n    Initiated: 'true'\n", q("/"+t)))
	}
	return selections("selection and not filter_local", fmt.Sprintf("  selection:\n    process.name: %s\n    destination.port:\n      - 4444\n      - 1337\n", q(t)),
		"  filter_local:\n    DestinationIp|cidr: '127.0.0.0/8'\n")
}

func (g *ruleGen) file() string {
	t := g.token()
	switch g.r.IntN(5) {
	case 0:
		return selections("selection", fmt.Sprintf("  selection:\n    TargetFilename|endswith: %s\n", q("."+t)))
	case 1:
		return selections("selection", fmt.Sprintf("  selection:\n    TargetFilename|startswith: %s\n    TargetFilename|contains: %s\n", q(pick(g.r, commonDirs)), q(t)))
	case 2:
		return selections("selection", fmt.Sprintf("  selection:\n    TargetFilename|contains: %s\n", q("/."+t+"/")))
	case 3:
		return selections("selection", fmt.Sprintf("  selection:\n    file.name: %s\n", q(t+".so")))
	}
	return selections("selection", fmt.Sprintf("  selection:\n    TargetFilename|re: %s\n", q(`^/usr/s?bin/`+t+`[0-9]*$`)))
}

func (g *ruleGen) dns() string {
	t := g.token()
	if g.r.IntN(2) == 0 {
		return selections("selection", fmt.Sprintf("  selection:\n    dns.question.name|endswith:\n      - %s\n      - %s\n", q("."+t+".example"), q("."+t+".test")))
	}
	return selections("selection", fmt.Sprintf("  selection:\n    dns.question.name|contains: %s\n    process.name:\n      - java\n      - node\n", q(t)))
}

func (g *ruleGen) auth() string {
	t := g.token()
	switch g.r.IntN(4) {
	case 0:
		return selections("keywords", fmt.Sprintf("  keywords:\n    - %s\n    - %s\n", q("Failed password for "+t), q("Invalid user "+t)))
	case 1:
		return selections("selection", fmt.Sprintf("  selection:\n    event.action: logged-in\n    user.name: %s\n", q(t)))
	case 2:
		return selections("selection", fmt.Sprintf("  selection:\n    vigil.auth.method: keyboard-interactive\n    user.name|startswith: %s\n", q(t)))
	}
	// Few words for the index: evaluated on every accepted login.
	return selections("selection", fmt.Sprintf("  selection:\n    event.action: logged-in\n    source.ip|cidr: %s\n", q(fmt.Sprintf("192.0.2.%d/29", 8*g.r.IntN(32)))))
}
