package audit

import (
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
)

// TestScenarios runs the process sensors' common scenarios. Audit sees
// neither forks nor the end of a process killed by a signal, and the
// options say so.
func TestScenarios(t *testing.T) {
	requireAudit(t)
	checkRestored(t)
	proctest.Run(t, func() proctest.Sensor { return New() }, proctest.Options{NoForks: true, NoSignalExits: true})
}
