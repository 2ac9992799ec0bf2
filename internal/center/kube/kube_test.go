package kube

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/vigilsec/vigil/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// The answers in testdata/cluster follow the Kubernetes API (v1.29) as
// the API server writes them: list kinds with metadata.resourceVersion
// and continue, items without kind and apiVersion, managed fields,
// status conditions, and Status objects for errors. They are recorded
// shapes served by an httptest TLS server, not a live cluster. The pods
// come in two pages (limit 4) joined by the continue token of
// pods-continue.txt.

const token = "eyJhbGciOiJSUzI1NiIsImtpZCI6InZpZ2lsLXRlc3QifQ.test-service-account-token"

// fakeAPI serves testdata/cluster.
type fakeAPI struct {
	dir   string
	mu    sync.Mutex
	reqs  []string
	fault func(w http.ResponseWriter, r *http.Request) bool
}

var files = map[string]string{
	"/api/v1/namespaces": "namespaces.json", "/api/v1/nodes": "nodes.json", "/api/v1/services": "services.json",
	"/apis/apps/v1/deployments": "deployments.json", "/apis/apps/v1/daemonsets": "daemonsets.json",
	"/apis/apps/v1/statefulsets": "statefulsets.json",
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r.URL.RequestURI())
	fault := f.fault
	f.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+token {
		f.send(w, http.StatusUnauthorized, "status-401.json")
		return
	}
	if r.URL.Query().Get("limit") != "4" {
		http.Error(w, "limit=4 expected", http.StatusBadRequest)
		return
	}
	if r.URL.Path == "/api/v1/pods" {
		cont := r.URL.Query().Get("continue")
		tok, _ := os.ReadFile(filepath.Join(f.dir, "pods-continue.txt"))
		switch cont {
		case "":
			f.send(w, http.StatusOK, "pods-1.json")
		case strings.TrimSpace(string(tok)):
			f.send(w, http.StatusOK, "pods-2.json")
		default:
			f.send(w, http.StatusGone, "status-410.json")
		}
		return
	}
	file, ok := files[r.URL.Path]
	if !ok {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","details":{},"code":404}`)
		return
	}
	f.send(w, http.StatusOK, file)
}

func (f *fakeAPI) send(w http.ResponseWriter, code int, file string) {
	b, err := os.ReadFile(filepath.Join(f.dir, file))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// serve starts the fake API server and returns a configuration for it.
func serve(t *testing.T, api *fakeAPI) Config {
	t.Helper()
	srv := httptest.NewTLSServer(api)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	return Config{Server: srv.URL, Token: token, CAData: ca, ClusterName: "prod-eu", PageSize: 4}
}

func golden(t *testing.T, file string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		os.MkdirAll(filepath.Dir(file), 0o755)
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s (-want +got):\n%s", file, d)
	}
}

func inventory(t *testing.T, cfg Config) ([]event.Asset, *Client, error) {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	assets, err := c.Inventory(context.Background())
	return assets, c, err
}

func find(t *testing.T, assets []event.Asset, kind, key string) event.Event {
	t.Helper()
	for _, a := range assets {
		if a.Kind == kind && a.Key == key {
			return a.Fields
		}
	}
	t.Fatalf("no %s %s", kind, key)
	return nil
}

func strs(f event.Event, p string) []string {
	v, _ := f.Get(p)
	switch l := v.(type) {
	case []string:
		return l
	case []any:
		var out []string
		for _, x := range l {
			out = append(out, fmt.Sprint(x))
		}
		return out
	}
	return nil
}

func TestInventory(t *testing.T) {
	api := &fakeAPI{dir: "testdata/cluster"}
	assets, c, err := inventory(t, serve(t, api))
	if err != nil {
		t.Fatalf("Inventory: %v", err)
	}
	golden(t, "testdata/golden/cluster.json", assets)

	seen := map[string]bool{}
	count := map[string]int{}
	for _, a := range assets {
		if !slices.Contains(Kinds, a.Kind) {
			t.Errorf("%s: kind %q not in Kinds", a.Key, a.Kind)
		}
		if !checkSize(a) {
			t.Errorf("%s %s: invalid", a.Kind, a.Key)
		}
		if seen[a.ID()] {
			t.Errorf("%s %s twice", a.Kind, a.Key)
		}
		seen[a.ID()] = true
		count[a.Kind]++
	}
	want := map[string]int{KindNamespace: 6, KindNode: 2, event.AssetPod: 8, KindService: 5, KindWorkload: 5, event.AssetImage: 8}
	if d := cmp.Diff(want, count); d != "" {
		t.Errorf("items per kind (-want +got):\n%s", d)
	}
	if n := c.Counters()["pages"]; n != 8 {
		t.Errorf("%d pages read, want 8 (pods in two)", n)
	}
	out, _ := json.Marshal(assets)
	for _, leak := range []string{"secretKeyRef", "API_KEY", "POSTGRES_PASSWORD", "resourceVersion", "managedFields", "restartCount", "lastHeartbeatTime", "kube-api-access"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("%q in the inventory", leak)
		}
	}

	for key, risks := range map[string][]string{
		"shop/debug":                           {"host_path", "host_root_mounted", "privileged", "seccomp_unconfined"},
		"monitoring/node-agent-7xk2p":          {"host_network", "host_path", "host_pid", "host_port", "host_root_mounted", "privileged", "runtime_socket_mounted"},
		"kube-system/kube-proxy-q8w2n":         {"host_network", "host_path", "privileged"},
		"kube-system/etcd-cp-1":                {"host_network", "host_path"},
		"shop/web-7c9d8b6f5-x2x9k":             nil,
		"kube-system/coredns-76f75df574-7xq9z": nil,
	} {
		if d := cmp.Diff(risks, strs(find(t, assets, event.AssetPod, key), "vigil.kubernetes.pod.risks")); d != "" {
			t.Errorf("%s risks (-want +got):\n%s", key, d)
		}
	}
	web := find(t, assets, event.AssetPod, "shop/web-7c9d8b6f5-x2x9k")
	for p, want := range map[string]string{
		"vigil.kubernetes.owner": "Deployment/web", "orchestrator.resource.parent.type": "Deployment", "host.name": "cp-1",
		"orchestrator.cluster.name": "prod-eu", "vigil.kubernetes.pod.service_account": "web",
		"vigil.kubernetes.pod.automount_service_account_token": "false", "orchestrator.namespace": "shop",
	} {
		if got := web.String(p); got != want {
			t.Errorf("web pod %s = %q, want %q", p, got, want)
		}
	}
	if got := find(t, assets, event.AssetPod, "kube-system/etcd-cp-1").String("vigil.kubernetes.owner"); got != "Node/cp-1" {
		t.Errorf("static pod owner %q", got)
	}
	nginx := find(t, assets, event.AssetImage, "docker.io/library/nginx:1.25.5")
	if d := cmp.Diff([]string{"sha256:4909dcc612c43a4dda47a94cb36c0403371d5eb78fa55ff2a40d8aac34add697"}, strs(nginx, "container.image.hash.all")); d != "" {
		t.Errorf("nginx digests (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"Deployment/shop/web"}, strs(nginx, "vigil.kubernetes.image.used_by")); d != "" {
		t.Errorf("nginx users (-want +got):\n%s", d)
	}
	if bb := find(t, assets, event.AssetImage, "docker.io/library/busybox:latest"); bb.String("vigil.image.registry") != "docker.io" {
		t.Errorf("busybox registry %q", bb.String("vigil.image.registry"))
	}
	if r := find(t, assets, event.AssetImage, "registry.example.com/security/node-agent:2.4.1"); r.String("vigil.image.registry") != "registry.example.com" {
		t.Errorf("node-agent registry %q", r.String("vigil.image.registry"))
	}
	for key, exp := range map[string][]string{"shop/web": {"node_port", "load_balancer"}, "shop/web-admin": {"node_port", "external_ip"}, "shop/db": nil, "default/kubernetes": nil} {
		if d := cmp.Diff(exp, strs(find(t, assets, KindService, key), "vigil.kubernetes.service.exposure")); d != "" {
			t.Errorf("%s exposure (-want +got):\n%s", key, d)
		}
	}
	ds := find(t, assets, KindWorkload, "DaemonSet/monitoring/node-agent")
	if !slices.Contains(strs(ds, "vigil.kubernetes.workload.risks"), "privileged") {
		t.Errorf("node-agent daemon set risks %v", strs(ds, "vigil.kubernetes.workload.risks"))
	}
	cp := find(t, assets, KindNode, "cp-1")
	if cp.String("vigil.kubernetes.node.ready") != "True" || strs(cp, "vigil.kubernetes.node.roles")[0] != "control-plane" {
		t.Errorf("cp-1 ready %q roles %v", cp.String("vigil.kubernetes.node.ready"), strs(cp, "vigil.kubernetes.node.roles"))
	}
	if ns := find(t, assets, KindNamespace, "shop"); ns.String("vigil.kubernetes.pod_security.enforce") != "baseline" {
		t.Errorf("shop pod security %q", ns.String("vigil.kubernetes.pod_security.enforce"))
	}
	for _, a := range assets {
		if err := a.Validate(); err != nil {
			t.Errorf("%s %s: %v", a.Kind, a.Key, err)
		}
	}
}

// TestUnchangedCluster: what moves in a cluster that does not change
// (resource versions, heartbeats, restart counts, container states,
// replica counts) leaves the inventory the same.
func TestUnchangedCluster(t *testing.T) {
	before, _, err := inventory(t, serve(t, &fakeAPI{dir: "testdata/cluster"}))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	entries, _ := os.ReadDir("testdata/cluster")
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join("testdata/cluster", e.Name()))
		s := string(b)
		for _, r := range []struct{ old, new string }{
			{`"resourceVersion": "1840`, `"resourceVersion": "9990`},
			{`"restartCount": 2`, `"restartCount": 7`},
			{`"lastHeartbeatTime": "2024-06-12T09:14:02Z"`, `"lastHeartbeatTime": "2024-06-12T10:44:02Z"`},
			{`"startedAt": "2024-06-03T00:05:41Z"`, `"startedAt": "2024-06-12T10:00:00Z"`},
			{`"readyReplicas": 2`, `"readyReplicas": 1`},
			{`"numberReady": 2`, `"numberReady": 1`},
		} {
			s = strings.ReplaceAll(s, r.old, r.new)
		}
		os.WriteFile(filepath.Join(dir, e.Name()), []byte(s), 0o644)
	}
	after, _, err := inventory(t, serve(t, &fakeAPI{dir: dir}))
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(before, after); d != "" {
		t.Errorf("inventory changed (-before +after):\n%s", d)
	}
}

func TestAPIErrors(t *testing.T) {
	status := func(code int, file string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			(&fakeAPI{dir: "testdata/cluster"}).send(w, code, file)
			return true
		}
	}
	body := func(path, s string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, s)
			return true
		}
	}
	on := func(path string, code int, file string) func(http.ResponseWriter, *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != path {
				return false
			}
			return status(code, file)(w, r)
		}
	}
	tests := []struct {
		name    string
		token   string
		fault   func(http.ResponseWriter, *http.Request) bool
		want    error
		message string
	}{
		{name: "bad token", token: "expired", want: ErrUnauthorized, message: "401 Unauthorized"},
		{name: "nodes forbidden", fault: on("/api/v1/nodes", 403, "status-403.json"), want: ErrForbidden,
			message: `cannot list resource "nodes" in API group "" at the cluster scope`},
		{name: "not JSON", fault: body("/api/v1/services", `<html>proxy error</html>`), want: ErrMalformed},
		{name: "truncated", fault: body("/apis/apps/v1/deployments", `{"kind":"DeploymentList","items":[{"metadata":{"name":"x"`), want: ErrMalformed},
		{name: "a Status with 200", fault: body("/api/v1/namespaces", `{"kind":"Status","status":"Success"}`), want: ErrMalformed},
		{name: "item without name", fault: body("/api/v1/nodes", `{"kind":"NodeList","apiVersion":"v1","metadata":{},"items":[{"metadata":{}}]}`), want: ErrMalformed},
		{name: "pod without namespace", fault: body("/api/v1/pods", `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"p"}}]}`), want: ErrMalformed},
		{name: "item of the wrong shape", fault: body("/api/v1/pods", `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"p","namespace":"x"},"spec":{"containers":"nginx"}}]}`), want: ErrMalformed},
		{name: "continue token repeated", fault: body("/apis/apps/v1/daemonsets", `{"kind":"DaemonSetList","apiVersion":"apps/v1","metadata":{"continue":"abc"},"items":[]}`), want: ErrMalformed},
		{name: "server error", fault: func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(500)
			fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"etcdserver: request timed out","reason":"InternalError","code":500}`)
			return true
		}, message: "500 InternalError: etcdserver: request timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := serve(t, &fakeAPI{dir: "testdata/cluster", fault: tt.fault})
			if tt.token != "" {
				cfg.Token = tt.token
			}
			assets, c, err := inventory(t, cfg)
			if err == nil || assets != nil {
				t.Fatalf("Inventory: %d items, %v", len(assets), err)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.message) {
				t.Errorf("err = %v, want it to say %q", err, tt.message)
			}
			if errors.Is(tt.want, ErrMalformed) && c.Counters()["malformed_answers"] != 1 {
				t.Errorf("counters %v", c.Counters())
			}
		})
	}
}

// TestExpiredContinue: a continue token that expired (410) starts the
// listing again; one that always expires fails the run.
func TestExpiredContinue(t *testing.T) {
	var mu sync.Mutex
	expire := 1
	api := &fakeAPI{dir: "testdata/cluster"}
	api.fault = func(w http.ResponseWriter, r *http.Request) bool {
		mu.Lock()
		defer mu.Unlock()
		if r.URL.Path == "/api/v1/pods" && r.URL.Query().Get("continue") != "" && expire != 0 {
			if expire > 0 {
				expire--
			}
			api.send(w, http.StatusGone, "status-410.json")
			return true
		}
		return false
	}
	cfg := serve(t, api)
	want, _, err := inventory(t, serve(t, &fakeAPI{dir: "testdata/cluster"}))
	if err != nil {
		t.Fatal(err)
	}
	got, c, err := inventory(t, cfg)
	if err != nil {
		t.Fatalf("Inventory after one expiry: %v", err)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("relisted inventory differs (-want +got):\n%s", d)
	}
	if n := c.Counters()["relists"]; n != 1 {
		t.Errorf("relists %d", n)
	}
	mu.Lock()
	expire = -1 // always
	mu.Unlock()
	if _, _, err := inventory(t, cfg); !errors.Is(err, ErrExpired) {
		t.Errorf("always expired: %v", err)
	}
}

func TestHugePage(t *testing.T) {
	api := &fakeAPI{dir: "testdata/cluster", fault: func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path != "/api/v1/services" {
			return false
		}
		w.Write([]byte(`{"kind":"ServiceList","apiVersion":"v1","metadata":{},"items":[`))
		item := []byte(`{"metadata":{"name":"s","namespace":"n"}},`)
		for n := 0; n <= maxPage/len(item)+1; n++ {
			if _, err := w.Write(item); err != nil {
				return true
			}
		}
		return true
	}}
	if _, _, err := inventory(t, serve(t, api)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge page: %v", err)
	}
}

func TestTLS(t *testing.T) {
	cfg := serve(t, &fakeAPI{dir: "testdata/cluster"})
	otherCA, _, _ := selfSigned(t, "another CA")
	cfg.CAData = otherCA
	if _, _, err := inventory(t, cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("server certificate from another CA: %v", err)
	}
	for _, bad := range []Config{
		{Server: "10.0.0.1:6443", Token: "x"},
		{Server: "http://10.0.0.1:8080", Token: "x"},
		{Server: "https://10.0.0.1:6443"},
		{Server: "https://10.0.0.1:6443", Token: "x", CAData: []byte("not PEM")},
		{Server: "https://10.0.0.1:6443", ClientCertData: []byte("x"), ClientKeyData: []byte("y")},
	} {
		if _, err := New(bad); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v): %v", bad, err)
		}
	}
}

// TestClientCertificate: a kubeconfig user with a client certificate and
// no token is presented to a server that requires one.
func TestClientCertificate(t *testing.T) {
	certPEM, keyPEM, cert := selfSigned(t, "system:serviceaccount:vigil:inventory")
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	api := &fakeAPI{dir: "testdata/cluster"}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 || r.TLS.PeerCertificates[0].Subject.CommonName != "system:serviceaccount:vigil:inventory" {
			api.send(w, 401, "status-401.json")
			return
		}
		r.Header.Set("Authorization", "Bearer "+token) // the fake API checks tokens
		api.ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	ca := base64PEM(srv.Certificate().Raw)
	kc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: prod-eu
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: inventory
  user:
    client-certificate-data: %s
    client-key-data: %s
contexts:
- name: prod
  context: {cluster: prod-eu, user: inventory}
current-context: prod
`, srv.URL, ca, b64(certPEM), b64(keyPEM))
	cfg, err := LoadKubeconfig([]byte(kc), "", "")
	if err != nil {
		t.Fatal(err)
	}
	cfg.PageSize = 4
	assets, _, err := inventory(t, cfg)
	if err != nil || len(assets) == 0 {
		t.Fatalf("with a client certificate: %d items, %v", len(assets), err)
	}
}

func selfSigned(t *testing.T, cn string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kder, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}
