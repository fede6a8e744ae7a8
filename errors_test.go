package dropbridge_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/dropbridge/dropbridge"
)

func TestErrorCodeAndMessage(t *testing.T) {
	t.Parallel()
	notFound := dropbridge.Errorf(dropbridge.ENOTFOUND, "No connection %q in this environment.", "conn_1")
	tests := []struct {
		name        string
		err         error
		wantCode    string
		wantMessage string
	}{
		{"nil", nil, "", ""},
		{"domain error", notFound, dropbridge.ENOTFOUND, `No connection "conn_1" in this environment.`},
		{"wrapped", fmt.Errorf("sqlite: find connection: %w", notFound), dropbridge.ENOTFOUND, `No connection "conn_1" in this environment.`},
		{"other error", errors.New("disk full at /var/lib/x"), dropbridge.EINTERNAL, "Internal error."},
		{"joined", errors.Join(errors.New("x"), &dropbridge.Error{Code: dropbridge.ECONFLICT, Message: "m"}), dropbridge.ECONFLICT, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := dropbridge.ErrorCode(tt.err); got != tt.wantCode {
				t.Errorf("ErrorCode = %q, want %q", got, tt.wantCode)
			}
			if got := dropbridge.ErrorMessage(tt.err); got != tt.wantMessage {
				t.Errorf("ErrorMessage = %q, want %q", got, tt.wantMessage)
			}
		})
	}
	if got, want := notFound.Error(), `dropbridge: not_found: No connection "conn_1" in this environment.`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
