package action

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/sethvargo/go-githubactions"
	"go.yaml.in/yaml/v3"
)

const repoRoot = "../.."

type instruction struct {
	cmd  string // upper-case
	args string
	line int
}

type stage struct {
	image, name string
	ins         []instruction
}

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// continuation lines and dropping comments.
func parseDockerfile(t *testing.T, data string) []stage {
	t.Helper()
	var stages []stage
	var cur strings.Builder
	start := 0
	flush := func() {
		text := strings.TrimSpace(cur.String())
		cur.Reset()
		if text == "" {
			return
		}
		cmd, args, _ := strings.Cut(text, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start}
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			st := stage{image: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				st.name = f[2]
			} else if len(f) != 1 {
				t.Fatalf("line %d: bad FROM %q", start, in.args)
			}
			stages = append(stages, st)
			return
		}
		if len(stages) == 0 {
			t.Fatalf("line %d: %s before FROM", start, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	for i, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if cur.Len() == 0 {
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			start = i + 1
		} else if strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasSuffix(trimmed, "\\") {
			cur.WriteString(strings.TrimSpace(strings.TrimSuffix(trimmed, "\\")) + " ")
			continue
		}
		cur.WriteString(trimmed)
		flush()
	}
	flush()
	return stages
}

func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, string(data))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	final := stages[len(stages)-1]
	if !regexp.MustCompile(`^node:(\d*[02468])-(bookworm|trixie|bullseye)(-slim)?(@sha256:[0-9a-f]{64})?$`).MatchString(final.image) {
		t.Errorf("runtime image %q: want a Node LTS (even major) on Debian glibc", final.image)
	}
	names := map[string]int{}
	var built []string // paths the build stages write with go build -o
	for i, st := range stages {
		if st.name != "" {
			names[st.name] = i
		}
		for _, in := range st.ins {
			switch in.cmd {
			case "USER":
				t.Errorf("line %d: USER in a container action (it must run as root)", in.line)
			case "RUN":
				if strings.Contains(in.args, "go build") {
					if !strings.Contains(in.args, "CGO_ENABLED=0") || !strings.Contains(in.args, "-trimpath") {
						t.Errorf("line %d: go build without CGO_ENABLED=0 and -trimpath", in.line)
					}
					if m := regexp.MustCompile(`-o\s+(\S+)`).FindStringSubmatch(in.args); m != nil {
						built = append(built, m[1])
					}
					if m := regexp.MustCompile(`-X\s+(\S+)\.Version=`).FindStringSubmatch(in.args); m != nil {
						pkg := strings.TrimPrefix(m[1], "github.com/lockstep-dev/lockstep/")
						src, err := os.ReadFile(filepath.Join(repoRoot, pkg, "cli.go"))
						if err != nil || !strings.Contains(string(src), "var Version = ") {
							t.Errorf("line %d: -X %s.Version names no string variable", in.line, m[1])
						}
					}
					for _, f := range strings.Fields(in.args) {
						if strings.HasPrefix(f, "./") {
							if _, err := os.Stat(filepath.Join(repoRoot, f)); err != nil {
								t.Errorf("line %d: builds %q: %v", in.line, f, err)
							}
						}
					}
				}
			case "COPY", "ADD":
				f := strings.Fields(in.args)
				from := ""
				for len(f) > 0 && strings.HasPrefix(f[0], "--") {
					if v, ok := strings.CutPrefix(f[0], "--from="); ok {
						from = v
					}
					f = f[1:]
				}
				if len(f) < 2 {
					t.Errorf("line %d: %s needs a source and a destination", in.line, in.cmd)
					continue
				}
				for _, src := range f[:len(f)-1] {
					if from != "" {
						j, ok := names[from]
						if !ok || j >= i {
							t.Errorf("line %d: COPY --from=%s names no earlier stage", in.line, from)
						}
						if !slices.Contains(built, src) {
							t.Errorf("line %d: COPY --from=%s %s: no earlier stage builds it (built: %v)", in.line, from, src, built)
						}
						continue
					}
					if _, err := os.Stat(filepath.Join(repoRoot, src)); err != nil {
						t.Errorf("line %d: COPY source %q: %v", in.line, src, err)
					}
				}
			}
		}
	}
	var entry []instruction
	for _, in := range final.ins {
		if in.cmd == "ENTRYPOINT" {
			entry = append(entry, in)
		}
	}
	if len(entry) != 1 {
		t.Fatalf("runtime stage has %d ENTRYPOINTs", len(entry))
	}
	var argv []string
	if err := yaml.Unmarshal([]byte(entry[0].args), &argv); err != nil || !slices.Equal(argv, []string{"/usr/local/bin/lockstep", "action"}) {
		t.Errorf("ENTRYPOINT %s (%v): want the exec form [\"/usr/local/bin/lockstep\", \"action\"]", entry[0].args, err)
	}
	copied := false
	for _, in := range final.ins {
		if in.cmd == "COPY" && strings.HasSuffix(in.args, " /usr/local/bin/lockstep") {
			copied = true
		}
	}
	if !copied {
		t.Error("the runtime stage does not copy the binary to /usr/local/bin/lockstep")
	}
}

func TestParseDockerfile(t *testing.T) {
	st := parseDockerfile(t, "# c\nFROM a AS b\nRUN x \\\n  # inner comment\n  y\nFROM c\nCOPY --from=b /o /p\n")
	if len(st) != 2 || st[0].name != "b" || st[0].ins[0].args != "x y" || st[1].image != "c" || st[1].ins[0].cmd != "COPY" {
		t.Errorf("parsed %+v", st)
	}
}

type actionYML struct {
	Name        string
	Description string
	Author      string
	Branding    struct{ Icon, Color string }
	Inputs      map[string]struct {
		Description string
		Required    bool
		Default     *string
	}
	Outputs map[string]struct{ Description string }
	Runs    struct {
		Using          string
		Image          string
		Entrypoint     string
		PostEntrypoint string `yaml:"post-entrypoint"`
		PostIf         string `yaml:"post-if"`
		Args           []string
	}
}

func TestActionYML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionYML
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Branding.Icon == "" || a.Branding.Color == "" {
		t.Errorf("name, description and branding are required: %+v", a)
	}
	if a.Runs.Using != "docker" || a.Runs.Image != "Dockerfile" {
		t.Errorf("runs = %+v, want using docker, image Dockerfile", a.Runs)
	}
	if _, err := os.Stat(filepath.Join(repoRoot, a.Runs.Image)); err != nil {
		t.Error(err)
	}
	checkPostEntrypoint(t, a.Runs.PostEntrypoint)
	keys := func(m map[string]bool) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	declared := map[string]bool{}
	for k, in := range a.Inputs {
		declared[k] = true
		if in.Description == "" {
			t.Errorf("input %s has no description", k)
		}
	}
	// the inputs Run reads are exactly the declared ones
	read := map[string]bool{}
	_, _ = readInputs(githubactions.New(githubactions.WithGetenv(func(k string) string {
		if name, ok := strings.CutPrefix(k, "INPUT_"); ok {
			read[strings.ToLower(name)] = true
		}
		return ""
	}), githubactions.WithWriter(&syncBuffer{})))
	if !slices.Equal(keys(read), keys(declared)) {
		t.Errorf("inputs read %v, declared %v", keys(read), keys(declared))
	}
	if want := append([]string(nil), inputNames...); !slices.Equal(keys(declared), sortedCopy(want)) {
		t.Errorf("inputNames %v, declared %v", want, keys(declared))
	}
	outs := map[string]bool{}
	for k, o := range a.Outputs {
		outs[k] = true
		if o.Description == "" {
			t.Errorf("output %s has no description", k)
		}
	}
	if !slices.Equal(keys(outs), sortedCopy(outputNames)) {
		t.Errorf("outputs declared %v, written %v", keys(outs), outputNames)
	}
	// defaults agree with the code's
	for name, want := range map[string]string{"command": "ci", "comment": "on-change", "concurrency": "64", "working-directory": ".", "token": "${{ github.token }}", "ignore-scripts": "false"} {
		if d := a.Inputs[name].Default; d == nil || *d != want {
			t.Errorf("input %s default %v, want %q", name, d, want)
		}
	}
	in, err := readInputs(githubactions.New(githubactions.WithGetenv(func(string) string { return "" }), githubactions.WithWriter(&syncBuffer{})))
	if err != nil || in.command != "ci" || in.comment != "on-change" || in.concurrency != 64 || in.workingDir != "." || in.ignoreScripts {
		t.Errorf("code defaults: %+v %v", in, err)
	}
}

func sortedCopy(s []string) []string {
	c := append([]string(nil), s...)
	sort.Strings(c)
	return c
}

// checkPostEntrypoint: action.yml's post-entrypoint is a file the runtime
// stage creates, and it runs `lockstep action --post` (the post step that
// saves the cache).
func checkPostEntrypoint(t *testing.T, post string) {
	t.Helper()
	if post == "" {
		t.Fatal("no post-entrypoint: the cache would never be saved")
	}
	data, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	stages := parseDockerfile(t, string(data))
	final := stages[len(stages)-1]
	for _, in := range final.ins {
		if in.cmd == "RUN" && strings.Contains(in.args, "> "+post+" ") {
			if !strings.Contains(in.args, "exec /usr/local/bin/lockstep action --post") || !strings.Contains(in.args, "chmod 755 "+post) {
				t.Errorf("line %d: %s does not exec `lockstep action --post` or is not executable: %s", in.line, post, in.args)
			}
			return
		}
	}
	t.Errorf("post-entrypoint %q: the runtime stage does not create it", post)
}
