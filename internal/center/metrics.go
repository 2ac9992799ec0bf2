package center

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigilsec/vigil/internal/center/health"
	"github.com/vigilsec/vigil/internal/center/ingest"
)

// statsCollector exports the services' own counters as Prometheus metrics
// when scraped, so the services keep no global registry.
type statsCollector struct {
	health *health.Service
	ingest *ingest.Service
}

var (
	descHeartbeats      = prometheus.NewDesc("vigil_health_heartbeats_total", "Heartbeats received.", nil, nil)
	descHealthMalformed = prometheus.NewDesc("vigil_health_malformed_total", "Heartbeats and goodbyes refused, by reason.", []string{"reason"}, nil)
	descStatusChanges   = prometheus.NewDesc("vigil_agent_status_changes_total", "Agent status changes, by new status.", []string{"status"}, nil)
	descOnline          = prometheus.NewDesc("vigil_agents_online", "Agents online now.", nil, nil)
	descHealthAlerts    = prometheus.NewDesc("vigil_health_alerts_total", "Alerts raised for lost or uninstalled agents.", nil, nil)
	descIngestMessages  = prometheus.NewDesc("vigil_ingest_messages_total", "Event batches read from the bus.", nil, nil)
	descIngestStored    = prometheus.NewDesc("vigil_ingest_events_stored_total", "Events stored.", nil, nil)
	descIngestDup       = prometheus.NewDesc("vigil_ingest_duplicates_total", "Events received again and not stored twice.", nil, nil)
	descIngestDropped   = prometheus.NewDesc("vigil_ingest_dropped_by_agents_total", "Events agents report they dropped (spool full).", nil, nil)
	descIngestMalformed = prometheus.NewDesc("vigil_ingest_malformed_total", "Batches or events refused, by reason.", []string{"reason"}, nil)
	descIngestInsertErr = prometheus.NewDesc("vigil_ingest_insert_errors_total", "Failed store inserts.", nil, nil)
)

func (c statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descHeartbeats, descHealthMalformed, descStatusChanges, descOnline, descHealthAlerts,
		descIngestMessages, descIngestStored, descIngestDup, descIngestDropped, descIngestMalformed, descIngestInsertErr} {
		ch <- d
	}
}

func (c statsCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.health.Stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descHeartbeats, h.HeartbeatsTotal)
	for reason, n := range h.MalformedTotal {
		counter(descHealthMalformed, n, reason)
	}
	for status, n := range h.StatusChangesTotal {
		counter(descStatusChanges, n, string(status))
	}
	ch <- prometheus.MustNewConstMetric(descOnline, prometheus.GaugeValue, float64(h.Online))
	counter(descHealthAlerts, h.AlertsTotal)

	i := c.ingest.Stats()
	counter(descIngestMessages, i.MessagesTotal)
	counter(descIngestStored, i.EventsStoredTotal)
	counter(descIngestDup, i.DuplicatesTotal)
	counter(descIngestDropped, i.DroppedByAgentsTotal)
	for reason, n := range i.MalformedTotal {
		counter(descIngestMalformed, n, reason)
	}
	counter(descIngestInsertErr, i.InsertErrorsTotal)
}

// newMetrics is the /metrics handler: the services' counters plus the Go
// runtime and process metrics.
func newMetrics(h *health.Service, i *ingest.Service) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(statsCollector{health: h, ingest: i},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
