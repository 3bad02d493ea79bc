package action

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v62/github"
)

// ghClient is the GitHub REST client with lockstep's retry policy.
type ghClient struct {
	c       *github.Client
	retries int
	maxWait time.Duration
	logf    func(format string, args ...any)
}

// client returns the run's GitHub client, built on first use. The base URL
// is GITHUB_API_URL exactly (api.github.com, a GHES /api/v3, a ghe.com
// tenant or a test server).
func (r *runner) client() *ghClient {
	if r.gc != nil {
		return r.gc
	}
	c := github.NewClient(r.o.HTTPClient)
	if r.in.token != "" {
		c = c.WithAuthToken(r.in.token)
	}
	if u, err := url.Parse(r.gh.apiURL + "/"); err == nil && r.gh.apiURL != "" {
		c.BaseURL = u
	}
	c.UserAgent = "lockstep-action/" + r.o.Version
	r.gc = &ghClient{c: c, retries: r.o.Retries, maxWait: r.o.MaxRetryWait,
		logf: func(f string, args ...any) { fmt.Fprintf(r.o.Stdout, f, args...) }}
	return r.gc
}

// call runs f, retrying after secondary rate limits (403 with the
// secondary-rate-limit documentation URL, or 429) as GitHub asks: after
// Retry-After, else a minute, capped at maxWait.
func (g *ghClient) call(ctx context.Context, what string, f func() (*github.Response, error)) error {
	for attempt := 0; ; attempt++ {
		_, err := f()
		if err == nil {
			return nil
		}
		wait, ok := retryAfter(err)
		if !ok || attempt >= g.retries {
			return err
		}
		wait = min(wait, g.maxWait)
		g.logf("lockstep: GitHub secondary rate limit on %s; retrying in %s\n", what, wait.Round(time.Second))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// retryAfter tells whether err is a secondary rate limit and how long to
// wait.
func retryAfter(err error) (time.Duration, bool) {
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		if abuse.RetryAfter != nil && *abuse.RetryAfter >= 0 {
			return *abuse.RetryAfter, true
		}
		return time.Minute, true
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusTooManyRequests {
		if s, perr := strconv.Atoi(er.Response.Header.Get("Retry-After")); perr == nil && s >= 0 {
			return time.Duration(s) * time.Second, true
		}
		return time.Minute, true
	}
	return 0, false
}

// isPermission reports a 403 or 404 that is not a rate limit: the token
// may not write (or see) the pull request.
func isPermission(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil &&
		(er.Response.StatusCode == http.StatusForbidden || er.Response.StatusCode == http.StatusNotFound)
}

func isNotFound(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusNotFound
}

// errSummary is a short form of a GitHub error: status and message.
func errSummary(err error) string {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return fmt.Sprintf("%d %s", er.Response.StatusCode, er.Message)
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		return "secondary rate limit: " + abuse.Message
	}
	return err.Error()
}

func splitRepo(repo string) (owner, name string, err error) {
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("invalid repository %q: expected owner/name", repo)
	}
	return owner, name, nil
}

// contents reads path of repo at ref through the contents API, raw (files
// up to 100 MB). A missing file is (nil, nil).
func (g *ghClient) contents(ctx context.Context, repo, path, ref string) ([]byte, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return nil, err
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	u := fmt.Sprintf("repos/%s/%s/contents/%s?ref=%s", url.PathEscape(owner), url.PathEscape(name), strings.Join(segs, "/"), url.QueryEscape(ref))
	var buf bytes.Buffer
	err = g.call(ctx, "get contents", func() (*github.Response, error) {
		buf.Reset()
		req, err := g.c.NewRequest(http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Accept", "application/vnd.github.raw+json")
		return g.c.Do(ctx, req, &buf)
	})
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// upsertComment keeps the one comment of the pull request whose first line
// is marker: edited in place when found on any page, created otherwise
// (unless onlyUpdate). It returns the comment's id and what it did:
// "created", "updated", "unchanged" or "skipped".
func (g *ghClient) upsertComment(ctx context.Context, repo string, number int, marker, body string, onlyUpdate bool) (int64, string, error) {
	owner, name, err := splitRepo(repo)
	if err != nil {
		return 0, "", err
	}
	existing, err := g.findComment(ctx, owner, name, number, marker)
	if err != nil {
		return 0, "", err
	}
	if existing != nil {
		if existing.GetBody() == body {
			return existing.GetID(), "unchanged", nil
		}
		err := g.call(ctx, "edit comment", func() (*github.Response, error) {
			_, resp, err := g.c.Issues.EditComment(ctx, owner, name, existing.GetID(), &github.IssueComment{Body: github.String(body)})
			return resp, err
		})
		return existing.GetID(), "updated", err
	}
	if onlyUpdate {
		return 0, "skipped", nil
	}
	var created *github.IssueComment
	err = g.call(ctx, "create comment", func() (*github.Response, error) {
		c, resp, err := g.c.Issues.CreateComment(ctx, owner, name, number, &github.IssueComment{Body: github.String(body)})
		created = c
		return resp, err
	})
	if err != nil {
		return 0, "", err
	}
	return created.GetID(), "created", nil
}

// findComment walks every page of the pull request's comments, oldest
// first, and returns the first whose first line is marker.
func (g *ghClient) findComment(ctx context.Context, owner, name string, number int, marker string) (*github.IssueComment, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		var page []*github.IssueComment
		var next int
		err := g.call(ctx, "list comments", func() (*github.Response, error) {
			cs, resp, err := g.c.Issues.ListComments(ctx, owner, name, number, opts)
			page = cs
			if resp != nil {
				next = resp.NextPage
			}
			return resp, err
		})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			first, _, _ := strings.Cut(c.GetBody(), "\n")
			if strings.TrimRight(first, "\r ") == marker {
				return c, nil
			}
		}
		if next == 0 {
			return nil, nil
		}
		opts.Page = next
	}
}
