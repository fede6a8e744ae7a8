package dropboxtest_test

import (
	"testing"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestCreateTeamAndMembers(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	tm := emu.CreateTeam(t, "Acme")
	if tm.TeamID == "" || tm.RootNS == "" || tm.AccessToken == "" {
		t.Fatalf("team = %+v", tm)
	}
	a := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@acme.example", TeamID: tm.TeamID})
	if a.TeamID != tm.TeamID || a.MemberID == "" || a.RootNS != tm.RootNS || a.HomeNS == "" || a.HomeNS == a.RootNS {
		t.Errorf("member = %+v", a)
	}
	solo := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com"})
	if solo.RootNS != solo.HomeNS || solo.TeamID != "" {
		t.Errorf("account without a team = %+v", solo)
	}
	if err := emu.AdminErr("POST", "/_emulator/accounts", dropboxtest.AccountArg{Email: "x@example.com", TeamID: "dbtid:nope"}, nil); err == nil {
		t.Error("an unknown team was accepted")
	}
}
