// Package timing records per-phase wall time, CPU time and counters for a
// lockstep run and renders them as the JSON report of DESIGN.md.
//
// A nil *Recorder and a nil *Span are valid and do nothing, so code can time
// itself unconditionally. Phases may overlap (fetch and extract run as one
// pipeline); CPU figures of a phase are the process's rusage delta over the
// phase's wall span, so overlapping phases share CPU time.
//
// Compare judges a run's Report against the base branch's History (a
// bounded, JSON-serializable list of earlier reports) and renders the
// pull-request timing table (Comparison.Markdown) and a Mermaid bar chart
// (Comparison.Mermaid). These are pure functions: no I/O, no clock.
package timing

import (
	"encoding/json"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Phase is one timed step in the report.
type Phase struct {
	Name        string `json:"name"`
	WallMS      int64  `json:"wall_ms"`
	UserMS      int64  `json:"user_ms"`
	SysMS       int64  `json:"sys_ms"`
	Requests    int64  `json:"requests"`
	Bytes       int64  `json:"bytes"`
	CacheHits   int64  `json:"cache_hits"`
	CacheMisses int64  `json:"cache_misses"`
	// MaxRSSKB is the process's peak RSS by the end of the phase (0 in
	// reports written before this field existed).
	MaxRSSKB int64 `json:"max_rss_kb,omitempty"`
}

// Packages counts what a run installed.
type Packages struct {
	Total      int `json:"total"`
	Installed  int `json:"installed"`
	FromCache  int `json:"from_cache"`
	Downloaded int `json:"downloaded"`
}

// Report is the JSON document written by --report.
type Report struct {
	Command   string   `json:"command"`
	Version   string   `json:"version"`
	StartedAt string   `json:"started_at"`
	WallMS    int64    `json:"wall_ms"`
	UserMS    int64    `json:"user_ms"`
	SysMS     int64    `json:"sys_ms"`
	MaxRSSKB  int64    `json:"max_rss_kb"`
	Packages  Packages `json:"packages"`
	Phases    []Phase  `json:"phases"`
}

// Recorder collects the phases of one run. It is safe for concurrent use.
type Recorder struct {
	now   func() time.Time
	start time.Time
	ru0   syscall.Rusage

	mu     sync.Mutex
	phases []*Span
}

// Span is one running or finished phase.
type Span struct {
	r        *Recorder
	name     string
	start    time.Time
	ru0      syscall.Rusage
	end      time.Time
	ru1      syscall.Rusage
	done     bool
	Requests atomic.Int64
	Bytes    atomic.Int64
	Hits     atomic.Int64
	Misses   atomic.Int64
}

// New starts a recorder; now may be nil (time.Now).
func New(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	r := &Recorder{now: now, start: now()}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r.ru0)
	return r
}

// Start begins a phase. Ending it is the caller's job.
func (r *Recorder) Start(name string) *Span {
	if r == nil {
		return nil
	}
	s := &Span{r: r, name: name, start: r.now()}
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &s.ru0)
	r.mu.Lock()
	r.phases = append(r.phases, s)
	r.mu.Unlock()
	return s
}

// End finishes the phase; later calls do nothing.
func (s *Span) End() {
	if s == nil {
		return
	}
	s.r.mu.Lock()
	defer s.r.mu.Unlock()
	if s.done {
		return
	}
	s.done = true
	s.end = s.r.now()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &s.ru1)
}

// AddRequests and friends are nil-safe counters.
func (s *Span) AddRequests(n int64) {
	if s != nil {
		s.Requests.Add(n)
	}
}

// AddBytes counts downloaded bytes.
func (s *Span) AddBytes(n int64) {
	if s != nil {
		s.Bytes.Add(n)
	}
}

// Hit counts a cache hit.
func (s *Span) Hit() {
	if s != nil {
		s.Hits.Add(1)
	}
}

// Miss counts a cache miss.
func (s *Span) Miss() {
	if s != nil {
		s.Misses.Add(1)
	}
}

func tvMS(tv syscall.Timeval) int64 { return tv.Sec*1000 + int64(tv.Usec)/1000 }

// Report builds the report for command with the given package counts.
func (r *Recorder) Report(command, version string, pk Packages) Report {
	if r == nil {
		return Report{Command: command, Version: version, Packages: pk, Phases: []Phase{}}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	rep := Report{
		Command:   command,
		Version:   version,
		StartedAt: r.start.UTC().Format(time.RFC3339),
		WallMS:    r.now().Sub(r.start).Milliseconds(),
		UserMS:    tvMS(ru.Utime) - tvMS(r.ru0.Utime),
		SysMS:     tvMS(ru.Stime) - tvMS(r.ru0.Stime),
		MaxRSSKB:  ru.Maxrss, // Linux reports kilobytes
		Packages:  pk,
		Phases:    []Phase{},
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.phases {
		end, ru1 := s.end, s.ru1
		if !s.done {
			end, ru1 = r.now(), ru
		}
		rep.Phases = append(rep.Phases, Phase{
			Name:        s.name,
			WallMS:      end.Sub(s.start).Milliseconds(),
			UserMS:      tvMS(ru1.Utime) - tvMS(s.ru0.Utime),
			SysMS:       tvMS(ru1.Stime) - tvMS(s.ru0.Stime),
			Requests:    s.Requests.Load(),
			Bytes:       s.Bytes.Load(),
			CacheHits:   s.Hits.Load(),
			CacheMisses: s.Misses.Load(),
			MaxRSSKB:    ru1.Maxrss,
		})
	}
	return rep
}

// JSON renders the report with a trailing newline.
func (rep Report) JSON() []byte {
	b, _ := json.MarshalIndent(rep, "", "  ")
	return append(b, '\n')
}
