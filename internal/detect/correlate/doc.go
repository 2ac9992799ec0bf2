// Package correlate is the correlation engine of Vigil's detection: it
// runs Sigma correlation rules (event_count, value_count, temporal,
// temporal_ordered) over the matches of base rules, in event time.
//
// The caller parses the rules and maps each correlation onto a Spec; New
// builds an Engine for them. For every event a base rule matches, the
// caller calls Observe with the rule's id and name, the event and its
// time; Observe returns the hits the match completes. Flush, called
// periodically with the current time, closes windows and forgets idle
// groups. Snapshot and Restore carry the state across a restart.
//
// # Groups and counts
//
// A correlation keeps one group per combination of its group-by values.
// A group-by entry names an event field (an ECS path such as source.ip),
// or an alias that names, for each referenced rule, the field to read in
// that rule's events; without group-by all matches share one group. The
// engine reads fields as they are named: a caller whose rules name Sigma
// fields (User, SourceIp) gives, as aliases, the field each referenced
// rule's log source maps them to (package ruleset does). A match whose event lacks a group-by field (or the
// value_count field) is not counted (Counts.Missing). Within a group:
//
//   - event_count counts the matches;
//   - value_count counts the distinct values of Condition.Field;
//   - temporal counts the distinct rules that matched (by default all
//     must: gte the number of rules);
//   - temporal_ordered counts the rules matched in the listed order, the
//     longest prefix of the list (by default the whole list). Matches with
//     equal timestamps count as being in the listed order, since log times
//     often have one-second precision.
//
// # Windows
//
// Windows slide over event time: a hit is a set of matches of one group
// whose times lie within Timespan of each other (first to last), not a
// fixed calendar bucket.
//
// A condition made only of gt and gte is checked on every match: the
// count can only reach it as matches arrive, so the hit comes as soon as
// a window holds enough. A condition with lt, lte, eq or neq ("fewer than
// 3 successes") is checked when the window closes, since a later match
// could still change it: a group's window opens at its first match and
// spans Timespan from there, and Flush closes it once now is past its end
// by AllowedLateness. Only groups that saw at least one match are
// checked, as a query grouping by the fields would. Flush compares
// event times with the clock it is given: when old events are replayed
// (an agent's spool after an outage) a window may close before all of
// its events arrive.
//
// # Late events
//
// Matches may arrive out of order. A match older than the newest match of
// its group by at most AllowedLateness is put in its place and counted; an
// older one is ignored (Counts.Late). Events dated further ahead of the
// engine's clock than FutureTolerance are refused (Stats.Future).
//
// # Re-arming
//
// A hit consumes its events: the group drops every match up to the hit's
// last event and from then on ignores matches dated before it, so the
// same window never fires twice and the next hit needs a full new count
// (after 10 failures fired "gte 10", the 11th does not fire; the 20th
// does). A window checked at close is consumed when it closes, hit or
// not; the matches after its end open the next window.
//
// # Chains
//
// A correlation may reference another correlation by its ID or Name. Each
// hit of the inner one is then a match for the outer one, dated at the
// hit's last event, carrying the inner group-by values under the inner
// group-by names and listing the inner events' ids. Hits of a correlation
// that others consume are marked Intermediate unless one of those sets
// Generate; Engine.Standalone tells the same for base rules.
//
// # Memory
//
// Each correlation keeps at most Options.MaxGroups groups (the least
// recently matched is evicted) and each group at most Options.MaxEntries
// matches (the oldest is evicted; for the temporal types the oldest of
// the rule with the most matches). Evictions are counted. A correlation
// whose condition needs more matches than a group keeps is refused by
// New. value_count counts the distinct values among the matches a group
// keeps. For a window checked at close whose matches were evicted, the
// count is only a lower bound: it fires only if every larger count would
// (Counts.Inexact). Flush forgets groups whose newest match is older than
// Timespan plus AllowedLateness, and groups whose last window closed. A
// match costs about 70 bytes plus its
// strings; the worst case is MaxGroups x MaxEntries matches per
// correlation.
//
// # Snapshots
//
// Snapshot writes the state as JSON lines (a header listing the
// correlations by key and definition hash, one line per group, an end
// line with the number of groups); the format is described in
// snapshot.go and versioned. Restore keeps the state of the correlations
// whose key and definition (type, rules, group-by, timespan, condition,
// aliases) are unchanged and drops the rest. A corrupt or truncated
// snapshot is an error wrapping ErrCorruptSnapshot and leaves no state.
package correlate
