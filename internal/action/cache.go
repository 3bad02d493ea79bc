package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/lockstep-dev/lockstep/cache/actionscache"
	"github.com/lockstep-dev/lockstep/cache/verify"
	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/install/preload"
)

// stateName is the GITHUB_STATE entry through which the main step tells
// the post step what to save (the post step runs in a new container).
const stateName = "lockstep-cache"

// cacheState is what the post step needs: the cache directory and, per
// kind, the primary key and whether the restore was an exact hit.
type cacheState struct {
	Dir     string       `json:"dir"`
	Entries []cacheEntry `json:"entries"`
}

type cacheEntry struct {
	Kind  string `json:"kind"` // manifests | store
	Key   string `json:"key"`
	Exact bool   `json:"exact"` // restored from the primary key itself
}

// cacheKinds are the directories the cache input selects.
func cacheKinds(in string) []string {
	switch in {
	case "manifests":
		return []string{"manifests"}
	case "store":
		return []string{"store"}
	case "all":
		return []string{"manifests", "store"}
	}
	return nil
}

// kindDir is where a kind lives under the cache directory.
func kindDir(cacheDir, kind string) string {
	if kind == "manifests" {
		return preload.ManifestDir(cacheDir)
	}
	return filepath.Join(cacheDir, "store")
}

// skipFor leaves out what must not travel: the store's temporary
// directories and lock files.
func skipFor(kind string) func(rel string, d fs.DirEntry) bool {
	return func(rel string, d fs.DirEntry) bool {
		if kind == "store" {
			return rel == "v1/tmp" || rel == "v1/locks"
		}
		return strings.Contains(filepath.Base(rel), ".tmp-")
	}
}

// cacheClient is the Actions cache client, nil when the cache is off (the
// input, pull_request_target, or the runner gave no token or URL: then a
// notice says why, once).
func (r *runner) cacheClient() *actionscache.Client {
	if r.cacheTried {
		return r.cache
	}
	r.cacheTried = true
	if len(cacheKinds(r.in.cache)) == 0 {
		return nil
	}
	cfg := actionscache.ConfigFromEnv(r.o.Getenv)
	if r.o.CacheConfig != nil {
		r.o.CacheConfig(&cfg)
	}
	c, err := actionscache.New(cfg)
	if err != nil {
		r.a.Noticef("lockstep: cache disabled: %v", err)
		return nil
	}
	r.cache = c
	return c
}

// cacheKeys computes the primary key of each selected kind from the
// project's registry and lockfile.
func (r *runner) cacheKeys(dir string) []cacheEntry {
	flags := map[string]string{}
	if r.in.registry != "" {
		flags["registry"] = r.in.registry
	}
	reg := npmrc.DefaultRegistry
	if cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir, Getenv: r.o.Getenv, Flags: flags, Home: r.o.Getenv("HOME")}); err == nil {
		reg = cfg.Registry()
	}
	var lock []byte
	names := lockfileNames
	if r.in.lockfile != "" {
		names = []string{r.in.lockfile}
	}
	for _, n := range names {
		if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n))); err == nil {
			lock = b
			break
		}
	}
	var out []cacheEntry
	for _, k := range cacheKinds(r.in.cache) {
		out = append(out, cacheEntry{Kind: k, Key: actionscache.Key(r.in.cacheKeyPrefix, k, reg, lock)})
	}
	return out
}

// restoreCache restores each selected kind (the primary key, else the
// newest entry under its restore keys) and writes the cache-hit output.
// Failures are warnings.
func (r *runner) restoreCache(ctx context.Context, dir string) []cacheEntry {
	c := r.cacheClient()
	if c == nil {
		return nil
	}
	r.a.Group("lockstep cache restore")
	defer r.a.EndGroup()
	span := r.rec.Start("cache-restore")
	defer span.End()
	entries := r.cacheKeys(dir)
	if !c.CanRestore() {
		fmt.Fprintln(r.o.Stdout, "lockstep: ACTIONS_CACHE_MODE is write-only: not restoring")
		r.setOutput("cache-hit", "false")
		return entries
	}
	// cache-hit: something was restored, and all of it from exact keys (a
	// kind with no entry at all, such as manifests under ci, which reads
	// none, does not count against it)
	hit, restored := true, 0
	for i, e := range entries {
		d := kindDir(r.cacheDir(), e.Kind)
		if ents, err := os.ReadDir(d); err == nil && len(ents) > 0 {
			// a persistent cache directory (self-hosted runner,
			// LOCKSTEP_CACHE_DIR): what is local is at least as good
			fmt.Fprintf(r.o.Stdout, "lockstep: cache %s: %s is not empty, kept as is\n", e.Kind, d)
			continue
		}
		res, err := c.RestoreDir(ctx, d, e.Key, actionscache.RestoreKeys(e.Key))
		switch {
		case err != nil:
			span.Miss()
			r.a.Warningf("lockstep: cache %s not restored: %v", e.Kind, err)
		case res == nil:
			span.Miss()
			fmt.Fprintf(r.o.Stdout, "lockstep: cache %s: no entry for %q\n", e.Kind, e.Key)
		default:
			entries[i].Exact = res.Exact
			restored++
			hit = hit && res.Exact
			span.Hit()
			span.AddRequests(1)
			span.AddBytes(res.Size)
			how := "restored from a restore key"
			if res.Exact {
				how = "exact hit"
			}
			fmt.Fprintf(r.o.Stdout, "lockstep: cache %s: %s %q (%s)\n", e.Kind, how, res.Key, size(res.Size))
		}
	}
	r.res.CacheHit = hit && restored > 0
	r.setOutput("cache-hit", fmt.Sprint(r.res.CacheHit))
	if restored > 0 {
		// A restored cache is input like any other: check every entry
		// against its checksums and drop what does not match, so that it
		// is fetched again and verified against the lockfile's integrity
		// rather than installed.
		rep, err := verifyCache(r.cacheDir(), verify.Options{Fix: true})
		switch {
		case err != nil:
			r.a.Warningf("lockstep: failed to verify the restored cache: %v", err)
		case rep.Bad() > 0:
			r.a.Warningf("lockstep: the restored cache held %d damaged entries; they were removed and will be fetched again", rep.Bad())
			for _, p := range rep.Problems {
				if !p.Leftover {
					fmt.Fprintf(r.o.Stdout, "lockstep: cache: removed %s %q: %s\n", p.Kind, p.Key, p.Reason)
				}
			}
		}
	}
	return entries
}

// verifyCache is verify.Run, a variable so tests can observe it.
var verifyCache = verify.Run

// saveState hands the entries to the post step, unless nothing may or
// needs to be saved.
func (r *runner) saveState(entries []cacheEntry) {
	c := r.cacheClient()
	if c == nil || len(entries) == 0 {
		return
	}
	if !c.CanSave() {
		fmt.Fprintln(r.o.Stdout, "lockstep: ACTIONS_CACHE_MODE is read: the post step will not save")
		return
	}
	if r.o.Getenv("GITHUB_STATE") == "" {
		return
	}
	data, _ := json.Marshal(cacheState{Dir: r.cacheDir(), Entries: entries})
	defer r.recoverFileCommand("GITHUB_STATE")
	r.a.SaveState(stateName, string(data))
}

// saveEntries archives and saves each entry (the post step, and warm).
// Exact hits are skipped: entries are immutable. Failures are warnings.
func saveEntries(ctx context.Context, a *githubactions.Action, o Options, c *actionscache.Client, st cacheState) {
	for _, e := range st.Entries {
		if e.Exact {
			fmt.Fprintf(o.Stdout, "lockstep: cache %s: %q was an exact hit; entries are immutable, nothing to save\n", e.Kind, e.Key)
			continue
		}
		d := kindDir(st.Dir, e.Kind)
		if _, err := os.Stat(d); err != nil {
			fmt.Fprintf(o.Stdout, "lockstep: cache %s: %s does not exist, nothing to save\n", e.Kind, d)
			continue
		}
		n, err := c.SaveDir(ctx, d, e.Key, skipFor(e.Kind))
		switch {
		case errors.Is(err, actionscache.ErrExists):
			fmt.Fprintf(o.Stdout, "lockstep: cache %s: %q already exists (another job may have saved it)\n", e.Kind, e.Key)
		case err != nil:
			a.Warningf("lockstep: cache %s not saved: %v", e.Kind, err)
		default:
			fmt.Fprintf(o.Stdout, "lockstep: cache %s: saved %q (%s)\n", e.Kind, e.Key, size(n))
		}
	}
}

// Post is the post step (`lockstep action --post`, the action's
// post-entrypoint): it saves what the main step restored or filled, as
// the main step recorded in its state. It never fails the job.
func Post(ctx context.Context, o Options) error {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Stdout == nil {
		o.Stdout = discard{}
	}
	a := githubactions.New(githubactions.WithGetenv(o.Getenv), githubactions.WithWriter(o.Stdout))
	if t := o.Getenv("ACTIONS_RUNTIME_TOKEN"); t != "" {
		a.AddMask(t)
	}
	raw := o.Getenv("STATE_" + stateName)
	if raw == "" {
		fmt.Fprintln(o.Stdout, "lockstep: the main step left nothing to save")
		return nil
	}
	var st cacheState
	if err := json.Unmarshal([]byte(raw), &st); err != nil || st.Dir == "" {
		a.Warningf("lockstep: failed to read the main step's state %q: %v", stateName, err)
		return nil
	}
	cfg := actionscache.ConfigFromEnv(o.Getenv)
	if o.CacheConfig != nil {
		o.CacheConfig(&cfg)
	}
	c, err := actionscache.New(cfg)
	if err != nil {
		a.Noticef("lockstep: cache disabled: %v", err)
		return nil
	}
	if !c.CanSave() {
		fmt.Fprintln(o.Stdout, "lockstep: ACTIONS_CACHE_MODE does not allow saving")
		return nil
	}
	a.Group("lockstep cache save")
	defer a.EndGroup()
	saveEntries(ctx, a, o, c, st)
	return nil
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// warm is `command: warm`, for scheduled runs on the default branch:
// restore what exists, fill the manifest cache (and, with cache: all, the
// store through an install), and save under a fresh key
// ("<key>-<run id>-<attempt>") that every branch's restore keys match.
func (r *runner) warm(ctx context.Context, dir string) error {
	entries := r.restoreCache(ctx, dir)
	r.a.Group("lockstep warm")
	flags := map[string]string{}
	if r.in.registry != "" {
		flags["registry"] = r.in.registry
	}
	cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: dir, Getenv: r.o.Getenv, Flags: flags, Home: r.o.Getenv("HOME")})
	if err != nil {
		r.a.EndGroup()
		return &InputError{err.Error()}
	}
	nv := ""
	if out, err := exec.CommandContext(ctx, "node", "-v").Output(); err == nil {
		nv = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	}
	span := r.rec.Start("resolve")
	res, err := warmManifests(ctx, dir, preload.WarmOptions{Config: cfg, CacheDir: r.cacheDir(), Concurrency: r.in.concurrency, NodeVersion: nv})
	span.End()
	if err != nil {
		r.a.EndGroup()
		return fmt.Errorf("failed to warm the manifest cache: %s", cfg.Redact(err.Error()))
	}
	for _, e := range res.SoftErrors {
		fmt.Fprintf(r.o.Stdout, "lockstep: warning: %s\n", cfg.Redact(e.Error()))
	}
	fmt.Fprintf(r.o.Stdout, "lockstep: warmed %d packuments for %d dependencies\n", res.Packuments, res.Roots)
	r.a.EndGroup()
	if r.in.cache == "all" || r.in.cache == "store" {
		if _, err := os.Stat(filepath.Join(dir, "package-lock.json")); err == nil {
			if err := r.install(ctx, dir); err != nil {
				return err
			}
		}
	}
	c := r.cacheClient()
	if c == nil {
		return nil
	}
	if !c.CanSave() {
		fmt.Fprintln(r.o.Stdout, "lockstep: ACTIONS_CACHE_MODE is read: not saving the warmed cache")
		return nil
	}
	run := r.o.Getenv("GITHUB_RUN_ID")
	if run == "" {
		run = "local"
	}
	if att := r.o.Getenv("GITHUB_RUN_ATTEMPT"); att != "" {
		run += "-" + att
	}
	st := cacheState{Dir: r.cacheDir()}
	for _, e := range entries {
		st.Entries = append(st.Entries, cacheEntry{Kind: e.Kind, Key: e.Key + "-" + run})
	}
	r.a.Group("lockstep cache save")
	defer r.a.EndGroup()
	span = r.rec.Start("cache-save")
	saveEntries(ctx, r.a, r.o, c, st)
	span.End()
	return nil
}

// warmManifests is preload.Warm; a variable for tests.
var warmManifests = preload.Warm
