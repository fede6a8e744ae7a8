package dropboxtest

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
)

// EmulatorTarget returns a conformance Target on a new emulator
// (NewEmulator with opts) that stops when t ends. Its async jobs answer
// in_progress once before they complete, as Dropbox's often do, so that the
// suite polls them. Faulty starts an emulator of its own for each fault
// subtest, since an emulator's faults hit every caller of a route.
func EmulatorTarget(t *testing.T, opts ...Option) Target {
	t.Helper()
	opts = append([]Option{WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 1 })}, opts...)
	return emulatorTarget(NewEmulator(t, opts...), opts)
}

// emulatorTarget is the Target of emu; opts start the emulators of
// Faulty.
func emulatorTarget(emu *Emulator, opts []Option) Target {
	var n atomic.Int64
	next := func() int64 { return n.Add(1) }
	return Target{
		Name:    "emulator",
		Options: []dropbox.Option{dropbox.WithBaseURL(emu.URL)},
		NewAccount: func(t *testing.T, plan string) Account {
			t.Helper()
			return emu.CreateAccount(t, AccountArg{Email: fmt.Sprintf("user%d@conformance.example", next()), AccountType: plan})
		},
		NewTeam: func(t *testing.T, members int) TeamAccounts {
			t.Helper()
			i := next()
			ta := TeamAccounts{Team: emu.CreateTeam(t, fmt.Sprintf("Team %d", i))}
			for m := range max(members, 1) {
				ta.Members = append(ta.Members, emu.CreateAccount(t, AccountArg{
					Email: fmt.Sprintf("member%d.%d@team%d.conformance.example", m, i, i), TeamID: ta.Team.TeamID}))
			}
			return ta
		},
		NewApp: func(t *testing.T) App {
			t.Helper()
			i := next()
			app := App{Key: fmt.Sprintf("confapp%d", i), Secret: fmt.Sprintf("secret-%d", i)}
			emu.CreateApp(t, AppArg{AppKey: app.Key, AppSecret: app.Secret, RedirectURIs: []string{"http://127.0.0.1/callback"}})
			return app
		},
		Faulty: func(t *testing.T) (Target, func(Fault)) {
			t.Helper()
			own := NewEmulator(t, opts...)
			return emulatorTarget(own, opts), func(f Fault) { own.AddFault(t, f) }
		},
	}
}
