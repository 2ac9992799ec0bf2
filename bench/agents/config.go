package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// config is what the command line asks for.
type config struct {
	center      string
	token       string
	ca          string
	centerPID   int
	startCenter bool
	centerBin   string
	keepData    bool

	agents      int
	prefix      string
	heartbeat   time.Duration
	enrollConc  int
	connectConc int
	kill        int
	window      time.Duration
	cleanup     bool
	force       bool

	onlineTimeout time.Duration
	detectTimeout time.Duration
	output        string
}

// parseConfig reads flags, with VIGIL_SERVER, VIGIL_TOKEN and VIGIL_CA as
// defaults, and checks them.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{}
	fs := flag.NewFlagSet("agents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: agents [flags]\n\nSimulates many agents against one vigil-center and prints figures.\n\nflags:")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.center, "center", orDefault(getenv("VIGIL_SERVER"), "https://127.0.0.1:8443"), "center URL (VIGIL_SERVER)")
	fs.StringVar(&c.token, "token", getenv("VIGIL_TOKEN"), "admin API token (VIGIL_TOKEN)")
	fs.StringVar(&c.ca, "ca", getenv("VIGIL_CA"), "CA certificate of the center, PEM (VIGIL_CA)")
	fs.IntVar(&c.centerPID, "center-pid", 0, "process id of the center, to read its memory and CPU use from /proc")
	fs.BoolVar(&c.startCenter, "start-center", false, "start bin/vigil-center on a temporary data dir and free loopback ports, and stop it at the end")
	fs.StringVar(&c.centerBin, "center-bin", "bin/vigil-center", "vigil-center binary for --start-center")
	fs.BoolVar(&c.keepData, "keep-data", false, "with --start-center: keep the data dir and the center's log")
	fs.IntVar(&c.agents, "agents", 1000, "number of simulated agents")
	fs.StringVar(&c.prefix, "prefix", "sim", "host name prefix of the simulated agents (prefix-00001 ...)")
	fs.DurationVar(&c.heartbeat, "heartbeat", 5*time.Second, "heartbeat interval of each agent")
	fs.IntVar(&c.enrollConc, "enroll-concurrency", 32, "enrollments in flight")
	fs.IntVar(&c.connectConc, "connect-concurrency", 32, "bus connects in flight")
	fs.IntVar(&c.kill, "kill", 20, "agents taken down for the offline detection, per kind (killed and silent)")
	fs.DurationVar(&c.window, "window", 30*time.Second, "length of each steady measurement of the center's memory and CPU")
	fs.BoolVar(&c.cleanup, "cleanup", true, "on an existing center: delete the simulated agents at the end")
	fs.BoolVar(&c.force, "force", false, "run even when the open-file limit is too low for --agents")
	fs.DurationVar(&c.onlineTimeout, "online-timeout", 5*time.Minute, "longest wait for every agent to be online")
	fs.DurationVar(&c.detectTimeout, "detect-timeout", 3*time.Minute, "longest wait for a taken-down agent to be lost")
	fs.StringVar(&c.output, "o", "text", "output: text or json")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	return c, c.validate()
}

// validate says what is wrong, all at once.
func (c config) validate() error {
	var errs []error
	if c.agents < 1 {
		errs = append(errs, errors.New("--agents: at least 1"))
	}
	if c.heartbeat < 100*time.Millisecond {
		errs = append(errs, errors.New("--heartbeat: at least 100ms"))
	}
	if c.enrollConc < 1 || c.connectConc < 1 {
		errs = append(errs, errors.New("--enroll-concurrency and --connect-concurrency: at least 1"))
	}
	if c.kill < 0 || 2*c.kill > c.agents {
		errs = append(errs, fmt.Errorf("--kill %d: from 0 to half of --agents (%d)", c.kill, c.agents/2))
	}
	if c.window < 2*time.Second {
		errs = append(errs, errors.New("--window: at least 2s"))
	}
	if c.output != "text" && c.output != "json" {
		errs = append(errs, fmt.Errorf("-o %q: want text or json", c.output))
	}
	if !c.startCenter && c.token == "" {
		errs = append(errs, errors.New("--token (or VIGIL_TOKEN): an admin API token is needed, or use --start-center"))
	}
	if c.startCenter && c.centerPID != 0 {
		errs = append(errs, errors.New("--center-pid: not with --start-center, which knows the pid"))
	}
	return errors.Join(errs...)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
