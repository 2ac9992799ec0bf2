// Package clikit is what the vigil commands share: the App (environment,
// global flags, API client), output (JSON, tables cleaned of terminal
// control characters, relative times), parsing of k=v lists and times,
// positional-argument checks, and turning errors into a message and an
// exit status.
package clikit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/apiclient"
)

// Environment variables read for the global flags.
const (
	EnvServer = "VIGIL_SERVER"
	EnvToken  = "VIGIL_TOKEN"
	EnvCA     = "VIGIL_CA"
)

// Env is the outside world of the CLI; zero fields get the process's own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the VIGIL_* variables (os.Getenv when nil).
	Getenv func(string) string
	// Now is the clock for relative times and --since (time.Now when nil).
	Now func() time.Time
	// PollInterval is how often `events tail` asks for new events (1 s
	// when zero).
	PollInterval time.Duration
}

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = os.Stdin
	}
	if e.Stdout == nil {
		e.Stdout = os.Stdout
	}
	if e.Stderr == nil {
		e.Stderr = os.Stderr
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.PollInterval <= 0 {
		e.PollInterval = time.Second
	}
	return e
}

// App is the state the commands of one run share. The global flags are
// bound to Server, Token, CA and Output.
type App struct {
	Env    Env
	Server string
	Token  string
	CA     string
	Output string // table or json
	client *apiclient.Client
}

// NewApp returns an App for env with table output.
func NewApp(env Env) *App {
	return &App{Env: env.withDefaults(), Output: "table"}
}

// CheckOutput validates -o.
func (a *App) CheckOutput() error {
	if a.Output != "table" && a.Output != "json" {
		return fmt.Errorf("--output %q: want table or json", a.Output)
	}
	return nil
}

// API returns the client, built on first use from flags and environment.
func (a *App) API() (*apiclient.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	cfg := apiclient.Config{Server: a.Server, Token: a.Token, CAFile: a.CA}
	if cfg.Server == "" {
		cfg.Server = a.Env.Getenv(EnvServer)
	}
	if cfg.Token == "" {
		cfg.Token = a.Env.Getenv(EnvToken)
	}
	if cfg.CAFile == "" {
		cfg.CAFile = a.Env.Getenv(EnvCA)
	}
	a.Token = cfg.Token
	c, err := apiclient.New(cfg)
	if err != nil {
		return nil, err
	}
	a.client = c
	return c, nil
}

// JSON reports whether -o json was asked for.
func (a *App) JSON() bool { return a.Output == "json" }

// PrintJSON writes v indented, as every listing and show does with -o json.
func (a *App) PrintJSON(v any) error {
	enc := json.NewEncoder(a.Env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// Done reports a change: v with -o json, else the formatted line.
func (a *App) Done(v any, format string, args ...any) error {
	if a.JSON() {
		return a.PrintJSON(v)
	}
	_, err := fmt.Fprintf(a.Env.Stdout, format+"\n", args...)
	return err
}

// Confirm asks a yes/no question on stderr and reads the answer from stdin.
func (a *App) Confirm(question string) (bool, error) {
	fmt.Fprintf(a.Env.Stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(a.Env.Stdin).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("read answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}
