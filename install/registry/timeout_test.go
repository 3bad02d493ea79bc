package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchTimeoutIsRetried: a server that stalls past fetch-timeout is
// retried like any other transient failure (net/http reports its own
// timeouts as matching context.DeadlineExceeded), while the caller's own
// deadline ends the fetch at once.
func TestFetchTimeoutIsRetried(t *testing.T) {
	var hits atomic.Int32
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			select { // stall the first request past the timeout
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		io.WriteString(w, "ok")
	}))
	defer srv.Close()
	defer close(release)
	tests := []struct {
		name      string
		ctx       func() (context.Context, context.CancelFunc)
		wantHits  int32
		wantError string
	}{
		{name: "fetch-timeout", ctx: func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }, wantHits: 2},
		{name: "caller deadline", ctx: func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 50*time.Millisecond)
		}, wantHits: 1, wantError: "context deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			timeout := "200"
			if tt.wantError != "" {
				timeout = "5000"
			}
			c := newClient(t, config(t, "fetch-timeout="+timeout+"\nfetch-retries=2\n"), nil)
			ctx, cancel := tt.ctx()
			defer cancel()
			var body string
			err := c.Fetch(ctx, srv.URL+"/x", "", func(r io.Reader) error {
				b, err := io.ReadAll(r)
				body = string(b)
				return err
			})
			if tt.wantError == "" {
				if err != nil || body != "ok" {
					t.Fatalf("Fetch = %q, %v; want ok after a retry", body, err)
				}
			} else if err == nil || !strings.Contains(err.Error(), tt.wantError) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Fetch error = %v, want %q", err, tt.wantError)
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("%d requests, want %d", got, tt.wantHits)
			}
		})
	}
}
