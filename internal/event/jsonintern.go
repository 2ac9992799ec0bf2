package event

// internedNames are the keys and values that occur in most events: ECS
// field names at every level and the short values of enumerations
// (event.kind, event.category, event.type, network.transport ...).
// DecodeJSON returns these shared strings instead of copies.
var internedNames = []string{
	// Top level.
	"@timestamp", "message", "tags", "labels", "event", "agent", "host", "process", "user", "group",
	"source", "destination", "network", "file", "dns", "url", "http", "service", "container", "cloud",
	"orchestrator", "os", "ecs", "error", "log", "related", "rule", "threat", "vigil", "observer",
	"server", "client", "package", "registry", "interface", "route", "tls", "vulnerability",
	// Common to many objects.
	"id", "name", "type", "version", "kind", "category", "action", "dataset", "module", "provider",
	"created", "ingested", "outcome", "reason", "severity", "duration", "start", "end", "sequence",
	"original", "code", "hash", "md5", "sha1", "sha256", "sha512", "path", "address", "domain",
	"ip", "port", "mac", "bytes", "packets", "nat", "hostname", "architecture", "family", "platform",
	"kernel", "full", "target", "previous", "changes", "state", "count", "value", "key", "method",
	"mode", "size", "owner", "uid", "gid", "data", "class", "ttl",
	// process.
	"pid", "ppid", "entity_id", "executable", "args", "args_count", "command_line",
	"working_directory", "exit_code", "real_user", "real_group", "effective", "saved_user",
	"saved_group", "supplemental_groups", "tty", "parent", "ancestry", "title", "thread",
	"session_leader", "group_leader", "interactive", "env_vars", "pe", "elf", "code_signature",
	// user.
	"full_name", "roles",
	// network.
	"transport", "protocol", "direction", "iana_number", "community_id", "application",
	// dns.
	"question", "answers", "resolved_ip", "response_code", "header_flags", "op_code",
	// file.
	"directory", "extension", "mtime", "ctime", "atime", "inode", "device", "target_path",
	"mime_type", "attributes", "drive_letter", "fork_name",
	// Vigil's own fields.
	"fim", "mechanism", "mechanism_reason", "marks", "replaced", "offline", "diff", "capabilities",
	"capabilities_permitted", "capabilities_rootid", "auth", "session_id", "fingerprint",
	"invalid_user", "flow", "connections", "owner_source", "netcfg", "persistence", "selfguard",
	"audit", "exec", "ebpf", "sudo", "tcp", "udp",

	// event.kind.
	"alert", "asset", "enrichment", "metric", "pipeline_error", "signal",
	// event.category.
	"api", "authentication", "configuration", "database", "driver", "email", "iam",
	"intrusion_detection", "library", "malware", "session", "web",
	// event.type.
	"access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "info",
	"installation",
	// event.outcome.
	"success", "failure", "unknown",
	// network.
	"ipv4", "ipv6", "icmp", "ingress", "egress", "inbound", "outbound", "internal", "external",
	// Datasets and their values.
	"exec/ebpf", "exec/proccon", "exec/audit", "net/ebpf", "authlog", "syslog", "sshd", "fanotify",
	"inotify", "content", "password", "publickey", "query", "A", "AAAA", "IN",
	// Process actions and common values.
	"exit", "fork", "root", "0", "/", "", "dir", "symlink", "true", "false",
}

// internedString is an interned name and the same name as a value.
type internedString struct {
	s string
	v any
}

// internTable holds the interned names by internHash, open addressing:
// a name is at its hash's slot or in the first free one after it. It is
// at most a quarter full, and static: no input makes a lookup longer
// than the longest run of taken slots.
var internTable = func() []internedString {
	size := 1
	for size < 4*len(internedNames) {
		size *= 2
	}
	table := make([]internedString, size)
	for _, s := range internedNames {
		i := internHash(s) & uint32(size-1)
		for table[i].v != nil && table[i].s != s {
			i = (i + 1) & uint32(size-1)
		}
		table[i] = internedString{s, s}
	}
	return table
}()

// maxInternedLen is the length of the longest interned name.
var maxInternedLen = func() int {
	n := 0
	for _, s := range internedNames {
		n = max(n, len(s))
	}
	return n
}()

// internHash mixes the length and three bytes of b: enough to spread the
// interned names, and cheaper than hashing every byte.
func internHash[T string | []byte](b T) uint32 {
	n := len(b)
	if n == 0 {
		return 0
	}
	h := uint32(n)*0x9e3779b1 ^ uint32(b[0])*0x85ebca6b ^ uint32(b[n-1])*0xc2b2ae35 ^ uint32(b[n/2])*0x27d4eb2f
	return h ^ h>>15
}

// interned returns raw as a value when it is an interned name.
func interned(raw []byte) (any, bool) {
	if len(raw) > maxInternedLen {
		return nil, false
	}
	mask := uint32(len(internTable) - 1)
	for i := internHash(raw) & mask; internTable[i].v != nil; i = (i + 1) & mask {
		if internTable[i].s == string(raw) {
			return internTable[i].v, true
		}
	}
	return nil, false
}
