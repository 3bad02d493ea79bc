package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		list  []string
		value string
		want  bool
	}{
		{nil, "linux", true},
		{[]string{"linux"}, "linux", true},
		{[]string{"darwin", "win32"}, "linux", false},
		{[]string{"!win32"}, "linux", true},
		{[]string{"!linux"}, "linux", false},
		{[]string{"linux", "!linux"}, "linux", false},
		{[]string{"any"}, "x64", true},
		{[]string{"musl"}, "glibc", false},
	}
	for _, tc := range tests {
		if got := allowed(tc.list, tc.value); got != tc.want {
			t.Errorf("allowed(%q, %q) = %v, want %v", tc.list, tc.value, got, tc.want)
		}
	}
}

func TestTarballURLs(t *testing.T) {
	lock := `{"lockfileVersion": 3, "packages": {
	  "": {"name": "root", "version": "1.0.0"},
	  "node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz"},
	  "node_modules/b/node_modules/a": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz"},
	  "node_modules/@s/nores": {"version": "2.0.0"},
	  "node_modules/alias": {"name": "@real/pkg", "version": "3.1.0"},
	  "node_modules/linked": {"resolved": "packages/linked", "link": true},
	  "node_modules/b": {"version": "1.0.0", "resolved": "https://registry.npmjs.org/b/-/b-1.0.0.tgz"},
	  "node_modules/b/node_modules/bundled": {"version": "1.0.0", "inBundle": true},
	  "node_modules/@x/bin-darwin": {"version": "1.0.0", "os": ["darwin"], "cpu": ["arm64"], "optional": true},
	  "node_modules/@x/bin-linux-x64-gnu": {"version": "1.0.0", "os": ["linux"], "cpu": ["x64"], "libc": ["glibc"], "optional": true},
	  "node_modules/@x/bin-linux-x64-musl": {"version": "1.0.0", "os": ["linux"], "cpu": ["x64"], "libc": ["musl"], "optional": true},
	  "node_modules/@x/bin-linux-arm64": {"version": "1.0.0", "os": ["linux"], "cpu": ["arm64"], "optional": true},
	  "node_modules/notwin": {"version": "1.0.0", "os": ["!win32"], "resolved": "https://other.example/notwin-1.0.0.tgz"}
	}}`
	got, err := tarballURLs([]byte(lock), "http://127.0.0.1:4873", linuxX64)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"http://127.0.0.1:4873/@real/pkg/-/pkg-3.1.0.tgz",
		"http://127.0.0.1:4873/@s/nores/-/nores-2.0.0.tgz",
		"http://127.0.0.1:4873/@x/bin-linux-x64-gnu/-/bin-linux-x64-gnu-1.0.0.tgz",
		"http://127.0.0.1:4873/a/-/a-1.0.0.tgz",
		"http://127.0.0.1:4873/b/-/b-1.0.0.tgz",
		"https://other.example/notwin-1.0.0.tgz",
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("tarballURLs =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, bad := range []string{`{`, `{"lockfileVersion": 1, "dependencies": {}}`} {
		if _, err := tarballURLs([]byte(bad), "https://registry.npmjs.org/", linuxX64); err == nil {
			t.Errorf("tarballURLs(%q) gave no error", bad)
		}
	}
}

func TestTarballURLsOnFixture(t *testing.T) {
	data, err := os.ReadFile("/work/shared/fixtures/small/package-lock.json")
	if err != nil {
		t.Skip("fixture not present:", err)
	}
	urls, err := tarballURLs(data, "https://registry.npmjs.org/", linuxX64)
	if err != nil {
		t.Fatal(err)
	}
	// anchors.md: 164 tarballs for small (linux-x64 filtered, unique).
	if len(urls) != 164 {
		t.Errorf("%d tarball URLs for small, anchors.md counted 164", len(urls))
	}
}

func TestWriteCurlConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c")
	if err := writeCurlConfig(p, []string{"https://r/a.tgz", "https://r/@s/b.tgz"}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	want := "url = \"https://r/a.tgz\"\noutput = \"/dev/null\"\nurl = \"https://r/@s/b.tgz\"\noutput = \"/dev/null\"\n"
	if string(data) != want {
		t.Errorf("config = %q, want %q", data, want)
	}
}

func TestPackumentURLs(t *testing.T) {
	lock := `{"lockfileVersion": 3, "packages": {
	  "": {"name": "root", "version": "1.0.0"},
	  "node_modules/a": {"version": "1.0.0"},
	  "node_modules/b/node_modules/a": {"version": "2.0.0"},
	  "node_modules/b": {"version": "1.0.0"},
	  "node_modules/@s/x": {"version": "2.0.0"},
	  "node_modules/alias": {"name": "@real/pkg", "version": "3.1.0"},
	  "node_modules/linked": {"resolved": "packages/linked", "link": true},
	  "node_modules/b/node_modules/bundled": {"version": "1.0.0", "inBundle": true},
	  "node_modules/@x/bin-darwin": {"version": "1.0.0", "os": ["darwin"], "optional": true},
	  "node_modules/local": {"version": "1.0.0", "resolved": "file:../local"},
	  "node_modules/gitdep": {"version": "1.0.0", "resolved": "git+ssh://git@github.com/u/r.git#abc"},
	  "packages/linked": {"name": "linked", "version": "0.1.0"}
	}}`
	got, err := packumentURLs([]byte(lock), "http://127.0.0.1:4873/")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"http://127.0.0.1:4873/@real%2fpkg",
		"http://127.0.0.1:4873/@s%2fx",
		"http://127.0.0.1:4873/@x%2fbin-darwin",
		"http://127.0.0.1:4873/a",
		"http://127.0.0.1:4873/b",
	}
	if !slices.Equal(got, want) {
		t.Errorf("packumentURLs =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := packumentURLs([]byte(`{"lockfileVersion": 1}`), "http://r/"); err == nil {
		t.Error("a lockfile without packages gave no error")
	}
}

func TestWriteCurlConfigHeaders(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c")
	if err := writeCurlConfig(p, []string{"https://r/a"}, "Accept: application/json"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	want := "header = \"Accept: application/json\"\nurl = \"https://r/a\"\noutput = \"/dev/null\"\n"
	if string(data) != want {
		t.Errorf("config = %q, want %q", data, want)
	}
}

func TestCountPackages(t *testing.T) {
	root := t.TempDir()
	nm := filepath.Join(root, "node_modules")
	pkg := func(p string) {
		t.Helper()
		d := filepath.Join(nm, filepath.FromSlash(p))
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(d, "package.json"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	pkg("a")
	pkg("a/node_modules/b")
	pkg("@s/c")
	pkg("@s/c/node_modules/@t/d")
	pkg(".pnpm/e@1.0.0/node_modules/e")
	pkg(".pnpm/e@1.0.0/node_modules/@s/f")
	_ = os.MkdirAll(filepath.Join(nm, ".bin"), 0o755)
	_ = os.MkdirAll(filepath.Join(nm, "nopkgjson"), 0o755)
	if err := os.Symlink(filepath.Join(nm, "a"), filepath.Join(nm, "link")); err != nil {
		t.Fatal(err)
	}
	if got := countPackages(nm); got != 6 {
		t.Errorf("countPackages = %d, want 6", got)
	}
	if got := countPackages(filepath.Join(root, "missing")); got != 0 {
		t.Errorf("countPackages(missing) = %d", got)
	}
}

func TestCommandFor(t *testing.T) {
	const dir, cache, reg = "/w/proj", "/w/cache", "https://r/"
	npmO := " --ignore-scripts --no-audit --no-fund --no-update-notifier --omit-lockfile-registry-resolved=false --registry=https://r/ --cache=/w/cache"
	pnpmO := " --ignore-scripts --store-dir=/w/cache/store --cache-dir=/w/cache/cache --config.update-notifier=false --registry=https://r/"
	tests := []struct {
		tool, phase string
		npmInstall  bool
		want        string
		env         string
	}{
		{ToolLockstep, PhaseCold, false, "ci --dir /w/proj --cache-dir /w/cache --ignore-scripts --registry https://r/", ""},
		{ToolLockstep, PhaseWarm, false, "ci --dir /w/proj --cache-dir /w/cache --ignore-scripts --registry https://r/", ""},
		{ToolLockstep, PhaseResolve, false, "resolve --dir /w/proj --cache-dir /w/cache --ignore-scripts --registry https://r/", ""},
		{ToolLockstep, PhaseFullCold, false, "install --dir /w/proj --cache-dir /w/cache --ignore-scripts --registry https://r/", ""},
		{ToolNPM, PhaseCold, false, "ci" + npmO, ""},
		{ToolNPM, PhaseWarm, true, "install" + npmO, ""},
		{ToolNPM, PhaseResolve, false, "install --package-lock-only" + npmO, ""},
		{ToolNPM, PhaseFullCold, false, "install" + npmO, ""},
		{ToolPNPM, PhaseCold, false, "install --frozen-lockfile" + pnpmO, ""},
		{ToolPNPM, PhaseResolve, false, "install --lockfile-only" + pnpmO, ""},
		{ToolPNPM, PhaseFullCold, false, "install" + pnpmO, ""},
		{ToolBun, PhaseWarm, false, "install --frozen-lockfile --ignore-scripts --registry=https://r/", "BUN_INSTALL_CACHE_DIR=/w/cache"},
		{ToolBun, PhaseResolve, false, "install --lockfile-only --ignore-scripts --registry=https://r/", "BUN_INSTALL_CACHE_DIR=/w/cache"},
	}
	for _, tc := range tests {
		c, err := commandFor(tc.tool, tc.phase, []string{"BIN"}, dir, cache, reg, tc.npmInstall)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(c.Argv, " "); got != "BIN "+tc.want {
			t.Errorf("%s %s argv\n got %q\nwant %q", tc.tool, tc.phase, got, "BIN "+tc.want)
		}
		if got := strings.Join(c.Env, " "); got != tc.env {
			t.Errorf("%s %s env = %q, want %q", tc.tool, tc.phase, got, tc.env)
		}
		if strings.Contains(c.Display, "/w/") || strings.Contains(c.Display, "https://r/") || !strings.HasPrefix(strings.TrimPrefix(c.Display, strings.ReplaceAll(tc.env, cache, "$CACHE")+" "), tc.tool+" ") {
			t.Errorf("%s %s display %q", tc.tool, tc.phase, c.Display)
		}
	}
	if _, err := commandFor("yarn", PhaseCold, []string{"x"}, dir, cache, reg, false); err == nil {
		t.Error("commandFor accepted yarn")
	}
	if _, err := commandFor(ToolNPM, "p2", []string{"x"}, dir, cache, reg, false); err == nil {
		t.Error("commandFor accepted phase p2")
	}
}
