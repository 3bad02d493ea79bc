package lockfile

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// trickyNames builds a few hundred names that stress ICU collation:
// punctuation (_ - . / @ ~ !), digits, case, accents, scopes and nested
// lock keys.
func trickyNames() []string {
	seps := []string{"", "_", "-", ".", "/", "~", "!", "@", "0", "1", "9", " ", "+", "$", "'", "("}
	heads := []string{"a", "A", "ab", "Ab", "aB", "AB", "b", "z", "é", "e", "E", "1", "10", "2", "@s", "@S", "_", "-"}
	var out []string
	for _, h := range heads {
		for _, s := range seps {
			out = append(out, h+s, h+s+"b", h+s+"B")
		}
	}
	for _, n := range []string{"a_b", "a-b", "a.b", "a/node_modules/b", "ab", "@scope/a", "@scope-a", "@scope/a-b", "1pkg", "_pkg", "-pkg", "~pkg", "éclair", "eclair", "Éclair", "ß", "ss", "straße", "strasse", "ﬁ", "fi", "Ω", "ω", "中文", "日本", "a\u0301", "á"} {
		out = append(out, n, "node_modules/"+n, "node_modules/"+n+"/node_modules/x", "node_modules/@s/"+n)
	}
	slices.Sort(out) // bytewise: the tie break both sides share
	return slices.Compact(out)
}

func nodeCollatorOrder(t *testing.T, names []string) []string {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not installed")
	}
	in, _ := json.Marshal(names)
	// Array.prototype.sort is stable, so ICU ties keep the bytewise input
	// order, which is LocaleCompare's tie break.
	cmd := exec.Command("node", "-e", `
let s = ''; process.stdin.on('data', d => s += d).on('end', () => {
  const c = new Intl.Collator('en'); const a = JSON.parse(s);
  process.stdout.write(JSON.stringify(a.sort((x, y) => c.compare(x, y))))
})`)
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var sorted []string
	if err := json.Unmarshal(out, &sorted); err != nil {
		t.Fatal(err)
	}
	return sorted
}

func TestCollationMatchesNode(t *testing.T) {
	names := trickyNames()
	if len(names) < 300 {
		t.Fatalf("only %d names", len(names))
	}
	want := nodeCollatorOrder(t, names)
	ks := newKeySorter()
	sorters := map[string]func(a, b string) int{
		"LocaleCompare": LocaleCompare,
		"keySorter":     ks.compare,
	}
	for name, cmp := range sorters {
		got := slices.Clone(names)
		slices.SortStableFunc(got, cmp)
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s: position %d: got %q, node has %q", name, i, got[i], want[i])
				break
			}
		}
	}
	// The order must not be bytewise, or this test proves nothing.
	if slices.Equal(names, want) {
		t.Error("node's order equals the bytewise order")
	}
}

func TestLocaleCompareBasics(t *testing.T) {
	ordered := []string{"_a", "-a", ".a", "@s/a", "1a", "a", "A", "a_b", "a-b", "a.b", "a/b", "ab", "Ab", "b"}
	for i := 0; i+1 < len(ordered); i++ {
		if c := LocaleCompare(ordered[i], ordered[i+1]); c >= 0 {
			t.Errorf("LocaleCompare(%q, %q) = %d, want < 0", ordered[i], ordered[i+1], c)
		}
	}
	if LocaleCompare("x", "x") != 0 {
		t.Error("LocaleCompare(x, x) != 0")
	}
}

// TestLocaleCompareConcurrent runs the pooled comparator from many
// goroutines (run with -race).
func TestLocaleCompareConcurrent(t *testing.T) {
	names := trickyNames()
	want := slices.Clone(names)
	slices.SortStableFunc(want, LocaleCompare)
	done := make(chan []string)
	for range 8 {
		go func() {
			got := slices.Clone(names)
			slices.SortStableFunc(got, LocaleCompare)
			done <- got
		}()
	}
	for range 8 {
		if got := <-done; !slices.Equal(got, want) {
			t.Error("concurrent sort differs")
		}
	}
}

// TestASCIIKeys checks that asciiKey orders ASCII strings exactly as the
// collator does, on random strings over every ASCII character with package
// names' characters most likely, and on the tricky names.
func TestASCIIKeys(t *testing.T) {
	c := collate.New(language.English)
	ks := newKeySorter()
	r := rand.New(rand.NewPCG(5, 6))
	const common = "abcdefghijklmnopqrstuvwxyzABCZ0129-_./@~!"
	gen := func() string {
		b := make([]byte, r.IntN(12))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = byte(r.IntN(128))
			} else {
				b[i] = common[r.IntN(len(common))]
			}
		}
		return string(b)
	}
	var names []string
	for _, n := range trickyNames() {
		if isASCII(n) {
			names = append(names, n)
		}
	}
	for range 20000 {
		names = append(names, gen())
	}
	sign := func(x int) int { return min(max(x, -1), 1) }
	for i := range 200000 {
		a, b := names[r.IntN(len(names))], names[r.IntN(len(names))]
		if i%4 == 0 && len(a) > 0 { // near misses: one character changed
			j := r.IntN(len(a))
			b = a[:j] + string(common[r.IntN(len(common))]) + a[j+1:]
		}
		want := sign(c.CompareString(a, b))
		got := sign(bytes.Compare(ks.asciiKey(a), ks.asciiKey(b)))
		if got != want {
			t.Fatalf("asciiKey order of %q and %q is %d, the collator's %d", a, b, got, want)
		}
	}
}
