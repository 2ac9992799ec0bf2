// Package persist is the "persist" sensor: it reports changes to the
// places Linux malware and intruders use to survive a reboot or a logout
// (MITRE ATT&CK persistence): cron, systemd units, rc.local, the dynamic
// linker's preload and configuration, shell startup files, SysV init
// scripts and udev rules.
//
// # How it sees changes
//
// As the accounts sensor (and with the same machinery, package tracker):
// inotify watches on the directories that hold the watched paths, the
// parsed state kept in DataDir/state/persist.json and compared at every
// start (changes made while the agent was stopped carry vigil.offline:
// true; the first start only takes the baseline), full readings every
// rescan_interval. Users' files are found from /etc/passwd (homes of
// accounts added later are followed). inotify does not name the process
// that made a change: the events have no process fields. @timestamp is
// the file's ctime (now for a removal), event.created when the sensor saw
// the change.
//
// # Events
//
// Every event has event.category "configuration", event.type
// ["creation"|"change"|"deletion"], file.path and
// vigil.persistence.mechanism; where they apply,
// vigil.persistence.command (what will run), vigil.persistence.user (as
// whom) and vigil.persistence.schedule (when).
//
//   - cron (/etc/crontab, /etc/cron.d/*, /var/spool/cron/crontabs/*,
//     /var/spool/cron/* and the scripts of /etc/cron.{hourly,daily,weekly,
//     monthly}): cron-entry-added, cron-entry-removed (one per job or
//     environment line: vigil.persistence.environment); for scripts also
//     cron-entry-changed, with the lines added (below).
//   - systemd (/etc/systemd/system, /usr/lib/systemd/system and /lib's
//     when it is another directory, /etc/systemd/user, each home's
//     .config/systemd/user): unit-added, unit-changed (vigil.systemd.
//     changed: the keys that changed, "content" for anything else; a
//     drop-in added, changed or removed: vigil.systemd.dropin),
//     unit-removed, unit-masked, unit-unmasked, unit-enabled and
//     unit-disabled (a link in a *.wants/ or *.requires/ directory:
//     vigil.systemd.target, vigil.systemd.dependency). Fields:
//     vigil.systemd.{unit,scope,exec_start,link_target,triggers (the
//     unit a timer or path unit starts)}; the user is User= (root for a
//     system service without it), or the home's owner for user units;
//     timers give their schedule (OnCalendar= ...).
//   - rc.local: rc-local-created, rc-local-changed,
//     rc-local-made-executable, rc-local-removed.
//   - ld.so.preload: preload-library-added, preload-library-removed
//     (vigil.persistence.library, vigil.persistence.libraries: the
//     whole list now, and library_count).
//   - ld.so.conf (/etc/ld.so.conf, /etc/ld.so.conf.d/*):
//     ld-config-entry-added, ld-config-entry-removed
//     (vigil.persistence.ld_config.{kind,value}: dir, include, hwcap).
//   - shell-startup (/etc/profile, /etc/profile.d/*, /etc/bash.bashrc,
//     /etc/environment, and each home's user_startup_files):
//     shell-startup-changed (a creation or a change), shell-startup-removed.
//   - init.d (/etc/init.d/*): init-script-added, init-script-changed,
//     init-script-removed.
//   - udev (/etc/udev/rules.d/*): udev-rule-added, udev-rule-removed
//     (vigil.udev.rule, vigil.udev.commands: RUN, PROGRAM and
//     IMPORT{program} commands).
//
// Whole files (scripts, startup files, rc.local) are compared by content:
// their events have file.hash.sha256, file.mode, file.size, file.uid,
// file.gid, file.target_path for a link, vigil.file.previous.{hash.sha256,
// mode} and, for text, vigil.persistence.added_lines (the new non-blank,
// non-comment lines, at most max_added_lines, each at most 512 bytes),
// vigil.persistence.added_line_count and removed_line_count. The state
// keeps a 64-bit hash of each line, never the text.
//
// # Settings
//
//   - user_startup_files (default .bashrc, .profile, .bash_profile,
//     .bash_login, .bash_logout): files in each home, relative to it.
//   - max_added_lines (default 20, 1 to 200).
//   - rescan_interval (default "10m"; "0" turns full readings off).
//   - max_file_bytes (default 16 MiB): larger files are not read (a read
//     failure: the previous state is kept, one event counted as lost).
//
// # Parse errors
//
// Lines the parsers skip are counted per source, logged when the count
// changes (file, line number, reason) and summed in Stats().MalformedLines
// for the sensor's status; they are not lost events. A source that cannot
// be read counts one lost event.
package persist

import (
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
)

// Name is the sensor's name.
const Name = "persist"

// StateFile is the state's file name in the data directory's state
// folder.
const StateFile = "persist.json"

// Sensor is the persist sensor.
type Sensor struct {
	*tracker.SensorBase[Settings]
}

var (
	_ plugin.Sensor     = (*Sensor)(nil)
	_ plugin.Configurer = (*Sensor)(nil)
	_ plugin.Tunable    = (*Sensor)(nil)
	_ plugin.Counted    = (*Sensor)(nil)
)

// New returns the sensor with default settings.
func New() *Sensor {
	return &Sensor{tracker.NewSensorBase(Name, StateFile, ParseSettings,
		func(st Settings, fsys *rootfs.FS) tracker.Model { return &model{settings: st, fs: fsys} })}
}

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }
