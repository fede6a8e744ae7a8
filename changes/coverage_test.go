package changes_test

import (
	"bytes"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/connect"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// unproducible are the event types that no test can make on the emulator,
// with the routes it lacks. TestEveryEventType fails when one of them is
// made after all, so that this list stays true. It is empty: every type
// can be made.
var unproducible = map[dropbridge.EventType]string{}

// TestEveryEventType makes every event type of dropbridge.EventTypes on
// the emulator, one connection of a user, one connected through the
// connect flow and one of a team, and fails for a type that none of the
// changes made. Moves as one event, a cursor reset and a restart in the
// middle of a listing are TestFileEvents', TestCursorReset's and
// TestRestartMidListing's; this test checks the types are all reachable
// end to end, each change's details are the other tests'.
func TestEveryEventType(t *testing.T) {
	t.Parallel()
	f := newFixture(t, "sqlite", nil)
	clock := &testClock{now: time.Now()}
	f.svc.Now = clock.Now
	ctx := t.Context()
	s := f.service(changes.Config{Now: clock.Now})
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	// The connection made through the connect flow: connection.created.
	other := f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "other@example.com", AccountType: "pro", AppKey: testAppKey})
	oauthConn := connectThroughConsent(t, f, other.AccountID)

	f.upload("/a.txt", "a")
	f.mkdir("/Shared")
	f.mkdir("/Inbox")
	f.sync(s) // the first listing and polls: silent

	// Files, folders and Paper documents.
	f.upload("/b.txt", "b")
	f.upload("/a.txt", "a, changed")
	f.move("/b.txt", "/c.txt")
	f.mkdir("/Old")
	f.move("/Old", "/New")
	_, err := f.user.Paper.Create(ctx, &dropbox.PaperCreateArg{Path: "/Notes.paper", ImportFormat: dropbox.ImportFormat{Tag: dropbox.ImportFormatMarkdown}},
		strings.NewReader("# Notes\n"))
	must("create a Paper doc", err)
	f.sync(s)
	_, err = f.user.Paper.Update(ctx, &dropbox.PaperUpdateArg{Path: "/Notes.paper", ImportFormat: dropbox.ImportFormat{Tag: dropbox.ImportFormatMarkdown},
		DocUpdatePolicy: dropbox.PaperDocUpdatePolicy{Tag: dropbox.PaperDocUpdatePolicyOverwrite}}, strings.NewReader("# Notes\n\nmore\n"))
	must("update a Paper doc", err)
	f.sync(s)
	f.move("/Notes.paper", "/New/Notes.paper")
	f.sync(s)
	f.remove("/New/Notes.paper")
	f.remove("/c.txt")
	f.remove("/New")
	f.sync(s)

	// Shared links.
	link, err := f.user.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/a.txt"})
	must("create a shared link", err)
	f.sync(s)
	expires := clock.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	_, err = f.user.Sharing.ModifySharedLinkSettings(ctx, &dropbox.ModifySharedLinkSettingsArgs{URL: link.URL(), Settings: dropbox.SharedLinkSettings{Expires: &expires}})
	must("modify a shared link", err)
	f.sync(s)
	must("revoke a shared link", f.user.Sharing.RevokeSharedLink(ctx, &dropbox.RevokeSharedLinkArg{URL: link.URL()}))
	f.sync(s)

	// A shared folder and its members (the folder gains sharing info:
	// folder.updated).
	launch, err := f.user.Sharing.ShareFolder(ctx, &dropbox.ShareFolderArg{Path: "/Shared"})
	must("share a folder", err)
	sfID := ""
	switch {
	case launch.Complete != nil:
		sfID = launch.Complete.SharedFolderID
	default:
		for {
			st, err := f.user.Sharing.CheckShareJobStatus(ctx, &dropbox.PollArg{AsyncJobID: launch.AsyncJobID})
			must("check the share job", err)
			if st.Complete != nil {
				sfID = st.Complete.SharedFolderID
				break
			}
			if st.Tag != "in_progress" {
				t.Fatalf("share job: %+v", st)
			}
		}
	}
	f.sync(s)
	member := dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: other.Email}
	must("add a member", f.user.Sharing.AddFolderMember(ctx, &dropbox.AddFolderMemberArg{SharedFolderID: sfID,
		Members: []dropbox.AddMember{{Member: member, AccessLevel: &dropbox.AccessLevel{Tag: dropbox.AccessLevelEditor}}}}))
	f.sync(s)
	_, err = f.user.Sharing.UpdateFolderMember(ctx, &dropbox.UpdateFolderMemberArg{SharedFolderID: sfID, Member: member,
		AccessLevel: dropbox.AccessLevel{Tag: dropbox.AccessLevelViewer}})
	must("update a member", err)
	f.sync(s)
	rm, err := f.user.Sharing.RemoveFolderMember(ctx, &dropbox.RemoveFolderMemberArg{SharedFolderID: sfID, Member: member})
	must("remove a member", err)
	awaitJob(t, "remove member", func() (string, error) {
		st, err := f.user.Sharing.CheckRemoveMemberJobStatus(ctx, &dropbox.PollArg{AsyncJobID: rm.AsyncJobID})
		if err != nil {
			return "", err
		}
		return st.Tag, nil
	})
	f.sync(s)
	f.move("/Shared", "/Shared renamed") // the shared folder's path and name: shared_folder.updated
	f.sync(s)
	un, err := f.user.Sharing.UnshareFolder(ctx, &dropbox.UnshareFolderArg{SharedFolderID: sfID})
	must("unshare a folder", err)
	if un.AsyncJobID != "" {
		awaitJob(t, "unshare", func() (string, error) {
			st, err := f.user.Sharing.CheckJobStatus(ctx, &dropbox.PollArg{AsyncJobID: un.AsyncJobID})
			if err != nil {
				return "", err
			}
			return st.Tag, nil
		})
	}
	f.sync(s)

	// File requests, and a file sent through one's public page.
	req, err := f.user.FileRequests.Create(ctx, &dropbox.CreateFileRequestArgs{Title: "Receipts", Destination: "/Inbox"})
	must("create a file request", err)
	f.sync(s)
	title := "Receipts 2026"
	_, err = f.user.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: req.ID, Title: &title})
	must("rename a file request", err)
	f.sync(s)
	sendThroughRequest(t, req.URL, "receipt.pdf", "%PDF receipt")
	f.sync(s)
	closed := false
	_, err = f.user.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: req.ID, Open: &closed})
	must("close a file request", err)
	f.sync(s)
	_, err = f.user.FileRequests.Delete(ctx, &dropbox.DeleteFileRequestArgs{IDs: []string{req.ID}})
	must("delete a file request", err)
	f.sync(s)

	// A team's connection: members and team folders.
	team := f.emu.CreateTeam(t, "Coverage team")
	f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "boss@example.com", TeamID: team.TeamID}) // the team's admin
	teamConn := &dropbridge.Connection{EnvironmentID: f.env.ID, AppID: f.conn.AppID, ExternalUserID: "team-1", AccountID: team.TeamID,
		TeamID: team.TeamID, AccountType: "business", Status: dropbridge.ConnectionActive,
		Token: dropbridge.Token{AccessToken: dropbridge.Secret(team.AccessToken)}}
	must("store the team's connection", f.store.UpsertConnection(ctx, teamConn))
	admin := dropbox.New(dropbox.WithBaseURL(f.emu.URL), dropbox.WithToken(team.AccessToken))
	syncTeam := func() { t.Helper(); must("sync the team", s.Sync(ctx, f.env.ID, teamConn.ID)) }
	syncTeam()
	joiner := f.emu.CreateAccount(t, dropboxtest.AccountArg{Email: "joiner@example.com", TeamID: team.TeamID}) // joins through the admin console
	syncTeam()
	joinerSel := dropbox.UserSelectorArg{Tag: dropbox.UserSelectorArgTeamMemberID, TeamMemberID: joiner.MemberID}
	_, err = admin.Team.MembersSetProfileV2(ctx, &dropbox.MembersSetProfileArg{User: joinerSel, NewSurname: dropbox.Ptr("Joiner")})
	must("rename a team member", err) // team_member.updated
	syncTeam()
	must("suspend a team member", admin.Team.MembersSuspend(ctx, &dropbox.MembersDeactivateArg{User: joinerSel}))
	syncTeam()
	removal, err := admin.Team.MembersRemove(ctx, &dropbox.MembersRemoveArg{User: joinerSel})
	must("remove a team member", err) // team_member.removed
	if removal.Tag == dropbox.LaunchEmptyResultAsyncJobID {
		awaitJob(t, "remove", func() (string, error) {
			st, err := admin.Team.MembersRemoveJobStatusGet(ctx, &dropbox.PollArg{AsyncJobID: removal.AsyncJobID})
			if err != nil {
				return "", err
			}
			return st.Tag, nil
		})
	}
	tf, err := admin.Team.TeamFolderCreate(ctx, &dropbox.TeamFolderCreateArg{Name: "Projects"})
	must("create a team folder", err)
	syncTeam()
	_, err = admin.Team.TeamFolderRename(ctx, &dropbox.TeamFolderRenameArg{TeamFolderID: tf.TeamFolderID, Name: "Projects 2026"})
	must("rename a team folder", err)
	syncTeam()
	arch, err := admin.Team.TeamFolderArchive(ctx, &dropbox.TeamFolderArchiveArg{TeamFolderID: tf.TeamFolderID, ForceAsyncOff: true})
	must("archive a team folder", err)
	if arch.Complete == nil {
		awaitJob(t, "archive", func() (string, error) {
			st, err := admin.Team.TeamFolderArchiveCheck(ctx, &dropbox.PollArg{AsyncJobID: arch.AsyncJobID})
			if err != nil {
				return "", err
			}
			return st.Tag, nil
		})
	}
	syncTeam()
	must("delete a team folder", admin.Team.TeamFolderPermanentlyDelete(ctx, &dropbox.TeamFolderIdArg{TeamFolderID: tf.TeamFolderID}))
	syncTeam()

	// The connection whose refresh fails: its refresh token revoked at
	// Dropbox, the clock past the access token's expiry, then a refresh.
	stored, err := f.store.FindConnectionByID(ctx, f.env.ID, oauthConn.ID)
	must("find the connected connection", err)
	if stored.Token.RefreshToken == "" || stored.Token.Expiry.IsZero() {
		t.Fatalf("the connect flow gave no refresh token or expiry: refresh token set %v, expiry %v", stored.Token.RefreshToken != "", stored.Token.Expiry)
	}
	revoker := dropbox.New(dropbox.WithBaseURL(f.emu.URL), dropbox.WithToken(string(stored.Token.AccessToken)))
	must("revoke the token and its refresh token", revoker.Auth.TokenRevoke(ctx))
	past := stored.Token.Expiry.Sub(clock.Now()) + time.Minute
	f.emu.Advance(t, past)
	clock.advance(past)
	outcome, err := f.svc.RefreshToken(ctx, f.env.ID, oauthConn.ID, clock.Now())
	must("refresh", err)
	if outcome != connect.RefreshNeedsReauth {
		t.Errorf("refresh with a revoked refresh token: %s, want %s", outcome, connect.RefreshNeedsReauth)
	}
	_, err = f.svc.Delete(ctx, f.env.ID, oauthConn.ID)
	must("delete the connection", err)

	// Every type, from the whole feed.
	made := map[dropbridge.EventType]int{}
	after := ""
	for {
		evs, err := f.store.ListEvents(ctx, f.env.ID, dropbridge.EventFilter{After: after, Limit: dropbridge.MaxPageSize})
		must("list events", err)
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if err := e.Validate(); err != nil {
				t.Errorf("event %s: %v", e.ID, err)
			}
			made[e.Type]++
		}
		after = evs[len(evs)-1].ID
	}
	t.Logf("made: %v", made)
	var missing []dropbridge.EventType
	for _, typ := range dropbridge.EventTypes() {
		why, skip := unproducible[typ]
		switch {
		case made[typ] == 0 && !skip:
			missing = append(missing, typ)
		case made[typ] > 0 && skip:
			t.Errorf("%s was made, yet the test says it cannot be (%s): take it off the list", typ, why)
		case skip:
			t.Logf("%s: not made, %s", typ, why)
		}
	}
	if len(missing) > 0 {
		t.Errorf("event types never made: %v\nmade: %v", missing, made)
	}
	for typ := range unproducible {
		if !typ.Valid() {
			t.Errorf("%s in the list of unproducible types is not an event type", typ)
		}
	}
}

// testClock is a clock that a test moves forward.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

// Now returns the clock's time.
func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// awaitJob checks an asynchronous job of the emulator until it is no
// longer in progress, and fails unless it completed.
func awaitJob(t *testing.T, what string, check func() (string, error)) {
	t.Helper()
	for range 10000 {
		tag, err := check()
		if err != nil {
			t.Fatalf("%s job: %v", what, err)
		}
		switch tag {
		case "in_progress":
			continue
		case "complete":
			return
		}
		t.Fatalf("%s job ended %s", what, tag)
	}
	t.Fatalf("%s job still in progress", what)
}

// sendThroughRequest sends a file as someone without a Dropbox account,
// through a file request's public page.
func sendThroughRequest(t *testing.T, pageURL, name, content string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", "Ann")
	mw.WriteField("email", "ann@example.com")
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	resp, err := http.Post(pageURL, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("upload through the request's page: %d", resp.StatusCode)
	}
}

var (
	consentField  = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
	consentButton = regexp.MustCompile(`<button class="acct" type="submit" name="account_id" value="([^"]*)"`)
)

// connectThroughConsent runs the connect flow for external user "user-2"
// as the user who picks accountID on the emulator's consent page, and
// returns the new connection.
func connectThroughConsent(t *testing.T, f *fixture, accountID string) *dropbridge.Connection {
	t.Helper()
	sess, err := f.svc.CreateSession(t.Context(), f.env.ID, connect.SessionRequest{ExternalUserID: "user-2"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(sess.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	form := url.Values{}
	for _, m := range consentField.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(m[1])), html.UnescapeString(string(m[2])))
	}
	if !slices.ContainsFunc(consentButton.FindAllSubmatch(page, -1), func(m [][]byte) bool { return html.UnescapeString(string(m[1])) == accountID }) {
		t.Fatalf("account %s is not on the consent page:\n%s", accountID, page)
	}
	form.Set("account_id", accountID)
	noRedirects := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirects.PostForm(f.emu.URL+"/oauth2/authorize/decide", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("consent: %d without a redirect: %v", resp.StatusCode, err)
	}
	_, conn, err := f.svc.Complete(t.Context(), connect.Callback{State: loc.Query().Get("state"), Code: loc.Query().Get("code")})
	if err != nil {
		t.Fatal(err)
	}
	return conn
}
