// Package parse reads the lines that authentication programs write to the
// system log (sshd, su, sudo, login, pkexec, polkitd, systemd-logind and
// PAM modules) and says what each one reports: a login, a failed login, a
// privilege change, a session opened or closed.
//
// Parser.Parse takes one line of /var/log/auth.log or /var/log/secure in
// either timestamp format rsyslog writes: the traditional one ("Nov 29
// 10:04:05 host prog[pid]: msg", year inferred) and RFC 3339
// ("2026-11-29T10:04:05.123456+00:00 host prog[pid]: msg"). ParseMessage
// takes the message alone, for sources that carry the program and time
// apart (the systemd journal).
//
// Lines of programs the package does not know, and messages of known
// programs that report nothing of interest ("Server listening on ..."),
// are StatusUnknown. A message that starts like one the package knows but
// does not follow its format is StatusMalformed: the caller counts it as a
// loss, since it probably was an event. The parser never panics on any
// input (see the fuzz targets).
package parse

import (
	"net/netip"
	"time"
)

// Kind is what a message reports.
type Kind uint8

// Kinds of message. Their String is the event action of the sensor.
const (
	// KindNone is the zero Kind: no event.
	KindNone Kind = iota
	// KindLoggedIn: a user logged in (sshd "Accepted", login "ROOT LOGIN").
	KindLoggedIn
	// KindLoginFailed: a login attempt failed (sshd "Failed password",
	// login "FAILED LOGIN").
	KindLoginFailed
	// KindInvalidUser: someone tried to log in as a user that does not
	// exist (sshd "Invalid user").
	KindInvalidUser
	// KindLoginDenied: the server refused a user by its configuration
	// (sshd "not allowed because", "ROOT LOGIN REFUSED").
	KindLoginDenied
	// KindAuthFailed: an authentication module refused credentials (PAM
	// "authentication failure", polkit, unix_chkpwd).
	KindAuthFailed
	// KindLoginAborted: a client gave up, or was sent away, while
	// authenticating as a user ("Connection closed by authenticating user").
	KindLoginAborted
	// KindMaxAttempts: a client exceeded the allowed number of attempts.
	KindMaxAttempts
	// KindPreauthDisconnect: a connection ended before any user was
	// named (scanners, failed key exchanges, timeouts).
	KindPreauthDisconnect
	// KindLoggedOut: a user's connection ended after a login.
	KindLoggedOut
	// KindSessionOpened: a PAM or logind session started.
	KindSessionOpened
	// KindSessionClosed: a PAM or logind session ended.
	KindSessionClosed
	// KindSu: a user switched to another with su.
	KindSu
	// KindSudo: a user ran, or tried to run, a command with sudo.
	KindSudo
	// KindPkexec: a user ran, or tried to run, a command with pkexec.
	KindPkexec
	kindCount
)

var kindNames = [kindCount]string{
	KindNone:              "none",
	KindLoggedIn:          "logged-in",
	KindLoginFailed:       "login-failed",
	KindInvalidUser:       "invalid-user",
	KindLoginDenied:       "login-denied",
	KindAuthFailed:        "authentication-failed",
	KindLoginAborted:      "login-aborted",
	KindMaxAttempts:       "max-auth-attempts-exceeded",
	KindPreauthDisconnect: "preauth-disconnected",
	KindLoggedOut:         "logged-out",
	KindSessionOpened:     "session-opened",
	KindSessionClosed:     "session-closed",
	KindSu:                "su",
	KindSudo:              "sudo",
	KindPkexec:            "pkexec",
}

// String returns the kebab-case action name of k.
func (k Kind) String() string {
	if k < kindCount {
		return kindNames[k]
	}
	return "unknown"
}

// Outcome says whether what a message reports succeeded.
type Outcome uint8

// Outcomes, as ECS event.outcome names them.
const (
	OutcomeUnknown Outcome = iota
	OutcomeSuccess
	OutcomeFailure
)

// String returns "success", "failure" or "unknown".
func (o Outcome) String() string {
	switch o {
	case OutcomeSuccess:
		return "success"
	case OutcomeFailure:
		return "failure"
	}
	return "unknown"
}

// Status says what the parser made of a line.
type Status uint8

// Statuses.
const (
	// StatusOK: the line reports something; its Record is set.
	StatusOK Status = iota
	// StatusUnknown: the line is of no interest (another program, or a
	// message that reports nothing). Not an error.
	StatusUnknown
	// StatusMalformed: the message starts like a known one but does not
	// follow its format.
	StatusMalformed
	// StatusNoHeader: the line does not start with a syslog timestamp,
	// host and tag.
	StatusNoHeader
)

// String names the status.
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ok"
	case StatusUnknown:
		return "unknown"
	case StatusMalformed:
		return "malformed"
	case StatusNoHeader:
		return "no-header"
	}
	return "invalid"
}

// PAM is what a PAM module's message says about itself and its caller.
type PAM struct {
	// Module is the module's name ("pam_unix").
	Module string
	// Type is the management group: "auth", "account", "session" or
	// "password".
	Type string
	// Logname, RUser, UID and EUID are the caller's login name, the
	// requesting user and the caller's real and effective uids from an
	// "authentication failure" message.
	Logname, RUser, UID, EUID string
	// By is the user that opened a session ("by alice(uid=1000)").
	By string
}

// Record is what a message reports. Fields the message does not carry
// are empty.
type Record struct {
	Kind    Kind
	Outcome Outcome
	// Service is the program or PAM service that authenticated: "sshd",
	// "su", "sudo", "login", "pkexec", "polkit", "systemd-logind", or the
	// service a PAM module names ("sshd", "su-l", "cron" ...).
	Service string
	// Method is the authentication method: "password", "publickey",
	// "keyboard-interactive", "hostbased", "gssapi-with-mic", "none".
	Method string
	// Submethod follows the method after a slash
	// ("keyboard-interactive/pam").
	Submethod string
	// User is the user that logged in or tried to (for su, sudo and
	// pkexec: the user who ran the program).
	User string
	// UserID is the user's numeric id when the message gives it.
	UserID string
	// InvalidUser is set when the server said the user does not exist.
	InvalidUser bool
	// TargetUser is the user su, sudo or pkexec switches to.
	TargetUser string
	// TargetGroup is the group sudo switches to (GROUP=).
	TargetGroup string
	// SourceIP is the remote address; SourceHost holds the remote name
	// when the message gives a name instead of an address.
	SourceIP   netip.Addr
	SourceHost string
	// SourcePort is the remote port, 0 when absent.
	SourcePort int
	// TTY is the terminal ("pts/0", "/dev/tty1", "ssh").
	TTY string
	// Cwd is the working directory sudo and pkexec report.
	Cwd string
	// Command is the command line sudo or pkexec ran.
	Command string
	// Reason explains a failure or a disconnect, in the program's words.
	Reason string
	// Count is a number of attempts the message reports ("3 incorrect
	// password attempts", "FAILED LOGIN (2)"), 0 when absent.
	Count int
	// SessionID is the logind session.
	SessionID string
	// KeyType and KeyFingerprint describe a public key ("ED25519",
	// "SHA256:...").
	KeyType, KeyFingerprint string
	// Preauth is set for sshd messages of the pre-authentication phase.
	Preauth bool
	// Suspicious is set for traces known to come from exploits, such as
	// the environment checks pkexec logs when CVE-2021-4034 is attempted.
	Suspicious bool
	// PAM is set for messages of PAM modules.
	PAM PAM
}

// Line is one parsed log line.
type Line struct {
	// Time is when the line was logged.
	Time time.Time
	// Host is the host name the line carries.
	Host string
	// Program is the tag's program name ("sshd"); PID its process id, 0
	// when the tag has none.
	Program string
	PID     int
	// Message is the text after the tag.
	Message string
	// Repeat is the count of a "message repeated N times: [ ... ]" line,
	// 0 for an ordinary line.
	Repeat int
	Record
}
