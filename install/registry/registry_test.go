package registry

import (
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install/npmrc"
)

// config loads npm config from the given user .npmrc text, with no
// environment besides HOME.
func config(t *testing.T, npmrcText string) *npmrc.Config {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".npmrc"), []byte(npmrcText), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := npmrc.Load(npmrc.LoadOptions{Dir: t.TempDir(), Environ: []string{"HOME=" + home, "PATH="}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newClient(t *testing.T, cfg *npmrc.Config, stats *Stats) *Client {
	t.Helper()
	c, err := New(cfg, Options{Concurrency: 8, Stats: stats, MinRetryDelay: time.Millisecond, MaxRetryDelay: 20 * time.Millisecond,
		Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func readAll(dst *[]byte) func(io.Reader) error {
	return func(r io.Reader) error {
		b, err := io.ReadAll(r)
		*dst = b
		return err
	}
}

// hostKey is the npmrc "//host:port/" prefix of a test server.
func hostKey(srvURL string) string {
	u, _ := url.Parse(srvURL)
	return "//" + u.Host + "/"
}

func TestRetries(t *testing.T) {
	const body = `{"name":"x"}`
	type failure func(w http.ResponseWriter, r *http.Request)
	status := func(code int, header ...string) failure {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(header); i += 2 {
				w.Header().Set(header[i], header[i+1])
			}
			w.WriteHeader(code)
		}
	}
	reset := func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // RST instead of FIN
		}
		conn.Close()
	}
	truncate := func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			panic(err)
		}
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5])
		buf.Flush()
		conn.Close()
	}
	tests := []struct {
		name         string
		fail         failure
		failures     int
		retries      int
		wantErr      string // "" = success
		wantRequests int64
	}{
		{"500 twice", status(500), 2, 2, "", 3},
		{"503 beyond retries", status(503), 5, 2, `503 Service Unavailable (after 3 attempts)`, 3},
		{"429 with Retry-After seconds", status(429, "Retry-After", "1"), 1, 2, "", 2},
		{"429 with Retry-After date", status(429, "Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), 1, 2, "", 2},
		{"408", status(408), 1, 2, "", 2},
		{"420", status(420), 1, 2, "", 2},
		{"404 not retried", status(404), 5, 2, `: 404 Not Found`, 1},
		{"401 not retried", status(401), 5, 2, `: 401 Unauthorized`, 1},
		{"403 not retried", status(403), 5, 2, `: 403 Forbidden`, 1},
		{"connection reset", reset, 2, 2, "", 3},
		{"truncated body", truncate, 2, 2, "", 3},
		{"retries disabled", status(500), 1, 0, `500 Internal Server Error`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) <= int64(tt.failures) {
					tt.fail(w, r)
					return
				}
				io.WriteString(w, body)
			}))
			defer srv.Close()
			var stats Stats
			c := newClient(t, config(t, fmt.Sprintf("registry=%s\nfetch-retries=%d\n", srv.URL, tt.retries)), &stats)
			var got []byte
			start := time.Now()
			err := c.Fetch(context.Background(), srv.URL+"/x", "", readAll(&got))
			if time.Since(start) > 10*time.Second {
				t.Errorf("Fetch took %v: Retry-After not capped", time.Since(start))
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Fetch: %v", err)
			case tt.wantErr == "" && string(got) != body:
				t.Errorf("body = %q, want %q", got, body)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Fetch error = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantErr != "" && !strings.HasPrefix(err.Error(), `failed to fetch "`+srv.URL+`/x": `) {
				t.Errorf("error %q lacks the standard prefix", err)
			}
			if got := stats.Requests.Load(); got != tt.wantRequests {
				t.Errorf("requests = %d, want %d", got, tt.wantRequests)
			}
			if got := stats.Retries.Load(); got != tt.wantRequests-1 {
				t.Errorf("retries = %d, want %d", got, tt.wantRequests-1)
			}
			if tt.wantErr == "" && stats.Bytes.Load() < int64(len(body)) {
				t.Errorf("bytes = %d, want >= %d", stats.Bytes.Load(), len(body))
			}
		})
	}
}

func TestHTTPErrorType(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	c := newClient(t, config(t, ""), nil)
	err := c.Fetch(context.Background(), srv.URL+"/nope", "", func(io.Reader) error { return nil })
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 404 || IsRetryable(err) {
		t.Fatalf("err = %#v, want non-retryable *HTTPError 404", err)
	}
}

func TestConsumerErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "data") }))
	defer srv.Close()
	errBad := errors.New("bad json")
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"final error", errBad, 1},
		{"marked retryable", MarkRetryable(errBad), 3},
		{"unexpected EOF", io.ErrUnexpectedEOF, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, config(t, "fetch-retries=2"), nil)
			calls := 0
			err := c.Fetch(context.Background(), srv.URL, "", func(io.Reader) error { calls++; return tt.err })
			if !errors.Is(err, tt.err) && !errors.Is(err, errBad) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.err)
			}
			if calls != tt.wantCalls {
				t.Errorf("fn called %d times, want %d", calls, tt.wantCalls)
			}
		})
	}
}

func TestAuthOnlyToMatchingHost(t *testing.T) {
	type seen struct {
		mu   sync.Mutex
		auth []string
	}
	record := func(s *seen) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.auth = append(s.auth, r.URL.Path+"="+r.Header.Get("Authorization"))
			s.mu.Unlock()
			io.WriteString(w, "ok")
		}
	}
	var a, b seen
	srvA := httptest.NewServer(record(&a))
	defer srvA.Close()
	srvB := httptest.NewServer(record(&b))
	defer srvB.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/redirect-b", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, srvB.URL+"/from-a", http.StatusFound)
	})
	mux.HandleFunc("/", record(&a))
	srvA.Config.Handler = mux

	uA, _ := url.Parse(srvA.URL)
	cfg := config(t, fmt.Sprintf("registry=%s/npm/\n%snpm/:_authToken=SECRET-A\n", srvA.URL, hostKey(srvA.URL)))
	c := newClient(t, cfg, nil)
	fetch := func(u string) {
		if err := c.Fetch(context.Background(), u, "", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }); err != nil {
			t.Fatalf("Fetch(%q): %v", u, err)
		}
	}
	fetch(srvA.URL + "/npm/pkg")
	fetch(srvA.URL + "/other/x.tgz") // same host as the registry: npm sends it
	fetch(srvB.URL + "/npm/pkg")
	fetch("http://localhost:" + uA.Port() + "/npm/via-name") // same server, different host name
	fetch(srvA.URL + "/redirect-b")

	wantA := []string{"/npm/pkg=Bearer SECRET-A", "/other/x.tgz=Bearer SECRET-A", "/npm/via-name="}
	if strings.Join(a.auth, "|") != strings.Join(wantA, "|") {
		t.Errorf("server A saw %q, want %q", a.auth, wantA)
	}
	wantB := []string{"/npm/pkg=", "/from-a="}
	if strings.Join(b.auth, "|") != strings.Join(wantB, "|") {
		t.Errorf("server B saw %q, want %q", b.auth, wantB)
	}
}

func TestErrorsAreRedacted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	cfg := config(t, fmt.Sprintf("fetch-retries=1\n%s:_authToken=TOPSECRET\n", hostKey(srv.URL)))
	var logs []string
	c, err := New(cfg, Options{MinRetryDelay: time.Millisecond, Logf: func(f string, a ...any) { logs = append(logs, fmt.Sprintf(f, a...)) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{
		"http://user:PASSWORD1@" + u.Host + "/x?token=TOPSECRET",
		"http://127.0.0.1:1/TOPSECRET", // connection refused
	} {
		err := c.Fetch(context.Background(), target, "", func(io.Reader) error { return nil })
		if err == nil {
			t.Fatalf("Fetch(%q) succeeded", target)
		}
		all := err.Error() + strings.Join(logs, "\n")
		if !strings.HasPrefix(err.Error(), "failed to fetch ") {
			t.Errorf("error %q lacks the prefix", err)
		}
		for _, s := range []string{"PASSWORD1", "TOPSECRET"} {
			if strings.Contains(all, s) {
				t.Errorf("secret %q leaked: %s", s, all)
			}
		}
	}
}

func TestContextCancellation(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(503)
			return
		}
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	cfg := config(t, "fetch-retries=5")
	tests := []struct {
		name, path string
		minDelay   time.Duration
	}{
		{"while reading body", "/slow", time.Millisecond},
		{"while waiting to retry", "/fail", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New(cfg, Options{MinRetryDelay: tt.minDelay, MaxRetryDelay: tt.minDelay})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- c.Fetch(ctx, srv.URL+tt.path, "", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
			}()
			time.Sleep(50 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Fetch did not return after cancellation")
			}
		})
	}
}

func TestGzipAndAccept(t *testing.T) {
	const doc = `{"versions":{}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept") != "application/vnd.npm.install-v1+json" {
			http.Error(w, "bad accept", 400)
			return
		}
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			io.WriteString(w, doc)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		gz := gzip.NewWriter(w)
		io.WriteString(gz, doc)
		gz.Close()
	}))
	defer srv.Close()
	c := newClient(t, config(t, ""), nil)
	var got []byte
	if err := c.Fetch(context.Background(), srv.URL, "application/vnd.npm.install-v1+json", readAll(&got)); err != nil {
		t.Fatal(err)
	}
	if string(got) != doc {
		t.Errorf("body = %q, want %q (decoded)", got, doc)
	}
}

func TestTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d", r.ProtoMajor)
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	noCert := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(noCert, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name         string
		npmrc        string
		wantErr      bool
		wantRequests int64
	}{
		{"unknown CA fails without retry", "", true, 1},
		// The transport (and the cafile) is loaded on the first request.
		{"cafile without a certificate fails without retry", "cafile=" + noCert, true, 1},
		{"cafile", "cafile=" + caFile, false, 1},
		{"strict-ssl=false", "strict-ssl=false", false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stats Stats
			c := newClient(t, config(t, tt.npmrc), &stats)
			var got []byte
			err := c.Fetch(context.Background(), srv.URL, "", readAll(&got))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil && strings.Contains(tt.npmrc, noCert) && !strings.Contains(err.Error(), "no PEM certificate") {
				t.Errorf("err = %v, want one naming the cafile problem", err)
			}
			if err == nil && string(got) != "1" {
				t.Errorf("server saw HTTP/%s, want HTTP/1", got)
			}
			if stats.Requests.Load() != tt.wantRequests {
				t.Errorf("requests = %d, want %d", stats.Requests.Load(), tt.wantRequests)
			}
		})
	}
}

func TestProxy(t *testing.T) {
	var proxied atomic.Int64
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		io.WriteString(w, "via proxy "+r.URL.String())
	}))
	defer proxy.Close()
	c := newClient(t, config(t, "proxy="+proxy.URL+"\nnoproxy=skip.example"), nil)
	var got []byte
	if err := c.Fetch(context.Background(), "http://registry.example/x", "", readAll(&got)); err != nil {
		t.Fatal(err)
	}
	if string(got) != "via proxy http://registry.example/x" || proxied.Load() != 1 {
		t.Errorf("body = %q, proxied %d", got, proxied.Load())
	}
}

func TestTransportSettings(t *testing.T) {
	c, err := New(config(t, ""), Options{Concurrency: 100})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := c.transport.get()
	if err != nil {
		t.Fatal(err)
	}
	if tr.Protocols == nil || !tr.Protocols.HTTP1() || tr.Protocols.HTTP2() || tr.Protocols.UnencryptedHTTP2() {
		t.Errorf("Protocols = %v, want HTTP/1 only", tr.Protocols)
	}
	if tr.MaxIdleConnsPerHost < 100 || tr.MaxConnsPerHost < 100 {
		t.Errorf("pool per host idle=%d max=%d, want >= 100", tr.MaxIdleConnsPerHost, tr.MaxConnsPerHost)
	}
	if tr.TLSClientConfig.ClientSessionCache == nil || tr.TLSClientConfig.InsecureSkipVerify {
		t.Errorf("TLS config = %+v", tr.TLSClientConfig)
	}
	if tr.DisableCompression {
		t.Error("compression disabled")
	}
}

func TestSpreadDialer(t *testing.T) {
	addrs := []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("::1")}
	var lookups atomic.Int64
	var mu sync.Mutex
	dialed := map[string]int{}
	d := newSpreadDialer(time.Second)
	d.lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if host == "missing.example" {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return addrs, nil
	}
	d.dialFn = func(ctx context.Context, network, address string) (net.Conn, error) {
		mu.Lock()
		dialed[address]++
		mu.Unlock()
		if strings.HasPrefix(address, "10.0.0.2:") {
			return nil, &net.OpError{Op: "dial", Net: network, Err: syscall.ECONNREFUSED}
		}
		c1, c2 := net.Pipe()
		c2.Close()
		return c1, nil
	}
	var wg sync.WaitGroup
	for i := 0; i < 30; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c, err := d.DialContext(context.Background(), "tcp", "reg.example:443"); err != nil {
				t.Errorf("dial: %v", err)
			} else {
				c.Close()
			}
		}()
	}
	wg.Wait()
	if lookups.Load() != 1 {
		t.Errorf("lookups = %d, want 1 (cached)", lookups.Load())
	}
	// 10 dials start on each address; those starting on the refused one fall
	// over to the next.
	want := map[string]int{"10.0.0.1:443": 10, "10.0.0.2:443": 10, "[::1]:443": 20}
	if fmt.Sprint(dialed) != fmt.Sprint(want) {
		t.Errorf("dials = %v, want %v", dialed, want)
	}
	if _, err := d.DialContext(context.Background(), "tcp4", "reg.example:443"); err != nil {
		t.Errorf("tcp4 dial: %v", err)
	}
	if _, err := d.DialContext(context.Background(), "tcp", "missing.example:443"); err == nil || IsRetryable(err) {
		t.Errorf("missing host: err = %v, want a final DNS error", err)
	}
}

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{errors.New("other"), false},
		{io.ErrUnexpectedEOF, true},
		{fmt.Errorf("wrapped: %w", syscall.ECONNRESET), true},
		{&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		{&HTTPError{Status: 503}, true},
		{&HTTPError{Status: 429}, true},
		{&HTTPError{Status: 404}, false},
		{context.Canceled, false},
		{fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{&net.DNSError{IsNotFound: true}, false},
		{&net.DNSError{IsTemporary: true}, true},
		{MarkRetryable(errors.New("integrity")), true},
		{gzip.ErrChecksum, true},
		{os.ErrDeadlineExceeded, true},
	}
	for _, tt := range tests {
		if got := IsRetryable(tt.err); got != tt.want {
			t.Errorf("IsRetryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestBackoffAndRetryAfter(t *testing.T) {
	c, err := New(config(t, ""), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// npm defaults: 10 s, then 100 s capped at 60 s; jitter takes up to 20 %.
	for attempt, want := range map[int]time.Duration{1: 10 * time.Second, 2: 60 * time.Second, 3: 60 * time.Second} {
		got := c.backoff(attempt, 0)
		if got > want || got < want*8/10 {
			t.Errorf("backoff(%d) = %v, want in [%v, %v]", attempt, got, want*8/10, want)
		}
	}
	if got := c.backoff(1, 30*time.Second); got != 30*time.Second {
		t.Errorf("backoff with Retry-After 30s = %v", got)
	}
	if got := c.backoff(1, time.Hour); got != time.Minute {
		t.Errorf("backoff with Retry-After 1h = %v, want capped at 1m", got)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"":                              0,
		"5":                             5 * time.Second,
		" 2 ":                           2 * time.Second,
		"-1":                            0,
		"soon":                          0,
		"Wed, 01 Jan 2025 00:00:30 GMT": 30 * time.Second,
		"Tue, 31 Dec 2024 00:00:30 GMT": 0,
	} {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestURLs(t *testing.T) {
	cfg := config(t, "registry=https://mirror.example/npm\n@corp:registry=https://corp.example/api/")
	c, err := New(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ got, want string }{
		{c.PackumentURL("lodash"), "https://mirror.example/npm/lodash"},
		{c.PackumentURL("@babel/core"), "https://mirror.example/npm/@babel%2fcore"},
		{c.PackumentURL("@corp/ui"), "https://corp.example/api/@corp%2fui"},
		{c.TarballURL("lodash", "4.17.21"), "https://mirror.example/npm/lodash/-/lodash-4.17.21.tgz"},
		{c.TarballURL("@s/x", "1.0.0"), "https://mirror.example/npm/@s/x/-/x-1.0.0.tgz"},
		{c.TarballURL("@corp/ui", "2.0.0-rc.1"), "https://corp.example/api/@corp/ui/-/ui-2.0.0-rc.1.tgz"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestResolveTarball mirrors arborist's reify #registryResolved cases.
func TestResolveTarball(t *testing.T) {
	const npmjs = "https://registry.npmjs.org/@s/x/-/x-1.0.0.tgz"
	const other = "https://other.example/x/-/x-1.0.0.tgz"
	tests := []struct {
		npmrc, in, want string
	}{
		{"", npmjs, npmjs},
		{"registry=http://localhost:4873/", npmjs, "http://localhost:4873/@s/x/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/npm/", npmjs, "https://mirror.example/npm/@s/x/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/npm/", "https://registry.npmjs.org/npm/x/-/x-1.0.0.tgz", "https://mirror.example/npm/x/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/npm/", other, other},
		{"registry=https://mirror.example/npm/\nreplace-registry-host=never", npmjs, npmjs},
		{"registry=https://mirror.example/npm/\nreplace-registry-host=always", other, "https://mirror.example/npm/x/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/\nreplace-registry-host=other.example", other, "https://mirror.example/x/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/\nreplace-registry-host=other.example", npmjs, npmjs},
		{"registry=https://mirror.example/new/\nreplace-registry-host=https://other.example/x", other, "https://mirror.example/new/-/x-1.0.0.tgz"},
		{"registry=https://mirror.example/new/\nreplace-registry-host=https://other.example/y", other, other},
		{"registry=https://mirror.example:8443/\nreplace-registry-host=always", "http://a.example:81/p.tgz?q=1", "https://mirror.example:8443/p.tgz?q=1"},
		{"registry=https://mirror.example/", "not a url", "not a url"},
	}
	for _, tt := range tests {
		c, err := New(config(t, tt.npmrc), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if got := c.ResolveTarball(tt.in); got != tt.want {
			t.Errorf("%q: ResolveTarball(%q) = %q, want %q", tt.npmrc, tt.in, got, tt.want)
		}
	}
}

func BenchmarkFetchLoopback(b *testing.B) {
	body := strings.Repeat("x", 4096)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, body) }))
	defer srv.Close()
	home := b.TempDir()
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: b.TempDir(), Environ: []string{"HOME=" + home, "PATH="}})
	if err != nil {
		b.Fatal(err)
	}
	c, err := New(cfg, Options{Concurrency: 16})
	if err != nil {
		b.Fatal(err)
	}
	defer c.CloseIdleConnections()
	discard := func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.Fetch(context.Background(), srv.URL+"/pkg/-/pkg-1.0.0.tgz", "", discard); err != nil {
				b.Error(err)
			}
		}
	})
}

// TestBodySize checks that a consumer sees the Content-Length of a body as
// its Size, and -1 when the response is chunked.
func TestBodySize(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.Write([]byte("abc"))
			w.(http.Flusher).Flush()
			w.Write([]byte("def"))
			return
		}
		w.Header().Set("Content-Length", "6")
		w.Write([]byte("abcdef"))
	}))
	defer srv.Close()
	c := newClient(t, config(t, "registry="+srv.URL+"/\n"), nil)
	for path, want := range map[string]int64{"/sized": 6, "/chunked": -1} {
		var got int64 = -2
		err := c.Fetch(context.Background(), srv.URL+path, "", func(body io.Reader) error {
			if s, ok := body.(interface{ Size() int64 }); ok {
				got = s.Size()
			}
			_, err := io.ReadAll(body)
			return err
		})
		if err != nil || got != want {
			t.Errorf("%s: Size() = %d, %v; want %d", path, got, err, want)
		}
	}
}
