package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// freshClient never reuses connections, so net/http's silent retry of
// requests on reused connections cannot hide a fault.
func freshClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
}

func TestFaults(t *testing.T) {
	t.Parallel()
	isTimeout := func(err error) bool {
		var ne net.Error
		return errors.As(err, &ne) && ne.Timeout()
	}
	tests := []struct {
		fault   Fault
		target  string // "packument" or "tarball"
		timeout time.Duration
		stall   time.Duration
		check   func(t *testing.T, r *Registry, res result, err error)
	}{
		{fault: Fault500, target: "packument", check: func(t *testing.T, r *Registry, res result, err error) {
			if err != nil || res.status != 500 || !json.Valid(res.body) {
				t.Errorf("got %d %q %v, want 500 JSON", res.status, res.body, err)
			}
		}},
		{fault: Fault503, target: "tarball", check: func(t *testing.T, r *Registry, res result, err error) {
			if err != nil || res.status != 503 {
				t.Errorf("got %d %v, want 503", res.status, err)
			}
		}},
		{fault: Fault429, target: "packument", check: func(t *testing.T, r *Registry, res result, err error) {
			if err != nil || res.status != 429 || res.header.Get("Retry-After") != "1" {
				t.Errorf("got %d Retry-After %q %v, want 429 with Retry-After: 1", res.status, res.header.Get("Retry-After"), err)
			}
		}},
		{fault: FaultReset, target: "packument", check: func(t *testing.T, r *Registry, res result, err error) {
			if err == nil {
				t.Fatalf("got %d, want a connection error", res.status)
			}
			if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
				t.Errorf("error %v, want ECONNRESET or EOF", err)
			}
		}},
		{fault: FaultStall, target: "tarball", timeout: 150 * time.Millisecond, stall: time.Minute,
			check: func(t *testing.T, r *Registry, res result, err error) {
				if !isTimeout(err) {
					t.Errorf("got %d %v, want a client timeout", res.status, err)
				}
			}},
		{fault: FaultStall, target: "packument", stall: 100 * time.Millisecond,
			check: func(t *testing.T, r *Registry, res result, err error) {
				if err != nil || res.status != 200 {
					t.Errorf("bounded stall: got %d %v, want 200 after the stall", res.status, err)
				}
			}},
		{fault: FaultStallBody, target: "tarball", timeout: 300 * time.Millisecond, stall: time.Minute,
			check: func(t *testing.T, r *Registry, res result, err error) {
				if !isTimeout(err) || res.status != 200 {
					t.Errorf("got %d %v, want 200 then a body timeout", res.status, err)
				}
			}},
		{fault: FaultTruncate, target: "tarball", check: func(t *testing.T, r *Registry, res result, err error) {
			if !errors.Is(err, io.ErrUnexpectedEOF) || res.status != 200 {
				t.Errorf("got %d %v, want 200 then unexpected EOF", res.status, err)
			}
			if full := len(r.Tarball("left", "1.2.0")); len(res.body) != full/2 {
				t.Errorf("received %d bytes, want %d", len(res.body), full/2)
			}
		}},
		{fault: FaultCorrupt, target: "tarball", check: func(t *testing.T, r *Registry, res result, err error) {
			good := r.Tarball("left", "1.2.0")
			if err != nil || res.status != 200 || len(res.body) != len(good) {
				t.Fatalf("got %d, %d bytes, %v; want 200 and %d bytes", res.status, len(res.body), err, len(good))
			}
			if SRI(res.body) == r.Integrity("left", "1.2.0") || !bytes.Equal(res.body[:10], good[:10]) {
				t.Errorf("corrupt tarball: integrity unchanged or gzip header damaged")
			}
		}},
		{fault: FaultCorrupt, target: "packument", check: func(t *testing.T, r *Registry, res result, err error) {
			if err != nil || res.status != 200 || json.Valid(res.body) {
				t.Errorf("got %d valid=%v %v, want 200 with invalid JSON", res.status, json.Valid(res.body), err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.fault.String()+"/"+tc.target, func(t *testing.T) {
			t.Parallel()
			r := NewRegistry(t, fullPkg)
			if tc.stall > 0 {
				r.SetStallDuration(tc.stall)
			}
			u := r.URL() + "left"
			if tc.target == "tarball" {
				u = r.TarballURL("left", "1.2.0")
			}
			r.FailTimes(u, tc.fault, 1)
			start := time.Now()
			res, err := do(t, freshClient(tc.timeout), http.MethodGet, u, nil)
			if el := time.Since(start); el > 10*time.Second {
				t.Errorf("faulted request took %v", el)
			}
			if tc.fault == FaultStall && tc.timeout == 0 && time.Since(start) < tc.stall {
				t.Errorf("stall of %v ended after %v", tc.stall, time.Since(start))
			}
			tc.check(t, r, res, err)

			// The fault is used up: the next request is served normally.
			res, err = do(t, freshClient(0), http.MethodGet, u, nil)
			if err != nil || res.status != 200 {
				t.Fatalf("second request: %d %v, want 200", res.status, err)
			}
			if tc.target == "tarball" && SRI(res.body) != r.Integrity("left", "1.2.0") {
				t.Errorf("second request: wrong tarball bytes")
			}
			if got := r.Hits(u); got != 2 {
				t.Errorf("Hits = %d, want 2", got)
			}
			if got := r.Stats().FaultsInjected; got != 1 {
				t.Errorf("FaultsInjected = %d, want 1", got)
			}
		})
	}
}

func TestFailTimesQueue(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	r.FailTimes("left", Fault503, 2)
	r.FailTimes("/left", Fault429, 1)
	r.FailTimes("/other", Fault500, 1)
	r.FailTimes("/other", Fault500, 0) // cleared
	var got []int
	for i := 0; i < 5; i++ {
		got = append(got, mustGet(t, r, r.URL()+"left").status)
	}
	if want := []int{503, 503, 429, 200, 200}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("statuses = %v, want %v", got, want)
	}
	if res := mustGet(t, r, r.URL()+"other"); res.status != 404 {
		t.Errorf("cleared fault still applied: %d", res.status)
	}
}

func TestFailAll(t *testing.T) {
	t.Parallel()
	const n, times = 60, 2
	var pkgs []Package
	for i := 0; i < n; i++ {
		pkgs = append(pkgs, Package{Name: fmt.Sprintf("p%02d", i), Version: "1.0.0"})
	}
	failing := func(r *Registry) map[string]bool {
		out := map[string]bool{}
		for _, p := range pkgs {
			if mustGet(t, r, r.URL()+p.Name).status == 503 {
				out[p.Name] = true
			}
		}
		return out
	}
	tests := []struct {
		share    float64
		min, max int
	}{
		{0, 0, 0},
		{0.3, 6, 30},
		{1, n, n},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.share), func(t *testing.T) {
			a, b := NewRegistry(t, pkgs...), NewRegistry(t, pkgs...)
			a.FailAll(Fault503, tc.share, 42, times)
			b.FailAll(Fault503, tc.share, 42, times)
			fa := failing(a)
			if len(fa) < tc.min || len(fa) > tc.max {
				t.Errorf("%d of %d paths failed, want %d..%d", len(fa), n, tc.min, tc.max)
			}
			// Same seed, same selection, in any request order.
			rev := map[string]bool{}
			for i := n - 1; i >= 0; i-- {
				if mustGet(t, b, b.URL()+pkgs[i].Name).status == 503 {
					rev[pkgs[i].Name] = true
				}
			}
			if fmt.Sprint(fa) != fmt.Sprint(rev) {
				t.Errorf("selection depends on order: %v vs %v", fa, rev)
			}
			// Each selected path fails exactly `times` times.
			second, third := failing(a), failing(a)
			if fmt.Sprint(second) != fmt.Sprint(fa) || len(third) != 0 {
				t.Errorf("second round %d failing (want %d), third %d (want 0)", len(second), len(fa), len(third))
			}
			if got := a.Stats().FaultsInjected; got != times*len(fa) {
				t.Errorf("FaultsInjected = %d, want %d", got, times*len(fa))
			}
		})
	}
	r := NewRegistry(t, pkgs...)
	r.FailAll(Fault503, 0.5, 1, 1)
	c := failing(r)
	r2 := NewRegistry(t, pkgs...)
	r2.FailAll(Fault503, 0.5, 2, 1)
	if fmt.Sprint(c) == fmt.Sprint(failing(r2)) {
		t.Errorf("different seeds chose the same %d paths", len(c))
	}
}

// TestResetOnReusedConnection documents net/http behaviour retry tests must
// know: a reset on a reused idle connection is retried by the transport.
func TestResetOnReusedConnection(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	c := &http.Client{Transport: &http.Transport{}}
	mustStatus := func(want int) {
		res, err := do(t, c, http.MethodGet, r.URL()+"left", nil)
		if err != nil || res.status != want {
			t.Fatalf("got %d %v, want %d", res.status, err, want)
		}
	}
	mustStatus(200) // opens the connection that will be reused
	r.FailTimes("/left", FaultReset, 1)
	mustStatus(200)
	if got := r.Hits("/left"); got != 3 {
		t.Errorf("Hits = %d, want 3 (the transport retried the reset request)", got)
	}
}

// TestServerStopsAtCleanup runs sequentially (no t.Parallel) so no other
// test's server goroutines are alive while it inspects the stacks.
func TestServerStopsAtCleanup(t *testing.T) {
	clientDone := make(chan error, 1)
	var closeTook time.Duration
	t.Run("inner", func(t *testing.T) {
		r := NewRegistry(t, fullPkg)
		r.SetStallDuration(time.Hour)
		r.FailTimes("/left", FaultStall, 1)
		r.FailTimes(TarballPath("left", "1.2.0"), FaultStallBody, 1)
		slow := NewRegistry(t, fullPkg)
		slow.SetLatency(time.Hour)
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		c := &http.Client{Transport: &http.Transport{}}
		t.Cleanup(c.CloseIdleConnections)
		urls := []string{r.URL() + "left", r.TarballURL("left", "1.2.0"), slow.URL() + "left"}
		for _, u := range urls {
			go func() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				resp, err := c.Do(req)
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				clientDone <- err
			}()
		}
		deadline := time.Now().Add(5 * time.Second)
		for (r.Requests() < 2 || slow.Requests() < 1) && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		if r.Requests() < 2 || slow.Requests() < 1 {
			t.Fatalf("stalled requests never arrived")
		}
		start := time.Now()
		r.Close()
		slow.Close()
		closeTook = time.Since(start)
		for range urls {
			if err := <-clientDone; err == nil {
				t.Errorf("a stalled or delayed request succeeded after Close")
			}
		}
	})
	if closeTook > 2*time.Second {
		t.Errorf("closing with stalled requests took %v", closeTook)
	}
	deadline := time.Now().Add(3 * time.Second)
	var leaked string
	for {
		buf := make([]byte, 1<<20)
		stacks := string(buf[:runtime.Stack(buf, true)])
		leaked = ""
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "testserver.(*Registry)") || strings.Contains(g, "net/http.(*conn).serve") ||
				strings.Contains(g, "net/http.(*Server).Serve") {
				leaked = g
				break
			}
		}
		if leaked == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if leaked != "" {
		t.Errorf("server goroutine survived cleanup:\n%s", leaked)
	}
}
