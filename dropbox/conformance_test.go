package dropbox_test

import (
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/google/go-cmp/cmp"
)

// TestConformance runs the client conformance suite against the emulator,
// faults included.
func TestConformance(t *testing.T) {
	t.Parallel()
	dropboxtest.RunConformance(t, dropboxtest.EmulatorTarget(t))
}

// TestRoutesMatchEmulator: every route the emulator serves has a client
// method, and every client method a route the emulator serves.
func TestRoutesMatchEmulator(t *testing.T) {
	t.Parallel()
	if d := cmp.Diff(dropboxemu.Routes(), dropbox.Routes()); d != "" {
		t.Errorf("dropbox.Routes() differs from dropboxemu.Routes() (-emulator +client):\n%s", d)
	}
}
