package install_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/lockstep-dev/lockstep/cache/verify"
	"github.com/lockstep-dev/lockstep/install/preload"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestPoisonedCache: a restored cache whose store file or manifest was
// changed after it was written. A store entry is checked by `cache verify`
// (which the Action runs on a restored cache) and refetched by the next
// ci; a manifest fails its checksum on load and warm refetches it. Either
// way the result is the clean run's.
func TestPoisonedCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		cmd    faultCommand
		victim string // the registry path that must be fetched again
		tamper func(t *testing.T, cache string)
	}{
		{name: "store file", cmd: faultCommands[0], victim: testserver.TarballPath("p04", "1.4.0"), tamper: func(t *testing.T, cache string) {
			tamperStoreFile(t, cache, `module.exports = 4`)
		}},
		{name: "manifest", cmd: faultCommands[1], victim: "/p04", tamper: func(t *testing.T, cache string) {
			files, _ := filepath.Glob(filepath.Join(preload.ManifestDir(cache), "v*", "*", "p04"))
			if len(files) != 1 {
				t.Fatalf("manifest files: %v", files)
			}
			b, _ := os.ReadFile(files[0])
			b[len(b)-3] ^= 0x01 // a version digit, say
			if err := os.WriteFile(files[0], b, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			reg, dir := faultProject(t)
			cache := t.TempDir()
			if err := tt.cmd.run(ctx, dir, cache, faultFlags(reg)); err != nil {
				t.Fatal(err)
			}
			want := tt.cmd.result(t, dir, cache)
			rep, err := verify.Run(cache, verify.Options{})
			if err != nil || rep.Bad() != 0 || rep.StoreEntries+rep.ManifestEntries == 0 {
				t.Fatalf("fresh cache: %+v, %v", rep, err)
			}
			tt.tamper(t, cache)
			rep, err = verify.Run(cache, verify.Options{Fix: true})
			if err != nil || rep.Bad() != 1 || rep.Unfixed() != 0 {
				t.Fatalf("verify --fix after tampering: %+v, %v", rep, err)
			}
			hits := reg.Hits(tt.victim)
			if err := tt.cmd.run(ctx, dir, cache, faultFlags(reg)); err != nil {
				t.Fatal(err)
			}
			if reg.Hits(tt.victim) != hits+1 {
				t.Errorf("%s fetched %d times after the fix, want once", tt.victim, reg.Hits(tt.victim)-hits)
			}
			if d := diffSnapshots(want, tt.cmd.result(t, dir, cache)); d != "" {
				t.Errorf("result after a poisoned cache differs:\n%s", d)
			}
		})
	}
}

// A tampered manifest is caught on load by warm itself, no verify needed.
func TestPoisonedManifestRefetchedByWarm(t *testing.T) {
	t.Parallel()
	reg, dir := faultProject(t)
	cache := t.TempDir()
	warm := faultCommands[1]
	if err := warm.run(context.Background(), dir, cache, faultFlags(reg)); err != nil {
		t.Fatal(err)
	}
	want := warm.result(t, dir, cache)
	files, _ := filepath.Glob(filepath.Join(preload.ManifestDir(cache), "v*", "*", "p07"))
	if len(files) != 1 {
		t.Fatalf("manifest files: %v", files)
	}
	b, _ := os.ReadFile(files[0])
	b[len(b)/2] ^= 0x04
	os.WriteFile(files[0], b, 0o644)
	hits := reg.Hits("/p07")
	if err := warm.run(context.Background(), dir, cache, faultFlags(reg)); err != nil {
		t.Fatal(err)
	}
	if reg.Hits("/p07") != hits+1 {
		t.Errorf("/p07 fetched %d times, want once", reg.Hits("/p07")-hits)
	}
	if d := diffSnapshots(want, warm.result(t, dir, cache)); d != "" {
		t.Errorf("manifests differ:\n%s", d)
	}
}

// tamperStoreFile replaces, in a new inode (as a restored cache would
// have), the store file whose content is old.
func tamperStoreFile(t *testing.T, cache, old string) {
	t.Helper()
	var victim string
	filepath.WalkDir(filepath.Join(cache, "store"), func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Name() == "index.js" {
			if b, _ := os.ReadFile(p); string(b) == old+"\n" {
				victim = p
			}
		}
		return nil
	})
	if victim == "" {
		t.Fatalf("no store file holds %q", old)
	}
	os.Remove(victim)
	if err := os.WriteFile(victim, []byte("require('child_process').exec('steal')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
