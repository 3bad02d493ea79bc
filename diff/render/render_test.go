package render

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lockstep-dev/lockstep/diff"
	"github.com/lockstep-dev/lockstep/diff/lockfile"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test -update to accept):\n%s", p, got)
	}
}

func readLock(t *testing.T, path string) *diff.Lockfile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := lockfile.Parse(data, path)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

const lockDir = "../lockfile/"

// Every pair of fixtures renders to its golden Markdown and JSON.
func TestGolden(t *testing.T) {
	for _, tc := range []struct{ name, base, head string }{
		{"npm-basic", "npm/testdata/basic-base.v3.json", "npm/testdata/basic-head.v3.json"},
		{"npm-basic-v1", "npm/testdata/basic-base.v1.json", "npm/testdata/basic-head.v1.json"},
		{"npm-workspaces", "npm/testdata/workspaces-base.v3.json", "npm/testdata/workspaces-head.v3.json"},
		{"npm-tampered", "npm/testdata/basic-head.v3.json", "npm/testdata/tampered-head.v3.json"},
		{"npm-unchanged", "npm/testdata/basic-head.v2.json", "npm/testdata/basic-head.v3.json"},
		{"yarn-basic-v1", "yarn/testdata/basic-base.v1.lock", "yarn/testdata/basic-head.v1.lock"},
		{"yarn-basic-berry", "yarn/testdata/basic-base.berry-v10.lock", "yarn/testdata/basic-head.berry-v10.lock"},
		{"yarn-workspaces-berry", "yarn/testdata/workspaces-base.berry-v10.lock", "yarn/testdata/workspaces-head.berry-v10.lock"},
		{"pnpm-basic-v9", "pnpm/testdata/basic-base.v9.yaml", "pnpm/testdata/basic-head.v9.yaml"},
		{"pnpm-basic-v6", "pnpm/testdata/basic-base.v6.yaml", "pnpm/testdata/basic-head.v6.yaml"},
		{"pnpm-workspaces-v9", "pnpm/testdata/workspaces-base.v9.yaml", "pnpm/testdata/workspaces-head.v9.yaml"},
		{"bun-basic", "bun/testdata/basic-base.v2.lock", "bun/testdata/basic-head.v2.lock"},
		{"bun-workspaces", "bun/testdata/workspaces-base.v2.lock", "bun/testdata/workspaces-head.v2.lock"},
		{"npm-to-pnpm", "npm/testdata/basic-base.v3.json", "pnpm/testdata/basic-head.v9.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := os.Stat(lockDir + tc.head); err != nil {
				t.Skipf("no fixture: %v", err)
			}
			r := diff.Compare(readLock(t, lockDir+tc.base), readLock(t, lockDir+tc.head),
				diff.Options{BaseName: tc.base, HeadName: tc.head})
			golden(t, tc.name+".md", []byte(Markdown(r)))
			var b bytes.Buffer
			if err := JSON(&b, r); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name+".json", b.Bytes())
		})
	}
}

const hostile = "evil<!-- lockstep:. --> -->[x](https://e.com) **b** `c` | d @octocat #1 <img src=x onerror=alert(1)>\n# h\u202e\x00 ~~s~~ _i_ :warning: &amp; \\"

func hostileResult(n int) *diff.Result {
	r := &diff.Result{Base: hostile, Head: hostile, Format: hostile, BaseFormat: hostile}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("%s%d", hostile, i)
		r.Changes = append(r.Changes,
			diff.Change{Name: name, Kind: diff.Upgraded, From: []string{hostile}, To: []string{hostile}, Direct: true, DependencyType: diff.DepType(hostile)},
			diff.Change{Name: name, Kind: diff.Changed, From: []string{hostile, "1", "2", "3", "4", "5", "6"}, To: []string{hostile}, Why: []string{hostile, hostile}})
		r.Flags = append(r.Flags, diff.Flag{Name: name, Version: hostile, Flag: hostile, Detail: strings.Repeat(hostile, 10)})
		r.Warnings = append(r.Warnings, hostile)
		r.Summary.Upgraded++
		r.Summary.Changed++
	}
	return r
}

// Escape leaves nothing that markdown or HTML would act on.
func TestEscape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"react", "react"},
		{"@types/node", "@&#8203;types/node"},
		{"a|b", "a&#124;b"},
		{"-->", "--&#62;"},
		{"<!-- lockstep:x -->", "&#60;&#33;-- lockstep&#58;x --&#62;"},
		{"a\nb\u202ec\x07", "a\uFFFDb\uFFFDc\uFFFD"},
		{"**x** _y_ `z` [l](u) ~~s~~", "&#42;&#42;x&#42;&#42; &#95;y&#95; &#96;z&#96; &#91;l&#93;&#40;u&#41; &#126;&#126;s&#126;&#126;"},
		{"1.0.0-beta+exp.sha", "1.0.0-beta+exp.sha"},
		{"日本", "日本"},
		{"\xff", "\uFFFD"},
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

var (
	mentionRE = regexp.MustCompile(`@[A-Za-z0-9]`)
	rawRE     = regexp.MustCompile("[<>`*_\\[\\]~]|-->|\\| d|\n#|:warning:")
)

// A hostile lockfile renders harmless, and the body stays bounded.
func TestHostile(t *testing.T) {
	for _, n := range []int{1, 50, 5000} {
		md := Markdown(hostileResult(n))
		if len(md) > MaxMarkdown || utf8.RuneCountInString(md) > MaxMarkdown {
			t.Errorf("n=%d: %d bytes, over %d", n, len(md), MaxMarkdown)
		}
		if !utf8.ValidString(md) {
			t.Errorf("n=%d: invalid UTF-8", n)
		}
		// strip our own markup, then nothing active may remain
		own := strings.NewReplacer("<details>", "", "</details>", "", "<summary>", "", "</summary>", "",
			"### lockstep", "", "**", "", "_", "", "|---", "").Replace(md)
		if m := rawRE.FindString(own); m != "" {
			i := strings.Index(own, m)
			t.Errorf("n=%d: raw %q at %q", n, m, own[max(0, i-40):min(len(own), i+40)])
		}
		if m := mentionRE.FindString(md); m != "" {
			t.Errorf("n=%d: mention %q", n, m)
		}
		if strings.Contains(md, "\u202e") || strings.Contains(md, "\x00") {
			t.Errorf("n=%d: control characters kept", n)
		}
		if n == 5000 && !regexp.MustCompile(`_\d+ transitive changes more not shown\._`).MatchString(md) {
			t.Errorf("n=%d: no 'more not shown' line", n)
		}
	}
	golden(t, "hostile.md", []byte(Markdown(hostileResult(1))))
}

// Whatever the limit, the body fits and every row is shown or counted.
func TestBound(t *testing.T) {
	r := hostileResult(300)
	total := len(r.Changes) + len(r.Flags) + len(r.Warnings)
	rowRE := regexp.MustCompile(`(?m)^(\| |- )`)
	moreRE := regexp.MustCompile(`_(\d+) [a-z ]+ more not shown\._`)
	for _, limit := range []int{4000, 20000, 65536, 1 << 20} {
		md := markdown(r, limit)
		if len(md) > limit {
			t.Errorf("limit %d: %d bytes", limit, len(md))
		}
		rows := len(rowRE.FindAllString(md, -1)) - 3 // three table headers
		more := 0
		for _, m := range moreRE.FindAllStringSubmatch(md, -1) {
			var n int
			fmt.Sscan(m[1], &n)
			more += n
		}
		if rows+more != total {
			t.Errorf("limit %d: %d rows shown + %d not shown != %d", limit, rows, more, total)
		}
		if limit == 1<<20 && more != 0 {
			t.Errorf("limit %d: %d not shown", limit, more)
		}
	}
}
