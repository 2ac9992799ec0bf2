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

	"golang.org/x/sys/unix"

	busv1 "github.com/vigilsec/vigil/api/bus/v1"
)

// Values of StopSource.Via.
const (
	ViaSystemd   = "systemd"
	ViaSignal    = "signal"
	ViaUninstall = "uninstall-command"
	ViaShutdown  = "shutdown"
)

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

// ForSignal describes who stopped the agent with a signal. Go's os/signal
// does not hand over the sender of a signal (the kernel's siginfo si_pid
// and si_uid), so the sender itself is unknown; what the host does tell is
// the agent's context: started by systemd (INVOCATION_ID set and the
// parent is pid 1), systemd stopped it; otherwise the parent process
// (the shell or supervisor that started it) is reported with its user.
func ForSignal() *busv1.StopSource {
	ppid := os.Getppid()
	src := &busv1.StopSource{Via: ViaSignal, Pid: int32(ppid)}
	if os.Getenv("INVOCATION_ID") != "" && ppid == 1 {
		src.Via = ViaSystemd
	}
	if p, ok := lookupProcess(ppid); ok {
		src.Command = clip(p.command)
		src.Uid = int32(p.uid)
		src.User = userName(p.uid)
	}
	return src
}

// ForUninstall describes the process running the uninstall command: its
// user and parent command (the shell or script that ran it), and in the
// detail the terminal and, under sudo, the user who called sudo.
func ForUninstall() (src *busv1.StopSource, detail string) {
	ppid := os.Getppid()
	uid := os.Getuid()
	src = &busv1.StopSource{Via: ViaUninstall, Pid: int32(ppid), Uid: int32(uid), User: userName(uid)}
	if p, ok := lookupProcess(ppid); ok {
		src.Command = clip(p.command)
	}
	parts := []string{"pid=" + strconv.Itoa(os.Getpid())}
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
