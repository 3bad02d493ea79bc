package action

import (
	"fmt"
	"os"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// ghContext is what the action needs of the GitHub context.
type ghContext struct {
	eventName string
	repo      string // owner/name of the workflow's repository
	apiURL    string
	workspace string
	pr        *pullRequest // nil outside pull_request and pull_request_target
}

type pullRequest struct {
	number             int
	baseSHA, headSHA   string
	baseRef            string // the base branch, e.g. "main"
	baseRepo, headRepo string // owner/name
	fork               bool
}

func readContext(a *githubactions.Action, getenv func(string) string) (*ghContext, error) {
	c, err := a.Context()
	if c == nil {
		return nil, &InputError{fmt.Sprintf("failed to read the GitHub context: %v", err)}
	}
	g := &ghContext{eventName: c.EventName, repo: c.Repository, apiURL: strings.TrimSuffix(c.APIURL, "/"), workspace: c.Workspace}
	if g.workspace == "" {
		if wd, err := os.Getwd(); err == nil {
			g.workspace = wd
		}
	}
	if g.repo == "" {
		if o, n := c.Repo(); o != "" && n != "" {
			g.repo = o + "/" + n
		}
	}
	if g.eventName != "pull_request" && g.eventName != "pull_request_target" {
		return g, nil
	}
	prm, _ := c.Event["pull_request"].(map[string]any)
	if prm == nil {
		return nil, &InputError{fmt.Sprintf("failed to read the %s event at %q: it has no pull_request", g.eventName, c.EventPath)}
	}
	pr := &pullRequest{number: int(num(prm["number"]))}
	if pr.number == 0 {
		pr.number = int(num(c.Event["number"]))
	}
	pr.baseSHA, pr.baseRepo = side(prm, "base")
	pr.headSHA, pr.headRepo = side(prm, "head")
	if b, ok := prm["base"].(map[string]any); ok {
		pr.baseRef, _ = b["ref"].(string)
	}
	if pr.baseRef == "" {
		pr.baseRef = getenv("GITHUB_BASE_REF")
	}
	if pr.number <= 0 || pr.baseSHA == "" {
		return nil, &InputError{fmt.Sprintf("failed to read the %s event at %q: no pull request number or base sha", g.eventName, c.EventPath)}
	}
	if pr.baseRepo == "" {
		pr.baseRepo = g.repo
	}
	if pr.headRepo == "" {
		pr.headRepo = pr.baseRepo
	}
	pr.fork = !strings.EqualFold(pr.headRepo, pr.baseRepo)
	g.pr = pr
	return g, nil
}

// side reads pull_request.base or .head: its sha and repository.
func side(pr map[string]any, key string) (sha, repo string) {
	m, _ := pr[key].(map[string]any)
	if m == nil {
		return "", ""
	}
	sha, _ = m["sha"].(string)
	if r, ok := m["repo"].(map[string]any); ok {
		repo, _ = r["full_name"].(string)
	}
	return sha, repo
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}
