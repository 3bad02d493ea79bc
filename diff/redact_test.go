package diff

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"resolved over plain http: http://u:s3cret@h:1/a/-/a-1.0.0.tgz", "resolved over plain http: http://***@h:1/a/-/a-1.0.0.tgz"},
		{"git+https://ghp_tok3n@github.com/o/r.git#abc", "git+https://***@github.com/o/r.git#abc"},
		{"git+ssh://git@github.com/o/r.git#abc", "git+ssh://git@github.com/o/r.git#abc"},
		{"from https://a:b@x/1 to https://c:d@y/2", "from https://***@x/1 to https://***@y/2"},
		{"https://x.test/@scope/a/-/a-1.0.0.tgz", "https://x.test/@scope/a/-/a-1.0.0.tgz"},
		{"https://u:p%40ss@h", "https://***@h"},
		{"no url, user@example.com", "no url, user@example.com"},
		{"", ""},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFlagsRedactCredentials checks that a lockfile URL's password never
// reaches a flag's detail.
func TestFlagsRedactCredentials(t *testing.T) {
	const secret = "hunter2secret"
	head := &Lockfile{Format: "npm-v3", Packages: []Package{
		{Name: "a", Version: "1.0.0", Resolved: "http://user:" + secret + "@127.0.0.1:9/a/-/a-1.0.0.tgz", Integrity: "sha512-x"},
		{Name: "b", Version: "1.0.0", Resolved: "git+https://" + secret + "@github.com/o/b.git#abc"},
	}}
	r := Compare(&Lockfile{Format: "npm-v3"}, head, Options{})
	if len(r.Flags) == 0 {
		t.Fatal("no flags raised")
	}
	for _, f := range r.Flags {
		if strings.Contains(f.Detail, secret) {
			t.Errorf("flag %s of %s leaks the password: %s", f.Flag, f.Name, f.Detail)
		}
	}
}
