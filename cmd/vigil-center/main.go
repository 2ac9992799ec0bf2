// Command vigil-center runs the Vigil security operations center: the
// embedded NATS bus, ingest, agent health, commands, REST API and console.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // notification time zones on hosts without a zone database

	"github.com/vigilsec/vigil/internal/center"
	"github.com/vigilsec/vigil/internal/version"
)

func main() {
	cfg := center.DefaultConfig()
	if err := cfg.ApplyEnv(os.Getenv); err != nil {
		fatal(err)
	}
	flag.StringVar(&cfg.DataDir, "data", cfg.DataDir, "data directory (VIGIL_DATA)")
	flag.StringVar(&cfg.HTTPAddr, "http", cfg.HTTPAddr, "HTTPS address of the API and console (VIGIL_HTTP)")
	flag.StringVar(&cfg.NATSAddr, "nats", cfg.NATSAddr, "address agents connect to (VIGIL_NATS)")
	flag.StringVar(&cfg.StoreDSN, "store", cfg.StoreDSN, "postgres:// URL, or empty for SQLite in the data dir (VIGIL_STORE)")
	flag.DurationVar(&cfg.EventRetention, "event-retention", cfg.EventRetention, "how long events are kept, 0 for ever (VIGIL_EVENT_RETENTION)")
	flag.DurationVar(&cfg.AssetHistoryRetention, "asset-history-retention", cfg.AssetHistoryRetention, "how long the inventory's history of changes is kept, 0 for ever (VIGIL_ASSET_HISTORY_RETENTION)")
	kubeconfigs := flag.String("kubeconfig", strings.Join(cfg.Kubeconfigs, ","), "comma-separated kubeconfig files of the Kubernetes clusters to take the inventory of, each PATH or NAME=PATH (VIGIL_KUBECONFIG)")
	flag.DurationVar(&cfg.ClusterInterval, "cluster-interval", cfg.ClusterInterval, "time between two inventories of each Kubernetes cluster")
	flag.DurationVar(&cfg.IncidentWindow, "incident-window", cfg.IncidentWindow, "how long after an incident was last seen a related alert still joins it (VIGIL_INCIDENT_WINDOW)")
	flag.DurationVar(&cfg.LoginLearning, "login-learning", cfg.LoginLearning, "how long the login baseline learns a user's logins on a host before it judges them (VIGIL_LOGIN_LEARNING)")
	flag.IntVar(&cfg.LoginMinLogins, "login-min-logins", cfg.LoginMinLogins, "how many logins of a user on a host the login baseline learns before it judges them (VIGIL_LOGIN_MIN_LOGINS)")
	flag.StringVar(&cfg.BaselineTimeZone, "baseline-tz", cfg.BaselineTimeZone, "time zone of the login baseline's hours of the day, e.g. Asia/Shanghai; empty for local time (VIGIL_BASELINE_TZ)")
	flag.StringVar(&cfg.VulnSources, "vulndb-sources", cfg.VulnSources, "YAML file of the vulnerability database's sources: osv.dev exports, a mirror, a local folder (VIGIL_VULNDB_SOURCES)")
	flag.StringVar(&cfg.NotifyConfig, "notify-config", cfg.NotifyConfig, "YAML file of the alert notification channels (webhook, syslog, e-mail, DingTalk, WeCom, Feishu) (VIGIL_NOTIFY_CONFIG)")
	advertise := flag.String("advertise", strings.Join(cfg.Advertise, ","), "comma-separated names or addresses agents reach this center by (VIGIL_ADVERTISE)")
	logLevel := flag.String("log-level", "info", "debug, info, warn or error")
	showVersion := flag.Bool("version", false, "print the version and exit")
	resetAdmin := flag.Bool("reset-admin", false, "create a new admin API token (VIGIL_ADMIN_TOKEN or DATA/admin.token) and exit; run it while the center is stopped")
	flag.Parse()
	if *showVersion {
		fmt.Println(version.Version)
		return
	}
	cfg.Advertise = center.SplitList(*advertise)
	cfg.Kubeconfigs = center.SplitList(*kubeconfigs)

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fatal(fmt.Errorf("--log-level: %w", err))
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if *resetAdmin {
		if err := center.ResetAdmin(ctx, cfg, log); err != nil {
			fatal(err)
		}
		return
	}
	if err := center.Run(ctx, cfg, log); err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "vigil-center:", err)
	os.Exit(1)
}
