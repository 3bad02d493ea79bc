package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestREADMEActionSection: the README's Action section documents every
// input and output of action.yml and shows the comment exactly as the
// golden file renders it.
func TestREADMEActionSection(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	start := strings.Index(readme, "\n## The GitHub Action\n")
	if start < 0 {
		t.Fatal("README has no \"## The GitHub Action\" section")
	}
	section := readme[start+1:]
	if end := strings.Index(section, "\n## "); end >= 0 {
		section = section[:end]
	}
	meta, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	if err := yaml.Unmarshal(meta, &a); err != nil {
		t.Fatal(err)
	}
	for name := range a.Inputs {
		if !strings.Contains(section, "| `"+name+"` |") {
			t.Errorf("input %q is not in the README's inputs table", name)
		}
	}
	for name := range a.Outputs {
		if !strings.Contains(section, "`"+name+"`") {
			t.Errorf("output %q is not in the README's outputs table", name)
		}
	}
	golden, err := os.ReadFile(filepath.Join("testdata", "comment.md.golden"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- comment-golden:begin -->\n", "\n<!-- comment-golden:end -->"
	i, j := strings.Index(section, begin), strings.Index(section, end)
	if i < 0 || j < i {
		t.Fatal("the README's Action section has no comment-golden block")
	}
	if got, want := section[i+len(begin):j], strings.TrimRight(string(golden), "\n"); got != want {
		t.Errorf("the README's comment differs from testdata/comment.md.golden:\n--- README\n%s\n--- golden\n%s", got, want)
	}
}
