package baseline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vigilsec/vigil/internal/store"
)

// ProfileView is a login profile as the API shows it: the stored
// profile, its status and the baseline's time zone.
type ProfileView struct {
	store.LoginProfile
	// Status is StatusLearning or StatusLearned at the time of the
	// listing.
	Status string `json:"status"`
	// LearnedAt is when the profile left learning; zero while learning.
	// See the package documentation for how it is computed.
	LearnedAt time.Time `json:"learned_at,omitzero"`
	// TimeZone names the time zone of Hours.
	TimeZone string `json:"time_zone"`
}

// Profiles lists the stored profiles, by agent id then user, with their
// status at the time of the listing. The profiles learned since the
// last Flush are written first, so that the listing is current.
func (s *Service) Profiles(ctx context.Context, f store.LoginProfileFilter) ([]ProfileView, string, error) {
	if s.cfg.Store == nil {
		return nil, "", ErrNoStore
	}
	if err := s.Flush(ctx); err != nil {
		return nil, "", fmt.Errorf("list login profiles: %w", err)
	}
	ps, next, err := s.cfg.Store.ListLoginProfiles(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("list login profiles: %w", err)
	}
	now := s.cfg.Now()
	views := make([]ProfileView, len(ps))
	for i, p := range ps {
		views[i] = s.view(p, now)
	}
	return views, next, nil
}

// view returns the view of p at time now.
func (s *Service) view(p store.LoginProfile, now time.Time) ProfileView {
	if p.Sources == nil {
		p.Sources = []store.LoginSource{}
	}
	v := ProfileView{LoginProfile: p, Status: StatusLearning, TimeZone: s.zone}
	ready := p.FirstSeen.Add(s.cfg.LearningPeriod)
	if p.Logins < int64(s.cfg.MinLogins) || now.Before(ready) {
		return v
	}
	switch {
	case !p.LearnedAt.IsZero():
		// Recorded when the login completing the count was learned.
		v.LearnedAt = p.LearnedAt
	default:
		// A profile written before the minimum was lowered: estimated.
		v.LearnedAt = minLoginsAt(p, s.cfg.MinLogins)
	}
	if v.LearnedAt.Before(ready) {
		v.LearnedAt = ready
	}
	if now.Before(v.LearnedAt) {
		v.LearnedAt = time.Time{}
		return v
	}
	v.Status = StatusLearned
	return v
}

// minLoginsAt estimates the time of the profile's min-th login, its
// logins spread evenly between FirstSeen and LastSeen: exact for the
// first and the last.
func minLoginsAt(p store.LoginProfile, minLogins int) time.Time {
	if p.Logins <= 1 || minLogins <= 1 {
		return p.FirstSeen
	}
	if int64(minLogins) >= p.Logins {
		return p.LastSeen
	}
	span := p.LastSeen.Sub(p.FirstSeen)
	share := float64(minLogins-1) / float64(p.Logins-1)
	return p.FirstSeen.Add(time.Duration(float64(span) * share))
}

// zoneName names loc by its IANA name. For time.Local, whose name is
// "Local", the name comes from TZ or from the target of /etc/localtime,
// and stays "Local" when neither says.
func zoneName(loc *time.Location) string {
	name := loc.String()
	if loc != time.Local {
		return name
	}
	if tz, ok := os.LookupEnv("TZ"); ok {
		tz = strings.TrimPrefix(tz, ":")
		switch {
		case tz == "":
			return "UTC"
		case !filepath.IsAbs(tz):
			return tz
		}
	}
	target, err := os.Readlink("/etc/localtime")
	if err != nil {
		return name
	}
	if _, zone, ok := strings.Cut(target, "/zoneinfo/"); ok && zone != "" {
		return zone
	}
	return name
}
