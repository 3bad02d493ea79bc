package cli

import (
	"bytes"
	"strings"
	"testing"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = Main(args, Stdio{Out: &out, Err: &errb}, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestMain(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string
		wantErr    string
		notWantErr string
	}{
		{name: "no args", args: nil, wantCode: ExitUsage, wantErr: "Commands:"},
		{name: "help", args: []string{"help"}, wantCode: ExitOK, wantOut: "ci "},
		{name: "--help", args: []string{"--help"}, wantCode: ExitOK, wantOut: "lockstep <command>"},
		{name: "version", args: []string{"version"}, wantCode: ExitOK, wantOut: "lockstep " + Version + "\n"},
		{name: "--version", args: []string{"--version"}, wantCode: ExitOK, wantOut: "lockstep " + Version},
		{name: "unknown command", args: []string{"frobnicate"}, wantCode: ExitUsage, wantErr: `unknown command "frobnicate"`},
		{name: "help ci", args: []string{"help", "ci"}, wantCode: ExitOK, wantErr: "--omit"},
		{name: "ci unknown flag", args: []string{"ci", "--frob"}, wantCode: ExitUsage, wantErr: "flag provided but not defined: -frob"},
		{name: "ci bad omit", args: []string{"ci", "--omit", "prod"}, wantCode: ExitUsage, wantErr: `invalid value "prod" for --omit/--include`},
		{name: "ci bad concurrency", args: []string{"ci", "--concurrency", "0"}, wantCode: ExitUsage, wantErr: `invalid value "0" for --concurrency`},
		{name: "ci stray argument", args: []string{"ci", "extra"}, wantCode: ExitUsage, wantErr: `unexpected argument "extra"`},
		{name: "ci missing project", args: []string{"ci", "--dir", "/nonexistent/lockstep-test", "--cache-dir", "/tmp/lockstep-cli-test"}, wantCode: ExitUsage, wantErr: "package.json"},
		{name: "bench bad phase", args: []string{"bench", "--phases", "p9"}, wantCode: ExitUsage, wantErr: `invalid value "p9" for --phases`},
		{name: "bench bad tool", args: []string{"bench", "--vs", "yarn"}, wantCode: ExitUsage, wantErr: `invalid value "yarn" for --vs`},
		{name: "bench no project", args: []string{"bench", "--dir", "/nonexistent/lockstep-test"}, wantCode: ExitUsage, wantErr: `failed to read project "/nonexistent/lockstep-test"`},
		{name: "version extra", args: []string{"version", "x"}, wantCode: ExitUsage, wantErr: `unexpected argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := run(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, errs)
			}
			if !strings.Contains(out, tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errs, tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errs, tt.wantErr)
			}
		})
	}
}

func TestDefaultCacheDir(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"LOCKSTEP_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/c"},
		{map[string]string{"XDG_CACHE_HOME": "/x", "HOME": "/h"}, "/x/lockstep"},
		{map[string]string{"HOME": "/h"}, "/h/.cache/lockstep"},
	}
	for _, tt := range tests {
		if got := DefaultCacheDir(func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("DefaultCacheDir(%v) = %q, want %q", tt.env, got, tt.want)
		}
	}
}
