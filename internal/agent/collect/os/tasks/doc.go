// Package tasks is the os/tasks collector: what the host runs on a
// schedule (asset kind "task"): cron jobs, the scripts of cron's
// run-parts directories, anacron jobs and systemd timers.
//
// # Sources and keys
//
//   - /etc/crontab and /etc/cron.d/* (with a user field), the users'
//     crontabs in /var/spool/cron/crontabs/USER (Debian) and
//     /var/spool/cron/USER (cronie): one item per job, Key
//     "cron:FILE#ID" where ID is 16 hex digits of a SHA-256 over the
//     schedule, user and command, so that an unchanged job keeps its key
//     when lines are added above it (the same job twice in a file is one
//     item); Name the command. Crontabs are parsed by the persist
//     sensor's parser (package crontab): environment lines are not jobs,
//     malformed lines are skipped and counted.
//   - the executable files of /etc/cron.{hourly,daily,weekly,monthly}:
//     Key "cron:PATH", Name the file name, schedule "@daily" ..., user
//     root. All are listed, also names that Debian's run-parts skips
//     (with a dot: another distribution's run-parts runs them).
//   - /etc/anacrontab: Key "anacron:ID" (anacron's job identifier),
//     schedule the period ("1", "7", "@monthly"), with the delay.
//   - systemd timers (the unit files of the search path, as the
//     os/services collector reads them): Key "timer:NAME", with the
//     timer's On*= settings as schedule, its enablement, and the command
//     and user of the unit it starts.
//
// Hidden files, package managers' and editors' backups (.dpkg-old, ~
// ...) and crontab's temporary files (tmp.*) are no tasks.
//
// # Fields
//
//	vigil.task.type          "cron", "cron-script", "anacron" or
//	                         "systemd-timer"
//	vigil.task.schedule      the cron schedule ("*/5 * * * *",
//	                         "@reboot"), the anacron period or the timer's
//	                         settings ("OnCalendar=daily; OnBootSec=15min")
//	vigil.task.delay_minutes an anacron job's delay
//	vigil.task.id            an anacron job's identifier
//	vigil.task.enablement    a timer's (as systemctl list-unit-files)
//	vigil.task.unit          the unit a timer starts
//	user.name                the user the job runs as
//	process.command_line     the command
//	process.executable       a script's path, a timer's program
//	file.path                the file the task is written in
//	package.name, package.type
//	                         the OS package of that file, "none" when no
//	                         package owns it (a crontab an administrator,
//	                         or an intruder, wrote)
//
// # Counters
//
// malformed_lines: lines skipped in crontabs, the anacrontab and unit
// files (total); unreadable_files: files of the last run that could not
// be read; package_index_errors.
package tasks
