package action

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/lockfile"
	"github.com/lockstep-dev/lockstep/internal/timing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

const npmFixtures = "../../diff/lockfile/npm/testdata/"

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

func parseFixture(t *testing.T, name string) *diff.Lockfile {
	t.Helper()
	data, err := os.ReadFile(npmFixtures + name)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lockfile.Parse(data, "package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func fixedReport() *timing.Report {
	return &timing.Report{
		Command: "ci", Version: "0.1.0", StartedAt: "2026-11-26T12:00:00Z",
		WallMS: 1234, UserMS: 900, SysMS: 400, MaxRSSKB: 81234,
		Packages: timing.Packages{Total: 412, Installed: 405, FromCache: 7, Downloaded: 398},
		Phases: []timing.Phase{
			{Name: "fetch", WallMS: 700, UserMS: 300, SysMS: 200, Requests: 398, Bytes: 28000000, CacheMisses: 398},
			{Name: "extract", WallMS: 650, UserMS: 420, SysMS: 150},
			{Name: "link", WallMS: 95, UserMS: 20, SysMS: 40},
			{Name: "scripts", WallMS: 0},
		},
	}
}

// TestGolden pins the comment body and the job summary as they render.
func TestGolden(t *testing.T) {
	res := diff.Compare(parseFixture(t, "basic-base.v3.json"), parseFixture(t, "basic-head.v3.json"),
		diff.Options{BaseName: "package-lock.json@1111111", HeadName: "package-lock.json"})
	same := diff.Compare(parseFixture(t, "basic-head.v2.json"), parseFixture(t, "basic-head.v3.json"),
		diff.Options{BaseName: "package-lock.json@1111111", HeadName: "package-lock.json"})
	timings := TimingTable(fixedReport())
	for _, tc := range []struct {
		name    string
		dir     string
		res     *diff.Result
		timings string
	}{
		{"comment", ".", res, timings},
		{"comment-workdir", "packages/web", res, timings},
		{"comment-unchanged", ".", same, timings},
		{"diff-only", ".", res, ""},
		{"timings-only", ".", nil, timings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := Marker(tc.dir)
			body := Body(m, tc.res, tc.timings)
			if !strings.HasPrefix(body, m+"\n") {
				t.Fatalf("body does not start with the marker %q", m)
			}
			golden(t, tc.name+".md", body)
			if tc.name == "comment" {
				golden(t, "summary.md", strings.TrimPrefix(body, m+"\n"))
			}
		})
	}
	if Body(Marker("."), nil, "") != "" {
		t.Error("a body with neither diff nor timings")
	}
}

func TestMarker(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{".", "<!-- lockstep:. -->"},
		{"packages/web", "<!-- lockstep:packages/web -->"},
		{"a-->b", "<!-- lockstep:a-%2D%3Eb -->"},
		{"x--y", "<!-- lockstep:x-%2Dy -->"},
		{"<evil>\n", "<!-- lockstep:%3Cevil%3E%0A -->"},
		{"100%", "<!-- lockstep:100%25 -->"},
	} {
		got := Marker(tc.dir)
		if got != tc.want {
			t.Errorf("Marker(%q) = %q, want %q", tc.dir, got, tc.want)
		}
		if strings.Count(got, "-->") != 1 || strings.Count(got, "<") != 1 {
			t.Errorf("Marker(%q) = %q can end early", tc.dir, got)
		}
	}
	if Marker("a") == Marker("b") {
		t.Error("markers collide")
	}
}

// TestBodyBound: however large the diff, diff plus timings fit in a comment.
func TestBodyBound(t *testing.T) {
	base := &diff.Lockfile{Format: "npm-v3", Direct: map[string]diff.DepType{}}
	head := &diff.Lockfile{Format: "npm-v3", Direct: map[string]diff.DepType{}}
	for i := 0; i < 5000; i++ {
		name := "package-with-a-rather-long-name-" + strings.Repeat("x", i%40) + "-" + string(rune('a'+i%26)) + "-" + itoa(i)
		head.Packages = append(head.Packages, diff.Package{Name: name, Version: "1.0.0", Integrity: "sha512-x"})
		head.AddDirect(name, diff.Prod)
	}
	res := diff.Compare(base, head, diff.Options{HeadName: "package-lock.json"})
	timings := TimingTable(fixedReport())
	body := Body(Marker("."), res, timings)
	if n := len([]rune(body)); n > MaxBody {
		t.Fatalf("body is %d characters", n)
	}
	if !strings.Contains(body, "**5000 packages changed**") || !strings.Contains(body, "#### Install timings") {
		t.Errorf("reduced body:\n%.2000s", body)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}
