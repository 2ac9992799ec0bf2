//go:build linux && (amd64 || arm64)

package ebpf_test

import (
	"os"
	"testing"

	cebpf "github.com/cilium/ebpf"

	"github.com/vigilsec/vigil/internal/agent/proctable/proctest"
	"github.com/vigilsec/vigil/internal/agent/sense/exec/ebpf"
)

func TestMain(m *testing.M) {
	proctest.HelperMain()
	os.Exit(m.Run())
}

// TestScenarios runs the process sensors' common scenarios.
func TestScenarios(t *testing.T) {
	proctest.Run(t, func() proctest.Sensor { return ebpf.New() }, proctest.Options{
		ShortLivedComplete: true,
		ExecPath:           true,
		KernelObjects:      countPrograms,
	})
}

// countPrograms counts the loaded eBPF programs named like the sensor's.
func countPrograms() (int, error) {
	n := 0
	var id cebpf.ProgramID
	for {
		next, err := cebpf.ProgramGetNextID(id)
		if err != nil {
			return n, nil // ENOENT: the end of the list
		}
		id = next
		p, err := cebpf.NewProgramFromID(id)
		if err != nil {
			continue // unloaded meanwhile
		}
		info, err := p.Info()
		p.Close()
		if err != nil {
			continue
		}
		switch info.Name {
		case "handle_exec", "handle_fork", "handle_exit":
			n++
		}
	}
}
