package preload

import (
	"encoding/json"
	"fmt"
	"strings"
)

// FlatOverrides reads package.json "overrides" into the name → spec map
// Options.Overrides applies everywhere: a string value overrides its key;
// an object value's "." entry overrides its key; "$name" refers to the
// root's own dependency spec for name (deps are the root's dependency
// maps, searched in order). Keys with a version selector ("foo@^1") and
// nested overrides (which npm applies only below their parent) are not
// flattened: preloading may then fetch a spec npm would not, never miss
// one that a top-level override sets.
func FlatOverrides(raw json.RawMessage, deps ...map[string]string) (map[string]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("failed to read \"overrides\": %w", err)
	}
	out := map[string]string{}
	for key, v := range m {
		if strings.LastIndexByte(key, '@') > 0 {
			continue
		}
		var spec string
		if err := json.Unmarshal(v, &spec); err != nil {
			var obj map[string]json.RawMessage
			if json.Unmarshal(v, &obj) != nil {
				continue
			}
			if json.Unmarshal(obj["."], &spec) != nil {
				continue
			}
		}
		if ref, ok := strings.CutPrefix(spec, "$"); ok {
			spec = ""
			for _, d := range deps {
				if s, ok := d[ref]; ok {
					spec = s
					break
				}
			}
			if spec == "" {
				return nil, fmt.Errorf("failed to read \"overrides\": %q refers to %q, which is not a direct dependency", key, "$"+ref)
			}
		}
		if spec != "" {
			out[key] = spec
		}
	}
	return out, nil
}
