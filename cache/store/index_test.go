package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, dir string)
		wantErr string // "" for intact
	}{
		{name: "intact", damage: func(t *testing.T, dir string) {}},
		{name: "content changed, same size", damage: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "lib", "index.js"), []byte("EVIL"), 0o644)
		}, wantErr: `"lib/index.js" differs`},
		{name: "truncated", damage: func(t *testing.T, dir string) {
			os.Truncate(filepath.Join(dir, "lib", "index.js"), 1)
		}, wantErr: `"lib/index.js" differs`},
		{name: "file removed", damage: func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "lib", "index.js"))
		}, wantErr: `"lib/index.js" is missing`},
		{name: "file added", damage: func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "evil.js"), nil, 0o644)
		}, wantErr: `"evil.js" is unexpected`},
		{name: "mode changed", damage: func(t *testing.T, dir string) {
			os.Chmod(filepath.Join(dir, "lib", "index.js"), 0o4755)
		}, wantErr: `"lib/index.js" differs`},
		{name: "symlink swapped in", damage: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "lib", "index.js")
			os.Remove(p)
			os.Symlink("/etc/passwd", p)
		}, wantErr: `"lib/index.js" differs`},
		{name: "index removed", damage: func(t *testing.T, dir string) {
			os.Remove(dir + IndexSuffix)
		}, wantErr: "no index"},
		{name: "index damaged", damage: func(t *testing.T, dir string) {
			os.WriteFile(dir+IndexSuffix, []byte("garbage"), 0o644)
		}, wantErr: "index is damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := open(t)
			dir, err := s.Put(key1, writeFill("abcd"))
			if err != nil {
				t.Fatal(err)
			}
			tt.damage(t, dir)
			err = s.Verify(key1)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "failed to verify store entry") {
				t.Fatalf("Verify = %v, want an error containing %q", err, tt.wantErr)
			}
			if tt.name == "index removed" && !errors.Is(err, ErrNoIndex) {
				t.Errorf("error does not wrap ErrNoIndex: %v", err)
			}
		})
	}
}

func TestVerifyMissingAndRemove(t *testing.T) {
	s, _ := open(t)
	if err := s.Verify(key1); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Verify of a missing entry = %v", err)
	}
	dir, err := s.Put(key1, writeFill("x"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + IndexSuffix); err != nil {
		t.Fatalf("no index after Put: %v", err)
	}
	if err := s.Remove(key1); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir + IndexSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("index left after Remove: %v", err)
	}
}

func TestScan(t *testing.T) {
	s, root := open(t)
	const key2 = "sha512-fedcba9876543210fedcba9876543210"
	const key3 = "sha1-00112233445566778899"
	for _, k := range []string{key1, key2} {
		if _, err := s.Put(k, writeFill(k)); err != nil {
			t.Fatal(err)
		}
	}
	// An orphan index (killed between the two renames), a stray file and
	// a leftover temporary directory.
	os.MkdirAll(filepath.Dir(s.Dir(key3)), 0o755)
	os.WriteFile(s.Dir(key3)+IndexSuffix, []byte(indexHeader), 0o644)
	stray := filepath.Join(root, "store", "v1", "sha512", "01", "NOT-HEX")
	os.WriteFile(stray, nil, 0o644)
	os.Mkdir(filepath.Join(root, "store", "v1", "tmp", key1+".dead"), 0o755)

	entries, temps, strays, err := s.Scan()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Key+map[bool]string{true: "(orphan)", false: ""}[e.OrphanIndex])
	}
	if want := key3 + "(orphan)," + key1 + "," + key2; strings.Join(got, ",") != want {
		t.Errorf("entries = %v, want %s", got, want)
	}
	if len(temps) != 1 || len(strays) != 1 || strays[0] != stray {
		t.Errorf("temps = %v, strays = %v", temps, strays)
	}
	if n := s.CleanTemps(); n != 1 {
		t.Errorf("CleanTemps removed %d, want 1", n)
	}
}
