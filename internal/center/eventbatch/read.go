package eventbatch

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
)

// readRetry paces reads after an error of the consumer.
const readRetry = 200 * time.Millisecond

// Read hands the messages of a consumer of the events stream to out
// until the iterator is stopped (nil) or the connection is closed for
// good (an error); other errors are logged under the reader's name and
// retried after a pause. It closes out when it returns.
func Read(it jetstream.MessagesContext, out chan<- jetstream.Msg, log *slog.Logger, name string) error {
	defer close(out)
	for {
		m, err := it.Next()
		if errors.Is(err, jetstream.ErrMsgIteratorClosed) {
			return nil
		}
		if errors.Is(err, nats.ErrConnectionClosed) {
			it.Stop()
			return fmt.Errorf("read %s: %w", bus.EventsStream, err)
		}
		if err != nil {
			log.Warn(name+": read", "err", err)
			time.Sleep(readRetry)
			continue
		}
		out <- m
	}
}
