package dropboxtest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dropbridge/dropbridge/dropbox"
)

// account is what the suite compares of an account.
type account struct {
	ID    string
	Email string
	Name  string // display_name
}

// testUsers: get_current_account, get_account, get_account_batch,
// get_space_usage and features/get_values.
func testUsers(t *testing.T, e *env) {
	c, a := e.user(PlanPro)
	_, b := e.user(PlanBasic)
	ctx := e.ctx
	me := must(c.Users.GetCurrentAccount(ctx))(t, "get_current_account")
	diff(t, "get_current_account", account{a.AccountID, a.Email, a.DisplayName}, account{me.AccountID, me.Email, me.Name.DisplayName})
	if me.AccountType.Tag != dropbox.AccountTypePro || me.RootInfo.Tag != dropbox.RootInfoUser ||
		me.RootInfo.RootNamespaceID() == "" || me.RootInfo.RootNamespaceID() != me.RootInfo.HomeNamespaceID() || me.Team != nil {
		t.Errorf("get_current_account: type %s, root_info %s %s/%s, team %+v; want a pro account outside teams, its root its home",
			me.AccountType.Tag, me.RootInfo.Tag, me.RootInfo.RootNamespaceID(), me.RootInfo.HomeNamespaceID(), me.Team)
	}
	other := must(c.Users.GetAccount(ctx, &dropbox.GetAccountArg{AccountID: b.AccountID}))(t, "get_account")
	diff(t, "get_account", account{b.AccountID, b.Email, b.DisplayName}, account{other.AccountID, other.Email, other.Name.DisplayName})
	_, err := c.Users.GetAccount(ctx, &dropbox.GetAccountArg{AccountID: "dbid:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"})
	var ge *dropbox.GetAccountError
	if !errors.As(err, &ge) || ge.Tag != dropbox.GetAccountErrorNoAccount {
		t.Errorf("get_account of nobody: %v, want no_account", err)
	}
	batch := must(c.Users.GetAccountBatch(ctx, &dropbox.GetAccountBatchArg{AccountIDs: []string{b.AccountID, a.AccountID}}))(t, "get_account_batch")
	var got []account
	for _, x := range batch {
		got = append(got, account{x.AccountID, x.Email, x.Name.DisplayName})
	}
	diff(t, "get_account_batch", []account{{b.AccountID, b.Email, b.DisplayName}, {a.AccountID, a.Email, a.DisplayName}}, got)

	put(t, e, c, "/space.bin", make([]byte, 1000))
	usage := must(c.Users.GetSpaceUsage(ctx))(t, "get_space_usage")
	if usage.Used != 1000 || usage.Allocation.Tag != dropbox.SpaceAllocationIndividual || usage.Allocation.Individual == nil || usage.Allocation.Individual.Allocated == 0 {
		t.Errorf("get_space_usage: used %d, allocation %s %+v; want 1000 used of an individual allocation", usage.Used, usage.Allocation.Tag, usage.Allocation.Individual)
	}

	feats := must(c.Users.FeaturesGetValues(ctx, &dropbox.UserFeaturesGetValuesBatchArg{Features: []dropbox.UserFeature{
		{Tag: dropbox.UserFeaturePaperAsFiles}, {Tag: dropbox.UserFeatureFileLocking}, {Tag: dropbox.UserFeatureTeamSharedDropbox}, {Tag: dropbox.UserFeatureDistinctMemberHome},
	}}))(t, "features/get_values")
	var tags []string
	for _, v := range feats.Values {
		tags = append(tags, v.Tag)
	}
	diff(t, "features/get_values tags", []string{dropbox.UserFeatureValuePaperAsFiles, dropbox.UserFeatureValueFileLocking, dropbox.UserFeatureValueTeamSharedDropbox, dropbox.UserFeatureValueDistinctMemberHome}, tags)
	if len(feats.Values) == 4 && (feats.Values[0].PaperAsFiles == nil || !feats.Values[0].PaperAsFiles.Enabled || feats.Values[2].TeamSharedDropbox == nil || feats.Values[2].TeamSharedDropbox.Enabled) {
		t.Errorf("features/get_values: paper_as_files %+v, team_shared_dropbox %+v; want paper as files, no team space", feats.Values[0].PaperAsFiles, feats.Values[2].TeamSharedDropbox)
	}
}

// testCheckAndAuth: check/user, check/app with app authentication, and
// auth/token/revoke.
func testCheckAndAuth(t *testing.T, e *env) {
	c, _ := e.user(PlanBasic)
	ctx := e.ctx
	echo := must(c.Check.User(ctx, &dropbox.EchoArg{Query: "hello, user"}))(t, "check/user")
	if echo.Result != "hello, user" {
		t.Errorf("check/user echoed %q", echo.Result)
	}
	app := e.target.NewApp(t)
	byApp := e.client(dropbox.WithAppAuth(app.Key, app.Secret))
	echo = must(byApp.Check.App(ctx, &dropbox.EchoArg{Query: "hello, app"}))(t, "check/app")
	if echo.Result != "hello, app" {
		t.Errorf("check/app echoed %q", echo.Result)
	}
	wrong := e.client(dropbox.WithAppAuth(app.Key, "not the secret"))
	var au *dropbox.AuthError
	if _, err := wrong.Check.App(ctx, &dropbox.EchoArg{}); !errors.As(err, &au) || au.Tag != "invalid_access_token" {
		t.Errorf("check/app with a wrong secret: %v, want invalid_access_token", err)
	}
	before := e.rec.sent("check/app")
	if _, err := c.Check.App(ctx, &dropbox.EchoArg{}); err == nil || e.rec.sent("check/app") != before {
		t.Errorf("check/app from a client without app credentials: %v, want an error before any request", err)
	}

	check(t, "auth/token/revoke", c.Auth.TokenRevoke(ctx))
	if _, err := c.Users.GetCurrentAccount(ctx); !errors.As(err, &au) || au.Tag != "invalid_access_token" {
		t.Errorf("a call with a revoked token: %v, want invalid_access_token", err)
	}
}

// request is what the suite compares of a file request.
type request struct {
	ID, Title, Destination string
	Open                   bool
	Deadline               time.Time
}

// requestOf is the request of r.
func requestOf(r *dropbox.FileRequest) request {
	x := request{ID: r.ID, Title: r.Title, Destination: deref(r.Destination), Open: r.IsOpen}
	if r.Deadline != nil {
		x.Deadline = r.Deadline.Deadline
	}
	return x
}

// requestsOf is the requests of rs, sorted by title.
func requestsOf(rs []dropbox.FileRequest) []request {
	out := []request{}
	for i := range rs {
		out = append(out, requestOf(&rs[i]))
	}
	slices.SortFunc(out, func(a, b request) int { return strings.Compare(a.Title, b.Title) })
	return out
}

// testFileRequests: create, get, list, list_v2 with list/continue, update,
// count, delete and delete_all_closed.
func testFileRequests(t *testing.T, e *env) {
	c, _ := e.user(PlanPro)
	ctx := e.ctx
	mkdir(t, e, c, "/Inbox")
	deadline := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)
	var made []request
	for _, title := range []string{"Alpha", "Bravo", "Charlie"} {
		arg := &dropbox.CreateFileRequestArgs{Title: title, Destination: "/Inbox/" + title}
		if title == "Alpha" {
			arg.Deadline = &dropbox.FileRequestDeadline{Deadline: deadline}
			arg.Description = dropbox.Ptr("send the numbers")
		}
		fr := must(c.FileRequests.Create(ctx, arg))(t, "file_requests/create")
		want := request{ID: fr.ID, Title: title, Destination: "/Inbox/" + title, Open: true}
		if title == "Alpha" {
			want.Deadline = deadline
		}
		diff(t, "file_requests/create", want, requestOf(fr))
		if fr.ID == "" || fr.URL == "" || fr.FileCount != 0 {
			t.Errorf("file_requests/create: id %q, url %q, file_count %d", fr.ID, fr.URL, fr.FileCount)
		}
		made = append(made, want)
	}
	got := must(c.FileRequests.Get(ctx, &dropbox.GetFileRequestArgs{ID: made[0].ID}))(t, "file_requests/get")
	diff(t, "file_requests/get", made[0], requestOf(got))
	if deref(got.Description) != "send the numbers" {
		t.Errorf("file_requests/get description %q", deref(got.Description))
	}
	_, err := c.FileRequests.Get(ctx, &dropbox.GetFileRequestArgs{ID: "nosuchrequest"})
	var gfe *dropbox.GetFileRequestError
	if !errors.As(err, &gfe) || gfe.Tag != dropbox.GetFileRequestErrorNotFound {
		t.Errorf("file_requests/get of nothing: %v, want not_found", err)
	}

	v1 := must(c.FileRequests.List(ctx))(t, "file_requests/list")
	diff(t, "file_requests/list", made, requestsOf(v1.FileRequests))
	page := must(c.FileRequests.ListV2(ctx, &dropbox.ListFileRequestsArg{Limit: dropbox.Ptr[uint64](1)}))(t, "file_requests/list_v2")
	all := slices.Clone(page.FileRequests)
	for page.HasMore {
		page = must(c.FileRequests.ListContinue(ctx, &dropbox.ListFileRequestsContinueArg{Cursor: page.Cursor}))(t, "file_requests/list/continue")
		all = append(all, page.FileRequests...)
	}
	diff(t, "file_requests/list_v2 pages", made, requestsOf(all))
	var iterated []dropbox.FileRequest
	for fr, err := range c.FileRequests.ListV2All(ctx, &dropbox.ListFileRequestsArg{Limit: dropbox.Ptr[uint64](2)}) {
		check(t, "ListV2All", err)
		iterated = append(iterated, fr)
	}
	diff(t, "ListV2All", made, requestsOf(iterated))
	n := must(c.FileRequests.Count(ctx))(t, "file_requests/count")
	if n.FileRequestCount != 3 {
		t.Errorf("file_requests/count = %d, want 3", n.FileRequestCount)
	}

	// Close two, one of them renamed; delete refuses the open one.
	upd := must(c.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: made[1].ID, Title: dropbox.Ptr("Bravo closed"), Open: dropbox.Ptr(false)}))(t, "file_requests/update")
	made[1].Title, made[1].Open = "Bravo closed", false
	diff(t, "file_requests/update", made[1], requestOf(upd))
	later := deadline.Add(24 * time.Hour)
	upd = must(c.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: made[0].ID,
		Deadline: dropbox.UpdateFileRequestDeadline{Tag: dropbox.UpdateFileRequestDeadlineUpdate, Update: &dropbox.FileRequestDeadline{Deadline: later}}}))(t, "file_requests/update deadline")
	made[0].Deadline = later
	diff(t, "file_requests/update deadline", made[0], requestOf(upd))
	must(c.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: made[2].ID, Open: dropbox.Ptr(false)}))(t, "file_requests/update close")
	_, err = c.FileRequests.Delete(ctx, &dropbox.DeleteFileRequestArgs{IDs: []string{made[0].ID}})
	var dfe *dropbox.DeleteFileRequestError
	if !errors.As(err, &dfe) || dfe.Tag != dropbox.DeleteFileRequestErrorFileRequestOpen {
		t.Errorf("file_requests/delete of an open request: %v, want file_request_open", err)
	}
	del := must(c.FileRequests.Delete(ctx, &dropbox.DeleteFileRequestArgs{IDs: []string{made[1].ID}}))(t, "file_requests/delete")
	diff(t, "file_requests/delete", []request{made[1]}, requestsOf(del.FileRequests))
	closed := must(c.FileRequests.DeleteAllClosed(ctx))(t, "file_requests/delete_all_closed")
	made[2].Open = false
	diff(t, "file_requests/delete_all_closed", []request{made[2]}, requestsOf(closed.FileRequests))
	left := must(c.FileRequests.ListV2(ctx, &dropbox.ListFileRequestsArg{}))(t, "file_requests/list_v2 at the end")
	diff(t, "file requests left", []request{made[0]}, requestsOf(left.FileRequests))
	n = must(c.FileRequests.Count(ctx))(t, "file_requests/count at the end")
	if n.FileRequestCount != 1 {
		t.Errorf("file_requests/count at the end = %d, want 1", n.FileRequestCount)
	}
}
