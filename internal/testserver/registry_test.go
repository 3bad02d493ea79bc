package testserver

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// recTB records Errorf/Fatalf calls instead of failing, so tests can check
// that the registry reports unexpected requests.
type recTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func (r *recTB) Fatalf(format string, args ...any) { r.Errorf(format, args...) }

func (r *recTB) errors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.errs...)
}

type result struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, c *http.Client, method, url string, hdr map[string]string) (result, error) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatalf("failed to build request: %v", err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: b}, err
}

func mustGet(t *testing.T, r *Registry, url string) result {
	t.Helper()
	res, err := do(t, r.Client(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatalf("failed to get %q: %v", url, err)
	}
	return res
}

type packument struct {
	ID       string                     `json:"_id"`
	Name     string                     `json:"name"`
	DistTags map[string]string          `json:"dist-tags"`
	Versions map[string]json.RawMessage `json:"versions"`
	Time     map[string]string          `json:"time"`
	License  string                     `json:"license"`
	Modified string                     `json:"modified"`
}

type versionDoc struct {
	ID                   string                     `json:"_id"`
	Name                 string                     `json:"name"`
	Version              string                     `json:"version"`
	Dependencies         map[string]string          `json:"dependencies"`
	OptionalDependencies map[string]string          `json:"optionalDependencies"`
	PeerDependencies     map[string]string          `json:"peerDependencies"`
	PeerDependenciesMeta map[string]map[string]bool `json:"peerDependenciesMeta"`
	DevDependencies      map[string]string          `json:"devDependencies"`
	Bin                  map[string]string          `json:"bin"`
	Scripts              map[string]string          `json:"scripts"`
	Engines              map[string]string          `json:"engines"`
	OS                   []string                   `json:"os"`
	CPU                  []string                   `json:"cpu"`
	Libc                 []string                   `json:"libc"`
	License              string                     `json:"license"`
	Deprecated           string                     `json:"deprecated"`
	HasInstallScript     bool                       `json:"hasInstallScript"`
	Funding              any                        `json:"funding"`
	Dist                 map[string]any             `json:"dist"`
}

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("failed to decode %q: %v", b, err)
	}
	return v
}

var fullPkg = Package{
	Name: "left", Version: "1.2.0",
	Files:                map[string]string{"index.js": "module.exports = 1\n", "bin/cli.js": "#!/usr/bin/env node\n"},
	Modes:                map[string]int64{"bin/cli.js": 0o755},
	Dependencies:         map[string]string{"right": "^2.0.0"},
	OptionalDependencies: map[string]string{"fsevents": "^2.3.0"},
	PeerDependencies:     map[string]string{"react": ">=18"},
	PeerDependenciesMeta: map[string]map[string]bool{"react": {"optional": true}},
	DevDependencies:      map[string]string{"tap": "^16"},
	Bin:                  map[string]string{"left": "bin/cli.js"},
	Scripts:              map[string]string{"postinstall": "node index.js"},
	Engines:              map[string]string{"node": ">=18"},
	OS:                   []string{"linux", "darwin"},
	CPU:                  []string{"x64"},
	Libc:                 []string{"glibc"},
	License:              "MIT",
	Deprecated:           "use right",
	Extra:                map[string]any{"funding": "https://example.org/fund"},
}

func TestPackumentShape(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t,
		fullPkg,
		Package{Name: "left", Version: "1.10.0", License: "ISC"},
		Package{Name: "left", Version: "2.0.0-beta.1"},
		Package{Name: "left", Version: "1.9.0"},
	)
	res := mustGet(t, r, r.URL()+"left")
	if res.status != 200 || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET left = %d %q, want 200 application/json", res.status, res.header.Get("Content-Type"))
	}
	if !bytes.Equal(res.body, r.Packument("left")) {
		t.Errorf("served packument differs from Packument()")
	}
	p := decode[packument](t, res.body)
	if p.ID != "left" || p.Name != "left" {
		t.Errorf("_id, name = %q, %q, want left", p.ID, p.Name)
	}
	if want := map[string]string{"latest": "1.10.0"}; !reflect.DeepEqual(p.DistTags, want) {
		t.Errorf("dist-tags = %v, want %v (highest stable)", p.DistTags, want)
	}
	if p.License != "ISC" {
		t.Errorf("top-level license = %q, want the latest version's ISC", p.License)
	}
	if len(p.Versions) != 4 {
		t.Errorf("versions = %d, want 4", len(p.Versions))
	}
	// Default times increase with semver order.
	order := []string{"1.2.0", "1.9.0", "1.10.0", "2.0.0-beta.1"}
	for i := 1; i < len(order); i++ {
		if !(p.Time[order[i-1]] < p.Time[order[i]]) {
			t.Errorf("time[%s]=%q not before time[%s]=%q", order[i-1], p.Time[order[i-1]], order[i], p.Time[order[i]])
		}
	}
	if p.Time["created"] != p.Time["1.2.0"] || p.Time["modified"] != p.Time["2.0.0-beta.1"] {
		t.Errorf("time created/modified = %q/%q, want first/last version times", p.Time["created"], p.Time["modified"])
	}

	v := decode[versionDoc](t, p.Versions["1.2.0"])
	want := versionDoc{
		ID: "left@1.2.0", Name: "left", Version: "1.2.0",
		Dependencies: fullPkg.Dependencies, OptionalDependencies: fullPkg.OptionalDependencies,
		PeerDependencies: fullPkg.PeerDependencies, PeerDependenciesMeta: fullPkg.PeerDependenciesMeta,
		DevDependencies: fullPkg.DevDependencies, Bin: fullPkg.Bin, Scripts: fullPkg.Scripts,
		Engines: fullPkg.Engines, OS: fullPkg.OS, CPU: fullPkg.CPU, Libc: fullPkg.Libc,
		License: "MIT", Deprecated: "use right", Funding: "https://example.org/fund",
	}
	dist := v.Dist
	v.Dist = nil
	if !reflect.DeepEqual(v, want) {
		t.Errorf("version doc =\n%+v\nwant\n%+v", v, want)
	}
	tgz := r.Tarball("left", "1.2.0")
	wantDist := map[string]any{
		"tarball":      r.TarballURL("left", "1.2.0"),
		"integrity":    r.Integrity("left", "1.2.0"),
		"shasum":       r.Shasum("left", "1.2.0"),
		"fileCount":    float64(3),
		"unpackedSize": dist["unpackedSize"],
	}
	if !reflect.DeepEqual(dist, wantDist) {
		t.Errorf("dist = %v, want %v", dist, wantDist)
	}
	if !strings.HasPrefix(r.Integrity("left", "1.2.0"), "sha512-") || r.Integrity("left", "1.2.0") != SRI(tgz) {
		t.Errorf("Integrity = %q, want sha512 SRI of the tarball", r.Integrity("left", "1.2.0"))
	}
	if got := r.TarballURL("left", "1.2.0"); got != r.URL()+"left/-/left-1.2.0.tgz" {
		t.Errorf("TarballURL = %q", got)
	}
	if !strings.HasPrefix(r.URL(), "http://127.0.0.1:") || !strings.HasSuffix(r.URL(), "/") {
		t.Errorf("URL = %q, want http://127.0.0.1:port/", r.URL())
	}
}

func TestTarballContents(t *testing.T) {
	t.Parallel()
	rooted := fullPkg
	rooted.Version, rooted.TarRoot = "1.3.0", "left"
	raw := MustTarball(TarEntry{Name: "package/../../evil", Body: "x"}, TarEntry{Name: "package/link", Type: tar.TypeSymlink, Linkname: "/etc/passwd"})
	r := NewRegistry(t, fullPkg, rooted,
		Package{Name: "bad", Version: "1.0.0", Files: map[string]string{"package.json": "{not json"}},
		Package{Name: "raw", Version: "1.0.0", RawTarball: raw},
	)
	tests := []struct {
		name, version string
		want          map[string]string // full entry name → body ("" skips the body check)
		modes         map[string]int64
		types         map[string]byte
	}{
		{"left", "1.2.0",
			map[string]string{"package/package.json": "", "package/index.js": "module.exports = 1\n", "package/bin/cli.js": "#!/usr/bin/env node\n"},
			map[string]int64{"package/package.json": 0o644, "package/index.js": 0o644, "package/bin/cli.js": 0o755}, nil},
		{"left", "1.3.0",
			map[string]string{"left/package.json": "", "left/index.js": "module.exports = 1\n", "left/bin/cli.js": "#!/usr/bin/env node\n"},
			nil, nil},
		{"bad", "1.0.0", map[string]string{"package/package.json": "{not json"}, nil, nil},
		{"raw", "1.0.0", map[string]string{"package/../../evil": "x", "package/link": ""}, nil,
			map[string]byte{"package/link": tar.TypeSymlink}},
	}
	for _, tc := range tests {
		t.Run(tc.name+"@"+tc.version, func(t *testing.T) {
			res := mustGet(t, r, r.TarballURL(tc.name, tc.version))
			if res.status != 200 || res.header.Get("Content-Type") != "application/octet-stream" {
				t.Fatalf("GET tarball = %d %q", res.status, res.header.Get("Content-Type"))
			}
			if got, want := SRI(res.body), r.Integrity(tc.name, tc.version); got != want {
				t.Errorf("served tarball SRI %q != Integrity %q", got, want)
			}
			pk := decode[packument](t, mustGet(t, r, r.URL()+tc.name).body)
			vd := decode[versionDoc](t, pk.Versions[tc.version])
			if vd.Dist["integrity"] != SRI(res.body) || vd.Dist["shasum"] != SHA1Hex(res.body) {
				t.Errorf("packument dist %v does not describe the served bytes", vd.Dist)
			}
			got := map[string]string{}
			zr, err := gzip.NewReader(bytes.NewReader(res.body))
			if err != nil {
				t.Fatalf("failed to gunzip: %v", err)
			}
			if !zr.ModTime.IsZero() {
				t.Errorf("gzip mtime = %v, want none", zr.ModTime)
			}
			tr := tar.NewReader(zr)
			for {
				h, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("failed to read tar: %v", err)
				}
				b, _ := io.ReadAll(tr)
				got[h.Name] = string(b)
				if !h.ModTime.Equal(PackTime) || h.Uid != 0 || h.Gid != 0 {
					t.Errorf("%s: mtime %v uid %d gid %d, want %v 0 0", h.Name, h.ModTime, h.Uid, h.Gid, PackTime)
				}
				if h.Typeflag == tar.TypeDir {
					t.Errorf("%s: directory entry", h.Name)
				}
				if want, ok := tc.modes[h.Name]; ok && h.Mode != want {
					t.Errorf("%s: mode %o, want %o", h.Name, h.Mode, want)
				}
				if want, ok := tc.types[h.Name]; ok && h.Typeflag != want {
					t.Errorf("%s: type %c, want %c", h.Name, h.Typeflag, want)
				}
			}
			if len(got) != len(tc.want) {
				t.Errorf("entries = %v, want %v", keys(got), keys(tc.want))
			}
			for n, body := range tc.want {
				if g, ok := got[n]; !ok || (body != "" && g != body) {
					t.Errorf("entry %q = %q (present %v), want %q", n, g, ok, body)
				}
			}
			if pj, ok := got["package/package.json"]; ok && tc.name == "left" {
				m := decode[versionDoc](t, []byte(pj))
				if m.Name != "left" || m.Version != tc.version || !reflect.DeepEqual(m.Dependencies, fullPkg.Dependencies) ||
					!reflect.DeepEqual(m.Bin, fullPkg.Bin) || m.Funding != "https://example.org/fund" {
					t.Errorf("package.json = %s", pj)
				}
				if m.Deprecated != "" || m.Dist != nil {
					t.Errorf("package.json carries registry-only fields: %s", pj)
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestDeterministicTarballs(t *testing.T) {
	t.Parallel()
	a := NewRegistry(t, fullPkg)
	b := NewRegistry(t)
	b.Add(fullPkg)
	ta, tb := a.Tarball("left", "1.2.0"), b.Tarball("left", "1.2.0")
	if !bytes.Equal(ta, tb) {
		t.Fatalf("two builds of the same package differ")
	}
	// Cached: the same slice is served again, and a replaced package is rebuilt.
	if got := mustGet(t, a, a.TarballURL("left", "1.2.0")).body; !bytes.Equal(got, ta) {
		t.Errorf("served tarball differs from Tarball()")
	}
	changed := fullPkg
	changed.Files = map[string]string{"index.js": "module.exports = 2\n"}
	a.Add(changed)
	if bytes.Equal(a.Tarball("left", "1.2.0"), ta) {
		t.Errorf("Add did not replace the cached tarball")
	}
	pa := strings.ReplaceAll(string(mustGet(t, b, b.URL()+"left").body), b.URL(), "URL/")
	pb := strings.ReplaceAll(string(mustGet(t, b, b.URL()+"left").body), b.URL(), "URL/")
	if pa != pb {
		t.Errorf("packument differs between requests")
	}
}

func TestScopedPaths(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, Package{Name: "@scope/pkg", Version: "1.0.0"})
	paths := []string{"@scope%2fpkg", "@scope%2Fpkg", "@scope/pkg", "%40scope%2fpkg",
		"@scope/pkg/1.0.0", "@scope/pkg/latest",
		"@scope/pkg/-/pkg-1.0.0.tgz", "@scope%2fpkg/-/pkg-1.0.0.tgz"}
	for _, p := range paths {
		res := mustGet(t, r, r.URL()+p)
		if res.status != 200 {
			t.Errorf("GET %s = %d, want 200", p, res.status)
		}
	}
	if got := r.Hits("/@scope/pkg"); got != 4 {
		t.Errorf("Hits(/@scope/pkg) = %d, want 4 (all escapings)", got)
	}
	if got := r.Hits(PackumentPath("@scope/pkg")); got != 4 {
		t.Errorf("Hits(%s) = %d, want 4", PackumentPath("@scope/pkg"), got)
	}
	if got := r.Hits(r.TarballURL("@scope/pkg", "1.0.0")); got != 2 {
		t.Errorf("Hits(tarball URL) = %d, want 2", got)
	}
	if got, want := r.TarballURL("@scope/pkg", "1.0.0"), r.URL()+"@scope/pkg/-/pkg-1.0.0.tgz"; got != want {
		t.Errorf("TarballURL = %q, want %q", got, want)
	}
	if r.Requests() != len(paths) {
		t.Errorf("Requests = %d, want %d", r.Requests(), len(paths))
	}
	v := decode[versionDoc](t, mustGet(t, r, r.URL()+"@scope%2fpkg/latest").body)
	if v.ID != "@scope/pkg@1.0.0" || v.Dist["tarball"] != r.TarballURL("@scope/pkg", "1.0.0") {
		t.Errorf("version doc = %+v", v)
	}
}

func TestNotFoundAndStrict(t *testing.T) {
	t.Parallel()
	paths := []string{"nope", "@s%2fnope", "left/9.9.9", "left/-/left-9.9.9.tgz", "left/-/other-1.2.0.tgz", "nope/-/nope-1.0.0.tgz"}
	for _, strict := range []bool{false, true} {
		t.Run(fmt.Sprint("strict=", strict), func(t *testing.T) {
			rec := &recTB{TB: t}
			r := NewRegistry(rec, fullPkg)
			r.SetStrict(strict)
			for _, p := range paths {
				res := mustGet(t, r, r.URL()+p)
				if res.status != 404 || string(res.body) != `{"error":"Not found"}` || res.header.Get("Content-Type") != "application/json" {
					t.Errorf("GET %s = %d %q %q", p, res.status, res.body, res.header.Get("Content-Type"))
				}
			}
			want := 0
			if strict {
				want = len(paths)
			}
			if got := len(rec.errors()); got != want {
				t.Errorf("test errors = %d (%q), want %d", got, rec.errors(), want)
			}
			if got := r.Stats().NotFound; got != len(paths) {
				t.Errorf("Stats.NotFound = %d, want %d", got, len(paths))
			}
		})
	}
}

func TestUnexpectedRequestsFailTheTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		method, path string
		status       int
	}{
		{http.MethodPost, "left", 405},
		{http.MethodPut, "left", 405},
		{http.MethodGet, "", 404},
		{http.MethodGet, "-/v1/search?text=x", 404},
		{http.MethodGet, "left/1.2.0/extra", 404},
		{http.MethodGet, "-/ping", 200},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := &recTB{TB: t}
			r := NewRegistry(rec, fullPkg)
			res, err := do(t, r.Client(), tc.method, r.URL()+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.status != tc.status {
				t.Errorf("status = %d, want %d", res.status, tc.status)
			}
			if wantErr := tc.status != 200; (len(rec.errors()) > 0) != wantErr {
				t.Errorf("test errors = %q, want some: %v", rec.errors(), wantErr)
			}
		})
	}
	rec := &recTB{TB: t}
	r := NewRegistry(rec)
	r.Add(Package{Name: "x"})
	if len(rec.errors()) != 1 || !strings.Contains(rec.errors()[0], "failed to add package") {
		t.Errorf("Add without version: errors %q", rec.errors())
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	r.RequireToken("s3cret")
	tests := []struct {
		auth   string
		status int
	}{
		{"", 401},
		{"Bearer wrong", 401},
		{"Basic czNjcmV0", 401},
		{"Bearer s3cret", 200},
		{"bearer s3cret", 200},
	}
	for _, tc := range tests {
		for _, u := range []string{r.URL() + "left", r.TarballURL("left", "1.2.0")} {
			res, err := do(t, r.Client(), http.MethodGet, u, map[string]string{"Authorization": tc.auth})
			if err != nil {
				t.Fatal(err)
			}
			if res.status != tc.status {
				t.Errorf("GET %s with %q = %d, want %d", u, tc.auth, res.status, tc.status)
			}
			if tc.status == 401 {
				if res.header.Get("WWW-Authenticate") == "" || strings.Contains(string(res.body), "s3cret") {
					t.Errorf("401 answer: header %q body %q", res.header.Get("WWW-Authenticate"), res.body)
				}
			}
		}
	}
	if got := r.Stats().Unauthorized; got != 6 {
		t.Errorf("Stats.Unauthorized = %d, want 6", got)
	}
	r.RequireToken("")
	if res := mustGet(t, r, r.URL()+"left"); res.status != 200 {
		t.Errorf("after RequireToken(\"\"): %d, want 200", res.status)
	}
}

func TestHEADAndConditional(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	tgz := r.Tarball("left", "1.2.0")
	res, err := do(t, r.Client(), http.MethodHead, r.TarballURL("left", "1.2.0"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.status != 200 || len(res.body) != 0 || res.header.Get("Content-Length") != fmt.Sprint(len(tgz)) {
		t.Errorf("HEAD tarball = %d, body %d bytes, Content-Length %q; want 200, 0, %d", res.status, len(res.body), res.header.Get("Content-Length"), len(tgz))
	}
	if res, _ := do(t, r.Client(), http.MethodHead, r.URL()+"nope", nil); res.status != 404 {
		t.Errorf("HEAD unknown = %d, want 404", res.status)
	}

	full := mustGet(t, r, r.URL()+"left")
	etag, lm := full.header.Get("ETag"), full.header.Get("Last-Modified")
	if etag == "" || lm == "" {
		t.Fatalf("packument lacks ETag/Last-Modified: %v", full.header)
	}
	tests := []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"etag", map[string]string{"If-None-Match": etag}, 304},
		{"weak etag in list", map[string]string{"If-None-Match": `"x", W/` + etag}, 304},
		{"stale etag", map[string]string{"If-None-Match": `"x"`}, 200},
		{"modified since", map[string]string{"If-Modified-Since": lm}, 304},
		{"older copy", map[string]string{"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200},
	}
	for _, tc := range tests {
		res, err := do(t, r.Client(), http.MethodGet, r.URL()+"left", tc.hdr)
		if err != nil {
			t.Fatal(err)
		}
		if res.status != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, res.status, tc.status)
		}
		if tc.status == 200 && !bytes.Equal(res.body, full.body) {
			t.Errorf("%s: body differs", tc.name)
		}
	}
	if got := r.Stats().NotModified; got != 3 {
		t.Errorf("Stats.NotModified = %d, want 3", got)
	}
	// A new version changes the ETag.
	r.Add(Package{Name: "left", Version: "1.2.1"})
	if res, _ := do(t, r.Client(), http.MethodGet, r.URL()+"left", map[string]string{"If-None-Match": etag}); res.status != 200 {
		t.Errorf("after publish: %d, want 200", res.status)
	}
}

func TestDistTagsAndOverrides(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t,
		Package{Name: "p", Version: "1.0.0", Dist: map[string]any{"integrity": nil, "signatures": []any{}}},
		Package{Name: "p", Version: "2.0.0"},
		Package{Name: "p", Version: "3.0.0-rc.1", Published: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		Package{Name: "pre", Version: "1.0.0-alpha"},
		Package{Name: "pre", Version: "1.0.0-alpha.2"},
	)
	r.SetDistTag("p", "next", "3.0.0-rc.1")
	p := decode[packument](t, mustGet(t, r, r.URL()+"p").body)
	if want := map[string]string{"latest": "2.0.0", "next": "3.0.0-rc.1"}; !reflect.DeepEqual(p.DistTags, want) {
		t.Errorf("dist-tags = %v, want %v", p.DistTags, want)
	}
	if p.Time["3.0.0-rc.1"] != "2024-05-01T00:00:00.000Z" {
		t.Errorf("time of rc = %q", p.Time["3.0.0-rc.1"])
	}
	v1 := decode[versionDoc](t, p.Versions["1.0.0"])
	if _, ok := v1.Dist["integrity"]; ok || v1.Dist["shasum"] != r.Shasum("p", "1.0.0") || v1.Dist["signatures"] == nil {
		t.Errorf("dist with override = %v", v1.Dist)
	}
	r.SetDistTag("p", "latest", "1.0.0")
	r.SetDistTag("p", "next", "")
	p = decode[packument](t, mustGet(t, r, r.URL()+"p").body)
	if want := map[string]string{"latest": "1.0.0"}; !reflect.DeepEqual(p.DistTags, want) {
		t.Errorf("dist-tags = %v, want %v", p.DistTags, want)
	}
	if v := decode[versionDoc](t, mustGet(t, r, r.URL()+"p/latest").body); v.Version != "1.0.0" {
		t.Errorf("p/latest = %q", v.Version)
	}
	pre := decode[packument](t, mustGet(t, r, r.URL()+"pre").body)
	if pre.DistTags["latest"] != "1.0.0-alpha.2" {
		t.Errorf("all-prerelease latest = %q, want 1.0.0-alpha.2", pre.DistTags["latest"])
	}
	r.Remove("p", "")
	if res := mustGet(t, r, r.URL()+"p"); res.status != 404 {
		t.Errorf("after Remove: %d", res.status)
	}
}

func TestAbbreviated(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg, Package{Name: "gyp", Version: "1.0.0", Files: map[string]string{"binding.gyp": "{}"}})
	corgi := map[string]string{"Accept": "application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*"}
	for _, on := range []bool{false, true} {
		r.ServeAbbreviated(on)
		res, err := do(t, r.Client(), http.MethodGet, r.URL()+"left", corgi)
		if err != nil {
			t.Fatal(err)
		}
		p := decode[packument](t, res.body)
		v := decode[versionDoc](t, p.Versions["1.2.0"])
		isCorgi := res.header.Get("Content-Type") == corgiType
		if isCorgi != on {
			t.Fatalf("ServeAbbreviated(%v): Content-Type %q", on, res.header.Get("Content-Type"))
		}
		if on && (p.Time != nil || p.License != "" || v.License != "" || v.Scripts != nil || v.Funding != nil ||
			!v.HasInstallScript || p.Modified == "" || v.Deprecated == "" || v.Bin == nil) {
			t.Errorf("abbreviated doc has the wrong fields: %s", res.body)
		}
		if !on && (p.Time == nil || v.License != "MIT" || v.HasInstallScript) {
			t.Errorf("full doc has the wrong fields: %s", res.body)
		}
	}
	res, _ := do(t, r.Client(), http.MethodGet, r.URL()+"gyp", corgi)
	if v := decode[versionDoc](t, decode[packument](t, res.body).Versions["1.0.0"]); !v.HasInstallScript {
		t.Errorf("binding.gyp package lacks hasInstallScript")
	}
	// Without the Accept header the full document is served.
	if res := mustGet(t, r, r.URL()+"left"); res.header.Get("Content-Type") != "application/json" {
		t.Errorf("plain GET Content-Type %q", res.header.Get("Content-Type"))
	}
}

func TestPathPrefixAndLatency(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	r.SetPathPrefix("/api/npm/remote/")
	if !strings.HasSuffix(r.URL(), "/api/npm/remote/") {
		t.Fatalf("URL = %q", r.URL())
	}
	p := decode[packument](t, mustGet(t, r, r.URL()+"left").body)
	v := decode[versionDoc](t, p.Versions["1.2.0"])
	if v.Dist["tarball"] != r.TarballURL("left", "1.2.0") || !strings.Contains(r.TarballURL("left", "1.2.0"), "/api/npm/remote/left/-/") {
		t.Errorf("tarball URL %v", v.Dist["tarball"])
	}
	if res := mustGet(t, r, r.TarballURL("left", "1.2.0")); res.status != 200 {
		t.Errorf("tarball under prefix = %d", res.status)
	}
	if r.Hits("/left") != 1 || r.Hits(r.URL()+"left") != 1 {
		t.Errorf("Hits under prefix = %d, %d", r.Hits("/left"), r.Hits(r.URL()+"left"))
	}

	const d = 60 * time.Millisecond
	r.SetLatency(d)
	start := time.Now()
	mustGet(t, r, r.URL()+"left")
	if el := time.Since(start); el < d {
		t.Errorf("request with latency %v took %v", d, el)
	}
}

func TestLogAndReset(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t, fullPkg)
	r.FailTimes("/left", Fault503, 1)
	mustGet(t, r, r.URL()+"left")
	mustGet(t, r, r.URL()+"left")
	mustGet(t, r, r.URL()+"nope")
	want := []Request{
		{Method: "GET", Path: "/left", Status: 503, Fault: Fault503},
		{Method: "GET", Path: "/left", Status: 200},
		{Method: "GET", Path: "/nope", Status: 404},
	}
	if got := r.Log(); !reflect.DeepEqual(got, want) {
		t.Errorf("Log = %+v, want %+v", got, want)
	}
	st := r.Stats()
	if st.Requests != 3 || st.FaultsInjected != 1 || st.NotFound != 1 || st.BytesServed == 0 || st.MaxInFlight != 1 {
		t.Errorf("Stats = %+v", st)
	}
	r.ResetStats()
	if r.Requests() != 0 || r.Hits("/left") != 0 || len(r.Log()) != 0 || r.Stats() != (Stats{}) {
		t.Errorf("after ResetStats: %d %d %v %+v", r.Requests(), r.Hits("/left"), r.Log(), r.Stats())
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	r := NewRegistry(t)
	const n = 30
	for i := 0; i < n; i++ {
		r.Add(Package{Name: fmt.Sprintf("p%d", i), Version: "1.0.0", Files: map[string]string{"a.js": strings.Repeat("x", i*100)}})
	}
	r.FailAll(Fault503, 0.3, 7, 1)
	var wg sync.WaitGroup
	errs := make(chan error, 4*n)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := r.Client()
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("p%d", (i+w)%n)
				for _, u := range []string{r.URL() + name, r.TarballURL(name, "1.0.0")} {
					resp, err := c.Get(u)
					if err != nil {
						errs <- err
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 && resp.StatusCode != 503 {
						errs <- fmt.Errorf("GET %s = %d", u, resp.StatusCode)
					}
				}
				if w == 0 {
					r.Add(Package{Name: name, Version: "1.0.1"})
					r.SetDistTag(name, "beta", "1.0.1")
					_ = r.Stats()
					_ = r.Hits("/" + name)
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := r.Requests(); got != 8*2*n {
		t.Errorf("Requests = %d, want %d", got, 8*2*n)
	}
	if st := r.Stats(); st.MaxInFlight < 2 {
		t.Logf("MaxInFlight = %d (concurrency not observed)", st.MaxInFlight)
	}
}

func TestMustTarballVerbatim(t *testing.T) {
	t.Parallel()
	entries := []TarEntry{
		{Name: "/abs/path", Body: "a"},
		{Name: "package/../../x", Body: "b", Mode: 0o4755},
		{Name: "package/dir", Type: tar.TypeDir},
		{Name: "package/hard", Type: tar.TypeLink, Linkname: "package/../../x"},
	}
	tr := tar.NewReader(bytes.NewReader(TarBytes(entries...)))
	for i := 0; ; i++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if i != len(entries) {
				t.Errorf("read %d entries, want %d", i, len(entries))
			}
			break
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			t.Fatal(err)
		}
		e := entries[i]
		wantMode := e.Mode
		if wantMode == 0 {
			wantMode = map[bool]int64{true: 0o755, false: 0o644}[e.Type == tar.TypeDir]
		}
		if h.Name != e.Name || h.Linkname != e.Linkname || h.Mode != wantMode {
			t.Errorf("entry %d = %q -> %q mode %o, want %q -> %q mode %o", i, h.Name, h.Linkname, h.Mode, e.Name, e.Linkname, wantMode)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	ordered := []string{"junk", "0.0.1", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
		"1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "10.0.0"}
	for i := range ordered {
		for j := range ordered {
			got := compareVersions(ordered[i], ordered[j])
			want := map[bool]int{true: -1, false: 1}[i < j]
			if i == j {
				want = 0
			}
			if got != want {
				t.Errorf("compare(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
	if got := highest([]string{"1.0.0", "2.0.0-rc.1", "1.5.0"}); got != "1.5.0" {
		t.Errorf("highest = %q", got)
	}
}
