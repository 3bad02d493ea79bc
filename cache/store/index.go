package store

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Every entry has an index beside it, <entry dir>.idx, written before the
// entry is renamed into place: one line per file, directory and symlink
// with its type, mode, size and CRC-32C (or link target). Verify compares
// an entry with its index, so damage done to a cache after it was written
// (a truncated restore, an edited file) is found. The CRC detects damage,
// not an attacker who can rewrite both the entry and its index.

const indexHeader = "lockstep-store-index 1\n"

// IndexSuffix is appended to an entry's directory path to name its index.
const IndexSuffix = ".idx"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// UpdateCRC adds b to crc, the checksum an IndexEntry holds (CRC-32C): a
// filler that reports its entries computes it while writing.
func UpdateCRC(crc uint32, b []byte) uint32 { return crc32.Update(crc, castagnoli, b) }

// ErrNoIndex is returned by Verify for an entry without an index (written
// by an older lockstep, or damaged).
var ErrNoIndex = errors.New("entry has no index")

// buildIndex describes the tree under dir.
func buildIndex(dir string) ([]byte, error) {
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if strings.ContainsAny(rel, "\n\x00") {
			return fmt.Errorf("failed to index %q: newline in file name", rel)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		line, err := indexLine(p, rel, info)
		if err != nil {
			return err
		}
		lines = append(lines, line)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return joinIndex(lines), nil
}

// joinIndex sorts the lines and writes them under the header.
func joinIndex(lines []string) []byte {
	sort.Strings(lines)
	var b bytes.Buffer
	b.WriteString(indexHeader)
	for _, l := range lines {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// indexLine is "<type> <mode> <size> <crc or target> <path>"; path last
// so it may hold spaces.
func indexLine(p, rel string, info fs.FileInfo) (string, error) {
	switch {
	case info.Mode().IsRegular():
		sum, n, err := crcFile(p)
		if err != nil {
			return "", err
		}
		return fileLine(info.Mode(), n, sum, rel), nil
	case info.IsDir():
		return dirLine(info.Mode(), rel), nil
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("l 0 0 %s %s", strconv.Quote(target), rel), nil
	default:
		return "", fmt.Errorf("failed to index %q: unexpected file type %v", rel, info.Mode().Type())
	}
}

func modeField(m fs.FileMode) string {
	return strconv.FormatUint(uint64(m.Perm()|m&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)), 8)
}

func fileLine(m fs.FileMode, size int64, sum uint32, rel string) string {
	return fmt.Sprintf("f %s %d %08x %s", modeField(m), size, sum, rel)
}

func dirLine(m fs.FileMode, rel string) string {
	return fmt.Sprintf("d %s 0 - %s", modeField(m), rel)
}

// IndexEntry is one file or directory of an entry, as its filler knows it
// (PutIndexed): the index is then written without reading the files back.
type IndexEntry struct {
	Dir  bool
	Path string      // relative to the entry, "/"-separated
	Mode fs.FileMode // permission and special bits, as on disk
	Size int64       // files
	CRC  uint32      // files: CRC-32C (Castagnoli) of the content
}

// formatIndex is buildIndex for entries a filler reported.
func formatIndex(entries []IndexEntry) ([]byte, error) {
	lines := make([]string, 0, len(entries))
	for _, e := range entries {
		if strings.ContainsAny(e.Path, "\n\x00") {
			return nil, fmt.Errorf("failed to index %q: newline in file name", e.Path)
		}
		if e.Dir {
			lines = append(lines, dirLine(e.Mode, e.Path))
		} else {
			lines = append(lines, fileLine(e.Mode, e.Size, e.CRC, e.Path))
		}
	}
	return joinIndex(lines), nil
}

func crcFile(p string) (uint32, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	h := crc32.New(castagnoli)
	n, err := io.Copy(h, f)
	return h.Sum32(), n, err
}

// writeIndex writes the index of tmp to path atomically: of the entries
// its filler reported, else of the tree as it is on disk.
func writeIndex(tmp, path string, entries []IndexEntry) error {
	var idx []byte
	var err error
	if entries != nil {
		idx, err = formatIndex(entries)
	} else {
		idx, err = buildIndex(tmp)
	}
	if err != nil {
		return err
	}
	t := tmp + IndexSuffix
	if err := writeNew(t, idx); err != nil {
		os.Remove(t)
		return err
	}
	if err := os.Rename(t, path); err != nil {
		os.Remove(t)
		return err
	}
	return nil
}

// writeNew writes data to a new file at path (mode 0644 less the umask),
// like os.WriteFile but without the poller registration (an fcntl pair
// and a refused epoll_ctl around each regular file os opens): the store
// writes one index per entry.
func writeNew(path string, data []byte) error {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	for err == unix.EINTR {
		fd, err = unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0o644)
	}
	if err != nil {
		return &fs.PathError{Op: "open", Path: path, Err: err}
	}
	for len(data) > 0 {
		n, err := unix.Write(fd, data)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return &fs.PathError{Op: "write", Path: path, Err: err}
		}
		data = data[n:]
	}
	if err := unix.Close(fd); err != nil {
		return &fs.PathError{Op: "close", Path: path, Err: err}
	}
	return nil
}

// Verify checks the entry for key against its index. It returns nil for an
// intact entry, an error wrapping fs.ErrNotExist when there is no entry,
// one wrapping ErrNoIndex when the entry has no index, and otherwise an
// error describing the first differences found.
func (s *Store) Verify(key string) error {
	dir := s.Dir(key)
	if dir == "" {
		_, _, err := parseKey(key)
		return err
	}
	if fi, err := os.Lstat(dir); err != nil {
		return fmt.Errorf("failed to verify store entry %q: %w", key, err)
	} else if !fi.IsDir() {
		return fmt.Errorf("failed to verify store entry %q: not a directory", key)
	}
	want, err := os.ReadFile(dir + IndexSuffix)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("failed to verify store entry %q: %w", key, ErrNoIndex)
	}
	if err != nil {
		return fmt.Errorf("failed to verify store entry %q: %w", key, err)
	}
	if !bytes.HasPrefix(want, []byte(indexHeader)) {
		return fmt.Errorf("failed to verify store entry %q: its index is damaged", key)
	}
	got, err := buildIndex(dir)
	if err != nil {
		return fmt.Errorf("failed to verify store entry %q: %w", key, err)
	}
	if bytes.Equal(want, got) {
		return nil
	}
	return fmt.Errorf("failed to verify store entry %q: %s", key, describeDiff(want, got))
}

// describeDiff names up to three paths that differ between two indexes.
func describeDiff(want, got []byte) string {
	parse := func(b []byte) map[string]string {
		m := map[string]string{}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if line+"\n" == indexHeader {
				continue
			}
			f := strings.SplitN(line, " ", 5)
			if len(f) == 5 {
				m[f[4]] = strings.Join(f[:4], " ")
			} else {
				m["?"+line] = line
			}
		}
		return m
	}
	w, g := parse(want), parse(got)
	var out []string
	for p, v := range w {
		if gv, ok := g[p]; !ok {
			out = append(out, fmt.Sprintf("%q is missing", p))
		} else if gv != v {
			out = append(out, fmt.Sprintf("%q differs (%s, want %s)", p, gv, v))
		}
	}
	for p := range g {
		if _, ok := w[p]; !ok {
			out = append(out, fmt.Sprintf("%q is unexpected", p))
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		return "its index is damaged"
	}
	if len(out) > 3 {
		out = append(out[:3], fmt.Sprintf("and %d more", len(out)-3))
	}
	return strings.Join(out, "; ")
}

// Entry is one item found by Scan.
type Entry struct {
	Key string
	// Dir is the entry's directory, or for an orphan index the path the
	// directory would have.
	Dir string
	// OrphanIndex marks an index without its entry (a process killed
	// between writing the two; harmless, removable).
	OrphanIndex bool
}

// Scan lists the entries and orphan indexes in the store, sorted by key,
// and the names in the temporary directory (fills in progress or left by
// killed processes). Names that are not store keys are returned in
// strays (paths).
func (s *Store) Scan() (entries []Entry, temps []string, strays []string, err error) {
	algos, err := os.ReadDir(s.base)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("failed to scan the store %q: %w", s.base, err)
	}
	for _, a := range algos {
		switch a.Name() {
		case "tmp":
			ts, _ := os.ReadDir(s.tmp)
			for _, t := range ts {
				temps = append(temps, t.Name())
			}
			continue
		case "locks", lockFileName: // lock files (older versions, other systems: a directory)
			continue
		}
		ap := filepath.Join(s.base, a.Name())
		if !a.IsDir() {
			strays = append(strays, ap)
			continue
		}
		prefixes, err := os.ReadDir(ap)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("failed to scan the store: %w", err)
		}
		for _, pre := range prefixes {
			pp := filepath.Join(ap, pre.Name())
			if !pre.IsDir() {
				strays = append(strays, pp)
				continue
			}
			items, err := os.ReadDir(pp)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("failed to scan the store: %w", err)
			}
			names := map[string]bool{}
			for _, it := range items {
				names[it.Name()] = it.IsDir()
			}
			for _, it := range items {
				name := it.Name()
				rest, isIdx := strings.CutSuffix(name, IndexSuffix)
				key := a.Name() + "-" + pre.Name() + rest
				if _, _, err := parseKey(key); err != nil || len(pre.Name()) != 2 {
					strays = append(strays, filepath.Join(pp, name))
					continue
				}
				switch {
				case isIdx && !it.IsDir():
					if !names[rest] {
						entries = append(entries, Entry{Key: key, Dir: filepath.Join(pp, rest), OrphanIndex: true})
					}
				case it.IsDir():
					entries = append(entries, Entry{Key: key, Dir: filepath.Join(pp, name)})
				default:
					strays = append(strays, filepath.Join(pp, name))
				}
			}
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Key < entries[j].Key })
	return entries, temps, strays, nil
}

// CleanTemps deletes temporary directories no live fill is using (their
// key's lock is free), whatever their age, and returns how many it removed.
func (s *Store) CleanTemps() int {
	entries, err := os.ReadDir(s.tmp)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		key, _, _ := strings.Cut(e.Name(), ".")
		if _, _, err := parseKey(key); err != nil {
			continue
		}
		unlock, err := s.lock(key, false)
		if err != nil {
			continue
		}
		if os.RemoveAll(filepath.Join(s.tmp, e.Name())) == nil {
			n++
		}
		unlock()
	}
	return n
}
