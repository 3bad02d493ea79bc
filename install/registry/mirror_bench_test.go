package registry

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestMirrorTransportComparison fetches every "resolved" tarball of the small
// fixture lockfile from the real registry mirror with each transport and
// logs the median wall time of cold runs. It measures, it does not assert;
// run it by hand:
//
//	LOCKSTEP_MIRROR_BENCH=7 go test -run TestMirrorTransportComparison -v ./install/registry
func TestMirrorTransportComparison(t *testing.T) {
	rounds, _ := strconv.Atoi(os.Getenv("LOCKSTEP_MIRROR_BENCH"))
	if rounds <= 0 {
		t.Skip("set LOCKSTEP_MIRROR_BENCH=<rounds> to measure against the registry mirror")
	}
	data, err := os.ReadFile("/work/shared/fixtures/small/package-lock.json")
	if err != nil {
		t.Skip(err)
	}
	var lock struct {
		Packages map[string]struct {
			Resolved string `json:"resolved"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(data, &lock); err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, p := range lock.Packages {
		if p.Resolved != "" {
			urls = append(urls, p.Resolved)
		}
	}
	sort.Strings(urls)
	const concurrency = 64
	cfg := config(t, "")
	variants := []struct {
		name string
		rt   func() http.RoundTripper // nil: our tuned transport
	}{
		{"h1+pool (ours)", nil},
		{"go default (h2)", func() http.RoundTripper { return http.DefaultTransport.(*http.Transport).Clone() }},
		{"go default forced h1", func() http.RoundTripper {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			var p http.Protocols
			p.SetHTTP1(true)
			tr.Protocols = &p
			return tr
		}},
	}
	times := make([][]time.Duration, len(variants))
	var bytes int64
	for r := 0; r < rounds; r++ {
		for i := range variants {
			v := variants[(i+r)%len(variants)] // rotate the order every round
			idx := (i + r) % len(variants)
			var stats Stats
			o := Options{Concurrency: concurrency, Stats: &stats}
			if v.rt != nil {
				o.Transport = v.rt()
			}
			c, err := New(cfg, o)
			if err != nil {
				t.Fatal(err)
			}
			sem := make(chan struct{}, concurrency)
			var wg sync.WaitGroup
			var errOnce sync.Once
			var firstErr error
			start := time.Now()
			for _, u := range urls {
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer func() { <-sem; wg.Done() }()
					err := c.Fetch(context.Background(), u, "", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
					if err != nil {
						errOnce.Do(func() { firstErr = err })
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			c.CloseIdleConnections()
			if firstErr != nil {
				t.Fatalf("%s: %v", v.name, firstErr)
			}
			times[idx] = append(times[idx], elapsed)
			bytes = stats.Bytes.Load()
			t.Logf("round %d %-22s %v (%d requests, %d retries)", r+1, v.name, elapsed.Round(time.Millisecond), stats.Requests.Load(), stats.Retries.Load())
		}
	}
	t.Logf("%d tarballs, %.1f MB per run, concurrency %d, %d cold rounds", len(urls), float64(bytes)/1e6, concurrency, rounds)
	for i, v := range variants {
		ts := append([]time.Duration(nil), times[i]...)
		sort.Slice(ts, func(a, b int) bool { return ts[a] < ts[b] })
		t.Logf("%-22s median %v  min %v  max %v", v.name, ts[len(ts)/2].Round(time.Millisecond), ts[0].Round(time.Millisecond), ts[len(ts)-1].Round(time.Millisecond))
	}
}
