package bus

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
)

// ErrRefused is returned by ReplyError for a reply carrying ErrorHeader.
var ErrRefused = errors.New("the center could not act on the request")

// ReplyError returns an error wrapping ErrRefused when the reply carries
// ErrorHeader, and nil otherwise.
func ReplyError(m *nats.Msg) error {
	if m == nil || m.Header == nil {
		return nil
	}
	if why := m.Header.Get(ErrorHeader); why != "" {
		return fmt.Errorf("%w: %s", ErrRefused, why)
	}
	return nil
}
