package action

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rhysd/actionlint"
	"go.yaml.in/yaml/v3"
)

// lintProject lints every workflow in files (name → content) inside a
// throwaway repository whose root holds this repository's action.yml, so
// that `uses: ./` steps are checked against its inputs and outputs.
func lintProject(t *testing.T, files map[string]string) []*actionlint.Error {
	t.Helper()
	root := t.TempDir()
	wf := filepath.Join(root, ".github", "workflows")
	if err := os.MkdirAll(wf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	meta, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "action.yml"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
	// actionlint checks runs.image and runs.*entrypoint as files of the
	// action. The Dockerfile is one; the post-entrypoint is a file of the
	// image (TestActionYML checks that the runtime stage creates it), so
	// the project gets a stand-in at that path.
	if err := os.WriteFile(filepath.Join(root, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(meta, &a); err != nil {
		t.Fatal(err)
	}
	if post := a.Runs.PostEntrypoint; post != "" {
		p := filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(post, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var paths []string
	for name, content := range files {
		p := filepath.Join(wf, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	l, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{Color: actionlint.ColorOptionKindNever, Shellcheck: "", Pyflakes: ""})
	if err != nil {
		t.Fatal(err)
	}
	proj, err := actionlint.NewProject(root)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.LintFiles(paths, proj)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

// localUses points a workflow at the action in the repository root.
func localUses(s string) string {
	return strings.ReplaceAll(s, "uses: lockstep-dev/lockstep@v1", "uses: ./")
}

// TestWorkflowsLint runs actionlint over examples/workflows, as published
// (`uses: lockstep-dev/lockstep@v1`) and pointed at this checkout's
// action.yml (`uses: ./`), which checks every `with:` input and
// `steps.*.outputs.*` against action.yml. Any finding fails.
func TestWorkflowsLint(t *testing.T) {
	dir := filepath.Join(repoRoot, "examples", "workflows")
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".yml") && !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "uses: lockstep-dev/lockstep@v1") {
			t.Errorf("%s does not use lockstep-dev/lockstep@v1", e.Name())
		}
		files[e.Name()] = string(data)
		files["local-"+e.Name()] = localUses(string(data))
	}
	if len(files) < 6 {
		t.Fatalf("%d example workflows, want at least 3", len(files)/2)
	}
	for _, e := range lintProject(t, files) {
		t.Errorf("actionlint: %s:%d:%d: %s [%s]", filepath.Base(e.Filepath), e.Line, e.Column, e.Message, e.Kind)
	}
}

// TestWorkflowsLintCatches: the lint really reads action.yml — an unknown
// input, an unknown output and bad syntax are findings.
func TestWorkflowsLintCatches(t *testing.T) {
	const tmpl = `name: t
on: pull_request
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: ls
        uses: ./
        with:
          %s
      - run: echo "$X"
        env:
          X: ${{ steps.ls.outputs.%s }}
`
	for _, tc := range []struct {
		name, with, output string
		want               string
	}{
		{"good", "cache: all", "cache-hit", ""},
		{"unknown input", "cach: all", "cache-hit", `input "cach" is not defined`},
		{"unknown output", "cache: all", "cache_hits", `property "cache_hits" is not defined`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			errs := lintProject(t, map[string]string{"w.yml": fmt.Sprintf(tmpl, tc.with, tc.output)})
			var msgs []string
			for _, e := range errs {
				msgs = append(msgs, e.Message)
			}
			got := strings.Join(msgs, "; ")
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}
