// Package intel is the center's threat intelligence: indicators of
// compromise (addresses and networks, domains, URLs, file hashes) that
// operators import from feeds or add by hand, and the marking of events
// that hold one before the detection rules run.
//
// # Values
//
// Normalize gives every value one canonical form (addresses as net/netip
// writes them, networks masked, domains lower case in punycode, URLs with
// scheme and host lower case and without default port or fragment,
// hashes lower-case hex), so that the same indicator imported twice is
// one, and an event's value is compared with the indicators' in the same
// form. Detect finds the type of a bare value. Both accept the usual
// defanged forms ("hxxp://", "example[.]com").
//
// # Files
//
// Parse reads plain text lists, CSV with a header row, JSON arrays of
// indicators, STIX 2.1 bundles and MISP events (see Parse for text, CSV
// and JSON).
//
// STIX 2.1: the indicator objects of a bundle whose pattern_type is stix
// (or absent). A pattern is read when it is a disjunction of equality
// comparisons on ipv4-addr:value, ipv6-addr:value, domain-name:value,
// url:value, file:hashes.'MD5'|'SHA-1'|'SHA-256' (artifact:hashes too)
// and network-traffic:src_ref.value or dst_ref.value: observations
// joined by OR, comparisons joined by OR, "IN ('a', 'b')" lists. A
// pattern with AND, FOLLOWEDBY, NOT, another operator or a qualifier is
// a problem naming the indicator's id (importing a part of it would
// match more than it does); a comparison on another object path inside
// an OR is a problem, the others of the pattern are imported. revoked
// indicators and other pattern languages (sigma, yara, snort ...) are
// skipped (counted in ImportResult.Skipped; each other language named in
// one problem). valid_until becomes ExpiresAt; confidence is kept;
// labels and indicator_types become tags; description (else name) the
// description; the first external reference URL that is not ATT&CK's
// the reference; ATT&CK ids in external references of source
// mitre-attack or in kill chain phases, and those of the attack-pattern
// objects an indicator "indicates" (relationship objects), become
// techniques; the names of the malware, tools, threat actors, intrusion
// sets and campaigns it indicates become tags.
//
// MISP: the attributes of an event ({"Event": {...}}), of its objects,
// and of the events or attributes of a search response
// ({"response": [...]}). Types read: ip-src, ip-dst, ip-src|port,
// ip-dst|port (the address), domain, hostname, hostname|port, domain|ip
// (both), url, md5, sha1, sha256, filename|md5, filename|sha1,
// filename|sha256 (the hash; the file name goes into the description).
// Attributes with to_ids false, deleted ones and those of other types
// are skipped and counted in ImportResult.Skipped; the other types are
// named in one problem each, with their counts; to_ids false and deleted
// ones make no problem (they are not meant for detection). The comment
// is the description (else the event's info); the tags of the event and
// of the attribute become tags, except galaxy tags of ATT&CK
// (misp-galaxy:mitre-...) that carry technique ids, which become
// techniques; the event's threat_level_id gives the severity (1 high, 2
// medium, 3 low; 4 the default). Problems name the attribute's uuid.
//
// # Matching
//
// A Matcher holds the indicators in maps built once and read without
// locks; Service keeps the current one in step with the store
// (store.IntelStore): it rebuilds it when the store's revision moved or
// an indicator expired, and after its own imports. Service.Enrich marks
// an event with its matches (threat.enrichments in the ECS form, and
// vigil.intel.* for rules) and counts hits, written to the store every
// HitFlush.
package intel
