package engine

import (
	"testing"

	"github.com/vigilsec/vigil/internal/detect/sigma"
)

// TestEventField is the mapping correlation rules read their fields
// with, per log source.
func TestEventField(t *testing.T) {
	tests := []struct {
		category, service, field string
		want                     string
		ok                       bool
	}{
		{"process_creation", "", "User", "user.name", true},
		{"process_creation", "", "user", "user.name", true},
		{"process_creation", "", "Image", "process.executable", true},
		{"file_event", "", "TargetFilename", "file.path", true},
		{"network_connection", "", "SourceIp", "source.ip", true},
		{"process_creation", "", "SourceIp", "", false},
		{"", "", "SourceIp", "source.ip", true},
		{"", "auditd", "ses", "vigil.process.audit_session", true},
		{"", "auditd", "User", "", false},
		{"", "auditd", "a1", "", false},
		{"network_connection", "", "Initiated", "", false},
		{"process_creation", "", "host.id", "host.id", true},
		{"process_creation", "", "LogonId", "", false},
		{"process_creation", "", "NoSuchField", "", false},
		{"", "syslog", "host.id", "", false},
	}
	for _, tc := range tests {
		ls := sigma.Logsource{Product: "linux", Category: tc.category, Service: tc.service}
		got, ok := EventField(ls, tc.field)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s/%s %s = %q, %v; want %q, %v", tc.category, tc.service, tc.field, got, ok, tc.want, tc.ok)
		}
	}
}
