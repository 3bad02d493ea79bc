package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// BenchmarkExtractDir extracts every *.tgz in $LOCKSTEP_BENCH_TARBALLS (for
// example the small fixture's tarballs) per iteration, with GOMAXPROCS
// goroutines, and reports unpacked MB/s and files/s. Input is read from
// memory so only gunzip, tar parsing and file creation are measured.
func BenchmarkExtractDir(b *testing.B) {
	dir := os.Getenv("LOCKSTEP_BENCH_TARBALLS")
	if dir == "" {
		b.Skip("set LOCKSTEP_BENCH_TARBALLS to a directory of .tgz files")
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.tgz"))
	if len(paths) == 0 {
		b.Skip("no .tgz files")
	}
	var datas [][]byte
	var gz int64
	for _, p := range paths {
		d, err := os.ReadFile(p)
		if err != nil {
			b.Fatal(err)
		}
		datas = append(datas, d)
		gz += int64(len(d))
	}
	root := b.TempDir()
	var files, bytesOut atomic.Int64
	var elapsed, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		run := filepath.Join(root, "run")
		os.RemoveAll(run)
		dests := make([]string, len(datas))
		for j := range datas {
			dests[j] = filepath.Join(run, string(rune('a'+j%26))+filepath.Base(paths[j]))
			if err := os.MkdirAll(dests[j], 0o755); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < workers(); w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					j := int(next.Add(1) - 1)
					if j >= len(datas) {
						return
					}
					res, err := Extract(bytes.NewReader(datas[j]), dests[j], Options{})
					if err != nil {
						b.Error(paths[j], err)
						return
					}
					files.Add(int64(res.Files))
					bytesOut.Add(res.Bytes)
				}
			}()
		}
		wg.Wait()
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
	}
	b.StopTimer()
	sec := elapsed.Seconds()
	b.ReportMetric(float64(bytesOut.Load())/1e6/sec, "MB/s")
	b.ReportMetric(float64(gz*int64(b.N))/1e6/sec, "gzMB/s")
	b.ReportMetric(float64(files.Load())/sec, "files/s")
	// The machine may be shared: per CPU-second rates are steadier.
	b.ReportMetric(float64(bytesOut.Load())/1e6/cpu.Seconds(), "MB/cpu-s")
	b.ReportMetric(float64(files.Load())/cpu.Seconds(), "files/cpu-s")
}

func cpuTime() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func workers() int {
	if s := os.Getenv("LOCKSTEP_BENCH_WORKERS"); s != "" {
		n := 0
		for _, c := range s {
			n = n*10 + int(c-'0')
		}
		return n
	}
	return 2
}
