// Package vuln is the root of the center's vulnerability database: the
// parts that read advisories and match a host's packages against them.
//
//   - osv reads OSV records (single files, folders, the per-ecosystem zip
//     exports) and CISA's Known Exploited Vulnerabilities catalog, and
//     rates an advisory's severity from its CVSS vectors or the textual
//     ratings the feeds carry.
//   - ecosystem maps a host's operating system and package types to the
//     OSV ecosystems their advisories use, decides which advisory
//     ecosystems apply to a host, normalizes package names and parses and
//     compares versions per ecosystem.
//   - match compiles records into a compact in-memory index and matches
//     packages against it.
//
// An OS package is matched only against the advisories of its own
// distribution release, by source package where the distribution keys its
// advisories that way, so backported fixes are honoured; language
// libraries are matched against their package registry's advisories.
package vuln
