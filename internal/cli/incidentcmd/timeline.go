package incidentcmd

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/vigilsec/vigil/internal/center/incident"
	"github.com/vigilsec/vigil/internal/cli/clikit"
)

// printTimeline writes a timeline's sections: events, process trees,
// peers, files and techniques.
func (a *app) printTimeline(tl *incident.Timeline) error {
	out := a.Env.Stdout
	inc := tl.Incident
	fmt.Fprintf(out, "Incident %s: %s (%s, %s)\n", clikit.Clean(inc.ID), clikit.Clean(inc.Title), inc.Severity, inc.State)
	fmt.Fprintf(out, "Events from %s to %s", clikit.Stamp(tl.Since), clikit.Stamp(tl.Until))
	if tl.Truncated {
		fmt.Fprint(out, " (cut short: more events than the timeline keeps)")
	}
	fmt.Fprintln(out)

	fmt.Fprintln(out, "\nTimeline:")
	if len(tl.Entries) == 0 {
		fmt.Fprintln(out, "  none")
	} else {
		t := clikit.NewTable(out, "TIME", "HOST", "EVENT", "SUMMARY", "ALERTS")
		for _, e := range tl.Entries {
			host := e.Hostname
			if host == "" {
				host = e.AgentID
			}
			t.Row(clikit.Stamp(e.Time), host, e.Category+"/"+e.Action, clikit.Truncate(e.Summary, 100), strings.Join(e.AlertIDs, ","))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(tl.Processes) > 0 {
		fmt.Fprintln(out, "\nProcesses:")
		for _, p := range tl.Processes {
			printProcess(out, p, "  ")
		}
	}
	if len(tl.Peers) > 0 {
		fmt.Fprintln(out, "\nNetwork peers:")
		t := clikit.NewTable(out, "IP", "PORTS", "DIRECTION", "COUNT", "PROCESSES")
		for _, p := range tl.Peers {
			ports := make([]string, len(p.Ports))
			for i, n := range p.Ports {
				ports[i] = strconv.Itoa(n)
			}
			t.Row(p.IP, strings.Join(ports, ","), p.Direction, strconv.Itoa(p.Count), strings.Join(p.Processes, ","))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(tl.Files) > 0 {
		fmt.Fprintln(out, "\nFiles changed:")
		t := clikit.NewTable(out, "AGENT", "PATH", "ACTIONS", "COUNT", "PROCESSES")
		for _, f := range tl.Files {
			t.Row(f.AgentID, f.Path, strings.Join(f.Actions, ","), strconv.Itoa(f.Count), strings.Join(f.Processes, ","))
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if len(tl.Techniques) > 0 {
		fmt.Fprintln(out, "\nTechniques:")
		t := clikit.NewTable(out, "TECHNIQUE", "ALERTS")
		for _, tq := range tl.Techniques {
			t.Row(tq.ID, strconv.Itoa(tq.Alerts))
		}
		return t.Flush()
	}
	return nil
}

// printProcess writes a process and, indented, its children.
func printProcess(out io.Writer, p *incident.ProcessNode, indent string) {
	what := p.CommandLine
	if what == "" {
		what = p.Executable
	}
	line := fmt.Sprintf("%s%s", indent, clikit.Truncate(what, 120))
	var facts []string
	if p.PID > 0 {
		facts = append(facts, "pid "+strconv.Itoa(p.PID))
	}
	if p.User != "" {
		facts = append(facts, "user "+p.User)
	}
	if len(p.AlertIDs) > 0 {
		facts = append(facts, "alerts "+strings.Join(p.AlertIDs, ","))
	}
	if len(facts) > 0 {
		line += " (" + strings.Join(facts, ", ") + ")"
	}
	fmt.Fprintln(out, clikit.Clean(line))
	for _, c := range p.Children {
		printProcess(out, c, indent+"  ")
	}
}
