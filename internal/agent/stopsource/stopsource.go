//go:build unix

// Package stopsource tells, as far as the host can, who stopped or removed
// the agent, for the Goodbye the agent sends on its way out.
package stopsource

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
	"github.com/vigilsec/vigil/internal/agent/stopsource/sigtrace"
)

// Values of StopSource.Via.
const (
	ViaSystemd   = "systemd"
	ViaSignal    = "signal"
	ViaUninstall = "uninstall-command"
	ViaShutdown  = "shutdown"
	ViaKernel    = "kernel"
)

// SeenByEBPF is StopSource.SeenBy for a sender the eBPF tracer recorded.
const SeenByEBPF = "ebpf"

// maxCommand bounds the command line reported.
const maxCommand = 512

// SignalName returns the conventional name of sig ("SIGTERM").
func SignalName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok {
		if name := unix.SignalName(s); name != "" {
			return name
		}
	}
	return sig.String()
}

// senderMaxAge bounds how old a traced sender may be and still count as
// the sender of the signal being handled.
const senderMaxAge = 30 * time.Second

// ForSignal describes who stopped the agent with sig. Go's os/signal does
// not hand over the sender (the kernel's siginfo), so it comes from tr, the
// eBPF tracer of the signals to the agent, when one runs: the sending
// process, its parent, user and login user. Without one the sender is
// unknown and the note says what the host does tell: started by systemd
// (INVOCATION_ID set and the parent is pid 1), systemd stopped it;
// otherwise the agent's parent process (the shell or supervisor that
// started it) with its user. trErr says why there is no tracer.
func ForSignal(sig os.Signal, tr *sigtrace.Tracer, trErr error) *busv1.StopSource {
	if s, ok := sig.(syscall.Signal); ok && tr != nil {
		if sender, ok := tr.Last(s); ok && time.Since(sender.At) < senderMaxAge {
			return fromSender(sender)
		}
	}
	why := "no signal tracer"
	switch {
	case trErr != nil:
		why = "no signal tracer: " + trErr.Error()
	case tr != nil:
		why = "the signal tracer saw no sender"
	}
	ppid := os.Getppid()
	src := &busv1.StopSource{Via: ViaSignal}
	if os.Getenv("INVOCATION_ID") != "" && ppid == 1 {
		src.Via = ViaSystemd
	}
	parent := fmt.Sprintf("pid %d", ppid)
	if p, ok := lookupProcess(ppid); ok {
		parent = fmt.Sprintf("%s (pid %d, user %s)", clip(p.command), ppid, userName(p.uid))
	}
	src.Note = clip(fmt.Sprintf("sender unknown (%s); the agent's parent is %s", why, parent))
	return src
}

// fromSender describes a traced sender, with the command lines of it and
// its parent while they still run under the same name, and their comm
// otherwise.
func fromSender(s sigtrace.Sender) *busv1.StopSource {
	src := &busv1.StopSource{
		Via: ViaSignal, SeenBy: SeenByEBPF, Pid: int32(s.PID), Uid: int32(s.UID), User: userName(int(s.UID)),
		Command: commandOf(s.PID, s.Command), ParentPid: int32(s.PPID), ParentCommand: commandOf(s.PPID, s.ParentComm),
	}
	if s.LoginUID != sigtrace.NoID {
		src.LoginUser = userName(int(s.LoginUID))
	}
	switch {
	case s.FromKernel:
		src.Via, src.Pid, src.Uid, src.User, src.Command = ViaKernel, 0, 0, "", ""
		src.ParentPid, src.ParentCommand, src.LoginUser = 0, "", ""
		src.Note = "raised by the kernel"
	case s.PID == 1:
		src.Via = ViaSystemd
	}
	return src
}

// commandOf returns the command line of pid if it still runs as comm (not
// a reused pid), else "[comm]".
func commandOf(pid int, comm string) string {
	if p, ok := lookupProcess(pid); ok && p.comm == comm && p.command != "" {
		return clip(p.command)
	}
	if comm == "" {
		return ""
	}
	return "[" + comm + "]"
}

// ForUninstall describes the process running the uninstall command: its
// command line, user and login user, and its parent (the shell or script
// that ran it); the detail adds the terminal and, under sudo, the user who
// called sudo.
func ForUninstall() (src *busv1.StopSource, detail string) {
	pid, ppid, uid := os.Getpid(), os.Getppid(), os.Getuid()
	src = &busv1.StopSource{Via: ViaUninstall, Pid: int32(pid), Uid: int32(uid), User: userName(uid), ParentPid: int32(ppid)}
	if p, ok := lookupProcess(pid); ok {
		src.Command = clip(p.command)
	}
	if p, ok := lookupProcess(ppid); ok {
		src.ParentCommand = clip(p.command)
	}
	if id, ok := loginUID(); ok {
		src.LoginUser = userName(id)
	}
	var parts []string
	if tty := terminal(); tty != "" {
		parts = append(parts, "tty="+tty)
	}
	if su := os.Getenv("SUDO_USER"); su != "" {
		parts = append(parts, "sudo_user="+clip(su))
	}
	return src, strings.Join(parts, " ")
}

// userName returns the name of uid, or "uid N" when it has none.
func userName(uid int) string {
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return fmt.Sprintf("uid %d", uid)
	}
	return u.Username
}

// clip bounds a reported string.
func clip(s string) string {
	if len(s) > maxCommand {
		return s[:maxCommand] + "..."
	}
	return s
}
