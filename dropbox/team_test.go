package dropbox_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// rootNames lists the entries of a folder through c.
func rootNames(t *testing.T, c *dropbox.Client, path string) []string {
	t.Helper()
	res, err := c.Files.ListFolder(t.Context(), &dropbox.ListFolderArg{Path: path})
	if err != nil {
		t.Fatalf("list_folder %q: %v", path, err)
	}
	var out []string
	for _, e := range res.Entries {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// TestTeamSpace: a member sees team folders only through the root
// namespace; InTeamSpace sets it for members of a team space, through a
// member's own token and through a team token acting as the member, and
// leaves personal accounts alone.
func TestTeamSpace(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	ctx := t.Context()
	team := emu.CreateTeam(t, "Acme")
	admin := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@acme.example", TeamID: team.TeamID})
	member := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@acme.example", TeamID: team.TeamID})
	opts := []dropbox.Option{dropbox.WithBaseURL(emu.URL), dropbox.WithRetryPolicy(fastRetries)}

	tc := dropbox.New(append(opts, dropbox.WithToken(team.AccessToken))...)
	if _, err := tc.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Designs"}); err != nil {
		t.Fatal(err)
	}
	// A team token cannot list files without acting as someone.
	var bi *dropbox.BadInputError
	if _, err := tc.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: ""}); !errors.As(err, &bi) {
		t.Errorf("team token on a user route: %v", err)
	}

	mc := dropbox.New(append(opts, dropbox.WithToken(member.AccessToken))...)
	if _, err := mc.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: "/Mine"}); err != nil {
		t.Fatal(err)
	}
	if got := rootNames(t, mc, ""); slices.Contains(got, "Designs") {
		t.Errorf("home listing shows the team folder: %v", got)
	}
	for _, c := range []*dropbox.Client{mc, tc.AsMember(member.MemberID)} {
		ts, err := c.InTeamSpace(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := rootNames(t, ts, ""); !slices.Contains(got, "Designs") {
			t.Errorf("team space root listing = %v, want the team folder in it", got)
		}
		// The copy keeps its root; the original does not change.
		if got := rootNames(t, c, ""); slices.Contains(got, "Designs") {
			t.Errorf("InTeamSpace changed the original client: %v", got)
		}
	}

	// An admin acting through Select-Admin on a route that allows it.
	ac := tc.AsAdmin(admin.MemberID)
	if me, err := ac.Users.GetCurrentAccount(ctx); err != nil || me.AccountID != admin.AccountID {
		t.Errorf("as admin: %+v, %v", me, err)
	}
	// A member id that is not in the team.
	var au *dropbox.AuthError
	if _, err := tc.AsMember("dbmid:nobody").Users.GetCurrentAccount(ctx); !errors.As(err, &au) || au.Tag != "invalid_select_user" {
		t.Errorf("unknown member: %v", err)
	}

	// A personal account has no team space: the same client comes back.
	solo := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "solo@example.com"})
	sc := dropbox.New(append(opts, dropbox.WithToken(solo.AccessToken))...)
	if ts, err := sc.InTeamSpace(ctx); err != nil || ts != sc {
		t.Errorf("personal account: %p, %v; want the client itself", ts, err)
	}
}

// TestAppAuth: check/app goes with the app key and secret, and says so
// when they are missing.
func TestAppAuth(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "k3y", AppSecret: "s3cret", RedirectURIs: []string{"http://localhost/cb"}})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithAppAuth("k3y", "s3cret"), dropbox.WithRetryPolicy(fastRetries))
	res, err := c.Check.App(t.Context(), &dropbox.EchoArg{Query: "ping"})
	if err != nil || res.Result != "ping" {
		t.Fatalf("check/app = %+v, %v", res, err)
	}
	wrong := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithAppAuth("k3y", "nope"))
	if _, err := wrong.Check.App(t.Context(), &dropbox.EchoArg{Query: "ping"}); err == nil {
		t.Error("check/app with a wrong secret succeeded")
	}
	none := dropbox.New(dropbox.WithBaseURL(emu.URL))
	if _, err := none.Check.App(t.Context(), &dropbox.EchoArg{Query: "ping"}); err == nil {
		t.Error("check/app without app auth succeeded")
	}
}
