// Package scan is vigil-scan: a short-lived program that lists a host's
// OS packages and language libraries with osv-scalibr's filesystem
// extractors, and checks its accounts for weak passwords (package
// passwords), and writes what it finds as JSON lines (package protocol).
// The agent's collectors run it as a child process, so that the
// extractors, the archives they open and the hashing stay out of the
// long-running agent.
//
//	vigil-scan packages  --root DIR [--timeout D] [--max-file-size N]
//	vigil-scan libraries --root DIR --path P [--path P ...] [--timeout D]
//	                     [--max-files N] [--max-file-size N] [--max-archive-bytes N]
//	vigil-scan passwords --root DIR [--words FILE ...] [--cpu FRACTION]
//	                     [--timeout D] [--state FILE]
//
// It only reads: the root, its package databases and account files, the
// given paths and word lists; the passwords command writes its state
// file.
package scan

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	scalibrlog "github.com/google/osv-scalibr/log"

	"github.com/vigilsec/vigil/internal/scan/passwords"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// Options bound one scan.
type Options struct {
	// Root is the host's root ("/"), or a container's or a test's tree.
	Root string
	// Paths are the files and folders a library scan walks, absolute as
	// seen from inside Root.
	Paths []string
	// Timeout bounds the scan's wall time.
	Timeout time.Duration
	// MaxFiles bounds the files and folders a library scan visits.
	MaxFiles int
	// MaxFileSize: larger files are not read.
	MaxFileSize int64
	// MaxArchiveBytes bounds what one Java archive and the archives
	// nested in it may unpack.
	MaxArchiveBytes int64
}

// Defaults of the command's flags.
const (
	DefaultPackagesTimeout  = 2 * time.Minute
	DefaultLibrariesTimeout = 4 * time.Minute
	DefaultMaxFiles         = 500_000
	DefaultMaxFileSize      = 512 << 20
	DefaultMaxArchiveBytes  = 512 << 20
	// DefaultMemoryLimit is the Go memory limit when GOMEMLIMIT is not
	// set.
	DefaultMemoryLimit = 384 << 20
)

// Packages lists the OS packages under opts.Root and writes them, then
// the summary, to w. The summary says whether the set can be trusted.
func Packages(ctx context.Context, opts Options, w *protocol.Writer) (protocol.Summary, error) {
	return run(ctx, "packages", opts, w, scanPackages)
}

// Libraries lists the language libraries below opts.Paths and writes
// them, then the summary, to w.
func Libraries(ctx context.Context, opts Options, w *protocol.Writer) (protocol.Summary, error) {
	return run(ctx, "libraries", opts, w, scanLibraries)
}

type scanFunc func(context.Context, Options, *protocol.Writer, *protocol.Summary) error

func run(ctx context.Context, cmd string, opts Options, w *protocol.Writer, f scanFunc) (protocol.Summary, error) {
	start := time.Now()
	ctx, cancel := deadline(ctx, opts.Timeout)
	defer cancel()
	sum := protocol.Summary{Command: cmd, Complete: true}
	err := f(ctx, opts, w, &sum)
	if err == nil && ctx.Err() != nil {
		sum.Incomplete(fmt.Sprintf("time limit of %s reached", opts.Timeout))
	}
	if err != nil {
		sum.Incomplete(err.Error())
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	sum.Assets = w.Count()
	if ferr := w.Finish(sum); ferr != nil {
		return sum, errors.Join(err, ferr)
	}
	return sum, err
}

// deadline returns ctx bounded by the scan's time limit, if any.
func deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, d)
}

// Main runs the command with args (without the program's name) and
// returns its exit status (protocol.Exit*).
func Main(args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return protocol.ExitUsage
	}
	cmd := args[0]
	if cmd == passwords.Command {
		return passwords.Main(args[1:], stdout, stderr)
	}
	fset := flag.NewFlagSet("vigil-scan "+cmd, flag.ContinueOnError)
	fset.SetOutput(stderr)
	opts := Options{}
	var paths multiFlag
	var verbose bool
	fset.StringVar(&opts.Root, "root", "/", "the host's root folder")
	fset.Int64Var(&opts.MaxFileSize, "max-file-size", DefaultMaxFileSize, "larger files are not read (bytes)")
	fset.BoolVar(&verbose, "verbose", false, "log the extractors' messages to standard error")
	var f func(context.Context, Options, *protocol.Writer) (protocol.Summary, error)
	switch cmd {
	case "packages":
		fset.DurationVar(&opts.Timeout, "timeout", DefaultPackagesTimeout, "time limit")
		f = Packages
	case "libraries":
		fset.DurationVar(&opts.Timeout, "timeout", DefaultLibrariesTimeout, "time limit")
		fset.Var(&paths, "path", "a file or folder to scan, absolute inside the root (repeatable)")
		fset.IntVar(&opts.MaxFiles, "max-files", DefaultMaxFiles, "the most files and folders visited")
		fset.Int64Var(&opts.MaxArchiveBytes, "max-archive-bytes", DefaultMaxArchiveBytes, "the most bytes one Java archive may unpack, nested archives included")
		f = Libraries
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, usage)
		return protocol.ExitOK
	default:
		fmt.Fprintf(stderr, "vigil-scan: unknown command %q\n%s\n", cmd, usage)
		return protocol.ExitUsage
	}
	if err := fset.Parse(args[1:]); err != nil {
		return protocol.ExitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil-scan %s: unexpected arguments %q\n", cmd, fset.Args())
		return protocol.ExitUsage
	}
	opts.Paths = paths
	if opts.MaxFileSize < 0 || opts.MaxFiles < 0 || opts.MaxArchiveBytes < 0 || opts.Timeout < 0 {
		fmt.Fprintf(stderr, "vigil-scan %s: limits must not be negative\n", cmd)
		return protocol.ExitUsage
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	setScalibrLogger(stderr, verbose)

	sum, err := f(context.Background(), opts, protocol.NewWriter(stdout))
	if err != nil {
		log.Error("scan failed", "command", cmd, "err", err)
	}
	if !sum.Complete {
		if sum.Reason != "" && err == nil {
			log.Warn("scan incomplete", "command", cmd, "reason", sum.Reason)
		}
		return protocol.ExitIncomplete
	}
	return protocol.ExitOK
}

const usage = `usage:
  vigil-scan packages  --root DIR [--timeout D] [--max-file-size N]
  vigil-scan libraries --root DIR --path P [--path P ...] [--timeout D]
                       [--max-files N] [--max-file-size N] [--max-archive-bytes N]
  vigil-scan passwords --root DIR [--words FILE ...] [--cpu FRACTION]
                       [--timeout D] [--state FILE]
Writes one JSON asset per line, then a summary line; exits 1 when the
result cannot be trusted, 2 on wrong arguments.`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ",") }

// Set implements flag.Value.
func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// The extractors log nothing unless Main is asked to be verbose.
func init() { scalibrlog.SetLogger(quietLogger{}) }

// setScalibrLogger routes the extractors' own log messages to standard
// error when verbose, and drops them otherwise: their failures reach the
// summary as counted file errors.
func setScalibrLogger(stderr io.Writer, verbose bool) {
	if !verbose {
		scalibrlog.SetLogger(quietLogger{})
		return
	}
	scalibrlog.SetLogger(slogLogger{slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))})
}

type quietLogger struct{}

func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Warnf(string, ...any)  {}
func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Debugf(string, ...any) {}
func (quietLogger) Error(...any)          {}
func (quietLogger) Warn(...any)           {}
func (quietLogger) Info(...any)           {}
func (quietLogger) Debug(...any)          {}

type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Errorf(f string, a ...any) { s.l.Error(fmt.Sprintf(f, a...)) }
func (s slogLogger) Warnf(f string, a ...any)  { s.l.Warn(fmt.Sprintf(f, a...)) }
func (s slogLogger) Infof(f string, a ...any)  { s.l.Info(fmt.Sprintf(f, a...)) }
func (s slogLogger) Debugf(f string, a ...any) { s.l.Debug(fmt.Sprintf(f, a...)) }
func (s slogLogger) Error(a ...any)            { s.l.Error(fmt.Sprint(a...)) }
func (s slogLogger) Warn(a ...any)             { s.l.Warn(fmt.Sprint(a...)) }
func (s slogLogger) Info(a ...any)             { s.l.Info(fmt.Sprint(a...)) }
func (s slogLogger) Debug(a ...any)            { s.l.Debug(fmt.Sprint(a...)) }
