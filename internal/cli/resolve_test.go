package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

func resolveRegistry(t *testing.T) *testserver.Registry {
	return testserver.NewRegistry(t,
		testserver.Package{Name: "a", Version: "1.0.0", Dependencies: map[string]string{"b": "^1.0.0"}, Files: map[string]string{"index.js": "a"}},
		testserver.Package{Name: "a", Version: "1.1.0", Dependencies: map[string]string{"b": "^2.0.0"}, Files: map[string]string{"index.js": "a"}},
		testserver.Package{Name: "b", Version: "1.0.0", Files: map[string]string{"index.js": "b1"}},
		testserver.Package{Name: "b", Version: "2.0.0", Files: map[string]string{"index.js": "b2"}, Bin: map[string]string{"bee": "index.js"}},
		testserver.Package{Name: "p", Version: "1.0.0", PeerDependencies: map[string]string{"b": "^1.0.0"}, Files: map[string]string{"index.js": "p"}},
	)
}

// TestResolveAndInstall resolves a project on the fake registry, checks the
// tree npm's rules give (a@1.1.0 wants b@2, root wants b@1: b@2 nests), then
// installs it.
func TestResolveAndInstall(t *testing.T) {
	reg := resolveRegistry(t)
	dir := t.TempDir()
	pj := `{"name":"proj","version":"1.0.0","dependencies":{"a":"^1.0.0","b":"^1.0.0"}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(pj), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": t.TempDir()}
	getenv := func(k string) string { return env[k] }
	cache := t.TempDir()
	var out, errb bytes.Buffer
	code := Main([]string{"install", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--ignore-scripts", "--node-version", "20.0.0"},
		Stdio{Out: &out, Err: &errb}, getenv)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"node_modules/a": {`, `"version": "1.1.0"`, `"node_modules/a/node_modules/b": {`, `"node_modules/b": {`} {
		if !strings.Contains(string(lock), want) {
			t.Errorf("lockfile lacks %s:\n%s", want, lock)
		}
	}
	for file, want := range map[string]string{"node_modules/b/index.js": "b1", "node_modules/a/node_modules/b/index.js": "b2"} {
		if got, err := os.ReadFile(filepath.Join(dir, file)); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
	// A second resolve changes nothing.
	out.Reset()
	if code := Main([]string{"resolve", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--node-version", "20.0.0"}, Stdio{Out: &out, Err: &errb}, getenv); code != ExitOK {
		t.Fatalf("second resolve: exit %d: %s", code, errb.String())
	}
	if !strings.HasPrefix(out.String(), "unchanged") {
		t.Errorf("second resolve said %q", out.String())
	}
	// install changes node_modules in place, like npm install: files added
	// to a package it keeps, and node_modules/.cache, stay; ci starts over.
	mine := []string{"node_modules/b/MINE", "node_modules/.cache/x"}
	for _, f := range mine {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, cmd := range []string{"install", "ci"} {
		if code := Main([]string{cmd, "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--ignore-scripts"},
			Stdio{Out: &out, Err: &errb}, getenv); code != ExitOK {
			t.Fatalf("%s: exit %d: %s", cmd, code, errb.String())
		}
		for _, f := range mine {
			_, err := os.Stat(filepath.Join(dir, f))
			if kept := err == nil; kept != (cmd == "install") {
				t.Errorf("after %s, %s kept = %v", cmd, f, kept)
			}
		}
	}
}

// TestResolveBadInput: each bad project fails with exit 2, a message naming
// the problem, and the existing lockfile untouched.
func TestResolveBadInput(t *testing.T) {
	reg := resolveRegistry(t)
	cases := []struct {
		name, pj string
		want     []string
	}{
		{"unknown package", `{"name":"x","dependencies":{"nope":"^1.0.0"}}`, []string{`"nope"`, "the root project"}},
		{"no matching version", `{"name":"x","dependencies":{"a":"^9.0.0"}}`, []string{`"a"`, "^9.0.0"}},
		{"malformed package.json", `{"name":"x","dependencies":{"a":}`, []string{"package.json"}},
		{"peer conflict", `{"name":"x","dependencies":{"p":"1.0.0","b":"^2.0.0"}}`, []string{"ERESOLVE", "p@1.0.0", "--legacy-peer-deps"}},
		{"git dependency", `{"name":"x","dependencies":{"g":"github:user/repo"}}`, []string{"git", `"g"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			const old = "{\"keep\": true}\n"
			os.WriteFile(filepath.Join(dir, "package.json"), []byte(tc.pj), 0o644)
			os.WriteFile(filepath.Join(dir, "npm-shrinkwrap.json"), []byte(old), 0o644)
			env := map[string]string{"HOME": t.TempDir()}
			var out, errb bytes.Buffer
			code := Main([]string{"resolve", "--dir", dir, "--cache-dir", t.TempDir(), "--registry", reg.URL(), "--node-version", "20.0.0"},
				Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
			if code != ExitUsage {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, ExitUsage, errb.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
			if got, _ := os.ReadFile(filepath.Join(dir, "npm-shrinkwrap.json")); string(got) != old {
				t.Errorf("lockfile changed to %q", got)
			}
		})
	}
}

// TestResolveKeepsGitDependency: a git dependency pinned by the existing
// lockfile is kept as it is while a new registry dependency is added.
func TestResolveKeepsGitDependency(t *testing.T) {
	reg := resolveRegistry(t)
	dir := t.TempDir()
	const sha = "0123456789abcdef0123456789abcdef01234567"
	pj := `{"name":"proj","version":"1.0.0","dependencies":{"b":"^1.0.0","g":"github:user/g"}}` + "\n"
	lock := `{
  "name": "proj",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "proj",
      "version": "1.0.0",
      "dependencies": {
        "g": "github:user/g"
      }
    },
    "node_modules/g": {
      "version": "0.1.0",
      "resolved": "git+ssh://git@github.com/user/g.git#` + sha + `",
      "license": "MIT"
    }
  }
}
`
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(pj), 0o644)
	os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock), 0o644)
	env := map[string]string{"HOME": t.TempDir()}
	var out, errb bytes.Buffer
	code := Main([]string{"resolve", "--dir", dir, "--cache-dir", t.TempDir(), "--registry", reg.URL(), "--node-version", "20.0.0"},
		Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got, _ := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	for _, want := range []string{`"resolved": "git+ssh://git@github.com/user/g.git#` + sha + `"`, `"node_modules/b": {`, `"b": "^1.0.0",`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("lockfile lacks %s:\n%s", want, got)
		}
	}
}

// TestResolveRefetchesStaleDocument: right after a publish, a registry's
// caches may serve a document without the new version that another
// document already depends on. Resolve fetches such a document again,
// once, before it reports no matching version.
func TestResolveRefetchesStaleDocument(t *testing.T) {
	reg := resolveRegistry(t)
	target, err := url.Parse(reg.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	docRequests := 0
	stale := func() []byte {
		var doc map[string]any
		if err := json.Unmarshal(reg.Packument("b"), &doc); err != nil {
			t.Fatal(err)
		}
		delete(doc["versions"].(map[string]any), "2.0.0")
		if tm, ok := doc["time"].(map[string]any); ok {
			delete(tm, "2.0.0")
		}
		doc["dist-tags"] = map[string]any{"latest": "1.0.0"}
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimPrefix(r.URL.Path, target.Path) == "b" || r.URL.Path == "/b" {
			mu.Lock()
			docRequests++
			first := docRequests == 1
			mu.Unlock()
			if first {
				w.Header().Set("Content-Type", "application/json")
				w.Write(stale)
				return
			}
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"proj","version":"1.0.0","dependencies":{"a":"1.1.0"}}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"HOME": t.TempDir()}
	var out, errb bytes.Buffer
	code := Main([]string{"resolve", "--dir", dir, "--cache-dir", t.TempDir(), "--registry", srv.URL + "/", "--node-version", "20.0.0"},
		Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(lock), "\"node_modules/b\": {\n      \"version\": \"2.0.0\"") {
		t.Errorf("lockfile does not pin b@2.0.0:\n%s", lock)
	}
	mu.Lock()
	defer mu.Unlock()
	if docRequests != 2 {
		t.Errorf("b's document was requested %d times, want 2 (the stale one, then once again)", docRequests)
	}
}
