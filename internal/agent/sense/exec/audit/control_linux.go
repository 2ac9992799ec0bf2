package audit

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	libaudit "github.com/elastic/go-libaudit/v2"
	"github.com/elastic/go-libaudit/v2/rule"
)

// rules are the sensor's audit rules for one arch ("b64", "b32"), as
// auditctl would write them:
//
//	-a always,exit -F arch=ARCH -S execve,execveat -F success=1 -k vigil-exec
//	-a always,exit -F arch=ARCH -S exit_group -k vigil-exec
func rules(arch string) []*rule.SyscallRule {
	archFilter := rule.FilterSpec{Type: rule.ValueFilterType, LHS: "arch", Comparator: "=", RHS: arch}
	return []*rule.SyscallRule{
		{Type: rule.AppendSyscallRuleType, List: "exit", Action: "always", Keys: []string{RuleKey},
			Syscalls: []string{"execve", "execveat"},
			Filters:  []rule.FilterSpec{archFilter, {Type: rule.ValueFilterType, LHS: "success", Comparator: "=", RHS: "1"}}},
		{Type: rule.AppendSyscallRuleType, List: "exit", Action: "always", Keys: []string{RuleKey},
			Syscalls: []string{"exit_group"}, Filters: []rule.FilterSpec{archFilter}},
	}
}

// buildRules returns the wire form of the sensor's rules for the 64-bit
// calls and, where the arch has them, the 32-bit ones.
func buildRules() (b64, b32 []rule.WireFormat, err error) {
	build := func(arch string) ([]rule.WireFormat, error) {
		var out []rule.WireFormat
		for _, r := range rules(arch) {
			wf, err := rule.Build(r)
			if err != nil {
				return nil, fmt.Errorf("build the %s rule for %v: %w", arch, r.Syscalls, err)
			}
			out = append(out, wf)
		}
		return out, nil
	}
	if b64, err = build("b64"); err != nil {
		return nil, nil, err
	}
	b32, _ = build("b32") // an arch without 32-bit calls has none
	return b64, b32, nil
}

// isOurs reports whether a rule the kernel lists carries RuleKey.
func isOurs(wf []byte) bool {
	text, err := rule.ToCommandLine(wf, false)
	if err != nil {
		return false
	}
	for _, f := range strings.Fields(text) {
		if f == RuleKey || f == "key="+RuleKey {
			return true
		}
	}
	return false
}

// checkStatus says why the sensor cannot run with this audit status,
// nil when it can; multicast is whether it must read the multicast
// group.
func checkStatus(st *libaudit.AuditStatus, share bool) (multicast bool, err error) {
	switch {
	case st.Enabled == 2:
		return false, errors.New("the audit configuration is immutable (enabled=2): rules could not be removed again")
	case st.Failure == uint32(libaudit.PanicOnFailure):
		return false, errors.New("the audit failure mode is panic (failure=2): a backlog overflow would halt the host")
	}
	if st.PID != 0 && int(st.PID) != os.Getpid() {
		if !share {
			return false, fmt.Errorf("%w: process %d (%s) is the audit daemon; %s does not take over its place: set audit_daemon %q to read the audit multicast group next to it (its log then also holds every exec and exit)",
				errDaemon, st.PID, processName(int(st.PID)), Name, DaemonShare)
		}
		return true, nil
	}
	return false, nil
}

// processName returns the command name of pid, "unknown" when unreadable.
func processName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// session is the audit state the sensor set up, and what it changed.
type session struct {
	log    *slog.Logger
	ctrl   *libaudit.AuditClient
	recv   *receiver
	before libaudit.AuditStatus

	setEnabled, setBacklog, setWait bool
	backlog                         uint32
}

// begin sets audit up: the receiving socket, the rules, the settings. On
// error it undoes what it did.
func begin(settings Settings, log *slog.Logger, timeout time.Duration) (*session, error) {
	ctrl, err := libaudit.NewAuditClient(nil)
	if err != nil {
		return nil, err
	}
	s := &session{log: log, ctrl: ctrl}
	st, err := ctrl.GetStatus()
	if err != nil {
		ctrl.Close()
		return nil, fmt.Errorf("get the audit status: %w", err)
	}
	s.before = *st
	multicast, err := checkStatus(st, settings.AuditDaemon == DaemonShare)
	if err != nil {
		ctrl.Close()
		return nil, err
	}
	if s.recv, err = openReceiver(multicast, timeout); err != nil {
		ctrl.Close()
		if errors.Is(err, errDaemon) { // registered meanwhile
			return nil, fmt.Errorf("%w; %s does not take over its place", err, Name)
		}
		return nil, err
	}
	if err := s.setup(settings, multicast); err != nil {
		return nil, errors.Join(err, s.end())
	}
	return s, nil
}

func (s *session) setup(settings Settings, multicast bool) error {
	if _, err := s.removeRules(); err != nil {
		return err
	}
	b64, b32, err := buildRules()
	if err != nil {
		return err
	}
	for _, wf := range b64 {
		if err := s.ctrl.AddRule(wf); err != nil {
			return fmt.Errorf("add audit rule: %w", err)
		}
	}
	for _, wf := range b32 {
		if err := s.ctrl.AddRule(wf); err != nil {
			s.log.Info("no 32-bit audit rule", "plugin", Name, "err", err)
			break
		}
	}
	if !multicast {
		s.backlog = settings.backlogLimit()
		if s.before.BacklogLimit < s.backlog {
			if err := s.ctrl.SetBacklogLimit(s.backlog, libaudit.WaitForReply); err != nil {
				return fmt.Errorf("set the audit backlog limit: %w", err)
			}
			s.setBacklog = true
		}
		if s.before.FeatureBitmap&libaudit.AuditFeatureBitmapBacklogWaitTime != 0 && s.before.BacklogWaitTime != 0 {
			if err := s.ctrl.SetBacklogWaitTime(0, libaudit.WaitForReply); err != nil {
				return fmt.Errorf("set the audit backlog wait time: %w", err)
			}
			s.setWait = true
		}
	}
	if s.before.Enabled == 0 {
		if err := s.ctrl.SetEnabled(true, libaudit.WaitForReply); err != nil {
			return fmt.Errorf("enable audit: %w", err)
		}
		s.setEnabled = true
	}
	return nil
}

// removeRules deletes every audit rule with RuleKey; it returns how many.
func (s *session) removeRules() (int, error) {
	rules, err := s.ctrl.GetRules()
	if err != nil {
		return 0, fmt.Errorf("list the audit rules: %w", err)
	}
	n := 0
	var errs []error
	for _, wf := range rules {
		if !isOurs(wf) {
			continue
		}
		if err := s.ctrl.DeleteRule(wf); err != nil {
			errs = append(errs, fmt.Errorf("delete audit rule: %w", err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// lost returns the kernel's lost record counter.
func (s *session) lost() (uint32, error) {
	st, err := s.ctrl.GetStatus()
	if err != nil {
		return 0, err
	}
	return st.Lost, nil
}

// end removes the rules, puts back the settings that still have the
// values the sensor set, unregisters and closes the sockets.
func (s *session) end() error {
	var errs []error
	cur, err := s.ctrl.GetStatus()
	if err != nil {
		errs = append(errs, fmt.Errorf("get the audit status: %w", err))
		cur = &libaudit.AuditStatus{Enabled: 1, BacklogLimit: s.backlog}
	}
	if s.setEnabled && cur.Enabled == 1 {
		if err := s.ctrl.SetEnabled(s.before.Enabled == 1, libaudit.WaitForReply); err != nil {
			errs = append(errs, fmt.Errorf("restore audit enabled=%d: %w", s.before.Enabled, err))
		}
	}
	if _, err := s.removeRules(); err != nil {
		errs = append(errs, err)
	}
	if s.setBacklog && cur.BacklogLimit == s.backlog {
		if err := s.ctrl.SetBacklogLimit(s.before.BacklogLimit, libaudit.WaitForReply); err != nil {
			errs = append(errs, fmt.Errorf("restore the audit backlog limit: %w", err))
		}
	}
	if s.setWait && cur.BacklogWaitTime == 0 {
		if err := s.ctrl.SetBacklogWaitTime(int32(s.before.BacklogWaitTime), libaudit.WaitForReply); err != nil {
			errs = append(errs, fmt.Errorf("restore the audit backlog wait time: %w", err))
		}
	}
	if err := s.recv.close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.ctrl.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// controlClient is the client that sends rules and settings.
type controlClient = libaudit.AuditClient

func dialControl() (*controlClient, error) {
	c, err := libaudit.NewAuditClient(nil)
	if err != nil {
		return nil, fmt.Errorf("audit netlink: %w", err)
	}
	return c, nil
}
