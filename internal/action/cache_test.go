package action

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/cache/actionscache"
	"github.com/lockstep-dev/lockstep/install/preload"
	cachefake "github.com/lockstep-dev/lockstep/internal/testserver/actionscache"
)

const runtimeToken = "eyJhbGciOi.ACTIONS-RUNTIME.secretpart"

// withCache points the harness at a cache fake backed by in-process blobs
// and gives it a GITHUB_STATE file.
func withCache(h *harness) *cachefake.Server {
	srv, _ := withCacheBlobs(h)
	return srv
}

// withCacheBlobs is withCache, also returning the blob store.
func withCacheBlobs(h *harness) (*cachefake.Server, *cachefake.MemBlobs) {
	blobs := cachefake.NewMemBlobs(h.t)
	srv := cachefake.New(h.t, blobs, runtimeToken)
	h.env["ACTIONS_RESULTS_URL"] = srv.URL()
	h.env["ACTIONS_RUNTIME_TOKEN"] = runtimeToken
	h.env["GITHUB_STATE"] = filepath.Join(h.t.TempDir(), "save_state_x")
	return srv, blobs
}

// state parses GITHUB_STATE (name<<DELIM blocks) into the STATE_* the
// runner gives the post step.
func (h *harness) state() map[string]string {
	h.t.Helper()
	out := map[string]string{}
	lines := strings.Split(h.file("GITHUB_STATE"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out["STATE_"+name] = strings.Join(val, "\n")
	}
	return out
}

// post runs the post step with the main step's state, in a fresh
// environment like the runner's new container.
func (h *harness) post() {
	h.t.Helper()
	env := map[string]string{}
	for k, v := range h.env {
		env[k] = v
	}
	for k, v := range h.state() {
		env[k] = v
	}
	if err := Post(context.Background(), Options{Getenv: func(k string) string { return env[k] }, Stdout: &h.out,
		CacheConfig: func(c *actionscache.Config) { c.RetryDelay = time.Millisecond }}); err != nil {
		h.t.Fatal(err)
	}
}

// TestCacheAcrossRuns: run 1 misses and the post step saves the store;
// run 2 (a new runner: empty cache dir) restores it exactly, installs
// nothing from the network, and the post step saves nothing.
func TestCacheAcrossRuns(t *testing.T) {
	h := newHarness(t, "push")
	srv := withCache(h)
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.env["INPUT_CACHE"] = "all"
	h.writeProject("", reg, "1.3.0", "3.0.1")

	res, err := h.run()
	if err != nil {
		t.Fatalf("run 1: %v\n%s", err, h.out.String())
	}
	if res.CacheHit || h.outputs()["cache-hit"] != "false" {
		t.Errorf("run 1: cache hit %v, output %q", res.CacheHit, h.outputs()["cache-hit"])
	}
	if h.state()["STATE_"+stateName] == "" {
		t.Fatalf("run 1 left no state for the post step:\n%s", h.out.String())
	}
	h.post()
	var storeKey string
	for _, e := range srv.Entries() {
		if strings.HasPrefix(e.Key, "lockstep-store-") && e.Finalized {
			storeKey = e.Key
		}
	}
	if storeKey == "" {
		t.Fatalf("the post step saved no store: %+v\n%s", srv.Entries(), h.out.String())
	}
	if strings.Contains(h.out.String(), runtimeToken) && strings.Count(h.out.String(), runtimeToken) != strings.Count(h.out.String(), "::add-mask::"+runtimeToken) {
		t.Error("the runtime token is printed")
	}

	// A persistent cache dir (self-hosted runner) is kept, not replaced.
	calls := srv.Count("GetCacheEntryDownloadURL")
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h.out.String(), "is not empty, kept as is") || srv.Count("GetCacheEntryDownloadURL") != calls+1 {
		t.Errorf("a non-empty local store was not kept (lookups %d → %d):\n%s", calls, srv.Count("GetCacheEntryDownloadURL"), h.out.String())
	}

	// Run 2 on a fresh machine: new cache dir, no node_modules.
	h.cache = t.TempDir()
	os.RemoveAll(filepath.Join(h.ws, "node_modules"))
	os.Remove(h.env["GITHUB_OUTPUT"])
	os.Remove(h.env["GITHUB_STATE"])
	tarballs := reg.Requests()
	res2, err := h.run()
	if err != nil {
		t.Fatalf("run 2: %v\n%s", err, h.out.String())
	}
	if !strings.Contains(h.out.String(), "cache store: exact hit \""+storeKey+"\"") {
		t.Errorf("run 2 did not restore %q:\n%s", storeKey, h.out.String())
	}
	if got := reg.Requests(); got != tarballs {
		t.Errorf("run 2 made %d registry requests after restoring the store", got-tarballs)
	}
	if data, err := os.ReadFile(filepath.Join(h.ws, "node_modules/left-pad/index.js")); err != nil || string(data) != "new" {
		t.Errorf("left-pad not installed from the restored store: %q %v", data, err)
	}
	// manifests: ci reads none, so that kind has nothing to save nor
	// restore and does not count against cache-hit
	if !res2.CacheHit || h.outputs()["cache-hit"] != "true" {
		t.Errorf("cache-hit %v, output %q after an exact store hit", res2.CacheHit, h.outputs()["cache-hit"])
	}
	saves := srv.Count("CreateCacheEntry")
	h.post()
	if got := srv.Count("CreateCacheEntry"); got != saves {
		t.Errorf("the post step reserved %d entries after an exact hit", got-saves)
	}
	if !strings.Contains(h.out.String(), "exact hit; entries are immutable") {
		t.Errorf("no skip message:\n%s", h.out.String())
	}
}

// TestCacheModes: what restore and save do under each ACTIONS_CACHE_MODE,
// without a token, under pull_request_target, and when the service fails.
func TestCacheModes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		mode      string
		noToken   bool
		event     string
		brokenURL bool
		wantLog   []string
		wantState bool
		wantCalls map[string]int
	}{
		{name: "read-write", wantState: true, wantCalls: map[string]int{"GetCacheEntryDownloadURL": 1, "CreateCacheEntry": 1}},
		{name: "read", mode: "read", wantLog: []string{"ACTIONS_CACHE_MODE is read"}, wantCalls: map[string]int{"GetCacheEntryDownloadURL": 1}},
		{name: "write-only", mode: "write-only", wantState: true, wantLog: []string{"write-only: not restoring"}, wantCalls: map[string]int{"CreateCacheEntry": 1}},
		{name: "none", mode: "none", wantLog: []string{"::notice::lockstep: cache disabled: the Actions cache is disabled: ACTIONS_CACHE_MODE is \"none\""}},
		{name: "no token", noToken: true, wantLog: []string{"::notice::lockstep: cache disabled", "ACTIONS_RUNTIME_TOKEN"}},
		{name: "service down", brokenURL: true, wantState: true, wantLog: []string{"::warning::lockstep: cache store not restored", "::warning::lockstep: cache store not saved"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "push")
			srv := withCache(h)
			reg := registry(t)
			h.env["INPUT_COMMAND"] = "ci"
			h.env["INPUT_REGISTRY"] = reg.URL()
			h.env["INPUT_CACHE"] = "store"
			h.env["ACTIONS_CACHE_MODE"] = tc.mode
			if tc.noToken {
				delete(h.env, "ACTIONS_RUNTIME_TOKEN")
			}
			if tc.brokenURL {
				h.env["ACTIONS_RESULTS_URL"] = "http://127.0.0.1:1/"
			}
			h.writeProject("", reg, "1.3.0", "")
			if _, err := h.run(); err != nil {
				t.Fatalf("a cache problem failed the step: %v\n%s", err, h.out.String())
			}
			if got := h.state()["STATE_"+stateName] != ""; got != tc.wantState {
				t.Errorf("state written %v, want %v", got, tc.wantState)
			}
			h.post()
			for _, w := range tc.wantLog {
				if !strings.Contains(h.out.String(), w) {
					t.Errorf("log lacks %q:\n%s", w, h.out.String())
				}
			}
			for _, m := range []string{"GetCacheEntryDownloadURL", "CreateCacheEntry", "FinalizeCacheEntryUpload"} {
				want := tc.wantCalls[m]
				if m == "FinalizeCacheEntryUpload" {
					want = tc.wantCalls["CreateCacheEntry"]
				}
				if got := srv.Count(m); got != want {
					t.Errorf("%s called %d times, want %d", m, got, want)
				}
			}
		})
	}
}

// TestCachePullRequestTarget: no restore, no save, no state.
func TestCachePullRequestTarget(t *testing.T) {
	h := newHarness(t, "pull_request_target")
	srv := withCache(h)
	h.pullRequest(true)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_CACHE"] = "all"
	h.env["INPUT_COMMENT"] = "never"
	pj, lock := lockJSON(nil, "1.3.0", "")
	h.write("package.json", pj)
	h.write("package-lock.json", lock)
	h.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(lock))
	h.gh.SetContents("mallory/app", headSHA, "package-lock.json", []byte(lock))
	h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents()).Times(2)
	if _, err := h.run(); err != nil {
		t.Fatal(err)
	}
	h.post()
	if n := len(srv.Calls()); n != 0 || h.state()["STATE_"+stateName] != "" {
		t.Errorf("pull_request_target touched the cache: %d calls, state %q", n, h.state())
	}
	if !strings.Contains(h.out.String(), "the cache is neither restored nor saved") {
		t.Errorf("no notice:\n%s", h.out.String())
	}
}

// TestWarm: command warm (cache: auto) fills the manifest cache and the
// store and saves both under fresh keys that a later pull request restores
// through its restore keys.
func TestWarm(t *testing.T) {
	h := newHarness(t, "schedule")
	srv := withCache(h)
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "warm"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.env["GITHUB_RUN_ID"] = "991"
	h.env["GITHUB_RUN_ATTEMPT"] = "2"
	h.writeProject("", reg, "1.3.0", "3.0.1")
	if _, err := h.run(); err != nil {
		t.Fatalf("warm: %v\n%s", err, h.out.String())
	}
	entries := srv.Entries()
	if len(entries) != 2 {
		t.Fatalf("warm saved %+v\n%s", entries, h.out.String())
	}
	for i, kind := range []string{"manifests", "store"} {
		if e := entries[i]; !e.Finalized || !strings.HasPrefix(e.Key, "lockstep-"+kind+"-") || !strings.HasSuffix(e.Key, "-991-2") {
			t.Fatalf("warm saved %+v\n%s", entries, h.out.String())
		}
	}
	if h.state()["STATE_"+stateName] != "" {
		t.Error("warm left state: its post step would save again")
	}
	if !strings.Contains(h.file("GITHUB_STEP_SUMMARY"), "warm") {
		t.Errorf("summary: %q", h.file("GITHUB_STEP_SUMMARY"))
	}

	// a pull request run on the same lockfile restores the warm entry
	h2 := newHarness(t, "push")
	h2.env = h.env
	h2.ws = h.ws
	h2.env["INPUT_COMMAND"] = "ci"
	h2.env["GITHUB_OUTPUT"] = filepath.Join(t.TempDir(), "out")
	h2.cache = t.TempDir()
	if _, err := h2.run(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(h2.out.String(), "cache manifests: restored from a restore key \""+entries[0].Key+"\"") {
		t.Errorf("the warm entry was not restored:\n%s", h2.out.String())
	}
	ents, err := os.ReadDir(preload.ManifestDir(h2.cache))
	if err != nil || len(ents) == 0 {
		t.Errorf("manifest cache empty after restore: %v", err)
	}
}

// TestTimingHistory: runs on main record their timings in the cache; a pull
// request against main compares its run with them in the comment.
func TestTimingHistory(t *testing.T) {
	h := newHarness(t, "push")
	srv := withCache(h)
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.env["INPUT_CACHE"] = "store"
	h.env["GITHUB_REF_NAME"] = "main"
	pj, lock := lockJSON(reg, "1.3.0", "")
	h.write("package.json", pj)
	h.write("package-lock.json", lock)
	for i := 1; i <= 2; i++ {
		h.env["GITHUB_RUN_ID"] = fmt.Sprint(100 + i)
		if _, err := h.run(); err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("timing history of \"main\" (%d runs)", i); !strings.Contains(h.out.String(), want) {
			t.Fatalf("run %d: log lacks %q:\n%s", i, want, h.out.String())
		}
	}
	timings := 0
	for _, e := range srv.Entries() {
		if strings.HasPrefix(e.Key, "lockstep-timings-") {
			timings++
		}
	}
	if timings != 2 {
		t.Errorf("%d timing entries saved, want 2", timings)
	}

	// a pull request into main
	pr := newHarness(t, "pull_request")
	pr.env["ACTIONS_RESULTS_URL"], pr.env["ACTIONS_RUNTIME_TOKEN"] = h.env["ACTIONS_RESULTS_URL"], runtimeToken
	pr.pullRequest(false)
	pr.env["INPUT_COMMAND"] = "ci"
	pr.env["INPUT_REGISTRY"] = reg.URL()
	pr.env["INPUT_CACHE"] = "store"
	pr.env["INPUT_COMMENT"] = "always"
	pr.write("package.json", pj)
	pr.write("package-lock.json", lock)
	pr.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(lock))
	pr.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", pr.gh.GetContents()).Times(1)
	stubComments(pr)
	pr.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", pr.gh.CreateComment(bot)).Times(1)
	res, err := pr.run()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Body, "against main (median of 2 recorded runs)") || !strings.Contains(res.Body, "| **total** |") {
		t.Errorf("comment has no comparison with main:\n%s", res.Body)
	}
	if strings.Contains(pr.out.String(), "recorded this run") {
		t.Error("a pull request run recorded its timings")
	}
}

// TestCachePoisonedStore: a restored store whose file was changed after it
// was written is caught by its checksums; the entry is dropped, fetched
// again and verified against the lockfile, never installed.
func TestCachePoisonedStore(t *testing.T) {
	h := newHarness(t, "push")
	srv, blobs := withCacheBlobs(h)
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.env["INPUT_CACHE"] = "store"
	h.writeProject("", reg, "1.3.0", "3.0.1")
	if _, err := h.run(); err != nil {
		t.Fatalf("run 1: %v\n%s", err, h.out.String())
	}
	h.post()
	var entry *cachefake.Entry
	for _, e := range srv.Entries() {
		if strings.HasPrefix(e.Key, "lockstep-store-") && e.Finalized {
			entry = &e
		}
	}
	if entry == nil {
		t.Fatalf("no store saved: %+v", srv.Entries())
	}
	// Tamper with left-pad's index.js in the saved store and upload that.
	storeDir := filepath.Join(h.cache, "store")
	tampered := 0
	filepath.WalkDir(storeDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "index.js" {
			if b, _ := os.ReadFile(p); string(b) == "new" {
				os.Chmod(p, 0o644)
				os.WriteFile(p, []byte("evil"), 0o644)
				tampered++
			}
		}
		return nil
	})
	if tampered != 1 {
		t.Fatalf("tampered with %d files", tampered)
	}
	var buf bytes.Buffer
	if err := actionscache.WriteArchive(&buf, storeDir, nil); err != nil {
		t.Fatal(err)
	}
	blobs.Corrupt(cachefake.BlobName(entry.ID), buf.Bytes())

	// Run 2 on a fresh machine restores the poisoned store.
	h.cache = t.TempDir()
	os.RemoveAll(filepath.Join(h.ws, "node_modules"))
	os.Remove(h.env["GITHUB_STATE"])
	before := reg.Requests()
	if _, err := h.run(); err != nil {
		t.Fatalf("run 2: %v\n%s", err, h.out.String())
	}
	if !strings.Contains(h.out.String(), "damaged entries") {
		t.Errorf("no warning about the damaged entry:\n%s", h.out.String())
	}
	if data, err := os.ReadFile(filepath.Join(h.ws, "node_modules/left-pad/index.js")); err != nil || string(data) != "new" {
		t.Errorf("left-pad/index.js = %q, %v; want the registry's content", data, err)
	}
	if got := reg.Requests() - before; got != 1 {
		t.Errorf("%d registry requests after the restore, want 1 (the damaged package again)", got)
	}
}
