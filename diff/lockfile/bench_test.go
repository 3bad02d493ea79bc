package lockfile

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/lockstep-dev/lockstep/diff"
)

const largeLock = "../../../shared/fixtures/large/package-lock.json"

// modifiedCopy returns the large npm lockfile with every 10th package's
// version bumped, every 50th removed and 100 added.
func modifiedCopy(tb testing.TB, data []byte) []byte {
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		tb.Fatal(err)
	}
	pk := doc["packages"].(map[string]any)
	keys := make([]string, 0, len(pk))
	for k := range pk {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if k == "" {
			continue
		}
		e := pk[k].(map[string]any)
		switch {
		case i%50 == 0:
			delete(pk, k)
		case i%10 == 0:
			if v, ok := e["version"].(string); ok {
				e["version"] = v + "-next.1"
			}
		}
	}
	for i := 0; i < 100; i++ {
		pk[fmt.Sprintf("node_modules/new-pkg-%d", i)] = map[string]any{"version": "1.0.0",
			"resolved":  fmt.Sprintf("https://registry.npmjs.org/new-pkg-%d/-/new-pkg-%d-1.0.0.tgz", i, i),
			"integrity": "sha512-AAAA"}
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

// BenchmarkLargeDiff reads and classifies two ~5,000-package lockfiles:
// the shared large npm fixture and a modified copy. LOCKSTEP_DIFF_BENCH
// ("base,head") benchmarks another pair, in any format.
func BenchmarkLargeDiff(b *testing.B) {
	basePath, headPath := largeLock, "package-lock.json"
	var base, head []byte
	var err error
	if pair := os.Getenv("LOCKSTEP_DIFF_BENCH"); pair != "" {
		basePath, headPath, _ = strings.Cut(pair, ",")
		if head, err = os.ReadFile(headPath); err != nil {
			b.Fatal(err)
		}
	}
	if base, err = os.ReadFile(basePath); err != nil {
		b.Skip(err)
	}
	if head == nil {
		head = modifiedCopy(b, base)
	}
	b.SetBytes(int64(len(base) + len(head)))
	b.ResetTimer()
	var r *diff.Result
	for i := 0; i < b.N; i++ {
		bl, err := Parse(base, basePath)
		if err != nil {
			b.Fatal(err)
		}
		hl, err := Parse(head, headPath)
		if err != nil {
			b.Fatal(err)
		}
		r = diff.Compare(bl, hl, diff.Options{})
	}
	b.ReportMetric(float64(r.Summary.Total()), "changes")
	b.ReportMetric(float64(len(r.Flags)), "flags")
}
