package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/lockfile"
	"github.com/lockstep-dev/lockstep/diff/render"
)

// runDiff is `lockstep diff`: it compares two lockfiles and prints the
// change as Markdown (the pull-request comment body) or JSON. It exits 0
// whether or not anything changed, 2 on bad flags or an unreadable lockfile.
func runDiff(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("diff", "lockstep diff --base FILE|GIT-REF --head FILE [--format markdown|json] [--registry URL]", stdio)
	base := fs.String("base", "", "the old lockfile: a `file`, or a git ref whose copy of the head's path is read (git show REF:path)")
	head := fs.String("head", "", "the new lockfile `file`")
	format := fs.String("format", "markdown", "output `format`: markdown or json")
	registryURL := fs.String("registry", "", "registry `URL` resolved tarballs may come from without a flag (default $npm_config_registry, else https://registry.npmjs.org/)")
	if code, done := parse(fs, args); done {
		return code
	}
	if *base == "" || *head == "" {
		fmt.Fprintln(stdio.Err, "lockstep diff: --base and --head are required")
		fs.Usage()
		return ExitUsage
	}
	if *format != "markdown" && *format != "json" {
		fmt.Fprintf(stdio.Err, "lockstep diff: invalid value %q for --format: expected \"markdown\" or \"json\"\n", *format)
		return ExitUsage
	}
	headData, err := os.ReadFile(*head)
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep diff: failed to read %q: %v\n", *head, unwrapPathError(err))
		return ExitUsage
	}
	baseName := *base
	baseData, err := os.ReadFile(*base)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stdio.Err, "lockstep diff: failed to read %q: %v\n", *base, unwrapPathError(err))
			return ExitUsage
		}
		// not a file: a git ref
		var gerr error
		baseData, baseName, gerr = gitShow(ctx, *base, *head)
		if gerr != nil {
			fmt.Fprintf(stdio.Err, "lockstep diff: failed to read %q: no such file, and not a git ref: %v\n", *base, gerr)
			return ExitUsage
		}
	}
	// a git copy is named "REF:path", so the head's file name picks its reader
	// both sides are read at once (the readers are independent)
	bl, hl, err := lockfile.ParsePair(baseData, baseName, headData, *head)
	if err != nil {
		fmt.Fprintf(stdio.Err, "lockstep diff: %v\n", err)
		return ExitUsage
	}
	reg := *registryURL
	if reg == "" {
		reg = getenv("npm_config_registry")
	}
	if reg == "" {
		reg = getenv("NPM_CONFIG_REGISTRY")
	}
	var regs []string
	if reg != "" {
		regs = []string{reg}
	}
	res := diff.Compare(bl, hl, diff.Options{BaseName: baseName, HeadName: *head, Registries: regs})
	for _, w := range res.Warnings {
		fmt.Fprintf(stdio.Err, "lockstep diff: warning: %s\n", w)
	}
	if *format == "json" {
		if err := render.JSON(stdio.Out, res); err != nil {
			fmt.Fprintf(stdio.Err, "lockstep diff: failed to write output: %v\n", err)
			return ExitFailure
		}
		return ExitOK
	}
	if _, err := fmt.Fprint(stdio.Out, render.Markdown(res)); err != nil {
		fmt.Fprintf(stdio.Err, "lockstep diff: failed to write output: %v\n", err)
		return ExitFailure
	}
	return ExitOK
}

// gitShow reads the head's path as it is at ref: `git show REF:./NAME` run
// in the head's directory. It returns the content and a label "REF:path".
func gitShow(ctx context.Context, ref, headPath string) ([]byte, string, error) {
	if strings.HasPrefix(ref, "-") || strings.ContainsAny(ref, ":\x00") {
		return nil, "", fmt.Errorf("%q is not a git ref", ref)
	}
	dir, name := filepath.Split(headPath)
	if dir == "" {
		dir = "."
	}
	cmd := exec.CommandContext(ctx, "git", "-C", dir, "show", ref+":./"+name)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, "", fmt.Errorf("git show: %s", msg)
	}
	return stdout.Bytes(), ref + ":" + filepath.ToSlash(headPath), nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
