package httpapi

import (
	"context"
	"errors"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// TestArchiveTeamFolderPollsTheJob archives on an emulator whose jobs
// answer in_progress twice before they complete, as Dropbox's often do.
func TestArchiveTeamFolderPollsTheJob(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 2 }))
	tm := emu.CreateTeam(t, "Polls")
	emu.CreateAccount(t, dropboxtest.AccountArg{Email: "admin@polls.test", TeamID: tm.TeamID, AccountType: "business"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(tm.AccessToken))
	ctx := t.Context()
	f, err := c.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Old"})
	if err != nil {
		t.Fatal(err)
	}
	md, err := archiveTeamFolder(ctx, c, f.TeamFolderID)
	if err != nil {
		t.Fatal(err)
	}
	if md.TeamFolderID != f.TeamFolderID || md.Status.Tag != dropbox.TeamFolderStatusArchived {
		t.Errorf("archived %+v, want %s archived", md, f.TeamFolderID)
	}

	// A second archive is refused by Dropbox at once, not polled.
	_, err = archiveTeamFolder(ctx, c, f.TeamFolderID)
	var api *dropbox.APIError
	if !errors.As(err, &api) || api.Route != "team/team_folder/archive" {
		t.Errorf("archive of an archived folder: %v", err)
	}

	// A request that is gone asks nothing more of Dropbox.
	g, err := c.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Slow"})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := archiveTeamFolder(cctx, c, g.TeamFolderID); !errors.Is(err, context.Canceled) {
		t.Errorf("archive with a cancelled context: %v", err)
	}
}
