package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lockstep-dev/lockstep/install/npmrc"
)

// Options tune the client.
type Options struct {
	// Concurrency is the expected number of requests in flight; it sizes the
	// connection pool. Default 64.
	Concurrency int
	// UserAgent is sent with every request (default "lockstep").
	UserAgent string
	// Stats, when set, counts requests, body bytes and retries.
	Stats *Stats
	// Logf, when set, receives retry notices.
	Logf func(format string, a ...any)
	// MinRetryDelay and MaxRetryDelay override fetch-retry-mintimeout and
	// fetch-retry-maxtimeout when non-zero (tests).
	MinRetryDelay, MaxRetryDelay time.Duration
	// Transport replaces the tuned transport (benchmarks only). Auth,
	// retries and statistics still apply.
	Transport http.RoundTripper
}

// Stats are cumulative counters, safe for concurrent use.
type Stats struct {
	Requests atomic.Int64 // HTTP requests sent (each attempt counts)
	Bytes    atomic.Int64 // response body bytes read (after gzip decoding)
	Retries  atomic.Int64 // attempts that were retried
}

// Client fetches registry documents and tarballs. Safe for concurrent use.
type Client struct {
	cfg       *npmrc.Config
	hc        *http.Client
	transport *lazyTransport // nil when Options.Transport was given
	ua        string
	stats     *Stats
	logf      func(string, ...any)
	retries   int
	factor    float64
	minDelay  time.Duration
	maxDelay  time.Duration
}

const connectTimeout = 10 * time.Second

// New builds a client from npm configuration.
func New(cfg *npmrc.Config, o Options) (*Client, error) {
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.UserAgent == "" {
		o.UserAgent = "lockstep"
	}
	c := &Client{
		cfg:      cfg,
		ua:       o.UserAgent,
		stats:    o.Stats,
		logf:     o.Logf,
		retries:  cfg.FetchRetries(),
		factor:   cfg.FetchRetryFactor(),
		minDelay: cfg.FetchRetryMinTimeout(),
		maxDelay: cfg.FetchRetryMaxTimeout(),
	}
	if c.stats == nil {
		c.stats = &Stats{}
	}
	if o.MinRetryDelay > 0 {
		c.minDelay = o.MinRetryDelay
	}
	if o.MaxRetryDelay > 0 {
		c.maxDelay = o.MaxRetryDelay
	}
	if c.maxDelay < c.minDelay {
		c.maxDelay = c.minDelay
	}
	if c.factor < 1 {
		c.factor = 1
	}
	rt := o.Transport
	if rt == nil {
		c.transport = &lazyTransport{build: func() (*http.Transport, error) { return newTransport(cfg, o.Concurrency) }}
		rt = c.transport
	}
	c.hc = &http.Client{Transport: rt, CheckRedirect: c.checkRedirect}
	return c, nil
}

func newTransport(cfg *npmrc.Config, concurrency int) (*http.Transport, error) {
	tlsConf := &tls.Config{
		ClientSessionCache: tls.NewLRUClientSessionCache(max(512, 2*concurrency)),
		InsecureSkipVerify: !cfg.StrictSSL(), //nolint:gosec // the user's strict-ssl=false
	}
	pems, err := cfg.CA()
	if err != nil {
		return nil, err
	}
	if len(pems) > 0 {
		// Like Node's "ca" option, these replace the default trust store.
		pool := x509.NewCertPool()
		for _, p := range pems {
			if !pool.AppendCertsFromPEM([]byte(p)) {
				return nil, fmt.Errorf("failed to load CA certificates: no PEM certificate in the ca/cafile %q setting", cfg.CAFile())
			}
		}
		tlsConf.RootCAs = pool
	}
	dialer := newSpreadDialer(connectTimeout)
	if t := cfg.FetchTimeout(); t > 0 {
		dialer.wrap = func(c net.Conn) net.Conn { return &idleConn{Conn: c, timeout: t} }
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	tr := &http.Transport{
		Proxy:                 func(r *http.Request) (*url.URL, error) { return cfg.Proxy(r.URL) },
		DialContext:           dialer.DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   connectTimeout,
		Protocols:             &protocols,
		MaxIdleConns:          4 * concurrency,
		MaxIdleConnsPerHost:   concurrency,
		MaxConnsPerHost:       concurrency,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: cfg.FetchTimeout(),
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       4 << 10,
		ReadBufferSize:        32 << 10,
	}
	return tr, nil
}

// lazyTransport builds the tuned transport on the first request: loading
// a cafile (the system bundle, on some machines) costs more than a warm
// install of a small project, which makes no request at all. A bad
// ca/cafile setting fails that first request, as it does in npm.
type lazyTransport struct {
	once  sync.Once
	build func() (*http.Transport, error)
	tr    *http.Transport
	err   error
	built atomic.Bool
}

func (l *lazyTransport) get() (*http.Transport, error) {
	l.once.Do(func() {
		l.tr, l.err = l.build()
		l.built.Store(true)
	})
	return l.tr, l.err
}

// RoundTrip implements http.RoundTripper.
func (l *lazyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tr, err := l.get()
	if err != nil {
		if r.Body != nil {
			r.Body.Close()
		}
		return nil, err
	}
	return tr.RoundTrip(r)
}

// CloseIdleConnections closes the transport's idle connections, if it was
// ever built.
func (l *lazyTransport) CloseIdleConnections() {
	if l.built.Load() && l.tr != nil {
		l.tr.CloseIdleConnections()
	}
}

// CloseIdleConnections closes pooled connections.
func (c *Client) CloseIdleConnections() { c.hc.CloseIdleConnections() }

func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("stopped after %d redirects", len(via))
	}
	// Credentials are chosen for the new URL only (Go would forward them to
	// subdomains of the original host).
	req.Header.Del("Authorization")
	if a := c.cfg.Auth(req.URL.String()); a != "" {
		req.Header.Set("Authorization", a)
	}
	return nil
}

// HTTPError is a response with a status other than 2xx.
type HTTPError struct {
	URL        string // redacted
	Status     int
	StatusText string // e.g. "404 Not Found"
	Attempts   int
	RetryAfter time.Duration // parsed Retry-After, 0 if none
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("failed to fetch %q: %s", e.URL, e.StatusText)
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.Attempts)
	}
	return msg
}

// Retryable reports whether npm retries this status.
func (e *HTTPError) Retryable() bool { return retryableStatus(e.Status) }

func retryableStatus(s int) bool { return s == 408 || s == 420 || s == 429 || s >= 500 }

// fetchError wraps a transport or consumer error with the redacted URL.
type fetchError struct {
	url      string
	msg      string
	attempts int
	err      error
}

func (e *fetchError) Error() string {
	msg := fmt.Sprintf("failed to fetch %q: %s", e.url, e.msg)
	if e.attempts > 1 {
		msg += fmt.Sprintf(" (after %d attempts)", e.attempts)
	}
	return msg
}

func (e *fetchError) Unwrap() error { return e.err }

type retryableError struct{ err error }

func (e retryableError) Error() string { return e.err.Error() }
func (e retryableError) Unwrap() error { return e.err }

// MarkRetryable wraps err so that IsRetryable reports true (for example an
// integrity mismatch the caller wants to retry once).
func MarkRetryable(err error) error {
	if err == nil {
		return nil
	}
	return retryableError{err}
}

// Fetch GETs rawURL and calls fn with the body of a 2xx response. fn may be
// called once per attempt; a retryable error from fn (IsRetryable) causes a
// new attempt. Accept is sent when non-empty.
func (c *Client) Fetch(ctx context.Context, rawURL, accept string, fn func(body io.Reader) error) error {
	_, err := c.fetch(ctx, rawURL, accept, nil, func(body io.Reader, _ Validators) error { return fn(body) })
	return err
}

func (c *Client) fetch(ctx context.Context, rawURL, accept string, cond *Validators, fn func(body io.Reader, v Validators) error) (notModified bool, err error) {
	auth := c.cfg.Auth(rawURL)
	var redacted string // computed lazily: only errors and logs need it
	red := func() string {
		if redacted == "" {
			redacted = c.cfg.Redact(rawURL)
		}
		return redacted
	}
	for attempt := 1; ; attempt++ {
		retryAfter, notModified, err := c.attempt(ctx, rawURL, accept, auth, cond, fn)
		if err == nil {
			return notModified, nil
		}
		if ctx.Err() != nil {
			return false, &fetchError{url: red(), msg: ctx.Err().Error(), err: ctx.Err(), attempts: attempt}
		}
		retry := IsRetryable(err) && attempt <= c.retries
		if !retry {
			return false, c.wrapErr(err, red(), attempt)
		}
		delay := c.backoff(attempt, retryAfter)
		c.stats.Retries.Add(1)
		if c.logf != nil {
			c.logf("retrying %s in %v (attempt %d of %d): %s", red(), delay.Round(time.Millisecond), attempt+1, c.retries+1, c.describe(err))
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, &fetchError{url: red(), msg: ctx.Err().Error(), err: ctx.Err(), attempts: attempt}
		case <-t.C:
		}
	}
}

func (c *Client) describe(err error) string {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.StatusText
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return c.cfg.Redact(err.Error())
}

func (c *Client) wrapErr(err error, redacted string, attempts int) error {
	var he *HTTPError
	if errors.As(err, &he) {
		he.URL, he.Attempts = redacted, attempts
		return he
	}
	return &fetchError{url: redacted, msg: c.describe(err), err: err, attempts: attempts}
}

// backoff is npm's promise-retry schedule: min(min * factor^(n-1), max),
// with up to 20% jitter subtracted so parallel retries do not stampede, or
// Retry-After (capped at max) when the server sent one.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.maxDelay)
	}
	d := float64(c.minDelay) * math.Pow(c.factor, float64(attempt-1))
	if d > float64(c.maxDelay) {
		d = float64(c.maxDelay)
	}
	d -= d * 0.2 * rand.Float64()
	return time.Duration(d)
}

// countingReader counts body bytes into Stats.
type countingReader struct {
	r    io.Reader
	n    int64
	size int64 // Content-Length; -1 when unknown
}

// Size is the body's Content-Length, or -1 when the response did not say
// (a consumer can size its buffer once instead of growing it).
func (cr *countingReader) Size() int64 { return cr.size }

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	return n, err
}

// attempt sends one request. With cond, the validators it holds are sent
// as If-None-Match / If-Modified-Since, and a 304 answer is notModified
// (fn is not called).
func (c *Client) attempt(ctx context.Context, rawURL, accept, auth string, cond *Validators, fn func(io.Reader, Validators) error) (retryAfter time.Duration, notModified bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return 0, false, err
	}
	req.Header = make(http.Header, 5)
	req.Header["User-Agent"] = []string{c.ua}
	if accept != "" {
		req.Header["Accept"] = []string{accept}
	}
	if auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	if cond != nil {
		cond.setHeaders(req.Header)
	}
	c.stats.Requests.Add(1)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, false, err
	}
	cr := countingReader{r: resp.Body, size: resp.ContentLength}
	defer func() {
		// Drain a little so the connection can be reused.
		io.CopyN(io.Discard, &cr, 64<<10) //nolint:errcheck
		resp.Body.Close()
		c.stats.Bytes.Add(cr.n)
	}()
	if resp.StatusCode == http.StatusNotModified && cond != nil && !cond.IsZero() {
		return 0, true, nil
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &HTTPError{Status: resp.StatusCode, StatusText: resp.Status}
		if he.StatusText == "" {
			he.StatusText = strconv.Itoa(resp.StatusCode)
		}
		if retryableStatus(resp.StatusCode) {
			he.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		}
		return he.RetryAfter, false, he
	}
	if err := fn(&cr, validatorsOf(resp.Header)); err != nil {
		return 0, false, err
	}
	return 0, false, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date; 0 when absent/invalid.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 24*3600 {
			n = 24 * 3600
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}
