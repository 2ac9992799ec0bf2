package intelcmdtest

import (
	"context"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// Seeded indicators, in normalized form, and the sources they are from.
const (
	C2Address    = "203.0.113.9"
	BotnetNet    = "198.51.100.0/24"
	PhishDomain  = "login-example.net"
	PhishURL     = "http://login-example.net/reset.php"
	DropperHash  = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	ExpiredHash  = "d41d8cd98f00b204e9800998ecf8427e"
	SourceManual = "manual"
	SourceFeodo  = "feodo"
	SourcePhish  = "phish-list"
	SourceOld    = "old-feed"
)

// LongAgo is the expiry of the seeded expired indicator: before the
// store's wall clock, so that the store leaves it out of listings as the
// API's clock does.
var LongAgo = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// SeedIndicators stores six indicators through the store's interface,
// as imports and adds would have, at fixed times before Now: an address
// with hits, a network and a domain and URL expiring after Now, a hash
// that never expires and one that expired. It returns them by value.
func (e *Env) SeedIndicators() map[string]store.Indicator {
	e.TB.Helper()
	ctx := context.Background()
	ins := []store.Indicator{
		{Type: store.IndicatorIP, Value: C2Address, Source: SourceManual, Description: "C2 of the March intrusion",
			Severity: "high", Confidence: 80, Tags: []string{"c2"}, Techniques: []string{"T1071"},
			Reference: "https://intel.example.internal/reports/17", CreatedAt: Now.Add(-48 * time.Hour),
			UpdatedAt: Now.Add(-2 * time.Hour), UpdatedBy: "alice"},
		{Type: store.IndicatorIP, Value: BotnetNet, Source: SourceFeodo, Severity: "critical", Confidence: 90,
			Tags: []string{"botnet"}, CreatedAt: Now.AddDate(0, 0, -10), UpdatedAt: Now.AddDate(0, 0, -1),
			UpdatedBy: "token:admin", ExpiresAt: Now.AddDate(0, 0, 30)},
		{Type: store.IndicatorDomain, Value: PhishDomain, Source: SourcePhish, Description: "phishing kit host",
			Severity: "medium", Confidence: 50, Tags: []string{}, CreatedAt: Now.AddDate(0, 0, -3),
			UpdatedAt: Now.AddDate(0, 0, -3), UpdatedBy: "token:admin", ExpiresAt: Now.AddDate(0, 0, 7)},
		{Type: store.IndicatorURL, Value: PhishURL, Source: SourcePhish, Description: "login page \x1b[31mclone\x1b[0m",
			Severity: "medium", Confidence: 60, CreatedAt: Now.AddDate(0, 0, -3), UpdatedAt: Now.AddDate(0, 0, -3),
			UpdatedBy: "token:admin", ExpiresAt: Now.AddDate(0, 0, 7)},
		{Type: store.IndicatorSHA256, Value: DropperHash, Source: SourceManual, Description: "dropper of the March intrusion",
			Severity: "critical", Confidence: 100, Techniques: []string{"T1105"}, CreatedAt: Now.Add(-47 * time.Hour),
			UpdatedAt: Now.Add(-47 * time.Hour), UpdatedBy: "alice"},
		{Type: store.IndicatorMD5, Value: ExpiredHash, Source: SourceOld, Severity: "low", Confidence: 20,
			CreatedAt: LongAgo.AddDate(0, -1, 0), UpdatedAt: LongAgo.AddDate(0, -1, 0), ExpiresAt: LongAgo},
	}
	out := map[string]store.Indicator{}
	for i := range ins {
		ins[i].ID = store.IndicatorID(ins[i].Type, ins[i].Value, ins[i].Source)
		out[ins[i].Value] = ins[i]
	}
	if _, _, err := e.Store.Intel().Put(ctx, ins); err != nil {
		e.TB.Fatalf("seed indicators: %v", err)
	}
	c2 := out[C2Address]
	if err := e.Store.Intel().RecordHits(ctx, map[string]int64{c2.ID: 3}, Now.Add(-15*time.Minute)); err != nil {
		e.TB.Fatalf("seed hits: %v", err)
	}
	if e.Intel != nil {
		if err := e.Intel.Reload(ctx); err != nil {
			e.TB.Fatalf("reload indicators: %v", err)
		}
	}
	return out
}

// Seeded agents and users of the login profiles.
const (
	WebAgent  = "7f3c9a"
	DBAgent   = "b81d02"
	GoneAgent = "c0ffee"
)

// SeedProfiles stores two agents (web-1 and db-1) and four login
// profiles through the store's interfaces: alice on web-1, learned, from
// two addresses at office hours in TimeZone; deploy on web-1, learning;
// root on db-1, learned, at night; and bob on an agent that is gone.
func (e *Env) SeedProfiles() {
	e.TB.Helper()
	ctx := context.Background()
	for _, a := range []store.Agent{
		{ID: WebAgent, Hostname: "web-1", Status: store.StatusOnline, EnrolledAt: Now.AddDate(0, -2, 0), UserKey: "UWEB1"},
		{ID: DBAgent, Hostname: "db-1", Status: store.StatusOnline, EnrolledAt: Now.AddDate(0, -2, 0), UserKey: "UDB1"},
	} {
		if err := e.Store.Agents().Create(ctx, a); err != nil {
			e.TB.Fatalf("seed agent %s: %v", a.ID, err)
		}
	}
	var office, night, evening [24]int64
	// Hours in TimeZone (UTC+8): alice logs in from 9h to 18h, most at 9h.
	for h, n := range map[int]int64{9: 12, 10: 8, 11: 5, 13: 4, 14: 6, 15: 3, 16: 2, 18: 2} {
		office[h] = n
	}
	night[2], night[3], night[23] = 6, 4, 2
	evening[20] = 4
	ps := []store.LoginProfile{
		{AgentID: WebAgent, User: "alice", FirstSeen: Now.AddDate(0, 0, -30), LastSeen: Now.Add(-2 * time.Hour), Logins: 42,
			Hours: office, Sources: []store.LoginSource{
				{IP: "10.0.8.21", FirstSeen: Now.AddDate(0, 0, -30), LastSeen: Now.Add(-2 * time.Hour), Count: 39},
				{IP: "192.0.2.77", FirstSeen: Now.AddDate(0, 0, -12), LastSeen: Now.AddDate(0, 0, -5), Count: 3},
			}},
		{AgentID: WebAgent, User: "deploy", FirstSeen: Now.AddDate(0, 0, -3), LastSeen: Now.Add(-26 * time.Hour), Logins: 4,
			Hours: evening, Sources: []store.LoginSource{
				{IP: "10.0.9.5", FirstSeen: Now.AddDate(0, 0, -3), LastSeen: Now.Add(-26 * time.Hour), Count: 4},
			}},
		{AgentID: DBAgent, User: "root", FirstSeen: Now.AddDate(0, 0, -20), LastSeen: Now.Add(-7 * time.Hour), Logins: 12,
			Hours: night, Sources: []store.LoginSource{
				{IP: "10.0.8.3", FirstSeen: Now.AddDate(0, 0, -20), LastSeen: Now.Add(-7 * time.Hour), Count: 12},
			}},
		{AgentID: GoneAgent, User: "bob", FirstSeen: Now.AddDate(0, 0, -40), LastSeen: Now.AddDate(0, 0, -25), Logins: 1,
			Sources: []store.LoginSource{}},
	}
	ps[3].Hours[7] = 1
	if err := e.Store.Baselines().PutLoginProfiles(ctx, ps); err != nil {
		e.TB.Fatalf("seed login profiles: %v", err)
	}
}
