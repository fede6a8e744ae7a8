package dropbox_test

import (
	"errors"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// fastRetries keeps retry waits short in tests.
var fastRetries = dropbox.RetryPolicy{MaxAttempts: 8, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Budget: 30 * time.Second}

func TestCallAgainstEmulator(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))

	var me struct {
		AccountID string `json:"account_id"`
		Email     string `json:"email"`
	}
	if err := c.Call(t.Context(), "users/get_current_account", nil, &me); err != nil {
		t.Fatal(err)
	}
	if me.AccountID != acct.AccountID || me.Email != "ada@example.com" {
		t.Errorf("get_current_account = %+v", me)
	}

	err := c.Call(t.Context(), "files/get_metadata", map[string]string{"path": "/missing"}, nil)
	var ae *dropbox.APIError
	if !errors.As(err, &ae) || !errors.Is(err, dropbox.ErrNotFound) || ae.Route != "files/get_metadata" {
		t.Errorf("missing file: %v", err)
	}
	err = c.Call(t.Context(), "files/get_metadata", map[string]string{"path": "no-slash"}, nil)
	var bi *dropbox.BadInputError
	if !errors.As(err, &bi) {
		t.Errorf("bad path: %v", err)
	}
	bad := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken("sl.nope"))
	var au *dropbox.AuthError
	if err := bad.Call(t.Context(), "users/get_current_account", nil, nil); !errors.As(err, &au) || au.Tag != "invalid_access_token" {
		t.Errorf("bad token: %v", err)
	}
}

// TestCallRetries: rate limits (both reasons), 503s and dropped
// connections are retried until the call completes, once.
func TestCallRetries(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	for _, f := range []dropboxtest.Fault{
		{Route: "files/create_folder_v2", Status: 429, Reason: "too_many_write_operations", Times: 1},
		{Route: "files/create_folder_v2", Status: 429, Reason: "too_many_requests", Times: 1},
		{Route: "files/create_folder_v2", Status: 503, Times: 1},
		{Route: "files/create_folder_v2", Reset: true, Times: 1},
	} {
		emu.AddFault(t, f)
	}
	var res struct {
		Metadata struct {
			PathDisplay string `json:"path_display"`
		} `json:"metadata"`
	}
	if err := c.Call(t.Context(), "files/create_folder_v2", map[string]string{"path": "/Once"}, &res); err != nil {
		t.Fatalf("create_folder_v2 through faults: %v", err)
	}
	if res.Metadata.PathDisplay != "/Once" {
		t.Errorf("result = %+v", res)
	}
	// CallOnce does not repeat after a 503: the first try may have worked.
	emu.AddFault(t, dropboxtest.Fault{Route: "files/create_folder_v2", Status: 503, Times: 1})
	var se *dropbox.ServerError
	if err := c.CallOnce(t.Context(), "files/create_folder_v2", map[string]string{"path": "/Twice"}, nil); !errors.As(err, &se) || se.Status != 503 {
		t.Errorf("CallOnce after a 503: %v", err)
	}
}
