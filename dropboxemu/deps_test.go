package dropboxemu_test

// Test-only dependencies used across the emulator's tests.
import (
	_ "github.com/google/go-cmp/cmp"
	_ "golang.org/x/oauth2"
)
