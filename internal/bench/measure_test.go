package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tests := []struct {
		name     string
		script   string
		timeout  time.Duration
		exit     int
		errMatch string
		check    func(t *testing.T, m measurement)
	}{
		{"ok", "echo hi", time.Minute, 0, "", nil},
		{"exit code and log tail", "echo first; echo last words >&2; exit 3", time.Minute, 3, "exit 3: first | last words", nil},
		{"cpu is counted", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done", time.Minute, 0, "", func(t *testing.T, m measurement) {
			if m.User <= 0 || m.User > m.Wall+time.Second {
				t.Errorf("user %v, wall %v", m.User, m.Wall)
			}
			if m.MaxRSSKB <= 0 {
				t.Errorf("max RSS %d", m.MaxRSSKB)
			}
		}},
		{"children are counted", "sh -c 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done'", time.Minute, 0, "", func(t *testing.T, m measurement) {
			if m.User <= 50*time.Millisecond {
				t.Errorf("user %v: the child's CPU was not counted", m.User)
			}
		}},
		{"timeout kills the group", "sleep 30 & sleep 30; wait", 300 * time.Millisecond, -1, "timed out", func(t *testing.T, m measurement) {
			if m.Wall > 15*time.Second {
				t.Errorf("wall %v: not killed in time", m.Wall)
			}
		}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := filepath.Join(dir, tc.name+".log")
			m := measure(context.Background(), []string{"/bin/sh", "-c", tc.script}, dir, os.Environ(), log, tc.timeout)
			if m.ExitCode != tc.exit && !(tc.exit == -1 && m.ExitCode != 0) {
				t.Errorf("exit = %d, want %d (err %q)", m.ExitCode, tc.exit, m.Err)
			}
			if (tc.errMatch == "") != (m.Err == "") || !strings.Contains(m.Err, tc.errMatch) {
				t.Errorf("err = %q, want ~%q", m.Err, tc.errMatch)
			}
			if m.Wall <= 0 {
				t.Errorf("wall = %v", m.Wall)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
			data, err := os.ReadFile(log)
			if err != nil || !strings.Contains(string(data), tc.script) {
				t.Errorf("log %d lacks the command: %q (%v)", i, data, err)
			}
		})
	}
	m := measure(context.Background(), []string{filepath.Join(dir, "does-not-exist")}, dir, nil, filepath.Join(dir, "x.log"), time.Minute)
	if m.Err == "" || m.ExitCode != -1 {
		t.Errorf("missing binary: %+v", m)
	}
}
