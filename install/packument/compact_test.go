package packument

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func TestCutConventional(t *testing.T) {
	for _, c := range []struct{ url, name, version, prefix string }{
		{"https://r.example/a/-/a-1.0.0.tgz", "a", "1.0.0", "https://r.example/"},
		{"https://r.example/@s/x/-/x-2.0.0-beta.1.tgz", "@s/x", "2.0.0-beta.1", "https://r.example/"},
		{"https://r.example/a/-/a-1.0.0.tgz", "a", "1.0.1", ""},
		{"https://r.example/b/-/a-1.0.0.tgz", "a", "1.0.0", ""},
		{"https://r.example/a/-/a-1.0.0.tar.gz", "a", "1.0.0", ""},
	} {
		prefix, ok := cutConventional(c.url, c.name, c.version)
		want, wantOK := strings.CutSuffix(c.url, ConventionalTarball(c.name, c.version))
		if prefix != c.prefix || ok != wantOK || ok && prefix != want {
			t.Errorf("cutConventional(%q, %q, %q) = %q, %v; want %q", c.url, c.name, c.version, prefix, ok, c.prefix)
		}
	}
}

// TestTopKind checks topKind's switch against fieldKeys.
func TestTopKind(t *testing.T) {
	for k := FieldName; k < fieldEnd; k++ {
		want := k
		switch k {
		case FieldDistTarball, FieldDistIntegrity, FieldDistShasum:
			want = 0 // inside "dist"
		}
		if got := topKind(fieldKeys[k]); got != want {
			t.Errorf("topKind(%q) = %d, want %d", fieldKeys[k], got, want)
		}
	}
	for _, key := range []string{"", "dist", "scripts", "readme", "Name", "version"} {
		if got := topKind(key); got != 0 {
			t.Errorf("topKind(%q) = %d, want 0", key, got)
		}
	}
}

// TestAppendSHA1 checks which shasums are stored as bytes: exactly 40
// lowercase hex digits (anything else is kept as text, so it reads back
// as it was).
func TestAppendSHA1(t *testing.T) {
	valid := "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{valid, true},
		{strings.ToUpper(valid), false},
		{valid[:39], false},
		{valid + "8", false},
		{valid[:39] + "g", false},
		{"g" + valid[1:], false},
		{"", false},
	} {
		out, ok := appendSHA1([]byte{9}, 5, tc.in)
		if ok != tc.ok {
			t.Errorf("appendSHA1(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			continue
		}
		want := []byte{9}
		if ok {
			sum, _ := hex.DecodeString(tc.in)
			want = append(append(want, 5), sum...)
		}
		if !bytes.Equal(out, want) {
			t.Errorf("appendSHA1(%q) = %x, want %x", tc.in, out, want)
		}
	}
}
