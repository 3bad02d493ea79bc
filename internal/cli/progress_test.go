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

// TestProgressFlag runs ci and warm with each --progress setting; stderr is
// a buffer (not a terminal), so progress shows as plain lines or not at all.
func TestProgressFlag(t *testing.T) {
	reg := testserver.NewRegistry(t,
		testserver.Package{Name: "left-pad", Version: "1.3.0", Files: map[string]string{"index.js": "x"}},
		testserver.Package{Name: "a", Version: "1.0.0", Dependencies: map[string]string{"left-pad": "^1.3.0"}})
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package.json", `{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}}`)
	write("package-lock.json", fmt.Sprintf(`{"name":"p","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
  "":{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}},
  "node_modules/left-pad":{"version":"1.3.0","resolved":%q,"integrity":%q}}}`,
		reg.TarballURL("left-pad", "1.3.0"), reg.Integrity("left-pad", "1.3.0")))

	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		want     string // in stderr
		wantNone string // not in stderr
	}{
		{"ci always", []string{"ci", "--progress", "always"}, nil, ExitOK, "lockstep ci: resolved 1 · fetched 1/1 · linked 1 · ", ""},
		{"ci auto in CI", []string{"ci"}, map[string]string{"CI": "true"}, ExitOK, ") done\n", ""},
		{"ci auto, no CI, no terminal", []string{"ci"}, nil, ExitOK, "", "lockstep ci:"},
		{"ci never in CI", []string{"ci", "--progress=never"}, map[string]string{"CI": "true"}, ExitOK, "", "lockstep ci:"},
		{"ci bad value", []string{"ci", "--progress", "loud"}, nil, ExitUsage, `invalid value "loud" for --progress`, ""},
		{"warm always", []string{"warm", "--progress", "always", "--node-version", "20.20.2"}, nil, ExitOK, "lockstep warm: resolved 1 · ", "fetched"},
		{"warm bad value", []string{"warm", "--progress", "x", "--node-version", "20.20.2"}, nil, ExitUsage, `invalid value "x" for --progress`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"HOME": t.TempDir()}
			for k, v := range tc.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			args := append(tc.args, "--dir", dir, "--cache-dir", t.TempDir(), "--registry", reg.URL())
			if tc.args[0] == "ci" {
				args = append(args, "--ignore-scripts")
			}
			code := Main(args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
			errs := errb.String()
			if code != tc.code || !strings.Contains(errs, tc.want) || (tc.wantNone != "" && strings.Contains(errs, tc.wantNone)) {
				t.Errorf("exit %d (want %d), stderr %q, want %q and not %q", code, tc.code, errs, tc.want, tc.wantNone)
			}
			if strings.Contains(errs, "\r") || strings.Contains(errs, "\x1b") {
				t.Errorf("terminal control codes in a non-terminal stream: %q", errs)
			}
		})
	}
}
