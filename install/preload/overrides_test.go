package preload

import (
	"reflect"
	"testing"
)

func TestFlatOverrides(t *testing.T) {
	deps := map[string]string{"react": "^18.2.0"}
	cases := []struct {
		raw     string
		want    map[string]string
		wantErr bool
	}{
		{raw: ``, want: nil},
		{raw: `{"a":"1.0.0","b":{".":"2.0.0","c":"3"},"d@^1":"1.2.3","e":{"f":"1"},"r":"$react"}`,
			want: map[string]string{"a": "1.0.0", "b": "2.0.0", "r": "^18.2.0"}},
		{raw: `{"x":"$nope"}`, wantErr: true},
		{raw: `[1]`, wantErr: true},
	}
	for _, c := range cases {
		got, err := FlatOverrides([]byte(c.raw), deps)
		if (err != nil) != c.wantErr {
			t.Errorf("FlatOverrides(%s) error = %v", c.raw, err)
			continue
		}
		if !c.wantErr && !reflect.DeepEqual(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("FlatOverrides(%s) = %v, want %v", c.raw, got, c.want)
		}
	}
}

// TestPreloadOverrides checks that an override replaces the spec of every
// edge to its name, deep in the tree too.
func TestPreloadOverrides(t *testing.T) {
	g := newGraphFixed()
	f := &fakeFetcher{g: g}
	res, err := Preload(t.Context(), []Request{{Name: "top", Spec: "*"}}, Options{Fetcher: f, Overrides: map[string]string{"leaf": "1.0.0"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Picked["leaf@1.0.0"]; v == nil || v.Version != "1.0.0" || res.Picked["leaf@^2"] != nil {
		t.Fatalf("picked = %v", res.Picked)
	}
}
