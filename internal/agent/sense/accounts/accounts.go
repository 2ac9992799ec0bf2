// Package accounts is the "accounts" sensor: it reports changes to the
// host's accounts, groups, passwords, sudo rules and SSH authorized keys
// as semantic events (user-added, group-member-added, password-changed,
// sudoers-rule-added, authorized-key-added ...).
//
// # How it sees changes
//
// It watches, with inotify, the directories that hold /etc/passwd,
// /etc/group, /etc/shadow, /etc/gshadow, /etc/sudoers and the files and
// directories that sudoers includes (/etc/sudoers.d as shipped), and each
// account's authorized_keys files (home directories from passwd; accounts
// added later are followed). Watching directories rather than files is
// what makes replace-by-rename (useradd, vipw, passwd, editors) visible.
// The parsed state is kept in DataDir/state/accounts.json (mode 0600)
// and compared with the files at every start, so that changes made while
// the agent was stopped are reported then, with vigil.offline: true. The
// first start only takes the baseline. See package tracker for the
// mechanics (settling, full readings, overflows, read failures).
//
// inotify does not say which process made a change, so the events have
// no process or actor fields. @timestamp is the changed file's ctime
// (now for a removal), event.created when the sensor saw it.
//
// # Events
//
// Category iam, event.type ["user"|"group", "creation"|"deletion"|"change"]:
//
//   - user-added, user-removed: user.target.{name,id,full_name,group.id,
//     group.name}, vigil.account.{home,shell,gecos,login_shell};
//     vigil.account.uid0: true when a non-root account has uid 0;
//     vigil.account.group.privileged when its primary group is privileged;
//     vigil.account.password.{state,scheme,locked} when the shadow entry
//     came with it, or when passwd's own password field is not "x".
//   - user-changed: the same, plus vigil.account.changed (uid, gid, home,
//     shell, gecos, password) and vigil.account.previous.<field>.
//   - group-added, group-removed, group-changed (gid, password, gshadow
//     administrators or members): group.{name,id},
//     vigil.account.group.{members,privileged,administrators} (lists of at
//     most 256 names, with members_count and administrators_count),
//     vigil.account.changed.
//   - group-member-added, group-member-removed: user.target.name,
//     group.{name,id}, vigil.account.group.privileged.
//   - password-changed, account-locked, account-unlocked,
//     password-expiry-changed: user.target.name, vigil.account.password.
//     {state,scheme,locked,last_changed,previous_state,previous_scheme,
//     min_days,max_days,warn_days,inactive_days,expires},
//     vigil.account.changed. A hash, or any part of one, never appears:
//     only its scheme name (yescrypt, sha512crypt ...) and states
//     ("hash", "empty": no password needed, "none": no password login).
//
// Category configuration, event.type ["creation"|"deletion"]:
//
//   - sudoers-rule-added, sudoers-rule-removed: file.path,
//     vigil.sudoers.{rule,kind,nopasswd,principals,include}. Kinds:
//     user_spec, defaults, alias (kept as text), include. nopasswd is
//     true for a NOPASSWD tag and for Defaults !authenticate. Files are
//     read as sudo reads them: includes followed, #includedir skipping
//     names with '.' or ending in '~'.
//   - authorized-key-added, authorized-key-removed: user.target.name,
//     file.path, vigil.ssh.key.{type,fingerprint,bits,comment,options,
//     command,from}; the fingerprint is what ssh-keygen -l prints.
//
// Privileged groups are the configured ones, the group with gid 0, and
// every group granted anything in sudoers (%group, also through a
// User_Alias).
//
// # Settings
//
//   - privileged_groups (list of names; default root, sudo, wheel, adm,
//     docker, admin, lxd, disk): memberships reported as privileged.
//   - authorized_keys_files (list; default "%h/.ssh/authorized_keys",
//     "%h/.ssh/authorized_keys2", sshd's default): sshd's tokens %h (home),
//     %u (name), %U (uid), %%; a relative path is taken from the home.
//   - rescan_interval (duration; default "10m"; "0" turns it off): full
//     readings besides inotify.
//   - max_file_bytes (default 16 MiB): larger files are not read (a read
//     failure: the previous state is kept).
//
// # Parse errors
//
// Lines the parsers skip (malformed passwd lines, keys that are not keys
// ...) are not events the sensor failed to produce, so they are not
// counted as lost: each source's count is logged when it changes (with
// line numbers and reasons, never the line, which may hold a hash) and
// their sum is Stats().MalformedLines, for the sensor's status. A source
// that cannot be read at all is counted as one lost event.
package accounts

import (
	"github.com/vigilsec/vigil/internal/agent/plugin"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/rootfs"
	"github.com/vigilsec/vigil/internal/agent/sense/accounts/tracker"
)

// Name is the sensor's name.
const Name = "accounts"

// StateFile is the state's file name in the data directory's state
// folder.
const StateFile = "accounts.json"

// Sensor is the accounts sensor.
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
		func(st Settings, _ *rootfs.FS) tracker.Model { return &model{settings: st} })}
}

// Name implements plugin.Plugin.
func (*Sensor) Name() string { return Name }
