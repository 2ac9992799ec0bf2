// Package detect is the center's detection service: it runs the rules
// (package ruleset: Sigma detection and correlation rules, compiled and
// indexed) over every event agents publish, and turns what they find
// into alerts, grouped into incidents.
//
// It reads the events stream through a durable consumer of its own
// (Consumer), apart from ingest, so that neither waits for the other.
// Workers decode batches (package eventbatch: the same checks as ingest)
// and evaluate each event; a detection becomes an alert unless an
// exception (an operator's allow-list entry, kept in the store) matches
// it. Repeats of an open alert are counted, not duplicated (the alert's
// dedup key: rule, agent and the program, file or address the event is
// about; for a correlation, its group). Each alert joins the open
// incident that shares one of its entities (package incident) within
// IncidentWindow, else the incident of its host's lost or uninstalled
// agent within IncidentWindow (store.Join.SameHost), else opens one.
//
// Correlation windows survive a restart: every Checkpoint they are
// written to the store, and only then are the messages they include
// acknowledged. After a crash the messages since the last checkpoint are
// delivered again to the windows of that checkpoint, so no match is lost
// and none is counted twice in a window; their alerts may be counted
// again on the open alerts they merge into.
package detect
