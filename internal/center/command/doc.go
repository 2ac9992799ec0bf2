// Package command sends commands to agents over the bus and gathers their
// answers.
//
// Exec resolves a request's targets (explicit agent ids and/or a label
// selector over the store), checks the command and its arguments, sends a
// busv1.Command to each target as a NATS request on bus.CommandSubject(id)
// with bounded concurrency and a per-agent timeout, and returns one Result
// per agent, ordered by hostname then id. An agent nobody listens for
// (not connected) fails at once with "agent offline"; one that does not
// answer in time fails with "timeout". The request's reply subject lies in
// the center's inbox (the connection's inbox prefix), which is how agents
// tell a genuine command from anything else.
//
// MinRole says which role may send each command; the API authorizes with
// it before calling Exec.
package command
