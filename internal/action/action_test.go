package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/lockstep-dev/lockstep/internal/bench"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lockstep-dev/lockstep/install"
	"github.com/lockstep-dev/lockstep/internal/testserver"
	ghfake "github.com/lockstep-dev/lockstep/internal/testserver/github"
)

const (
	token   = "ghs_SECRETactionTOKEN0123456789"
	repo    = "octo/app"
	prNum   = 7
	baseSHA = "1111111111111111111111111111111111111111"
	headSHA = "2222222222222222222222222222222222222222"
	bot     = "github-actions[bot]"
)

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is one workspace, the runner's file commands and the fakes.
type harness struct {
	t        *testing.T
	ws       string
	env      map[string]string
	gh       *ghfake.Server
	reg      *testserver.Registry
	out, err syncBuffer
	cache    string
}

func newHarness(t *testing.T, event string, ghOpts ...ghfake.Options) *harness {
	t.Helper()
	h := &harness{t: t, ws: t.TempDir(), gh: ghfake.New(t, ghOpts...), cache: t.TempDir()}
	h.gh.RequireToken(token)
	fc := t.TempDir()
	tmp := t.TempDir()
	h.env = map[string]string{
		"GITHUB_ACTIONS": "true", "CI": "true", "HOME": t.TempDir(),
		"GITHUB_WORKSPACE": h.ws, "GITHUB_REPOSITORY": repo, "GITHUB_REPOSITORY_OWNER": "octo",
		"GITHUB_API_URL": h.gh.URL(), "GITHUB_EVENT_NAME": event,
		"GITHUB_OUTPUT": filepath.Join(fc, "set_output_x"), "GITHUB_STEP_SUMMARY": filepath.Join(fc, "step_summary_x"),
		"RUNNER_TEMP": tmp, "GITHUB_RUN_ID": "42",
		"INPUT_TOKEN": token, "INPUT_COMMAND": "diff",
	}
	return h
}

// pullRequest writes a pull_request-shaped event (fork: the head lives in
// another repository).
func (h *harness) pullRequest(fork bool) {
	h.t.Helper()
	headRepo := repo
	if fork {
		headRepo = "mallory/app"
	}
	ev := map[string]any{
		"action": "synchronize", "number": prNum,
		"pull_request": map[string]any{
			"number": prNum, "state": "open",
			"base": map[string]any{"ref": "main", "sha": baseSHA, "repo": map[string]any{"full_name": repo, "name": "app", "owner": map[string]any{"login": "octo"}}},
			"head": map[string]any{"ref": "feature", "sha": headSHA, "repo": map[string]any{"full_name": headRepo, "name": "app", "fork": fork}},
		},
		"repository": map[string]any{"full_name": repo, "name": "app", "owner": map[string]any{"login": "octo", "name": "octo"}},
	}
	h.writeEvent(ev)
}

func (h *harness) writeEvent(ev map[string]any) {
	data, err := json.Marshal(ev)
	if err != nil {
		h.t.Fatal(err)
	}
	p := filepath.Join(h.t.TempDir(), "event.json")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
	h.env["GITHUB_EVENT_PATH"] = p
}

func (h *harness) write(rel, content string) {
	h.t.Helper()
	p := filepath.Join(h.ws, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) run() (*Result, error) {
	h.t.Helper()
	return Run(context.Background(), Options{
		Getenv: func(k string) string { return h.env[k] }, Stdout: &h.out, Stderr: &h.err,
		HTTPClient: h.gh.Client(), Version: "0.1.0-test", CacheDir: h.cache,
		InstallRetryDelay: time.Millisecond,
	})
}

func (h *harness) file(env string) string {
	h.t.Helper()
	data, err := os.ReadFile(h.env[env])
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.t.Fatal(err)
	}
	return string(data)
}

// outputs parses the GITHUB_OUTPUT file (name<<DELIM ... DELIM blocks).
func (h *harness) outputs() map[string]string {
	h.t.Helper()
	out := map[string]string{}
	lines := strings.Split(h.file("GITHUB_OUTPUT"), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

// others adds n comments by other people, some of them quoting a lockstep
// marker for another directory, or not on their first line.
func (h *harness) others(n int) {
	for i := 0; i < n; i++ {
		body := fmt.Sprintf("comment %d", i)
		switch i % 50 {
		case 10:
			body = Marker("other/dir") + "\nsomeone else's directory"
		case 20:
			body = "quoting:\n" + Marker(".")
		}
		h.gh.AddComments(repo, prNum, ghfake.Comment{User: fmt.Sprint("user", i%7), Body: body})
	}
}

// lockJSON is a package-lock.json for the given left-pad/is-odd versions
// ("" leaves one out), resolved against reg when given.
// writeProject writes package.json and package-lock.json (lockJSON) under
// dir ("" or "web/") in the workspace.
func (h *harness) writeProject(dir string, reg *testserver.Registry, leftPad, isOdd string) {
	pj, lock := lockJSON(reg, leftPad, isOdd)
	h.write(dir+"package.json", pj)
	h.write(dir+"package-lock.json", lock)
}

func lockJSON(reg *testserver.Registry, leftPad, isOdd string) (pkgJSON, lock string) {
	deps := map[string]string{}
	pkgs := map[string]any{}
	add := func(name, v string) {
		if v == "" {
			return
		}
		deps[name] = v
		e := map[string]any{"version": v, "license": "MIT"}
		if reg != nil {
			e["resolved"] = reg.TarballURL(name, v)
			e["integrity"] = reg.Integrity(name, v)
		} else {
			e["resolved"] = "https://registry.npmjs.org/" + name + "/-/" + name + "-" + v + ".tgz"
			e["integrity"] = "sha512-" + strings.Repeat("A", 86) + "=="
		}
		pkgs["node_modules/"+name] = e
	}
	add("left-pad", leftPad)
	add("is-odd", isOdd)
	pkgs[""] = map[string]any{"name": "app", "version": "1.0.0", "dependencies": deps}
	pj, _ := json.Marshal(map[string]any{"name": "app", "version": "1.0.0", "dependencies": deps})
	lf, _ := json.MarshalIndent(map[string]any{"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true, "packages": pkgs}, "", "  ")
	return string(pj), string(lf)
}

func registry(t *testing.T) *testserver.Registry {
	return testserver.NewRegistry(t,
		testserver.Package{Name: "left-pad", Version: "1.2.0", License: "MIT", Files: map[string]string{"index.js": "old"}},
		testserver.Package{Name: "left-pad", Version: "1.3.0", License: "MIT", Files: map[string]string{"index.js": "new"}},
		testserver.Package{Name: "is-odd", Version: "3.0.1", License: "MIT", Files: map[string]string{"index.js": "odd"}},
	)
}

func stubComments(h *harness) {
	h.gh.Register("GET", "/repos/{owner}/{repo}/issues/{number}/comments", h.gh.ListComments())
}

func botComments(h *harness) []ghfake.Comment {
	var out []ghfake.Comment
	for _, c := range h.gh.Comments(repo, prNum) {
		if c.User == bot {
			out = append(out, c)
		}
	}
	return out
}

// TestPullRequestTwoRuns is the action as the runner runs it on a pull
// request: install, diff against the base read through the contents API,
// one sticky comment found among 150 others and edited on the second run.
func TestPullRequestTwoRuns(t *testing.T) {
	h := newHarness(t, "pull_request")
	h.pullRequest(false)
	h.others(150)
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.env["INPUT_IGNORE-SCRIPTS"] = "true"
	h.env["INPUT_WORKING-DIRECTORY"] = "web"
	_, baseLock := lockJSON(reg, "1.2.0", "")
	h.gh.SetContents(repo, baseSHA, "web/package-lock.json", []byte(baseLock))
	h.writeProject("web/", reg, "1.3.0", "3.0.1")

	stubComments(h)
	h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents()).Times(2)
	h.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", h.gh.CreateComment(bot)).Times(1)
	h.gh.Register("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", h.gh.EditComment()).Times(1)

	res, err := h.run()
	if err != nil {
		t.Fatalf("run 1: %v\n%s", err, h.out.String())
	}
	if data, err := os.ReadFile(filepath.Join(h.ws, "web/node_modules/left-pad/index.js")); err != nil || string(data) != "new" {
		t.Errorf("left-pad not installed: %q %v", data, err)
	}
	if res.CommentAction != "created" || res.CommentID == 0 {
		t.Fatalf("run 1 comment: %q %d", res.CommentAction, res.CommentID)
	}
	bc := botComments(h)
	if len(bc) != 1 || !strings.HasPrefix(bc[0].Body, "<!-- lockstep:web -->\n") {
		t.Fatalf("bot comments after run 1: %+v", bc)
	}
	for _, want := range []string{"| left-pad | upgraded | 1.2.0 | 1.3.0 | prod |", "| is-odd | added |", "added", "#### Install timings", "| fetch |", "| **total** |"} {
		if !strings.Contains(bc[0].Body, want) {
			t.Errorf("comment lacks %q:\n%s", want, bc[0].Body)
		}
	}
	out := h.outputs()
	for k, v := range map[string]string{"lockfile-changed": "true", "added": "1", "removed": "0", "upgraded": "1", "downgraded": "0", "report": res.ReportPath} {
		if out[k] != v {
			t.Errorf("output %s = %q, want %q (all: %v)", k, out[k], v, out)
		}
	}
	if out["duration-ms"] == "" {
		t.Errorf("no duration-ms output: %v", out)
	}
	var rep struct {
		Command string
		Phases  []struct{ Name string }
	}
	if data, err := os.ReadFile(res.ReportPath); err != nil || json.Unmarshal(data, &rep) != nil || rep.Command != "ci" || len(rep.Phases) == 0 {
		t.Errorf("report %q: %s %v", res.ReportPath, data, err)
	}
	summary := h.file("GITHUB_STEP_SUMMARY")
	if !strings.Contains(summary, "is-odd") || strings.Contains(summary, "<!-- lockstep:") {
		t.Errorf("summary:\n%s", summary)
	}
	log := h.out.String()
	for _, want := range []string{"::add-mask::" + token, "::group::lockstep ci", "::endgroup::", "::group::lockstep diff", "::group::lockstep comment"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Count(log+h.err.String()+summary+bc[0].Body, token) != 1 {
		t.Errorf("the token appears outside ::add-mask::")
	}

	// Second run: the head drops is-odd. The same comment is edited.
	h.writeProject("web/", reg, "1.3.0", "")
	res2, err := h.run()
	if err != nil {
		t.Fatalf("run 2: %v\n%s", err, h.out.String())
	}
	bc = botComments(h)
	if res2.CommentAction != "updated" || res2.CommentID != res.CommentID || len(bc) != 1 || bc[0].ID != res.CommentID {
		t.Fatalf("run 2: %q id %d (run 1 id %d), bot comments %d", res2.CommentAction, res2.CommentID, res.CommentID, len(bc))
	}
	if strings.Contains(bc[0].Body, "is-odd") || !strings.Contains(bc[0].Body, "upgraded") {
		t.Errorf("comment not updated:\n%s", bc[0].Body)
	}
	if n := len(h.gh.Comments(repo, prNum)); n != 151 {
		t.Errorf("%d comments, want 151", n)
	}
	// both pages were read on each run: on the first the marker is on none,
	// on the second the comment is on page 2, behind the 150 others
	if got := h.gh.Count("GET", "/repos/octo/app/issues/7/comments"); got != 2+2 {
		t.Errorf("list requests = %d, want 4\n%+v", got, h.gh.Log())
	}
}

// TestForkReadOnly: the fork's token can read but not write; the summary
// has the report, a warning names the permission, the step succeeds.
func TestForkReadOnly(t *testing.T) {
	for _, status := range []int{403, 404} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			h := newHarness(t, "pull_request")
			h.pullRequest(true)
			h.others(3)
			_, base := lockJSON(nil, "1.2.0", "")
			pj, head := lockJSON(nil, "1.3.0", "")
			h.write("package.json", pj)
			h.write("package-lock.json", head)
			h.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(base))
			h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents())
			stubComments(h)
			h.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", ghfake.Error(status, "Resource not accessible by integration"))
			res, err := h.run()
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.CommentID != 0 || len(botComments(h)) != 0 {
				t.Errorf("a comment was written: %+v", res)
			}
			if s := h.file("GITHUB_STEP_SUMMARY"); !strings.Contains(s, "upgraded") {
				t.Errorf("summary:\n%s", s)
			}
			log := h.out.String()
			if !strings.Contains(log, "::warning::") || !strings.Contains(log, "pull-requests: write") || !strings.Contains(log, "forks") {
				t.Errorf("no permission warning:\n%s", log)
			}
		})
	}
}

// TestNotPullRequest: a push has no comment and no diff; the summary holds
// the timings. The strict fake has no stubs: any API call fails the test.
func TestNotPullRequest(t *testing.T) {
	h := newHarness(t, "push")
	h.writeEvent(map[string]any{"ref": "refs/heads/main", "after": headSHA})
	reg := registry(t)
	h.env["INPUT_COMMAND"] = "ci"
	h.env["INPUT_REGISTRY"] = reg.URL()
	h.writeProject("", reg, "1.3.0", "")
	res, err := h.run()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.out.String())
	}
	s := h.file("GITHUB_STEP_SUMMARY")
	if !strings.Contains(s, "#### Install timings") || strings.Contains(s, "lockstep diff") || res.CommentAction != "" {
		t.Errorf("summary:\n%s", s)
	}
	if out := h.outputs(); out["lockfile-changed"] != "" || out["report"] == "" {
		t.Errorf("outputs: %v", out)
	}
}

// TestPullRequestTarget: no install, both lockfiles read through the API
// (the head from the fork), a notice says why.
func TestPullRequestTarget(t *testing.T) {
	h := newHarness(t, "pull_request_target")
	h.pullRequest(true)
	h.env["INPUT_COMMAND"] = "ci"
	orig := installCI
	installCI = func(context.Context, install.Options) (*install.Result, error) {
		t.Error("install ran under pull_request_target")
		return nil, errors.New("no")
	}
	defer func() { installCI = orig }()
	_, base := lockJSON(nil, "1.3.0", "")
	_, head := lockJSON(nil, "1.2.0", "3.0.1")
	h.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(base))
	h.gh.SetContents("mallory/app", headSHA, "package-lock.json", []byte(head))
	// the workspace holds the base checkout: it must not be read
	h.write("package-lock.json", "not json")
	h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents()).Times(2)
	stubComments(h)
	h.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", h.gh.CreateComment(bot))
	res, err := h.run()
	if err != nil {
		t.Fatalf("run: %v\n%s", err, h.out.String())
	}
	if res.Summary.Downgraded != 1 || res.Summary.Added != 1 || res.CommentAction != "created" {
		t.Errorf("result: %+v", res)
	}
	if log := h.out.String(); !strings.Contains(log, "::notice::") || !strings.Contains(log, "pull_request_target") {
		t.Errorf("no notice:\n%s", log)
	}
	if h.gh.Count("GET", "/repos/mallory/app/contents/package-lock.json") != 1 {
		t.Errorf("head not read from the fork: %+v", h.gh.Log())
	}
}

// TestSecondaryRateLimitAndGHES: a secondary rate limit is waited out and
// retried; the API lives under /api/v3 as on GitHub Enterprise Server.
func TestSecondaryRateLimitAndGHES(t *testing.T) {
	h := newHarness(t, "pull_request", ghfake.Options{Prefix: "/api/v3"})
	h.pullRequest(false)
	_, base := lockJSON(nil, "1.2.0", "")
	pj, head := lockJSON(nil, "1.3.0", "")
	h.write("package.json", pj)
	h.write("package-lock.json", head)
	h.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(base))
	h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents())
	h.gh.Register("GET", "/repos/{owner}/{repo}/issues/{number}/comments", ghfake.SecondaryRateLimit(1)).Times(1)
	stubComments(h)
	h.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", h.gh.CreateComment(bot))
	res, err := h.run()
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.CommentAction != "created" {
		t.Fatalf("comment: %q\n%s", res.CommentAction, h.out.String())
	}
	var lists []ghfake.Request
	for _, r := range h.gh.Log() {
		if r.Method == "GET" && strings.HasSuffix(r.Path, "/comments") {
			lists = append(lists, r)
		}
	}
	if len(lists) != 2 || lists[0].Status != 403 || lists[1].Time.Sub(lists[0].Time) < 900*time.Millisecond {
		t.Errorf("retry: %+v", lists)
	}
}

// TestCommentModes covers comment: on-change without a change, never, and
// an unchanged body.
func TestCommentModes(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     string
		headSame bool
		existing bool
		stubs    func(h *harness)
		action   string
	}{
		{name: "on-change, no change, no comment", mode: "on-change", headSame: true, stubs: stubComments, action: "skipped"},
		{name: "on-change, no change, stale comment", mode: "on-change", headSame: true, existing: true, action: "updated", stubs: func(h *harness) {
			stubComments(h)
			h.gh.Register("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", h.gh.EditComment()).Times(1)
		}},
		{name: "always, no change", mode: "always", headSame: true, action: "created", stubs: func(h *harness) {
			stubComments(h)
			h.gh.Register("POST", "/repos/{owner}/{repo}/issues/{number}/comments", h.gh.CreateComment(bot)).Times(1)
		}},
		{name: "never", mode: "never", stubs: func(*harness) {}, action: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, "pull_request")
			h.pullRequest(false)
			h.others(120)
			h.env["INPUT_COMMENT"] = tc.mode
			_, base := lockJSON(nil, "1.2.0", "")
			pj, head := lockJSON(nil, "1.3.0", "")
			if tc.headSame {
				head = base
			}
			h.write("package.json", pj)
			h.write("package-lock.json", head)
			if tc.existing {
				h.gh.AddComments(repo, prNum, ghfake.Comment{User: bot, UserType: "Bot", Body: Marker(".") + "\nold diff"})
			}
			h.gh.SetContents(repo, baseSHA, "package-lock.json", []byte(base))
			h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents())
			tc.stubs(h)
			res, err := h.run()
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if res.CommentAction != tc.action {
				t.Errorf("comment action %q, want %q", res.CommentAction, tc.action)
			}
			if h.file("GITHUB_STEP_SUMMARY") == "" {
				t.Error("no summary")
			}
		})
	}
}

func TestBadInputs(t *testing.T) {
	for _, tc := range []struct {
		input, value, want string
	}{
		{"INPUT_COMMAND", "publish", `invalid value "publish" for input command`},
		{"INPUT_BENCH-RUNS", "0", `invalid value "0" for input bench-runs`},
		{"INPUT_CACHE", "everything", `invalid value "everything" for input cache`},
		{"INPUT_CACHE-KEY-PREFIX", "a,b", `invalid value "a,b" for input cache-key-prefix`},
		{"INPUT_COMMENT", "sometimes", `invalid value "sometimes" for input comment`},
		{"INPUT_CONCURRENCY", "0", `invalid value "0" for input concurrency`},
		{"INPUT_IGNORE-SCRIPTS", "maybe", `invalid value "maybe" for input ignore-scripts`},
		{"INPUT_OMIT", "dev,prod", `invalid value "prod" for input omit`},
		{"INPUT_WORKING-DIRECTORY", "../elsewhere", `invalid value "../elsewhere" for input working-directory`},
		{"INPUT_LOCKFILE", "/etc/passwd", `invalid value "/etc/passwd" for input lockfile`},
	} {
		t.Run(tc.input, func(t *testing.T) {
			h := newHarness(t, "push")
			h.env[tc.input] = tc.value
			_, err := h.run()
			if err == nil || !IsInputError(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want input error %q", err, tc.want)
			}
			if !strings.Contains(h.out.String(), "::add-mask::"+token) {
				t.Error("token not masked before failing")
			}
		})
	}
}

func TestInstallFailure(t *testing.T) {
	h := newHarness(t, "push")
	h.env["INPUT_COMMAND"] = "ci"
	h.write("package.json", `{"name":"app","version":"1.0.0","dependencies":{"left-pad":"^9.0.0"}}`)
	_, lock := lockJSON(nil, "1.3.0", "")
	h.write("package-lock.json", lock)
	_, err := h.run()
	if err == nil || !IsInputError(err) {
		t.Fatalf("err = %v, want the installer's input error (out of sync)", err)
	}
	if s := h.file("GITHUB_STEP_SUMMARY"); !strings.Contains(s, "install failed") {
		t.Errorf("summary:\n%s", s)
	}
}

// TestNoFileCommands: outside a runner (no GITHUB_OUTPUT/STEP_SUMMARY) the
// action still works and does not panic.
func TestNoFileCommands(t *testing.T) {
	h := newHarness(t, "push")
	delete(h.env, "GITHUB_OUTPUT")
	delete(h.env, "GITHUB_STEP_SUMMARY")
	h.env["INPUT_BASE-REF"] = "main"
	_, base := lockJSON(nil, "1.2.0", "")
	pj, head := lockJSON(nil, "1.3.0", "")
	h.write("package.json", pj)
	h.write("package-lock.json", head)
	h.gh.SetContents(repo, "main", "package-lock.json", []byte(base))
	h.gh.Register("GET", "/repos/{owner}/{repo}/contents/{path...}", h.gh.GetContents())
	res, err := h.run()
	if err != nil || !res.LockfileChanged || res.Summary.Upgraded != 1 {
		t.Fatalf("run: %+v %v", res, err)
	}
}

// TestResolveAndInstallCommands: command resolve writes the lockfile npm
// would write from package.json; command install also installs it.
func TestResolveAndInstallCommands(t *testing.T) {
	for _, command := range []string{"resolve", "install"} {
		t.Run(command, func(t *testing.T) {
			h := newHarness(t, "push")
			reg := registry(t)
			h.env["INPUT_COMMAND"] = command
			h.env["INPUT_REGISTRY"] = reg.URL()
			h.env["INPUT_NODE-VERSION"] = "v20.0.0"
			h.write("package.json", `{"name":"web","version":"1.0.0","dependencies":{"left-pad":"^1.2.0","is-odd":"3.0.1"}}`+"\n")
			res, err := h.run()
			if err != nil {
				t.Fatalf("%v\n%s%s", err, h.out.String(), h.err.String())
			}
			lock, err := os.ReadFile(filepath.Join(h.ws, "package-lock.json"))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{`"node_modules/left-pad": {`, `"version": "1.3.0"`, `"node_modules/is-odd": {`} {
				if !strings.Contains(string(lock), want) {
					t.Errorf("lockfile lacks %s:\n%s", want, lock)
				}
			}
			_, statErr := os.Stat(filepath.Join(h.ws, "node_modules/left-pad/index.js"))
			if installed := statErr == nil; installed != (command == "install") {
				t.Errorf("node_modules installed = %v after %s", installed, command)
			}
			var rep struct{ Command string }
			if data, err := os.ReadFile(res.ReportPath); err != nil || json.Unmarshal(data, &rep) != nil || rep.Command != command {
				t.Errorf("report %q: %s %v", res.ReportPath, data, err)
			}
			if !strings.Contains(h.out.String(), "::group::lockstep "+command) {
				t.Errorf("log lacks the %s group:\n%s", command, h.out.String())
			}
		})
	}
}

// TestBenchCommand: command bench times lockstep beside the chosen tools on
// the working directory and writes the table to the job summary.
func TestBenchCommand(t *testing.T) {
	h := newHarness(t, "push")
	h.env["INPUT_COMMAND"] = "bench"
	h.env["INPUT_WORKING-DIRECTORY"] = "web"
	h.env["INPUT_BENCH-VS"] = "bun, npm"
	h.env["INPUT_BENCH-RUNS"] = "2"
	h.write("web/package.json", `{"name":"web"}`)
	h.write("web/package-lock.json", `{"name":"web","lockfileVersion":3,"requires":true,"packages":{"":{"name":"web"}}}`)
	var got bench.Options
	orig := benchRun
	benchRun = func(ctx context.Context, o bench.Options) ([]bench.Sample, error) {
		got = o
		var out []bench.Sample
		for _, tool := range o.Tools {
			for run := 1; run <= o.Runs; run++ {
				out = append(out, bench.Sample{Tool: tool, Fixture: "web", Phase: bench.PhaseCold, Run: run, WallMS: int64(1000 * run), Version: "1.0.0"})
			}
		}
		return out, nil
	}
	defer func() { benchRun = orig }()
	res, err := h.run()
	if err != nil {
		t.Fatalf("%v\n%s", err, h.out.String())
	}
	if want := []string{"lockstep", "bun", "npm"}; !slices.Equal(got.Tools, want) || got.Runs != 2 || len(got.Fixtures) != 1 || got.Fixtures[0] != filepath.Join(h.ws, "web") {
		t.Errorf("bench options: tools %v runs %d fixtures %v", got.Tools, got.Runs, got.Fixtures)
	}
	summary := h.file("GITHUB_STEP_SUMMARY")
	for _, want := range []string{"### lockstep bench · web", "| lockstep", "| bun", "p3_cold_install"} {
		if !strings.Contains(summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	if data, err := os.ReadFile(res.ReportPath); err != nil || !strings.Contains(string(data), `"tool": "bun"`) && !strings.Contains(string(data), `"tool":"bun"`) {
		t.Errorf("report %q: %s %v", res.ReportPath, data, err)
	}

	h.env["INPUT_BENCH-VS"] = "yarn"
	if _, err := h.run(); err == nil || !strings.Contains(err.Error(), `invalid value "yarn" for input bench-vs`) {
		t.Errorf("bench-vs yarn: %v", err)
	}
}
