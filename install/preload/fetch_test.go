package preload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/install/npmrc"
	"github.com/lockstep-dev/lockstep/internal/testserver"
)

// TestFetchDocBodyLengths: a document is read in place when the response
// gives its length and through pooled chunks when it does not (chunked
// encoding), and both give the same packument; a body shorter than its
// Content-Length is retried.
func TestFetchDocBodyLengths(t *testing.T) {
	src := testserver.NewRegistry(t, project()...)
	doc := src.Packument("a")
	// Pad past a few chunks so that the chunked path joins several.
	doc = []byte(strings.Replace(string(doc), `{`, `{"readme":"`+strings.Repeat("x", 3*chunkSize)+`",`, 1))
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/json")
		switch strings.Split(r.URL.Path, "/")[1] {
		case "chunked":
			for i := 0; i < len(doc); i += 1000 {
				w.Write(doc[i:min(i+1000, len(doc))])
				w.(http.Flusher).Flush()
			}
		case "short":
			if hits == 1 {
				w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
				w.Write(doc[:len(doc)/2])
				return
			}
			fallthrough
		default:
			w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
			w.Write(doc)
		}
	}))
	t.Cleanup(srv.Close)
	var got []any
	for _, mode := range []string{"length", "chunked", "short"} {
		hits = 0
		home := t.TempDir()
		cfg, err := npmrc.Load(npmrc.LoadOptions{Dir: home, Home: home, Getenv: func(string) string { return "" }, Environ: []string{},
			Flags: map[string]string{"registry": srv.URL + "/" + mode + "/", "fetch-retries": "1"}})
		if err != nil {
			t.Fatal(err)
		}
		var body []byte
		err = FetchDoc(context.Background(), fakeClient(t, cfg, nil), "a", "", func(b []byte) error {
			body = append([]byte(nil), b...)
			return nil
		})
		if err != nil || string(body) != string(doc) {
			t.Fatalf("%s: %d of %d bytes, %v", mode, len(body), len(doc), err)
		}
		if want := map[string]int{"short": 2}[mode]; want != 0 && hits != want {
			t.Errorf("%s: %d requests, want %d", mode, hits, want)
		}
		got = append(got, body)
	}
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Error("the chunked and the sized body differ")
	}
}
