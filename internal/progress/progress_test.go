package progress

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNilReporter(t *testing.T) {
	var r *Reporter
	r.SetTotal(3)
	r.Resolved(1)
	r.Fetched(1)
	r.Linked(1)
	r.Bytes(10)
	r.Stop()
	if r.Counts() != (Counts{}) || r.Mode() != Off {
		t.Errorf("nil reporter: %+v %v", r.Counts(), r.Mode())
	}
	if Start(&syncBuf{}, Off, Options{}) != nil || Start(nil, Live, Options{}) != nil {
		t.Error("Start for Off or a nil writer must return nil")
	}
}

func TestParseSetting(t *testing.T) {
	cases := []struct {
		in   string
		want Setting
		err  bool
	}{
		{"", Auto, false}, {"auto", Auto, false}, {" ALWAYS ", Always, false},
		{"never", Never, false}, {"off", Never, false}, {"sometimes", "", true},
	}
	for _, tc := range cases {
		got, err := ParseSetting(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseSetting(%q) = %q, %v", tc.in, got, err)
		}
	}
}

func TestChoose(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	cases := []struct {
		s    Setting
		term bool
		env  func(string) string
		want Mode
	}{
		{Auto, true, env(), Live},
		{Auto, true, env("TERM", "dumb"), Off},
		{Auto, true, env("TERM", "dumb", "CI", "true"), Plain},
		{Auto, false, env(), Off},
		{Auto, false, env("CI", "true"), Plain},
		{Auto, false, env("CI", "1"), Plain},
		{Auto, false, env("CI", "false"), Off},
		{Auto, false, env("CI", "0"), Off},
		{Always, false, env(), Plain},
		{Always, true, env(), Live},
		{Never, true, env("CI", "true"), Off},
		{Auto, false, nil, Off},
	}
	for i, tc := range cases {
		if got := Choose(tc.s, tc.term, tc.env); got != tc.want {
			t.Errorf("case %d: Choose(%s, %v) = %v, want %v", i, tc.s, tc.term, got, tc.want)
		}
	}
}

// eventually waits until buf holds want (the drawing goroutine writes
// asynchronously).
func eventually(t *testing.T, buf *syncBuf, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("output never contained %q; got %q", want, buf.String())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLive(t *testing.T) {
	buf := &syncBuf{}
	tick := make(chan time.Time)
	r := Start(buf, Live, Options{Label: "lockstep ci", Tick: tick})
	r.SetTotal(412)
	r.Resolved(412)
	r.Fetched(10)
	r.Bytes(3 << 20)
	tick <- time.Time{}
	first := "\rlockstep ci: resolved 412 · fetched 10/412 · 3.0 MiB\x1b[K"
	eventually(t, buf, first)

	// Unchanged counters: no redraw (the second send returns only after the
	// first tick was handled).
	tick <- time.Time{}
	tick <- time.Time{}
	if got := buf.String(); got != first {
		t.Errorf("redrew unchanged line: %q", got)
	}
	r.Linked(412)
	tick <- time.Time{}
	eventually(t, buf, "linked 412 · 3.0 MiB")
	r.Stop()
	r.Stop()
	out := buf.String()
	if !strings.HasSuffix(out, "\r\x1b[K") || strings.Contains(out, "\n") {
		t.Errorf("live output must end by clearing the line and never print newlines: %q", out)
	}
	r.Fetched(1) // after Stop: counted, never drawn
	if buf.String() != out {
		t.Error("wrote after Stop")
	}
}

func TestLiveTruncatesLongLines(t *testing.T) {
	buf := &syncBuf{}
	tick := make(chan time.Time)
	r := Start(buf, Live, Options{Label: strings.Repeat("x", 200), Tick: tick})
	r.Fetched(1)
	tick <- time.Time{}
	eventually(t, buf, "\x1b[K")
	r.Stop()
	line := strings.SplitN(buf.String(), "\x1b[K", 2)[0]
	if n := len([]rune(strings.TrimPrefix(line, "\r"))); n > 79 {
		t.Errorf("live line is %d columns", n)
	}
}

func TestPlain(t *testing.T) {
	buf := &syncBuf{}
	tick := make(chan time.Time)
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	r := Start(buf, Plain, Options{Label: "lockstep warm", Tick: tick, Now: clock})
	r.Resolved(5)
	advance(5 * time.Second)
	tick <- time.Time{}
	eventually(t, buf, "lockstep warm: resolved 5 (5s)\n")
	// Unchanged: silent until the heartbeat.
	for i := 0; i < heartbeat-1; i++ {
		advance(5 * time.Second)
		tick <- time.Time{}
	}
	if n := strings.Count(buf.String(), "\n"); n != 1 {
		t.Errorf("%d lines before the heartbeat: %q", n, buf.String())
	}
	advance(5 * time.Second)
	tick <- time.Time{}
	eventually(t, buf, "(35s)\n")
	r.Fetched(5)
	advance(time.Second)
	r.Stop()
	out := buf.String()
	if !strings.HasSuffix(out, "resolved 5 · fetched 5 (36s) done\n") || strings.Contains(out, "\r") || strings.Contains(out, "\x1b") {
		t.Errorf("plain output = %q", out)
	}
}

func TestRealTickerRateAndRace(t *testing.T) {
	buf := &syncBuf{}
	r := Start(buf, Live, Options{Interval: 20 * time.Millisecond})
	start := time.Now()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < 200*time.Millisecond {
				r.Fetched(1)
				r.Bytes(100)
				time.Sleep(50 * time.Microsecond) // workers wait on I/O
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	r.Stop()
	draws := strings.Count(buf.String(), "\x1b[K") - 1 // minus Stop's clear
	if max := int(elapsed/(20*time.Millisecond)) + 1; draws < 1 || draws > max {
		t.Errorf("%d redraws in %v at 20 ms interval (max %d)", draws, elapsed, max)
	}
	if c := r.Counts(); c.Fetched == 0 || c.Bytes != 100*c.Fetched {
		t.Errorf("counts = %+v", c)
	}
}

func TestBytesSourceAndEmpty(t *testing.T) {
	buf := &syncBuf{}
	tick := make(chan time.Time)
	r := Start(buf, Live, Options{Tick: tick})
	tick <- time.Time{}
	eventually(t, buf, "\rstarting\x1b[K")
	var n atomic.Int64
	r.SetBytesSource(n.Load)
	r.Bytes(24)
	n.Store(1000)
	tick <- time.Time{}
	eventually(t, buf, "\r1.0 KiB\x1b[K")
	r.Stop()
	if c := r.Counts(); c.Bytes != 1024 {
		t.Errorf("bytes = %d", c.Bytes)
	}
}

func TestWrap(t *testing.T) {
	buf := &syncBuf{}
	if w := Start(&syncBuf{}, Plain, Options{Tick: make(chan time.Time)}); w.Wrap(buf) != io.Writer(buf) {
		t.Error("plain mode must not wrap")
	} else {
		w.Stop()
	}
	var nilR *Reporter
	if nilR.Wrap(buf) != io.Writer(buf) {
		t.Error("nil reporter must not wrap")
	}
	tick := make(chan time.Time)
	r := Start(buf, Live, Options{Tick: tick})
	other := &syncBuf{}
	ow := r.Wrap(other)
	fmt.Fprintf(ow, "warning: one\n") // nothing drawn yet: no clear
	r.Fetched(1)
	tick <- time.Time{}
	eventually(t, buf, "\rfetched 1\x1b[K")
	fmt.Fprintf(ow, "warning: two\n")
	tick <- time.Time{} // unchanged counters, but the line was cleared: redraw
	tick <- time.Time{}
	r.Stop()
	want := "\rfetched 1\x1b[K\r\x1b[K\rfetched 1\x1b[K\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("terminal = %q, want %q", got, want)
	}
	if got := other.String(); got != "warning: one\nwarning: two\n" {
		t.Errorf("other = %q", got)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) || IsTerminal(&syncBuf{}) || IsTerminal((*os.File)(nil)) {
		t.Error("a file, a buffer and a nil file are not terminals")
	}
}

func TestFormatBytes(t *testing.T) {
	cases := map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB", 5 << 30: "5.00 GiB"}
	for n, want := range cases {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
