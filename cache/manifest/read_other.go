//go:build !unix

package manifest

import "os"

// readEntry reads an entry file.
func readEntry(f *os.File, size int64) ([]byte, error) { return readAll(f, size) }
