package integrity

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

var data = []byte("hello, lockstep\n")

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sums() (s1, s256, s384, s512 []byte) {
	a := sha1.Sum(data)
	b := sha256.Sum256(data)
	c := sha512.Sum384(data)
	d := sha512.Sum512(data)
	return a[:], b[:], c[:], d[:]
}

func TestParse(t *testing.T) {
	s1, s256, s384, s512 := sums()
	tests := []struct {
		name     string
		in       string
		algo     string
		digest   []byte
		errMatch string
	}{
		{"sha512 only", "sha512-" + b64(s512), "sha512", s512, ""},
		{"sha1 only", "sha1-" + b64(s1), "sha1", s1, ""},
		{"strongest wins, weak first", "sha1-" + b64(s1) + " sha512-" + b64(s512), "sha512", s512, ""},
		{"strongest wins, strong first", "sha512-" + b64(s512) + " sha1-" + b64(s1), "sha512", s512, ""},
		{"sha384 over sha256", "sha256-" + b64(s256) + "\tsha384-" + b64(s384), "sha384", s384, ""},
		{"sha256 over sha1", "  sha256-" + b64(s256) + "\n sha1-" + b64(s1) + " ", "sha256", s256, ""},
		{"options ignored", "sha512-" + b64(s512) + "?foo?bar=baz", "sha512", s512, ""},
		{"unknown algo skipped", "md5-AAAA sha1-" + b64(s1) + " sha3-xyz", "sha1", s1, ""},
		{"unpadded base64", "sha1-" + strings.TrimRight(b64(s1), "="), "sha1", s1, ""},
		{"first of same algo", "sha512-" + b64(s512) + " sha512-" + b64(make([]byte, 64)), "sha512", s512, ""},
		{"empty", "", "", nil, "no sha512"},
		{"only unknown", "md5-abcd whirlpool-xx", "", nil, "no sha512"},
		{"garbage", "not an sri", "", nil, "no sha512"},
		{"uppercase algo is unknown", "SHA512-" + b64(s512), "", nil, "no sha512"},
		{"bad base64", "sha512-!!!!", "", nil, "not base64"},
		{"wrong length", "sha512-" + b64(s1), "", nil, "has 20 bytes, want 64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.errMatch != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errMatch) {
					t.Fatalf("Parse(%q) error = %v, want containing %q", tc.in, err, tc.errMatch)
				}
				if !strings.HasPrefix(err.Error(), "failed to parse integrity") {
					t.Errorf("error %q lacks the 'failed to' prefix", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got.Algo != tc.algo || hex.EncodeToString(got.Digest) != hex.EncodeToString(tc.digest) {
				t.Errorf("Parse(%q) = %s, want %s-%s", tc.in, got, tc.algo, b64(tc.digest))
			}
		})
	}
}

func TestStringKeyRoundTrip(t *testing.T) {
	_, _, _, s512 := sums()
	in := "sha512-" + b64(s512)
	sri, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if sri.String() != in {
		t.Errorf("String() = %q, want %q", sri.String(), in)
	}
	wantKey := "sha512-" + hex.EncodeToString(s512)
	if sri.Key() != wantKey {
		t.Errorf("Key() = %q, want %q", sri.Key(), wantKey)
	}
	for _, c := range sri.Key() {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			t.Fatalf("Key() has unsafe character %q", c)
		}
	}
	again, err := Parse(sri.String())
	if err != nil || again.Key() != sri.Key() {
		t.Errorf("round trip changed the key: %v %q", err, again.Key())
	}
}

func TestFromShasum(t *testing.T) {
	s1, _, _, _ := sums()
	tests := []struct {
		in      string
		wantErr bool
	}{
		{hex.EncodeToString(s1), false},
		{strings.ToUpper(hex.EncodeToString(s1)), false},
		{hex.EncodeToString(s1)[:38], true},
		{"zz" + hex.EncodeToString(s1)[2:], true},
		{"", true},
	}
	for _, tc := range tests {
		got, err := FromShasum(tc.in)
		if tc.wantErr {
			if err == nil {
				t.Errorf("FromShasum(%q) = %v, want error", tc.in, got)
			}
			continue
		}
		if err != nil {
			t.Fatalf("FromShasum(%q): %v", tc.in, err)
		}
		if got.String() != "sha1-"+b64(s1) {
			t.Errorf("FromShasum(%q) = %s, want sha1-%s", tc.in, got, b64(s1))
		}
	}
}

func TestVerifier(t *testing.T) {
	s1, s256, s384, s512 := sums()
	for _, tc := range []struct {
		algo string
		sum  []byte
	}{{"sha1", s1}, {"sha256", s256}, {"sha384", s384}, {"sha512", s512}} {
		t.Run(tc.algo, func(t *testing.T) {
			sri, err := Parse(tc.algo + "-" + b64(tc.sum))
			if err != nil {
				t.Fatal(err)
			}
			v := sri.NewVerifier()
			// written in pieces, like a stream
			for i := 0; i < len(data); i += 5 {
				end := min(i+5, len(data))
				if n, err := v.Write(data[i:end]); n != end-i || err != nil {
					t.Fatalf("Write = %d, %v", n, err)
				}
			}
			if v.N() != int64(len(data)) {
				t.Errorf("N() = %d, want %d", v.N(), len(data))
			}
			if err := v.Verify(); err != nil {
				t.Fatalf("Verify: %v", err)
			}

			bad := sri.NewVerifier()
			bad.Write(data[1:])
			err = bad.Verify()
			var me *MismatchError
			if !errors.As(err, &me) {
				t.Fatalf("Verify of other data = %v, want *MismatchError", err)
			}
			if me.Want != sri.String() || !strings.HasPrefix(me.Got, tc.algo+"-") || me.Got == me.Want {
				t.Errorf("MismatchError = %+v", me)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "failed to verify integrity") {
				t.Fatalf("unexpected message %q", err.Error())
			}
			wi := strings.Index(lines[1], me.Want)
			gi := strings.Index(lines[2], me.Got)
			if !strings.Contains(lines[1], "want:") || !strings.Contains(lines[2], "got:") || wi != gi {
				t.Errorf("want/got not aligned:\n%s", err.Error())
			}
		})
	}
}

func TestVerifierUnknownAlgo(t *testing.T) {
	v := SRI{Algo: "md5", Digest: []byte{1}}.NewVerifier()
	v.Write(data)
	if err := v.Verify(); err == nil {
		t.Fatal("Verify with unknown algorithm succeeded")
	}
}

func FuzzParse(f *testing.F) {
	_, _, _, s512 := sums()
	f.Add("sha512-" + b64(s512) + "?x sha1-abc")
	f.Add("sha1-AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		sri, err := Parse(s)
		if err != nil {
			return
		}
		a, ok := lookup(sri.Algo)
		if !ok || len(sri.Digest) != a.size {
			t.Fatalf("Parse(%q) = invalid %v", s, sri)
		}
		again, err := Parse(sri.String())
		if err != nil || again.Key() != sri.Key() {
			t.Fatalf("round trip of %q failed: %v", s, err)
		}
	})
}
