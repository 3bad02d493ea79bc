package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// measurement is what one timed child process cost.
type measurement struct {
	Wall, User, Sys time.Duration
	MaxRSSKB        int64
	ExitCode        int
	Err             string // empty when the process ran and exited 0
}

// measure runs argv in dir with env, its stdout and stderr appended to
// logPath, in its own process group (killed as a whole on timeout or when ctx
// ends), and reports wall time and the rusage wait4 returned for it.
func measure(ctx context.Context, argv []string, dir string, env []string, logPath string, timeout time.Duration) measurement {
	if len(argv) == 0 {
		return measurement{ExitCode: -1, Err: "failed to run command: empty argv"}
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return measurement{ExitCode: -1, Err: fmt.Sprintf("failed to open log %q: %v", logPath, err)}
	}
	defer logf.Close()
	fmt.Fprintf(logf, "$ (cd %s && %s)\n", dir, strings.Join(argv, " "))

	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second

	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measurement{ExitCode: -1, Err: fmt.Sprintf("failed to start %q: %v", argv[0], err)}
	}
	waitErr := cmd.Wait()
	wall := time.Since(start)
	// Nothing the tool left behind in its group may disturb the next run.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)

	m := measurement{Wall: wall, ExitCode: -1}
	if st := cmd.ProcessState; st != nil {
		m.ExitCode = st.ExitCode()
		if ru, ok := st.SysUsage().(*syscall.Rusage); ok && ru != nil {
			m.User = time.Duration(ru.Utime.Nano())
			m.Sys = time.Duration(ru.Stime.Nano())
			m.MaxRSSKB = ru.Maxrss // kilobytes on Linux
		}
	}
	switch {
	case ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
		m.Err = fmt.Sprintf("timed out after %s", timeout)
	case ctx.Err() != nil:
		m.Err = fmt.Sprintf("canceled: %v", ctx.Err())
	case m.ExitCode != 0:
		m.Err = fmt.Sprintf("exit %d", m.ExitCode)
		if waitErr != nil && m.ExitCode == -1 {
			m.Err = waitErr.Error()
		}
	}
	if m.Err != "" {
		_ = logf.Sync()
		if tail := logTail(logPath, 3); tail != "" {
			m.Err += ": " + tail
		}
	}
	return m
}

// logTail returns the last n non-empty lines of the file, joined by " | " and
// cut to a length that fits a table note.
func logTail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(data) > 8192 {
		data = data[len(data)-8192:]
	}
	var lines []string
	for _, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimSpace(l)
		if len(l) > 0 && !bytes.HasPrefix(l, []byte("$ (cd ")) {
			lines = append(lines, string(l))
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	s := strings.Join(lines, " | ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}

// runQuiet runs argv and returns its combined output (used for versions and
// probes; not measured).
func runQuiet(ctx context.Context, argv []string, dir string, env []string, timeout time.Duration) (string, int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	code := -1
	if cmd.ProcessState != nil {
		code = cmd.ProcessState.ExitCode()
	}
	return out.String(), code, err
}
