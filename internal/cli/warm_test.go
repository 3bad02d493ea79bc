package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

func TestWarm(t *testing.T) {
	reg := testserver.NewRegistry(t,
		testserver.Package{Name: "a", Version: "1.0.0", Dependencies: map[string]string{"b": "^2.0.0"}},
		testserver.Package{Name: "b", Version: "2.1.0"},
	)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"p","dependencies":{"a":"^1.0.0"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	env := map[string]string{"HOME": t.TempDir()}
	run := func(extra ...string) (int, string, string) {
		var out, errb bytes.Buffer
		args := append([]string{"warm", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--node-version", "20.20.2"}, extra...)
		code := Main(args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
		return code, out.String(), errb.String()
	}
	code, out, errs := run()
	if code != ExitOK || !strings.Contains(out, "warmed 2 packuments") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
	before := reg.Requests()
	code, out, errs = run("--offline")
	if code != ExitOK || reg.Requests() != before || !strings.Contains(out, "2 from cache, 0 requests") {
		t.Fatalf("offline: exit %d, out %q, err %q, requests %d", code, out, errs, reg.Requests()-before)
	}
	// A dependency the cache lacks fails offline with the package named.
	os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"p","dependencies":{"a":"^1.0.0","c":"^1"}}`), 0o644)
	code, _, errs = run("--offline")
	if code != ExitFailure || !strings.Contains(errs, `"c@^1"`) {
		t.Fatalf("offline miss: exit %d, err %q", code, errs)
	}
	if code, _, errs = run("--offline", "--prefer-offline"); code != ExitUsage {
		t.Fatalf("both modes: exit %d, err %q", code, errs)
	}
}
