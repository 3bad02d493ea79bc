package store

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"golang.org/x/sys/unix"
)

// Listing reads an entry's index to list its tree without reading its
// directories: the linker creates node_modules from it with one system call
// per file and directory. It is a tree's manifest, not a check: Verify
// compares the two.

// ErrBadIndex is returned by List for an index it cannot read as one.
var ErrBadIndex = errors.New("index is damaged")

// List reads the index of the entry directory dir (the path Dir returns)
// into buf, reusing its capacity, and calls fn for every directory ('d'),
// regular file ('f') and symlink ('l') in it, with its slash-separated path
// relative to dir; rel is only valid during the call. It returns the buffer
// to reuse for the next call. An entry without an index gives an error
// wrapping fs.ErrNotExist; an index List cannot parse, one wrapping
// ErrBadIndex. Entries come in the index's order: directories first, but
// a directory does not always come before its subdirectories.
func List(dir string, buf []byte, fn func(kind byte, rel []byte) error) ([]byte, error) {
	buf, err := readFile(dir+IndexSuffix, buf)
	if err != nil {
		return buf, err
	}
	if !bytes.HasPrefix(buf, []byte(indexHeader)) {
		return buf, fmt.Errorf("failed to list %q: %w", dir, ErrBadIndex)
	}
	for rest := buf[len(indexHeader):]; len(rest) > 0; {
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return buf, fmt.Errorf("failed to list %q: %w (truncated)", dir, ErrBadIndex)
		}
		line := rest[:nl]
		rest = rest[nl+1:]
		kind, rel, ok := parseIndexLine(line)
		if !ok {
			return buf, fmt.Errorf("failed to list %q: %w (line %q)", dir, ErrBadIndex, line)
		}
		if err := fn(kind, rel); err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// parseIndexLine splits "<type> <mode> <size> <crc, - or quoted target>
// <path>" (see indexLine).
func parseIndexLine(line []byte) (kind byte, rel []byte, ok bool) {
	if len(line) < 2 || line[1] != ' ' {
		return 0, nil, false
	}
	kind = line[0]
	if kind != 'd' && kind != 'f' && kind != 'l' {
		return 0, nil, false
	}
	rest := line[2:]
	for range 2 { // mode, size
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 {
			return 0, nil, false
		}
		rest = rest[sp+1:]
	}
	if kind == 'l' {
		q, err := strconv.QuotedPrefix(string(rest))
		if err != nil || len(rest) <= len(q) || rest[len(q)] != ' ' {
			return 0, nil, false
		}
		rest = rest[len(q)+1:]
	} else {
		sp := bytes.IndexByte(rest, ' ')
		if sp <= 0 {
			return 0, nil, false
		}
		rest = rest[sp+1:]
	}
	if len(rest) == 0 || rest[0] == '/' || bytes.IndexByte(rest, 0) >= 0 {
		return 0, nil, false
	}
	return kind, rest, true
}

// readFile reads path into buf[:0], growing it as needed, with plain
// system calls (an os.File would try to register with the poller).
func readFile(path string, buf []byte) ([]byte, error) {
	buf = buf[:0]
	var fd int
	var err error
	for {
		fd, err = unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return buf, &fs.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf, &fs.PathError{Op: "read", Path: path, Err: err}
		}
		if n == 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}
