package registry

import (
	"context"
	"io"
	"net/http"
)

// Validators are the cache validators of a response: its ETag and
// Last-Modified headers, verbatim ("" when absent).
type Validators struct {
	ETag         string
	LastModified string
}

// IsZero reports whether there is nothing to revalidate with.
func (v Validators) IsZero() bool { return v.ETag == "" && v.LastModified == "" }

// setHeaders adds the conditional request headers. Both are sent when both
// are known, as npm's make-fetch-happen does; a server that supports
// If-None-Match then ignores If-Modified-Since (RFC 9110 §13.2.2).
func (v Validators) setHeaders(h http.Header) {
	if v.ETag != "" {
		h["If-None-Match"] = []string{v.ETag}
	}
	if v.LastModified != "" {
		h["If-Modified-Since"] = []string{v.LastModified}
	}
}

func validatorsOf(h http.Header) Validators {
	return Validators{ETag: h.Get("ETag"), LastModified: h.Get("Last-Modified")}
}

// FetchConditional is Fetch with revalidation: when cond is not zero, its
// ETag is sent as If-None-Match and its Last-Modified as
// If-Modified-Since. A 304 Not Modified answer returns notModified true
// without calling fn (the caller keeps its copy). Otherwise fn gets the
// body of a 2xx response, as with Fetch, and the response's validators to
// store for next time. A 304 to a request that sent no validators is an
// error (*HTTPError), as it is for Fetch.
func (c *Client) FetchConditional(ctx context.Context, rawURL, accept string, cond Validators, fn func(body io.Reader, v Validators) error) (notModified bool, err error) {
	return c.fetch(ctx, rawURL, accept, &cond, fn)
}
