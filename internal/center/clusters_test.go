package center

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadClusters(t *testing.T) {
	dir := t.TempDir()
	write := func(name, cluster string) string {
		p := filepath.Join(dir, name)
		kc := "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: " + cluster +
			"\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: u\n  user:\n    token: abc\n" +
			"contexts:\n- name: main\n  context:\n    cluster: " + cluster + "\n    user: u\n"
		if err := os.WriteFile(p, []byte(kc), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	prod, staging := write("prod.yaml", "prod-1"), write("staging.yaml", "staging")
	log := slog.New(slog.DiscardHandler)
	got, err := loadClusters([]string{prod, "stage=" + staging}, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "prod-1" || got[1].Name != "stage" {
		t.Errorf("clusters %+v", got)
	}
	for _, tc := range []struct {
		specs []string
		want  string
	}{
		{[]string{filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{prod, "prod-1=" + staging}, "named twice"},
		{[]string{"bad name=" + prod}, "cluster name"},
		{[]string{write("bad.yaml", "x") + "x"}, "no such file"},
	} {
		if _, err := loadClusters(tc.specs, log); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadClusters(%v) = %v, want %q", tc.specs, err, tc.want)
		}
	}
}
