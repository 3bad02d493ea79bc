package install

import "testing"

func TestValidKey(t *testing.T) {
	for _, c := range []struct {
		key  string
		want bool
	}{
		{"", true},
		{"node_modules/a", true},
		{"node_modules/@s/a/node_modules/b", true},
		{"packages/w", true},
		{"packages/w/node_modules/a", true},
		{"../lib", true}, // a link target outside the project
		{"node_modules/a/../../x", false},
		{"node_modules/./a", false},
		{"node_modules//a", false},
		{"node_modules/a/", false},
		{`node_modules/a\..\..\x`, false},
		{"xnode_modules/a", false},
		{"node_modules", false},
	} {
		if got := validKey(c.key); got != c.want {
			t.Errorf("validKey(%q) = %v, want %v", c.key, got, c.want)
		}
	}
}
