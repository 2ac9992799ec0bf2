//go:build !linux

package sockdiag

// dumper cannot run here: sock_diag is a Linux interface.
type dumper struct{}

func newDumper() (*dumper, error) { return nil, ErrUnsupported }

func (*dumper) Close() error                           { return nil }
func (*dumper) dumpAll(out []Socket) ([]Socket, error) { return out, ErrUnsupported }
func (*dumper) takeStats() dumpStats                   { return dumpStats{} }
