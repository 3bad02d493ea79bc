package store

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func TestList(t *testing.T) {
	s, _ := open(t)
	dir, err := s.Put(key1, func(tmp string) error {
		for _, d := range []string{"lib/deep", "a b", "empty"} {
			if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
				return err
			}
		}
		for _, f := range []string{"package.json", "lib/deep/x.js", "a b/c d.js"} {
			if err := os.WriteFile(filepath.Join(tmp, f), []byte(f), 0o644); err != nil {
				return err
			}
		}
		// A target with a space and a quote: the path follows it.
		return os.Symlink(`../x "y" z`, filepath.Join(tmp, "lib", "ln"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	buf := make([]byte, 3) // too small: List grows it
	buf, err = List(dir, buf, func(kind byte, rel []byte) error {
		got = append(got, string(kind)+" "+string(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := []string{"d a b", "d empty", "d lib", "d lib/deep", "f a b/c d.js", "f lib/deep/x.js", "f package.json", "l lib/ln"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("List = %q, want %q", got, want)
	}
	if cap(buf) < 100 {
		t.Errorf("List returned a buffer of capacity %d", cap(buf))
	}

	// fn's error stops the listing and is returned.
	stop := errors.New("stop")
	n := 0
	if _, err := List(dir, buf, func(byte, []byte) error { n++; return stop }); err != stop || n != 1 {
		t.Errorf("List = %v after %d calls, want stop after 1", err, n)
	}
}

func TestListErrors(t *testing.T) {
	s, _ := open(t)
	if _, err := List(s.Dir(key1), nil, func(byte, []byte) error { return nil }); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List of a missing entry = %v", err)
	}
	dir, err := s.Put(key1, writeFill("abcd"))
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		"garbage",
		indexHeader + "f 644 4 0000 lib/index.js", // no newline: truncated
		indexHeader + "x 644 4 0000 a\n",
		indexHeader + "f 644 4 0000\n",
		indexHeader + "f 644 4 0000 /abs\n",
		indexHeader + "l 0 0 \"unterminated a\n",
		indexHeader + "f 644\n",
	} {
		if err := os.WriteFile(dir+IndexSuffix, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := List(dir, nil, func(byte, []byte) error { return nil })
		if !errors.Is(err, ErrBadIndex) || !strings.HasPrefix(err.Error(), "failed to list ") {
			t.Errorf("List of %q = %v, want ErrBadIndex", bad, err)
		}
	}
}

func TestRoot(t *testing.T) {
	s, root := open(t)
	if got, want := s.Root(), filepath.Join(root, "store", "v1"); got != want {
		t.Errorf("Root = %q, want %q", got, want)
	}
	if !strings.HasPrefix(s.Dir(key1), s.Root()+string(filepath.Separator)) {
		t.Errorf("Dir %q is not under Root %q", s.Dir(key1), s.Root())
	}
}
