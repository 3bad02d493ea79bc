package actionscache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Version is the cache version every lockstep entry is saved and looked up
// with: sha256 of lockstep's archive format. A change of the format changes
// it, so old archives are never restored by a newer lockstep.
var Version = func() string {
	s := sha256.Sum256([]byte("lockstep|tar|zstd|1"))
	return hex.EncodeToString(s[:])
}()

// ErrExists is returned by Save when the key is already taken: entries
// are immutable (or another job is saving the same key right now).
var ErrExists = errors.New("the cache entry already exists")

// DisabledError says why there is no cache: no runtime token, no service
// URL, or ACTIONS_CACHE_MODE=none.
type DisabledError struct{ Reason string }

func (e *DisabledError) Error() string { return "the Actions cache is disabled: " + e.Reason }

// Protocol is the cache service's protocol.
type Protocol int

const (
	V2 Protocol = 2 // Twirp CacheService at ACTIONS_RESULTS_URL
	V1 Protocol = 1 // legacy REST at ACTIONS_CACHE_URL (GHES only)
)

// Config is what the runner tells the action about the cache service.
type Config struct {
	Token      string // ACTIONS_RUNTIME_TOKEN
	ResultsURL string // ACTIONS_RESULTS_URL (v2)
	CacheURL   string // ACTIONS_CACHE_URL (v1)
	ServerURL  string // GITHUB_SERVER_URL: decides GHES
	Mode       string // ACTIONS_CACHE_MODE: "", read, write, write-only, none

	// HTTPClient makes every request; nil means a client with a 10 minute
	// timeout.
	HTTPClient *http.Client
	// SingleShot is the largest blob uploaded in one request (default
	// 128 MiB); BlockSize the block of larger ones (default 64 MiB) and
	// Concurrency the blocks in flight (default 8), like @actions/cache.
	SingleShot, BlockSize int64
	Concurrency           int
	// Attempts is how many times a failed call (network, 5xx) is tried
	// (default 3), RetryDelay the first backoff (default 1s, doubling).
	Attempts   int
	RetryDelay time.Duration
}

// ConfigFromEnv reads the runner's variables through getenv.
func ConfigFromEnv(getenv func(string) string) Config {
	return Config{
		Token:      getenv("ACTIONS_RUNTIME_TOKEN"),
		ResultsURL: getenv("ACTIONS_RESULTS_URL"),
		CacheURL:   getenv("ACTIONS_CACHE_URL"),
		ServerURL:  getenv("GITHUB_SERVER_URL"),
		Mode:       getenv("ACTIONS_CACHE_MODE"),
	}
}

// IsGHES applies @actions/cache's rule to GITHUB_SERVER_URL: github.com,
// *.ghe.com (GHE.com tenants) and *.localhost are GitHub's cloud, anything
// else is Enterprise Server. An empty URL means github.com.
func IsGHES(serverURL string) bool {
	if serverURL == "" {
		return false
	}
	u, err := url.Parse(serverURL)
	if err != nil || u.Hostname() == "" {
		return false
	}
	h := strings.ToLower(strings.TrimSpace(u.Hostname()))
	return h != "github.com" && !strings.HasSuffix(h, ".ghe.com") && !strings.HasSuffix(h, ".localhost")
}

// Client talks to the cache service. Safe for concurrent use.
type Client struct {
	cfg      Config
	proto    Protocol
	base     string // v2: .../CacheService/, v1: .../_apis/artifactcache/
	hc       *http.Client
	canRead  bool
	canWrite bool
}

// New picks the protocol for cfg. It returns a *DisabledError when the
// cache cannot be used at all.
func New(cfg Config) (*Client, error) {
	c := &Client{cfg: cfg, hc: cfg.HTTPClient, canRead: true, canWrite: true}
	switch strings.ToLower(strings.TrimSpace(cfg.Mode)) {
	case "", "write", "read-write":
	case "read":
		c.canWrite = false
	case "write-only":
		c.canRead = false
	case "none":
		return nil, &DisabledError{"ACTIONS_CACHE_MODE is \"none\""}
	default:
		return nil, &DisabledError{fmt.Sprintf("unknown ACTIONS_CACHE_MODE %q", cfg.Mode)}
	}
	if cfg.Token == "" {
		return nil, &DisabledError{"no ACTIONS_RUNTIME_TOKEN (the runner did not pass the cache service's token)"}
	}
	ghes := IsGHES(cfg.ServerURL)
	switch {
	case cfg.ResultsURL != "" && !ghes:
		c.proto = V2
		c.base = strings.TrimSuffix(cfg.ResultsURL, "/") + "/twirp/github.actions.results.api.v1.CacheService/"
	case ghes && cfg.CacheURL != "":
		c.proto = V1
		c.base = strings.TrimSuffix(cfg.CacheURL, "/") + "/_apis/artifactcache/"
	case ghes:
		return nil, &DisabledError{"GitHub Enterprise Server without ACTIONS_CACHE_URL"}
	default:
		// the legacy service is retired outside GHES
		return nil, &DisabledError{"no ACTIONS_RESULTS_URL (the runner is older than 2.308.0, or the cache service is unavailable)"}
	}
	if pu, err := url.Parse(c.base); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") {
		return nil, &DisabledError{"the cache service URL is not an http(s) URL"}
	}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 10 * time.Minute}
	}
	if c.cfg.SingleShot <= 0 {
		c.cfg.SingleShot = 128 << 20
	}
	if c.cfg.BlockSize <= 0 {
		c.cfg.BlockSize = 64 << 20
	}
	if c.cfg.Concurrency <= 0 {
		c.cfg.Concurrency = 8
	}
	if c.cfg.Attempts <= 0 {
		c.cfg.Attempts = 3
	}
	if c.cfg.RetryDelay <= 0 {
		c.cfg.RetryDelay = time.Second
	}
	return c, nil
}

// Protocol is the protocol in use.
func (c *Client) Protocol() Protocol { return c.proto }

// CanRestore reports whether ACTIONS_CACHE_MODE allows restoring.
func (c *Client) CanRestore() bool { return c.canRead }

// CanSave reports whether ACTIONS_CACHE_MODE allows saving.
func (c *Client) CanSave() bool { return c.canWrite }

// Entry is a cache entry found by Lookup.
type Entry struct {
	Key string // the key that matched (the primary key or a restore key's entry)
	url string // where the archive is downloaded from
}

// CheckKey validates a key like @actions/cache: at most 512 characters and
// no commas.
func CheckKey(key string) error {
	if key == "" || len(key) > 512 || strings.Contains(key, ",") {
		return fmt.Errorf("invalid cache key %q: expected 1 to 512 characters and no commas", key)
	}
	return nil
}

// Lookup finds the entry for key, else the newest entry whose key starts
// with one of restoreKeys (in order). A miss is (nil, nil).
func (c *Client) Lookup(ctx context.Context, key string, restoreKeys []string) (*Entry, error) {
	if len(restoreKeys) > 9 {
		return nil, fmt.Errorf("failed to look up cache key %q: at most 9 restore keys, got %d", key, len(restoreKeys))
	}
	for _, k := range append([]string{key}, restoreKeys...) {
		if err := CheckKey(k); err != nil {
			return nil, err
		}
	}
	if c.proto == V1 {
		return c.lookupV1(ctx, key, restoreKeys)
	}
	if restoreKeys == nil {
		restoreKeys = []string{}
	}
	var resp struct {
		OK                bool   `json:"ok"`
		SignedDownloadURL string `json:"signed_download_url"`
		MatchedKey        string `json:"matched_key"`
	}
	err := c.twirp(ctx, "GetCacheEntryDownloadURL", map[string]any{"key": key, "restore_keys": restoreKeys, "version": Version}, &resp)
	if err != nil {
		return nil, fmt.Errorf("failed to look up cache key %q: %w", key, err)
	}
	if !resp.OK || resp.SignedDownloadURL == "" {
		return nil, nil
	}
	return &Entry{Key: resp.MatchedKey, url: resp.SignedDownloadURL}, nil
}

// Download writes the entry's archive to f, truncating it first (and
// again before each retry), and returns its size.
func (c *Client) Download(ctx context.Context, e *Entry, f *os.File) (int64, error) {
	var n int64
	err := c.retry(ctx, func() error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return permanent(err)
		}
		if err := f.Truncate(0); err != nil {
			return permanent(err)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.url, nil)
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("x-ms-version", azureVersion)
		resp, err := c.hc.Do(req)
		if err != nil {
			return redactURL(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return statusError("download the archive", resp)
		}
		n, err = io.Copy(f, resp.Body)
		if err != nil {
			return redactURL(err)
		}
		if resp.ContentLength >= 0 && n != resp.ContentLength {
			return fmt.Errorf("short download: %d of %d bytes", n, resp.ContentLength)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("failed to download cache entry %q: %w", e.Key, err)
	}
	return n, nil
}

// Save stores size bytes of r (an archive) under key. It returns
// ErrExists (wrapped) when the key is taken.
func (c *Client) Save(ctx context.Context, key string, r io.ReaderAt, size int64) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	if c.proto == V1 {
		return c.saveV1(ctx, key, r, size)
	}
	var created struct {
		OK              bool   `json:"ok"`
		SignedUploadURL string `json:"signed_upload_url"`
		Message         string `json:"message"`
	}
	err := c.twirp(ctx, "CreateCacheEntry", map[string]any{"key": key, "version": Version}, &created)
	var te *twirpError
	if errors.As(err, &te) && te.Code == "already_exists" {
		return fmt.Errorf("failed to reserve cache key %q: %w", key, ErrExists)
	}
	if err != nil {
		return fmt.Errorf("failed to reserve cache key %q: %w", key, err)
	}
	if !created.OK || created.SignedUploadURL == "" {
		msg := ""
		if created.Message != "" {
			msg = " (" + created.Message + ")"
		}
		return fmt.Errorf("failed to reserve cache key %q%s: %w", key, msg, ErrExists)
	}
	if err := c.uploadBlob(ctx, created.SignedUploadURL, r, size); err != nil {
		return fmt.Errorf("failed to upload cache entry %q: %w", key, err)
	}
	var fin struct {
		OK bool `json:"ok"`
	}
	// int64 fields are strings in proto3 JSON
	err = c.twirp(ctx, "FinalizeCacheEntryUpload", map[string]any{"key": key, "size_bytes": strconv.FormatInt(size, 10), "version": Version}, &fin)
	if err != nil {
		return fmt.Errorf("failed to finalize cache entry %q: %w", key, err)
	}
	if !fin.OK {
		return fmt.Errorf("failed to finalize cache entry %q: the service answered ok=false", key)
	}
	return nil
}

// twirpError is a Twirp error response.
type twirpError struct {
	Status int
	Code   string `json:"code"`
	Msg    string `json:"msg"`
}

func (e *twirpError) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Msg)
}

func (c *Client) twirp(ctx context.Context, method string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	return c.retry(ctx, func() error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
		if err != nil {
			return permanent(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
		resp, err := c.hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			te := &twirpError{Status: resp.StatusCode}
			if json.Unmarshal(data, te) != nil || te.Code == "" {
				te.Code, te.Msg = http.StatusText(resp.StatusCode), strings.TrimSpace(string(truncate(data, 200)))
			}
			if retryableStatus(resp.StatusCode) {
				return te
			}
			return permanent(te)
		}
		if err := json.Unmarshal(data, out); err != nil {
			return permanent(fmt.Errorf("invalid %s response: %w", method, err))
		}
		return nil
	})
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable ||
		code == http.StatusGatewayTimeout || code == http.StatusInternalServerError
}

// permanentError stops retry.
type permanentError struct{ err error }

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

func permanent(err error) error { return &permanentError{err} }

// retry runs f up to Attempts times with a doubling backoff while it
// fails with a retryable error.
func (c *Client) retry(ctx context.Context, f func() error) error {
	delay := c.cfg.RetryDelay
	for attempt := 1; ; attempt++ {
		err := f()
		if err == nil {
			return nil
		}
		var p *permanentError
		if errors.As(err, &p) {
			return p.err
		}
		if attempt >= c.cfg.Attempts || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		delay *= 2
	}
}

// statusError describes a failed blob or v1 response without its URL.
func statusError(what string, resp *http.Response) error {
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	msg := strings.TrimSpace(string(data))
	if i := strings.Index(msg, "<Message>"); i >= 0 {
		msg = msg[i+len("<Message>"):]
		if j := strings.Index(msg, "</Message>"); j >= 0 {
			msg = msg[:j]
		}
	}
	if first, _, ok := strings.Cut(msg, "\n"); ok {
		msg = first
	}
	err := fmt.Errorf("failed to %s: %s: %s", what, resp.Status, string(truncate([]byte(msg), 200)))
	if retryableStatus(resp.StatusCode) || resp.StatusCode == http.StatusTooManyRequests {
		return err
	}
	return permanent(err)
}

// redactURL drops the (signed) URL from a transport error: a SAS
// signature is a credential.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}
