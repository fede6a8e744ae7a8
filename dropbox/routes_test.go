package dropbox

import (
	"slices"
	"testing"
)

// TestRoutesByName: the route table has every route of Routes() under its
// name and nothing else.
func TestRoutesByName(t *testing.T) {
	t.Parallel()
	names := Routes()
	if len(routesByName) != len(names) {
		t.Errorf("routesByName has %d routes, Routes() %d", len(routesByName), len(names))
	}
	for _, name := range names {
		rt, ok := routesByName[name]
		switch {
		case !ok:
			t.Errorf("%s is not in routesByName", name)
		case rt == nil || rt.name != name:
			t.Errorf("routesByName[%q] = %+v", name, rt)
		}
	}
	for name := range routesByName {
		if !slices.Contains(names, name) {
			t.Errorf("routesByName has %s, which Routes() does not", name)
		}
	}
	if rt := routesByName["files/upload"]; rt != routeFilesUpload || rt.host != "content" || rt.style != "upload" || !rt.write {
		t.Errorf("files/upload = %+v", rt)
	}
}
