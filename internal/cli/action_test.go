package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ghfake "github.com/lockstep-dev/lockstep/internal/testserver/github"
)

// TestActionCommand runs `lockstep action` as the runner would (INPUT_* and
// GITHUB_* only) and checks its exit codes and workflow commands.
func TestActionCommand(t *testing.T) {
	const token = "ghs_ACTIONCLITOKEN0123456789"
	base, err := os.ReadFile(npmFixtures + "basic-base.v3.json")
	if err != nil {
		t.Fatal(err)
	}
	head, err := os.ReadFile(npmFixtures + "basic-head.v3.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		args   []string
		env    map[string]string
		stub   bool
		code   int
		stdout []string
	}{
		{name: "diff against base-ref", env: map[string]string{"INPUT_COMMAND": "diff", "INPUT_BASE-REF": "main"}, stub: true,
			code: ExitOK, stdout: []string{"::add-mask::" + token, "::group::lockstep diff", "13 changes"}},
		{name: "bad input", env: map[string]string{"INPUT_COMMAND": "publish"}, code: ExitUsage,
			stdout: []string{"::error title=lockstep::invalid value \"publish\" for input command"}},
		{name: "post step without state", args: []string{"--post"}, code: ExitOK,
			stdout: []string{"the main step left nothing to save"}},
		{name: "post step with a broken cache", args: []string{"--post"}, env: map[string]string{
			"STATE_lockstep-cache":  `{"dir":"/nonexistent","entries":[{"kind":"store","key":"lockstep-store-x"}]}`,
			"ACTIONS_RUNTIME_TOKEN": "rt", "ACTIONS_RESULTS_URL": "http://127.0.0.1:1/"}, code: ExitOK,
			stdout: []string{"::group::lockstep cache save", "does not exist, nothing to save"}},
		{name: "unexpected argument", args: []string{"extra"}, code: ExitUsage},
		{name: "help", args: []string{"-h"}, code: ExitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gh := ghfake.New(t)
			gh.RequireToken(token)
			ws := t.TempDir()
			if err := os.WriteFile(filepath.Join(ws, "package-lock.json"), head, 0o644); err != nil {
				t.Fatal(err)
			}
			if tc.stub {
				gh.SetContents("octo/app", "main", "package-lock.json", base)
				gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", gh.GetContents())
			}
			fc := t.TempDir()
			env := map[string]string{
				"GITHUB_WORKSPACE": ws, "GITHUB_REPOSITORY": "octo/app", "GITHUB_API_URL": gh.URL(),
				"GITHUB_EVENT_NAME": "push", "GITHUB_OUTPUT": filepath.Join(fc, "out"), "GITHUB_STEP_SUMMARY": filepath.Join(fc, "summary"),
				"INPUT_TOKEN": token,
			}
			for k, v := range tc.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			code := runAction(context.Background(), tc.args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out.String(), errb.String())
			}
			for _, s := range tc.stdout {
				if !strings.Contains(out.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, out.String())
				}
			}
			if strings.Count(out.String()+errb.String(), token) > 1 {
				t.Error("the token is printed outside ::add-mask::")
			}
			if tc.stub {
				outputs, _ := os.ReadFile(env["GITHUB_OUTPUT"])
				if !strings.Contains(string(outputs), "lockfile-changed<<") {
					t.Errorf("outputs:\n%s", outputs)
				}
			}
		})
	}
}
