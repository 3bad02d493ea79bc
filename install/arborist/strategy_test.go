package arborist_test

import (
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install/arborist"
	"github.com/lockstep-dev/lockstep/install/packument"
	"github.com/lockstep-dev/lockstep/install/platform"
)

// fakeRegistry serves packuments built from name -> version -> deps, with
// optional dist-tags and publish times.
type fakeRegistry struct {
	deps  map[string]map[string]map[string]string
	tags  map[string]map[string]string
	times map[string]map[string]string
}

func (r fakeRegistry) fetch(_ context.Context, name string) (*packument.Packument, error) {
	vers, ok := r.deps[name]
	if !ok {
		return nil, fmt.Errorf("no package %q", name)
	}
	versions := map[string]any{}
	latest := ""
	for v, deps := range vers {
		versions[v] = map[string]any{"name": name, "version": v, "dependencies": deps,
			"dist": map[string]any{"tarball": "https://registry.npmjs.org/" + name + "/-/" + name + "-" + v + ".tgz",
				"integrity": integrity(name + "@" + v)}}
		if v > latest {
			latest = v
		}
	}
	tags := map[string]string{"latest": latest}
	for k, v := range r.tags[name] {
		tags[k] = v
	}
	doc := map[string]any{"name": name, "dist-tags": tags, "versions": versions}
	if t := r.times[name]; t != nil {
		doc["time"] = t
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return packument.Decode(data)
}

// integrity is a distinct sha512 SRI per package version (arborist takes
// equal integrities for the same package).
func integrity(id string) string {
	sum := sha512.Sum512([]byte(id))
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// build resolves rootDeps against reg and returns the lockfile's package
// locations with their versions ("node_modules/a@1.0.0").
func build(t *testing.T, reg fakeRegistry, rootDeps map[string]string, o arborist.Options) ([]string, error) {
	t.Helper()
	dir := t.TempDir()
	pj, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": rootDeps})
	if err := os.WriteFile(filepath.Join(dir, "package.json"), pj, 0o644); err != nil {
		t.Fatal(err)
	}
	o.Dir, o.Fetch, o.NodeVersion, o.Platform = dir, reg.fetch, "20.20.2", platform.Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	tree, err := arborist.Build(context.Background(), o)
	if err != nil {
		return nil, err
	}
	var out []string
	for loc, p := range tree.Lockfile(arborist.LockOptions{}).Packages {
		if loc != "" {
			out = append(out, loc+"@"+p.Version)
		}
	}
	sort.Strings(out)
	return out, nil
}

func TestInstallStrategyPlacement(t *testing.T) {
	// app -> a, b, c@1; a -> c@2, d; b -> d; d -> e. Root's c@1 blocks
	// a's c@2 from the top in every strategy.
	reg := fakeRegistry{deps: map[string]map[string]map[string]string{
		"a": {"1.0.0": {"c": "^2.0.0", "d": "^1.0.0"}},
		"b": {"1.0.0": {"d": "^1.0.0"}},
		"c": {"1.0.0": nil, "2.0.0": nil},
		"d": {"1.0.0": {"e": "^1.0.0"}},
		"e": {"1.0.0": nil},
	}}
	root := map[string]string{"a": "^1.0.0", "b": "^1.0.0", "c": "^1.0.0"}
	tests := []struct {
		strategy string
		want     []string
	}{
		{"", []string{"node_modules/a/node_modules/c@2.0.0", "node_modules/a@1.0.0", "node_modules/b@1.0.0",
			"node_modules/c@1.0.0", "node_modules/d@1.0.0", "node_modules/e@1.0.0"}},
		{arborist.StrategyHoisted, []string{"node_modules/a/node_modules/c@2.0.0", "node_modules/a@1.0.0", "node_modules/b@1.0.0",
			"node_modules/c@1.0.0", "node_modules/d@1.0.0", "node_modules/e@1.0.0"}},
		// nested: every dependency under its dependent.
		{arborist.StrategyNested, []string{
			"node_modules/a/node_modules/c@2.0.0", "node_modules/a/node_modules/d/node_modules/e@1.0.0",
			"node_modules/a/node_modules/d@1.0.0", "node_modules/a@1.0.0",
			"node_modules/b/node_modules/d/node_modules/e@1.0.0", "node_modules/b/node_modules/d@1.0.0",
			"node_modules/b@1.0.0", "node_modules/c@1.0.0"}},
		// shallow: only direct dependencies at the top; below each, the
		// rest is hoisted as far as the direct dependency's folder.
		{arborist.StrategyShallow, []string{
			"node_modules/a/node_modules/c@2.0.0", "node_modules/a/node_modules/d@1.0.0",
			"node_modules/a/node_modules/e@1.0.0", "node_modules/a@1.0.0",
			"node_modules/b/node_modules/d@1.0.0", "node_modules/b/node_modules/e@1.0.0",
			"node_modules/b@1.0.0", "node_modules/c@1.0.0"}},
	}
	for _, tc := range tests {
		t.Run("strategy="+tc.strategy, func(t *testing.T) {
			got, err := build(t, reg, root, arborist.Options{InstallStrategy: tc.strategy})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestNestedSharesAncestors: even nested does not duplicate a package that
// an ancestor already provides at a version the edge accepts.
func TestNestedSharesAncestors(t *testing.T) {
	reg := fakeRegistry{deps: map[string]map[string]map[string]string{
		"a": {"1.0.0": {"b": "^1.0.0"}},
		"b": {"1.0.0": {"c": "^1.0.0"}},
		"c": {"1.0.0": nil, "1.1.0": nil},
	}}
	for _, strategy := range []string{arborist.StrategyNested, arborist.StrategyShallow} {
		t.Run(strategy, func(t *testing.T) {
			got, err := build(t, reg, map[string]string{"a": "1", "c": "1.0.0"}, arborist.Options{InstallStrategy: strategy})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"node_modules/a/node_modules/b@1.0.0", "node_modules/a@1.0.0", "node_modules/c@1.0.0"}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("tree:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

func TestInstallStrategyRefused(t *testing.T) {
	reg := fakeRegistry{deps: map[string]map[string]map[string]string{"a": {"1.0.0": nil}}}
	for _, s := range []string{"linked", "flat", "Nested"} {
		_, err := build(t, reg, map[string]string{"a": "1"}, arborist.Options{InstallStrategy: s})
		if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("install-strategy=%q is not supported", s)) {
			t.Errorf("strategy %q: err = %v", s, err)
		}
	}
}

// TestDefaultTagAndBefore: npm's tag picks the tagged version when the
// range accepts it; before ignores versions published after the date.
func TestDefaultTagAndBefore(t *testing.T) {
	reg := fakeRegistry{
		deps: map[string]map[string]map[string]string{"x": {"1.0.0": nil, "1.1.0": nil, "1.2.0": nil}},
		tags: map[string]map[string]string{"x": {"next": "1.1.0"}},
		times: map[string]map[string]string{"x": {"1.0.0": "2020-01-01T00:00:00.000Z",
			"1.1.0": "2021-01-01T00:00:00.000Z", "1.2.0": "2022-01-01T00:00:00.000Z"}},
	}
	tests := []struct {
		name, spec string
		o          arborist.Options
		want       string
	}{
		{"latest", "^1.0.0", arborist.Options{}, "1.2.0"},
		{"tag next", "^1.0.0", arborist.Options{DefaultTag: "next"}, "1.1.0"},
		{"tag next star", "*", arborist.Options{DefaultTag: "next"}, "1.1.0"},
		{"tag outside range", "~1.2.0", arborist.Options{DefaultTag: "next"}, "1.2.0"},
		{"unknown tag", "^1.0.0", arborist.Options{DefaultTag: "nope"}, "1.2.0"},
		{"before", "^1.0.0", arborist.Options{Before: time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)}, "1.1.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := build(t, reg, map[string]string{"x": tc.spec}, tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"node_modules/x@" + tc.want}; strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
