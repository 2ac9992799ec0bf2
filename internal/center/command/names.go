package command

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Errors of Exec, for the caller to tell a bad request from a failure.
var (
	// ErrUnknownCommand: the name is not one agents understand.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrInvalidArgs: a required argument is missing or empty.
	ErrInvalidArgs = errors.New("invalid command arguments")
	// ErrNoTargets: neither agent ids nor a selector, or the selector
	// matched no agent. It wraps store.ErrNotFound.
	ErrNoTargets = fmt.Errorf("no target agents: %w", store.ErrNotFound)
	// ErrTooManyTargets: more than MaxTargets agents.
	ErrTooManyTargets = errors.New("too many target agents")
)

// Limits of one request.
const (
	// MaxTargets is the most agents one request may reach.
	MaxTargets = 10_000
	// DefaultTimeout and MaxTimeout bound the wait for each agent's reply.
	DefaultTimeout = 10 * time.Second
	MaxTimeout     = 5 * time.Minute
)

// spec describes one command.
type spec struct {
	role store.Role
	// required are the arguments that must be present and non-empty.
	required []string
}

// commands are the commands agents understand.
var commands = map[string]spec{
	Ping:    {role: store.RoleAnalyst},
	Status:  {role: store.RoleAnalyst},
	Collect: {role: store.RoleResponder, required: []string{"name"}},
	// Command lines can hold secrets: not for viewers.
	Processes: {role: store.RoleAnalyst},
}

// MinRole returns the least role allowed to send the command, or "" for a
// command agents do not understand.
func MinRole(name string) store.Role {
	return commands[name].role
}

// checkCommand validates the name and the arguments.
func checkCommand(name string, args map[string]string) error {
	c, ok := commands[name]
	if !ok {
		known := slices.Sorted(maps.Keys(commands))
		return fmt.Errorf("%w %q (known: %s)", ErrUnknownCommand, name, strings.Join(known, ", "))
	}
	for _, arg := range c.required {
		if args[arg] == "" {
			return fmt.Errorf("%w: %s needs args.%s", ErrInvalidArgs, name, arg)
		}
	}
	return nil
}
