package command

import (
	"encoding/json"
	"time"
)

// Names of the commands agents understand, with the least role allowed to
// send each.
const (
	Ping    = "ping"
	Status  = "status"
	Collect = "collect"
	// Processes asks for the agent's process table.
	Processes = "processes"
)

// Request sends one command to the agents chosen by AgentIDs and/or Selector
// (labels that must all match). At least one of the two must be set; a
// selector of {"*":"*"} is not special: use explicit labels.
type Request struct {
	Name     string            `json:"command"`
	Args     map[string]string `json:"args,omitempty"`
	AgentIDs []string          `json:"agent_ids,omitempty"`
	Selector map[string]string `json:"selector,omitempty"`
	// Timeout bounds the wait for replies (default 10 s, at most 5 min).
	Timeout time.Duration `json:"-"`
	// Actor is who sent it (for the command and the audit log).
	Actor string `json:"-"`
}

// Result is one agent's answer, or why there is none.
type Result struct {
	AgentID    string          `json:"agent_id"`
	Hostname   string          `json:"hostname,omitempty"`
	OK         bool            `json:"ok"`
	Error      string          `json:"error,omitempty"` // "timeout", "agent offline", the agent's error ...
	Output     json.RawMessage `json:"output,omitempty"`
	DurationMS int64           `json:"duration_ms"`
}

// Response is what the API returns for one command request.
type Response struct {
	ID      string   `json:"id"`
	Command string   `json:"command"`
	Results []Result `json:"results"`
}
