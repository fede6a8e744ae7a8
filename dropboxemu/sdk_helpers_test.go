package dropboxemu_test

import (
	"fmt"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// sdkConfig points Dropbox's official Go SDK at emu, authenticated with token.
func sdkConfig(emu *dropboxtest.Emulator, token string) dropbox.Config {
	return dropbox.Config{
		Token: token,
		URLGenerator: func(hostType, namespace, route string) string {
			return fmt.Sprintf("%s/2/%s/%s", emu.URL, namespace, route)
		},
	}
}

// newSDKAccount makes an emulator, an account on it and an SDK config for it.
func newSDKAccount(t *testing.T, opts ...dropboxtest.Option) (*dropboxtest.Emulator, dropboxtest.Account, dropbox.Config) {
	t.Helper()
	emu := dropboxtest.NewEmulator(t, opts...)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "grace@example.com", DisplayName: "Grace Hopper", AccountType: "pro"})
	return emu, acct, sdkConfig(emu, acct.AccessToken)
}
