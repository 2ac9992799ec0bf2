//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/event"
	// The store's SQLite package registers the pure-Go "sqlite" driver.
	_ "github.com/vigilsec/vigil/internal/store/sqlite"
)

// metrics are the samples of one scrape of /metrics, keyed by the series
// as written: `name` or `name{label="value"}`.
type metrics map[string]float64

// scrape reads the center's /metrics with the admin token. It returns an
// error, not a test failure, so it can be polled while the center is down.
func (c *center) scrape() (metrics, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.httpURL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return nil, fmt.Errorf("scrape metrics: HTTP %d: %s", resp.StatusCode, b)
	}
	out := metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, sc.Err()
}

// mustScrape is scrape that fails the test on error.
func (c *center) mustScrape() metrics {
	c.t.Helper()
	m, err := c.scrape()
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// malformed is the ingest's rejection counter for reason.
func (m metrics) malformed(reason string) float64 {
	return m[`vigil_ingest_malformed_total{reason="`+reason+`"}`]
}

// follower reads an agent's events through the API in ingest order,
// picking up where it stopped, as a console or SIEM export would.
type follower struct {
	c       *center
	agentID string
	cursor  string
	events  []event.Event
}

// poll fetches the events stored since the last poll.
func (f *follower) poll() {
	f.c.t.Helper()
	for {
		var page struct {
			Items      []event.Event `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		q := url.Values{"agent_id": {f.agentID}, "order": {"asc"}, "limit": {"1000"}}
		if f.cursor != "" {
			q.Set("cursor", f.cursor)
		}
		if code := f.c.api("GET", "/events?"+q.Encode(), nil, &page); code != http.StatusOK {
			f.c.t.Fatalf("GET /events: HTTP %d", code)
		}
		f.events = append(f.events, page.Items...)
		if page.NextCursor != "" {
			f.cursor = page.NextCursor
		}
		if len(page.Items) < 1000 {
			return
		}
	}
}

// openDBReader opens the center's SQLite file for reading only, next to
// the running center (WAL mode lets a reader in another process in).
func openDBReader(path string) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "query_only(1)")
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// countEvents counts an agent's stored events, and how many distinct
// event ids they have.
func countEvents(db *sql.DB, agentID string) (rows, distinct int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT event_id) FROM events WHERE agent_id = ?`, agentID).
		Scan(&rows, &distinct)
	if err != nil {
		return 0, 0, fmt.Errorf("count events: %w", err)
	}
	return rows, distinct, nil
}

// jsonString renders v for a failure message.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
