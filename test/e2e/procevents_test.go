//go:build e2e

package e2e

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/vigilsec/vigil/internal/event"
)

// execSample is a process start as a busy web host sees it.
type execSample struct {
	parent, exe, args, user string
}

var execSamples = []execSample{
	{"/usr/sbin/cron", "/bin/sh", "-c /usr/local/bin/backup.sh --incremental", "root"},
	{"/bin/sh", "/usr/local/bin/backup.sh", "--incremental", "root"},
	{"/usr/sbin/nginx", "/usr/bin/php-fpm8.2", "--nodaemonize --fpm-config /etc/php/8.2/fpm/php-fpm.conf", "www-data"},
	{"/usr/bin/php-fpm8.2", "/usr/bin/convert", "/var/www/uploads/in.png -resize 640x480 /var/www/uploads/out.png", "www-data"},
	{"/usr/sbin/sshd", "/bin/bash", "-l", "ops"},
	{"/bin/bash", "/usr/bin/curl", "-s -o /dev/null -w %{http_code} http://10.0.3.7:8080/health", "ops"},
	{"/bin/bash", "/usr/bin/sudo", "systemctl restart nginx", "ops"},
	{"/usr/lib/systemd/systemd", "/usr/bin/python3", "/opt/app/worker.py --queue reports", "app"},
	{"/usr/bin/python3", "/usr/bin/git", "-C /opt/app fetch --quiet origin", "app"},
	{"/usr/bin/containerd-shim-runc-v2", "/usr/local/bin/redis-server", "*:6379", "redis"},
}

// entityID is a stable process id made of the agent, pid and start time,
// as ECS process.entity_id wants.
func entityID(agentID string, pid int, start time.Time) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d", agentID, pid, start.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(sum[:15])
}

// processEvent is the i-th process start event of an agent, with a fresh
// UUIDv7 as event.id.
func processEvent(agentID, hostname string, i int, at time.Time) (event.Event, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return nil, fmt.Errorf("event id: %w", err)
	}
	s := execSamples[i%len(execSamples)]
	pid, ppid := 4000+i%60000, 1000+(i/7)%3000
	parentStart := at.Add(-time.Duration(i%3600) * time.Second)
	e := event.New(id.String(), at, "process", "exec")
	e.Set(event.FieldKind, "event")
	e.Set("event.type", []any{"start"})
	e.Set(event.FieldDataset, "process.exec")
	e.Set(event.FieldAgentID, agentID)
	e.Set(event.FieldHostID, agentID)
	e.Set(event.FieldHostName, hostname)
	e.Set(event.FieldProcessPID, pid)
	e.Set("process.name", path.Base(s.exe))
	e.Set(event.FieldProcessExe, s.exe)
	e.Set(event.FieldProcessCmd, s.exe+" "+s.args)
	e.Set("process.args", append([]any{s.exe}, toAny(strings.Fields(s.args))...))
	e.Set("process.start", at.UTC().Format(time.RFC3339Nano))
	e.Set(event.FieldProcessEntity, entityID(agentID, pid, at))
	e.Set("process.working_directory", "/")
	e.Set("process.parent.pid", ppid)
	e.Set(event.FieldParentExe, s.parent)
	e.Set("process.parent.name", path.Base(s.parent))
	e.Set("process.parent.entity_id", entityID(agentID, ppid, parentStart))
	e.Set(event.FieldUserName, s.user)
	return e, nil
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
