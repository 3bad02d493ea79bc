package cli

import (
	"context"
	"fmt"

	"github.com/lockstep-dev/lockstep/internal/action"
)

// runAction is `lockstep action`, the entrypoint of the container action
// (`lockstep action --post` is its post-entrypoint, which saves the cache):
// everything it needs comes from the environment the runner sets (INPUT_*,
// GITHUB_*, RUNNER_*), so it takes no flags. It exits 0 when the step
// succeeds (a missing comment permission is only a warning), 2 for bad
// inputs or project files, 1 when the install fails.
func runAction(ctx context.Context, args []string, stdio Stdio, getenv func(string) string) int {
	fs := newFlagSet("action", "lockstep action [--post] (run by the GitHub Action; configured through INPUT_* variables)", stdio)
	post := fs.Bool("post", false, "run the post step: save the Actions cache the main step recorded in its state (never fails)")
	if code, done := parse(fs, args); done {
		return code
	}
	if *post {
		action.Post(ctx, action.Options{Getenv: getenv, Stdout: stdio.Out, Stderr: stdio.Err, Version: Version})
		return ExitOK
	}
	_, err := action.Run(ctx, action.Options{
		Getenv: getenv, Stdout: stdio.Out, Stderr: stdio.Err, Version: Version,
	})
	if err != nil {
		// ::error:: makes the failure an annotation on the run.
		fmt.Fprintf(stdio.Out, "::error title=lockstep::%s\n", actionEscape(err.Error()))
		if action.IsInputError(err) {
			return ExitUsage
		}
		return ExitFailure
	}
	return ExitOK
}

// actionEscape escapes a workflow command's message like the toolkit does.
func actionEscape(s string) string {
	r := []rune{}
	for _, c := range s {
		switch c {
		case '%':
			r = append(r, []rune("%25")...)
		case '\r':
			r = append(r, []rune("%0D")...)
		case '\n':
			r = append(r, []rune("%0A")...)
		default:
			r = append(r, c)
		}
	}
	return string(r)
}
