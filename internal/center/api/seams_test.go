package api

import (
	busserver "github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/center/agentpolicy"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/enroll"
)

// The center's real services fit the seams the API and enrollment use.
var (
	_ Commander       = (*command.Service)(nil)
	_ PolicyPublisher = (*agentpolicy.Distributor)(nil)
	_ Detection       = (*detect.Service)(nil)
	_ enroll.Issuer   = (*busserver.Server)(nil)
)
