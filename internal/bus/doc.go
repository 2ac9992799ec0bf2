// Package bus names everything agents, relays and the center exchange over
// NATS (subjects, stream, bucket, accounts) and holds the types of
// enrollment. Its subpackages are the two halves: server (the center's
// embedded NATS server) and client, enroll (the agent's side), jointoken
// (join tokens) and bustest (a real server for tests).
//
// # Authentication: decentralized JWT and NKEYs
//
// The bus uses NATS operator mode. The center holds an operator key, a
// system account SYS and the account VIGIL, where agents and the center's
// services live; the keys are kept in the center's data directory (mode
// 0600), so credentials survive restarts. An agent creates its own NKEY
// user key pair at enrollment and sends only the public key; the center
// answers with a user JWT for that key, signed by a signing key of VIGIL
// and named after the agent id. The server checks each connection against
// the JWT chain alone: no password or per-agent record in the server, no
// secret ever crosses the network, and the seed never leaves the host.
// Enrollment itself is pinned: the join token carries the SHA-256 of the
// center CA's public key, and the agent refuses any server whose chain
// does not hold that CA, before it sends the token's secret.
//
// We chose this over the alternatives: a shared token or password per
// agent would be a secret stored on both sides and replayable; client
// certificates would give us identity but no per-subject permissions;
// auth callout works but adds a service in the connect path (about twice
// the connect time) for what a signed JWT states once.
//
// # Permissions
//
// Each user JWT carries the agent's permissions (server.AgentPermissions):
// it may publish only under AgentPrefix(id) (heartbeat, goodbye, events);
// subscribe only to CommandSubject(id) and its own InboxPrefix(id), which
// the agent's connection uses as inbox prefix; answer a message it
// received once (command replies); and use the few JetStream API subjects
// that publishing to the events stream and watching its own PolicyKey(id)
// need. It cannot read or write other agents' subjects, its policy value,
// or any other stream. The server reports a refused publish or subscribe
// only to the offender (a permission violation), so a hostile agent sees
// errors and its targets see nothing.
//
// One thing permissions cannot bound: an agent may create a consumer on
// its own policy key and name another agent's command subject as delivery
// subject. What arrives there is that agent's own policy entry (under its
// $KV subject) and idle heartbeats (a status header, no reply); a genuine
// command is a request whose reply subject lies in CenterInboxPrefix.
// Agents therefore act only on messages that client.IsCommand accepts.
// The center's subscriptions use wildcards, which such a consumer cannot
// reach.
//
// # Revocation and liveness
//
// Deleting an agent revokes its user key: the center signs a new VIGIL
// account JWT listing the key with the current time (every JWT for the key
// issued up to that second is void), applies it in process and keeps the
// list in its data directory. The server closes the agent's connections at
// once and refuses it afterwards, across restarts. The server pings every
// client every 2 s and drops one that misses 2 pings, so a stopped or cut
// off agent shows up as a disconnect within seconds; the center learns of
// every connect and disconnect from the system account's events
// ($SYS.ACCOUNT.<VIGIL key>.CONNECT|DISCONNECT, server.WatchClients).
//
// # Subjects and storage
//
//   - vigil.agent.<id>.heartbeat  Heartbeat, plain publish
//   - vigil.agent.<id>.goodbye    Goodbye, request the center answers
//   - vigil.agent.<id>.events     EventBatch, JetStream publish into the
//     EVENTS stream (file storage, limits by age and size, 2-minute
//     de-duplication window for Nats-Msg-Id), read by the center's
//     durable consumer "ingest"
//   - vigil.cmd.<id>              Command, request from the center; the
//     agent answers with a CommandReply
//   - key agent.<id> in the key-value bucket vigil_policy (history 1):
//     the agent's AgentPolicy, which the agent watches (client.WatchPolicy)
//
// Messages are the protobuf types of api/bus/v1; the largest message the
// server accepts is 1 MiB.
package bus
