package engine

import (
	"fmt"
	"strings"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

// EventSelector selects Vigil events: event.category equal to Category
// (any when empty), event.action one of Actions (any when none),
// event.dataset one of Datasets (any when none), and every condition.
type EventSelector struct {
	Category   string
	Actions    []string
	Datasets   []string
	Conditions []Condition
}

// LogsourceMapping maps one Sigma log source onto Vigil's events.
type LogsourceMapping struct {
	// Category, Product and Service are the Sigma logsource ("" when the
	// rule leaves it out; Product "linux" also matches rules without a
	// product).
	Category, Product, Service string
	// Name is the log source's name in FieldMapping.Logsources.
	Name string
	// Events select the events the rules apply to (any may match).
	Events []EventSelector
	// Keywords are the fields that keyword searches (field-less values)
	// are matched against.
	Keywords []string
	// Reason, when set, says why Vigil cannot evaluate rules of this log
	// source.
	Reason string
	// Note explains the mapping.
	Note string
}

// Label names the log source as product/category or product/service.
func (m *LogsourceMapping) Label() string {
	return logsourceLabel(m.Product, m.Category, m.Service)
}

func logsourceLabel(product, category, service string) string {
	var parts []string
	for _, p := range []string{product, category, service} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "(empty logsource)"
	}
	return strings.Join(parts, "/")
}

var (
	processKeywords = []string{"message", "process.command_line"}
	messageKeyword  = []string{"message"}
	notCollected    = "not collected by Vigil"
)

// logsourceTable maps Sigma log sources onto Vigil's events, in the
// order the documentation lists them.
var logsourceTable = []LogsourceMapping{
	{Product: "linux", Category: lsProcessCreation, Name: lsProcessCreation, Keywords: processKeywords,
		Events: []EventSelector{{Category: "process", Actions: []string{"exec"}}}},
	{Product: "linux", Category: lsProcessTermination, Name: lsProcessTermination, Keywords: processKeywords,
		Events: []EventSelector{{Category: "process", Actions: []string{"exit"}}}},
	{Product: "linux", Category: lsFileEvent, Name: lsFileEvent, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "file", Actions: []string{"file-created", "file-modified", "file-renamed"}}},
		Note:   "a file written: created, modified or renamed into place"},
	{Product: "linux", Category: lsFileCreate, Name: lsFileCreate, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "file", Actions: []string{"file-created"}}},
		Note:   "a file created (or moved in); older rules' name, outside Sigma's taxonomy, for what file_event covers"},
	{Product: "linux", Category: lsFileChange, Name: lsFileChange, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "file", Actions: []string{"file-modified", "file-attributes-changed"}}}},
	{Product: "linux", Category: lsFileDelete, Name: lsFileDelete, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "file", Actions: []string{"file-deleted"}}}},
	{Product: "linux", Category: lsFileRename, Name: lsFileRename, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "file", Actions: []string{"file-renamed"}}}},
	{Product: "linux", Category: lsNetworkConnection, Name: lsNetworkConnection, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "network", Actions: []string{"connection-attempted", "connection-accepted", "udp-peer"}}}},
	{Product: "linux", Category: lsDNSQuery, Name: lsDNSQuery, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "network", Actions: []string{"dns-query"}}},
		Note:   "dns-answer events instead when the rule names QueryResults"},
	{Product: "linux", Category: lsDriverLoad, Name: lsDriverLoad, Keywords: messageKeyword,
		Events: []EventSelector{{Category: "driver", Actions: []string{"module-loaded"}}}},
	{Product: "linux", Category: "file_access", Reason: notCollected + ": its file events report changes, not reads"},
	{Product: "linux", Category: "image_load", Reason: notCollected + ": shared libraries loaded by processes are not reported"},
	{Product: "linux", Category: "process_access", Reason: notCollected},
	{Product: "linux", Category: "create_remote_thread", Reason: notCollected},
	{Product: "linux", Category: "raw_access_thread", Reason: notCollected},

	{Product: "linux", Service: "auth", Name: "auth", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"authlog"}}},
		Note:   "the lines of the authentication log read by the authlog sensor"},
	{Product: "linux", Service: "sshd", Name: "sshd", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"authlog"}, Conditions: []Condition{{Field: "vigil.auth.service", Value: "sshd"}}}}},
	{Product: "linux", Service: "sudo", Name: "sudo", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"authlog"}, Conditions: []Condition{{Field: "vigil.auth.service", Value: "sudo"}}}}},
	{Product: "linux", Service: "su", Name: "su", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"authlog"}, Conditions: []Condition{{Field: "vigil.auth.service", Value: "su"}}}}},
	{Product: "linux", Service: "auditd", Name: lsAuditd,
		Events: []EventSelector{{Category: "process", Actions: []string{"exec"}}, {Category: "file"}},
		Note:   "EXECVE, SYSCALL and CWD records become process exec events, PATH records file events; the rest cannot be evaluated"},
	{Product: "linux", Service: "syslog", Reason: notCollected + ": the authlog sensor reads the authentication log only"},
	{Product: "linux", Service: "cron", Reason: notCollected + ": cron's log lines are not read (the persist sensor reports crontab changes)"},
	{Product: "linux", Service: "clamav", Reason: notCollected},
	{Product: "linux", Service: "vsftpd", Reason: notCollected},
	{Product: "linux", Service: "guacamole", Reason: notCollected},

	// Vigil's own sensors, for Vigil's rules (with ECS field names).
	{Product: "linux", Service: "authlog", Name: "authlog", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"authlog"}}}, Note: "Vigil's authlog sensor"},
	{Product: "linux", Service: "fim", Name: "fim", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"fim"}}}, Note: "Vigil's fim sensor"},
	{Product: "linux", Service: "netcfg", Name: "netcfg", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"netcfg"}}}, Note: "Vigil's netcfg sensor"},
	{Product: "linux", Service: "kmod", Name: "kmod", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"kmod"}}}, Note: "Vigil's kmod sensor"},
	{Product: "linux", Service: "accounts", Name: "accounts", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"accounts"}}}, Note: "Vigil's accounts sensor"},
	{Product: "linux", Service: "persist", Name: "persist", Keywords: messageKeyword,
		Events: []EventSelector{{Datasets: []string{"persist"}}}, Note: "Vigil's persist sensor"},
	{Product: "linux", Name: lsLinux, Keywords: messageKeyword, Events: []EventSelector{{}},
		Note: "every event; every field but auditd's may be named"},
}

// LogsourceMappings returns the table of Sigma log sources, in a stable
// order (the documentation's).
func LogsourceMappings() []LogsourceMapping {
	out := make([]LogsourceMapping, len(logsourceTable))
	copy(out, logsourceTable)
	return out
}

// collectedProducts are the Sigma products whose events Vigil has.
var collectedProducts = map[string]bool{"": true, "linux": true}

// resolveLogsource finds the mapping of a rule's logsource, or says why
// there is none.
func resolveLogsource(ls sigma.Logsource) (*LogsourceMapping, error) {
	label := logsourceLabel(ls.Product, ls.Category, ls.Service)
	if !collectedProducts[ls.Product] {
		return nil, fmt.Errorf("logsource %s is %s (product %s)", label, notCollected, ls.Product)
	}
	if ls.Category != "" && ls.Service != "" {
		return nil, fmt.Errorf("logsource %s names both a category and a service; Vigil maps one or the other", label)
	}
	for i := range logsourceTable {
		m := &logsourceTable[i]
		if m.Category != ls.Category || m.Service != ls.Service {
			continue
		}
		if m.Reason != "" {
			return nil, fmt.Errorf("logsource %s is %s", label, m.Reason)
		}
		return m, nil
	}
	if ls.Category != "" {
		for i := range logsourceTable {
			if m := &logsourceTable[i]; m.Service == ls.Category && m.Category == "" {
				return nil, fmt.Errorf("logsource %s names %s as a category: it is a service in Sigma's taxonomy (service: %s)", label, ls.Category, ls.Category)
			}
		}
	}
	return nil, fmt.Errorf("logsource %s is %s", label, notCollected)
}
