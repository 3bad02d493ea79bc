package timing

import (
	"encoding/json"
	"testing"
	"time"
)

func TestNilSafe(t *testing.T) {
	var r *Recorder
	s := r.Start("fetch")
	s.AddRequests(1)
	s.AddBytes(2)
	s.Hit()
	s.Miss()
	s.End()
	rep := r.Report("ci", "1.0.0", Packages{Total: 3})
	if rep.Command != "ci" || rep.Packages.Total != 3 || rep.Phases == nil {
		t.Errorf("report = %+v", rep)
	}
}

func TestReport(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	r := New(clock)
	s := r.Start("fetch")
	s.AddRequests(405)
	s.AddBytes(28000000)
	s.Miss()
	s.Hit()
	now = now.Add(700 * time.Millisecond)
	s.End()
	now = now.Add(time.Second) // End is final
	s.End()
	open := r.Start("link") // never ended: measured up to the report
	_ = open
	now = now.Add(300 * time.Millisecond)

	rep := r.Report("ci", "0.1.0", Packages{Total: 2, Installed: 2, Downloaded: 1, FromCache: 1})
	if rep.StartedAt != "2026-11-26T12:00:00Z" || rep.WallMS != 2000 {
		t.Errorf("started_at %q wall %d", rep.StartedAt, rep.WallMS)
	}
	if len(rep.Phases) != 2 {
		t.Fatalf("phases = %+v", rep.Phases)
	}
	f := rep.Phases[0]
	if f.Name != "fetch" || f.WallMS != 700 || f.Requests != 405 || f.Bytes != 28000000 || f.CacheHits != 1 || f.CacheMisses != 1 {
		t.Errorf("fetch = %+v", f)
	}
	if f.MaxRSSKB <= 0 || f.MaxRSSKB > rep.MaxRSSKB {
		t.Errorf("fetch max_rss_kb = %d, run's = %d", f.MaxRSSKB, rep.MaxRSSKB)
	}
	if l := rep.Phases[1]; l.Name != "link" || l.WallMS != 300 {
		t.Errorf("link = %+v", l)
	}
	if rep.MaxRSSKB <= 0 {
		t.Errorf("max_rss_kb = %d", rep.MaxRSSKB)
	}
	// The JSON field names are part of the contract (DESIGN.md).
	var m map[string]any
	if err := json.Unmarshal(rep.JSON(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"command", "version", "started_at", "wall_ms", "user_ms", "sys_ms", "max_rss_kb", "packages", "phases"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report lacks %q", k)
		}
	}
	ph := m["phases"].([]any)[0].(map[string]any)
	for _, k := range []string{"name", "wall_ms", "user_ms", "sys_ms", "requests", "bytes", "cache_hits", "cache_misses"} {
		if _, ok := ph[k]; !ok {
			t.Errorf("phase lacks %q", k)
		}
	}
}
