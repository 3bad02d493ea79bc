package cli

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/internal/testserver"
	ghfake "github.com/lockstep-dev/lockstep/internal/testserver/github"
)

// Known secrets, each in one place a user would put it.
const (
	secretNpmrc    = "npmrcSECRETaaaa1111bbbb2222"     // .npmrc _authToken
	secretNodeAuth = "nodeAuthSECRETcccc3333dddd"      // NODE_AUTH_TOKEN, used from .npmrc
	secretGitHub   = "ghsSECRETeeee4444ffff5555gggg"   // INPUT_TOKEN and GITHUB_TOKEN
	secretURLPass  = "urlPassSECREThhhh6666iiii7777"   // registry URL user:pass@
	secretWrong    = "wrongSECRETjjjj8888kkkk9999llll" // a token the registry refuses
)

var allSecrets = []string{secretNpmrc, secretNodeAuth, secretGitHub, secretURLPass, secretWrong}

// TestNoSecretsInOutput runs every command, on success and error paths,
// with known secrets in .npmrc, NODE_AUTH_TOKEN, INPUT_TOKEN/GITHUB_TOKEN
// and a registry URL's userinfo, and searches everything it produced for
// them: stdout, stderr, report files, GitHub outputs and summaries, the
// bodies it sent to the GitHub API, and every file it wrote in the project
// and the cache. The only allowed mention is the Action's ::add-mask::.
func TestNoSecretsInOutput(t *testing.T) {
	reg := testserver.NewRegistry(t,
		testserver.Package{Name: "left-pad", Version: "1.3.0", Files: map[string]string{"index.js": "x"}},
		testserver.Package{Name: "is-odd", Version: "3.0.1", Dependencies: map[string]string{"left-pad": "^1.3.0"}, Files: map[string]string{"index.js": "y"}},
	)
	host := strings.TrimPrefix(strings.TrimSuffix(reg.URL(), "/"), "http:")
	u, _ := url.Parse(reg.URL())
	u.User = url.UserPassword("ci-user", secretURLPass)
	credURL := u.String()

	type scenario struct {
		name string
		// npmrc is the project's .npmrc ("" for none); token is what the
		// registry requires ("" for nothing).
		npmrc, token string
		lock         func(dir string) string // package-lock.json content
		args         func(dir, cache, report string) []string
		env          map[string]string
		action       bool // run as the Action (GITHUB_* set, comments posted)
		wantCode     int
	}
	lockFor := func(resolvedBase string) func(string) string {
		return func(string) string {
			return fmt.Sprintf(`{"name":"p","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{
  "":{"name":"p","version":"1.0.0","dependencies":{"is-odd":"^3.0.1"}},
  "node_modules/is-odd":{"version":"3.0.1","resolved":%q,"integrity":%q,"dependencies":{"left-pad":"^1.3.0"}},
  "node_modules/left-pad":{"version":"1.3.0","resolved":%q,"integrity":%q}}}`,
				resolvedBase+"is-odd/-/is-odd-3.0.1.tgz", reg.Integrity("is-odd", "3.0.1"),
				resolvedBase+"left-pad/-/left-pad-1.3.0.tgz", reg.Integrity("left-pad", "1.3.0"))
		}
	}
	goodLock := lockFor(reg.URL())
	credLock := lockFor(credURL) // a lockfile whose URLs carry credentials
	badLock := func(string) string { return `{"lockfileVersion":3,"packages":{` }
	npmrcTok := host + "/:_authToken=" + secretNpmrc + "\n"
	npmrcEnv := host + "/:_authToken=${NODE_AUTH_TOKEN}\n"
	ci := func(extra ...string) func(dir, cache, report string) []string {
		return func(dir, cache, report string) []string {
			return append([]string{"ci", "--dir", dir, "--cache-dir", cache, "--ignore-scripts", "--report", report, "--progress", "never"}, extra...)
		}
	}
	warm := func(extra ...string) func(dir, cache, report string) []string {
		return func(dir, cache, report string) []string {
			return append([]string{"warm", "--dir", dir, "--cache-dir", cache, "--node-version", "20.20.2"}, extra...)
		}
	}
	scenarios := []scenario{
		{name: "ci with .npmrc token", npmrc: npmrcTok, token: secretNpmrc, lock: goodLock, args: ci("--registry", reg.URL())},
		{name: "ci with NODE_AUTH_TOKEN", npmrc: npmrcEnv, token: secretNodeAuth, lock: goodLock, args: ci("--registry", reg.URL())},
		{name: "ci wrong token (401)", npmrc: host + "/:_authToken=" + secretWrong + "\n", token: secretNpmrc, lock: goodLock, args: ci("--registry", reg.URL()), wantCode: ExitFailure},
		{name: "ci bad lockfile", npmrc: npmrcTok, lock: badLock, args: ci("--registry", reg.URL()), wantCode: ExitUsage},
		{name: "ci registry URL with password", lock: goodLock, args: ci("--registry", credURL)},
		{name: "ci lockfile URLs with password", lock: credLock, args: ci("--registry", credURL)},
		{name: "ci password URL, tarball missing", lock: func(d string) string {
			return strings.ReplaceAll(credLock(d), "left-pad-1.3.0.tgz", "left-pad-9.9.9.tgz")
		}, args: ci("--registry", credURL), wantCode: ExitFailure},
		{name: "warm with .npmrc token", npmrc: npmrcTok, token: secretNpmrc, lock: goodLock, args: warm("--registry", reg.URL())},
		{name: "warm wrong token (401)", npmrc: host + "/:_authToken=" + secretWrong + "\n", token: secretNpmrc, lock: goodLock, args: warm("--registry", reg.URL()), wantCode: ExitFailure},
		{name: "warm registry URL with password", lock: goodLock, args: warm("--registry", credURL)},
		{name: "warm bad lockfile", npmrc: npmrcTok, lock: badLock, args: warm("--registry", reg.URL()), wantCode: ExitFailure},
		{name: "diff lockfile URLs with password", lock: credLock, args: func(dir, cache, report string) []string {
			base := filepath.Join(cache, "base.json")
			os.WriteFile(base, []byte(`{"name":"p","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"p","version":"1.0.0"}}}`), 0o644)
			return []string{"diff", "--base", base, "--head", filepath.Join(dir, "package-lock.json"), "--registry", credURL}
		}},
		{name: "diff json", lock: credLock, args: func(dir, cache, report string) []string {
			base := filepath.Join(cache, "base.json")
			os.WriteFile(base, []byte(`{"name":"p","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"p","version":"1.0.0"}}}`), 0o644)
			return []string{"diff", "--base", base, "--head", filepath.Join(dir, "package-lock.json"), "--format", "json"}
		}},
		{name: "diff bad lockfile", npmrc: npmrcTok, lock: badLock, args: func(dir, cache, report string) []string {
			return []string{"diff", "--base", filepath.Join(dir, "package-lock.json"), "--head", filepath.Join(dir, "package-lock.json")}
		}, wantCode: ExitUsage},
		{name: "cache verify", npmrc: npmrcTok, lock: goodLock, args: func(dir, cache, report string) []string {
			return []string{"cache", "verify", "--cache-dir", cache}
		}},
		{name: "version", npmrc: npmrcTok, lock: goodLock, args: func(string, string, string) []string { return []string{"version"} }},
		{name: "help", npmrc: npmrcTok, lock: goodLock, args: func(string, string, string) []string { return []string{"help"} }},
		{name: "help ci", npmrc: npmrcTok, lock: goodLock, args: func(string, string, string) []string { return []string{"help", "ci"} }, wantCode: ExitOK},
		{name: "bench without a project", npmrc: npmrcTok, lock: goodLock, args: func(string, string, string) []string {
			return []string{"bench", "--dir", "/nonexistent/lockstep-secrets"}
		}, wantCode: ExitUsage},
		{name: "action ci on a pull request", npmrc: npmrcEnv, token: secretNodeAuth, lock: goodLock, action: true,
			env: map[string]string{"INPUT_COMMAND": "ci", "INPUT_IGNORE-SCRIPTS": "true", "INPUT_COMMENT": "always", "INPUT_CACHE": "none"}},
		{name: "action ci, password in the registry input", lock: goodLock, action: true,
			env: map[string]string{"INPUT_COMMAND": "ci", "INPUT_IGNORE-SCRIPTS": "true", "INPUT_COMMENT": "always", "INPUT_CACHE": "none", "INPUT_REGISTRY": credURL}},
		{name: "action ci wrong token", npmrc: npmrcEnv, token: secretNpmrc, lock: goodLock, action: true, wantCode: ExitFailure,
			env: map[string]string{"INPUT_COMMAND": "ci", "INPUT_IGNORE-SCRIPTS": "true", "INPUT_COMMENT": "always", "INPUT_CACHE": "none"}},
		{name: "action diff, lockfile URLs with password", lock: credLock, action: true,
			env: map[string]string{"INPUT_COMMAND": "diff", "INPUT_COMMENT": "always"}},
		{name: "action bad input", npmrc: npmrcTok, lock: goodLock, action: true, wantCode: ExitUsage,
			env: map[string]string{"INPUT_COMMAND": "frob"}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			reg.RequireToken(sc.token)
			ws := t.TempDir()
			dir := ws
			cache := t.TempDir()
			report := filepath.Join(t.TempDir(), "report.json")
			files := t.TempDir()
			start := time.Now().Add(-time.Second)
			write := func(name, content string) {
				t.Helper()
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			write("package.json", `{"name":"p","version":"1.0.0","dependencies":{"is-odd":"^3.0.1"}}`)
			write("package-lock.json", sc.lock(dir))
			if sc.npmrc != "" {
				write(".npmrc", sc.npmrc)
			}
			env := map[string]string{
				"HOME": t.TempDir(), "NODE_AUTH_TOKEN": secretNodeAuth, "GITHUB_TOKEN": secretGitHub,
				"LOCKSTEP_CACHE_DIR": cache,
			}
			var gh *ghfake.Server
			args := []string{"action"}
			if sc.action {
				gh = ghfake.New(t)
				gh.RequireToken(secretGitHub)
				gh.SetContents("octo/app", "main", "package-lock.json", []byte(`{"name":"p","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"p","version":"1.0.0"}}}`))
				if sc.wantCode == ExitOK { // the fake insists every stub is used
					gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", gh.GetContents())
					gh.Register("GET", "/repos/{owner}/{repo}/issues/{number}/comments", gh.ListComments())
					gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", gh.CreateComment("github-actions[bot]"))
				}
				ev := `{"action":"synchronize","number":7,"pull_request":{"number":7,"state":"open",` +
					`"base":{"ref":"main","sha":"main","repo":{"full_name":"octo/app","name":"app","owner":{"login":"octo"}}},` +
					`"head":{"ref":"f","sha":"2222222222222222222222222222222222222222","repo":{"full_name":"octo/app","name":"app","fork":false}}},` +
					`"repository":{"full_name":"octo/app","name":"app","owner":{"login":"octo","name":"octo"}}}`
				evPath := filepath.Join(files, "event.json")
				os.WriteFile(evPath, []byte(ev), 0o644)
				for k, v := range map[string]string{
					"GITHUB_ACTIONS": "true", "CI": "true", "GITHUB_WORKSPACE": ws, "GITHUB_REPOSITORY": "octo/app",
					"GITHUB_REPOSITORY_OWNER": "octo", "GITHUB_API_URL": gh.URL(), "GITHUB_EVENT_NAME": "pull_request",
					"GITHUB_EVENT_PATH": evPath, "GITHUB_OUTPUT": filepath.Join(files, "output"),
					"GITHUB_STEP_SUMMARY": filepath.Join(files, "summary"), "GITHUB_STATE": filepath.Join(files, "state"),
					"GITHUB_ENV": filepath.Join(files, "env"), "RUNNER_TEMP": t.TempDir(), "GITHUB_RUN_ID": "42",
					"INPUT_TOKEN": secretGitHub, "INPUT_REGISTRY": reg.URL(), "INPUT_BASE-REF": "main",
				} {
					env[k] = v
				}
				for k, v := range sc.env {
					env[k] = v
				}
			} else {
				args = sc.args(dir, cache, report)
			}
			var out, errb bytes.Buffer
			code := Main(args, Stdio{Out: &out, Err: &errb}, func(k string) string { return env[k] })
			if code != sc.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, sc.wantCode, out.String(), errb.String())
			}
			outputs := map[string]string{"stdout": out.String(), "stderr": errb.String()}
			if gh != nil {
				for i, r := range gh.Log() {
					outputs[fmt.Sprintf("GitHub request %d %s %s", i, r.Method, r.Path)] = r.Path + "?" + r.Query.Encode() + "\n" + r.Body
				}
			}
			// Every file written during the run, wherever it went.
			for _, root := range []string{ws, cache, filepath.Dir(report), files, env["RUNNER_TEMP"]} {
				if root == "" {
					continue
				}
				filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() || d.Name() == ".npmrc" {
						return nil
					}
					info, err := d.Info()
					if err != nil || info.ModTime().Before(start) || !info.Mode().IsRegular() {
						return nil
					}
					if p == filepath.Join(dir, "package-lock.json") || p == filepath.Join(cache, "base.json") || p == env["GITHUB_EVENT_PATH"] {
						return nil // the test's own input files
					}
					if d.Name() == ".package-lock.json" && sc.lock(dir) == credLock(dir) {
						// node_modules/.package-lock.json repeats the
						// lockfile's resolved URLs, as npm's does: the
						// credentials were in the committed input already.
						return nil
					}
					b, _ := os.ReadFile(p)
					outputs["file "+p] = string(b)
					return nil
				})
			}
			for where, text := range outputs {
				var kept []string
				for _, line := range strings.Split(text, "\n") {
					if strings.HasPrefix(line, "::add-mask::") {
						continue // how the Action hides a secret from the log
					}
					kept = append(kept, line)
				}
				text = strings.Join(kept, "\n")
				for _, s := range allSecrets {
					if i := strings.Index(text, s); i >= 0 {
						lo, hi := max(0, i-80), min(len(text), i+len(s)+40)
						t.Errorf("%s leaks %q: …%s…", where, s, text[lo:hi])
					}
				}
			}
			if sc.action && sc.token == secretNodeAuth && !strings.Contains(out.String(), "::add-mask::"+secretNodeAuth) {
				t.Errorf("the Action does not mask NODE_AUTH_TOKEN")
			}
		})
	}
}
