package budget

import (
	"fmt"

	"github.com/prometheus/procfs"
)

// RSS returns the resident memory of this process.
func RSS() (uint64, error) {
	p, err := procfs.Self()
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	st, err := p.Stat()
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	return uint64(st.ResidentMemory()), nil
}
