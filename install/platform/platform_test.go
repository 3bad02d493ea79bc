package platform

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		value string
		list  []string
		want  bool
	}{
		{"linux", []string{"linux"}, true},
		{"linux", []string{"darwin"}, false},
		{"linux", []string{"darwin", "linux"}, true},
		{"linux", []string{"!win32"}, true},
		{"win32", []string{"!win32"}, false},
		{"linux", []string{"!win32", "darwin"}, false},
		{"linux", []string{"any"}, true},
		{"linux", []string{"!linux", "linux"}, false},
	}
	for _, tt := range tests {
		if got := Match(tt.value, tt.list); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.value, tt.list, got, tt.want)
		}
	}
}

func TestCheck(t *testing.T) {
	p := Platform{OS: "linux", CPU: "x64", Libc: "glibc"}
	tests := []struct {
		os, cpu, libc []string
		ok            bool
	}{
		{nil, nil, nil, true},
		{[]string{"linux"}, []string{"x64"}, []string{"glibc"}, true},
		{[]string{"linux"}, []string{"x64"}, []string{"musl"}, false},
		{[]string{"linux"}, []string{"arm64"}, nil, false},
		{[]string{"darwin"}, nil, nil, false},
	}
	for _, tt := range tests {
		err := p.Check(tt.os, tt.cpu, tt.libc)
		if (err == nil) != tt.ok {
			t.Errorf("Check(%v,%v,%v) = %v, want ok=%v", tt.os, tt.cpu, tt.libc, err, tt.ok)
		}
	}
	// libc is ignored off linux, and an unknown libc fails a libc list.
	if err := (Platform{OS: "darwin", CPU: "arm64"}).Check(nil, nil, []string{"glibc"}); err != nil {
		t.Errorf("darwin with libc list: %v", err)
	}
	if err := (Platform{OS: "linux", CPU: "x64"}).Check(nil, nil, []string{"glibc"}); err == nil {
		t.Errorf("unknown libc accepted a libc list")
	}
}

func TestDetectLibc(t *testing.T) {
	dir := t.TempDir()
	for content, want := range map[string]string{
		"#!/bin/sh\n# GNU C Library ldd": "glibc",
		"exec /lib/ld-musl-x86_64.so.1":  "musl",
		"something else":                 "",
	} {
		f := filepath.Join(dir, "ldd")
		if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := detectLibc(f); got != want {
			t.Errorf("detectLibc(%q) = %q, want %q", content, got, want)
		}
	}
	if got := detectLibc(filepath.Join(dir, "missing")); got != "" {
		t.Errorf("missing ldd gave %q", got)
	}
}
