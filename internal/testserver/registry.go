package testserver

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Registry is a fake npm registry on loopback. Create it with NewRegistry;
// it stops at the test's Cleanup.
type Registry struct {
	t    testing.TB
	srv  *httptest.Server
	done chan struct{}
	stop sync.Once

	mu       sync.Mutex
	gen      uint64                       // bumped on every change that alters served documents
	pkgs     map[string]map[string]*entry // name → version → entry
	tags     map[string]map[string]string // explicit dist-tags
	docs     map[string]*doc              // packument cache, valid while doc.gen == gen
	prefix   string                       // "" or "/a/b"
	token    string
	strict   bool
	corgi    bool
	latency  time.Duration
	stallFor time.Duration

	hits        map[string]int
	log         []Request
	stats       Stats
	inflight    int
	queued      map[string][]queuedFault
	failAll     *failAll
	failAllSeen map[string]int
}

// Request is one logged request.
type Request struct {
	Method string
	Path   string // canonical: percent-decoded, relative to the registry root, leading "/"
	Status int    // 0 when the connection was reset or abandoned before a status was sent
	Fault  Fault
}

// Stats are the registry's counters since creation or ResetStats.
type Stats struct {
	Requests       int
	NotModified    int // 304 answers to conditional requests
	Unauthorized   int
	NotFound       int
	FaultsInjected int
	BytesServed    int64 // response body bytes written (HEAD and 304 count 0)
	MaxInFlight    int   // highest number of requests being handled at once
}

type entry struct {
	pkg       Package
	once      sync.Once
	tgz       []byte
	fileCount int
	unpacked  int
	err       error
}

func (e *entry) tarball() ([]byte, error) {
	e.once.Do(func() { e.tgz, e.fileCount, e.unpacked, e.err = e.pkg.build() })
	return e.tgz, e.err
}

// DefaultStall is how long FaultStall and FaultStallBody wait unless
// SetStallDuration says otherwise.
const DefaultStall = 3 * time.Second

// NewRegistry starts a fake registry serving pkgs on 127.0.0.1. t.Cleanup
// closes it (after stopping stalled handlers).
func NewRegistry(t testing.TB, pkgs ...Package) *Registry {
	t.Helper()
	r := &Registry{
		t:           t,
		done:        make(chan struct{}),
		pkgs:        map[string]map[string]*entry{},
		tags:        map[string]map[string]string{},
		docs:        map[string]*doc{},
		stallFor:    DefaultStall,
		hits:        map[string]int{},
		queued:      map[string][]queuedFault{},
		failAllSeen: map[string]int{},
	}
	for _, p := range pkgs {
		r.Add(p)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serveHTTP))
	t.Cleanup(r.Close)
	return r
}

// Close stops the server now: in-flight requests are cut off (stalled and
// delayed handlers return at once) and later connections are refused. It is
// called automatically at Cleanup; calling it again is a no-op.
func (r *Registry) Close() {
	r.stop.Do(func() {
		close(r.done)
		r.srv.CloseClientConnections()
		r.srv.Close()
	})
}

// URL is the registry URL with a trailing slash, e.g.
// "http://127.0.0.1:41234/" (plus the path prefix, if set).
func (r *Registry) URL() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.urlLocked()
}

func (r *Registry) urlLocked() string { return r.srv.URL + r.prefix + "/" }

// Client returns an http.Client for the server whose connections close
// with the registry.
func (r *Registry) Client() *http.Client { return r.srv.Client() }

// Add adds p, replacing an earlier Package with the same name and version
// (its cached tarball is dropped). Add takes ownership of p's maps.
func (r *Registry) Add(p Package) {
	r.t.Helper()
	if p.Name == "" || p.Version == "" {
		r.t.Fatalf("failed to add package %q@%q: name and version are required", p.Name, p.Version)
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	vs := r.pkgs[p.Name]
	if vs == nil {
		vs = map[string]*entry{}
		r.pkgs[p.Name] = vs
	}
	vs[p.Version] = &entry{pkg: p}
	r.gen++
}

// Remove deletes one version of name, or every version when version is "".
// Dist-tags set with SetDistTag stay.
func (r *Registry) Remove(name, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if version == "" {
		delete(r.pkgs, name)
	} else if vs := r.pkgs[name]; vs != nil {
		delete(vs, version)
		if len(vs) == 0 {
			delete(r.pkgs, name)
		}
	}
	r.gen++
}

// SetDistTag points tag of name at version ("" removes the tag). An
// explicit "latest" replaces the computed one (highest stable version, or
// highest version when none is stable). The version need not exist.
func (r *Registry) SetDistTag(name, tag, version string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	tags := r.tags[name]
	if tags == nil {
		tags = map[string]string{}
		r.tags[name] = tags
	}
	if version == "" {
		delete(tags, tag)
	} else {
		tags[tag] = version
	}
	r.gen++
}

// SetPathPrefix serves the registry under prefix (e.g. "/api/npm/npm-remote"),
// like Artifactory or Nexus do. Call it before handing out URL().
func (r *Registry) SetPathPrefix(prefix string) {
	prefix = "/" + strings.Trim(prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prefix = prefix
	r.gen++
}

// RequireToken makes every request without "Authorization: Bearer <token>"
// get 401. An empty token turns the check off.
func (r *Registry) RequireToken(token string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.token = token
}

// SetStrict makes requests for unknown packages, versions and tarballs fail
// the test (they still get 404). Without it only requests no npm client
// should make fail the test: methods other than GET and HEAD, and paths
// that are not a package, version or tarball (except /-/ping).
func (r *Registry) SetStrict(strict bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.strict = strict
}

// ServeAbbreviated makes the registry answer requests whose Accept header
// asks for application/vnd.npm.install-v1+json with the abbreviated
// ("corgi") packument, as registry.npmjs.org does. Off by default: the
// local mirror this project tests against serves full documents always.
func (r *Registry) ServeAbbreviated(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.corgi = on
	r.gen++
}

// SetLatency delays every response by d (simulated round trip); the delay
// ends early if the client goes away or the registry closes.
func (r *Registry) SetLatency(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.latency = d
}

// SetStallDuration sets how long FaultStall and FaultStallBody wait.
func (r *Registry) SetStallDuration(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stallFor = d
}

// FailTimes makes the next n requests to path fail with f. Calls for the
// same path queue up in order; n <= 0 clears the queue for path. path is
// canonicalized like Hits.
func (r *Registry) FailTimes(path string, f Fault, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := r.canonLocked(path)
	if n <= 0 {
		delete(r.queued, key)
		return
	}
	r.queued[key] = append(r.queued[key], queuedFault{fault: f, n: n})
}

// FailAll makes a share (0..1) of distinct request paths fail `times`
// times each with f, counting from this call. Which paths fail depends only
// on seed and the path, so the selection is the same whatever the request
// order. It replaces an earlier FailAll; FailAll(FaultNone, 0, 0, 0) turns
// it off. Faults queued with FailTimes are used first.
func (r *Registry) FailAll(f Fault, share float64, seed int64, times int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failAll = &failAll{fault: f, share: share, seed: seed, times: times}
	r.failAllSeen = map[string]int{}
}

// Hits is the number of requests (any method, any outcome) to path, which
// may be given as a full URL, with or without the leading slash, and with
// scoped names escaped or not.
func (r *Registry) Hits(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[r.canonLocked(path)]
}

// Requests is the total number of requests received.
func (r *Registry) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats.Requests
}

// Stats returns a snapshot of the counters.
func (r *Registry) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Log returns the requests received so far, in completion order.
func (r *Registry) Log() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.log...)
}

// ResetStats clears Hits, Requests, Stats and Log (not faults), e.g.
// between a cold and a warm run.
func (r *Registry) ResetStats() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hits = map[string]int{}
	r.log = nil
	r.stats = Stats{}
}

// Tarball returns the bytes served for name@version (built on first use).
// It fails the test if the version is unknown.
func (r *Registry) Tarball(name, version string) []byte {
	r.t.Helper()
	e := r.entry(name, version)
	if e == nil {
		r.t.Fatalf("failed to find tarball %q: no such package version", name+"@"+version)
		return nil
	}
	b, err := e.tarball()
	if err != nil {
		r.t.Fatalf("%v", err)
	}
	return b
}

// Packument returns the full packument served for name (the abbreviated
// one is only served over HTTP). It fails the test if name is unknown.
func (r *Registry) Packument(name string) []byte {
	r.t.Helper()
	d, err := r.doc(name)
	if err != nil {
		r.t.Fatalf("%v", err)
		return nil
	}
	if d == nil {
		r.t.Fatalf("failed to find packument %q: no such package", name)
		return nil
	}
	return d.full
}

// Integrity is the sha512 SRI of the tarball served for name@version.
func (r *Registry) Integrity(name, version string) string {
	r.t.Helper()
	return SRI(r.Tarball(name, version))
}

// Shasum is the hex sha1 of the tarball served for name@version.
func (r *Registry) Shasum(name, version string) string {
	r.t.Helper()
	return SHA1Hex(r.Tarball(name, version))
}

// TarballURL is the conventional tarball URL,
// {URL()}{name}/-/{basename}-{version}.tgz; the scope is not escaped.
func (r *Registry) TarballURL(name, version string) string {
	return r.URL() + TarballPath(name, version)[1:]
}

// TarballPath is the tarball's path relative to the registry root,
// "/{name}/-/{basename}-{version}.tgz", the form Hits and FailTimes take.
func TarballPath(name, version string) string {
	return "/" + name + "/-/" + basename(name) + "-" + version + ".tgz"
}

// PackumentPath is the packument's path relative to the registry root as
// npm requests it: "/name" or "/@scope%2fname".
func PackumentPath(name string) string {
	return "/" + strings.Replace(name, "/", "%2f", 1)
}

func (r *Registry) entry(name, version string) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pkgs[name][version]
}

// canonLocked turns a path given by a test or a request into the key used
// for hits, faults and routing: percent-decoded, registry prefix removed,
// with a leading slash and no query.
func (r *Registry) canonLocked(p string) string {
	if strings.Contains(p, "://") {
		if u, err := url.Parse(p); err == nil {
			p = u.EscapedPath()
		}
	}
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	if dec, err := url.PathUnescape(p); err == nil {
		p = dec
	}
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if r.prefix != "" && (p == r.prefix || strings.HasPrefix(p, r.prefix+"/")) {
		p = p[len(r.prefix):]
		if p == "" {
			p = "/"
		}
	}
	return p
}
