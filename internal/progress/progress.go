// Package progress reports how far a long install has got: packages
// resolved, fetched and linked and bytes downloaded.
//
// On a terminal it keeps one live line, redrawn in place ("\r", then clear to
// end of line) at most Options.Interval apart (default 100 ms, ~10×/s) and
// only when something changed; elsewhere (CI logs) it writes a plain line
// every Options.Interval (default 5 s) when something changed.
//
// Invariants: a nil *Reporter is valid and does nothing, so install code can
// count unconditionally; counting is a single atomic add (no locks, no
// allocation, no I/O on the caller's goroutine); all writing happens on the
// reporter's own goroutine, and Stop waits for it, so nothing is written
// after Stop returns. Stop removes the live line (the command prints its own
// summary) and writes a final plain line in plain mode.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Mode is how progress is shown.
type Mode int

// Modes.
const (
	Off   Mode = iota // nothing
	Live              // one line redrawn in place (a terminal)
	Plain             // a line every few seconds (CI logs, files)
)

func (m Mode) String() string {
	switch m {
	case Live:
		return "live"
	case Plain:
		return "plain"
	}
	return "off"
}

// Setting is the user's --progress choice.
type Setting string

// Settings.
const (
	Auto   Setting = "auto"   // live on a terminal, plain when $CI is set, else off
	Always Setting = "always" // live on a terminal, else plain
	Never  Setting = "never"  // off
)

// ParseSetting reads a --progress value ("" means auto).
func ParseSetting(s string) (Setting, error) {
	switch Setting(strings.ToLower(strings.TrimSpace(s))) {
	case "", Auto:
		return Auto, nil
	case Always, "on", "true":
		return Always, nil
	case Never, "off", "false":
		return Never, nil
	}
	return "", fmt.Errorf("failed to parse progress setting %q: expected \"auto\", \"always\" or \"never\"", s)
}

// Choose picks the mode for a setting, given whether the output is a
// terminal and the environment (CI: any non-empty value other than "false"
// and "0" counts).
func Choose(s Setting, terminal bool, getenv func(string) string) Mode {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	ci := getenv("CI")
	inCI := ci != "" && ci != "false" && ci != "0"
	switch s {
	case Never:
		return Off
	case Always:
		if terminal {
			return Live
		}
		return Plain
	}
	switch {
	case terminal && getenv("TERM") != "dumb":
		return Live
	case inCI:
		return Plain
	}
	return Off
}

// Options configure a Reporter.
type Options struct {
	// Label starts every line, e.g. "lockstep ci".
	Label string
	// Interval between redraws; 0 means 100 ms live, 5 s plain.
	Interval time.Duration
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// Tick, when set, replaces the ticker (tests): a redraw happens on every
	// receive.
	Tick <-chan time.Time
}

// Reporter counts progress and shows it. Create it with Start; a nil
// Reporter (what Start returns for Off) ignores everything.
type Reporter struct {
	resolved, fetched, linked, total, bytes atomic.Int64
	bytesFrom                               atomic.Pointer[func() int64]

	mode  Mode
	w     io.Writer
	o     Options
	start time.Time

	mu       sync.Mutex // serializes drawing with writes through Wrap
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	last     Counts // counters last drawn (owned by the drawing goroutine, then Stop)
	drawn    bool   // something was drawn
	quiet    int    // ticks since the last plain line
	width    int    // width of the live line on screen
}

// Start begins reporting to w in mode m; it returns nil for Off or a nil w.
func Start(w io.Writer, m Mode, o Options) *Reporter {
	if m == Off || w == nil {
		return nil
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Interval <= 0 {
		o.Interval = 100 * time.Millisecond
		if m == Plain {
			o.Interval = 5 * time.Second
		}
	}
	r := &Reporter{mode: m, w: w, o: o, start: o.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// Mode reports how r shows progress (Off for nil).
func (r *Reporter) Mode() Mode {
	if r == nil {
		return Off
	}
	return r.mode
}

// SetTotal sets how many packages (tarballs) the run will fetch, shown as
// "fetched 12/398" (0: unknown).
func (r *Reporter) SetTotal(n int64) {
	if r != nil {
		r.total.Store(n)
	}
}

// Resolved counts n packages resolved (or read from the lockfile).
func (r *Reporter) Resolved(n int64) {
	if r != nil {
		r.resolved.Add(n)
	}
}

// Fetched counts n packages whose contents are available (downloaded or
// found in the store).
func (r *Reporter) Fetched(n int64) {
	if r != nil {
		r.fetched.Add(n)
	}
}

// Linked counts n packages placed in node_modules.
func (r *Reporter) Linked(n int64) {
	if r != nil {
		r.linked.Add(n)
	}
}

// Bytes counts n bytes downloaded.
func (r *Reporter) Bytes(n int64) {
	if r != nil {
		r.bytes.Add(n)
	}
}

// SetBytesSource makes the byte count read src (e.g. a registry client's
// atomic counter's Load) instead of Bytes' counter. src is called from the
// drawing goroutine and must be safe for concurrent use.
func (r *Reporter) SetBytesSource(src func() int64) {
	if r != nil && src != nil {
		r.bytesFrom.Store(&src)
	}
}

// Counts is a snapshot of the counters.
type Counts struct {
	Resolved, Fetched, Linked, Total, Bytes int64
}

// Counts returns the current counters (zero for nil).
func (r *Reporter) Counts() Counts {
	if r == nil {
		return Counts{}
	}
	c := Counts{r.resolved.Load(), r.fetched.Load(), r.linked.Load(), r.total.Load(), r.bytes.Load()}
	if src := r.bytesFrom.Load(); src != nil {
		c.Bytes += (*src)()
	}
	return c
}

// Stop ends reporting: the live line is cleared, plain mode writes a final
// line. It waits for the drawing goroutine; later calls do nothing.
func (r *Reporter) Stop() {
	if r == nil {
		return
	}
	r.stopOnce.Do(func() {
		close(r.stop)
		<-r.done
		r.mu.Lock()
		defer r.mu.Unlock()
		switch r.mode {
		case Live:
			if r.width > 0 {
				io.WriteString(r.w, "\r\x1b[K")
				r.width = 0
			}
		case Plain:
			io.WriteString(r.w, r.line(r.Counts(), true)+"\n")
		}
	})
}

func (r *Reporter) loop() {
	defer close(r.done)
	tick := r.o.Tick
	if tick == nil {
		t := time.NewTicker(r.o.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-r.stop:
			return
		case <-tick:
			r.draw()
		}
	}
}

// heartbeat is how many unchanged plain ticks pass before a line is
// written anyway, so a stalled run does not look hung in a log.
const heartbeat = 6

func (r *Reporter) draw() {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.Counts()
	if r.drawn && c == r.last {
		if r.mode == Live {
			return
		}
		if r.quiet++; r.quiet < heartbeat {
			return
		}
	}
	r.last, r.drawn, r.quiet = c, true, 0
	line := r.line(c, false)
	if r.mode == Live {
		const maxWidth = 79 // never wrap on an 80-column terminal
		if rs := []rune(line); len(rs) > maxWidth {
			line = string(rs[:maxWidth])
		}
		r.width = len([]rune(line))
		io.WriteString(r.w, "\r"+line+"\x1b[K")
		return
	}
	io.WriteString(r.w, line+"\n")
}

// line renders the counters (and, for plain lines, the elapsed time so a
// log reader sees the pace).
func (r *Reporter) line(c Counts, final bool) string {
	var parts []string
	if c.Resolved > 0 {
		parts = append(parts, fmt.Sprintf("resolved %d", c.Resolved))
	}
	of := ""
	if c.Total > 0 {
		of = fmt.Sprintf("/%d", c.Total)
	}
	if c.Fetched > 0 || c.Total > 0 {
		parts = append(parts, fmt.Sprintf("fetched %d%s", c.Fetched, of))
	}
	if c.Linked > 0 {
		parts = append(parts, fmt.Sprintf("linked %d", c.Linked))
	}
	if c.Bytes > 0 {
		parts = append(parts, FormatBytes(c.Bytes))
	}
	if len(parts) == 0 {
		parts = append(parts, "starting")
	}
	s := strings.Join(parts, " · ")
	if r.o.Label != "" {
		s = r.o.Label + ": " + s
	}
	if r.mode == Plain {
		el := r.o.Now().Sub(r.start).Truncate(100 * time.Millisecond)
		s += fmt.Sprintf(" (%s)", el)
		if final {
			s += " done"
		}
	}
	return s
}

// FormatBytes renders n bytes as "512 B", "1.5 KiB", "12.3 MiB", "1.20 GiB".
func FormatBytes(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
}

// Wrap returns a writer for other output (warnings, logs) that shares the
// terminal with the live line: each write first clears the line, and the
// next tick draws it again below the output. Without a live line it returns
// w itself.
func (r *Reporter) Wrap(w io.Writer) io.Writer {
	if r == nil || r.mode != Live || w == nil {
		return w
	}
	return &wrapped{r: r, w: w}
}

type wrapped struct {
	r *Reporter
	w io.Writer
}

func (x *wrapped) Write(p []byte) (int, error) {
	r := x.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.width > 0 {
		io.WriteString(r.w, "\r\x1b[K")
		r.width = 0
		r.drawn = false // redraw on the next tick even if nothing changed
	}
	return x.w.Write(p)
}
