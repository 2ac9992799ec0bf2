package clikit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigilsec/vigil/internal/apiclient"
)

// usageError is a mistake on the command line; its message is followed by
// a pointer to the command's help.
type usageError struct {
	cmd string
	msg string
}

func (e *usageError) Error() string { return e.msg }

// UsageErr is a mistake on cmd's command line; Report follows its message
// with a pointer to the command's help.
func UsageErr(cmd *cobra.Command, format string, args ...any) error {
	return &usageError{cmd: cmd.CommandPath(), msg: fmt.Sprintf(format, args...)}
}

// Name is the command's path without the program name ("agents show").
func Name(cmd *cobra.Command) string {
	return strings.TrimPrefix(cmd.CommandPath(), cmd.Root().Name()+" ")
}

// Exitf returns an error that ends the run with status 1 and a message
// that needs no hint, e.g. that some agents failed a command.
func Exitf(format string, args ...any) error {
	return &exitError{msg: fmt.Sprintf(format, args...)}
}

type exitError struct{ msg string }

func (e *exitError) Error() string { return e.msg }

// Report writes err to stderr as "vigil: message — hint" and returns the
// exit status.
func (a *App) Report(err error) int {
	msg, hint := a.explain(err)
	line := "vigil: " + Clean(msg)
	if hint != "" {
		line += " — " + Clean(hint)
	}
	fmt.Fprintln(a.Env.Stderr, line)
	var ue *usageError
	if errors.As(err, &ue) {
		fmt.Fprintf(a.Env.Stderr, "Run '%s --help' for usage.\n", ue.cmd)
	}
	return 1
}

// explain returns what went wrong and, where one helps, what to do.
func (a *App) explain(err error) (msg, hint string) {
	var ae *apiclient.APIError
	var ne *apiclient.NetError
	switch {
	case errors.As(err, &ae):
		switch ae.Status {
		case http.StatusUnauthorized:
			if a.Token == "" {
				return ae.Message, "no API token given: set " + EnvToken + " or --token"
			}
			return ae.Message, "the center refused the token: check " + EnvToken + " or --token"
		case http.StatusForbidden:
			return ae.Message, "ask an admin for a token with that role"
		case http.StatusTooManyRequests:
			if ae.RetryAfter > 0 {
				return ae.Message, fmt.Sprintf("retry in %s", ae.RetryAfter)
			}
		}
		return ae.Message, ""
	case errors.As(err, &ne):
		if ne.Certificate() {
			return ne.Error(), "set " + EnvCA + " or --ca to the center's CA certificate (DATA/tls/ca.pem)"
		}
		if ne.Cause() == "connection refused" {
			return ne.Error(), "is vigil-center running? set " + EnvServer
		}
		return ne.Error(), "check " + EnvServer + " or --server"
	case errors.Is(err, context.Canceled):
		return "interrupted", ""
	}
	return err.Error(), ""
}
