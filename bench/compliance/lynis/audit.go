package lynis

import (
	"fmt"
	"slices"
)

// Audit is what one Lynis run left: its report and, when available,
// its log.
type Audit struct {
	Report *Report
	// Log may be nil: only the report was kept.
	Log *Log
}

// Status says whether a test ran.
type Status int

// The states of a test in an audit.
const (
	// Unknown: neither the report nor the log names the test.
	Unknown Status = iota
	// Ran: Lynis performed the test.
	Ran
	// Skipped: Lynis registered the test and skipped it.
	Skipped
)

// String names the status.
func (s Status) String() string {
	switch s {
	case Ran:
		return "ran"
	case Skipped:
		return "skipped"
	}
	return "unknown"
}

// TestStatus says whether test id ran, with the reason Lynis gave when
// it skipped it. The log decides when there is one, else the report's
// tests_executed and tests_skipped.
func (a *Audit) TestStatus(id string) (Status, string) {
	if a.Log != nil {
		if t := a.Log.Test(id); t != nil {
			if t.Skipped {
				return Skipped, t.SkipReason
			}
			return Ran, ""
		}
	}
	if a.Report != nil {
		switch {
		case slices.Contains(a.Report.Executed, id):
			return Ran, ""
		case slices.Contains(a.Report.Skipped, id):
			return Skipped, "listed in tests_skipped"
		}
	}
	return Unknown, ""
}

// Version is the Lynis version of the report (lynis_version), else of
// the log.
func (a *Audit) Version() string {
	if a.Report != nil {
		if v, ok := a.Report.Value("lynis_version"); ok {
			return v
		}
	}
	if a.Log != nil {
		return a.Log.Version
	}
	return ""
}

// ReadAudit reads a report and, when logPath is not empty, the log.
func ReadAudit(reportPath, logPath string) (*Audit, error) {
	r, err := ReadReportFile(reportPath)
	if err != nil {
		return nil, err
	}
	a := &Audit{Report: r}
	if logPath != "" {
		if a.Log, err = ReadLogFile(logPath); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	return a, nil
}
