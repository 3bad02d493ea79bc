package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestCacheVerify fills a cache with a real `ci`, then checks that
// `cache verify` passes it, finds a tampered file (exit 1), removes it with
// --fix (exit 0), and that the next ci restores the original content.
func TestCacheVerify(t *testing.T) {
	reg := testserver.NewRegistry(t, testserver.Package{Name: "left-pad", Version: "1.3.0", Files: map[string]string{"index.js": "good"}})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(fmt.Sprintf(`{"name":"p","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
  "":{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}},
  "node_modules/left-pad":{"version":"1.3.0","resolved":%q,"integrity":%q}}}`,
		reg.TarballURL("left-pad", "1.3.0"), reg.Integrity("left-pad", "1.3.0"))), 0o644)
	cache := t.TempDir()
	env := map[string]string{"HOME": t.TempDir()}
	main := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	ci := func() {
		t.Helper()
		if code, _, errs := main("ci", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--ignore-scripts"); code != ExitOK {
			t.Fatalf("ci: exit %d: %s", code, errs)
		}
	}
	ci()
	tests := []struct {
		name     string
		args     []string
		before   func()
		wantCode int
		wantOut  string
	}{
		{name: "healthy", args: []string{"cache", "verify", "--cache-dir", cache}, wantCode: ExitOK, wantOut: "checked 1 store entries and 0 manifests"},
		{name: "tampered", args: []string{"cache", "verify", "--cache-dir", cache}, before: func() {
			files, _ := filepath.Glob(filepath.Join(cache, "store", "v1", "sha512", "*", "*", "index.js"))
			if len(files) != 1 {
				t.Fatalf("store files: %v", files)
			}
			// Break the hardlink first, as a restored cache would not share
			// inodes with node_modules.
			os.Remove(files[0])
			os.WriteFile(files[0], []byte("evil"), 0o644)
		}, wantCode: ExitFailure, wantOut: `"index.js" differs`},
		{name: "fix", args: []string{"cache", "verify", "--cache-dir", cache, "--fix"}, wantCode: ExitOK, wantOut: "(removed)"},
		{name: "clean after fix", args: []string{"cache", "verify", "--cache-dir", cache}, wantCode: ExitOK, wantOut: "0 bad"},
		{name: "no subcommand", args: []string{"cache"}, wantCode: ExitUsage},
		{name: "unknown subcommand", args: []string{"cache", "frob"}, wantCode: ExitUsage},
		{name: "help", args: []string{"help", "cache"}, wantCode: ExitOK, wantOut: "verify"},
		{name: "bad flag", args: []string{"cache", "verify", "--frob"}, wantCode: ExitUsage},
	}
	for _, tt := range tests {
		if tt.before != nil {
			tt.before()
		}
		code, out, errs := main(tt.args...)
		if code != tt.wantCode || !strings.Contains(out, tt.wantOut) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit %d and %q", tt.name, code, out, errs, tt.wantCode, tt.wantOut)
		}
	}
	ci()
	if b, _ := os.ReadFile(filepath.Join(dir, "node_modules", "left-pad", "index.js")); string(b) != "good" {
		t.Errorf("after fix and ci, index.js = %q, want the registry's", b)
	}
}
