package protocol

// The passwords scan (vigil-scan passwords) writes one asset of kind
// event.AssetWeakPassword per finding, keyed "account:<user>:<type>",
// and counts its work in Summary.Passwords. No field holds a hash or a
// password: a dictionary match is described by a masked hint, its length
// and the list it came from.

// Types of a weak-password finding about an account
// (vigil.weak_password.type).
const (
	// WeakDictionary: the account's password is in a dictionary.
	WeakDictionary = "dictionary"
	// WeakEmpty: the password field is empty: no password is needed.
	WeakEmpty = "empty"
	// WeakUID0: an account other than root has uid 0.
	WeakUID0 = "uid0"
	// WeakScheme: an account that can log in has its password hashed
	// with a scheme today's hardware cracks (DES, BSDi DES, MD5).
	WeakScheme = "weak_scheme"
)

// WeakTypes lists the finding types.
var WeakTypes = []string{WeakDictionary, WeakEmpty, WeakUID0, WeakScheme}

// Severities of a finding (vigil.weak_password.severity).
const (
	SeverityCritical = "critical"
	SeverityHigh     = "high"
	SeverityMedium   = "medium"
)

// TargetAccount is vigil.weak_password.target of a finding about a local
// account.
const TargetAccount = "account"

// PasswordStats counts the work of a passwords scan.
type PasswordStats struct {
	// Accounts is the number of accounts in passwd.
	Accounts int `json:"accounts"`
	// Checked counts the accounts whose hash was tried against every
	// candidate, or until one matched, in this run.
	Checked int `json:"checked"`
	// Remembered counts the accounts whose result came from the state
	// file: hash and dictionary unchanged since a finished check.
	Remembered int `json:"remembered"`
	// Resumed counts the accounts whose check went on from where an
	// earlier run stopped.
	Resumed int `json:"resumed,omitempty"`
	// Pending counts the accounts whose check the time limit cut short:
	// the next run with the same state file goes on with them.
	Pending int `json:"pending,omitempty"`
	// Hashes counts the hashes computed.
	Hashes int `json:"hashes"`
	// Schemes counts the accounts by hashing scheme (locked hashes
	// included).
	Schemes map[string]int `json:"schemes,omitempty"`
	// HashesByScheme counts the hashes computed by scheme.
	HashesByScheme map[string]int `json:"hashes_by_scheme,omitempty"`
	// Words is the size of the dictionary shared by every account (the
	// built-in list and the extra lists, each word once); each account
	// adds the candidates derived from its name.
	Words int `json:"words"`
	// CPUMS is the scan's CPU time in milliseconds.
	CPUMS int64 `json:"cpu_ms"`
}
