// Package agentpolicy computes the policy each agent runs and publishes it
// on the bus.
//
// An agent's effective policy is the built-in default (Default) with the
// spec of one stored policy merged over it: among the store's agent
// policies whose selector labels all match the agent's labels, the one
// with the highest priority, then the first by name. A spec is the protojson
// form of busv1.AgentPolicy; ParseSpec decodes it strictly (unknown fields
// are errors) and Validate checks its ranges.
//
// The Distributor writes each agent's effective policy, as protobuf bytes,
// to the key bus.PolicyKey(id) of the policy bucket, where the agent
// watches it. The revision it stamps on a policy combines the stored
// policy's revision with a hash of the content, so that any change an
// agent would notice gets a new revision, and an unchanged policy is not
// written again.
package agentpolicy
