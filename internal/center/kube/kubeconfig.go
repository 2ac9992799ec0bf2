package kube

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// ErrKubeconfig: a kubeconfig that cannot make a Config.
var ErrKubeconfig = errors.New("unusable kubeconfig")

// maxKubeconfig bounds a kubeconfig and the files it names.
const maxKubeconfig = 4 << 20

// kubeconfig is the part of a kubeconfig file (clientcmd's v1 Config)
// that is read.
type kubeconfig struct {
	APIVersion     string `yaml:"apiVersion"`
	Kind           string `yaml:"kind"`
	CurrentContext string `yaml:"current-context"`
	Clusters       []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthority     string `yaml:"certificate-authority"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
			InsecureSkipTLSVerify    bool   `yaml:"insecure-skip-tls-verify"`
			TLSServerName            string `yaml:"tls-server-name"`
			ProxyURL                 string `yaml:"proxy-url"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
		User struct {
			Token                 string    `yaml:"token"`
			TokenFile             string    `yaml:"tokenFile"`
			ClientCertificate     string    `yaml:"client-certificate"`
			ClientCertificateData string    `yaml:"client-certificate-data"`
			ClientKey             string    `yaml:"client-key"`
			ClientKeyData         string    `yaml:"client-key-data"`
			Exec                  yaml.Node `yaml:"exec"`
			AuthProvider          yaml.Node `yaml:"auth-provider"`
			Username              string    `yaml:"username"`
		} `yaml:"user"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
}

// LoadKubeconfig makes a Config from a kubeconfig file's content: the
// named context, or the file's current context when name is "". Files
// the kubeconfig names (certificate-authority, tokenFile, client
// certificate and key) are read relative to dir. Credentials obtained
// by running a program (exec, auth-provider) and basic auth are not
// supported, nor insecure-skip-tls-verify: each is an error that says
// so. ClusterName is set to the context's cluster name.
func LoadKubeconfig(data []byte, dir, name string) (Config, error) {
	if len(data) > maxKubeconfig {
		return Config{}, fmt.Errorf("%w: %d bytes", ErrKubeconfig, len(data))
	}
	var kc kubeconfig
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&kc); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrKubeconfig, err)
	}
	if kc.Kind != "" && kc.Kind != "Config" {
		return Config{}, fmt.Errorf("%w: kind %q", ErrKubeconfig, kc.Kind)
	}
	if name == "" {
		name = kc.CurrentContext
	}
	if name == "" {
		return Config{}, fmt.Errorf("%w: no context named and no current-context", ErrKubeconfig)
	}
	ctxIdx := -1
	for i := range kc.Contexts {
		if kc.Contexts[i].Name == name {
			ctxIdx = i
		}
	}
	if ctxIdx < 0 {
		return Config{}, fmt.Errorf("%w: no context %q", ErrKubeconfig, name)
	}
	ctx := kc.Contexts[ctxIdx].Context
	var cfg Config
	found := false
	for _, c := range kc.Clusters {
		if c.Name != ctx.Cluster {
			continue
		}
		found = true
		cl := c.Cluster
		if cl.InsecureSkipTLSVerify {
			return Config{}, fmt.Errorf("%w: cluster %q: insecure-skip-tls-verify is not supported; give the cluster's CA", ErrKubeconfig, c.Name)
		}
		if cl.ProxyURL != "" {
			return Config{}, fmt.Errorf("%w: cluster %q: proxy-url is not supported (use HTTPS_PROXY)", ErrKubeconfig, c.Name)
		}
		cfg.Server, cfg.TLSServerName, cfg.ClusterName = cl.Server, cl.TLSServerName, c.Name
		ca, err := dataOrFile(cl.CertificateAuthorityData, cl.CertificateAuthority, dir)
		if err != nil {
			return Config{}, fmt.Errorf("%w: cluster %q: certificate authority: %w", ErrKubeconfig, c.Name, err)
		}
		cfg.CAData = ca
	}
	if !found {
		return Config{}, fmt.Errorf("%w: context %q names cluster %q, which is not in the file", ErrKubeconfig, name, ctx.Cluster)
	}
	found = false
	for _, u := range kc.Users {
		if u.Name != ctx.User {
			continue
		}
		found = true
		us := u.User
		switch {
		case !us.Exec.IsZero():
			return Config{}, fmt.Errorf("%w: user %q: exec credential plugins are not supported; give a service account token", ErrKubeconfig, u.Name)
		case !us.AuthProvider.IsZero():
			return Config{}, fmt.Errorf("%w: user %q: auth-provider is not supported; give a service account token", ErrKubeconfig, u.Name)
		case us.Username != "":
			return Config{}, fmt.Errorf("%w: user %q: basic authentication is not supported", ErrKubeconfig, u.Name)
		}
		cfg.Token = us.Token
		if cfg.Token == "" && us.TokenFile != "" {
			b, err := readLimited(resolve(dir, us.TokenFile))
			if err != nil {
				return Config{}, fmt.Errorf("%w: user %q: token file: %w", ErrKubeconfig, u.Name, err)
			}
			cfg.Token = strings.TrimSpace(string(b))
		}
		var err error
		if cfg.ClientCertData, err = dataOrFile(us.ClientCertificateData, us.ClientCertificate, dir); err != nil {
			return Config{}, fmt.Errorf("%w: user %q: client certificate: %w", ErrKubeconfig, u.Name, err)
		}
		if cfg.ClientKeyData, err = dataOrFile(us.ClientKeyData, us.ClientKey, dir); err != nil {
			return Config{}, fmt.Errorf("%w: user %q: client key: %w", ErrKubeconfig, u.Name, err)
		}
	}
	if !found {
		return Config{}, fmt.Errorf("%w: context %q names user %q, which is not in the file", ErrKubeconfig, name, ctx.User)
	}
	if cfg.Token == "" && len(cfg.ClientCertData) == 0 {
		return Config{}, fmt.Errorf("%w: user %q has neither a token nor a client certificate", ErrKubeconfig, ctx.User)
	}
	if _, err := New(cfg); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrKubeconfig, err)
	}
	return cfg, nil
}

// dataOrFile decodes base64 data, or reads the file (relative to dir)
// when there is no data; nil when there is neither.
func dataOrFile(data, file, dir string) ([]byte, error) {
	if data != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
		if err != nil {
			return nil, fmt.Errorf("base64: %w", err)
		}
		return b, nil
	}
	if file == "" {
		return nil, nil
	}
	return readLimited(resolve(dir, file))
}

func resolve(dir, p string) string {
	if filepath.IsAbs(p) || dir == "" {
		return p
	}
	return filepath.Join(dir, p)
}

func readLimited(p string) ([]byte, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxKubeconfig {
		return nil, fmt.Errorf("%s: not a regular file of at most %d bytes", p, maxKubeconfig)
	}
	return os.ReadFile(p)
}
