// Package engine compiles Sigma detection rules (parsed by package sigma)
// into an indexed matcher of Vigil's events, for the center and, later,
// the agent (it links neither the center nor storage).
//
// # Mapping
//
// Sigma field names become Vigil's ECS fields through one table
// (FieldMappings: Image is process.executable, CommandLine
// process.command_line, TargetFilename file.path, DestinationIp
// destination.ip ...); a name with a dot, and message, is an ECS field
// used as it is, so Vigil's own rules may use ECS names. Some Sigma
// fields are expressed by other fields' values (Initiated: true is
// network.direction: egress; auditd's type: EXECVE is a process exec
// event). Log sources select events by event.category, event.action,
// event.dataset and fields (LogsourceMappings): process_creation is
// process/exec, file_event is file-created, file-modified and
// file-renamed (file_create, outside Sigma's taxonomy, file-created),
// network_connection the connection events, dns_query the
// dns-query events (dns-answer when the rule names QueryResults), the
// services auth, sshd, sudo and su the authlog sensor's events, auditd
// the process exec and file events that its EXECVE, SYSCALL, CWD and PATH
// records stand for (a0..aN are process.args[N], exe
// process.executable, name file.path), product linux alone every event
// (any field but auditd's). A rule whose log source, field,
// value or modifier Vigil cannot evaluate is not loaded: New returns a
// Problem with its position and the precise reason.
//
// # Semantics
//
//   - Strings compare case-insensitively unless `cased`, folding ASCII
//     letters only (the index and the evaluation agree byte for byte);
//     `*` and `?` are wildcards, `?` one UTF-8 character.
//   - A field whose value is a list matches when any element does
//     (process.args, event.type); `all` needs every value of the rule,
//     each in any element.
//   - A field below a list of objects (process.stdio.transport,
//     process.ancestry.name) is the list of that field's values in the
//     elements that have it, as Elasticsearch reads arrays of objects: it
//     matches when any of them does, `all` needs each value in some
//     element, `exists: true` holds when one element has the field, null
//     when none has a value other than null, `neq` when none equals.
//     Lists of lists are read flat. The index scans every element.
//   - In one search map, the matches whose fields go through the same
//     list of objects (below the top level: ECS's top-level fields are
//     objects) hold for one and the same element: `process.stdio.fd: 0`
//     with `process.stdio.transport: tcp` is an element that is fd 0 and
//     tcp (bindNode). Matches in different searches are independent, so
//     two searches ask for two elements that may differ.
//   - Numbers compare numerically, whether the event holds a number, a
//     json.Number or a string holding one ("8080"); a rule's number also
//     equals the same text.
//   - null matches a missing field or a null value; `exists` checks
//     presence only; `neq` holds for a missing field.
//   - `cidr` takes IPv4 and IPv6 networks (IPv4-mapped IPv6 addresses are
//     read as IPv4); `re` uses Go's regexp (RE2: a pattern RE2 cannot
//     compile is a Problem), case-sensitive unless `i`.
//   - base64, base64offset, utf16 and windash are expanded when the rule
//     is compiled; Base64 text compares case-sensitively.
//   - Time modifiers read RFC 3339 text in UTC; `week` is the ISO week.
//   - `fieldref` compares with another field of the same event.
//   - `expand` takes its values from Options.Placeholders.
//   - Keyword searches (values without a field) are contains matches of
//     `message` and, for process events, of `process.command_line` too.
//
// # Meta filters
//
// A rule carries the meta filters that name it (sigma.Rule.Filters, as
// sigma.Set.Validate attaches them). Each is compiled for each of its
// rules under the rule's log source, with the same mapping and modifiers
// as the rule, and the rule matches only when its condition holds and the
// condition of every one of its filters holds too (`rule and (filter)`,
// as the Sigma tools apply filters: `condition: not selection` leaves out
// the events of selection). A filter whose log source does not cover the
// rule's, or that names a field the rule's log source does not map, is a
// Problem with Filter set; the rule is loaded without it. Filters take no
// part in the index: a rule's filters are evaluated only once its own
// condition held, so an event costs nothing more for the filters of rules
// it does not match, and the filters of one rule never change the verdict
// of another. Filter.Suppressed counts the matches each filter left out.
//
// EventField gives the field a rule of some log source reads for a field
// name, for the correlation rules' group-by fields.
//
// # Index
//
// Rules are grouped by the events they select; an event visits only the
// groups of its event.category. For each rule, a set of literals is
// derived from its condition, one of which every matching event must
// hold: for AND the most selective child's, for OR the union, none for
// NOT, negations, numbers, networks, presence and field references;
// regular expressions give their required literals. Per group and field,
// one Aho-Corasick automaton over ASCII-folded bytes finds all of them in
// one pass over the field's value; only the rules of the literals found,
// and the rules without literals, are evaluated. The index never changes
// a verdict (tests compare it with the evaluation of every rule), and a
// steady stream of events allocates nothing.
package engine
