package registry

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestFetchConditional revalidates a packument against the fake registry:
// a 200 brings validators, sending them back gets a 304 without a body,
// and a change to the document gets a 200 with new validators.
func TestFetchConditional(t *testing.T) {
	reg := testserver.NewRegistry(t, testserver.Package{Name: "a", Version: "1.0.0"}, testserver.Package{Name: "@s/b", Version: "2.0.0"})
	c := newClient(t, config(t, "registry="+reg.URL()), nil)
	for _, name := range []string{"a", "@s/b"} {
		t.Run(name, func(t *testing.T) {
			url := c.PackumentURL(name)
			fetch := func(cond Validators) (bool, []byte, Validators) {
				t.Helper()
				var body []byte
				var got Validators
				calls := 0
				nm, err := c.FetchConditional(t.Context(), url, "application/json", cond, func(r io.Reader, v Validators) error {
					calls++
					got = v
					var err error
					body, err = io.ReadAll(r)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if nm == (calls > 0) {
					t.Fatalf("notModified %v but fn called %d times", nm, calls)
				}
				return nm, body, got
			}
			reg.ResetStats()
			nm, body, v := fetch(Validators{})
			if nm || len(body) == 0 || v.ETag == "" || v.LastModified == "" {
				t.Fatalf("first fetch: notModified %v, %d bytes, validators %+v", nm, len(body), v)
			}
			for _, cond := range []Validators{v, {ETag: v.ETag}, {LastModified: v.LastModified}} {
				if nm, _, _ := fetch(cond); !nm {
					t.Errorf("revalidation with %+v: got a body, want 304", cond)
				}
			}
			if s := reg.Stats(); s.NotModified != 3 || s.Requests != 4 {
				t.Errorf("registry saw %d requests and answered %d with 304, want 4 and 3", s.Requests, s.NotModified)
			}
			// a new version changes the document and its ETag
			reg.Add(testserver.Package{Name: name, Version: "9.0.0"})
			nm, body2, v2 := fetch(Validators{ETag: v.ETag})
			if nm || string(body2) == string(body) || v2.ETag == v.ETag || v2.ETag == "" {
				t.Errorf("after a change: notModified %v, same body %v, ETag %q (was %q)", nm, string(body2) == string(body), v2.ETag, v.ETag)
			}
		})
	}
}

// TestFetchConditionalHeaders checks the request headers and the 304
// rules on a plain server.
func TestFetchConditionalHeaders(t *testing.T) {
	var inm, ims []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inm = append(inm, r.Header.Get("If-None-Match"))
		ims = append(ims, r.Header.Get("If-Modified-Since"))
		if r.URL.Path == "/always304" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		io.WriteString(w, "{}") //nolint:errcheck
	}))
	defer srv.Close()
	c := newClient(t, config(t, ""), nil)
	ok := func(io.Reader, Validators) error { return nil }

	cond := Validators{ETag: `W/"abc"`, LastModified: "Mon, 02 Jan 2006 15:04:05 GMT"}
	if _, err := c.FetchConditional(t.Context(), srv.URL+"/doc", "", cond, ok); err != nil {
		t.Fatal(err)
	}
	if inm[0] != cond.ETag || ims[0] != cond.LastModified {
		t.Errorf("sent If-None-Match %q, If-Modified-Since %q; want %q and %q", inm[0], ims[0], cond.ETag, cond.LastModified)
	}
	var got Validators
	if _, err := c.FetchConditional(t.Context(), srv.URL+"/doc", "", Validators{}, func(_ io.Reader, v Validators) error { got = v; return nil }); err != nil {
		t.Fatal(err)
	}
	if inm[1] != "" || ims[1] != "" {
		t.Errorf("an unconditional request sent If-None-Match %q, If-Modified-Since %q", inm[1], ims[1])
	}
	if got.LastModified != "Mon, 02 Jan 2006 15:04:05 GMT" || got.ETag != "" {
		t.Errorf("validators %+v, want the Last-Modified alone", got)
	}
	// a 304 answers only a conditional request
	var he *HTTPError
	if _, err := c.FetchConditional(t.Context(), srv.URL+"/always304", "", Validators{}, ok); !errors.As(err, &he) || he.Status != http.StatusNotModified {
		t.Errorf("304 to an unconditional request: err %v, want an *HTTPError 304", err)
	}
	if err := c.Fetch(t.Context(), srv.URL+"/always304", "", func(io.Reader) error { return nil }); !errors.As(err, &he) {
		t.Errorf("304 to Fetch: err %v, want an *HTTPError", err)
	}
	if nm, err := c.FetchConditional(t.Context(), srv.URL+"/always304", "", cond, ok); err != nil || !nm {
		t.Errorf("304 to a conditional request: notModified %v, err %v", nm, err)
	}
}
