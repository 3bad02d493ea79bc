package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/internal/testserver"
	cachefake "github.com/lockstep-dev/lockstep/internal/testserver/actionscache"
	ghfake "github.com/lockstep-dev/lockstep/internal/testserver/github"
)

// TestActionEndToEnd runs the built binary the way the runner runs the
// container action: a pull_request event file, file-command files,
// INPUT_* variables with hyphens, GITHUB_API_URL at the strict GitHub fake
// (150 earlier comments by others), ACTIONS_RESULTS_URL at the cache fake
// whose signed URLs point at Azurite, the fake npm registry. Run 1 creates
// the comment and its post step saves the cache; run 2 (a new job, empty
// runner temp) restores that cache and edits the same comment; run 3, a
// fork with a read-only token, only writes the job summary.
func TestActionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the end-to-end action test in -short mode")
	}
	const (
		repo     = "octo/app"
		pr       = 42
		baseSHA  = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		headSHA  = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
		writeTok = "ghs_E2EwriteTOKEN0123456789abcdef"
		readTok  = "ghs_E2EreadONLY0123456789abcdef"
		runtime  = "eyJ0eXAiOiJKV1QifQ.E2E-RUNTIME.sig"
		bot      = "github-actions[bot]"
	)
	az := cachefake.StartAzurite(t) // skips without node/npm
	cache := cachefake.New(t, az, runtime)
	bin := buildLockstep(t)

	reg := testserver.NewRegistry(t,
		testserver.Package{Name: "left-pad", Version: "1.2.0", License: "MIT", Files: map[string]string{"index.js": "old"}},
		testserver.Package{Name: "left-pad", Version: "1.3.0", License: "MIT", Files: map[string]string{"index.js": "new"}},
		testserver.Package{Name: "is-odd", Version: "3.0.1", License: "MIT", Files: map[string]string{"index.js": "odd"}},
	)
	gh := ghfake.New(t)
	for i := 0; i < 150; i++ {
		gh.AddComments(repo, pr, ghfake.Comment{User: fmt.Sprintf("reviewer%d", i%9), Body: fmt.Sprintf("review comment %d", i)})
	}
	_, baseLock := e2eLock(reg, "1.2.0", "")
	gh.SetContents(repo, baseSHA, "web/package-lock.json", []byte(baseLock))
	gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", gh.GetContents()).Times(3)
	gh.Register("GET", "/repos/{owner}/{repo}/issues/{number}/comments", gh.ListComments())
	gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", gh.CreateComment(bot)).Times(1)
	gh.Register("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", gh.EditComment()).Times(1)
	gh.Register("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", ghfake.Error(403, "Resource not accessible by integration")).Times(1)

	ws := t.TempDir()
	home := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(ws, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// job is one job of the workflow: its own runner temp and file
	// commands; main runs the step, post its post step.
	type job struct {
		env      map[string]string
		fc       string
		out, log string
	}
	newJob := func(token string, fork bool) *job {
		j := &job{fc: t.TempDir()}
		runnerTemp := t.TempDir()
		ev := e2eEvent(repo, pr, baseSHA, headSHA, fork)
		evPath := filepath.Join(t.TempDir(), "event.json")
		if err := os.WriteFile(evPath, ev, 0o644); err != nil {
			t.Fatal(err)
		}
		guid := fmt.Sprintf("%d", time.Now().UnixNano())
		j.env = map[string]string{
			"PATH": os.Getenv("PATH"), "HOME": home, "CI": "true", "GITHUB_ACTIONS": "true",
			"GITHUB_WORKSPACE": ws, "GITHUB_REPOSITORY": repo, "GITHUB_REPOSITORY_OWNER": "octo",
			"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": evPath,
			"GITHUB_API_URL": gh.URL(), "GITHUB_SERVER_URL": "https://github.com", "GITHUB_SHA": headSHA,
			"GITHUB_REF": fmt.Sprintf("refs/pull/%d/merge", pr), "GITHUB_RUN_ID": guid, "GITHUB_RUN_ATTEMPT": "1",
			"GITHUB_OUTPUT":       filepath.Join(j.fc, "set_output_"+guid),
			"GITHUB_STEP_SUMMARY": filepath.Join(j.fc, "step_summary_"+guid),
			"GITHUB_STATE":        filepath.Join(j.fc, "save_state_"+guid),
			"GITHUB_ENV":          filepath.Join(j.fc, "set_env_"+guid),
			"GITHUB_PATH":         filepath.Join(j.fc, "add_path_"+guid),
			"RUNNER_TEMP":         runnerTemp, "RUNNER_OS": "Linux", "RUNNER_ARCH": "X64",
			"ACTIONS_RUNTIME_TOKEN": runtime, "ACTIONS_RUNTIME_URL": "http://127.0.0.1:1/",
			"ACTIONS_RESULTS_URL": cache.URL(),
			"INPUT_COMMAND":       "ci", "INPUT_WORKING-DIRECTORY": "web", "INPUT_TOKEN": token,
			"INPUT_REGISTRY": reg.URL(), "INPUT_CACHE": "all", "INPUT_CACHE-KEY-PREFIX": "lockstep",
			"INPUT_COMMENT": "on-change", "INPUT_CONCURRENCY": "8", "INPUT_OMIT": "", "INPUT_IGNORE-SCRIPTS": "true",
			"INPUT_LOCKFILE": "", "INPUT_BASE-REF": "",
		}
		for _, f := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_PATH"} {
			if err := os.WriteFile(j.env[f], nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return j
	}
	run := func(j *job, args ...string) int {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Dir = ws
		for k, v := range j.env {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		j.log += out.String() + errb.String()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("running %v: %v", args, err)
		}
		return code
	}
	// post runs the post step as the runner does: a new container with
	// the same inputs and STATE_* from the main step's GITHUB_STATE.
	post := func(j *job) {
		t.Helper()
		state := fileCommands(t, j.env["GITHUB_STATE"])
		for k, v := range state {
			j.env["STATE_"+k] = v
		}
		if code := run(j, "action", "--post"); code != 0 {
			t.Fatalf("post step exit %d:\n%s", code, j.log)
		}
	}
	botComments := func() []ghfake.Comment {
		var out []ghfake.Comment
		for _, c := range gh.Comments(repo, pr) {
			if c.User == bot {
				out = append(out, c)
			}
		}
		return out
	}
	noSecrets := func(j *job, extra ...string) {
		t.Helper()
		all := j.log + strings.Join(extra, "")
		for _, s := range []string{writeTok, readTok, runtime} {
			if strings.Count(all, s) != strings.Count(all, "::add-mask::"+s) {
				t.Errorf("a secret is printed outside ::add-mask::")
			}
		}
	}

	// Run 1: the pull request upgrades left-pad and adds is-odd.
	pj, lock := e2eLock(reg, "1.3.0", "3.0.1")
	write("web/package.json", pj)
	write("web/package-lock.json", lock)
	gh.RequireToken(writeTok)
	j1 := newJob(writeTok, false)
	if code := run(j1, "action"); code != 0 {
		t.Fatalf("run 1 exit %d:\n%s", code, j1.log)
	}
	out1 := fileCommands(t, j1.env["GITHUB_OUTPUT"])
	if out1["cache-hit"] != "false" || out1["lockfile-changed"] != "true" || out1["added"] != "1" || out1["upgraded"] != "1" {
		t.Errorf("run 1 outputs %v", out1)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "web/node_modules/left-pad/index.js")); err != nil || string(data) != "new" {
		t.Errorf("run 1 did not install left-pad 1.3.0: %q %v", data, err)
	}
	bc := botComments()
	if len(bc) != 1 || !strings.HasPrefix(bc[0].Body, "<!-- lockstep:web -->\n") || !strings.Contains(bc[0].Body, "is-odd") {
		t.Fatalf("after run 1: %d bot comments\n%s", len(bc), j1.log)
	}
	commentID := bc[0].ID
	post(j1)
	var storeKey string
	for _, e := range cache.Entries() {
		if e.Finalized && strings.HasPrefix(e.Key, "lockstep-store-") {
			storeKey = e.Key
		}
	}
	if storeKey == "" {
		t.Fatalf("run 1's post step saved no store: %+v\n%s", cache.Entries(), j1.log)
	}
	noSecrets(j1, bc[0].Body)

	// Run 2: a new job (empty runner temp, no node_modules); the head now
	// drops is-odd. The cache run 1 saved is restored, the comment edited.
	os.RemoveAll(filepath.Join(ws, "web/node_modules"))
	pj, lock = e2eLock(reg, "1.3.0", "")
	write("web/package.json", pj)
	write("web/package-lock.json", lock)
	tarballs := reg.Requests()
	j2 := newJob(writeTok, false)
	if code := run(j2, "action"); code != 0 {
		t.Fatalf("run 2 exit %d:\n%s", code, j2.log)
	}
	if !strings.Contains(j2.log, "restored from a restore key \""+storeKey+"\"") {
		t.Errorf("run 2 did not restore %q:\n%s", storeKey, j2.log)
	}
	if n := reg.Requests() - tarballs; n != 0 {
		t.Errorf("run 2 made %d registry requests despite the restored store", n)
	}
	bc = botComments()
	if len(bc) != 1 || bc[0].ID != commentID || strings.Contains(bc[0].Body, "is-odd") {
		t.Fatalf("after run 2: %d bot comments (want the same id %d)\n%s", len(bc), commentID, j2.log)
	}
	post(j2)
	entries := len(cache.Entries())
	noSecrets(j2, bc[0].Body)

	// Run 3: a fork; its token reads but cannot write.
	gh.RequireToken(readTok)
	os.RemoveAll(filepath.Join(ws, "web/node_modules"))
	j3 := newJob(readTok, true)
	before := gh.Comments(repo, pr)
	if code := run(j3, "action"); code != 0 {
		t.Fatalf("run 3 exit %d:\n%s", code, j3.log)
	}
	if out := fileCommands(t, j3.env["GITHUB_OUTPUT"]); out["cache-hit"] != "true" {
		t.Errorf("run 3 (same lockfile as run 2) cache-hit %q", out["cache-hit"])
	}
	summary, _ := os.ReadFile(j3.env["GITHUB_STEP_SUMMARY"])
	if !strings.Contains(string(summary), "left-pad") || strings.Contains(string(summary), "<!-- lockstep:") {
		t.Errorf("run 3 summary:\n%s", summary)
	}
	if !strings.Contains(j3.log, "::warning::") || !strings.Contains(j3.log, "pull-requests: write") || !strings.Contains(j3.log, "forks") {
		t.Errorf("run 3 has no warning naming the permission:\n%s", j3.log)
	}
	after := gh.Comments(repo, pr)
	if len(after) != len(before) || after[len(after)-1].Body != before[len(before)-1].Body {
		t.Error("run 3 changed the comments")
	}
	post(j3)
	if got := len(cache.Entries()); got != entries {
		t.Errorf("run 3's post step saved %d entries after exact hits", got-entries)
	}
	noSecrets(j3, string(summary))
}

// buildLockstep builds cmd/lockstep into the test's temp dir.
func buildLockstep(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lockstep")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/lockstep")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("failed to build lockstep: %v\n%s", err, out)
	}
	return bin
}

// fileCommands parses a GITHUB_OUTPUT / GITHUB_STATE file (name<<DELIM
// blocks, or name=value lines).
func fileCommands(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		if name, delim, ok := strings.Cut(lines[i], "<<"); ok {
			var val []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				val = append(val, lines[i])
			}
			out[name] = strings.Join(val, "\n")
		} else if name, val, ok := strings.Cut(lines[i], "="); ok {
			out[name] = val
		}
	}
	return out
}

// e2eLock is a package.json and package-lock.json (v3) pinning left-pad
// and is-odd ("" leaves one out) at reg's tarballs.
func e2eLock(reg *testserver.Registry, leftPad, isOdd string) (string, string) {
	deps := map[string]string{}
	pkgs := map[string]any{}
	for _, p := range [][2]string{{"left-pad", leftPad}, {"is-odd", isOdd}} {
		if p[1] == "" {
			continue
		}
		deps[p[0]] = p[1]
		pkgs["node_modules/"+p[0]] = map[string]any{"version": p[1], "resolved": reg.TarballURL(p[0], p[1]), "integrity": reg.Integrity(p[0], p[1]), "license": "MIT"}
	}
	pkgs[""] = map[string]any{"name": "app", "version": "1.0.0", "dependencies": deps}
	pj, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": deps})
	lf, _ := json.MarshalIndent(map[string]any{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pkgs}, "", "  ")
	return string(pj), string(lf)
}

// e2eEvent is a pull_request "synchronize" event shaped like GitHub's
// webhook payload (the fields lockstep reads, and their neighbours).
func e2eEvent(repo string, number int, baseSHA, headSHA string, fork bool) []byte {
	owner, name, _ := strings.Cut(repo, "/")
	headOwner := owner
	if fork {
		headOwner = "mallory"
	}
	repoObj := func(o string) map[string]any {
		return map[string]any{
			"id": 1296269, "name": name, "full_name": o + "/" + name, "private": false, "fork": o != owner,
			"owner":          map[string]any{"login": o, "type": "User"},
			"html_url":       "https://github.com/" + o + "/" + name,
			"default_branch": "main",
		}
	}
	ev := map[string]any{
		"action": "synchronize", "number": number,
		"before": strings.Repeat("c", 40), "after": headSHA,
		"pull_request": map[string]any{
			"url": fmt.Sprintf("https://api.github.com/repos/%s/pulls/%d", repo, number),
			"id":  1, "number": number, "state": "open", "locked": false, "draft": false,
			"title": "Upgrade left-pad", "user": map[string]any{"login": headOwner, "type": "User"},
			"head":   map[string]any{"label": headOwner + ":feature", "ref": "feature", "sha": headSHA, "user": map[string]any{"login": headOwner}, "repo": repoObj(headOwner)},
			"base":   map[string]any{"label": owner + ":main", "ref": "main", "sha": baseSHA, "user": map[string]any{"login": owner}, "repo": repoObj(owner)},
			"merged": false, "mergeable": nil, "comments": 150, "commits": 3,
			"author_association": "CONTRIBUTOR",
		},
		"repository": repoObj(owner),
		"sender":     map[string]any{"login": headOwner, "type": "User"},
	}
	data, _ := json.MarshalIndent(ev, "", "  ")
	return data
}
