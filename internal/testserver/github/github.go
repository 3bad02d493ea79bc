// Package github is a strict fake of the GitHub REST API for tests: an
// httptest server on loopback that answers only the calls a test has stubbed,
// in the manner of cli/cli's httpmock.
//
// Invariants:
//   - A request that matches no stub fails the test (t.Errorf) and gets a 501
//     with a GitHub-shaped error body; the server never guesses.
//   - Every stub must be used: Verify fails the test for each stub that was
//     not matched (or, with Times, not matched exactly n times). New registers
//     Verify as a Cleanup, so a forgotten stub always fails the test.
//   - Stubs are tried in registration order; a stub limited with Times that
//     has been used up lets the request fall through to the next stub, so
//     "first a 403, then success" is two stubs.
//   - Issue comments and file contents are state held by the server (Comments,
//     SetContents) and served by the stateful handlers (ListComments,
//     CreateComment, EditComment, GetContents): list pages honour per_page and
//     page and carry RFC 8288 Link headers like api.github.com.
//   - It listens on 127.0.0.1 only, optionally under a path prefix ("/api/v3",
//     like GitHub Enterprise Server), and stops at the test's Cleanup.
//   - It is safe for concurrent use.
package github

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Comment is an issue (pull request) comment held by the fake.
type Comment struct {
	ID        int64
	User      string // login
	UserType  string // "User" (default) or "Bot"
	Body      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string // without the prefix, e.g. "/repos/o/r/issues/7/comments"
	Query  url.Values
	Body   string
	Status int
	Time   time.Time
}

// Stub answers the requests matching Method and Pattern.
type Stub struct {
	Method  string
	Pattern string // path with {name} segments; a final {name...} takes the rest
	handler http.HandlerFunc
	times   int // 0: any number, at least once
	used    int
}

// Times limits the stub to exactly n requests: after n it no longer matches,
// and Verify fails unless it was used n times.
func (s *Stub) Times(n int) *Stub {
	s.times = n
	return s
}

// Server is the fake GitHub API.
type Server struct {
	t      testing.TB
	srv    *httptest.Server
	prefix string

	mu       sync.Mutex
	stubs    []*Stub
	logMu    sync.Mutex // guards log only: handlers may write while holding mu
	log      []Request
	token    string
	comments map[string][]*Comment // "owner/repo#n"
	contents map[string][]byte     // "owner/repo@ref:path"
	nextID   int64
	verified bool
	now      func() time.Time
}

// Options configure New.
type Options struct {
	// Prefix serves the API under a path, like GHES's "/api/v3".
	Prefix string
}

// New starts a fake GitHub API on 127.0.0.1. Cleanup verifies the stubs and
// closes the server.
func New(t testing.TB, opts ...Options) *Server {
	t.Helper()
	s := &Server{
		t:        t,
		comments: map[string][]*Comment{},
		contents: map[string][]byte{},
		nextID:   1000,
		now:      func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
	}
	if len(opts) > 0 {
		s.prefix = strings.TrimSuffix(opts[0].Prefix, "/")
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.srv.Close()
		s.Verify(t)
	})
	return s
}

// URL is the API base URL, the form of GITHUB_API_URL: no trailing slash,
// e.g. "http://127.0.0.1:41234" or "http://127.0.0.1:41234/api/v3".
func (s *Server) URL() string { return s.srv.URL + s.prefix }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// RequireToken makes every request lacking "Authorization: Bearer <token>"
// (or "token <token>") get 401 and fail the test.
func (s *Server) RequireToken(token string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = token
}

// Register adds a stub answering method requests to pattern with h.
func (s *Server) Register(method, pattern string, h http.HandlerFunc) *Stub {
	st := &Stub{Method: method, Pattern: pattern, handler: h}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stubs = append(s.stubs, st)
	return st
}

// Verify fails t for every stub that was not used as registered. It is
// called at Cleanup; calling it earlier is allowed and it then does not
// report the same problem twice.
func (s *Server) Verify(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.verified {
		return
	}
	s.verified = true
	for _, st := range s.stubs {
		switch {
		case st.times == 0 && st.used == 0:
			t.Errorf("github fake: stub %s %s was never used", st.Method, st.Pattern)
		case st.times > 0 && st.used != st.times:
			t.Errorf("github fake: stub %s %s used %d times, want %d", st.Method, st.Pattern, st.used, st.times)
		}
	}
}

// Log returns the requests received so far, in arrival order.
func (s *Server) Log() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.log...)
}

// Count is the number of requests with method whose path equals path.
func (s *Server) Count(method, path string) int {
	n := 0
	for _, r := range s.Log() {
		if r.Method == method && r.Path == path {
			n++
		}
	}
	return n
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	path := r.URL.Path
	// The request is logged when its status is written, before the client
	// can see the response: a client that has its answer finds its request
	// in Log and Count (logging after the handler returned raced with it).
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	rec.logged = func(status int) {
		s.logMu.Lock()
		s.log = append(s.log, Request{Method: r.Method, Path: path, Query: r.URL.Query(), Body: string(body), Status: status, Time: time.Now()})
		s.logMu.Unlock()
	}
	defer rec.log()
	if s.prefix != "" {
		if !strings.HasPrefix(path, s.prefix+"/") {
			s.t.Errorf("github fake: %s %s is outside the API prefix %q", r.Method, r.URL.Path, s.prefix)
			writeError(rec, http.StatusNotImplemented, "outside the API prefix")
			return
		}
		path = strings.TrimPrefix(path, s.prefix)
	}
	s.mu.Lock()
	token := s.token
	s.mu.Unlock()
	if token != "" {
		got := r.Header.Get("Authorization")
		if got != "Bearer "+token && got != "token "+token {
			s.t.Errorf("github fake: %s %s without the expected token", r.Method, path)
			writeError(rec, http.StatusUnauthorized, "Bad credentials")
			return
		}
	}
	s.mu.Lock()
	var match *Stub
	for _, st := range s.stubs {
		if st.Method != r.Method || (st.times > 0 && st.used >= st.times) {
			continue
		}
		vals, ok := matchPattern(st.Pattern, path)
		if !ok {
			continue
		}
		for k, v := range vals {
			r.SetPathValue(k, v)
		}
		st.used++
		match = st
		break
	}
	s.mu.Unlock()
	if match == nil {
		s.t.Errorf("github fake: unexpected request %s %s?%s", r.Method, path, r.URL.RawQuery)
		writeError(rec, http.StatusNotImplemented, "no stub for "+r.Method+" "+path)
		return
	}
	match.handler(rec, r)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	logged func(status int)
	done   bool
}

func (r *statusRecorder) log() {
	if !r.done {
		r.done = true
		r.logged(r.status)
	}
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.log()
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	r.log()
	return r.ResponseWriter.Write(b)
}

// matchPattern matches path against a pattern of literal and {name}
// segments; a final {name...} matches one or more remaining segments.
func matchPattern(pattern, path string) (map[string]string, bool) {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	vals := map[string]string{}
	for i, p := range ps {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "...}") {
			if i >= len(xs) {
				return nil, false
			}
			vals[strings.TrimSuffix(strings.TrimPrefix(p, "{"), "...}")] = strings.Join(xs[i:], "/")
			return vals, true
		}
		if i >= len(xs) {
			return nil, false
		}
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
			if xs[i] == "" {
				return nil, false
			}
			vals[p[1:len(p)-1]] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return vals, len(ps) == len(xs)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

// Error answers with status and a GitHub error body carrying message, e.g.
// Error(403, "Resource not accessible by integration").
func Error(status int, message string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) { writeError(w, status, message) }
}

// SecondaryRateLimit answers like GitHub when a secondary rate limit is hit:
// 403, a Retry-After header of retryAfter seconds and the documentation URL
// clients recognise.
func SecondaryRateLimit(retryAfter int) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
			"documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
	}
}

// AddComments appends comments to pull request (issue) number n of repo
// ("owner/repo"); a zero ID is assigned, a zero time set to the fake's clock.
func (s *Server) AddComments(repo string, n int, cs ...Comment) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := repo + "#" + strconv.Itoa(n)
	for _, c := range cs {
		c := c
		if c.ID == 0 {
			s.nextID++
			c.ID = s.nextID
		}
		if c.UserType == "" {
			c.UserType = "User"
		}
		if c.CreatedAt.IsZero() {
			c.CreatedAt = s.now()
		}
		if c.UpdatedAt.IsZero() {
			c.UpdatedAt = c.CreatedAt
		}
		s.comments[key] = append(s.comments[key], &c)
	}
}

// Comments returns a copy of the comments on pull request n of repo.
func (s *Server) Comments(repo string, n int) []Comment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Comment
	for _, c := range s.comments[repo+"#"+strconv.Itoa(n)] {
		out = append(out, *c)
	}
	return out
}

// SetContents stores a file of repo at ref (a sha or branch) for
// GetContents.
func (s *Server) SetContents(repo, ref, path string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.contents[repo+"@"+ref+":"+strings.TrimPrefix(path, "/")] = append([]byte(nil), data...)
}

func (s *Server) commentJSON(repo string, n int, c *Comment) map[string]any {
	base := s.srv.URL + s.prefix
	return map[string]any{
		"id":         c.ID,
		"node_id":    fmt.Sprintf("IC_%d", c.ID),
		"body":       c.Body,
		"user":       map[string]any{"login": c.User, "type": c.UserType},
		"created_at": c.CreatedAt.Format(time.RFC3339),
		"updated_at": c.UpdatedAt.Format(time.RFC3339),
		"url":        fmt.Sprintf("%s/repos/%s/issues/comments/%d", base, repo, c.ID),
		"html_url":   fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", repo, n, c.ID),
		"issue_url":  fmt.Sprintf("%s/repos/%s/issues/%d", base, repo, n),
	}
}

// ListComments serves GET /repos/{owner}/{repo}/issues/{number}/comments
// from the server's state, paginated (per_page default 30, at most 100)
// with Link headers.
func (s *Server) ListComments() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo := r.PathValue("owner") + "/" + r.PathValue("repo")
		n, err := strconv.Atoi(r.PathValue("number"))
		if err != nil {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		q := r.URL.Query()
		perPage := 30
		if v := q.Get("per_page"); v != "" {
			if perPage, err = strconv.Atoi(v); err != nil || perPage < 1 {
				perPage = 30
			}
		}
		perPage = min(perPage, 100)
		page := 1
		if v := q.Get("page"); v != "" {
			if page, err = strconv.Atoi(v); err != nil || page < 1 {
				page = 1
			}
		}
		s.mu.Lock()
		all := s.comments[repo+"#"+strconv.Itoa(n)]
		sorted := append([]*Comment(nil), all...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].ID < sorted[j].ID })
		last := max(1, (len(sorted)+perPage-1)/perPage)
		lo := min((page-1)*perPage, len(sorted))
		hi := min(lo+perPage, len(sorted))
		items := []map[string]any{}
		for _, c := range sorted[lo:hi] {
			items = append(items, s.commentJSON(repo, n, c))
		}
		s.mu.Unlock()
		link := func(p int, rel string) string {
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			qq := u.Query()
			qq.Set("page", strconv.Itoa(p))
			qq.Set("per_page", strconv.Itoa(perPage))
			u.RawQuery = qq.Encode()
			return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
		}
		var links []string
		if page > 1 {
			links = append(links, link(page-1, "prev"), link(1, "first"))
		}
		if page < last {
			links = append(links, link(page+1, "next"), link(last, "last"))
		}
		if len(links) > 0 {
			w.Header().Set("Link", strings.Join(links, ", "))
		}
		writeJSON(w, http.StatusOK, items)
	}
}

type commentBody struct {
	Body *string `json:"body"`
}

// CreateComment serves POST /repos/{owner}/{repo}/issues/{number}/comments,
// adding a comment by login (with user type "Bot").
func (s *Server) CreateComment(login string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo := r.PathValue("owner") + "/" + r.PathValue("repo")
		n, err := strconv.Atoi(r.PathValue("number"))
		var in commentBody
		if err != nil || json.NewDecoder(r.Body).Decode(&in) != nil || in.Body == nil {
			writeError(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		if len([]rune(*in.Body)) > 65536 {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed: body is too long (maximum is 65536 characters)")
			return
		}
		s.AddComments(repo, n, Comment{User: login, UserType: "Bot", Body: *in.Body})
		cs := s.Comments(repo, n)
		c := cs[len(cs)-1]
		writeJSON(w, http.StatusCreated, s.commentJSON(repo, n, &c))
	}
}

// EditComment serves PATCH /repos/{owner}/{repo}/issues/comments/{id}.
func (s *Server) EditComment() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo := r.PathValue("owner") + "/" + r.PathValue("repo")
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		var in commentBody
		if err != nil || json.NewDecoder(r.Body).Decode(&in) != nil || in.Body == nil {
			writeError(w, http.StatusUnprocessableEntity, "Invalid request.")
			return
		}
		if len([]rune(*in.Body)) > 65536 {
			writeError(w, http.StatusUnprocessableEntity, "Validation Failed: body is too long (maximum is 65536 characters)")
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		for key, cs := range s.comments {
			if !strings.HasPrefix(key, repo+"#") {
				continue
			}
			for _, c := range cs {
				if c.ID == id {
					c.Body = *in.Body
					c.UpdatedAt = c.UpdatedAt.Add(time.Minute)
					n, _ := strconv.Atoi(strings.TrimPrefix(key, repo+"#"))
					writeJSON(w, http.StatusOK, s.commentJSON(repo, n, c))
					return
				}
			}
		}
		writeError(w, http.StatusNotFound, "Not Found")
	}
}

// GetContents serves GET /repos/{owner}/{repo}/contents/{path...}?ref=REF
// from SetContents: raw bytes when the Accept header asks for
// application/vnd.github.raw (or .raw+json), else the JSON object with
// base64 content. Unknown files get 404.
func (s *Server) GetContents() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		repo := r.PathValue("owner") + "/" + r.PathValue("repo")
		path := r.PathValue("path")
		ref := r.URL.Query().Get("ref")
		s.mu.Lock()
		data, ok := s.contents[repo+"@"+ref+":"+path]
		s.mu.Unlock()
		if !ok {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "application/vnd.github.raw") {
			w.Header().Set("Content-Type", "application/vnd.github.raw")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(data)
			return
		}
		name := path[strings.LastIndex(path, "/")+1:]
		writeJSON(w, http.StatusOK, map[string]any{
			"type": "file", "encoding": "base64", "size": len(data), "name": name, "path": path,
			"content": base64.StdEncoding.EncodeToString(data),
		})
	}
}
