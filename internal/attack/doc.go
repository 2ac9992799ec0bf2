// Package attack is Vigil's knowledge of MITRE ATT&CK Enterprise: the
// fourteen tactics in matrix order, and the techniques and sub-techniques
// of the Linux, Containers and PRE platforms (the last being the
// Reconnaissance and Resource Development tactics), each with its English
// and Chinese name. Detection uses it to read the ATT&CK tags of Sigma rules
// (FromTags, TacticsFromTags), the API and the console to name techniques
// (Lookup) and to draw the matrix of what the rules cover and what fired
// (Matrix).
//
// Techniques that ATT&CK has revoked or deprecated and that Linux rules still
// carry are kept for lookups (Lookup, Resolve) but are left out of
// Techniques and Matrix; a revoked one counts for its replacement there.
//
// The table is generated from data/tactics.tsv and data/techniques.tsv by
// internal/gen (go generate); Version names the ATT&CK release it
// reproduces.
//
// MITRE ATT&CK® and ATT&CK® are registered trademarks of The MITRE
// Corporation. The ATT&CK content of this package is © The MITRE
// Corporation; it is reproduced and distributed with the permission of The
// MITRE Corporation under the ATT&CK terms of use
// (https://attack.mitre.org/resources/legal-and-branding/terms-of-use/). The
// Chinese names are the project's own.
package attack
