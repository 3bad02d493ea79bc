package scripts

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// manifest is the part of a package.json the runner needs.
type manifest struct {
	Name    string
	Version string
	Scripts map[string]string
	Gypfile *bool
	Engines map[string]string
	Bin     map[string]string
	// raw is the whole decoded document (numbers as json.Number).
	raw map[string]any
}

// readManifest reads dir/package.json. Invalid script values are dropped, as
// @npmcli/package-json's normalize does.
func readManifest(dir string) (*manifest, error) {
	file := filepath.Join(dir, "package.json")
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("failed to read %q: %w", file, err)
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("failed to parse %q: %w", file, err)
	}
	m := &manifest{Scripts: map[string]string{}}
	m.Name, _ = raw["name"].(string)
	m.Version, _ = raw["version"].(string)
	if s, ok := raw["scripts"].(map[string]any); ok {
		for k, v := range s {
			if str, ok := v.(string); ok {
				m.Scripts[k] = str
			}
		}
	}
	if g, ok := raw["gypfile"].(bool); ok {
		m.Gypfile = &g
	}
	if e, ok := raw["engines"].(map[string]any); ok {
		m.Engines = map[string]string{}
		for k, v := range e {
			if str, ok := v.(string); ok {
				m.Engines[k] = str
			}
		}
	}
	m.Bin = normalizeBin(m.Name, raw["bin"])
	m.raw = raw
	return m, nil
}

// normalizeBin turns a package.json "bin" into the {name: path} map the
// lockfile holds: a string bin is named after the unscoped package name and
// paths lose their "./".
func normalizeBin(name string, bin any) map[string]string {
	out := map[string]string{}
	switch b := bin.(type) {
	case string:
		if name == "" {
			return nil
		}
		out[path.Base(name)] = cleanBinPath(b)
	case map[string]any:
		for k, v := range b {
			if s, ok := v.(string); ok {
				out[k] = cleanBinPath(s)
			}
		}
	default:
		return nil
	}
	return out
}

func cleanBinPath(p string) string {
	c := path.Clean(strings.ReplaceAll(p, "\\", "/"))
	return strings.TrimPrefix(c, "/")
}

// rootPackageEnvs sets the npm_package_* variables run-script derives from a
// normalized package.json: name, version, config, engines and bin.
func (m *manifest) rootPackageEnvs(env map[string]string) {
	for _, k := range []string{"name", "version", "config", "engines"} {
		v, ok := m.raw[k]
		if !ok {
			continue
		}
		if v == nil {
			v = jsonNull{}
		}
		flattenEnv(env, "npm_package_"+k, nullAware(v))
	}
	if m.Bin != nil {
		flattenEnv(env, "npm_package_bin", m.Bin)
	}
}

func flattenEnv(env map[string]string, key string, v any) {
	switch x := v.(type) {
	case nil:
		// undefined in JS is skipped; JSON null becomes "". Callers pass
		// absent fields as untyped nil, so they are skipped here.
	case jsonNull:
		env[key] = ""
	case bool:
		if x {
			env[key] = "true"
		} else {
			env[key] = ""
		}
	case string:
		env[key] = x
	case json.Number:
		env[key] = x.String()
	case []any:
		for i, item := range x {
			flattenEnv(env, fmt.Sprintf("%s_%d", key, i), item)
		}
	case map[string]any:
		for k, item := range x {
			flattenEnv(env, key+"_"+k, item)
		}
	case map[string]string:
		for k, item := range x {
			env[key+"_"+k] = item
		}
	default:
		env[key] = fmt.Sprint(x)
	}
}

// jsonNull marks an explicit JSON null inside decoded values.
type jsonNull struct{}

// nullAware replaces nil values inside decoded JSON containers by jsonNull so
// flattenEnv can tell `null` (exported as "") from an absent field.
func nullAware(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			if item == nil {
				out[i] = jsonNull{}
			} else {
				out[i] = nullAware(item)
			}
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, item := range x {
			if item == nil {
				out[k] = jsonNull{}
			} else {
				out[k] = nullAware(item)
			}
		}
		return out
	}
	return v
}
