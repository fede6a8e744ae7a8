package dropbox

import (
	"encoding/json"
	"reflect"
	"testing"
)

// headerJSON is what the client sends as Dropbox-API-Arg for v.
func headerJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return headerSafe(b), nil
}

func TestHeaderJSON(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]string{"path": "/a.txt"}, `{"path":"/a.txt"}`},
		{map[string]string{"path": "/café"}, `{"path":"/caf\u00e9"}`},
		{map[string]string{"path": "/😀"}, `{"path":"/\ud83d\ude00"}`},
		{map[string]string{"path": "/del\x7f"}, `{"path":"/del\u007f"}`},
		{map[string]string{"path": "/a&b<c>"}, `{"path":"/a\u0026b\u003cc\u003e"}`},
	} {
		got, err := headerJSON(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("headerJSON(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzHeaderJSON: the header form of any string argument is ASCII without
// DEL or control characters, and decodes to the same value.
func FuzzHeaderJSON(f *testing.F) {
	for _, s := range []string{"", "/a", "/é", "/😀", "\x7f", "\xff\xfe", "a\"b\\c\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		in := map[string]any{"path": s, "n": 1}
		h, err := headerJSON(in)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 || h[i] >= 0x7f {
				t.Fatalf("byte %#x at %d in %q", h[i], i, h)
			}
		}
		var got, want map[string]any
		if err := json.Unmarshal([]byte(h), &got); err != nil {
			t.Fatalf("%q does not decode: %v", h, err)
		}
		b, _ := json.Marshal(in)
		json.Unmarshal(b, &want)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("round trip of %q: %v, want %v", s, got, want)
		}
	})
}
