package arborist

import "testing"

func TestGitValid(t *testing.T) {
	const sha = "0123456789abcdef0123456789abcdef01234567"
	resolved := "git+ssh://git@github.com/User/Repo.git#" + sha
	cases := []struct {
		spec string
		want bool
	}{
		{"github:user/repo", true},
		{"user/repo", true},
		{"user/repo#main", true},
		{"github:user/repo#" + sha, true},
		{"github:user/repo#" + "1123456789abcdef0123456789abcdef01234567", false},
		{"git+https://github.com/user/repo.git", true},
		{"git+ssh://git@github.com:user/repo.git#main", true},
		{"git://github.com/user/repo.git", true},
		{"github:user/other", false},
		{"gitlab:user/repo", false},
		{"github:user/repo#semver:^1.2.0", true},
		{"github:user/repo#semver:^2.0.0", false},
	}
	b := &builder{satCache: map[satKey]bool{}}
	child := &Node{name: "x", pkg: &pkg{version: "1.2.3", resolved: resolved}}
	for _, tc := range cases {
		if got := b.gitValid(child, tc.spec); got != tc.want {
			t.Errorf("gitValid(%q) against %s = %v, want %v", tc.spec, resolved, got, tc.want)
		}
	}
}
