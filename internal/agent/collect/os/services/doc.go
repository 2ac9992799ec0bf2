// Package services is the os/services collector: the systemd units that
// run or start programs (service, socket, timer and path units) and the
// SysV init scripts of the host (asset kind "service").
//
// # systemd units
//
// The unit files are read from the directories systemd searches for the
// system manager (/etc/systemd/system, /run/systemd/system, the generator
// and transient directories, /usr/local/lib, /lib and /usr/lib
// systemd/system ...), the first file of a name hiding later ones, and
// their enablement is worked out as systemctl list-unit-files does it:
// "enabled" by a link in a .wants, .requires or .upholds directory of
// /etc (or /run: "enabled-runtime"), "alias" for a link to another unit,
// "masked" for a link to /dev/null or an empty file, "linked" for a unit
// file outside the search path, "static" without an [Install] section,
// "indirect", "disabled", "generated", "transient", and "bad" for a unit
// that cannot be loaded (a dangling link, an invalid alias, a bad section
// header). Tests compare it with systemctl on this host and on a fixture
// holding every state.
//
// One item per unit file name: Key and Name the unit name
// ("ssh.service"). Fields:
//
//	service.name                  the unit name
//	vigil.service.manager         "systemd"
//	vigil.service.unit_type       "service", "socket", "timer" or "path"
//	vigil.service.enablement      the state above
//	vigil.service.description     Description=
//	file.path                     the unit file (after links); the
//	                              mask's link for a masked unit
//	vigil.service.link            the name's link when file.path differs
//	vigil.service.alias_of        the unit an alias names (an alias has
//	                              no other settings: they are its unit's)
//	process.command_line          the first ExecStart= (after drop-ins)
//	process.executable            its program
//	vigil.service.exec_start      every ExecStart=
//	vigil.service.type            Type=
//	user.name                     User=, "root" when unset (systemd's
//	                              default) unless DynamicUser=yes
//	vigil.service.dynamic_user    DynamicUser=yes without User=
//	vigil.service.listen          a socket's Listen*= settings
//	vigil.service.triggers        the unit a socket, timer or path unit
//	                              starts
//	service.state                 "running" or "stopped" (services only;
//	                              see below)
//	error.message                 why a bad unit is bad
//	package.name, package.type    the OS package of file.path, "none"
//	                              when no package owns it (a unit an
//	                              administrator, or an intruder, wrote)
//
// Settings come from the unit file and its drop-ins: TYPE.d/ (such as
// service.d/), the template's and the unit's NAME.d/*.conf in every
// directory of the search path, by file name.
//
// # Running or stopped
//
// Whether a service runs is systemd's to say, over D-Bus, which the agent
// does not speak (no D-Bus module is among its dependencies). Instead the
// collector reads the cgroup hierarchy systemd keeps: every process of a
// unit is in the unit's cgroup (system.slice/NAME.service, or in its own
// slice), so a service whose cgroup, or one below it, lists a process is
// running; a template runs when one of its instances does. The cgroups of
// a user manager (user@UID.service) are that user's units and do not
// count for system units of the same names. A oneshot service that ran
// and exited ("active (exited)" to systemctl) has no process: it is
// stopped here. service.state is left out when systemd is not the host's
// service manager (no /run/systemd/system) or its cgroups are not mounted.
//
// # SysV init scripts
//
// The executable files of /etc/init.d (not hidden files, backups, README
// or skeleton), Key "init.d/NAME", Name the script's name, with
// file.path, vigil.service.manager "sysv", vigil.service.enablement
// "enabled" when an S link of /etc/rc2.d to rc5.d starts it ("disabled"
// otherwise), vigil.service.runlevels the runlevels whose S links start
// it, vigil.service.native_unit whether a systemd unit of the same name
// exists (systemd then runs that unit instead of the script), and the
// package fields. Whether a script's daemon runs is not known.
//
// # Counters
//
// malformed_lines: lines of unit files skipped (total); bad_units: units
// of the last run that cannot be loaded; package_index_errors.
package services
