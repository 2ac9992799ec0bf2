// Package passwords is vigil-scan's passwords command: it finds the local
// accounts of a host whose password is weak, on the host, and reports
// them without the hash or the password ever leaving it.
//
//	vigil-scan passwords --root DIR [--words FILE ...] [--cpu FRACTION]
//	                     [--timeout D] [--state FILE]
//
// It reads ROOT/etc/passwd, ROOT/etc/shadow and ROOT/etc/group and writes
// one asset of kind weak-password (package protocol) per finding:
//
//   - dictionary: the password is one of the account's candidates: those
//     derived from its name and the host's, the built-in list, and the
//     lists given with --words, in that order (package words). Hashing
//     stops at the first match. The finding names the scheme, the list
//     and a masked hint ("p*****3") with the length.
//   - empty: the password field is empty; the account needs no password.
//   - uid0: an account other than root has uid 0.
//   - weak_scheme: an account that can log in, whose password is in no
//     list, has it hashed with descrypt, bsdicrypt or md5crypt.
//
// Locked hashes ("!" before them), fields no password matches ("*",
// "!!"), unknown schemes and hashes costlier than crypt.DefaultLimits are
// counted in the summary as skipped, not hashed.
//
// Hashing runs in one goroutine and is throttled to a fraction of one
// core (--cpu, default 0.25): after each hash the scan sleeps until its
// CPU time divided by the fraction has passed. With --state, a file
// (mode 0600) remembers keyed digests of each account's hash and
// dictionary, and how far the check went: an unchanged account is not
// hashed again, and a check cut short by the time limit goes on at the
// next run. Past the time limit the scan still writes what needs no
// hashing (uid 0, empty fields, results the state remembers) and counts
// the accounts left pending; its summary says it is incomplete.
package passwords

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/scan/passwords/crypt"
	"github.com/vigilsec/vigil/internal/scan/passwords/words"
	"github.com/vigilsec/vigil/internal/scan/protocol"
)

// Command is the subcommand's name, and the summary's Command.
const Command = "passwords"

// Defaults of the command's flags.
const (
	DefaultCPU     = 0.25
	DefaultTimeout = 4 * time.Minute
	// DefaultMemoryLimit is the Go memory limit when GOMEMLIMIT is not
	// set: a yescrypt hash at the default cost takes 16 MiB.
	DefaultMemoryLimit = 384 << 20
	// MaxWordFiles bounds the --words flags.
	MaxWordFiles = 16
)

// Sources of a candidate (vigil.weak_password.source).
const (
	// SourceAccount: derived from the account's name or the host's.
	SourceAccount = "account"
	// SourceBuiltin: the built-in list.
	SourceBuiltin = "builtin"
	// SourceListPrefix, followed by the file's name without its
	// extension: a list given with --words.
	SourceListPrefix = "list:"
)

// saveEvery is how often the state is written while the scan runs.
const saveEvery = 30 * time.Second

// Options bound one scan.
type Options struct {
	// Root is the host's root ("/"), or a container's or a test's tree.
	Root string
	// WordFiles are extra lists, one word per line.
	WordFiles []string
	// CPU is the fraction of one core hashing may use on average; 0 or
	// at least 1: no limit.
	CPU float64
	// Timeout bounds the scan's wall time; 0: none.
	Timeout time.Duration
	// StatePath is the state file; "": no memory between runs.
	StatePath string
	// Limits bound the cost of the hashes tried (zero:
	// crypt.DefaultLimits).
	Limits crypt.Limits
	// Logger receives warnings (a state file that cannot be used); nil
	// discards them.
	Logger *slog.Logger
}

// candidate is a word to try and the list it came from.
type candidate struct {
	word, source string
}

// scanner is one run.
type scanner struct {
	opts     Options
	w        *protocol.Writer
	sum      *protocol.Summary
	stats    *protocol.PasswordStats
	log      *slog.Logger
	st       *state // nil without a state file
	throttle *throttle
	shared   []candidate
	host     string
	lastSave time.Time
}

// Scan checks the accounts under opts.Root and writes the findings, then
// the summary, to w. An error, or a summary that is not complete, means
// the set of findings cannot be trusted.
func Scan(ctx context.Context, opts Options, w *protocol.Writer) (protocol.Summary, error) {
	start := time.Now()
	cpuStart, _ := processCPU()
	if opts.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
		defer cancel()
	}
	if opts.Limits == (crypt.Limits{}) {
		opts.Limits = crypt.DefaultLimits
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	sum := protocol.Summary{Command: Command, Complete: true, Passwords: &protocol.PasswordStats{}}
	s := &scanner{opts: opts, w: w, sum: &sum, stats: sum.Passwords, log: opts.Logger, throttle: newThrottle(opts.CPU)}
	err := s.run(ctx)
	if errors.Is(err, context.DeadlineExceeded) && opts.Timeout > 0 {
		err = nil
		sum.Incomplete(fmt.Sprintf("time limit of %s reached", opts.Timeout))
	}
	if err != nil {
		sum.Incomplete(err.Error())
	}
	if cpu, ok := processCPU(); ok {
		sum.Passwords.CPUMS = (cpu - cpuStart).Milliseconds()
	} else {
		sum.Passwords.CPUMS = s.throttle.hashWall.Milliseconds()
	}
	sum.DurationMS = time.Since(start).Milliseconds()
	sum.Assets = w.Count()
	if ferr := w.Finish(sum); ferr != nil {
		return sum, errors.Join(err, ferr)
	}
	return sum, err
}

// run reads the lists and the accounts and checks each account.
func (s *scanner) run(ctx context.Context) error {
	if err := s.loadWords(); err != nil {
		return err
	}
	db, err := readDatabase(s.opts.Root, s.sum)
	if err != nil {
		return err
	}
	s.host = db.host
	if s.opts.StatePath != "" {
		st, err := loadState(s.opts.StatePath)
		if err != nil {
			s.log.Warn("password check state not used: every account is checked again", "err", err)
		}
		s.st = st
		s.lastSave = time.Now()
	}
	present := map[string]bool{}
	var runErr error
	for _, a := range db.accounts {
		present[a.name] = true
		s.stats.Accounts++
		// Past the time limit, what needs no hashing is still
		// reported: uid 0, empty fields, remembered results.
		if err := s.check(ctx, a); err != nil && runErr == nil {
			runErr = err
		}
	}
	if s.st != nil {
		for name := range s.st.Accounts {
			if !present[name] {
				delete(s.st.Accounts, name)
			}
		}
		if err := s.st.save(s.opts.StatePath); err != nil {
			return errors.Join(runErr, err)
		}
	}
	return runErr
}

// loadWords builds the dictionary shared by every account: the built-in
// list, then the extra lists.
func (s *scanner) loadWords() error {
	if len(s.opts.WordFiles) > MaxWordFiles {
		return fmt.Errorf("%d word lists, at most %d", len(s.opts.WordFiles), MaxWordFiles)
	}
	seen := map[string]bool{}
	add := func(list []string, source string) {
		for _, w := range list {
			if !seen[w] {
				seen[w] = true
				s.shared = append(s.shared, candidate{w, source})
			}
		}
	}
	add(words.Builtin(), SourceBuiltin)
	for _, path := range s.opts.WordFiles {
		list, st, err := words.ReadFile(path)
		if err != nil {
			return err
		}
		s.sum.Skip("word_too_long", st.TooLong)
		s.sum.Skip("word_invalid", st.Invalid)
		add(list, SourceListPrefix+strings.TrimSuffix(filepath.Base(path), filepath.Ext(path)))
	}
	s.stats.Words = len(s.shared)
	return nil
}

// candidates returns an account's candidates: those derived from its
// name and the host's, then the shared ones, each word once.
func (s *scanner) candidates(user string) []candidate {
	derived := words.Derived(user, s.host)
	out := make([]candidate, 0, len(derived)+len(s.shared))
	seen := make(map[string]bool, len(derived))
	for _, w := range derived {
		seen[w] = true
		out = append(out, candidate{w, SourceAccount})
	}
	for _, c := range s.shared {
		if !seen[c.word] {
			out = append(out, c)
		}
	}
	return out
}

// check writes the findings of one account. Only the context's end is
// an error: the account's dictionary check is then left pending.
func (s *scanner) check(ctx context.Context, a account) error {
	if a.uid == 0 && a.name != "root" {
		sev := protocol.SeverityHigh
		if a.login {
			sev = protocol.SeverityCritical
		}
		s.emit(a, protocol.WeakUID0, sev, "an account other than root has uid 0: it holds root's powers under another name", nil)
	}
	if !a.inShadow {
		s.sum.Skip("no_shadow_entry", 1)
		return nil
	}
	f := crypt.ParseField(a.field)
	if f.Scheme != "" {
		if s.stats.Schemes == nil {
			s.stats.Schemes = map[string]int{}
		}
		s.stats.Schemes[f.Scheme]++
	}
	switch f.Status {
	case crypt.StatusEmpty:
		s.emit(a, protocol.WeakEmpty, severity(a), "the password field is empty: the account needs no password", nil)
		return nil
	case crypt.StatusLocked:
		s.sum.Skip("locked", 1)
		return nil
	case crypt.StatusDisabled:
		s.sum.Skip("no_password", 1)
		return nil
	case crypt.StatusInvalid:
		s.sum.Skip("invalid_hash", 1)
		return nil
	case crypt.StatusUnknown:
		if errors.Is(f.Err, crypt.ErrUnsupported) {
			s.sum.Skip("unsupported_parameters", 1)
		} else {
			s.sum.Skip("unknown_scheme", 1)
		}
		return nil
	}
	if err := f.Hash.Within(s.opts.Limits); err != nil {
		s.sum.Skip("too_costly", 1)
		return nil
	}
	m, done, err := s.dictionary(ctx, a, f.Hash)
	scheme := string(f.Hash.Scheme())
	switch {
	case m != nil:
		s.emit(a, protocol.WeakDictionary, severity(a), "the password is "+sourceText(m.Source), func(e event.Event) {
			e.Set("vigil.weak_password.scheme", scheme)
			e.Set("vigil.weak_password.source", m.Source)
			e.Set("vigil.weak_password.hint", m.Hint)
			e.Set("vigil.weak_password.length", m.Length)
		})
	case done && f.Hash.Scheme().Weak() && a.login:
		s.emit(a, protocol.WeakScheme, protocol.SeverityMedium,
			"the password is hashed with "+scheme+", which is quickly cracked once the hash leaks", func(e event.Event) {
				e.Set("vigil.weak_password.scheme", scheme)
			})
	}
	return err
}

// dictionary tries the account's candidates against its hash, from
// where the state says an earlier run stopped, and returns the match,
// if any, and whether the check is finished. A remembered result is
// returned even after the context's end.
func (s *scanner) dictionary(ctx context.Context, a account, h crypt.Hash) (*match, bool, error) {
	cands := s.candidates(a.name)
	entry := &accountState{}
	if s.st != nil {
		hd, dd := s.st.hashDigest(a.field), s.st.dictionaryDigest(cands)
		old := s.st.Accounts[a.name]
		switch {
		case old == nil || old.Hash != hd || old.Dictionary != dd || old.Tried > len(cands):
			entry.Hash, entry.Dictionary = hd, dd
			s.st.Accounts[a.name] = entry
		case old.Done:
			s.stats.Remembered++
			return old.Match, true, nil
		default:
			entry = old
			if entry.Tried > 0 {
				s.stats.Resumed++
			}
		}
	}
	scheme := string(h.Scheme())
	for i := entry.Tried; i < len(cands); i++ {
		if err := ctx.Err(); err != nil {
			s.stats.Pending++
			return nil, false, err
		}
		c := cands[i]
		start := time.Now()
		ok, err := h.Verify(c.word)
		took := time.Since(start)
		s.stats.Hashes++
		if s.stats.HashesByScheme == nil {
			s.stats.HashesByScheme = map[string]int{}
		}
		s.stats.HashesByScheme[scheme]++
		switch {
		case errors.Is(err, crypt.ErrPassword) || errors.Is(err, crypt.ErrUnsupported):
			s.sum.Skip("word_not_hashable", 1)
		case err != nil:
			// The hash itself is refused: no word will do better.
			s.sum.AddError(protocol.FileError{Path: "etc/shadow", Extractor: "crypt", Error: "account " + clipName(a.name) + ": " + err.Error()})
			return nil, false, nil
		case ok:
			m := &match{Source: c.source, Hint: hint(c.word), Length: len([]rune(c.word))}
			entry.Tried, entry.Done, entry.Match = i, true, m
			s.stats.Checked++
			return m, true, nil
		}
		entry.Tried = i + 1
		s.saveNow()
		if err := s.throttle.hashed(ctx, took); err != nil && i+1 < len(cands) {
			s.stats.Pending++
			return nil, false, err
		}
	}
	entry.Done = true
	s.stats.Checked++
	return nil, true, nil
}

// saveNow writes the state when saveEvery has passed since it was last
// written, so that a run killed before its end loses little.
func (s *scanner) saveNow() {
	if s.st == nil || time.Since(s.lastSave) < saveEvery {
		return
	}
	s.lastSave = time.Now()
	if err := s.st.save(s.opts.StatePath); err != nil {
		s.log.Warn("password check state not saved", "err", err)
	}
}

// severity of a dictionary or empty password: critical for a privileged
// account that can log in, high for any other that can, medium for one
// whose shell lets no one in.
func severity(a account) string {
	switch {
	case a.login && a.privileged:
		return protocol.SeverityCritical
	case a.login:
		return protocol.SeverityHigh
	}
	return protocol.SeverityMedium
}

// sourceText ends the reason of a dictionary finding.
func sourceText(source string) string {
	switch {
	case source == SourceAccount:
		return "derived from the account's or the host's name"
	case source == SourceBuiltin:
		return "in the built-in list of common passwords"
	}
	return "in the word list " + strings.TrimPrefix(source, SourceListPrefix)
}

// hint masks a password: its first and last characters with a star for
// each one between ("p*****3"); only stars for three characters or
// fewer.
func hint(pw string) string {
	r := []rune(pw)
	if len(r) <= 3 {
		return strings.Repeat("*", len(r))
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}

// emit writes one finding about account a.
func (s *scanner) emit(a account, typ, sev, reason string, more func(event.Event)) {
	name := strings.ToValidUTF8(a.name, "\uFFFD")
	e := event.Event{}
	e.Set("user.name", name)
	e.Set("user.id", strconv.FormatInt(a.uid, 10))
	e.Set("vigil.weak_password.target", protocol.TargetAccount)
	e.Set("vigil.weak_password.type", typ)
	e.Set("vigil.weak_password.severity", sev)
	e.Set("vigil.weak_password.reason", reason)
	e.Set("vigil.weak_password.login", a.login)
	e.Set("vigil.weak_password.privileged", a.privileged)
	if more != nil {
		more(e)
	}
	asset := event.Asset{Kind: event.AssetWeakPassword, Key: "account:" + name + ":" + typ, Name: name, Fields: e}
	if err := s.w.Asset(asset); err != nil {
		s.sum.AddError(protocol.FileError{Path: "etc/passwd", Extractor: "finding", Error: "account " + clipName(a.name) + ": " + err.Error()})
	}
}

// clipName quotes an account name for an error, at most 64 bytes.
func clipName(name string) string {
	if len(name) > 64 {
		name = name[:64]
	}
	return strconv.Quote(name)
}

// Main runs "vigil-scan passwords" with args (the flags, without the
// command) and returns its exit status (protocol.Exit*).
func Main(args []string, stdout, stderr io.Writer) int {
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fset := flag.NewFlagSet("vigil-scan "+Command, flag.ContinueOnError)
	fset.SetOutput(stderr)
	opts := Options{Logger: log}
	var files []string
	fset.StringVar(&opts.Root, "root", "/", "the host's root folder")
	fset.Func("words", "an extra word list, one word per line (repeatable)", func(v string) error {
		files = append(files, v)
		return nil
	})
	fset.Float64Var(&opts.CPU, "cpu", DefaultCPU, "the fraction of one core hashing may use on average (1: no limit)")
	fset.DurationVar(&opts.Timeout, "timeout", DefaultTimeout, "time limit")
	fset.StringVar(&opts.StatePath, "state", "", "file remembering what was checked (mode 0600)")
	if err := fset.Parse(args); err != nil {
		return protocol.ExitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "vigil-scan %s: unexpected arguments %q\n", Command, fset.Args())
		return protocol.ExitUsage
	}
	opts.WordFiles = files
	switch {
	case !(opts.CPU > 0 && opts.CPU <= 1):
		fmt.Fprintf(stderr, "vigil-scan %s: --cpu %v is not a fraction above 0 and at most 1\n", Command, opts.CPU)
		return protocol.ExitUsage
	case opts.Timeout < 0:
		fmt.Fprintf(stderr, "vigil-scan %s: --timeout must not be negative\n", Command)
		return protocol.ExitUsage
	case len(files) > MaxWordFiles:
		fmt.Fprintf(stderr, "vigil-scan %s: at most %d --words lists\n", Command, MaxWordFiles)
		return protocol.ExitUsage
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); !ok {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
	sum, err := Scan(context.Background(), opts, protocol.NewWriter(stdout))
	if err != nil {
		log.Error("scan failed", "command", Command, "err", err)
	}
	if !sum.Complete {
		if sum.Reason != "" && err == nil {
			log.Warn("scan incomplete", "command", Command, "reason", sum.Reason)
		}
		return protocol.ExitIncomplete
	}
	return protocol.ExitOK
}
