// Package processes is the proc/processes collector: the long-running
// processes of the host (asset kind "process"), with their executable,
// arguments, user, parent, executable hash, listening ports and the OS
// package that owns the executable.
//
// # What is listed
//
// Every process that has run for at least min_age (default 60 s), except
// kernel threads and zombies. Short-lived processes churn from one run to
// the next and belong to the process events of the exec sensors, not to
// the inventory.
//
// # Items and churn
//
// An unchanged host must give an unchanged set, so an item is not one
// process but what identifies a program as it runs: the container (if
// any), the executable, the effective user, the arguments and the
// parent's executable. The pid, start time, entity id and a count of the
// processes are left out: a daemon restarted by an upgrade or a log
// rotation is the same item, and the processes of one pool (the workers
// of nginx or php-fpm, several with the same executable, user, arguments
// and parent) are one item however many there are, so a pool that grows
// or shrinks changes nothing. The master of nginx and its workers differ
// in user and arguments and are two items.
//
// Key is "USER@EXECUTABLE#ID": the user name (or uid), the executable
// (the command name in brackets when it cannot be read), and the first 16
// hex digits of a SHA-256 over the identity above, so that processes
// differing only in arguments or parent are different items with
// readable keys. Name is the command name.
//
// Fields:
//
//	process.executable        the executable (" (deleted)" removed)
//	process.name              the command name (comm)
//	process.args              the arguments (at most 16 KiB in all; the
//	                          empty ones at the end, which a process that
//	                          rewrote its title leaves, are dropped)
//	process.command_line      the arguments joined by spaces
//	process.parent.executable the parent's executable
//	process.parent.name       the parent's command name
//	user.id, user.name        the effective user
//	process.hash.sha256       the executable's SHA-256 (setting hash)
//	container.id              the container the process runs in
//	package.name, package.type, package.architecture
//	                          the OS package that owns the executable,
//	                          or package.name "none" when none does (a
//	                          lead when hunting: a program that no package
//	                          installed); left out for processes in
//	                          containers and on hosts without a package
//	                          database the agent reads
//	vigil.process.listening   the listening ports the processes hold, as
//	                          the keys of the net/listeners items
//	                          ("tcp/0.0.0.0:22")
//	vigil.process.executable_deleted
//	                          the file was deleted or replaced since the
//	                          process started it
//	vigil.process.args_truncated
//	                          the arguments were longer than the bound
//
// Where the processes of one item differ in what is not their identity
// (the hash of a binary replaced between two starts), the one that
// started first speaks for the item; the listening ports are those of all
// of them.
//
// # Settings
//
// A JSON object, every field optional:
//
//	min_age       duration string, default "60s" (0s to 24h): younger
//	              processes are left out
//	hash          bool, default true: compute process.hash.sha256 (each
//	              version of a file is read once and cached by device,
//	              inode, size and modification time)
//	hash_max_mib  largest executable hashed, in MiB, default 64 (1 to 4096)
//
// # Counters
//
// unreadable_processes: processes of the last run whose /proc files
// could not be read (they are left out); unreadable_executables:
// processes of the last run listed without executable (the kernel
// refused the link, as it does for some init processes);
// package_index_errors: failures to read the package database.
package processes
