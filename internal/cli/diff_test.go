package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const npmFixtures = "../../diff/lockfile/npm/testdata/"

func runDiffT(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runDiff(context.Background(), args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestDiffCommand(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		code     int
		stdout   []string // substrings
		stderr   string
		jsonKind map[string]string
	}{
		{name: "json", args: []string{"--base", npmFixtures + "basic-base.v3.json", "--head", npmFixtures + "basic-head.v3.json", "--format", "json"},
			jsonKind: map[string]string{"lodash": "upgraded", "chalk": "downgraded", "is-odd": "removed", "left-pad": "added", "ms": "changed"}},
		{name: "markdown", args: []string{"--base", npmFixtures + "basic-base.v2.json", "--head", npmFixtures + "basic-head.v3.json"},
			stdout: []string{"### lockstep diff", "| lodash | upgraded | 4.17.20 | 4.17.21 | prod |", "<details>"}},
		{name: "v1 to v3", args: []string{"--base", npmFixtures + "basic-base.v1.json", "--head", npmFixtures + "basic-head.v3.json", "--format", "json"},
			jsonKind: map[string]string{"lodash": "upgraded", "chalk": "downgraded"}},
		{name: "no change", args: []string{"--base", npmFixtures + "basic-head.v2.json", "--head", npmFixtures + "basic-head.v3.json"},
			stdout: []string{"No dependency changes."}},
		{name: "missing flags", args: []string{"--head", "x"}, code: ExitUsage, stderr: "--base and --head are required"},
		{name: "bad format", args: []string{"--base", "a", "--head", "b", "--format", "xml"}, code: ExitUsage, stderr: `invalid value "xml" for --format`},
		{name: "missing head", args: []string{"--base", npmFixtures + "basic-base.v3.json", "--head", "nope/package-lock.json"}, code: ExitUsage,
			stderr: `failed to read "nope/package-lock.json": no such file or directory`},
		{name: "bad ref", args: []string{"--base", "no-such-ref-xyz", "--head", npmFixtures + "basic-head.v3.json"}, code: ExitUsage,
			stderr: `failed to read "no-such-ref-xyz": no such file, and not a git ref`},
		{name: "help", args: []string{"-h"}, code: ExitOK, stderr: "--base"},
		{name: "unknown flag", args: []string{"--nope"}, code: ExitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runDiffT(t, nil, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, errs)
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out, s) {
					t.Errorf("stdout lacks %q:\n%s", s, out)
				}
			}
			if tc.stderr != "" && !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr = %q, want %q", errs, tc.stderr)
			}
			if tc.jsonKind != nil {
				var doc struct {
					Format  string
					Changes []struct{ Name, Kind string }
				}
				if err := json.Unmarshal([]byte(out), &doc); err != nil {
					t.Fatalf("%v\n%s", err, out)
				}
				got := map[string]string{}
				for _, c := range doc.Changes {
					got[c.Name] = c.Kind
				}
				for n, k := range tc.jsonKind {
					if got[n] != k {
						t.Errorf("%s: kind %q, want %q", n, got[n], k)
					}
				}
			}
		})
	}
}

func TestDiffBadLockfile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "package-lock.json")
	if err := os.WriteFile(bad, []byte("{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/a\": {\"version\": }\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := runDiffT(t, nil, "--base", bad, "--head", npmFixtures+"basic-head.v3.json")
	want := `lockstep diff: failed to read "` + bad + `": 4:35: invalid character '}'`
	if code != ExitUsage || !strings.HasPrefix(errs, want) {
		t.Errorf("exit %d, stderr %q; want 2 and %q", code, errs, want)
	}
}

// With a git ref, the base is the head's path at that ref.
func TestDiffGitRef(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@e", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	copyFile := func(src string) {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "app", "package-lock.json"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git("init", "-q")
	copyFile(npmFixtures + "basic-base.v3.json")
	git("add", ".")
	git("commit", "-q", "-m", "base")
	git("tag", "v1")
	copyFile(npmFixtures + "basic-head.v3.json")

	head := filepath.Join(dir, "app", "package-lock.json")
	code, out, errs := runDiffT(t, nil, "--base", "v1", "--head", head, "--format", "json")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var doc struct {
		Base    string
		Summary map[string]int
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Base != "v1:"+filepath.ToSlash(head) || doc.Summary["upgraded"] == 0 {
		t.Errorf("base %q summary %v", doc.Base, doc.Summary)
	}
	// a ref without the file
	git("commit", "-q", "--allow-empty", "-m", "x")
	code, _, errs = runDiffT(t, nil, "--base", "HEAD", "--head", filepath.Join(dir, "app", "other.json"))
	if code != ExitUsage || !strings.Contains(errs, "failed to read") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestDiffRegistryEnv(t *testing.T) {
	// every resolved URL of the fixtures is on registry.npmjs.org; with
	// another configured registry the new ones are flagged
	env := map[string]string{"npm_config_registry": "https://npm.example.com/"}
	args := []string{"--base", npmFixtures + "basic-base.v3.json", "--head", npmFixtures + "basic-head.v3.json", "--format", "json"}
	for _, tc := range []struct {
		env  map[string]string
		want bool
	}{{nil, false}, {env, true}} {
		code, out, errs := runDiffT(t, tc.env, args...)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
		if got := strings.Contains(out, `"foreign-registry"`); got != tc.want {
			t.Errorf("env %v: foreign-registry flagged = %v, want %v", tc.env, got, tc.want)
		}
	}
}
