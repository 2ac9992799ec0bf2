package engine

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

// Condition is one field of a Vigil event and the value it must have
// (compared case-insensitively).
type Condition struct {
	Field string
	Value string
}

// ValueMapping translates one value of a Sigma field into conditions on
// Vigil's events (all must hold).
type ValueMapping struct {
	Sigma      string
	Conditions []Condition
}

// FieldMapping maps one Sigma field name onto Vigil's events.
type FieldMapping struct {
	// Sigma is the field name in Sigma rules; "a<N>" stands for a0, a1 ...
	Sigma string
	// ECS is the Vigil (ECS) field it becomes; "process.args[N]" is the
	// Nth argument. Empty when the values are translated (Values) or when
	// the field cannot be evaluated (Reason).
	ECS string
	// Logsources are the mapped log sources (LogsourceMapping.Name) whose
	// events have the field; empty means every one but auditd.
	Logsources []string
	// Values translate the Sigma values into conditions on other fields,
	// for fields Vigil's events express differently (Initiated: true is
	// network.direction: egress). Other values cannot be evaluated.
	Values []ValueMapping
	// Reason, when set, says why the field cannot be evaluated: a rule
	// using it is not loaded.
	Reason string
	// Unmatched, for fields with Values, says what the other values
	// stand for that Vigil's events do not record.
	Unmatched string
	// Note explains the mapping.
	Note string
	// kind is the event kind an auditd field implies.
	kind auditKind
}

// auditKind says which of Vigil's events an auditd record or field
// corresponds to.
type auditKind uint8

const (
	auditNone auditKind = iota
	auditExec
	auditFile
)

// Log source names used in FieldMapping.Logsources.
const (
	lsProcessCreation    = "process_creation"
	lsProcessTermination = "process_termination"
	lsFileEvent          = "file_event"
	lsFileCreate         = "file_create"
	lsFileChange         = "file_change"
	lsFileDelete         = "file_delete"
	lsFileRename         = "file_rename"
	lsNetworkConnection  = "network_connection"
	lsDNSQuery           = "dns_query"
	lsDriverLoad         = "driver_load"
	lsAuditd             = "auditd"
	// lsLinux is product linux alone: every event, so every field but
	// auditd's.
	lsLinux = "linux"
)

// actorLogsources are the log sources whose events name the process that
// acted.
var actorLogsources = []string{lsProcessCreation, lsProcessTermination, lsFileEvent, lsFileCreate, lsFileChange,
	lsFileDelete, lsFileRename, lsNetworkConnection, lsDNSQuery, lsDriverLoad}

var fileLogsources = []string{lsFileEvent, lsFileCreate, lsFileChange, lsFileDelete, lsFileRename}

var (
	execConds = []Condition{{Field: "event.category", Value: "process"}, {Field: "event.action", Value: "exec"}}
	fileConds = []Condition{{Field: "event.category", Value: "file"}}
)

// fieldTable is the one table from Sigma field names to Vigil's fields,
// in the order the documentation lists it.
var fieldTable = []FieldMapping{
	// The process that acted, in process, file, network, DNS and kernel
	// module events.
	{Sigma: "Image", ECS: "process.executable", Logsources: actorLogsources},
	{Sigma: "CommandLine", ECS: "process.command_line", Logsources: actorLogsources},
	{Sigma: "ProcessName", ECS: "process.executable", Logsources: actorLogsources, Note: "the executable's full path, as Windows event logs and the Linux rules that name it mean it"},
	{Sigma: "ProcessArgs", ECS: "process.args", Logsources: actorLogsources, Note: "the arguments, each a value of the list"},
	{Sigma: "CurrentDirectory", ECS: "process.working_directory", Logsources: actorLogsources},
	{Sigma: "ProcessId", ECS: "process.pid", Logsources: actorLogsources},
	{Sigma: "ProcessGuid", ECS: "process.entity_id", Logsources: actorLogsources, Note: "Vigil's stable process id (host, pid and start time)"},
	{Sigma: "ParentImage", ECS: "process.parent.executable", Logsources: actorLogsources},
	{Sigma: "ParentCommandLine", ECS: "process.parent.command_line", Logsources: actorLogsources},
	{Sigma: "ParentProcessId", ECS: "process.parent.pid", Logsources: actorLogsources},
	{Sigma: "ParentProcessGuid", ECS: "process.parent.entity_id", Logsources: actorLogsources},
	{Sigma: "User", ECS: "user.name", Note: "the effective user"},
	{Sigma: "LogonId", Reason: "a Windows logon session number; Sysmon for Linux fills it from the user id and the terminal, which Vigil's events carry apart (process.real_user.id, process.tty.name)"},
	{Sigma: "ParentUser", ECS: "process.parent.user.name", Logsources: actorLogsources, Note: "the parent's effective user, as the process table knew it when the event was made"},
	{Sigma: "IntegrityLevel", Reason: "a Windows integrity level, which Linux does not have"},
	{Sigma: "TerminalSessionId", ECS: "vigil.process.audit_session", Logsources: actorLogsources, Note: "the audit session id, as Sysmon for Linux fills it"},
	{Sigma: "OriginalFileName", Reason: "read from Windows PE resources, which Linux executables do not have"},
	{Sigma: "Product", Reason: "read from Windows PE resources, which Linux executables do not have"},
	{Sigma: "Company", Reason: "read from Windows PE resources, which Linux executables do not have"},
	{Sigma: "Description", Reason: "read from Windows PE resources, which Linux executables do not have"},
	{Sigma: "FileVersion", Reason: "read from Windows PE resources, which Linux executables do not have"},
	{Sigma: "Hashes", Reason: "a Windows list of several digests; use process.hash.sha256 or file.hash.sha256"},

	// Files.
	{Sigma: "TargetFilename", ECS: "file.path", Logsources: fileLogsources},
	{Sigma: "SourceFilename", ECS: "vigil.file.previous.path", Logsources: []string{lsFileRename}, Note: "the path before the rename"},
	{Sigma: "CreationUtcTime", Reason: "Vigil's file events carry file.mtime, not the creation time"},
	{Sigma: "PreviousCreationUtcTime", Reason: "Vigil's file events carry file.mtime, not the creation time"},

	// Network connections.
	{Sigma: "DestinationIp", ECS: "destination.ip", Logsources: []string{lsNetworkConnection}},
	{Sigma: "DestinationPort", ECS: "destination.port", Logsources: []string{lsNetworkConnection}},
	{Sigma: "DestinationHostname", ECS: "destination.domain", Logsources: []string{lsNetworkConnection}},
	{Sigma: "SourceIp", ECS: "source.ip", Logsources: []string{lsNetworkConnection}},
	{Sigma: "SourcePort", ECS: "source.port", Logsources: []string{lsNetworkConnection}},
	{Sigma: "SourceHostname", ECS: "source.domain", Logsources: []string{lsNetworkConnection}},
	{Sigma: "Protocol", ECS: "network.transport", Logsources: []string{lsNetworkConnection}, Note: "tcp or udp"},
	{Sigma: "Initiated", Logsources: []string{lsNetworkConnection}, Note: "whether the host's process connected out",
		Values: []ValueMapping{
			{Sigma: "true", Conditions: []Condition{{Field: "network.direction", Value: "egress"}}},
			{Sigma: "false", Conditions: []Condition{{Field: "network.direction", Value: "ingress"}}},
		}},
	{Sigma: "DestinationIsIpv6", Logsources: []string{lsNetworkConnection},
		Values: []ValueMapping{
			{Sigma: "true", Conditions: []Condition{{Field: "network.type", Value: "ipv6"}}},
			{Sigma: "false", Conditions: []Condition{{Field: "network.type", Value: "ipv4"}}},
		}},
	{Sigma: "SourceIsIpv6", Logsources: []string{lsNetworkConnection},
		Values: []ValueMapping{
			{Sigma: "true", Conditions: []Condition{{Field: "network.type", Value: "ipv6"}}},
			{Sigma: "false", Conditions: []Condition{{Field: "network.type", Value: "ipv4"}}},
		}},
	{Sigma: "DestinationPortName", Reason: "Vigil's events carry port numbers, not service names"},
	{Sigma: "SourcePortName", Reason: "Vigil's events carry port numbers, not service names"},

	// DNS.
	{Sigma: "QueryName", ECS: "dns.question.name", Logsources: []string{lsDNSQuery}},
	{Sigma: "QueryResults", ECS: "dns.resolved_ip", Logsources: []string{lsDNSQuery}, Note: "the addresses of the answer: the rule matches dns-answer events"},
	{Sigma: "QueryStatus", Reason: "a Windows status code; Vigil has dns.response_code (NOERROR, NXDOMAIN ...)"},

	// Kernel modules.
	{Sigma: "ImageLoaded", ECS: "vigil.kmod.path", Logsources: []string{lsDriverLoad}},
	{Sigma: "Signed", ECS: "vigil.kmod.signed", Logsources: []string{lsDriverLoad}},

	// auditd records, mapped onto Vigil's process (exec) and file events.
	{Sigma: "type", Logsources: []string{lsAuditd}, Note: "the audit record type",
		Unmatched: "Vigil's events stand for program executions and file changes, not for other audit records",
		Values: []ValueMapping{
			{Sigma: "EXECVE", Conditions: execConds},
			{Sigma: "SYSCALL", Conditions: execConds},
			{Sigma: "CWD", Conditions: execConds},
			{Sigma: "PATH", Conditions: fileConds},
		}},
	{Sigma: "syscall", Logsources: []string{lsAuditd}, Note: "only program executions have a counterpart",
		Unmatched: "Vigil records program executions, not other system calls",
		Values: []ValueMapping{
			{Sigma: "execve", Conditions: execConds},
			{Sigma: "execveat", Conditions: execConds},
			{Sigma: "59", Conditions: execConds},
			{Sigma: "322", Conditions: execConds},
		}},
	{Sigma: "a<N>", ECS: "process.args[N]", Logsources: []string{lsAuditd}, kind: auditExec, Note: "argument N of EXECVE"},
	{Sigma: "argc", ECS: "process.args_count", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "exe", ECS: "process.executable", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "comm", ECS: "process.name", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "cwd", ECS: "process.working_directory", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "cmdline", ECS: "process.command_line", Logsources: []string{lsAuditd}, kind: auditExec, Note: "the command line, as audit log parsers that join EXECVE's arguments name it"},
	{Sigma: "pid", ECS: "process.pid", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "ppid", ECS: "process.parent.pid", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "uid", ECS: "process.real_user.id", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "euid", ECS: "process.user.id", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "gid", ECS: "process.real_group.id", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "egid", ECS: "process.group.id", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "auid", ECS: "user.audit.id", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "ses", ECS: "vigil.process.audit_session", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "tty", ECS: "process.tty.name", Logsources: []string{lsAuditd}, kind: auditExec},
	{Sigma: "name", ECS: "file.path", Logsources: []string{lsAuditd}, kind: auditFile, Note: "PATH records: Vigil sees changes of files, not reads"},
	{Sigma: "nametype", Logsources: []string{lsAuditd},
		Values: []ValueMapping{
			{Sigma: "CREATE", Conditions: []Condition{{Field: "event.category", Value: "file"}, {Field: "event.action", Value: "file-created"}}},
			{Sigma: "DELETE", Conditions: []Condition{{Field: "event.category", Value: "file"}, {Field: "event.action", Value: "file-deleted"}}},
		}},
	{Sigma: "key", Logsources: []string{lsAuditd}, Reason: "audit rule keys name rules of the host's audit configuration; Vigil does not read auditd's log"},
	{Sigma: "proctitle", Logsources: []string{lsAuditd}, Reason: "the hex-encoded title of the audit record; use a<N> or process.command_line"},
}

// FieldMappings returns the table from Sigma field names to Vigil's
// fields, in a stable order (the documentation's).
func FieldMappings() []FieldMapping {
	out := make([]FieldMapping, len(fieldTable))
	copy(out, fieldTable)
	return out
}

var argField = regexp.MustCompile(`^a([0-9]{1,3})$`)

// ecsTopLevel are ECS fields without a dot that rules may name.
var ecsTopLevel = map[string]bool{"message": true, "@timestamp": true, "tags": true, "labels": true}

// target is what a Sigma field becomes on Vigil's events.
type target struct {
	// path and index name the field (index -1: the whole value).
	path  string
	index int
	// values translate the rule's values instead (path is unused).
	values []ValueMapping
	// sigma is the field name as the rule wrote it; mapping the entry.
	sigma   string
	mapping *FieldMapping
	kind    auditKind
}

// resolveField maps a field of a rule of log source ls onto Vigil's
// events.
func resolveField(name string, ls *LogsourceMapping) (target, error) {
	auditd := ls.Name == lsAuditd
	if auditd {
		if m := argField.FindStringSubmatch(name); m != nil {
			n, _ := strconv.Atoi(m[1])
			fm := lookupField("a<N>")
			return target{path: "process.args", index: n, sigma: name, mapping: fm, kind: auditExec}, nil
		}
	}
	if fm := lookupField(name); fm != nil && (auditd == (len(fm.Logsources) == 1 && fm.Logsources[0] == lsAuditd)) {
		if fm.Reason != "" {
			return target{}, fmt.Errorf("field %s cannot be evaluated: %s", name, fm.Reason)
		}
		if len(fm.Logsources) > 0 && !contains(fm.Logsources, ls.Name) && ls.Name != lsLinux {
			return target{}, fmt.Errorf("field %s has no mapping for %s: its events do not carry it (it is mapped for %s)", name, ls.Label(), strings.Join(fm.Logsources, ", "))
		}
		t := target{path: fm.ECS, index: -1, values: fm.Values, sigma: name, mapping: fm, kind: fm.kind}
		return t, nil
	}
	if strings.Contains(name, ".") || ecsTopLevel[name] {
		return target{path: name, index: -1, sigma: name}, nil
	}
	if auditd {
		return target{}, fmt.Errorf("field %s has no mapping for %s: it is not a field of the EXECVE, SYSCALL, CWD or PATH records Vigil's events stand for", name, ls.Label())
	}
	return target{}, fmt.Errorf("field %s has no mapping for %s: it is neither a Sigma field of the mapping table nor an ECS name (a name with a dot)", name, ls.Label())
}

// lookupField finds a table entry by Sigma name: exactly, else ignoring
// case.
func lookupField(name string) *FieldMapping {
	for i := range fieldTable {
		if fieldTable[i].Sigma == name {
			return &fieldTable[i]
		}
	}
	for i := range fieldTable {
		if strings.EqualFold(fieldTable[i].Sigma, name) {
			return &fieldTable[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// EventField returns the event field that a rule of log source ls reads
// when it names field: an ECS name as it is, a Sigma name through the
// table (FieldMappings) for that log source. ok is false when the name
// stands for no single field of ls's events: a log source Vigil does not
// map, a name the table does not map there, values translated into other
// fields (Initiated), an element of a list (auditd's a<N>), a field that
// cannot be evaluated. Correlation rules use it to read their group-by
// fields in the events of each referenced rule.
func EventField(ls sigma.Logsource, field string) (path string, ok bool) {
	m, err := resolveLogsource(ls)
	if err != nil {
		return "", false
	}
	t, err := resolveField(field, m)
	if err != nil || t.values != nil || t.index >= 0 || t.path == "" {
		return "", false
	}
	return t.path, true
}
