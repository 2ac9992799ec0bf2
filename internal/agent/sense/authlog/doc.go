// Package authlog is the authlog sensor: logins and the use of
// privileges, from the authentication log and the login accounting
// files.
//
// It follows /var/log/auth.log (Debian, Ubuntu) and /var/log/secure (RHEL
// family) under the host root, or, when neither exists, the systemd
// journal through `journalctl --follow --output=json` run as a child
// process. Lines of sshd, su, sudo, login, pkexec, polkitd,
// systemd-logind and PAM modules become events (package parse says which
// and how); other lines are skipped, and lines of these programs that do
// not parse are counted as lost. It also follows /var/log/wtmp (logins,
// logouts, boots, shutdowns) and /var/log/btmp (failed logins), decoded
// by package utmp.
//
// Files are followed through rotation (renamed and a new file created:
// the old one is read to its end first; copied and truncated: read again
// from the start) and through restarts: the position in each file (its
// device, inode, offset and first bytes) and the journal cursor are kept
// in DATA/authlog/state.json, written at most once a second while lines
// flow and when Run returns, so that a restart neither reads a line twice
// nor misses one; a file rotated while the agent was stopped is found
// again by its inode next to the followed path ("auth.log.1") and read to
// its end. A crash can repeat at most the last second's lines.
//
// # Events
//
// Category authentication: logged-in, login-failed, invalid-user,
// login-denied, authentication-failed, login-aborted,
// max-auth-attempts-exceeded, preauth-disconnected, logged-out (from
// logs); failed-login-recorded (btmp). Category session: session-opened,
// session-closed, su (logs); login-recorded, logout-recorded (wtmp).
// Category iam: sudo, pkexec. Category host: system-boot,
// system-shutdown, runlevel-changed, clock-changed (wtmp).
//
// Fields: user.name (and user.id), user.target.name and
// user.target.group.name (su, sudo, pkexec), source.ip or source.domain
// and source.port, event.outcome, event.reason, process.pid and
// process.name of the logging daemon (with process.entity_id,
// process.executable and process.start while it still runs),
// process.tty.name, process.working_directory and process.command_line
// (sudo, pkexec), vigil.auth.method and .submethod, vigil.auth.service,
// vigil.auth.key.type and .fingerprint, vigil.auth.failures,
// vigil.auth.invalid_user, vigil.auth.preauth, vigil.auth.session_id,
// vigil.auth.suspicious (exploit traces), vigil.auth.pam.*,
// log.syslog.hostname and .appname, log.file.path, related.user,
// related.ip, and message (the log message). Accounting events carry
// vigil.utmp.* (type, line, id, host, session, exit, runlevel) and, for a
// logout, event.start and event.duration of the session.
//
// # Counters
//
// The sensor is a plugin.Counted: besides the events and losses the
// runtime counts, it reports what it read (lines_read,
// journal_entries_read, records_read), what it skipped as unusable
// (malformed_lines, malformed_journal_entries, corrupt_records,
// too_long_lines, lines_without_header), what it skipped as of no
// interest (unknown_program_lines, unrecognized_messages,
// skipped_service_lines), and how following went (rotations,
// truncations, rotation_gaps, journal_cursor_resets, read_errors,
// state_save_errors). Sensor.Counters documents each.
//
// # Settings
//
// A JSON object; every field is optional:
//
//	source          "auto" (default): the files when one exists, else the journal;
//	                "file"; "journal"
//	files           log files to follow (default ["/var/log/auth.log", "/var/log/secure"])
//	accounting      follow wtmp and btmp (default true)
//	wtmp, btmp      their paths (default "/var/log/wtmp", "/var/log/btmp"; "" = off)
//	start_at        where to start without a saved position: "end" (default) or "beginning"
//	poll_interval   how often files are checked besides inotify (default "2s", 100ms to 5m)
//	skip_services   PAM services whose lines are dropped (default ["cron", "crond",
//	                "CROND", "atd", "systemd-user"])
//	max_line_bytes  longest line handled whole (default 65536, 1024 to 1048576)
package authlog
