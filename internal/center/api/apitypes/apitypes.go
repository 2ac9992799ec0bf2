// Package apitypes holds the shapes of the center API's detection
// requests and answers that are not store types: rules as the API shows
// them, rule problems, imported rule files, rule imports, exception and
// incident requests, ATT&CK coverage. The API (package api) writes them
// and its Go client (package apiclient) reads them, so that both agree
// on every field.
package apitypes

import (
	"time"

	"github.com/vigilsec/vigil/internal/attack"
	"github.com/vigilsec/vigil/internal/store"
)

// Rule is a loaded Sigma rule (detection or correlation).
type Rule struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// Kind is detection or correlation.
	Kind   string `json:"kind"`
	Level  string `json:"level"`
	Status string `json:"status,omitempty"`
	Author string `json:"author,omitempty"`
	// Source is builtin or imported; File and Line say where the rule is.
	Source         string    `json:"source"`
	File           string    `json:"file"`
	Line           int       `json:"line"`
	Techniques     []string  `json:"techniques"`
	Tags           []string  `json:"tags"`
	FalsePositives []string  `json:"falsepositives"`
	References     []string  `json:"references"`
	Logsource      Logsource `json:"logsource"`
	// Disabled rules are loaded but not evaluated.
	Disabled bool `json:"disabled"`
	// Alerts says that a match raises an alert by itself; Correlated that
	// correlation rules use its matches.
	Alerts     bool `json:"alerts"`
	Correlated bool `json:"correlated"`
	// Filters, for a detection rule, are the meta filters applied to it:
	// it fires only on events that each of them lets through.
	Filters []RuleRef `json:"filters,omitempty"`
	// AppliesTo, for a meta filter (kind filter), are the detection rules
	// it is applied to; Suppressed counts the matches of theirs it left
	// out since the rules were loaded.
	AppliesTo  []RuleRef `json:"applies_to,omitempty"`
	Suppressed uint64    `json:"suppressed,omitempty"`
	// Severity is the severity of the rule's alerts: its level, with
	// informational and low both low, or the operator's choice.
	Severity store.Severity `json:"severity"`
	// Setting is the operator's choice for the rule, when there is one.
	Setting *store.RuleSetting `json:"setting,omitempty"`
}

// RuleRef names a rule or a meta filter in another one's listing.
type RuleRef struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	File  string `json:"file"`
	Line  int    `json:"line"`
}

// Logsource is the Sigma log source of a detection rule.
type Logsource struct {
	Product  string `json:"product,omitempty"`
	Category string `json:"category,omitempty"`
	Service  string `json:"service,omitempty"`
}

// Problem is a rule or a file that was not loaded, and why.
type Problem struct {
	Source string `json:"source"`
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	RuleID string `json:"rule_id,omitempty"`
	Title  string `json:"title,omitempty"`
	Reason string `json:"reason"`
}

// RuleSetting is the body of PUT /rules/{id}/setting.
type RuleSetting struct {
	Disabled bool `json:"disabled"`
	// Severity replaces the severity the rule's level gives; empty keeps
	// it.
	Severity store.Severity `json:"severity"`
}

// RuleFile is an imported rule file, without its content.
type RuleFile struct {
	Name      string    `json:"name"`
	SHA256    string    `json:"sha256"`
	Size      int       `json:"size"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Rules counts the file's loaded rules, Problems its rules (or the
	// file itself) that were not loaded.
	Rules    int `json:"rules"`
	Problems int `json:"problems"`
}

// ImportFile is one file of a rule import: its name (a relative path
// ending in .yml or .yaml) and its YAML text.
type ImportFile struct {
	Name    string `json:"name"`
	Content string `json:"content"`
}

// RuleImport is the body of POST /rules/import.
type RuleImport struct {
	Files []ImportFile `json:"files"`
	// Force stores the files that load even when others have problems.
	Force bool `json:"force"`
}

// ImportedFile is a file an import stored.
type ImportedFile struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	// Created says that no file of that name was stored before.
	Created bool `json:"created"`
	// Rules counts the file's rules that load.
	Rules int `json:"rules"`
}

// ImportResult is the answer of an import.
type ImportResult struct {
	Stored []ImportedFile `json:"stored"`
	// Skipped are the files not stored because they have problems (only
	// with force).
	Skipped []string `json:"skipped"`
	// Problems are the problems of the imported files.
	Problems []Problem `json:"problems"`
}

// ImportRefusal is the body of the 422 answer to an import that has
// problems and no force: the error envelope and the problems.
type ImportRefusal struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Problems []Problem `json:"problems"`
}

// Exception is the body of POST /exceptions and PUT /exceptions/{id}.
type Exception struct {
	RuleID  string              `json:"rule_id,omitempty"`
	AgentID string              `json:"agent_id,omitempty"`
	Match   map[string][]string `json:"match"`
	Reason  string              `json:"reason"`
	// ExpiresAt, when set, is in the future.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// IncidentState is the body of POST /incidents/{id}/state. An empty
// State keeps the incident's state (to change the assignee only).
type IncidentState struct {
	State    store.IncidentState `json:"state,omitempty"`
	Assignee string              `json:"assignee,omitempty"`
	Comment  string              `json:"comment,omitempty"`
}

// Coverage is the answer of GET /attack/coverage: the ATT&CK matrix with,
// for each technique, the enabled rules that cover it and the alerts of
// it raised since Since.
type Coverage struct {
	attack.Coverage
	// Rules counts the enabled rules.
	Rules int `json:"rules"`
	// Since is the start of the alerts counted; Alerts counts them.
	Since  time.Time `json:"since"`
	Alerts int       `json:"alerts"`
	// Truncated says that more alerts were raised since Since than are
	// counted: the oldest were left out.
	Truncated bool `json:"truncated"`
}
