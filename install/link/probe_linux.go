package link

import (
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Probe picks the cheapest method that works between storeDir and targetDir
// (the node_modules to create; it need not exist, its nearest existing
// ancestor is used). It tries FICLONE, then link(2), else returns Copy. Call
// it once per run. It writes a small file in storeDir when it can, and
// removes everything it creates; if storeDir is not writable it uses an
// existing file from the store.
func Probe(storeDir, targetDir string) Method {
	dir := existingAncestor(targetDir)
	if dir == "" {
		return Copy
	}
	src, cleanup := probeSource(storeDir)
	if src == "" {
		return Copy
	}
	defer cleanup()

	sf, err := os.Open(src)
	if err != nil {
		return Copy
	}
	defer sf.Close()
	df, err := os.CreateTemp(dir, ".lockstep-probe-*")
	if err != nil {
		return Copy
	}
	dname := df.Name()
	cloneErr := unix.IoctlFileClone(int(df.Fd()), int(sf.Fd()))
	df.Close()
	os.Remove(dname)
	if cloneErr == nil {
		return Reflink
	}
	lname := dname + ".link"
	if err := os.Link(src, lname); err == nil {
		os.Remove(lname)
		return Hardlink
	}
	return Copy
}

func existingAncestor(p string) string {
	p, err := filepath.Abs(p)
	if err != nil {
		return ""
	}
	for {
		if st, err := os.Stat(p); err == nil {
			if st.IsDir() {
				return p
			}
			return ""
		}
		parent := filepath.Dir(p)
		if parent == p {
			return ""
		}
		p = parent
	}
}

// probeSource returns a regular file inside storeDir: a new one if the store
// is writable, else the first one found in a short walk.
func probeSource(storeDir string) (string, func()) {
	if f, err := os.CreateTemp(storeDir, ".lockstep-probe-*"); err == nil {
		name := f.Name()
		_, werr := f.WriteString("lockstep probe\n")
		f.Close()
		if werr == nil {
			return name, func() { os.Remove(name) }
		}
		os.Remove(name)
	}
	found := ""
	seen := 0
	filepath.WalkDir(storeDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if seen++; seen > 10000 {
			return filepath.SkipAll
		}
		if d.Type().IsRegular() {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	return found, func() {}
}
