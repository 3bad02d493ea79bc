package progress

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether w is an *os.File connected to a terminal. It
// does not change the file's blocking mode (as (*os.File).Fd would).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil {
		return false
	}
	sc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	var terr error
	if err := sc.Control(func(fd uintptr) {
		_, terr = unix.IoctlGetTermios(int(fd), ioctlGetTermios)
	}); err != nil {
		return false
	}
	return terr == nil
}
