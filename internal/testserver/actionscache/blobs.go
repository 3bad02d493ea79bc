package actionscache

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// MemBlobs is an in-process fake of the Azure Blob endpoints the cache
// uses (Put Blob, Put Block, Put Block List, Get Blob) on loopback, for
// fast tests. Its signed URLs carry an HMAC over blob and permission;
// requests without a valid one, or of any other kind, fail the test.
type MemBlobs struct {
	t   testing.TB
	srv *httptest.Server
	key []byte

	mu        sync.Mutex
	committed map[string][]byte
	staged    map[string]map[string][]byte // blob -> block id -> data

	// Requests counts the blob requests by kind ("put", "block",
	// "blocklist", "get").
	Requests sync.Map
	// FailGets makes the next n Get Blob requests answer 503.
	FailGets atomic.Int32
}

// NewMemBlobs starts the blob fake; it stops at the test's Cleanup.
func NewMemBlobs(t testing.TB) *MemBlobs {
	b := &MemBlobs{t: t, committed: map[string][]byte{}, staged: map[string]map[string][]byte{}, key: make([]byte, 32)}
	rand.Read(b.key)
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

func (b *MemBlobs) sign(name, perm string) string {
	m := hmac.New(sha256.New, b.key)
	m.Write([]byte(name + "\n" + perm))
	return hex.EncodeToString(m.Sum(nil))
}

func (b *MemBlobs) signed(name, perm string) string {
	return b.srv.URL + "/cache/" + url.PathEscape(name) + "?" + url.Values{"sp": {perm}, "sig": {b.sign(name, perm)}}.Encode()
}

// UploadURL implements Blobs.
func (b *MemBlobs) UploadURL(name string) string { return b.signed(name, "cw") }

// DownloadURL implements Blobs.
func (b *MemBlobs) DownloadURL(name string) string { return b.signed(name, "r") }

// Size implements Blobs.
func (b *MemBlobs) Size(name string) (int64, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.committed[name]
	if !ok {
		return 0, fmt.Errorf("blob %q does not exist", name)
	}
	return int64(len(d)), nil
}

// Corrupt replaces the committed blob name (tests of bad archives).
func (b *MemBlobs) Corrupt(name string, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.committed[name] = data
}

func (b *MemBlobs) count(kind string) {
	v, _ := b.Requests.LoadOrStore(kind, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

// Count is how many requests of kind were answered.
func (b *MemBlobs) Count(kind string) int64 {
	v, ok := b.Requests.Load(kind)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

func azError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="utf-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, msg)
}

func (b *MemBlobs) fail(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.t.Errorf("blob fake: %s", msg)
	azError(w, status, "InvalidOperation", msg)
}

func (b *MemBlobs) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/cache/")
	q := r.URL.Query()
	perm := q.Get("sp")
	if !ok || name == "" || !hmac.Equal([]byte(q.Get("sig")), []byte(b.sign(name, perm))) {
		b.fail(w, http.StatusForbidden, "request %s %s without a valid signature", r.Method, r.URL.Path)
		return
	}
	if r.Header.Get("Authorization") != "" {
		b.fail(w, http.StatusBadRequest, "an Authorization header sent to a signed blob URL")
		return
	}
	if r.Header.Get("x-ms-version") == "" {
		b.fail(w, http.StatusBadRequest, "%s without x-ms-version", r.Method)
		return
	}
	switch {
	case r.Method == http.MethodGet && perm == "r":
		b.count("get")
		if b.FailGets.Load() > 0 {
			b.FailGets.Add(-1)
			azError(w, http.StatusServiceUnavailable, "ServerBusy", "try again")
			return
		}
		b.mu.Lock()
		d, ok := b.committed[name]
		b.mu.Unlock()
		if !ok {
			azError(w, http.StatusNotFound, "BlobNotFound", "The specified blob does not exist.")
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(d)))
		w.Write(d)
	case r.Method == http.MethodPut && perm == "cw":
		data, err := io.ReadAll(r.Body)
		if err != nil {
			b.fail(w, http.StatusBadRequest, "reading the body: %v", err)
			return
		}
		if r.ContentLength != int64(len(data)) {
			b.fail(w, http.StatusBadRequest, "Content-Length %d for %d bytes", r.ContentLength, len(data))
			return
		}
		b.put(w, r, name, q, data)
	default:
		b.fail(w, http.StatusForbidden, "%s with permission %q", r.Method, perm)
	}
}

func (b *MemBlobs) put(w http.ResponseWriter, r *http.Request, name string, q url.Values, data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch q.Get("comp") {
	case "":
		b.count("put")
		if r.Header.Get("x-ms-blob-type") != "BlockBlob" {
			b.fail(w, http.StatusBadRequest, "Put Blob without x-ms-blob-type: BlockBlob")
			return
		}
		b.committed[name] = data
	case "block":
		b.count("block")
		id := q.Get("blockid")
		if _, err := base64.StdEncoding.DecodeString(id); err != nil || id == "" {
			b.fail(w, http.StatusBadRequest, "Put Block with an invalid block id %q", id)
			return
		}
		if b.staged[name] == nil {
			b.staged[name] = map[string][]byte{}
		}
		for other := range b.staged[name] {
			if len(other) != len(id) {
				b.fail(w, http.StatusBadRequest, "block ids of different lengths")
				return
			}
		}
		b.staged[name][id] = data
	case "blocklist":
		b.count("blocklist")
		var list struct {
			Latest []string `xml:"Latest"`
		}
		if err := xml.Unmarshal(data, &list); err != nil {
			b.fail(w, http.StatusBadRequest, "Put Block List: %v", err)
			return
		}
		var out []byte
		for _, id := range list.Latest {
			d, ok := b.staged[name][id]
			if !ok {
				azError(w, http.StatusBadRequest, "InvalidBlockList", "unknown block "+id)
				return
			}
			out = append(out, d...)
		}
		b.committed[name] = out
		delete(b.staged, name)
	default:
		b.fail(w, http.StatusBadRequest, "unexpected comp=%q", q.Get("comp"))
		return
	}
	w.WriteHeader(http.StatusCreated)
}
