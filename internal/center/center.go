// Package center is vigil-center's composition root: it creates the PKI,
// opens the store, starts the embedded bus and wires ingest, agent health,
// commands, policy distribution, enrollment, the REST API and the console.
// Services live in the subpackages; nothing here has logic of its own beyond
// starting and stopping them in order.
package center

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/internal/bus"
	"github.com/vigilsec/vigil/internal/bus/server"
	"github.com/vigilsec/vigil/internal/center/agentpolicy"
	"github.com/vigilsec/vigil/internal/center/api"
	"github.com/vigilsec/vigil/internal/center/auth"
	"github.com/vigilsec/vigil/internal/center/baseline"
	"github.com/vigilsec/vigil/internal/center/command"
	"github.com/vigilsec/vigil/internal/center/compliance"
	"github.com/vigilsec/vigil/internal/center/console"
	"github.com/vigilsec/vigil/internal/center/detect"
	"github.com/vigilsec/vigil/internal/center/enroll"
	"github.com/vigilsec/vigil/internal/center/health"
	"github.com/vigilsec/vigil/internal/center/ingest"
	"github.com/vigilsec/vigil/internal/center/intel"
	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/center/notify"
	"github.com/vigilsec/vigil/internal/center/vuln"
	"github.com/vigilsec/vigil/internal/center/vuln/feed"
	"github.com/vigilsec/vigil/internal/pki"
	"github.com/vigilsec/vigil/internal/store"
	"github.com/vigilsec/vigil/internal/store/postgres"
	"github.com/vigilsec/vigil/internal/store/sqlite"
	"github.com/vigilsec/vigil/rules"
)

// Center is a running vigil-center.
type Center struct {
	cfg    Config
	log    *slog.Logger
	store  store.Store
	bus    *server.Server
	http   *http.Server
	cancel context.CancelFunc
	wg     sync.WaitGroup
	errs   chan error
}

// Run starts a center and serves until ctx is done or a service fails.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	c, err := Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-c.errs:
	}
	return errors.Join(runErr, c.Shutdown())
}

// Start brings every part up and returns once the center serves.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (_ *Center, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c := &Center{cfg: cfg, log: log, cancel: cancel, errs: make(chan error, 8)}
	defer func() {
		if err != nil {
			_ = c.Shutdown()
		}
	}()

	ca, err := pki.EnsureCA(filepath.Join(cfg.DataDir, "tls"))
	if err != nil {
		return nil, fmt.Errorf("CA: %w", err)
	}
	cert, err := ca.EnsureServerCert(filepath.Join(cfg.DataDir, "tls"), certHosts(cfg))
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	tlsConf := pki.ServerTLSConfig(cert)

	if c.store, err = openStore(ctx, cfg, log); err != nil {
		return nil, err
	}
	if shown, err := auth.Bootstrap(ctx, c.store, cfg.DataDir, cfg.AdminToken); err != nil {
		return nil, fmt.Errorf("bootstrap admin: %w", err)
	} else if shown != "" && cfg.AdminToken == "" {
		log.Info("created the first admin API token", "file", filepath.Join(cfg.DataDir, "admin.token"))
	}

	clusters, err := loadClusters(cfg.Kubeconfigs, log.With("part", "kube"))
	if err != nil {
		return nil, err
	}

	c.bus, err = server.Start(ctx, server.Config{
		Dir: filepath.Join(cfg.DataDir, "nats"), Listen: cfg.NATSAddr, TLS: tlsConf.Clone(),
		EventsMaxAge: cfg.EventRetention, EventsMaxBytes: cfg.StreamMaxBytes, Logger: log.With("part", "bus"),
	})
	if err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	js, err := jetstream.New(c.bus.Conn())
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	kv, err := js.KeyValue(ctx, bus.PolicyBucket)
	if err != nil {
		return nil, fmt.Errorf("policy bucket: %w", err)
	}

	// Notifications of new alerts, from detection and from agent health:
	// the channels of the file and those managed through the API.
	var notifyFile notify.Config
	if cfg.NotifyConfig != "" {
		if notifyFile, err = notify.LoadFile(cfg.NotifyConfig); err != nil {
			return nil, fmt.Errorf("notifications: %w", err)
		}
	}
	notifier, err := notify.NewService(ctx, notify.ServiceConfig{
		File: notifyFile, FileName: cfg.NotifyConfig, Store: c.store.NotifyChannels(),
		KeyFile: filepath.Join(cfg.DataDir, notify.KeyFileName), Logger: log.With("part", "notify"),
	})
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	c.goRun("notify", notifier.Run, runCtx)
	onAlert := notifier.NotifyAlert

	complianceSvc, err := compliance.New(ctx, compliance.Config{Store: c.store, Logger: log.With("part", "compliance")})
	if err != nil {
		return nil, err
	}
	policies := agentpolicy.New(agentpolicy.Config{KV: kv, Store: c.store, Logger: log.With("part", "policy"),
		Amend: complianceSvc.Amend})
	healthSvc := health.New(health.Config{
		Store: c.store, Conn: c.bus.Conn(), SysConn: c.bus.SysConn(), Account: c.bus.AccountKey(),
		HeartbeatTimeout: cfg.HeartbeatTimeout, IncidentWindow: cfg.IncidentWindow,
		Logger: log.With("part", "health"), OnAlert: onAlert,
	})
	ingestSvc := ingest.New(ingest.Config{JS: js, Events: c.store.Events(), Logger: log.With("part", "ingest")})
	commands := command.New(command.Config{Conn: c.bus.Conn(), Store: c.store, Logger: log.With("part", "command")})
	var vulnSources feed.Config
	if cfg.VulnSources != "" {
		if vulnSources, err = feed.LoadFile(cfg.VulnSources); err != nil {
			return nil, err
		}
	}
	vulnTmp := filepath.Join(cfg.DataDir, "vulndb-tmp")
	if err := resetFolder(vulnTmp); err != nil {
		return nil, err
	}
	vulnSvc, err := vuln.New(vuln.Config{Store: c.store, Sources: vulnSources, TempDir: vulnTmp, Logger: log.With("part", "vuln")})
	if err != nil {
		return nil, err
	}
	c.goRun("vuln", vulnSvc.Run, runCtx)
	inventorySvc := inventory.New(inventory.Config{Conn: c.bus.Conn(), Store: c.store, Logger: log.With("part", "inventory"),
		OnChange: func(agentID, collector string) {
			vulnSvc.InventoryChanged(agentID, collector)
			complianceSvc.InventoryChanged(agentID, collector)
		}})

	rulesMgr, err := detect.NewRules(ctx, rules.FS(), c.store.Rules(), log.With("part", "rules"))
	if err != nil {
		return nil, err
	}
	// Threat intelligence and the login baseline mark the events before
	// the rules see them.
	intelSvc := intel.New(intel.Config{Store: c.store.Intel(), Logger: log.With("part", "intel")})
	if err := intelSvc.Load(ctx); err != nil {
		return nil, fmt.Errorf("threat intelligence: %w", err)
	}
	c.goRun("intel", intelSvc.Run, runCtx)
	zone := time.Local
	if cfg.BaselineTimeZone != "" {
		if zone, err = time.LoadLocation(cfg.BaselineTimeZone); err != nil {
			return nil, fmt.Errorf("baseline time zone: %w", err)
		}
	}
	baselineSvc := baseline.New(baseline.Config{Store: c.store.Baselines(), Location: zone,
		LearningPeriod: cfg.LoginLearning, MinLogins: cfg.LoginMinLogins, Logger: log.With("part", "baseline")})
	if err := baselineSvc.Load(ctx); err != nil {
		return nil, fmt.Errorf("login baselines: %w", err)
	}
	detectSvc := detect.New(detect.Config{
		JS: js, Store: c.store, Rules: rulesMgr, Notifier: notifier, IncidentWindow: cfg.IncidentWindow,
		Intel: intelSvc, Baseline: baselineSvc, Logger: log.With("part", "detect"),
	})

	c.goRun("health", func(ctx context.Context) error { return healthSvc.Run(ctx) }, runCtx)
	c.goRun("detect", detectSvc.Run, runCtx)
	c.goRun("ingest", func(ctx context.Context) error { return ingestSvc.Run(ctx) }, runCtx)
	c.goRun("inventory", func(ctx context.Context) error { return inventorySvc.Run(ctx) }, runCtx)
	c.goRun("clusters", func(ctx context.Context) error {
		return inventory.RunClusters(ctx, c.store.Inventory(), clusters, cfg.ClusterInterval, log.With("part", "kube"))
	}, runCtx)
	if cfg.EventRetention > 0 {
		c.goRun("retention", func(ctx context.Context) error {
			return ingest.RunRetention(ctx, "events", c.store.Events().DeleteBefore, cfg.EventRetention)
		}, runCtx)
	}
	if cfg.AssetHistoryRetention > 0 {
		c.goRun("asset history retention", func(ctx context.Context) error {
			return ingest.RunRetention(ctx, "asset changes", c.store.Inventory().DeleteChangesBefore, cfg.AssetHistoryRetention)
		}, runCtx)
	}
	c.goRun("policy", func(ctx context.Context) error { return policies.PublishAll(ctx) }, runCtx)

	_, natsPort, _ := net.SplitHostPort(cfg.NATSAddr)
	port, _ := strconv.Atoi(natsPort)
	if port == 0 {
		port = c.bus.Port()
	}
	handler := api.New(api.Config{
		Store:    c.store,
		Commands: commands,
		Revoker:  revoker{bus: c.bus},
		Policies: policies,
		Enroll: enroll.New(enroll.Config{
			Store: c.store, Issuer: c.bus, CAHash: ca.Hash(), NATSURLs: natsURLs(cfg.Advertise, port),
			NATSPort: port, Policies: policies, Logger: log.With("part", "enroll"),
		}),
		Console:    console.Handler(),
		CAHash:     ca.Hash(),
		Metrics:    newMetrics(healthSvc, ingestSvc),
		Detection:  detectSvc,
		Vulns:      vulnSvc,
		Compliance: complianceSvc,
		Notify:     notifier,
		Intel:      intelSvc,
		Baselines:  baselineSvc,
		Logger:     log.With("part", "api"),
	})

	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	c.http = &http.Server{
		Handler: handler, TLSConfig: tlsConf, ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := c.http.ServeTLS(ln, "", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
			c.errs <- fmt.Errorf("https: %w", err)
		}
	}()
	log.Info("vigil-center started", "https", ln.Addr().String(), "nats", c.bus.ClientURL(), "data", cfg.DataDir)
	return c, nil
}

// goRun runs a service until the center stops; a service that fails stops
// the center, since a center without ingest or health is not a center.
func (c *Center) goRun(name string, run func(context.Context) error, ctx context.Context) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		if err := run(ctx); err != nil && ctx.Err() == nil {
			c.errs <- fmt.Errorf("%s: %w", name, err)
		}
	}()
}

// Shutdown stops the HTTP server, the services, the bus and the store, in
// that order, so that in-flight ingest commits before the bus goes away.
func (c *Center) Shutdown() error {
	var errs []error
	if c.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errs = append(errs, c.http.Shutdown(ctx))
		cancel()
	}
	c.cancel()
	c.wg.Wait()
	if c.bus != nil {
		c.bus.Shutdown()
	}
	if c.store != nil {
		errs = append(errs, c.store.Close())
	}
	return errors.Join(errs...)
}

func openStore(ctx context.Context, cfg Config, log *slog.Logger) (store.Store, error) {
	if cfg.StoreDSN != "" {
		st, err := postgres.Open(ctx, cfg.StoreDSN, postgres.Options{Logger: log.With("part", "store")})
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return st, nil
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "vigil.db"), sqlite.Options{Logger: log.With("part", "store")})
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return st, nil
}

// certHosts are the names the server certificate must carry.
func certHosts(cfg Config) []string {
	hosts := append([]string(nil), cfg.Advertise...)
	for _, addr := range []string{cfg.HTTPAddr, cfg.NATSAddr} {
		if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

// natsURLs are the bus URLs given to enrolling agents; empty when no names
// are advertised (agents then use the host of the URL they enrolled with).
func natsURLs(advertise []string, port int) []string {
	var urls []string
	for _, h := range advertise {
		urls = append(urls, "tls://"+net.JoinHostPort(h, strconv.Itoa(port)))
	}
	return urls
}

// revoker disconnects a deleted agent at once and refuses it from then on.
type revoker struct{ bus *server.Server }

func (r revoker) RevokeAgent(_ context.Context, a store.Agent) error {
	if a.UserKey == "" {
		return nil
	}
	return r.bus.Revoke(a.UserKey)
}

var _ api.AgentRevoker = revoker{}

// ResetAdmin creates a new admin API token in the center's store (the value
// of cfg.AdminToken, or a random one written to DATA/admin.token) for when no
// admin can sign in. Run it while the center is stopped.
func ResetAdmin(ctx context.Context, cfg Config, log *slog.Logger) error {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := auth.ResetAdmin(ctx, st, cfg.DataDir, cfg.AdminToken); err != nil {
		return fmt.Errorf("reset admin: %w", err)
	}
	if cfg.AdminToken == "" {
		log.Info("new admin API token written", "file", filepath.Join(cfg.DataDir, "admin.token"))
	} else {
		log.Info("admin API token set from VIGIL_ADMIN_TOKEN")
	}
	return nil
}

// resetFolder empties a folder of leftovers (downloads an earlier run
// left when it stopped) and creates it, private to the center.
func resetFolder(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}
