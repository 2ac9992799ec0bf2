package bus

// Identity is what an enrolled agent keeps in its data dir (identity.json,
// mode 0600) and uses to connect: its id, its NATS user credentials and the
// center's CA, pinned at enrollment.
type Identity struct {
	AgentID string `json:"agent_id"`
	// CenterURL is the HTTPS URL the agent enrolled with.
	CenterURL string `json:"center_url"`
	// NATSURLs are the bus endpoints (tls://host:port) to connect to.
	NATSURLs []string `json:"nats_urls"`
	// UserJWT is the NATS user JWT the center issued for this agent.
	UserJWT string `json:"user_jwt"`
	// UserSeed is the NKEY seed of the agent's user key. It was created on
	// the host and never left it.
	UserSeed string `json:"user_seed"`
	// CAPEM is the center's CA certificate (PEM) whose SPKI SHA-256 matched
	// the hash carried by the join token.
	CAPEM string `json:"ca_pem"`
}

// EnrollRequest is the body of POST /api/v1/enroll.
type EnrollRequest struct {
	Token     string `json:"token"`
	PublicKey string `json:"public_key"` // NKEY user public key (starts with U)
	Hostname  string `json:"hostname"`
	MachineID string `json:"machine_id,omitempty"`
	// Facts is protojson of busv1.HostFacts.
	Facts map[string]any `json:"facts,omitempty"`
}

// EnrollResponse is the answer to a successful enrollment.
type EnrollResponse struct {
	AgentID  string   `json:"agent_id"`
	UserJWT  string   `json:"user_jwt"`
	NATSURLs []string `json:"nats_urls"`
	// NATSPort is set when the center does not know the address agents reach
	// it by; the agent then uses the host of the URL it enrolled with.
	NATSPort int               `json:"nats_port,omitempty"`
	Labels   map[string]string `json:"labels,omitempty"`
}
