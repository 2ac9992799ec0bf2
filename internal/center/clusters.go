package center

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/center/kube"
)

// clusterName is the form of a cluster's name in the inventory.
var clusterName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// loadClusters reads the kubeconfig files of cfg.Kubeconfigs.
func loadClusters(specs []string, log *slog.Logger) ([]inventory.Cluster, error) {
	var out []inventory.Cluster
	seen := map[string]bool{}
	for _, spec := range specs {
		name, path, named := strings.Cut(spec, "=")
		if !named {
			name, path = "", spec
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		kc, err := kube.LoadKubeconfig(data, filepath.Dir(path), "")
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		if name == "" {
			name = kc.ClusterName
		}
		if !clusterName.MatchString(name) {
			return nil, fmt.Errorf("kubeconfig %s: cluster name %q: letters, digits, dot, dash and underscore, at most 63", path, name)
		}
		if seen[name] {
			return nil, fmt.Errorf("kubeconfig %s: cluster %q named twice", path, name)
		}
		seen[name] = true
		kc.ClusterName = name
		kc.Logger = log.With("cluster", name)
		client, err := kube.New(kc)
		if err != nil {
			return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
		}
		out = append(out, inventory.Cluster{Name: name, Source: client})
	}
	return out, nil
}
