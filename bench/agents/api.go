package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigilsec/vigil/internal/apiclient"
	"github.com/vigilsec/vigil/internal/store"
)

// runLabel is the label every agent of one run gets from its join token,
// so that counts leave out other agents of the center.
const runLabel = "bench.run"

// Bounds of the REST calls of the benchmark.
const (
	apiTimeout   = 60 * time.Second
	maxIdleConns = 128
)

// centerAPI is the center's REST API with the admin token.
type centerAPI struct {
	*apiclient.Client
	hc    *http.Client
	url   string
	token string
}

// newCenterAPI connects to the API at url, trusting the CA in caFile
// (the system's roots when empty).
func newCenterAPI(url, token, caFile string) (*centerAPI, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("center CA: %w", err)
		}
		conf.RootCAs = x509.NewCertPool()
		if !conf.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("center CA %s: no PEM certificate", caFile)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = conf
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = maxIdleConns, maxIdleConns
	hc := &http.Client{Transport: tr}
	c, err := apiclient.New(apiclient.Config{Server: url, Token: token, HTTPClient: hc, Timeout: apiTimeout, UserAgent: "vigil-bench"})
	if err != nil {
		return nil, err
	}
	return &centerAPI{Client: c, hc: hc, url: c.Server(), token: token}, nil
}

// countOnline counts the agents of run that the center lists online with
// a last_seen at or after since: heard on the bus since then (an agent
// is online only once it connected; the last_seen check also keeps out
// agents of an earlier run). It walks every page of the listing.
func (a *centerAPI) countOnline(ctx context.Context, run string, since time.Time) (int, error) {
	f := store.AgentFilter{Status: store.StatusOnline, Labels: map[string]string{runLabel: run}}
	n := 0
	for ag, err := range apiclient.All(ctx, func(ctx context.Context, cursor string) (apiclient.Page[apiclient.Agent], error) {
		f.Page = store.Page{Limit: store.MaxLimit, Cursor: cursor}
		return a.Agents(ctx, f)
	}) {
		if err != nil {
			return n, fmt.Errorf("count online agents: %w", err)
		}
		if !ag.LastSeen.Before(since) {
			n++
		}
	}
	return n, nil
}

// metrics scrapes /metrics and returns the named metric families: under
// the family's name the sum over all its samples, and under
// name{label=value} the sum over the samples with that label.
func (a *centerAPI) metrics(ctx context.Context, names ...string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, apiTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.url+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	out := map[string]float64{}
	for _, name := range names {
		fam, ok := fams[name]
		if !ok {
			continue
		}
		for _, m := range fam.GetMetric() {
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
			out[name] += v
			for _, l := range m.GetLabel() {
				out[name+"{"+l.GetName()+"="+l.GetValue()+"}"] += v
			}
		}
	}
	return out, nil
}
