package scripts

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// RunBuild runs arborist's order: dependencies (preinstall, bins,
// install, postinstall), then links (preinstall, prepare, their bins,
// install, postinstall) sorted by where the link is rather than its
// target, then AfterBuild, then the root's dependencies events (output
// captured) and its ci events (printed).
func TestRunBuildOrder(t *testing.T) {
	project := t.TempDir()
	const rec = `echo "$npm_package_name:$npm_lifecycle_event" >> "$INIT_CWD/order.log"`
	all := map[string]string{"preinstall": rec, "install": rec, "postinstall": rec, "prepare": rec, "preprepare": rec}
	deps := writePkgs(t, project, []testPkg{{path: "node_modules/dep", name: "dep", scripts: all}})
	// The link at node_modules/a-link points at packages/zz, the one at
	// node_modules/b-link at packages/aa: order follows the link paths.
	links := writePkgs(t, project, []testPkg{
		{path: "packages/zz", name: "first", scripts: all, onDisk: true},
		{path: "packages/aa", name: "second", scripts: all, onDisk: true},
	})
	links[0].Path, links[1].Path = "node_modules/a-link", "node_modules/b-link"
	root := writePkgs(t, project, []testPkg{{path: "", name: "root", onDisk: true, scripts: map[string]string{
		"dependencies": rec + "; echo hidden-output", "postinstall": rec + "; echo shown-output", "prepare": rec}}})[0]
	root.Scripts = nil
	var stdout bytes.Buffer
	mark := func(s string) func() error {
		return func() error {
			f, err := os.OpenFile(filepath.Join(project, "order.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteString(s + "\n")
			return err
		}
	}
	r := &Runner{ProjectDir: project, Stdout: &stdout}
	_, err := r.RunBuild(context.Background(), Build{
		Deps: deps, Links: links, Root: &root, RootDependencies: true,
		LinkBins: mark("bins"), LinkLinkBins: mark("link-bins"),
		AfterBuild: func(Result) error { return mark("after")() },
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(project, "order.log"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"dep:preinstall", "bins", "dep:install", "dep:postinstall",
		"first:preinstall", "second:preinstall", "first:prepare", "second:prepare", "link-bins",
		"first:install", "second:install", "first:postinstall", "second:postinstall",
		"after", "root:dependencies", "root:postinstall", "root:prepare",
	}
	if got := strings.Fields(string(data)); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("order\n%v\nwant\n%v", got, want)
	}
	if out := stdout.String(); strings.Contains(out, "hidden-output") || !strings.Contains(out, "shown-output") {
		t.Errorf("stdout = %q: want the root postinstall's output only", out)
	}

	// Without RootDependencies (nothing installed) the dependencies
	// script does not run; IgnoreScripts only links bins.
	os.Remove(filepath.Join(project, "order.log"))
	r.IgnoreScripts = true
	if _, err := r.RunBuild(context.Background(), Build{Deps: deps, Links: links, Root: &root,
		LinkBins: mark("bins"), LinkLinkBins: mark("link-bins")}); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(filepath.Join(project, "order.log"))
	if got := strings.Join(strings.Fields(string(data)), " "); got != "bins link-bins" {
		t.Errorf("with IgnoreScripts: %q, want bins then link-bins", got)
	}
}
