// Package accounts is the risk/accounts collector: the local accounts
// whose password is weak, as assets of kind weak-password. The checking
// is done on the host by vigil-scan's passwords command, run as a child
// process with a low CPU and I/O priority, a memory limit, one thread and
// a time limit, so that the hashing stays out of the agent. Neither a
// password nor a hash, nor anything computed from a hash, leaves the
// host: a finding names the hashing scheme, the list the password came
// from, its length and a masked hint.
//
// # Findings
//
// One item per finding, keyed "account:<user>:<type>", named after the
// user:
//
//   - dictionary: the password is one of the account's candidates: words
//     derived from its name and the host's ("alice@123", "Web01@123"),
//     the built-in list of about a thousand passwords people use on
//     servers, and the words of the settings, in that order. Hashing
//     stops at the first match.
//   - empty: the password field is empty: the account needs no
//     password.
//   - uid0: an account other than root has uid 0.
//   - weak_scheme: an account that can log in, whose password is in no
//     list, has it hashed with descrypt, bsdicrypt or md5crypt.
//
// An account has at most one of dictionary, empty and weak_scheme, and
// may have uid0 besides. Locked hashes ("!" before them), fields no
// password matches ("*", "!!"), schemes vigil-scan does not compute
// (scrypt, gost-yescrypt, argon2) and hashes costlier than its limits
// are not checked.
//
// Fields:
//
//	user.name, user.id                the account
//	vigil.weak_password.target        "account"
//	vigil.weak_password.type          dictionary, empty, uid0 or weak_scheme
//	vigil.weak_password.severity      critical: a dictionary or empty
//	                                  password on a privileged account
//	                                  that can log in, or uid 0 with a
//	                                  login shell; high: a dictionary or
//	                                  empty password on another account
//	                                  that can log in, or uid 0 without
//	                                  a login shell; medium: a weak scheme,
//	                                  or a dictionary or empty password on
//	                                  an account whose shell lets no one
//	                                  in
//	vigil.weak_password.reason        a short explanation in English
//	vigil.weak_password.login         the shell lets the account run
//	                                  commands (not nologin, false, sync,
//	                                  halt, shutdown)
//	vigil.weak_password.privileged    uid 0, or a member (primary or
//	                                  supplementary) of gid 0, root, sudo,
//	                                  wheel or admin
//	vigil.weak_password.scheme        the hashing scheme (yescrypt,
//	                                  sha512crypt, sha256crypt, md5crypt,
//	                                  bcrypt, descrypt, bsdicrypt) of
//	                                  dictionary and weak_scheme findings
//	vigil.weak_password.source        the list of a dictionary match:
//	                                  "account" (derived from the account's
//	                                  or the host's name), "builtin", or
//	                                  "list:policy" (the settings' words)
//	vigil.weak_password.hint          the password's first and last
//	                                  characters with a star for each one
//	                                  between ("p*****3"), stars only for
//	                                  three characters or fewer
//	vigil.weak_password.length        the password's length in characters
//
// # Memory between runs
//
// When the agent has a data directory, vigil-scan keeps a state file in
// DATA/state/risk/accounts/ (mode 0600) with keyed digests of each
// account's hash and dictionary and how far its check went: an unchanged
// account is not hashed again, and a check cut short by the time limit
// goes on at the next run. A run cut short then still reports what is
// known (uid 0, empty fields, results remembered or found so far) and
// counts the accounts left for later (pending_accounts); without a data
// directory every run starts over, and a run cut short is a failed run.
//
// # Settings
//
// A JSON object, every field optional:
//
//	words    extra words to try after the built-in list, at most 10,000
//	         of at most 128 bytes each, without NUL, carriage return or
//	         newline
//	cpu      the fraction of one core the hashing may use on average,
//	         above 0 and at most 1, default 0.25
//	timeout  duration string, the scan's time limit, 1s to 4m, default
//	         "4m"
//
// The interval is 24 hours by default.
//
// # Counters
//
// scans, failed_scans, file_errors (account file lines vigil-scan
// skipped), malformed_lines, invalid_assets, priority_not_lowered (see
// package runner), partial_scans (runs cut short by the time limit whose
// known findings were sent), pending_accounts (accounts left for later by
// the last run), hashes (hashes computed, in all).
package accounts
