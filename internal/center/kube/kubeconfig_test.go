package kube

import (
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func base64PEM(der []byte) string {
	return b64(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestLoadKubeconfig(t *testing.T) {
	certPEM, keyPEM, _ := selfSigned(t, "ca")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ca.crt"), certPEM, 0o644)
	os.WriteFile(filepath.Join(dir, "token"), []byte("file-token\n"), 0o600)
	ca := b64(certPEM)
	kc := func(cluster, user string) string {
		return "apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c1\n  cluster:\n" + cluster +
			"users:\n- name: u1\n  user:\n" + user +
			"contexts:\n- name: main\n  context:\n    cluster: c1\n    user: u1\n- name: other\n  context:\n    cluster: c2\n    user: u1\n"
	}
	server := "    server: https://10.0.0.11:6443\n"
	tests := []struct {
		name, data, context string
		want                Config
		err                 string
	}{
		{name: "token and CA data", data: kc(server+"    certificate-authority-data: "+ca+"\n", "    token: abc\n"),
			want: Config{Server: "https://10.0.0.11:6443", Token: "abc", CAData: certPEM, ClusterName: "c1"}},
		{name: "files relative to the kubeconfig", data: kc(server+"    certificate-authority: ca.crt\n    tls-server-name: api.internal\n", "    tokenFile: token\n"),
			want: Config{Server: "https://10.0.0.11:6443", Token: "file-token", CAData: certPEM, ClusterName: "c1", TLSServerName: "api.internal"}},
		{name: "client certificate", data: kc(server, "    client-certificate-data: "+b64(certPEM)+"\n    client-key-data: "+b64(keyPEM)+"\n"),
			want: Config{Server: "https://10.0.0.11:6443", ClientCertData: certPEM, ClientKeyData: keyPEM, ClusterName: "c1"}},
		{name: "exec plugin", data: kc(server, "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: aws\n"), err: "exec credential plugins"},
		{name: "auth provider", data: kc(server, "    auth-provider:\n      name: oidc\n"), err: "auth-provider"},
		{name: "basic auth", data: kc(server, "    username: admin\n    password: secret\n"), err: "basic authentication"},
		{name: "insecure", data: kc(server+"    insecure-skip-tls-verify: true\n", "    token: abc\n"), err: "insecure-skip-tls-verify"},
		{name: "no credentials", data: kc(server, "    {}\n"), err: "neither a token nor a client certificate"},
		{name: "missing cluster", data: kc(server, "    token: abc\n"), context: "other", err: `names cluster "c2"`},
		{name: "unknown context", data: kc(server, "    token: abc\n"), context: "nope", err: `no context "nope"`},
		{name: "bad base64", data: kc(server+"    certificate-authority-data: '%%%'\n", "    token: abc\n"), err: "base64"},
		{name: "missing CA file", data: kc(server+"    certificate-authority: nope.crt\n", "    token: abc\n"), err: "nope.crt"},
		{name: "plain http", data: kc("    server: http://10.0.0.11:8080\n", "    token: abc\n"), err: "plain http"},
		{name: "not a Config", data: "kind: Pod\n", err: `kind "Pod"`},
		{name: "not YAML", data: "\t:::", err: "unusable kubeconfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadKubeconfig([]byte(tt.data), dir, tt.context)
			if tt.err != "" {
				if !errors.Is(err, ErrKubeconfig) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want ErrKubeconfig saying %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(tt.want)
			if string(gj) != string(wj) {
				t.Errorf("got %s\nwant %s", gj, wj)
			}
		})
	}
}

func FuzzLoadKubeconfig(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Config\ncurrent-context: main\nclusters:\n- name: c1\n  cluster:\n    server: https://10.0.0.1:6443\n    certificate-authority-data: AAAA\nusers:\n- name: u1\n  user:\n    token: abc\ncontexts:\n- name: main\n  context: {cluster: c1, user: u1}\n"))
	f.Add([]byte("users:\n- user:\n    exec: {command: x}\n"))
	f.Add([]byte("{}"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := LoadKubeconfig(b, dir, "")
		if err != nil {
			if !errors.Is(err, ErrKubeconfig) {
				t.Fatalf("error %v is not ErrKubeconfig", err)
			}
			return
		}
		if _, err := New(cfg); err != nil {
			t.Fatalf("accepted a kubeconfig New refuses: %v", err)
		}
	})
}

// FuzzListAnswer decodes arbitrary answers as each collection's page and
// builds the inventory of what was accepted.
func FuzzListAnswer(f *testing.F) {
	files, _ := filepath.Glob("testdata/cluster/*.json")
	for i, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint8(i))
	}
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		page, err := decodeListPage(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		var s snapshot
		var add func([]json.RawMessage) error
		switch which % 7 {
		case 0:
			add, _ = collectItems("namespaces", false, &s.namespaces, func(v *namespace) *objectMeta { return &v.Metadata })
		case 1:
			add, _ = collectItems("nodes", false, &s.nodes, func(v *node) *objectMeta { return &v.Metadata })
		case 2:
			add, _ = collectItems("pods", true, &s.pods, func(v *pod) *objectMeta { return &v.Metadata })
		case 3:
			add, _ = collectItems("services", true, &s.services, func(v *service) *objectMeta { return &v.Metadata })
		case 4:
			add, _ = collectItems("deployments", true, &s.deployments, func(v *workload) *objectMeta { return &v.Metadata })
		case 5:
			add, _ = collectItems("daemonsets", true, &s.daemonsets, func(v *workload) *objectMeta { return &v.Metadata })
		default:
			add, _ = collectItems("statefulsets", true, &s.statefulsets, func(v *workload) *objectMeta { return &v.Metadata })
		}
		if err := add(page.Items); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v is not ErrMalformed", err)
			}
			return
		}
		for _, a := range s.assets("c") {
			if a.Key == "" || !checkSize(a) {
				t.Fatalf("invalid item %s %q kept", a.Kind, a.Key)
			}
		}
	})
}
