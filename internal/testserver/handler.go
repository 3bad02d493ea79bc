package testserver

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// response is a fully computed answer, delivered (or damaged) afterwards.
type response struct {
	status int
	header http.Header
	body   []byte
}

func jsonResponse(status int, body string) response {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return response{status: status, header: h, body: []byte(body)}
}

var notFound = `{"error":"Not found"}`

func (r *Registry) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	key := r.canonLocked(req.URL.EscapedPath())
	r.stats.Requests++
	r.hits[key]++
	r.inflight++
	if r.inflight > r.stats.MaxInFlight {
		r.stats.MaxInFlight = r.inflight
	}
	f := r.takeFaultLocked(key)
	if f != FaultNone {
		r.stats.FaultsInjected++
	}
	latency, stall := r.latency, r.stallFor
	r.mu.Unlock()

	rec := Request{Method: req.Method, Path: key, Fault: f}
	var written int64
	defer func() {
		r.mu.Lock()
		r.inflight--
		r.log = append(r.log, rec)
		r.stats.BytesServed += written
		switch rec.Status {
		case http.StatusNotModified:
			r.stats.NotModified++
		case http.StatusUnauthorized:
			r.stats.Unauthorized++
		case http.StatusNotFound:
			r.stats.NotFound++
		}
		r.mu.Unlock()
	}()

	if latency > 0 && !r.sleep(req, latency) {
		panic(http.ErrAbortHandler) // drop the connection without an answer
	}
	switch f {
	case Fault500:
		rec.Status, written = r.write(w, req, jsonResponse(500, `{"error":"Internal Server Error"}`))
		return
	case Fault503:
		rec.Status, written = r.write(w, req, jsonResponse(503, `{"error":"Service Unavailable"}`))
		return
	case Fault429:
		resp := jsonResponse(429, `{"error":"Too Many Requests"}`)
		resp.header.Set("Retry-After", "1")
		rec.Status, written = r.write(w, req, resp)
		return
	case FaultReset:
		reset(w)
		return
	case FaultStall:
		if !r.sleep(req, stall) {
			panic(http.ErrAbortHandler)
		}
	}

	resp := r.route(req, key)
	switch f {
	case FaultTruncate:
		if req.Method == http.MethodHead {
			reset(w)
			return
		}
		rec.Status, written = truncate(w, resp)
	case FaultCorrupt:
		resp.body = corrupt(resp.body)
		rec.Status, written = r.write(w, req, resp)
	case FaultStallBody:
		rec.Status, written = r.writeStalled(w, req, resp, stall)
	default:
		rec.Status, written = r.write(w, req, resp)
	}
}

// sleep waits d; it reports false when the client or the registry went away.
func (r *Registry) sleep(req *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-req.Context().Done():
		return false
	case <-r.done:
		return false
	}
}

func (r *Registry) write(w http.ResponseWriter, req *http.Request, resp response) (int, int64) {
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	if resp.status != http.StatusNotModified {
		h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	}
	w.WriteHeader(resp.status)
	if req.Method == http.MethodHead || resp.status == http.StatusNotModified {
		return resp.status, 0
	}
	n, _ := w.Write(resp.body)
	return resp.status, int64(n)
}

func (r *Registry) writeStalled(w http.ResponseWriter, req *http.Request, resp response, stall time.Duration) (int, int64) {
	if req.Method == http.MethodHead || len(resp.body) < 2 {
		return r.write(w, req, resp)
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.body)))
	w.WriteHeader(resp.status)
	half := len(resp.body) / 2
	n1, _ := w.Write(resp.body[:half])
	if fl, ok := w.(http.Flusher); ok {
		fl.Flush()
	}
	if !r.sleep(req, stall) {
		return resp.status, int64(n1)
	}
	n2, _ := w.Write(resp.body[half:])
	return resp.status, int64(n1 + n2)
}

// reset closes the client connection with a TCP RST before any byte of a
// response.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// truncate sends resp's head with the full Content-Length and half its body,
// then closes the connection.
func truncate(w http.ResponseWriter, resp response) (int, int64) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	bw := brw.Writer
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.status, http.StatusText(resp.status))
	resp.header.Set("Content-Length", strconv.Itoa(len(resp.body)))
	resp.header.Set("Connection", "close")
	_ = resp.header.Write(bw)
	bw.WriteString("\r\n")
	half := len(resp.body) / 2
	n, _ := bw.Write(resp.body[:half])
	_ = bw.Flush()
	return resp.status, int64(n)
}

// route computes the answer for a request that is not faulted away.
func (r *Registry) route(req *http.Request, key string) response {
	r.mu.Lock()
	token, strict := r.token, r.strict
	r.mu.Unlock()

	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		r.t.Errorf("testserver: unexpected request %s %s", req.Method, key)
		resp := jsonResponse(http.StatusMethodNotAllowed, `{"error":"Method not allowed"}`)
		resp.header.Set("Allow", "GET, HEAD")
		return resp
	}
	if token != "" && !authorized(req, token) {
		resp := jsonResponse(http.StatusUnauthorized, `{"error":"Unauthorized"}`)
		resp.header.Set("WWW-Authenticate", `Bearer realm="lockstep-testserver"`)
		return resp
	}
	rel := strings.TrimPrefix(key, "/")
	if rel == "-/ping" {
		return jsonResponse(http.StatusOK, "{}")
	}
	unexpected := func(what string) response {
		r.t.Errorf("testserver: unexpected request %s %s: %s", req.Method, key, what)
		return jsonResponse(http.StatusNotFound, notFound)
	}
	missing := func(what string) response {
		if strict {
			r.t.Errorf("testserver: request for unknown %s: %s %s", what, req.Method, key)
		}
		return jsonResponse(http.StatusNotFound, notFound)
	}
	if rel == "" || strings.HasPrefix(rel, "-/") {
		return unexpected("not a package path")
	}
	if i := strings.Index(rel, "/-/"); i >= 0 {
		name, file := rel[:i], rel[i+3:]
		if !validName(name) {
			return unexpected("bad package name in tarball path")
		}
		base := basename(name) + "-"
		if !strings.HasPrefix(file, base) || !strings.HasSuffix(file, ".tgz") || len(file) <= len(base)+4 {
			return missing("tarball")
		}
		return r.serveTarball(req, name, file[len(base):len(file)-4], missing)
	}
	name, rest := rel, ""
	segs := strings.SplitN(rel, "/", 3)
	if strings.HasPrefix(rel, "@") {
		if len(segs) < 2 {
			return unexpected("bad scoped name")
		}
		name = segs[0] + "/" + segs[1]
		if len(segs) == 3 {
			rest = segs[2]
		}
	} else {
		name = segs[0]
		rest = strings.Join(segs[1:], "/")
	}
	if !validName(name) || strings.Contains(rest, "/") {
		return unexpected("not a package, version or tarball path")
	}
	d, err := r.doc(name)
	if err != nil {
		r.t.Errorf("testserver: %v", err)
		return jsonResponse(http.StatusInternalServerError, `{"error":"Internal Server Error"}`)
	}
	if d == nil {
		return missing("package")
	}
	if rest == "" {
		body, etag, ctype := d.full, d.etag, "application/json"
		if d.corgi != nil && r.wantsCorgi(req) {
			body, etag, ctype = d.corgi, d.corgiEtag, corgiType
		}
		return conditional(req, body, etag, ctype, d.modified, "public, max-age=300")
	}
	v := rest
	if t, ok := d.tags[rest]; ok {
		v = t
	}
	body, ok := d.vdocs[v]
	if !ok {
		return missing("version")
	}
	return conditional(req, body, quoteETag(body), "application/json", d.modified, "public, max-age=300")
}

func (r *Registry) serveTarball(req *http.Request, name, version string, missing func(string) response) response {
	e := r.entry(name, version)
	if e == nil {
		return missing("tarball")
	}
	tgz, err := e.tarball()
	if err != nil {
		r.t.Errorf("testserver: %v", err)
		return jsonResponse(http.StatusInternalServerError, `{"error":"Internal Server Error"}`)
	}
	return conditional(req, tgz, quoteETag(tgz), "application/octet-stream", PackTime, "public, immutable, max-age=31557600")
}

const corgiType = "application/vnd.npm.install-v1+json"

func (r *Registry) wantsCorgi(req *http.Request) bool {
	r.mu.Lock()
	on := r.corgi
	r.mu.Unlock()
	return on && strings.Contains(req.Header.Get("Accept"), corgiType)
}

// conditional answers 200 with body, or 304 when the request's
// If-None-Match or If-Modified-Since says the client has it.
func conditional(req *http.Request, body []byte, etag, ctype string, modified time.Time, cacheControl string) response {
	h := http.Header{}
	h.Set("ETag", etag)
	h.Set("Last-Modified", modified.UTC().Format(http.TimeFormat))
	h.Set("Cache-Control", cacheControl)
	if inm := req.Header.Get("If-None-Match"); inm != "" {
		if etagMatch(inm, etag) {
			return response{status: http.StatusNotModified, header: h}
		}
	} else if ims := req.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil && !modified.Truncate(time.Second).After(t) {
			return response{status: http.StatusNotModified, header: h}
		}
	}
	h.Set("Content-Type", ctype)
	return response{status: http.StatusOK, header: h, body: body}
}

func etagMatch(header, etag string) bool {
	for _, c := range strings.Split(header, ",") {
		c = strings.TrimSpace(c)
		if c == "*" || strings.TrimPrefix(c, "W/") == etag {
			return true
		}
	}
	return false
}

func quoteETag(b []byte) string { return `"` + SHA1Hex(b) + `"` }

func authorized(req *http.Request, token string) bool {
	scheme, cred, ok := strings.Cut(req.Header.Get("Authorization"), " ")
	return ok && strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(cred) == token
}

// validName accepts "name" and "@scope/name" with non-empty, dot-free-start
// parts and no further slashes.
func validName(name string) bool {
	if strings.HasPrefix(name, "@") {
		scope, pkg, ok := strings.Cut(name[1:], "/")
		return ok && scope != "" && validPart(pkg) && !strings.Contains(pkg, "/")
	}
	return validPart(name) && !strings.Contains(name, "/")
}

func validPart(s string) bool {
	return s != "" && s[0] != '.' && s[0] != '_' && !strings.ContainsAny(s, " \\")
}
