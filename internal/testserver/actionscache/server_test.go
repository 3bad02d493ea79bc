package actionscache

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recorder) Helper() {}

// TestStrict: every request the service would not accept fails the test.
func TestStrict(t *testing.T) {
	const token = "runtime-token"
	tests := []struct {
		name, method, path, auth, ctype, body string
		wantStatus                            int
		wantErr                               string
	}{
		{"ok lookup", "POST", prefix + "GetCacheEntryDownloadURL", "Bearer " + token, "application/json", `{"key":"k","restore_keys":[],"version":"v"}`, 200, ""},
		{"unknown method", "POST", prefix + "DeleteCacheEntry", "Bearer " + token, "application/json", `{"key":"k","version":"v"}`, 404, "unknown CacheService method"},
		{"wrong path", "POST", "/twirp/other/Create", "Bearer " + token, "application/json", `{}`, 404, "unexpected request"},
		{"GET", "GET", prefix + "CreateCacheEntry", "Bearer " + token, "application/json", ``, 404, "unexpected request"},
		{"no token", "POST", prefix + "CreateCacheEntry", "", "application/json", `{"key":"k","version":"v"}`, 401, "runtime token"},
		{"camelCase field", "POST", prefix + "FinalizeCacheEntryUpload", "Bearer " + token, "application/json", `{"key":"k","sizeBytes":"1","version":"v"}`, 400, "unknown field \"sizeBytes\""},
		{"protobuf body", "POST", prefix + "CreateCacheEntry", "Bearer " + token, "application/protobuf", `x`, 400, "Content-Type"},
		{"no version", "POST", prefix + "CreateCacheEntry", "Bearer " + token, "application/json", `{"key":"k"}`, 400, "version"},
		{"finalize unreserved", "POST", prefix + "FinalizeCacheEntryUpload", "Bearer " + token, "application/json", `{"key":"k","size_bytes":"1","version":"v"}`, 404, "no reserved entry"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{TB: t}
			s := New(rec, NewMemBlobs(t), token)
			req, _ := http.NewRequest(tc.method, strings.TrimSuffix(s.URL(), "/")+tc.path, strings.NewReader(tc.body))
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			req.Header.Set("Content-Type", tc.ctype)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.wantStatus)
			}
			got := strings.Join(rec.errs, "; ")
			if (tc.wantErr == "") != (got == "") || !strings.Contains(got, tc.wantErr) {
				t.Errorf("test errors %q, want one containing %q", got, tc.wantErr)
			}
		})
	}
}
