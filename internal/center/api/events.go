package api

import (
	"net/http"

	"github.com/vigilsec/vigil/internal/store"
)

func (s *server) listEvents(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.EventFilter{AgentID: q.Get("agent_id"), Category: q.Get("category"), Action: q.Get("action")}
	for name, v := range map[string]string{"agent_id": f.AgentID, "category": f.Category, "action": f.Action} {
		if len(v) > maxQueryLen {
			return errorf(http.StatusBadRequest, "%s: at most %d bytes", name, maxQueryLen)
		}
	}
	var err error
	if f.Since, f.Until, err = timeRange(q); err != nil {
		return err
	}
	if f.Q, err = textParam(q, "q"); err != nil {
		return err
	}
	switch q.Get("order") {
	case "", "desc":
	case "asc":
		f.Ascending = true
	default:
		return errorf(http.StatusBadRequest, "order %q: want asc or desc", q.Get("order"))
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	events, next, err := s.cfg.Store.Events().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list events")
	}
	writeList(w, events, next)
	return nil
}

func (s *server) listAudit(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	f := store.AuditFilter{}
	var err error
	if f.Actor, err = textParam(q, "actor"); err != nil {
		return err
	}
	if f.Action, err = textParam(q, "action"); err != nil {
		return err
	}
	if f.Since, f.Until, err = timeRange(q); err != nil {
		return err
	}
	if f.Page, err = page(q); err != nil {
		return err
	}
	entries, next, err := s.cfg.Store.Audit().List(r.Context(), f)
	if err != nil {
		return storeError(err, "list audit")
	}
	writeList(w, entries, next)
	return nil
}
