package testserver

import (
	"io"
	"testing"
)

func BenchmarkPackument(b *testing.B) {
	r := NewRegistry(b, fullPkg)
	c := r.Client()
	u := r.URL() + "left"
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := c.Get(u)
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkBuild(b *testing.B) {
	for i := 0; i < b.N; i++ {
		p := fullPkg
		if _, _, _, err := p.build(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFirstPackument(b *testing.B) {
	r := NewRegistry(b)
	c := r.Client()
	for i := 0; i < b.N; i++ {
		r.Add(Package{Name: "p", Version: "1.0.0"})
		resp, err := c.Get(r.URL() + "p")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
