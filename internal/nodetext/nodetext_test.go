package nodetext

import "testing"

func TestDecode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"é ✓", "é ✓"},
		{"a\xe8b", "a\uFFFDb"},
		{"\xe2\x9c", "\uFFFD\uFFFD"}, // a truncated sequence: one per byte
		{"\xff\xfe{}", "\uFFFD\uFFFD{}"},
	} {
		if got := string(Decode([]byte(c.in))); got != c.want {
			t.Errorf("Decode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
