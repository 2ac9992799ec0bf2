package websites_test

import (
	"context"
	"slices"
	"testing"

	"github.com/vigilsec/vigil/internal/agent/collect/app/websites"
	"github.com/vigilsec/vigil/internal/agent/plugin"
)

// TestDocumentRoots: the fixture's sites serve files from these folders;
// archives, missing folders and duplicates are left out.
func TestDocumentRoots(t *testing.T) {
	roots, err := websites.DocumentRoots(context.Background(), plugin.Env{Root: "testdata/root"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/srv/pyapp", "/srv/static", "/srv/tomcat-static", "/usr/share/phpmyadmin",
		"/usr/share/tomcat9-admin/manager", "/var/lib/tomcat9/files", "/var/lib/tomcat9/webapps",
		"/var/www/blog", "/var/www/cms", "/var/www/html", "/var/www/joomla", "/var/www/laravel/public", "/var/www/shop"}
	if !slices.Equal(roots, want) {
		t.Errorf("document roots\n got %v\nwant %v", roots, want)
	}
}
