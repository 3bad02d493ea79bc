//go:build unix

package action

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestChownToWorkspace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root, as in the action's container")
	}
	for _, tc := range []struct {
		name    string
		owner   int
		wantUID uint32
	}{
		{"runner-owned workspace", 1001, 1001},
		{"root-owned workspace", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := t.TempDir()
			dir := filepath.Join(ws, "web")
			files := []string{filepath.Join(dir, "node_modules/a/index.js"), filepath.Join(dir, "node_modules/.package-lock.json")}
			for _, f := range files {
				if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			link := filepath.Join(dir, "node_modules/.bin/a")
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../a/index.js", link); err != nil {
				t.Fatal(err)
			}
			report := filepath.Join(t.TempDir(), "report.json")
			if err := os.WriteFile(report, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(ws, tc.owner, tc.owner); err != nil {
				t.Fatal(err)
			}
			if err := chownToWorkspace(ws, dir, report); err != nil {
				t.Fatal(err)
			}
			for _, p := range append(files, link, filepath.Join(dir, "node_modules"), report) {
				fi, err := os.Lstat(p)
				if err != nil {
					t.Fatal(err)
				}
				if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != tc.wantUID {
					t.Errorf("%s owned by %d, want %d", p, uid, tc.wantUID)
				}
			}
		})
	}
}
