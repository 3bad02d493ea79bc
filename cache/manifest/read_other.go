//go:build !unix

package manifest

import (
	"io"
	"os"
	"path/filepath"
	"time"
)

// readEntry reads the entry file named file in dir.
func readEntry(dir *os.File, file string) ([]byte, time.Time, error) {
	f, err := os.Open(filepath.Join(dir.Name(), file))
	if err != nil {
		return nil, time.Time{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, time.Time{}, err
	}
	b := make([]byte, st.Size())
	n, err := io.ReadFull(f, b)
	if err == io.ErrUnexpectedEOF {
		err = nil // truncated under us: the checksum says so
	}
	return b[:n], st.ModTime(), err
}
