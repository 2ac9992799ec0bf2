// Package vuln is the center's vulnerability service: it keeps the
// vulnerability database (OSV advisories imported from files or synced
// from the configured sources, and the catalogue of known exploited
// vulnerabilities), matches every host's OS packages and language
// libraries against it with each ecosystem's version rules, and stores
// the findings, re-matching the fleet when the database changes and a
// host when its inventory does. From the findings it derives the
// upgrades that fix them (HostPatches, FleetPatches), and from the
// process inventory whether a vulnerable program runs and listens.
package vuln
