package dropbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
	"github.com/google/go-cmp/cmp"
)

// noRetryPolicy makes a 503 end a call at once, so that a fault shows
// through an iterator.
var noRetryPolicy = dropbox.RetryPolicy{MaxAttempts: 1}

// iterListing is an iterator under test, its items mapped to names.
type iterListing struct {
	seq     func(ctx context.Context) iter.Seq2[string, error]
	routes  []string // the first page's route and the continue route ("" if the same)
	want    []string // every item's name
	ordered bool     // the order of want is the listing's
	onePage bool     // Dropbox pages it by a size the test cannot reach
}

// itemNames maps a sequence's items to names.
func itemNames[T any](seq iter.Seq2[T, error], name func(T) string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for it, err := range seq {
			var n string
			if err == nil {
				n = name(it)
			}
			if !yield(n, err) {
				return
			}
		}
	}
}

// iterUserClient makes an account and a client of it.
func iterUserClient(t *testing.T, emu *dropboxtest.Emulator, email string) (dropboxtest.Account, *dropbox.Client) {
	t.Helper()
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: email})
	return acct, dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(noRetryPolicy))
}

// iterTeamClient makes a team with members and a client of its team token.
func iterTeamClient(t *testing.T, emu *dropboxtest.Emulator, members int) ([]string, *dropbox.Client) {
	t.Helper()
	tm := emu.CreateTeam(t, "Acme")
	var emails []string
	for i := range members {
		a := emu.CreateAccount(t, dropboxtest.AccountArg{Email: fmt.Sprintf("m%d@acme.example", i), TeamID: tm.TeamID})
		emails = append(emails, a.Email)
	}
	return emails, dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(tm.AccessToken), dropbox.WithRetryPolicy(noRetryPolicy))
}

func mustOK[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// iterShareFolder makes the folder path and shares it.
func iterShareFolder(t *testing.T, c *dropbox.Client, path string) *dropbox.SharedFolderMetadata {
	t.Helper()
	ctx := t.Context()
	mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: path}))
	l := mustOK[*dropbox.ShareFolderLaunch](t, "share_folder")(c.Sharing.ShareFolder(ctx, &dropbox.ShareFolderArg{Path: path}))
	if l.Complete != nil {
		return l.Complete
	}
	for {
		st := mustOK[*dropbox.ShareFolderJobStatus](t, "check_share_job_status")(c.Sharing.CheckShareJobStatus(ctx, &dropbox.PollArg{AsyncJobID: l.AsyncJobID}))
		if st.Complete != nil {
			return st.Complete
		}
	}
}

// iterCases are the iterators, each over more than one page where the
// emulator lets a test make that many items.
var iterCases = []struct {
	name  string
	setup func(t *testing.T, emu *dropboxtest.Emulator) iterListing
}{
	{"files/list_folder", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 7 {
			p := fmt.Sprintf("/L/f%d", i)
			mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: p}))
			want = append(want, p)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Files.ListFolderAll(ctx, &dropbox.ListFolderArg{Path: "/L", Limit: dropbox.Ptr[uint32](2)}),
					func(m dropbox.Metadata) string { return zeroIfNil(m.PathDisplay()) })
			},
			routes: []string{"files/list_folder", "files/list_folder/continue"},
			want:   want,
		}
	}},
	{"files/search_v2", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 5 {
			p := fmt.Sprintf("/S/report-%d.txt", i)
			mustOK[*dropbox.FileMetadata](t, "upload")(c.Files.Upload(t.Context(), &dropbox.UploadArg{Path: p}, bytes.NewReader([]byte("x"))))
			want = append(want, p)
		}
		mustOK[*dropbox.FileMetadata](t, "upload")(c.Files.Upload(t.Context(), &dropbox.UploadArg{Path: "/S/other.txt"}, bytes.NewReader([]byte("x"))))
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				arg := &dropbox.SearchV2Arg{Query: "report", Options: &dropbox.SearchOptions{MaxResults: dropbox.Ptr[uint64](2)}}
				return itemNames(c.Files.SearchV2All(ctx, arg), func(m dropbox.SearchMatchV2) string {
					return zeroIfNil(m.Metadata.Metadata.PathDisplay())
				})
			},
			routes: []string{"files/search_v2", "files/search/continue_v2"},
			want:   want,
		}
	}},
	{"files/list_revisions", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 5 {
			m := mustOK[*dropbox.FileMetadata](t, "upload")(c.Files.Upload(t.Context(),
				&dropbox.UploadArg{Path: "/v.txt", Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}}, bytes.NewReader([]byte{byte(i)})))
			want = slices.Insert(want, 0, m.Rev) // newest first
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Files.ListRevisionsAll(ctx, &dropbox.ListRevisionsArg{Path: "/v.txt", Limit: dropbox.Ptr[uint64](2)}),
					func(m dropbox.FileMetadata) string { return m.Rev })
			},
			routes:  []string{"files/list_revisions", ""},
			want:    want,
			ordered: true,
		}
	}},
	{"sharing/list_shared_links", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 203 { // a page holds 200
			p := fmt.Sprintf("/links/f%03d", i)
			mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: p}))
			mustOK[*dropbox.SharedLinkMetadata](t, "create_shared_link_with_settings")(c.Sharing.CreateSharedLinkWithSettings(t.Context(), &dropbox.CreateSharedLinkWithSettingsArg{Path: p}))
			want = append(want, p)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Sharing.ListSharedLinksAll(ctx, nil), func(l dropbox.SharedLinkMetadata) string { return zeroIfNil(l.PathLower()) })
			},
			routes: []string{"sharing/list_shared_links", ""},
			want:   want,
		}
	}},
	{"sharing/list_folders", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 5 {
			want = append(want, iterShareFolder(t, c, fmt.Sprintf("/Shared%d", i)).Name)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Sharing.ListFoldersAll(ctx, &dropbox.ListFoldersArgs{Limit: dropbox.Ptr[uint32](2)}),
					func(f dropbox.SharedFolderMetadata) string { return f.Name })
			},
			routes: []string{"sharing/list_folders", "sharing/list_folders/continue"},
			want:   want,
		}
	}},
	{"sharing/list_mountable_folders", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 3 {
			want = append(want, iterShareFolder(t, c, fmt.Sprintf("/Mountable%d", i)).Name)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Sharing.ListMountableFoldersAll(ctx, &dropbox.ListFoldersArgs{Limit: dropbox.Ptr[uint32](1)}),
					func(f dropbox.SharedFolderMetadata) string { return f.Name })
			},
			routes: []string{"sharing/list_mountable_folders", "sharing/list_mountable_folders/continue"},
			want:   want,
		}
	}},
	{"sharing/list_folder_members", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		acct, c := iterUserClient(t, emu, "ada@example.com")
		sf := iterShareFolder(t, c, "/Team work")
		want := []string{acct.Email}
		for i := range 4 {
			email := fmt.Sprintf("guest%d@example.com", i)
			arg := &dropbox.AddFolderMemberArg{SharedFolderID: sf.SharedFolderID, Quiet: true,
				Members: []dropbox.AddMember{{Member: dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: email}}}}
			if err := c.Sharing.AddFolderMember(t.Context(), arg); err != nil {
				t.Fatalf("add_folder_member: %v", err)
			}
			want = append(want, email)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				pages := c.Sharing.ListFolderMembersPages(ctx, &dropbox.ListFolderMembersArgs{SharedFolderID: sf.SharedFolderID, Limit: dropbox.Ptr[uint32](2)})
				return func(yield func(string, error) bool) {
					for p, err := range pages {
						if err != nil {
							yield("", err)
							return
						}
						for _, u := range p.Users {
							if !yield(u.User.Email, nil) {
								return
							}
						}
						for _, in := range p.Invitees {
							if !yield(in.Invitee.Email, nil) {
								return
							}
						}
					}
				}
			},
			routes: []string{"sharing/list_folder_members", "sharing/list_folder_members/continue"},
			want:   want,
		}
	}},
	{"file_requests/list_v2", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterUserClient(t, emu, "ada@example.com")
		var want []string
		for i := range 5 {
			title := fmt.Sprintf("Request %d", i)
			mustOK[*dropbox.FileRequest](t, "file_requests/create")(c.FileRequests.Create(t.Context(),
				&dropbox.CreateFileRequestArgs{Title: title, Destination: fmt.Sprintf("/Requests/%d", i)}))
			want = append(want, title)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.FileRequests.ListV2All(ctx, &dropbox.ListFileRequestsArg{Limit: dropbox.Ptr[uint64](2)}),
					func(r dropbox.FileRequest) string { return r.Title })
			},
			routes: []string{"file_requests/list_v2", "file_requests/list/continue"},
			want:   want,
		}
	}},
	{"team/members/list_v2", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		emails, c := iterTeamClient(t, emu, 5)
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Team.MembersListV2All(ctx, &dropbox.MembersListArg{Limit: dropbox.Ptr[uint32](2)}),
					func(m dropbox.TeamMemberInfoV2) string { return m.Profile.Email })
			},
			routes: []string{"team/members/list_v2", "team/members/list/continue_v2"},
			want:   emails,
		}
	}},
	{"team/team_folder/list", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterTeamClient(t, emu, 1)
		for i := range 5 {
			name := fmt.Sprintf("Team folder %d", i)
			mustOK[*dropbox.TeamFolderMetadata](t, "team_folder/create")(c.Team.TeamFolderCreate(t.Context(), &dropbox.TeamFolderCreateArg{Name: name}))
		}
		// Those and the team space's own, as one page of the largest size shows them.
		one := mustOK[*dropbox.TeamFolderListResult](t, "team_folder/list")(c.Team.TeamFolderList(t.Context(), &dropbox.TeamFolderListArg{}))
		if one.HasMore || len(one.TeamFolders) < 5 {
			t.Fatalf("team_folder/list in one page: %d folders, has_more %v", len(one.TeamFolders), one.HasMore)
		}
		var want []string
		for _, f := range one.TeamFolders {
			want = append(want, f.Name)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Team.TeamFolderListAll(ctx, &dropbox.TeamFolderListArg{Limit: dropbox.Ptr[uint32](2)}),
					func(f dropbox.TeamFolderMetadata) string { return f.Name })
			},
			routes: []string{"team/team_folder/list", "team/team_folder/list/continue"},
			want:   want,
		}
	}},
	{"team/namespaces/list", func(t *testing.T, emu *dropboxtest.Emulator) iterListing {
		_, c := iterTeamClient(t, emu, 3)
		mustOK[*dropbox.TeamFolderMetadata](t, "team_folder/create")(c.Team.TeamFolderCreate(t.Context(), &dropbox.TeamFolderCreateArg{Name: "Shared stuff"}))
		// Every namespace, as the listing's first call shows them: its pages
		// hold 1000, whatever the limit says (the spec: "no effect").
		one := mustOK[*dropbox.TeamNamespacesListResult](t, "namespaces/list")(c.Team.NamespacesList(t.Context(), &dropbox.TeamNamespacesListArg{}))
		if one.HasMore || len(one.Namespaces) < 4 {
			t.Fatalf("namespaces/list in one page: %d namespaces, has_more %v", len(one.Namespaces), one.HasMore)
		}
		var want []string
		for _, ns := range one.Namespaces {
			want = append(want, ns.NamespaceID)
		}
		return iterListing{
			seq: func(ctx context.Context) iter.Seq2[string, error] {
				return itemNames(c.Team.NamespacesListAll(ctx, &dropbox.TeamNamespacesListArg{Limit: dropbox.Ptr[uint32](2)}),
					func(ns dropbox.NamespaceMetadata) string { return ns.NamespaceID })
			},
			routes:  []string{"team/namespaces/list", "team/namespaces/list/continue"},
			want:    want,
			ordered: true,
			onePage: true,
		}
	}},
}

// routeCalls counts the calls the emulator has answered on each route.
func routeCalls(t *testing.T, emu *dropboxtest.Emulator, routes ...string) int {
	t.Helper()
	var out struct {
		Routes map[string]map[string]int `json:"routes"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/stats", nil, &out)
	n := 0
	for _, r := range routes {
		if r == "" {
			continue
		}
		for _, k := range out.Routes[r] {
			n += k
		}
	}
	return n
}

// TestIterators: each iterator lists every item over several pages, stops
// when the loop breaks, and ends on an error mid-way after yielding it
// once.
func TestIterators(t *testing.T) {
	t.Parallel()
	for _, tc := range iterCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := dropboxtest.NewEmulator(t)
			l := tc.setup(t, emu)
			first, cont := l.routes[0], l.routes[1]
			if cont == "" {
				cont = first
			}

			// Everything, over more than one page.
			before := routeCalls(t, emu, l.routes...)
			var got []string
			for name, err := range l.seq(t.Context()) {
				if err != nil {
					t.Fatalf("listing: %v", err)
				}
				got = append(got, name)
			}
			want := slices.Clone(l.want)
			if !l.ordered {
				slices.Sort(want)
				slices.Sort(got)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
			if pages := routeCalls(t, emu, l.routes...) - before; pages < 2 && !l.onePage {
				t.Errorf("%d pages: the test wants two at least", pages)
			}

			// Breaking out after the first item: no more calls.
			before = routeCalls(t, emu, l.routes...)
			n := 0
			for _, err := range l.seq(t.Context()) {
				if err != nil {
					t.Fatal(err)
				}
				n++
				break
			}
			if n != 1 || routeCalls(t, emu, l.routes...)-before != 1 {
				t.Errorf("break after the first item: %d items, %d calls; want 1 and 1", n, routeCalls(t, emu, l.routes...)-before)
			}

			// A failure on the second page (the first when there is one):
			// yielded once, then the end.
			if l.onePage {
				emu.AddFault(t, dropboxtest.Fault{Route: first, Status: 503, Times: 1})
			}
			var items, errs int
			var last error
			for _, err := range l.seq(t.Context()) {
				if err != nil {
					errs++
					last = err
					continue
				}
				if errs > 0 {
					t.Error("an item after the error")
				}
				if items == 0 {
					emu.AddFault(t, dropboxtest.Fault{Route: cont, Status: 503, Times: 1})
				}
				items++
			}
			var se *dropbox.ServerError
			if errs != 1 || !errors.As(last, &se) || se.Status != 503 || (items == 0) != l.onePage || items >= len(l.want) {
				t.Errorf("503 on the second page: %d items, %d errors, last %v", items, errs, last)
			}
		})
	}
}

// TestListFolderAllReset: a cursor reset mid-way is an error matching
// ErrReset, yielded once; listing again from the start gets everything.
func TestListFolderAllReset(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct, c := iterUserClient(t, emu, "ada@example.com")
	for i := range 5 {
		mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: fmt.Sprintf("/f%d", i)}))
	}
	arg := &dropbox.ListFolderArg{Limit: dropbox.Ptr[uint32](2)}
	var errs []error
	items := 0
	for _, err := range c.Files.ListFolderAll(t.Context(), arg) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if items == 0 {
			emu.Admin(t, http.MethodPost, "/_emulator/cursors/reset", map[string]string{"account_id": acct.AccountID}, nil)
		}
		items++
	}
	var ce *dropbox.ListFolderContinueError
	if len(errs) != 1 || !errors.Is(errs[0], dropbox.ErrReset) || !errors.As(errs[0], &ce) || ce.Tag != dropbox.ListFolderContinueErrorReset || items != 2 {
		t.Fatalf("reset mid-way: %d items, errors %v", items, errs)
	}
	items = 0
	for _, err := range c.Files.ListFolderAll(t.Context(), arg) {
		if err != nil {
			t.Fatal(err)
		}
		items++
	}
	if items != 5 {
		t.Errorf("listing again: %d items, want 5", items)
	}
}

// TestListFolderPages: each page's cursor picks up after it; the last
// page's cursor reads the changes made since.
func TestListFolderPages(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	_, c := iterUserClient(t, emu, "ada@example.com")
	ctx := t.Context()
	for i := range 5 {
		mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: fmt.Sprintf("/f%d", i)}))
	}
	pathsOf := func(p *dropbox.ListFolderResult) []string {
		var out []string
		for _, e := range p.Entries {
			out = append(out, zeroIfNil(e.PathDisplay()))
		}
		return out
	}
	var pages [][]string
	var cursors []string
	for p, err := range c.Files.ListFolderPages(ctx, &dropbox.ListFolderArg{Limit: dropbox.Ptr[uint32](2)}) {
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, pathsOf(p))
		cursors = append(cursors, p.Cursor)
	}
	if diff := cmp.Diff([][]string{{"/f0", "/f1"}, {"/f2", "/f3"}, {"/f4"}}, pages); diff != "" {
		t.Fatalf("pages (-want +got):\n%s", diff)
	}

	// Resumed after the first page, as after a crash: the rest.
	var rest []string
	for p, err := range c.Files.ListFolderContinuePages(ctx, cursors[0]) {
		if err != nil {
			t.Fatal(err)
		}
		rest = append(rest, pathsOf(p)...)
	}
	if diff := cmp.Diff([]string{"/f2", "/f3", "/f4"}, rest); diff != "" {
		t.Errorf("resumed from the first page's cursor (-want +got):\n%s", diff)
	}

	// Later changes, from the last page's cursor.
	mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: "/new"}))
	var changes []string
	for p, err := range c.Files.ListFolderContinuePages(ctx, cursors[len(cursors)-1]) {
		if err != nil {
			t.Fatal(err)
		}
		changes = append(changes, pathsOf(p)...)
	}
	if diff := cmp.Diff([]string{"/new"}, changes); diff != "" {
		t.Errorf("changes (-want +got):\n%s", diff)
	}
}

// TestListFolderAllCancel: a ctx cancelled between pages ends the
// sequence with its error, before the next call.
func TestListFolderAllCancel(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	_, c := iterUserClient(t, emu, "ada@example.com")
	for i := range 3 {
		mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: fmt.Sprintf("/f%d", i)}))
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var items int
	var errs []error
	for _, err := range c.Files.ListFolderAll(ctx, &dropbox.ListFolderArg{Limit: dropbox.Ptr[uint32](1)}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items++
		cancel()
	}
	if items != 1 || len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("cancelled after the first page: %d items, errors %v", items, errs)
	}
	if n := routeCalls(t, emu, "files/list_folder/continue"); n != 0 {
		t.Errorf("%d continue calls after the cancel", n)
	}
}

// TestIteratorStuckCursor: an answer that says there is more but hands
// back the cursor it was given would be fetched forever; the iterator
// ends with an error instead. A proxy plays the faulty server.
func TestIteratorStuckCursor(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct, c := iterUserClient(t, emu, "ada@example.com")
	for i := range 3 {
		mustOK[*dropbox.CreateFolderResult](t, "create_folder_v2")(c.Files.CreateFolderV2(t.Context(), &dropbox.CreateFolderArg{Path: fmt.Sprintf("/f%d", i)}))
	}
	u, _ := url.Parse(emu.URL)
	p := httputil.NewSingleHostReverseProxy(u)
	direct := p.Director
	p.Director = func(r *http.Request) {
		direct(r)
		if r.URL.Path == "/2/files/list_folder/continue" {
			b, _ := io.ReadAll(r.Body)
			var arg struct {
				Cursor string `json:"cursor"`
			}
			json.Unmarshal(b, &arg)
			r.Header.Set("X-Test-Cursor", arg.Cursor)
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
	}
	p.ModifyResponse = func(resp *http.Response) error {
		sent := resp.Request.Header.Get("X-Test-Cursor")
		if sent == "" || resp.StatusCode != http.StatusOK {
			return nil
		}
		var res map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			return err
		}
		resp.Body.Close()
		res["cursor"], res["has_more"] = sent, true
		b, _ := json.Marshal(res)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	stuck := dropbox.New(dropbox.WithBaseURL(srv.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(noRetryPolicy))
	var items int
	var errs []error
	for _, err := range stuck.Files.ListFolderAll(t.Context(), &dropbox.ListFolderArg{Limit: dropbox.Ptr[uint32](1)}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		items++
	}
	if items != 2 || len(errs) != 1 || !strings.Contains(errs[0].Error(), "no new cursor") {
		t.Errorf("stuck cursor: %d items, errors %v", items, errs)
	}
}
