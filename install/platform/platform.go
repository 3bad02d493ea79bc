// Package platform decides whether a package's os/cpu/libc constraints
// accept the machine, with npm-install-checks' rules: a list matches when
// the value is in it, or when every entry is a negation ("!win32") and none
// names the value; "any" alone matches everything.
package platform

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Platform is the target machine in npm's vocabulary (process.platform,
// process.arch, glibc|musl).
type Platform struct {
	OS, CPU, Libc string
}

// Current describes this machine; libc is read from /usr/bin/ldd like npm.
func Current() Platform {
	p := Platform{OS: runtime.GOOS, CPU: NodeArch(runtime.GOARCH)}
	if p.OS == "linux" {
		p.Libc = detectLibc("/usr/bin/ldd")
	}
	return p
}

// NodeArch maps a GOARCH to node's process.arch.
func NodeArch(goarch string) string {
	switch goarch {
	case "amd64":
		return "x64"
	case "386":
		return "ia32"
	case "mips64le":
		return "mips64el"
	case "mipsle":
		return "mipsel"
	}
	return goarch
}

func detectLibc(ldd string) string {
	b, err := os.ReadFile(ldd)
	if err != nil {
		return ""
	}
	s := string(b)
	switch {
	case strings.Contains(s, "musl"):
		return "musl"
	case strings.Contains(s, "GNU C Library"):
		return "glibc"
	}
	return ""
}

// Match reports whether value satisfies an npm os/cpu/libc list.
func Match(value string, list []string) bool {
	if len(list) == 1 && list[0] == "any" {
		return true
	}
	negated, match := 0, false
	for _, e := range list {
		if rest, ok := strings.CutPrefix(e, "!"); ok {
			negated++
			if value == rest {
				return false
			}
		} else if value == e {
			match = true
		}
	}
	return match || negated == len(list)
}

// Check returns nil when the constraints accept p, else an error that names
// what is wanted and what this machine is.
func (p Platform) Check(osList, cpuList, libcList []string) error {
	ok := (len(osList) == 0 || Match(p.OS, osList)) &&
		(len(cpuList) == 0 || Match(p.CPU, cpuList))
	if len(libcList) > 0 && p.OS == "linux" {
		ok = ok && p.Libc != "" && Match(p.Libc, libcList)
	}
	if ok {
		return nil
	}
	want := []string{}
	if len(osList) > 0 {
		want = append(want, "os "+strings.Join(osList, ","))
	}
	if len(cpuList) > 0 {
		want = append(want, "cpu "+strings.Join(cpuList, ","))
	}
	if len(libcList) > 0 {
		want = append(want, "libc "+strings.Join(libcList, ","))
	}
	return fmt.Errorf("unsupported platform: wants %s, this machine is %s", strings.Join(want, "; "), p)
}

func (p Platform) String() string {
	s := p.OS + "/" + p.CPU
	if p.Libc != "" {
		s += "/" + p.Libc
	}
	return s
}
