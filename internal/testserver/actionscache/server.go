// Package actionscache is a strict fake of the GitHub Actions cache
// service v2 (the Twirp CacheService at ACTIONS_RESULTS_URL) for tests: an
// httptest server on loopback answering CreateCacheEntry,
// FinalizeCacheEntryUpload and GetCacheEntryDownloadURL with JSON bodies
// in proto field names, whose signed URLs point at a blob backend: Azurite
// (the Azure Storage emulator, real blob traffic, StartAzurite) or an
// in-process block-blob fake (NewMemBlobs).
//
// Invariants:
//   - Any other path, method, content type, a missing or wrong Bearer
//     token, an unknown JSON field or a version mismatch fails the test
//     (t.Errorf) and gets a Twirp error; the fake never guesses.
//   - Entries are immutable: CreateCacheEntry of a key already reserved
//     answers ok=false, like the service. Lookup is the service's: an exact
//     key first, then each restore key as a prefix, newest entry first;
//     only finalized entries are found, and only with the same version.
//   - FinalizeCacheEntryUpload checks that the blob exists and has
//     size_bytes bytes.
//   - Signed URLs are scoped to one blob and one direction (upload URLs
//     write, download URLs read) and expire after an hour.
//   - It listens on 127.0.0.1 and stops at the test's Cleanup.
package actionscache

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Blobs is where archives live: it hands out signed URLs and reports what
// was uploaded.
type Blobs interface {
	// UploadURL is a URL that allows writing blob name (Put Blob, Put
	// Block, Put Block List); DownloadURL one that allows reading it.
	UploadURL(name string) string
	DownloadURL(name string) string
	// Size is the committed blob's size; an error when it does not exist.
	Size(name string) (int64, error)
}

// Entry is a cache entry held by the fake.
type Entry struct {
	ID        int64
	Key       string
	Version   string
	Size      int64
	Finalized bool
	Created   time.Time
	blob      string
}

// Call is one RPC the fake answered.
type Call struct {
	Method string // e.g. "CreateCacheEntry"
	Body   map[string]any
}

// Server is the fake cache service.
type Server struct {
	t     testing.TB
	srv   *httptest.Server
	blobs Blobs
	token string

	mu      sync.Mutex
	entries []*Entry
	calls   []Call
	nextID  int64
	clock   time.Time
}

const prefix = "/twirp/github.actions.results.api.v1.CacheService/"

// New starts the fake on 127.0.0.1 with blobs as its storage; token is the
// runtime token every call must carry.
func New(t testing.TB, blobs Blobs, token string) *Server {
	t.Helper()
	s := &Server{t: t, blobs: blobs, token: token, nextID: 1, clock: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the form of ACTIONS_RESULTS_URL: with a trailing slash, like the
// runner's.
func (s *Server) URL() string { return s.srv.URL + "/" }

// Entries returns a copy of the entries, oldest first.
func (s *Server) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Entry, len(s.entries))
	for i, e := range s.entries {
		out[i] = *e
	}
	return out
}

// Calls returns the RPCs answered so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count is how many times method was called.
func (s *Server) Count(method string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Method == method {
			n++
		}
	}
	return n
}

func (s *Server) fail(w http.ResponseWriter, status int, code, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	s.t.Errorf("actionscache fake: %s", msg)
	twirpError(w, status, code, msg)
}

func twirpError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "msg": msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, prefix)
	if !ok || r.Method != http.MethodPost {
		s.fail(w, http.StatusNotFound, "bad_route", "unexpected request %s %s", r.Method, r.URL.Path)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+s.token {
		s.fail(w, http.StatusUnauthorized, "unauthenticated", "%s without the runtime token", method)
		return
	}
	if ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); ct != "application/json" {
		s.fail(w, http.StatusBadRequest, "bad_route", "%s with Content-Type %q, want application/json", method, r.Header.Get("Content-Type"))
		return
	}
	allowed := map[string][]string{
		"CreateCacheEntry":         {"key", "version", "metadata"},
		"FinalizeCacheEntryUpload": {"key", "size_bytes", "version", "metadata"},
		"GetCacheEntryDownloadURL": {"key", "restore_keys", "version", "metadata"},
	}[method]
	if allowed == nil {
		s.fail(w, http.StatusNotFound, "bad_route", "unknown CacheService method %q", method)
		return
	}
	var body map[string]any
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		s.fail(w, http.StatusBadRequest, "malformed", "%s: invalid JSON: %v", method, err)
		return
	}
	for k := range body {
		found := false
		for _, a := range allowed {
			found = found || a == k
		}
		if !found {
			s.fail(w, http.StatusBadRequest, "malformed", "%s: unknown field %q (proto field names expected)", method, k)
			return
		}
	}
	key, _ := body["key"].(string)
	version, _ := body["version"].(string)
	if key == "" || version == "" {
		s.fail(w, http.StatusBadRequest, "invalid_argument", "%s: key and version are required", method)
		return
	}
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: method, Body: body})
	s.mu.Unlock()
	switch method {
	case "CreateCacheEntry":
		s.create(w, key, version)
	case "FinalizeCacheEntryUpload":
		s.finalize(w, key, version, body["size_bytes"])
	case "GetCacheEntryDownloadURL":
		var restore []string
		if rk, ok := body["restore_keys"].([]any); ok {
			for _, v := range rk {
				str, ok := v.(string)
				if !ok {
					s.fail(w, http.StatusBadRequest, "malformed", "restore_keys holds a %T", v)
					return
				}
				restore = append(restore, str)
			}
		} else if body["restore_keys"] != nil {
			s.fail(w, http.StatusBadRequest, "malformed", "restore_keys is a %T", body["restore_keys"])
			return
		}
		s.lookup(w, key, version, restore)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (s *Server) create(w http.ResponseWriter, key, version string) {
	s.mu.Lock()
	for _, e := range s.entries {
		if e.Key == key && e.Version == version {
			s.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "signed_upload_url": "", "message": "cache entry with the same key and version already exists"})
			return
		}
	}
	s.clock = s.clock.Add(time.Second)
	e := &Entry{ID: s.nextID, Key: key, Version: version, Created: s.clock, blob: BlobName(s.nextID)}
	s.nextID++
	s.entries = append(s.entries, e)
	s.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "signed_upload_url": s.blobs.UploadURL(e.blob)})
}

func (s *Server) finalize(w http.ResponseWriter, key, version string, sizeField any) {
	// proto3 JSON: int64 as a string (numbers are accepted too)
	var size int64
	var err error
	switch v := sizeField.(type) {
	case string:
		size, err = strconv.ParseInt(v, 10, 64)
	case json.Number:
		size, err = v.Int64()
	default:
		err = fmt.Errorf("size_bytes is a %T", sizeField)
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, "invalid_argument", "FinalizeCacheEntryUpload: %v", err)
		return
	}
	s.mu.Lock()
	var e *Entry
	for _, x := range s.entries {
		if x.Key == key && x.Version == version {
			e = x
		}
	}
	s.mu.Unlock()
	if e == nil || e.Finalized {
		s.fail(w, http.StatusNotFound, "not_found", "FinalizeCacheEntryUpload of %q: no reserved entry", key)
		return
	}
	got, err := s.blobs.Size(e.blob)
	if err != nil || got != size {
		s.fail(w, http.StatusBadRequest, "invalid_argument", "FinalizeCacheEntryUpload of %q: blob has %d bytes (%v), size_bytes says %d", key, got, err, size)
		return
	}
	s.mu.Lock()
	e.Finalized, e.Size = true, size
	s.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true, "entry_id": strconv.FormatInt(e.ID, 10)})
}

func (s *Server) lookup(w http.ResponseWriter, key, version string, restore []string) {
	s.mu.Lock()
	var match *Entry
	for _, e := range s.entries {
		if e.Finalized && e.Version == version && e.Key == key {
			match = e
		}
	}
	for _, rk := range restore {
		if match != nil {
			break
		}
		for _, e := range s.entries { // newest wins: the last one in creation order
			if e.Finalized && e.Version == version && strings.HasPrefix(e.Key, rk) {
				match = e
			}
		}
	}
	s.mu.Unlock()
	if match == nil {
		writeJSON(w, map[string]any{"ok": false, "signed_download_url": "", "matched_key": ""})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "signed_download_url": s.blobs.DownloadURL(match.blob), "matched_key": match.Key})
}
