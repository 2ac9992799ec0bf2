package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/vigilsec/vigil/internal/center/inventory"
	"github.com/vigilsec/vigil/internal/event"
	"github.com/vigilsec/vigil/internal/store"
)

// assetView is an inventory item as the API shows it: with its agent's
// hostname.
type assetView struct {
	store.AssetRecord
	Hostname string `json:"hostname,omitempty"`
}

// assetChangeView is a history entry with its agent's hostname.
type assetChangeView struct {
	store.AssetChange
	Hostname string `json:"hostname,omitempty"`
}

// hostnames looks agents' hostnames up once per listing.
type hostnames struct {
	ctx   context.Context
	st    store.AgentStore
	names map[string]string
}

func (h *hostnames) of(id string) string {
	if n, ok := h.names[id]; ok {
		return n
	}
	if cluster, ok := strings.CutPrefix(id, inventory.ClusterPrefix); ok {
		// A Kubernetes cluster's objects, which the center reads itself.
		return "cluster " + cluster
	}
	n := ""
	if a, err := h.st.Get(h.ctx, id); err == nil {
		n = a.Hostname
	}
	h.names[id] = n
	return n
}

// assetFilter reads the filters of GET /assets.
func assetFilter(q url.Values) (store.AssetFilter, error) {
	text, err := textParam(q, "q")
	if err != nil {
		return store.AssetFilter{}, err
	}
	parsed, err := inventory.ParseQuery(text)
	if err != nil {
		return store.AssetFilter{}, errorf(http.StatusBadRequest, "q: %v", err)
	}
	f := parsed.Filter
	for _, p := range []struct {
		name string
		dst  *string
	}{{"kind", &f.Kind}, {"agent_id", &f.AgentID}, {"collector", &f.Collector}, {"name", &f.Name}} {
		v, err := textParam(q, p.name)
		if err != nil {
			return f, err
		}
		if v == "" {
			continue
		}
		if *p.dst != "" && *p.dst != v {
			return f, errorf(http.StatusBadRequest, "%s is %q and q says %q", p.name, v, *p.dst)
		}
		*p.dst = v
	}
	if f.Kind != "" && !event.IsAssetKind(f.Kind) {
		return f, errorf(http.StatusBadRequest, "kind %q: want one of %v", f.Kind, event.AssetKinds)
	}
	if f.Page, err = page(q); err != nil {
		return f, err
	}
	return f, nil
}

func (s *server) listAssets(w http.ResponseWriter, r *http.Request, c *call) error {
	f, err := assetFilter(r.URL.Query())
	if err != nil {
		return err
	}
	items, next, err := s.cfg.Store.Inventory().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list assets")
	}
	h := &hostnames{ctx: r.Context(), st: s.cfg.Store.Agents(), names: map[string]string{}}
	out := make([]assetView, len(items))
	for i, it := range items {
		out[i] = assetView{AssetRecord: it, Hostname: h.of(it.AgentID)}
	}
	writeList(w, out, next)
	return nil
}

func (s *server) listAssetChanges(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	var f store.AssetChangeFilter
	var err error
	for _, p := range []struct {
		name string
		dst  *string
	}{{"agent_id", &f.AgentID}, {"kind", &f.Kind}, {"action", &f.Action}, {"q", &f.Q}} {
		if *p.dst, err = textParam(q, p.name); err != nil {
			return err
		}
	}
	if f.Kind != "" && !event.IsAssetKind(f.Kind) {
		return errorf(http.StatusBadRequest, "kind %q: want one of %v", f.Kind, event.AssetKinds)
	}
	switch f.Action {
	case "", store.AssetAdded, store.AssetChanged, store.AssetRemoved:
	default:
		return errorf(http.StatusBadRequest, "action %q: want added, changed or removed", f.Action)
	}
	if f.Since, f.Until, err = timeRange(q); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	changes, next, err := s.cfg.Store.Inventory().Changes(r.Context(), f)
	if err != nil {
		return storeError(err, "list asset changes")
	}
	h := &hostnames{ctx: r.Context(), st: s.cfg.Store.Agents(), names: map[string]string{}}
	out := make([]assetChangeView, len(changes))
	for i, ch := range changes {
		out[i] = assetChangeView{AssetChange: ch, Hostname: h.of(ch.AgentID)}
	}
	writeList(w, out, next)
	return nil
}

// kindSummary is the number of items of one kind, and of agents having
// any, in GET /assets/summary.
type kindSummary struct {
	Kind   string `json:"kind"`
	Items  int64  `json:"items"`
	Agents int64  `json:"agents"`
}

// assetSummary is the answer of GET /assets/summary.
type assetSummary struct {
	Kinds []kindSummary `json:"kinds"`
	// Sets are the agent's collector sets (with agent_id only).
	Sets []store.InventorySet `json:"sets,omitempty"`
}

func (s *server) assetSummary(w http.ResponseWriter, r *http.Request, c *call) error {
	agentID, err := textParam(r.URL.Query(), "agent_id")
	if err != nil {
		return err
	}
	if agentID != "" && !strings.HasPrefix(agentID, inventory.ClusterPrefix) {
		if _, err := s.cfg.Store.Agents().Get(r.Context(), agentID); err != nil {
			return storeError(err, "agent")
		}
	}
	counts, err := s.cfg.Store.Inventory().Counts(r.Context(), agentID)
	if err != nil {
		return storeError(err, "count assets")
	}
	byKind := map[string]*kindSummary{}
	for _, ct := range counts {
		k := byKind[ct.Kind]
		if k == nil {
			k = &kindSummary{Kind: ct.Kind}
			byKind[ct.Kind] = k
		}
		k.Items += ct.Count
		if ct.Count > 0 {
			k.Agents++
		}
	}
	out := assetSummary{Kinds: []kindSummary{}}
	order := map[string]int{}
	for i, k := range event.AssetKinds {
		order[k] = i
	}
	for _, k := range byKind {
		out.Kinds = append(out.Kinds, *k)
	}
	sort.Slice(out.Kinds, func(i, j int) bool { return order[out.Kinds[i].Kind] < order[out.Kinds[j].Kind] })
	if agentID != "" {
		if out.Sets, err = s.cfg.Store.Inventory().Sets(r.Context(), agentID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeError(err, "inventory sets")
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
