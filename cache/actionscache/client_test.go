package actionscache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	fake "github.com/lockstep-dev/lockstep/internal/testserver/actionscache"
)

const runtimeToken = "eyJhbGciOi.RUNTIME-TOKEN.secret"

func newClient(t *testing.T, srv *fake.Server, mode string, tune func(*Config)) *Client {
	t.Helper()
	cfg := Config{Token: runtimeToken, ResultsURL: srv.URL(), Mode: mode, RetryDelay: time.Millisecond}
	if tune != nil {
		tune(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewProtocolAndMode(t *testing.T) {
	tests := []struct {
		name      string
		cfg       Config
		proto     Protocol
		disabled  string
		read, wrt bool
	}{
		{"v2 on github.com", Config{Token: "tok-SECRET", ResultsURL: "https://results/", CacheURL: "https://cache/"}, V2, "", true, true},
		{"v2 on ghe.com", Config{Token: "tok-SECRET", ResultsURL: "https://results/", ServerURL: "https://acme.ghe.com"}, V2, "", true, true},
		{"v2 on localhost", Config{Token: "tok-SECRET", ResultsURL: "https://results/", ServerURL: "http://github.localhost"}, V2, "", true, true},
		{"v1 on GHES even with results", Config{Token: "tok-SECRET", ResultsURL: "https://results/", CacheURL: "https://cache/", ServerURL: "https://ghe.acme.corp"}, V1, "", true, true},
		{"no v1 outside GHES", Config{Token: "tok-SECRET", CacheURL: "https://cache/"}, 0, "ACTIONS_RESULTS_URL", false, false},
		{"GHES without cache url", Config{Token: "tok-SECRET", ResultsURL: "https://results/", ServerURL: "https://ghe.acme.corp"}, 0, "Enterprise", false, false},
		{"no token", Config{ResultsURL: "https://results/"}, 0, "ACTIONS_RUNTIME_TOKEN", false, false},
		{"no url", Config{Token: "tok-SECRET"}, 0, "ACTIONS_RESULTS_URL", false, false},
		{"mode none", Config{Token: "tok-SECRET", ResultsURL: "https://r/", Mode: "none"}, 0, "none", false, false},
		{"mode bogus", Config{Token: "tok-SECRET", ResultsURL: "https://r/", Mode: "sometimes"}, 0, "sometimes", false, false},
		{"mode read", Config{Token: "tok-SECRET", ResultsURL: "https://r/", Mode: "read"}, V2, "", true, false},
		{"mode write", Config{Token: "tok-SECRET", ResultsURL: "https://r/", Mode: "write"}, V2, "", true, true},
		{"mode write-only", Config{Token: "tok-SECRET", ResultsURL: "https://r/", Mode: "write-only"}, V2, "", false, true},
		{"not http", Config{Token: "tok-SECRET", ResultsURL: "file:///x"}, 0, "http", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg)
			if tc.disabled != "" {
				var de *DisabledError
				if !errors.As(err, &de) || !strings.Contains(err.Error(), tc.disabled) {
					t.Fatalf("err = %v, want a DisabledError mentioning %q", err, tc.disabled)
				}
				if tc.cfg.Token != "" && strings.Contains(err.Error(), tc.cfg.Token+" ") {
					t.Error("token in the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Protocol() != tc.proto || c.CanRestore() != tc.read || c.CanSave() != tc.wrt {
				t.Errorf("proto %d read %v write %v, want %d %v %v", c.Protocol(), c.CanRestore(), c.CanSave(), tc.proto, tc.read, tc.wrt)
			}
		})
	}
}

func TestKey(t *testing.T) {
	k := Key("", "manifests", "https://registry.npmjs.org/", []byte("lock"))
	if k != Key("lockstep", "manifests", "https://registry.npmjs.org", []byte("lock")) {
		t.Error("trailing slash or default prefix changes the key")
	}
	want := "lockstep-manifests-" + runtime.GOOS + "-" + runtime.GOARCH + "-"
	if !strings.HasPrefix(k, want) || len(k) != len(want)+16+1+16 {
		t.Errorf("key %q, want %q + two 16-digit hashes", k, want)
	}
	for _, other := range []string{
		Key("", "store", "https://registry.npmjs.org/", []byte("lock")),
		Key("", "manifests", "https://npm.acme.corp/", []byte("lock")),
		Key("", "manifests", "https://registry.npmjs.org/", []byte("lock2")),
		Key("v2", "manifests", "https://registry.npmjs.org/", []byte("lock")),
	} {
		if other == k {
			t.Errorf("%q collides", other)
		}
	}
	rk := RestoreKeys(k)
	if len(rk) != 2 || rk[0] != k+"-" || !strings.HasPrefix(k, rk[1]) || strings.HasPrefix(Key("", "manifests", "https://registry.npmjs.org/", []byte("x")), rk[0]) ||
		!strings.HasPrefix(Key("", "manifests", "https://registry.npmjs.org/", []byte("x")), rk[1]) {
		t.Errorf("restore keys %q of %q", rk, k)
	}
	if CheckKey("a,b") == nil || CheckKey(strings.Repeat("k", 513)) == nil || CheckKey("") == nil || CheckKey(k) != nil {
		t.Error("CheckKey")
	}
}

// TestSaveRestore drives the v2 protocol against the fake and the
// in-process blob store: single-shot and block uploads, exact hits,
// prefix restores (newest wins), immutability, retries.
func TestSaveRestore(t *testing.T) {
	blobs := fake.NewMemBlobs(t)
	srv := fake.New(t, blobs, runtimeToken)
	ctx := context.Background()

	src := t.TempDir()
	writeTree(t, src, map[string]string{"a": "one", "sub/b": noise(450000), "tmp/x": "skip"})
	skip := func(rel string, _ os.DirEntry) bool { return rel == "tmp" }

	for _, tc := range []struct {
		name       string
		singleShot int64
		key        string
		blocks     bool
	}{
		{"single shot", 0, "lockstep-test-k1", false},
		{"blocks", 1000, "lockstep-test-k2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, "", func(cfg *Config) { cfg.SingleShot, cfg.BlockSize, cfg.Concurrency = tc.singleShot, 100000, 4 })
			blocksBefore := blobs.Count("block")
			size, err := c.SaveDir(ctx, src, tc.key, skip)
			if err != nil {
				t.Fatal(err)
			}
			if got := blobs.Count("block") - blocksBefore; (got > 0) != tc.blocks || (tc.blocks && got != (size+99999)/100000) {
				t.Errorf("%d Put Block for %d bytes", got, size)
			}
			dst := filepath.Join(t.TempDir(), "cache")
			r, err := c.RestoreDir(ctx, dst, tc.key, nil)
			if err != nil || r == nil {
				t.Fatalf("restore: %v %v", r, err)
			}
			if !r.Exact || r.Key != tc.key || r.Size != size {
				t.Errorf("restored %+v, want exact %q of %d bytes", r, tc.key, size)
			}
			got := readTree(t, dst)
			if got["a"] != "one" || got["sub/b"] != noise(450000) || got["tmp/x"] != "" {
				t.Errorf("restored tree wrong: %d entries", len(got))
			}
			// immutable
			if _, err := c.SaveDir(ctx, src, tc.key, skip); !errors.Is(err, ErrExists) {
				t.Errorf("second save: %v, want ErrExists", err)
			}
		})
	}

	c := newClient(t, srv, "", nil)
	// prefix restore: the newest entry under the prefix
	for i, content := range []string{"old", "new"} {
		d := t.TempDir()
		writeTree(t, d, map[string]string{"v": content})
		if _, err := c.SaveDir(ctx, d, "lockstep-pfx-"+string(rune('a'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	dst := filepath.Join(t.TempDir(), "c")
	r, err := c.RestoreDir(ctx, dst, "lockstep-pfx-zzz", []string{"lockstep-nothing-", "lockstep-pfx-"})
	if err != nil || r == nil || r.Exact || r.Key != "lockstep-pfx-b" || readTree(t, dst)["v"] != "new" {
		t.Errorf("prefix restore: %+v %v %v", r, err, readTree(t, dst))
	}
	// miss
	if r, err := c.RestoreDir(ctx, filepath.Join(t.TempDir(), "m"), "lockstep-none", []string{"lockstep-none-"}); r != nil || err != nil {
		t.Errorf("miss: %+v %v", r, err)
	}
	// a flaky blob service is retried
	blobs.FailGets.Store(2)
	if r, err := c.RestoreDir(ctx, filepath.Join(t.TempDir(), "f"), "lockstep-pfx-a", nil); err != nil || r == nil {
		t.Errorf("restore after two 503s: %+v %v", r, err)
	}
	// a corrupt archive fails cleanly and leaves the target alone
	var last fake.Entry
	for _, e := range srv.Entries() {
		if e.Key == "lockstep-pfx-b" {
			last = e
		}
	}
	blobs.Corrupt(fake.BlobName(last.ID), []byte("not zstd at all"))
	keep := filepath.Join(t.TempDir(), "keep")
	writeTree(t, keep, map[string]string{"x": "y"})
	if _, err := c.RestoreDir(ctx, keep, "lockstep-pfx-b", nil); err == nil || readTree(t, keep)["x"] != "y" {
		t.Errorf("corrupt archive: %v, tree %v", err, readTree(t, keep))
	}
	// every call carried proto field names
	for _, call := range srv.Calls() {
		if call.Method == "FinalizeCacheEntryUpload" {
			if _, ok := call.Body["size_bytes"].(string); !ok {
				t.Errorf("size_bytes is %T, want a proto3 JSON string", call.Body["size_bytes"])
			}
		}
	}
}

// TestV1 is the GHES protocol against a small recording server.
func TestV1(t *testing.T) {
	var mu sync.Mutex
	var data bytes.Buffer
	var log []string
	committed := false
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		log = append(log, r.Method+" "+r.URL.Path)
		if r.URL.Path != "/archive" && (r.Header.Get("Authorization") != "Bearer "+runtimeToken || r.Header.Get("Accept") != v1Accept) {
			t.Errorf("%s %s: bad auth or accept", r.Method, r.URL.Path)
		}
		switch r.Method + " " + r.URL.Path {
		case "GET /_apis/artifactcache/cache":
			if r.URL.Query().Get("version") != Version {
				t.Errorf("version %q", r.URL.Query().Get("version"))
			}
			if !committed || !strings.HasPrefix(r.URL.Query().Get("keys"), "lockstep-v1,") {
				w.WriteHeader(http.StatusNoContent)
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"cacheKey": "lockstep-v1", "archiveLocation": srv.URL + "/archive"})
		case "POST /_apis/artifactcache/caches":
			if committed {
				w.WriteHeader(http.StatusConflict)
				return
			}
			w.WriteHeader(http.StatusCreated)
			json.NewEncoder(w).Encode(map[string]any{"cacheId": 7})
		case "PATCH /_apis/artifactcache/caches/7":
			var from, to int
			if _, err := fmtSscanf(r.Header.Get("Content-Range"), &from, &to); err != nil || from != data.Len() {
				t.Errorf("Content-Range %q at %d", r.Header.Get("Content-Range"), data.Len())
			}
			io.Copy(&data, r.Body)
			w.WriteHeader(http.StatusNoContent)
		case "POST /_apis/artifactcache/caches/7":
			var body struct{ Size int }
			json.NewDecoder(r.Body).Decode(&body)
			if body.Size != data.Len() {
				t.Errorf("commit size %d, uploaded %d", body.Size, data.Len())
			}
			committed = true
			w.WriteHeader(http.StatusNoContent)
		case "GET /archive":
			w.Write(data.Bytes())
		default:
			t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	defer srv.Close()
	c, err := New(Config{Token: runtimeToken, CacheURL: srv.URL + "/", ResultsURL: "https://results.invalid/", ServerURL: "https://ghe.acme.corp", RetryDelay: time.Millisecond})
	if err != nil || c.Protocol() != V1 {
		t.Fatalf("%v %v", c, err)
	}
	ctx := context.Background()
	if r, err := c.RestoreDir(ctx, filepath.Join(t.TempDir(), "x"), "lockstep-v1", []string{"lockstep-"}); r != nil || err != nil {
		t.Fatalf("miss: %v %v", r, err)
	}
	src := t.TempDir()
	writeTree(t, src, map[string]string{"f": "v1 content"})
	if _, err := c.SaveDir(ctx, src, "lockstep-v1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SaveDir(ctx, src, "lockstep-v1", nil); !errors.Is(err, ErrExists) {
		t.Errorf("second save %v", err)
	}
	dst := filepath.Join(t.TempDir(), "x")
	r, err := c.RestoreDir(ctx, dst, "lockstep-v1", []string{"lockstep-"})
	if err != nil || r == nil || !r.Exact || readTree(t, dst)["f"] != "v1 content" {
		t.Errorf("restore %+v %v; log %v", r, err, log)
	}
}

func fmtSscanf(s string, from, to *int) (int, error) {
	var rest string
	return fmt.Sscan(strings.NewReplacer("bytes ", "", "-", " ", "/", " ").Replace(s), from, to, &rest)
}

// noise is n incompressible, deterministic bytes.
func noise(n int) string {
	r := mrand.New(mrand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}
