package action

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lockstep-dev/lockstep/cache/actionscache"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

// Timing history in the Actions cache: runs on a branch (push, schedule,
// workflow_dispatch) append their report to that branch's history and save
// it under a fresh key; a pull request restores its base branch's newest
// history (pull requests may read base-branch caches) and the comment
// compares this run against it (timing.Compare). Pull request runs do not
// record: their cache scope is visible to nobody else.

const historyFile = "history.json"

// historyKey is the key prefix of branch's timing history.
func historyKey(prefix, branch string) string {
	return actionscache.Key(prefix, "timings", "", []byte(branch)) + "-"
}

// loadHistory restores branch's newest history; a miss is an empty one.
func (r *runner) loadHistory(ctx context.Context, c *actionscache.Client, branch string) (timing.History, error) {
	dir, err := os.MkdirTemp(r.tempDir(), "lockstep-timings-*")
	if err != nil {
		return timing.History{}, err
	}
	defer os.RemoveAll(dir)
	target := filepath.Join(dir, "h")
	key := historyKey(r.in.cacheKeyPrefix, branch)
	res, err := c.RestoreDir(ctx, target, key, []string{key})
	if err != nil || res == nil {
		return timing.History{}, err
	}
	data, err := os.ReadFile(filepath.Join(target, historyFile))
	if err != nil {
		return timing.History{}, err
	}
	return timing.ParseHistory(data)
}

func (r *runner) tempDir() string {
	if t := r.o.Getenv("RUNNER_TEMP"); t != "" {
		return t
	}
	return os.TempDir()
}

// timingComparison renders this run against the pull request's base
// branch history; "" when there is none (then the plain table is shown).
func (r *runner) timingComparison(ctx context.Context) string {
	c := r.cacheClient()
	if c == nil || !c.CanRestore() || r.report == nil || r.gh.pr == nil || r.gh.pr.baseRef == "" {
		return ""
	}
	h, err := r.loadHistory(ctx, c, r.gh.pr.baseRef)
	if err != nil {
		r.a.Warningf("lockstep: failed to read the timing history of %q: %v", r.gh.pr.baseRef, err)
		return ""
	}
	if len(h.Reports) == 0 {
		fmt.Fprintf(r.o.Stdout, "lockstep: no timing history recorded for %q yet\n", r.gh.pr.baseRef)
		return ""
	}
	cmp := timing.Compare(*r.report, h.Reports, timing.CompareOptions{BaseLabel: r.gh.pr.baseRef})
	return cmp.Markdown()
}

// recordTimings appends this run's report to its branch's history (runs
// outside pull requests only) and saves it under a fresh key.
func (r *runner) recordTimings(ctx context.Context) {
	c := r.cacheClient()
	branch := r.o.Getenv("GITHUB_REF_NAME")
	if c == nil || !c.CanSave() || r.report == nil || r.gh.pr != nil || branch == "" || r.o.Getenv("GITHUB_REF_TYPE") == "tag" {
		return
	}
	h := timing.History{}
	if c.CanRestore() {
		var err error
		if h, err = r.loadHistory(ctx, c, branch); err != nil {
			r.a.Warningf("lockstep: failed to read the timing history of %q: %v", branch, err)
			return // do not overwrite a history we could not read
		}
	}
	h.Add(*r.report)
	dir, err := os.MkdirTemp(r.tempDir(), "lockstep-timings-*")
	if err != nil {
		r.a.Warningf("lockstep: failed to record timings: %v", err)
		return
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, historyFile), h.JSON(), 0o644); err != nil {
		r.a.Warningf("lockstep: failed to record timings: %v", err)
		return
	}
	run := r.o.Getenv("GITHUB_RUN_ID") + "-" + r.o.Getenv("GITHUB_RUN_ATTEMPT")
	key := historyKey(r.in.cacheKeyPrefix, branch) + run
	_, err = c.SaveDir(ctx, dir, key, nil)
	switch {
	case errors.Is(err, actionscache.ErrExists):
	case err != nil:
		r.a.Warningf("lockstep: timing history not saved: %v", err)
	default:
		fmt.Fprintf(r.o.Stdout, "lockstep: recorded this run in the timing history of %q (%d runs)\n", branch, len(h.Reports))
	}
}
