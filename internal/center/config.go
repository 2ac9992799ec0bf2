package center

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// Config is everything vigil-center needs to start. Defaults come from
// DefaultConfig, then VIGIL_* environment variables (ApplyEnv), then flags.
type Config struct {
	// DataDir holds the CA and certificates (tls/), the bus keys and
	// JetStream store (nats/), the SQLite database, admin.token and
	// notify.key (the key sealing the secrets of notification channels).
	DataDir string
	// HTTPAddr is where the HTTPS API and console listen.
	HTTPAddr string
	// NATSAddr is where agents and relays connect (TLS).
	NATSAddr string
	// Advertise are the host names or addresses agents reach this center
	// by; they go into the server certificate and the enrollment answer.
	Advertise []string
	// StoreDSN selects storage: empty for SQLite in DataDir, or a
	// postgres:// URL.
	StoreDSN string
	// EventRetention is how long events are kept (0: forever).
	EventRetention time.Duration
	// AssetHistoryRetention is how long the inventory's history of
	// changes is kept (0: forever).
	AssetHistoryRetention time.Duration
	// Kubeconfigs are the kubeconfig files of the Kubernetes clusters the
	// center takes the inventory of, each "PATH" (the cluster is named
	// after its current context's cluster) or "NAME=PATH".
	Kubeconfigs []string
	// ClusterInterval is the time between two inventories of a cluster.
	ClusterInterval time.Duration
	// StreamMaxBytes bounds the bus's event stream on disk.
	StreamMaxBytes int64
	// AdminToken, when set on first start, becomes the admin API token.
	AdminToken string
	// HeartbeatTimeout marks an online agent lost when nothing was heard of
	// it for this long and it has no live connection.
	HeartbeatTimeout time.Duration
	// IncidentWindow is how long after an incident was last seen an alert
	// sharing one of its entities, or an agent's lost or uninstalled alert
	// on one of its hosts, still joins it.
	IncidentWindow time.Duration
	// NotifyConfig is the YAML file of the notification channels (package
	// notify); empty for none.
	NotifyConfig string
	// VulnSources is the YAML file of the vulnerability database's
	// sources (package vuln/feed); empty for a database fed by imports
	// only.
	VulnSources string
	// LoginLearning is how long the login baseline learns a user's logins
	// on a host before it judges them; LoginMinLogins how many it must
	// have learned too.
	LoginLearning  time.Duration
	LoginMinLogins int
	// BaselineTimeZone names the time zone of the login baseline's hours
	// of the day (an IANA name such as Asia/Shanghai); empty for the
	// center's local time.
	BaselineTimeZone string
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:               "/var/lib/vigil-center",
		HTTPAddr:              "0.0.0.0:8443",
		NATSAddr:              "0.0.0.0:4222",
		EventRetention:        30 * 24 * time.Hour,
		AssetHistoryRetention: 400 * 24 * time.Hour,
		ClusterInterval:       10 * time.Minute,
		StreamMaxBytes:        8 << 30,
		HeartbeatTimeout:      20 * time.Second,
		IncidentWindow:        2 * time.Hour,
		LoginLearning:         14 * 24 * time.Hour,
		LoginMinLogins:        10,
	}
}

// ApplyEnv overrides fields from VIGIL_* environment variables.
func (c *Config) ApplyEnv(getenv func(string) string) error {
	str := func(name string, dst *string) {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	str("VIGIL_DATA", &c.DataDir)
	str("VIGIL_HTTP", &c.HTTPAddr)
	str("VIGIL_NATS", &c.NATSAddr)
	str("VIGIL_STORE", &c.StoreDSN)
	str("VIGIL_ADMIN_TOKEN", &c.AdminToken)
	str("VIGIL_NOTIFY_CONFIG", &c.NotifyConfig)
	str("VIGIL_VULNDB_SOURCES", &c.VulnSources)
	if v := getenv("VIGIL_ADVERTISE"); v != "" {
		c.Advertise = SplitList(v)
	}
	if v := getenv("VIGIL_KUBECONFIG"); v != "" {
		c.Kubeconfigs = SplitList(v)
	}
	if v := getenv("VIGIL_EVENT_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("VIGIL_EVENT_RETENTION: %w", err)
		}
		c.EventRetention = d
	}
	if v := getenv("VIGIL_ASSET_HISTORY_RETENTION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("VIGIL_ASSET_HISTORY_RETENTION: %w", err)
		}
		c.AssetHistoryRetention = d
	}
	if v := getenv("VIGIL_INCIDENT_WINDOW"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("VIGIL_INCIDENT_WINDOW: %w", err)
		}
		c.IncidentWindow = d
	}
	str("VIGIL_BASELINE_TZ", &c.BaselineTimeZone)
	if v := getenv("VIGIL_LOGIN_LEARNING"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("VIGIL_LOGIN_LEARNING: %w", err)
		}
		c.LoginLearning = d
	}
	if v := getenv("VIGIL_LOGIN_MIN_LOGINS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("VIGIL_LOGIN_MIN_LOGINS: %w", err)
		}
		c.LoginMinLogins = n
	}
	if v := getenv("VIGIL_STREAM_MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("VIGIL_STREAM_MAX_BYTES: %w", err)
		}
		c.StreamMaxBytes = n
	}
	return nil
}

// Validate says what is wrong with the configuration, all at once.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir: must be set"))
	}
	for name, addr := range map[string]string{"http address": c.HTTPAddr, "nats address": c.NATSAddr} {
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", name, addr, err))
		} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: bad port", name, addr))
		}
	}
	if c.StoreDSN != "" && !strings.HasPrefix(c.StoreDSN, "postgres://") && !strings.HasPrefix(c.StoreDSN, "postgresql://") {
		errs = append(errs, fmt.Errorf("store %q: want empty (SQLite) or a postgres:// URL", redactDSN(c.StoreDSN)))
	}
	if c.EventRetention < 0 {
		errs = append(errs, errors.New("event retention: must not be negative"))
	}
	if len(c.Kubeconfigs) > 0 && c.ClusterInterval < time.Minute {
		errs = append(errs, errors.New("cluster interval: at least 1m"))
	}
	if c.AssetHistoryRetention < 0 {
		errs = append(errs, errors.New("asset history retention: must not be negative"))
	}
	if c.HeartbeatTimeout < 5*time.Second {
		errs = append(errs, errors.New("heartbeat timeout: at least 5s"))
	}
	if c.IncidentWindow < time.Minute || c.IncidentWindow > 30*24*time.Hour {
		errs = append(errs, errors.New("incident window: between 1m and 720h"))
	}
	if c.LoginLearning < time.Second || c.LoginLearning > 366*24*time.Hour {
		errs = append(errs, errors.New("login learning: between 1s and 8784h"))
	}
	if c.LoginMinLogins < 1 || c.LoginMinLogins > 100_000 {
		errs = append(errs, errors.New("login min logins: between 1 and 100000"))
	}
	if c.BaselineTimeZone != "" {
		if _, err := time.LoadLocation(c.BaselineTimeZone); err != nil {
			errs = append(errs, fmt.Errorf("baseline time zone %q: %w", c.BaselineTimeZone, err))
		}
	}
	return errors.Join(errs...)
}

// SplitList splits a comma-separated list, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// redactDSN hides a password in a connection string.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return dsn
	}
	creds := dsn[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return dsn[:scheme+3] + creds[:i] + ":***" + dsn[at:]
	}
	return dsn
}
