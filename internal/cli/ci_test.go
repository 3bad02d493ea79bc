package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestCIEndToEnd runs the whole program against the fake registry: exit
// codes, the report file, and that no token reaches any output.
func TestCIEndToEnd(t *testing.T) {
	const token = "npm_SECRETTOKEN1234567890"
	reg := testserver.NewRegistry(t, testserver.Package{Name: "left-pad", Version: "1.3.0", Files: map[string]string{"index.js": "x"}})
	reg.RequireToken(token)
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
	host := strings.TrimPrefix(strings.TrimSuffix(reg.URL(), "/"), "http:")
	write(".npmrc", host+"/:_authToken=${MY_TOKEN}\n")
	env := map[string]string{"HOME": t.TempDir(), "MY_TOKEN": token}
	getenv := func(k string) string { return env[k] }
	report := filepath.Join(t.TempDir(), "report.json")
	cache := t.TempDir()

	var out, errb bytes.Buffer
	code := Main([]string{"ci", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL(), "--ignore-scripts", "--report", report},
		Stdio{Out: &out, Err: &errb}, getenv)
	if code != ExitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules/left-pad/index.js")); err != nil {
		t.Error(err)
	}
	var rep struct {
		Command  string `json:"command"`
		Version  string `json:"version"`
		WallMS   *int64 `json:"wall_ms"`
		MaxRSSKB int64  `json:"max_rss_kb"`
		Packages struct {
			Total, Installed, FromCache, Downloaded int
		} `json:"packages"`
		Phases []struct {
			Name        string `json:"name"`
			Requests    int64  `json:"requests"`
			CacheMisses int64  `json:"cache_misses"`
		} `json:"phases"`
	}
	data, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Command != "ci" || rep.Version != Version || rep.WallMS == nil || rep.MaxRSSKB <= 0 || rep.Packages.Total != 1 {
		t.Errorf("report = %s", data)
	}
	names := []string{}
	for _, p := range rep.Phases {
		names = append(names, p.Name)
		if p.Name == "fetch" && (p.Requests != 1 || p.CacheMisses != 1) {
			t.Errorf("fetch phase = %+v", p)
		}
	}
	if strings.Join(names, ",") != "resolve,fetch,link" {
		t.Errorf("phases = %v, want resolve,fetch,link", names)
	}

	// Out of sync: exit 2, and the message names the fix.
	write("package.json", `{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^2.0.0"}}`)
	out.Reset()
	errb.Reset()
	code = Main([]string{"ci", "--dir", dir, "--cache-dir", cache, "--registry", reg.URL()}, Stdio{Out: &out, Err: &errb}, getenv)
	if code != ExitUsage || !strings.Contains(errb.String(), "out of sync") || !strings.Contains(errb.String(), "npm install") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}

	// A wrong token: exit 1, and the token is never printed.
	write("package.json", `{"name":"p","version":"1.0.0","dependencies":{"left-pad":"^1.3.0"}}`)
	env["MY_TOKEN"] = token + "-wrong"
	out.Reset()
	errb.Reset()
	code = Main([]string{"ci", "--dir", dir, "--cache-dir", t.TempDir(), "--registry", reg.URL()}, Stdio{Out: &out, Err: &errb}, getenv)
	if code != ExitFailure || !strings.Contains(errb.String(), "401") {
		t.Errorf("exit %d, stderr %q", code, errb.String())
	}
	for _, s := range []string{out.String(), errb.String(), string(data)} {
		if strings.Contains(s, "SECRETTOKEN") {
			t.Errorf("token leaked: %q", s)
		}
	}
}
