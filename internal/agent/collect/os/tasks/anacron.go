package tasks

import (
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/agent/sense/accounts/textfile"
)

// AnacronJob is one job of an anacrontab.
type AnacronJob struct {
	// Line is the 1-based line number.
	Line int
	// Period is the number of days between runs ("1", "7") or a keyword
	// ("@monthly").
	Period string
	// Delay is the minutes anacron waits before running the job.
	Delay int
	// ID is the job identifier (the name of its timestamp file).
	ID      string
	Command string
}

// Anacrontab is a parsed anacrontab.
type Anacrontab struct {
	Jobs []AnacronJob
	// Env are the environment assignments (SHELL, PATH, START_HOURS_RANGE
	// ...), in order.
	Env      []string
	Problems textfile.Problems
}

// anacronKeywords are the periods anacron accepts by name.
var anacronKeywords = []string{"@daily", "@weekly", "@monthly", "@yearly", "@annually"}

// ParseAnacrontab parses an anacrontab(5): blank lines, comments ('#'
// first), environment assignments (NAME=value) and jobs ("period delay
// job-identifier command": a period in days or @daily, @weekly,
// @monthly, @yearly; a delay in minutes; an identifier without '/').
// Other lines are skipped and counted in Problems.
func ParseAnacrontab(data []byte) Anacrontab {
	var a Anacrontab
	for n, raw := range textfile.Lines(data) {
		line := strings.TrimSpace(strings.TrimSuffix(string(raw), "\r"))
		if line == "" || line[0] == '#' {
			continue
		}
		if name, _, ok := strings.Cut(line, "="); ok {
			if name = strings.TrimSpace(name); name != "" && !strings.ContainsAny(name, " \t") {
				a.Env = append(a.Env, line)
				continue
			}
		}
		var f [3]string
		rest := line
		for i := range f {
			f[i], rest = nextField(rest)
		}
		if f[2] == "" || strings.TrimSpace(rest) == "" {
			a.Problems.Skip(n, "fewer than four fields")
			continue
		}
		job := AnacronJob{Line: n, Period: f[0], ID: f[2]}
		if !isNumber(job.Period) && !containsFold(anacronKeywords, job.Period) {
			a.Problems.Skip(n, "period is neither days nor a keyword")
			continue
		}
		job.Period = strings.ToLower(job.Period)
		d, err := strconv.Atoi(f[1])
		if err != nil || d < 0 || !isNumber(f[1]) {
			a.Problems.Skip(n, "delay is not a number of minutes")
			continue
		}
		job.Delay = d
		if strings.Contains(job.ID, "/") {
			a.Problems.Skip(n, "job identifier holds '/'")
			continue
		}
		job.Command = strings.TrimSpace(rest)
		a.Jobs = append(a.Jobs, job)
	}
	return a
}

// nextField returns the first blank-separated field of s and the rest.
func nextField(s string) (field, rest string) {
	s = strings.TrimLeft(s, " \t")
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}

func isNumber(s string) bool {
	if s == "" || len(s) > 9 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
