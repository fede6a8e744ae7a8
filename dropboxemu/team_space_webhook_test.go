package dropboxemu_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/team"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// TestTeamSpaceWebhook: a change in a team folder notifies every member who
// authorised the app, not only the one who made it; a change in a member's
// own folder notifies that member alone.
func TestTeamSpaceWebhook(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	emu := dropboxtest.NewEmulator(t)
	const secret = "team-hook-secret"
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "teamhook", AppSecret: secret, RedirectURIs: []string{oauthRedirect}, WebhookURI: recv.srv.URL})
	tm := emu.CreateTeam(t, "Acme")
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@acme.example", DisplayName: "Ada", TeamID: tm.TeamID, AppKey: "teamhook"})
	bob := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@acme.example", DisplayName: "Bob", TeamID: tm.TeamID, AppKey: "teamhook"})
	if _, err := team.New(sdkConfig(emu, tm.AccessToken)).TeamFolderCreate(team.NewTeamFolderCreateArg("Shared Work")); err != nil {
		t.Fatal(err)
	}
	// Creating the team folder changed the team space: drain what that sent.
	drain := func() {
		for {
			select {
			case <-recv.posts:
			default:
				return
			}
		}
	}
	hookWaitUntil(t, "the team folder's notification", func() bool {
		for _, d := range hookDeliveries(t, emu) {
			if d.Delivered {
				return true
			}
		}
		return false
	})
	drain()

	adaRoot := files.New(rootConfig(sdkConfig(emu, ada.AccessToken), ada.RootNS))
	if _, err := adaRoot.Upload(files.NewUploadArg("/Shared Work/doc.txt"), bytes.NewReader([]byte("d"))); err != nil {
		t.Fatal(err)
	}
	got := recv.next(t).check(t, secret)
	want := []string{ada.AccountID, bob.AccountID}
	slices.Sort(want)
	if !slices.Equal(got.ListFolder.Accounts, want) {
		t.Errorf("team folder change notified %v, want %v", got.ListFolder.Accounts, want)
	}

	adaHome := files.New(sdkConfig(emu, ada.AccessToken))
	if _, err := adaHome.Upload(files.NewUploadArg("/private.txt"), bytes.NewReader([]byte("p"))); err != nil {
		t.Fatal(err)
	}
	got = recv.next(t).check(t, secret)
	if !slices.Equal(got.ListFolder.Accounts, []string{ada.AccountID}) {
		t.Errorf("member folder change notified %v, want only Ada", got.ListFolder.Accounts)
	}
}
