package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/vigilsec/vigil/bench/agents/internal/procstat"
)

// Files each process needs besides one socket per agent: listeners, the
// store, JetStream files, API connections, log files.
const (
	toolSpareFiles   = 200
	centerSpareFiles = 500
)

// fileCheck is whether the sockets of the run fit the open-file limits.
type fileCheck struct {
	// ToolSoft and ToolHard are this process's limits (Go raises the
	// soft limit to the hard one at start).
	ToolSoft uint64 `json:"tool_soft"`
	ToolHard uint64 `json:"tool_hard"`
	// CenterLimit is the center's soft limit, as far as it is known.
	CenterLimit uint64 `json:"center_limit,omitempty"`
	ToolNeeds   int    `json:"tool_needs"`
	CenterNeeds int    `json:"center_needs"`
	Fits        bool   `json:"fits"`
	// PortRange is the number of local ports for outgoing connections.
	PortRange int      `json:"local_port_range,omitempty"`
	Notes     []string `json:"notes,omitempty"`
}

// checkFiles compares what n agents need with the limits. centerPID is 0
// when the center's process is not known; a center started here is a Go
// program too and raises its soft limit to the same hard limit.
func checkFiles(n, centerPID int, startCenter bool) fileCheck {
	fc := fileCheck{ToolNeeds: n + toolSpareFiles, CenterNeeds: n + centerSpareFiles, Fits: true}
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil {
		fc.ToolSoft, fc.ToolHard = rl.Cur, rl.Max
	}
	switch {
	case startCenter:
		fc.CenterLimit = fc.ToolHard
	case centerPID > 0:
		if lim, err := procstat.OpenFilesLimit(centerPID); err == nil {
			fc.CenterLimit = lim
		}
	}
	if fc.ToolSoft > 0 && uint64(fc.ToolNeeds) > fc.ToolSoft {
		fc.Fits = false
		fc.Notes = append(fc.Notes, fmt.Sprintf("this process may open %d files but %d agents need about %d (one socket each, plus %d): lower --agents to %d or raise the limit",
			fc.ToolSoft, n, fc.ToolNeeds, toolSpareFiles, int(fc.ToolSoft)-toolSpareFiles))
	}
	if fc.CenterLimit > 0 && uint64(fc.CenterNeeds) > fc.CenterLimit {
		fc.Fits = false
		fc.Notes = append(fc.Notes, fmt.Sprintf("the center may open %d files but %d agents need about %d (one socket each, plus %d for its store, bus and API): lower --agents to %d or raise its limit",
			fc.CenterLimit, n, fc.CenterNeeds, centerSpareFiles, int(fc.CenterLimit)-centerSpareFiles))
	}
	if fc.CenterLimit == 0 {
		fc.Notes = append(fc.Notes, fmt.Sprintf("the center's open-file limit is unknown (give --center-pid): it needs about %d", fc.CenterNeeds))
	}
	if lo, hi, ok := localPortRange(); ok {
		fc.PortRange = hi - lo + 1
		// Every enrollment leaves a connection in TIME_WAIT for a minute
		// and every agent holds one: both take a local port when the
		// center is on this machine.
		if 2*n > fc.PortRange {
			fc.Notes = append(fc.Notes, fmt.Sprintf("%d agents take about %d local ports (enrollment plus bus) but only %d are available (net.ipv4.ip_local_port_range)", n, 2*n, fc.PortRange))
		}
	}
	return fc
}

// localPortRange reads net.ipv4.ip_local_port_range.
func localPortRange() (lo, hi int, ok bool) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, false
	}
	return parsePortRange(string(b))
}

// parsePortRange parses "low high" as the kernel writes it.
func parsePortRange(s string) (lo, hi int, ok bool) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, false
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || hi < lo {
		return 0, 0, false
	}
	return lo, hi, true
}
