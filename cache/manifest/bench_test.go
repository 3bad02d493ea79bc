package manifest

import (
	"bytes"
	"encoding/gob"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/bytedance/sonic"

	"github.com/lockstep-dev/lockstep/install/packument"
)

// benchDocs are the registry documents in $LOCKSTEP_PACKUMENT_DIR, or the
// fake registry's when unset.
func benchDocs(b *testing.B) map[string][]byte {
	if docs := realDocs(b); docs != nil {
		return docs
	}
	b.Skip("LOCKSTEP_PACKUMENT_DIR not set (point it at real packuments)")
	return nil
}

// realDocs are the registry documents in $LOCKSTEP_PACKUMENT_DIR by file
// name, nil when it is unset.
func realDocs(tb testing.TB) map[string][]byte {
	dir := os.Getenv("LOCKSTEP_PACKUMENT_DIR")
	if dir == "" {
		return nil
	}
	docs := map[string][]byte{}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		docs[filepath.Base(f)] = data
	}
	return docs
}

// flat is an eager, plain-struct form of a packument for gob and JSON.
type flat struct {
	Name              string
	DistTags          map[string]string
	HasTime           bool
	Modified, Created time.Time
	Versions          []flatVersion
}

type flatVersion struct {
	S packument.Summary
	M *packument.Manifest
}

func toFlat(p *packument.Packument) *flat {
	f := &flat{Name: p.Name, DistTags: p.DistTags, HasTime: p.HasTime, Modified: p.Modified, Created: p.Created}
	for _, v := range p.All() {
		f.Versions = append(f.Versions, flatVersion{S: v.Summary, M: v.Manifest()})
	}
	return f
}

func (f *flat) packument() *packument.Packument {
	p := &packument.Packument{Name: f.Name, DistTags: f.DistTags, HasTime: f.HasTime, Modified: f.Modified, Created: f.Created}
	for _, v := range f.Versions {
		p.Versions = append(p.Versions, packument.NewVersion(v.S, v.M))
	}
	p.Finish()
	return p
}

// BenchmarkFormats compares loading a slimmed packument from: the
// registry's JSON (sonic, full decode), the slim packument as JSON
// (sonic), gob, and this package's binary format, both fully decoded
// (every manifest) and lazily (manifests left for first use, which is how
// the cache serves them). stored-bytes is the size of the stored form.
func BenchmarkFormats(b *testing.B) {
	for name, doc := range benchDocs(b) {
		p, err := packument.Decode(doc)
		if err != nil {
			b.Fatal(err)
		}
		bin := mustEncode(b, meta{Registry: "r/", Name: p.Name}, p)
		fl := toFlat(p)
		slimJSON, err := sonic.Marshal(fl)
		if err != nil {
			b.Fatal(err)
		}
		var gb bytes.Buffer
		if err := gob.NewEncoder(&gb).Encode(fl); err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/registry-json", func(b *testing.B) {
			for b.Loop() {
				if _, err := packument.Decode(doc); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(doc)), "stored-bytes")
		})
		b.Run(name+"/slim-json", func(b *testing.B) {
			for b.Loop() {
				var q flat
				if err := sonic.Unmarshal(slimJSON, &q); err != nil {
					b.Fatal(err)
				}
				q.packument()
			}
			b.ReportMetric(float64(len(slimJSON)), "stored-bytes")
		})
		b.Run(name+"/gob", func(b *testing.B) {
			for b.Loop() {
				var q flat
				if err := gob.NewDecoder(bytes.NewReader(gb.Bytes())).Decode(&q); err != nil {
					b.Fatal(err)
				}
				q.packument()
			}
			b.ReportMetric(float64(gb.Len()), "stored-bytes")
		})
		b.Run(name+"/binary-eager", func(b *testing.B) {
			for b.Loop() {
				_, q, err := decode(bin)
				if err != nil {
					b.Fatal(err)
				}
				for _, v := range q.All() {
					v.Manifest()
				}
			}
			b.ReportMetric(float64(len(bin)), "stored-bytes")
		})
		b.Run(name+"/binary-lazy", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := decode(bin); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(bin)), "stored-bytes")
		})
	}
}
