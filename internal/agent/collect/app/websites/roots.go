package websites

import (
	"context"
	"path"
	"slices"

	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// DocumentRoots returns the folders the host's web sites serve files
// from, as their configurations say (nginx root and alias, Apache
// DocumentRoot and Alias, Tomcat appBase and exploded webapps), each once
// and sorted: the trees a tamper watch belongs on. Archives (a WAR, a
// Spring Boot jar), folders that do not exist and the root folder itself
// are left out. It reads configurations only, not the trees.
func DocumentRoots(ctx context.Context, env plugin.Env) ([]string, error) {
	c := New()
	fsys, _, sites, err := c.sites(ctx, env)
	if err != nil {
		return nil, err
	}
	var out []string
	add := func(p string) {
		if p == "" || !path.IsAbs(p) {
			return
		}
		p = path.Clean(p)
		if p == "/" {
			return
		}
		if fi, err := fsys.Stat(p); err != nil || !fi.Mode.IsDir() {
			return
		}
		out = append(out, p)
	}
	for _, s := range sites {
		for _, r := range s.roots {
			add(r)
		}
		for _, a := range s.aliases {
			add(a.Path)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
