package main

import (
	"io"
	"testing"
	"time"
)

func TestParseConfig(t *testing.T) {
	env := map[string]string{"VIGIL_TOKEN": "vgt_x_y", "VIGIL_CA": "ca.pem"}
	getenv := func(k string) string { return env[k] }
	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		check   func(config) bool
		wantErr bool
	}{
		{name: "defaults from the environment", env: getenv, check: func(c config) bool {
			return c.token == "vgt_x_y" && c.ca == "ca.pem" && c.agents == 1000 && c.heartbeat == 5*time.Second &&
				c.kill == 20 && c.enrollConc == 32 && c.center == "https://127.0.0.1:8443" && c.output == "text"
		}},
		{name: "start center needs no token", args: []string{"--start-center", "--agents", "10000", "-o", "json"}, check: func(c config) bool {
			return c.startCenter && c.agents == 10000 && c.output == "json"
		}},
		{name: "no token", args: []string{"--agents", "10"}, wantErr: true},
		{name: "too many to kill", args: []string{"--start-center", "--agents", "10", "--kill", "6"}, wantErr: true},
		{name: "bad output", args: []string{"--start-center", "-o", "xml"}, wantErr: true},
		{name: "pid with start center", args: []string{"--start-center", "--center-pid", "5"}, wantErr: true},
		{name: "short heartbeat", args: []string{"--start-center", "--heartbeat", "1ms"}, wantErr: true},
		{name: "stray argument", args: []string{"--start-center", "extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.env
			if env == nil {
				env = func(string) string { return "" }
			}
			c, err := parseConfig(tt.args, env, io.Discard)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseConfig error = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(c) {
				t.Errorf("parseConfig = %+v", c)
			}
		})
	}
}
