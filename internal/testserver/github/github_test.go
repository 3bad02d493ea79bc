package github

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// fakeT records Errorf calls instead of failing the real test.
type fakeT struct {
	*testing.T
	mu   sync.Mutex
	errs []string
}

func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func (f *fakeT) Helper() {}

func (f *fakeT) errors() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.errs, "\n")
}

func get(t *testing.T, c *http.Client, method, url, body string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestStrictness(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(s *Server)
		method  string
		path    string
		status  int
		wantErr string // substring of the recorded test error; "" for none
	}{
		{name: "unexpected call", setup: func(*Server) {}, method: "GET", path: "/repos/o/r", status: 501, wantErr: "unexpected request GET /repos/o/r"},
		{name: "unused stub", setup: func(s *Server) { s.Register("GET", "/repos/{owner}/{repo}", Error(404, "Not Found")) },
			method: "", wantErr: "stub GET /repos/{owner}/{repo} was never used"},
		{name: "used stub", setup: func(s *Server) { s.Register("GET", "/repos/{owner}/{repo}", Error(404, "Not Found")) },
			method: "GET", path: "/repos/o/r", status: 404},
		{name: "times zero means any number", setup: func(s *Server) { s.Register("GET", "/x", Error(500, "boom")).Times(0) }, method: "GET", path: "/x", status: 500},
		{name: "times not reached", setup: func(s *Server) { s.Register("GET", "/x", Error(500, "boom")).Times(2) },
			method: "GET", path: "/x", status: 500, wantErr: "used 1 times, want 2"},
		{name: "wrong method", setup: func(s *Server) { s.Register("POST", "/x", Error(500, "boom")) },
			method: "GET", path: "/x", status: 501, wantErr: "unexpected request GET /x"},
		{name: "token required", setup: func(s *Server) { s.RequireToken("tok") }, method: "GET", path: "/x", status: 401, wantErr: "without the expected token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ft := &fakeT{T: t}
			s := New(ft)
			tc.setup(s)
			if tc.method != "" {
				resp, _ := get(t, s.Client(), tc.method, s.URL()+tc.path, "")
				if resp.StatusCode != tc.status {
					t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
				}
			}
			s.Verify(ft)
			got := ft.errors()
			if tc.wantErr == "" && got != "" {
				t.Errorf("unexpected test errors: %s", got)
			}
			if tc.wantErr != "" && !strings.Contains(got, tc.wantErr) {
				t.Errorf("test errors %q lack %q", got, tc.wantErr)
			}
		})
	}
}

func TestTimesFallsThrough(t *testing.T) {
	s := New(t)
	s.Register("GET", "/x", SecondaryRateLimit(7)).Times(1)
	s.Register("GET", "/x", Error(418, "teapot"))
	resp, body := get(t, s.Client(), "GET", s.URL()+"/x", "")
	if resp.StatusCode != 403 || resp.Header.Get("Retry-After") != "7" || !strings.Contains(body, "secondary-rate-limits") {
		t.Errorf("first: %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	resp, _ = get(t, s.Client(), "GET", s.URL()+"/x", "")
	if resp.StatusCode != 418 {
		t.Errorf("second: %d", resp.StatusCode)
	}
}

func TestCommentsPaginationAndEdit(t *testing.T) {
	for _, tc := range []struct {
		n, perPage, pages int
	}{{0, 100, 1}, {1, 100, 1}, {100, 100, 1}, {101, 100, 2}, {150, 100, 2}, {150, 30, 5}, {250, 100, 3}} {
		t.Run(fmt.Sprint(tc.n, "/", tc.perPage), func(t *testing.T) {
			s := New(t, Options{Prefix: "/api/v3"})
			s.Register("GET", "/repos/{owner}/{repo}/issues/{number}/comments", s.ListComments())
			s.Register("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", s.EditComment())
			for i := 0; i < tc.n; i++ {
				s.AddComments("o/r", 7, Comment{User: fmt.Sprint("u", i), Body: fmt.Sprint("c", i)})
			}
			url := fmt.Sprintf("%s/repos/o/r/issues/7/comments?per_page=%d", s.URL(), tc.perPage)
			var seen []string
			pages := 0
			for url != "" {
				pages++
				resp, body := get(t, s.Client(), "GET", url, "")
				var items []struct{ Body string }
				if err := json.Unmarshal([]byte(body), &items); err != nil {
					t.Fatal(err)
				}
				for _, it := range items {
					seen = append(seen, it.Body)
				}
				url = ""
				for _, l := range strings.Split(resp.Header.Get("Link"), ",") {
					if strings.HasSuffix(strings.TrimSpace(l), `rel="next"`) {
						url = strings.TrimSpace(l)
						url = url[1:strings.Index(url, ">")]
					}
				}
			}
			if pages != tc.pages || len(seen) != tc.n {
				t.Fatalf("pages %d (want %d), comments %d (want %d)", pages, tc.pages, len(seen), tc.n)
			}
			for i, b := range seen {
				if b != fmt.Sprint("c", i) {
					t.Fatalf("comment %d = %q", i, b)
				}
			}
			if tc.n > 0 {
				id := s.Comments("o/r", 7)[tc.n-1].ID
				resp, _ := get(t, s.Client(), "PATCH", fmt.Sprintf("%s/repos/o/r/issues/comments/%d", s.URL(), id), `{"body":"edited"}`)
				if resp.StatusCode != 200 || s.Comments("o/r", 7)[tc.n-1].Body != "edited" {
					t.Errorf("edit: %d %+v", resp.StatusCode, s.Comments("o/r", 7)[tc.n-1])
				}
			} else {
				get(t, s.Client(), "PATCH", s.URL()+"/repos/o/r/issues/comments/1", `{"body":"x"}`)
			}
		})
	}
}

func TestCreateAndContents(t *testing.T) {
	s := New(t)
	s.RequireToken("tok")
	s.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", s.CreateComment("github-actions[bot]"))
	s.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", s.GetContents())
	s.SetContents("o/r", "abc", "sub/package-lock.json", []byte(`{"x":1}`))
	auth := []string{"Authorization", "Bearer tok"}

	resp, _ := get(t, s.Client(), "POST", s.URL()+"/repos/o/r/issues/3/comments", `{"body":"hi"}`, auth...)
	if cs := s.Comments("o/r", 3); resp.StatusCode != 201 || len(cs) != 1 || cs[0].Body != "hi" || cs[0].UserType != "Bot" {
		t.Errorf("create: %d %+v", resp.StatusCode, cs)
	}
	resp, _ = get(t, s.Client(), "POST", s.URL()+"/repos/o/r/issues/3/comments", `{"body":"`+strings.Repeat("x", 65537)+`"}`, auth...)
	if resp.StatusCode != 422 {
		t.Errorf("too long: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		path, accept string
		status       int
		want         string
	}{
		{"/repos/o/r/contents/sub/package-lock.json?ref=abc", "application/vnd.github.raw+json", 200, `{"x":1}`},
		{"/repos/o/r/contents/sub/package-lock.json?ref=abc", "application/vnd.github+json", 200, `"content":"eyJ4IjoxfQ=="`},
		{"/repos/o/r/contents/sub/package-lock.json?ref=other", "application/vnd.github.raw", 404, "Not Found"},
		{"/repos/o/r/contents/package-lock.json?ref=abc", "application/vnd.github.raw", 404, "Not Found"},
	} {
		resp, body := get(t, s.Client(), "GET", s.URL()+tc.path, "", append(auth, "Accept", tc.accept)...)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s (%s): %d %s", tc.path, tc.accept, resp.StatusCode, body)
		}
	}
}

func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		ok            bool
		vals          map[string]string
	}{
		{"/repos/{owner}/{repo}", "/repos/o/r", true, map[string]string{"owner": "o", "repo": "r"}},
		{"/repos/{owner}/{repo}", "/repos/o/r/x", false, nil},
		{"/repos/{owner}/{repo}", "/repos/o", false, nil},
		{"/c/{path...}", "/c/a/b/c", true, map[string]string{"path": "a/b/c"}},
		{"/c/{path...}", "/c", false, nil},
		{"/a/b", "/a/c", false, nil},
	} {
		vals, ok := matchPattern(tc.pattern, tc.path)
		if ok != tc.ok || (ok && fmt.Sprint(vals) != fmt.Sprint(tc.vals)) {
			t.Errorf("match(%q, %q) = %v, %v", tc.pattern, tc.path, vals, ok)
		}
	}
}
