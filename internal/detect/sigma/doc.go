// Package sigma parses Sigma detection rules, correlation rules and meta
// filters (the YAML formats of the Sigma specification) into a typed
// syntax tree in which every node knows its file, line and column.
//
// The parser keeps the meaning of Sigma unchanged: search identifiers
// made of maps (AND of field matches), lists of maps (OR) and keyword
// lists (field-less, OR; AND with `|all`); values that are strings with
// Sigma's wildcards (`*`, `?`, escaped as `\*`, `\?` and `\\`), numbers,
// booleans or null; every value modifier of the specification, validated
// and parsed into a structured form (Modifiers); the condition language
// (and, or, not, parentheses, `1 of`/`all of` patterns and `them`) with
// its precedence; several documents per file, including the older rule
// collections (`action: global`, `reset`, `repeat`).
//
// It does not evaluate anything: package engine compiles parsed rules
// into a matcher of Vigil's events, and correlation rules are evaluated
// elsewhere. Set.Validate checks what only a whole set shows (ids,
// correlation references) and attaches each meta filter to the detection
// rules it names by id, name or title (Rule.Filters). Errors never stop the parse of other documents or files:
// each one is an *Error with its position and the rule it belongs to.
package sigma
