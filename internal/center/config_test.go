package center

import (
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*Config)
		wantErr string
	}{
		{"defaults", func(*Config) {}, ""},
		{"no data dir", func(c *Config) { c.DataDir = "" }, "data dir"},
		{"bad http", func(c *Config) { c.HTTPAddr = "8443" }, "http address"},
		{"bad nats port", func(c *Config) { c.NATSAddr = "0.0.0.0:99999" }, "bad port"},
		{"mysql", func(c *Config) { c.StoreDSN = "mysql://root:pw@db/vigil" }, "root:***@db"},
		{"negative retention", func(c *Config) { c.EventRetention = -time.Hour }, "retention"},
		{"short heartbeat timeout", func(c *Config) { c.HeartbeatTimeout = time.Second }, "heartbeat timeout"},
		{"postgres", func(c *Config) { c.StoreDSN = "postgres://vigil:pw@db/vigil" }, ""},
		{"login learning at once", func(c *Config) { c.LoginLearning = 0 }, "login learning"},
		{"login learning too long", func(c *Config) { c.LoginLearning = 400 * 24 * time.Hour }, "login learning"},
		{"no login to learn", func(c *Config) { c.LoginMinLogins = 0 }, "login min logins"},
		{"unknown time zone", func(c *Config) { c.BaselineTimeZone = "Mars/Olympus_Mons" }, "baseline time zone"},
		{"a time zone", func(c *Config) { c.BaselineTimeZone = "Asia/Shanghai" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate error = %v, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"VIGIL_DATA": "/srv/vigil", "VIGIL_ADVERTISE": "soc.example, 10.0.0.1,",
		"VIGIL_EVENT_RETENTION": "48h", "VIGIL_STREAM_MAX_BYTES": "1024",
		"VIGIL_LOGIN_LEARNING": "72h", "VIGIL_LOGIN_MIN_LOGINS": "4", "VIGIL_BASELINE_TZ": "Asia/Shanghai",
	}
	cfg := DefaultConfig()
	if err := cfg.ApplyEnv(func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if cfg.DataDir != "/srv/vigil" || cfg.EventRetention != 48*time.Hour || cfg.StreamMaxBytes != 1024 ||
		strings.Join(cfg.Advertise, "|") != "soc.example|10.0.0.1" ||
		cfg.LoginLearning != 72*time.Hour || cfg.LoginMinLogins != 4 || cfg.BaselineTimeZone != "Asia/Shanghai" {
		t.Fatalf("ApplyEnv gave %+v", cfg)
	}
	bad := DefaultConfig()
	if err := bad.ApplyEnv(func(k string) string {
		if k == "VIGIL_EVENT_RETENTION" {
			return "a week"
		}
		return ""
	}); err == nil {
		t.Fatal("bad duration accepted")
	}
}
