package dropbridge

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTopmostPaths(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want []string
	}{
		{nil, nil},
		{[]string{"/a/b", "/a", "/a/b/c"}, []string{"/a"}},
		{[]string{"/a b", "/a", "/a.txt", "/a/x"}, []string{"/a", "/a b", "/a.txt"}},
		{[]string{"/b", "/a", "/a"}, []string{"/a", "/b"}},
		{[]string{"/x", "/"}, []string{"/"}},
	} {
		if diff := cmp.Diff(tc.want, TopmostPaths(tc.in)); diff != "" {
			t.Errorf("TopmostPaths(%q) (-want +got):\n%s", tc.in, diff)
		}
	}
}
