package proccon_test

import (
	"os"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
	"github.com/vigilsec/vigil/internal/agent/sense/exec/proccon"
)

func TestMain(m *testing.M) {
	proctest.HelperMain()
	os.Exit(m.Run())
}

// TestScenarios runs the process sensors' common scenarios.
func TestScenarios(t *testing.T) {
	proctest.Run(t, func() proctest.Sensor { return proccon.New() }, proctest.Options{})
}
