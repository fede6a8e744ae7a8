package dropboxemu_test

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/file_requests"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// frClients are the SDK clients of one emulator account.
type frClients struct {
	emu   *dropboxtest.Emulator
	acct  dropboxtest.Account
	fr    file_requests.ContextClient
	files files.ContextClient
}

// frAccount makes an account of the given type on emu with SDK clients.
func frAccount(t *testing.T, emu *dropboxtest.Emulator, email, accountType string) frClients {
	t.Helper()
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: email, DisplayName: "Grace Hopper", AccountType: accountType})
	cfg := sdkConfig(emu, acct.AccessToken)
	return frClients{emu: emu, acct: acct, fr: file_requests.NewContext(cfg), files: files.NewContext(cfg)}
}

// frSetup starts an emulator with one account of the given type.
func frSetup(t *testing.T, accountType string, opts ...dropboxtest.Option) frClients {
	t.Helper()
	return frAccount(t, dropboxtest.NewEmulator(t, opts...), "grace@example.com", accountType)
}

// frNow is the emulator's clock.
func frNow(t *testing.T, emu *dropboxtest.Emulator) time.Time {
	t.Helper()
	var c struct {
		Now time.Time `json:"now"`
	}
	emu.Admin(t, http.MethodGet, "/_emulator/clock", nil, &c)
	return c.Now
}

// frCreate creates a file request and fails the test on error.
func frCreate(t *testing.T, c frClients, arg *file_requests.CreateFileRequestArgs) *file_requests.FileRequest {
	t.Helper()
	fr, err := c.fr.CreateContext(t.Context(), arg)
	if err != nil {
		t.Fatalf("file_requests/create %+v: %v", arg, err)
	}
	return fr
}

// frGet gets a file request and fails the test on error.
func frGet(t *testing.T, c frClients, id string) *file_requests.FileRequest {
	t.Helper()
	fr, err := c.fr.GetContext(t.Context(), file_requests.NewGetFileRequestArgs(id))
	if err != nil {
		t.Fatalf("file_requests/get %s: %v", id, err)
	}
	return fr
}

// frRaw calls a file_requests route with a raw JSON argument.
func frRaw(t *testing.T, c frClients, route string, arg any) rawResult {
	t.Helper()
	return do(t, c.emu, rawCall{Route: "file_requests/" + route, Token: c.acct.AccessToken, Arg: arg})
}

// frRouteError asserts a 409 with the error tag want.
func frRouteError(t *testing.T, r rawResult, want string) {
	t.Helper()
	if got := coreErrorBody(t, r, http.StatusConflict)[".tag"]; got != want {
		t.Errorf("error = %v, want %s: %s", got, want, r.Body)
	}
}

// frBadInput asserts a 400 whose text contains want.
func frBadInput(t *testing.T, r rawResult, want string) {
	t.Helper()
	if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), want) {
		t.Errorf("answer = %d %s, want 400 saying %q", r.Status, r.Body, want)
	}
}

// frCmp compares SDK file requests (DBXTime is a time.Time).
var frCmp = cmp.Comparer(func(a, b dropbox.DBXTime) bool { return time.Time(a).Equal(time.Time(b)) })

// frFile is one file of an upload form.
type frFile struct{ name, content string }

// frPost posts the upload form of a file request page.
func frPost(t *testing.T, url, name, email string, fs ...frFile) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if name != "" {
		mw.WriteField("name", name)
	}
	if email != "" {
		mw.WriteField("email", email)
	}
	for _, f := range fs {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.content)
	}
	mw.Close()
	status, _, b := coreHTTP(t, http.MethodPost, url, map[string]string{"Content-Type": mw.FormDataContentType()}, body.Bytes())
	return status, string(b)
}

// frPage gets a file request page.
func frPage(t *testing.T, url string) (int, string) {
	t.Helper()
	status, h, b := coreHTTP(t, http.MethodGet, url, nil, nil)
	if ct := h.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("GET %s: Content-Type %q", url, ct)
	}
	return status, string(b)
}

// frFolderFiles lists the names in a folder.
func frFolderFiles(t *testing.T, c frClients, path string) []string {
	t.Helper()
	entries, _ := coreList(t, c.files, files.NewListFolderArg(path))
	out := []string{}
	for _, e := range entries {
		if f, ok := e.(*files.FileMetadata); ok {
			out = append(out, fmt.Sprintf("%s %d", f.Name, f.Size))
		}
	}
	return out
}

var reFileRequestID = regexp.MustCompile(`^[A-Za-z0-9]{20}$`)

func TestFileRequestCreateGetListCount(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	now := frNow(t, c.emu)
	deadline := dropbox.DBXTime(now.Add(48 * time.Hour).Truncate(time.Second))

	arg := file_requests.NewCreateFileRequestArgs("Homework submission", "/File Requests/Homework")
	arg.Deadline = &file_requests.FileRequestDeadline{Deadline: deadline,
		AllowLateUploads: &file_requests.GracePeriod{Tagged: dropbox.Tagged{Tag: file_requests.GracePeriodSevenDays}}}
	arg.Description = "Please submit your homework here."
	first := frCreate(t, c, arg)
	if !reFileRequestID.MatchString(first.Id) {
		t.Errorf("id = %q, want 20 letters and digits", first.Id)
	}
	created := time.Time(first.Created)
	if created.Before(now.Add(-time.Second)) || created.After(now.Add(time.Minute)) {
		t.Errorf("created = %v, want about %v", created, now)
	}
	want := &file_requests.FileRequest{Id: first.Id, Url: c.emu.URL + "/request/" + first.Id, Title: "Homework submission",
		Destination: "/File Requests/Homework", Created: first.Created, IsOpen: true, FileCount: 0,
		Deadline: arg.Deadline, Description: "Please submit your homework here."}
	if diff := cmp.Diff(want, first, frCmp); diff != "" {
		t.Errorf("create (-want +got):\n%s", diff)
	}
	// The missing destination was made, as Dropbox does.
	if m, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/file requests/homework")); err != nil {
		t.Errorf("destination folder: %v", err)
	} else if f, ok := m.(*files.FolderMetadata); !ok || f.PathDisplay != "/File Requests/Homework" {
		t.Errorf("destination = %+v, want the folder /File Requests/Homework", m)
	}
	if diff := cmp.Diff(want, frGet(t, c, first.Id), frCmp); diff != "" {
		t.Errorf("get (-want +got):\n%s", diff)
	}

	// An existing folder keeps its casing; open=false makes a closed request.
	second := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Photos", "/file requests/HOMEWORK"))
	closedArg := file_requests.NewCreateFileRequestArgs("Closed one", "/Closed")
	closedArg.Open = false
	third := frCreate(t, c, closedArg)
	if second.Destination != "/File Requests/Homework" || second.Deadline != nil || second.Description != "" || !second.IsOpen {
		t.Errorf("second = %+v", second)
	}
	if third.IsOpen || third.Destination != "/Closed" {
		t.Errorf("closed request = %+v", third)
	}

	// The wire form: the spec's fields in its order, no null members.
	raw := frRaw(t, c, "get", map[string]any{"id": first.Id})
	if diff := cmp.Diff([]string{"id", "url", "title", "destination", "created", "deadline", "is_open", "file_count", "description"},
		keyOrder(t, raw.Body)); diff != "" {
		t.Errorf("FileRequest keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"deadline", "allow_late_uploads"}, keyOrder(t, raw.Body, "deadline")); diff != "" {
		t.Errorf("FileRequestDeadline keys (-want +got):\n%s", diff)
	}
	got := raw.json(t)
	if got["deadline"].(map[string]any)["allow_late_uploads"].(map[string]any)[".tag"] != "seven_days" {
		t.Errorf("deadline = %v", got["deadline"])
	}
	if _, ok := keyOrderSet(t, frRaw(t, c, "get", map[string]any{"id": second.Id}).Body)["deadline"]; ok {
		t.Error("a request without a deadline has a deadline member")
	}

	// list_v2 pages in creation order; list/continue follows; list and count see all.
	ids := func(frs []*file_requests.FileRequest) []string {
		var out []string
		for _, fr := range frs {
			out = append(out, fr.Id)
		}
		return out
	}
	la := file_requests.NewListFileRequestsArg()
	la.Limit = 2
	page, err := c.fr.ListV2Context(t.Context(), la)
	if err != nil {
		t.Fatalf("list_v2: %v", err)
	}
	if diff := cmp.Diff([]string{first.Id, second.Id}, ids(page.FileRequests)); diff != "" || !page.HasMore {
		t.Errorf("list_v2 page 1 has_more=%v (-want +got):\n%s", page.HasMore, diff)
	}
	if diff := cmp.Diff(want, page.FileRequests[0], frCmp); diff != "" {
		t.Errorf("listed request (-want +got):\n%s", diff)
	}
	next, err := c.fr.ListContinueContext(t.Context(), file_requests.NewListFileRequestsContinueArg(page.Cursor))
	if err != nil {
		t.Fatalf("list/continue: %v", err)
	}
	if diff := cmp.Diff([]string{third.Id}, ids(next.FileRequests)); diff != "" || next.HasMore {
		t.Errorf("list/continue has_more=%v (-want +got):\n%s", next.HasMore, diff)
	}
	// A later request shows up on the last cursor.
	fourth := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Later", "/Later"))
	last, err := c.fr.ListContinueContext(t.Context(), file_requests.NewListFileRequestsContinueArg(next.Cursor))
	if err != nil || len(last.FileRequests) != 1 || last.FileRequests[0].Id != fourth.Id || last.HasMore {
		t.Errorf("list/continue after a new request = %+v, %v", last, err)
	}
	all, err := c.fr.ListV2Context(t.Context(), file_requests.NewListFileRequestsArg())
	if err != nil || len(all.FileRequests) != 4 || all.HasMore {
		t.Errorf("list_v2 with the default limit = %+v, %v", all, err)
	}
	v1, err := c.fr.ListContext(t.Context())
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if diff := cmp.Diff([]string{first.Id, second.Id, third.Id, fourth.Id}, ids(v1.FileRequests)); diff != "" {
		t.Errorf("list (-want +got):\n%s", diff)
	}
	n, err := c.fr.CountContext(t.Context())
	if err != nil || n.FileRequestCount != 4 {
		t.Errorf("count = %+v, %v, want 4", n, err)
	}

	// Another account sees none of them.
	other := frAccount(t, c.emu, "other@example.com", "pro")
	if n, err := other.fr.CountContext(t.Context()); err != nil || n.FileRequestCount != 0 {
		t.Errorf("other account's count = %+v, %v", n, err)
	}
	_, err = other.fr.GetContext(t.Context(), file_requests.NewGetFileRequestArgs(first.Id))
	if e := coreAPIErr[file_requests.GetAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.GetFileRequestErrorNotFound {
		t.Errorf("get of another account's request: %v", err)
	}
	_, err = other.fr.ListContinueContext(t.Context(), file_requests.NewListFileRequestsContinueArg(page.Cursor))
	if e := coreAPIErr[file_requests.ListContinueAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.ListFileRequestsContinueErrorInvalidCursor {
		t.Errorf("list/continue with another account's cursor: %v", err)
	}
}

// keyOrderSet is the set of keys of a JSON object.
func keyOrderSet(t *testing.T, raw []byte) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, k := range keyOrder(t, raw) {
		out[k] = true
	}
	return out
}

func TestFileRequestCreateErrors(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	corePut(t, c.files, "/Taken/file.txt", []byte("x"))
	soon := frNow(t, c.emu).Add(time.Hour).UTC().Format("2006-01-02T15:04:05Z")
	create := func(arg map[string]any) rawResult { t.Helper(); return frRaw(t, c, "create", arg) }

	frRouteError(t, create(map[string]any{"title": "T", "destination": "/Taken/file.txt"}), "not_a_folder")
	frRouteError(t, create(map[string]any{"title": "T", "destination": "/Taken/file.txt/below"}), "not_a_folder")
	frRouteError(t, create(map[string]any{"title": strings.Repeat("t", 141), "destination": "/T"}), "validation_error")
	frRouteError(t, create(map[string]any{"title": "   ", "destination": "/T"}), "validation_error")
	frRouteError(t, create(map[string]any{"title": "T", "destination": "/a//b"}), "validation_error")
	frRouteError(t, create(map[string]any{"title": "T", "destination": "/T",
		"deadline": map[string]any{"deadline": "2001-01-01T00:00:00Z"}}), "validation_error") // already past
	frBadInput(t, create(map[string]any{"title": "", "destination": "/T"}), "title: '' must be at least 1 characters, got 0")
	frBadInput(t, create(map[string]any{"title": "T", "destination": ""}), "destination: The root folder is unsupported.")
	frBadInput(t, create(map[string]any{"title": "T", "destination": "T"}), "destination: 'T' did not match pattern")
	frBadInput(t, create(map[string]any{"destination": "/T"}), "missing required field 'title'")
	frBadInput(t, create(map[string]any{"title": "T", "destination": "/T", "deadline": map[string]any{}}),
		"deadline: missing required field 'deadline'")
	frBadInput(t, create(map[string]any{"title": "T", "destination": "/T", "deadline": map[string]any{"deadline": "tomorrow"}}),
		"deadline.deadline: time data 'tomorrow' does not match format")
	frBadInput(t, create(map[string]any{"title": "T", "destination": "/T",
		"deadline": map[string]any{"deadline": soon, "allow_late_uploads": "forever"}}), "deadline.allow_late_uploads: unknown tag 'forever'")
	frBadInput(t, create(map[string]any{"title": "T", "destination": "/T", "color": "red"}), "unknown field 'color'")
	// A 400 comes before a route error: the title's validation_error waits.
	frBadInput(t, create(map[string]any{"title": "   ", "destination": "/T", "deadline": map[string]any{"deadline": "x"}}),
		"deadline.deadline: time data")

	// None of that made anything: no request, no folder.
	if n, err := c.fr.CountContext(t.Context()); err != nil || n.FileRequestCount != 0 {
		t.Errorf("count after failed creates = %+v, %v", n, err)
	}
	if _, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/T")); err == nil {
		t.Error("a failed create made its destination folder")
	}

	// Every optional field comes back, in the spec's order.
	r := create(map[string]any{"title": "Video", "destination": "/V", "open": true, "description": "", "video_project_id": "vp-1"})
	if diff := cmp.Diff([]string{"id", "url", "title", "destination", "created", "is_open", "file_count", "description", "video_project_id"},
		keyOrder(t, r.Body)); diff != "" {
		t.Errorf("FileRequest keys (-want +got):\n%s", diff)
	}
	if got := r.json(t); got["video_project_id"] != "vp-1" || got["description"] != "" {
		t.Errorf("create = %s", r.Body)
	}

	// Through the SDK: the route's error type.
	_, err := c.fr.CreateContext(t.Context(), file_requests.NewCreateFileRequestArgs("T", "/Taken/file.txt"))
	if e := coreAPIErr[file_requests.CreateAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.CreateFileRequestErrorNotAFolder {
		t.Errorf("create on a file: %v", err)
	}
	_, err = c.fr.CreateContext(t.Context(), file_requests.NewCreateFileRequestArgs("", "/T"))
	coreBadRequest(t, err, "title: '' must be at least 1 characters")

	// A token without the file_requests scopes.
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	c.emu.Admin(t, http.MethodPost, "/_emulator/tokens", map[string]any{"account_id": c.acct.AccountID, "scopes": []string{"files.content.write"}}, &tok)
	for route, scope := range map[string]string{"count": "file_requests.read", "delete_all_closed": "file_requests.write"} {
		r := do(t, c.emu, rawCall{Route: "file_requests/" + route, Token: tok.AccessToken})
		if e := coreErrorBody(t, r, http.StatusUnauthorized); e[".tag"] != "missing_scope" || e["required_scope"] != scope {
			t.Errorf("%s without scope: %s", route, r.Body)
		}
	}
}

// Deadlines are for Professional and Business accounts only.
func TestFileRequestDeadlineNeedsPaidAccount(t *testing.T) {
	t.Parallel()
	basic := frSetup(t, "basic")
	business := frAccount(t, basic.emu, "biz@example.com", "business")
	dl := &file_requests.FileRequestDeadline{Deadline: dropbox.DBXTime(frNow(t, basic.emu).Add(time.Hour))}

	arg := file_requests.NewCreateFileRequestArgs("With deadline", "/Inbox")
	arg.Deadline = dl
	_, err := basic.fr.CreateContext(t.Context(), arg)
	if e := coreAPIErr[file_requests.CreateAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.CreateFileRequestErrorNoPermission {
		t.Errorf("basic create with a deadline: %v, want no_permission", err)
	}
	if n, err := basic.fr.CountContext(t.Context()); err != nil || n.FileRequestCount != 0 {
		t.Errorf("count = %+v, %v", n, err)
	}
	if fr := frCreate(t, business, arg); fr.Deadline == nil || !time.Time(fr.Deadline.Deadline).Equal(time.Time(dl.Deadline).Truncate(time.Second)) {
		t.Errorf("business create with a deadline = %+v", fr.Deadline)
	}

	// A basic account makes requests without a deadline, and cannot add one later.
	fr := frCreate(t, basic, file_requests.NewCreateFileRequestArgs("No deadline", "/Inbox"))
	r := frRaw(t, basic, "update", map[string]any{"id": fr.Id, "title": "Renamed",
		"deadline": map[string]any{".tag": "update", "deadline": time.Time(dl.Deadline).UTC().Format("2006-01-02T15:04:05Z")}})
	frRouteError(t, r, "no_permission")
	if got := frGet(t, basic, fr.Id); got.Title != "No deadline" || got.Deadline != nil {
		t.Errorf("after a refused update: %+v", got)
	}
	// Clearing a deadline that is not there is fine.
	upd := file_requests.NewUpdateFileRequestArgs(fr.Id)
	upd.Deadline = &file_requests.UpdateFileRequestDeadline{Tagged: dropbox.Tagged{Tag: file_requests.UpdateFileRequestDeadlineUpdate}}
	upd.Title = "Renamed"
	if got, err := basic.fr.UpdateContext(t.Context(), upd); err != nil || got.Title != "Renamed" {
		t.Errorf("basic update = %+v, %v", got, err)
	}
}

func TestFileRequestUpdate(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	now := frNow(t, c.emu)
	fr := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Photos", "/Requests/Photos"))
	stamp := func(d time.Duration) string { return now.Add(d).UTC().Format("2006-01-02T15:04:05Z") }

	// Title, description, destination (made when missing) and a deadline in Stone's form.
	r := frRaw(t, c, "update", map[string]any{"id": fr.Id, "title": "Wedding photos", "description": "Best ones only",
		"destination": "/Wedding/Photos", "deadline": map[string]any{".tag": "update", "deadline": stamp(24 * time.Hour), "allow_late_uploads": "one_day"}})
	if r.Status != http.StatusOK {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	want := &file_requests.FileRequest{Id: fr.Id, Url: fr.Url, Title: "Wedding photos", Destination: "/Wedding/Photos",
		Created: fr.Created, IsOpen: true, Description: "Best ones only",
		Deadline: &file_requests.FileRequestDeadline{Deadline: dropbox.DBXTime(now.Add(24 * time.Hour).Truncate(time.Second)),
			AllowLateUploads: &file_requests.GracePeriod{Tagged: dropbox.Tagged{Tag: file_requests.GracePeriodOneDay}}}}
	if diff := cmp.Diff(want, frGet(t, c, fr.Id), frCmp); diff != "" {
		t.Errorf("after update (-want +got):\n%s", diff)
	}
	if _, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/Wedding/Photos")); err != nil {
		t.Errorf("new destination: %v", err)
	}

	// The Go SDK nests the deadline under "update", which Stone's decoder
	// refuses (the struct's fields belong beside ".tag").
	upd := file_requests.NewUpdateFileRequestArgs(fr.Id)
	upd.Deadline = &file_requests.UpdateFileRequestDeadline{Tagged: dropbox.Tagged{Tag: file_requests.UpdateFileRequestDeadlineUpdate},
		Update: &file_requests.FileRequestDeadline{Deadline: dropbox.DBXTime(now.Add(72 * time.Hour))}}
	_, err := c.fr.UpdateContext(t.Context(), upd)
	coreBadRequest(t, err, "deadline.update: unknown field 'update'")

	// no_update keeps the deadline; {".tag":"update"} and "update" clear it.
	upd = file_requests.NewUpdateFileRequestArgs(fr.Id)
	upd.Title = "Wedding"
	got, err := c.fr.UpdateContext(t.Context(), upd)
	if err != nil || got.Title != "Wedding" || got.Deadline == nil || got.Description != "Best ones only" {
		t.Fatalf("update of the title only = %+v, %v", got, err)
	}
	upd.Deadline = &file_requests.UpdateFileRequestDeadline{Tagged: dropbox.Tagged{Tag: file_requests.UpdateFileRequestDeadlineUpdate}}
	if got, err = c.fr.UpdateContext(t.Context(), upd); err != nil || got.Deadline != nil {
		t.Errorf("clearing the deadline = %+v, %v", got, err)
	}
	frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": map[string]any{".tag": "update", "deadline": stamp(time.Hour)}})
	if r := frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": "update"}); r.Status != http.StatusOK || frGet(t, c, fr.Id).Deadline != nil {
		t.Errorf(`deadline "update": %d %s`, r.Status, r.Body)
	}

	// Close and reopen (the SDK can only send open=true: false is its zero value).
	if r := frRaw(t, c, "update", map[string]any{"id": fr.Id, "open": false}); r.Status != http.StatusOK || r.json(t)["is_open"] != false {
		t.Errorf("close: %d %s", r.Status, r.Body)
	}
	upd = file_requests.NewUpdateFileRequestArgs(fr.Id)
	upd.Open = true
	if got, err := c.fr.UpdateContext(t.Context(), upd); err != nil || !got.IsOpen {
		t.Errorf("reopen = %+v, %v", got, err)
	}

	// Errors, none of which changes anything.
	before := frGet(t, c, fr.Id)
	corePut(t, c.files, "/a-file.txt", []byte("x"))
	frRouteError(t, frRaw(t, c, "update", map[string]any{"id": "AAAAAAAAAAAAAAAAAAAA", "title": "x"}), "not_found")
	frRouteError(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "title": "x", "destination": "/a-file.txt"}), "not_a_folder")
	frRouteError(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "title": strings.Repeat("x", 141)}), "validation_error")
	frRouteError(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": map[string]any{".tag": "update", "deadline": "2001-01-01T00:00:00Z"}}), "validation_error")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": "not an id!"}), "id: 'not an id!' did not match pattern '[-_0-9a-zA-Z]+'")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "title": ""}), "title: '' must be at least 1 characters")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": "sometime"}), "deadline: unknown tag 'sometime'")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": map[string]any{".tag": "update", "allow_late_uploads": "always"}}),
		"deadline.update: missing required field 'deadline'")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": map[string]any{".tag": "update", "deadline": stamp(time.Hour), "allow_late_uploads": "never"}}),
		"deadline.update.allow_late_uploads: unknown tag 'never'")
	frBadInput(t, frRaw(t, c, "update", map[string]any{"id": fr.Id, "deadline": map[string]any{".tag": "no_update", "deadline": stamp(time.Hour)}}),
		"deadline: unexpected key 'deadline'")
	if diff := cmp.Diff(before, frGet(t, c, fr.Id), frCmp); diff != "" {
		t.Errorf("failed updates changed the request (-before +after):\n%s", diff)
	}
	_, err = c.fr.UpdateContext(t.Context(), file_requests.NewUpdateFileRequestArgs("AAAAAAAAAAAAAAAAAAAA"))
	if e := coreAPIErr[file_requests.UpdateAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.UpdateFileRequestErrorNotFound {
		t.Errorf("update of an unknown id: %v", err)
	}
}

func TestFileRequestDelete(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	open := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Open", "/Open"))
	closedArg := file_requests.NewCreateFileRequestArgs("Closed A", "/Closed")
	closedArg.Open = false
	closedA := frCreate(t, c, closedArg)
	closedArg.Title = "Closed B"
	frCreate(t, c, closedArg) // Closed B
	closedArg.Title = "Closed C"
	closedC := frCreate(t, c, closedArg)
	count := func() uint64 {
		t.Helper()
		n, err := c.fr.CountContext(t.Context())
		if err != nil {
			t.Fatalf("count: %v", err)
		}
		return n.FileRequestCount
	}

	// Only closed requests go, and one open request stops the whole batch.
	_, err := c.fr.DeleteContext(t.Context(), file_requests.NewDeleteFileRequestArgs([]string{closedA.Id, open.Id}))
	if e := coreAPIErr[file_requests.DeleteAPIError](t, err); e.EndpointError == nil || e.EndpointError.Tag != file_requests.DeleteFileRequestErrorFileRequestOpen {
		t.Errorf("delete with an open request: %v, want file_request_open", err)
	}
	frRouteError(t, frRaw(t, c, "delete", map[string]any{"ids": []string{closedA.Id, "AAAAAAAAAAAAAAAAAAAA"}}), "not_found")
	frBadInput(t, frRaw(t, c, "delete", map[string]any{"ids": []string{"bad id"}}), "ids: 'bad id' did not match pattern")
	if n := count(); n != 4 {
		t.Fatalf("count after failed deletes = %d, want 4", n)
	}
	res, err := c.fr.DeleteContext(t.Context(), file_requests.NewDeleteFileRequestArgs([]string{closedA.Id, closedA.Id}))
	if err != nil || len(res.FileRequests) != 1 || res.FileRequests[0].Id != closedA.Id || res.FileRequests[0].Title != "Closed A" {
		t.Fatalf("delete = %+v, %v", res, err)
	}
	if _, err := c.fr.GetContext(t.Context(), file_requests.NewGetFileRequestArgs(closedA.Id)); err == nil {
		t.Error("a deleted request is still there")
	}
	if res, err := c.fr.DeleteContext(t.Context(), file_requests.NewDeleteFileRequestArgs(nil)); err != nil || len(res.FileRequests) != 0 {
		t.Errorf("delete of nothing = %+v, %v", res, err)
	}

	// Closing, then deleting; delete_all_closed takes the rest of the closed ones.
	if r := frRaw(t, c, "update", map[string]any{"id": open.Id, "open": false}); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	upd := file_requests.NewUpdateFileRequestArgs(closedC.Id)
	upd.Open = true
	if _, err := c.fr.UpdateContext(t.Context(), upd); err != nil {
		t.Fatalf("reopen: %v", err)
	}
	all, err := c.fr.DeleteAllClosedContext(t.Context())
	if err != nil {
		t.Fatalf("delete_all_closed: %v", err)
	}
	var gone []string
	for _, fr := range all.FileRequests {
		gone = append(gone, fr.Title)
		if fr.IsOpen {
			t.Errorf("delete_all_closed deleted an open request: %+v", fr)
		}
	}
	if diff := cmp.Diff([]string{"Open", "Closed B"}, gone); diff != "" {
		t.Errorf("delete_all_closed (-want +got):\n%s", diff)
	}
	if n := count(); n != 1 {
		t.Errorf("count = %d, want 1 (the reopened one)", n)
	}
	if fr := frGet(t, c, closedC.Id); !fr.IsOpen {
		t.Errorf("reopened request = %+v", fr)
	}
	if all, err := c.fr.DeleteAllClosedContext(t.Context()); err != nil || len(all.FileRequests) != 0 {
		t.Errorf("delete_all_closed again = %+v, %v", all, err)
	}
	// The folders stay: deleting a request deletes no files.
	if _, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/Closed")); err != nil {
		t.Errorf("destination after delete: %v", err)
	}
}

func TestFileRequestListArgs(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	for i := range 3 {
		frCreate(t, c, file_requests.NewCreateFileRequestArgs(fmt.Sprintf("R%d", i), "/R"))
	}
	frBadInput(t, frRaw(t, c, "list_v2", map[string]any{"limit": -1}), "limit: -1 is not within range")
	frBadInput(t, frRaw(t, c, "list_v2", map[string]any{"limit": 1, "x": 1}), "unknown field 'x'")
	for _, cursor := range []string{"", "nonsense", "FRQ" + "e30"} {
		frRouteError(t, frRaw(t, c, "list/continue", map[string]any{"cursor": cursor}), "invalid_cursor")
	}
	// Paging one at a time visits each request once.
	var titles []string
	r := frRaw(t, c, "list_v2", map[string]any{"limit": 1}).json(t)
	for range 10 {
		for _, fr := range r["file_requests"].([]any) {
			titles = append(titles, fr.(map[string]any)["title"].(string))
		}
		if r["has_more"] != true {
			break
		}
		r = frRaw(t, c, "list/continue", map[string]any{"cursor": r["cursor"]}).json(t)
	}
	if diff := cmp.Diff([]string{"R0", "R1", "R2"}, titles); diff != "" {
		t.Errorf("paged titles (-want +got):\n%s", diff)
	}
	// An empty account lists an empty list, not null.
	other := frAccount(t, c.emu, "empty@example.com", "basic")
	if body := string(frRaw(t, other, "list_v2", map[string]any{}).Body); !strings.Contains(body, `"file_requests":[]`) {
		t.Errorf("empty list_v2 = %s", body)
	}
	if body := string(do(t, c.emu, rawCall{Route: "file_requests/list", Token: other.acct.AccessToken}).Body); body != `{"file_requests":[]}` {
		t.Errorf("empty list = %s", body)
	}
}

func TestFileRequestPageUpload(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	arg := file_requests.NewCreateFileRequestArgs("Homework <1>", "/File Requests/Homework")
	arg.Description = "Chapter 3 & 4"
	fr := frCreate(t, c, arg)

	status, page := frPage(t, fr.Url)
	for _, want := range []string{"Homework &lt;1&gt;", "Chapter 3 &amp; 4", "Grace Hopper is requesting files", `enctype="multipart/form-data"`,
		`type="file" name="file"`, `name="name"`, `name="email"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page does not contain %q:\n%s", want, page)
		}
	}
	if status != http.StatusOK {
		t.Errorf("GET page: %d", status)
	}

	// A cursor taken before the upload sees the files.
	_, cursor := coreList(t, c.files, &files.ListFolderArg{Path: "/File Requests", Recursive: true})
	status, page = frPost(t, fr.Url, "Ada Lovelace", "ada@example.com", frFile{"report.pdf", "PDF bytes"}, frFile{"notes.txt", "notes"})
	if status != http.StatusOK || !strings.Contains(page, "report.pdf") || !strings.Contains(page, "notes.txt") {
		t.Fatalf("POST: %d %s", status, page)
	}
	m, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/File Requests/Homework/Ada Lovelace - report.pdf"))
	if err != nil {
		t.Fatalf("uploaded file: %v", err)
	}
	if f, ok := m.(*files.FileMetadata); !ok || f.Size != 9 || f.ContentHash != coreContentHash([]byte("PDF bytes")) {
		t.Errorf("uploaded file = %+v", m)
	}
	if got := coreRead(t, c.files, "/File Requests/Homework/Ada Lovelace - notes.txt"); string(got) != "notes" {
		t.Errorf("uploaded notes = %q", got)
	}
	changes, _ := coreContinue(t, c.files, cursor)
	if diff := cmp.Diff([]string{"file /File Requests/Homework/Ada Lovelace - notes.txt", "file /File Requests/Homework/Ada Lovelace - report.pdf"},
		slices.Sorted(slices.Values(coreSummaries(changes)))); diff != "" {
		t.Errorf("list_folder/continue after the upload (-want +got):\n%s", diff)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 2 {
		t.Errorf("file_count = %d, want 2", got.FileCount)
	}

	// The same name again is renamed, never overwritten.
	if status, page := frPost(t, fr.Url, "Ada Lovelace", "ada@example.com", frFile{"report.pdf", "second version"}); status != http.StatusOK {
		t.Fatalf("second POST: %d %s", status, page)
	}
	if diff := cmp.Diff([]string{"Ada Lovelace - notes.txt 5", "Ada Lovelace - report (1).pdf 14", "Ada Lovelace - report.pdf 9"},
		frFolderFiles(t, c, "/File Requests/Homework")); diff != "" {
		t.Errorf("destination (-want +got):\n%s", diff)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 3 {
		t.Errorf("file_count = %d, want 3", got.FileCount)
	}

	// Forms that cannot be taken write nothing.
	for _, tt := range []struct {
		name, email string
		files       []frFile
	}{
		{"", "ada@example.com", []frFile{{"a.txt", "a"}}},
		{"Ada", "not an address", []frFile{{"a.txt", "a"}}},
		{"Ada", "ada@example.com", nil},
	} {
		if status, page := frPost(t, fr.Url, tt.name, tt.email, tt.files...); status != http.StatusBadRequest {
			t.Errorf("POST %q %q %d files: %d %s", tt.name, tt.email, len(tt.files), status, page)
		}
	}
	if status, _, _ := coreHTTP(t, http.MethodPost, fr.Url, map[string]string{"Content-Type": "application/octet-stream"}, []byte("x")); status != http.StatusBadRequest {
		t.Errorf("POST of octets: %d, want 400", status)
	}
	if status, _, _ := coreHTTP(t, http.MethodPut, fr.Url, nil, []byte("x")); status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: %d, want 405", status)
	}
	if status, _ := frPage(t, c.emu.URL+"/request/AAAAAAAAAAAAAAAAAAAA"); status != http.StatusNotFound {
		t.Errorf("unknown request page: %d, want 404", status)
	}
	if status, _ := frPost(t, c.emu.URL+"/request/AAAAAAAAAAAAAAAAAAAA", "Ada", "ada@example.com", frFile{"a.txt", "a"}); status != http.StatusNotFound {
		t.Errorf("POST to an unknown request: %d, want 404", status)
	}
	if n := len(frFolderFiles(t, c, "/File Requests/Homework")); n != 3 {
		t.Errorf("%d files after refused forms, want 3", n)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 3 {
		t.Errorf("file_count = %d after refused forms, want 3", got.FileCount)
	}
}

func TestFileRequestPageDeadlineAndClosing(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	now := frNow(t, c.emu)
	withDeadline := func(title string, grace string) *file_requests.FileRequest {
		t.Helper()
		arg := file_requests.NewCreateFileRequestArgs(title, "/In/"+title)
		arg.Deadline = &file_requests.FileRequestDeadline{Deadline: dropbox.DBXTime(now.Add(time.Hour))}
		if grace != "" {
			arg.Deadline.AllowLateUploads = &file_requests.GracePeriod{Tagged: dropbox.Tagged{Tag: grace}}
		}
		return frCreate(t, c, arg)
	}
	strict := withDeadline("Strict", "")
	oneDay := withDeadline("OneDay", file_requests.GracePeriodOneDay)
	always := withDeadline("Always", file_requests.GracePeriodAlways)
	send := func(fr *file_requests.FileRequest, name string) int {
		t.Helper()
		status, _ := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{name, "data " + name})
		return status
	}
	if status, page := frPage(t, oneDay.Url); status != http.StatusOK || !strings.Contains(page, "late uploads are accepted until") {
		t.Errorf("page with a grace period: %d %s", status, page)
	}

	c.emu.Advance(t, 2*time.Hour) // past every deadline
	if status, page := frPage(t, strict.Url); status != http.StatusGone || !strings.Contains(page, "deadline") || strings.Contains(page, "<form") {
		t.Errorf("page past the deadline: %d %s", status, page)
	}
	if status := send(strict, "late.txt"); status != http.StatusGone {
		t.Errorf("upload past the deadline: %d, want 410", status)
	}
	if status := send(oneDay, "late.txt"); status != http.StatusOK {
		t.Errorf("late upload within one day: %d", status)
	}
	c.emu.Advance(t, 24*time.Hour) // past the one-day grace period
	if status := send(oneDay, "too-late.txt"); status != http.StatusGone {
		t.Errorf("upload past the grace period: %d, want 410", status)
	}
	if status := send(always, "whenever.txt"); status != http.StatusOK {
		t.Errorf("late upload with always: %d", status)
	}
	for _, tt := range []struct {
		fr    *file_requests.FileRequest
		files []string
	}{{strict, []string{}}, {oneDay, []string{"Bob - late.txt 13"}}, {always, []string{"Bob - whenever.txt 17"}}} {
		if diff := cmp.Diff(tt.files, frFolderFiles(t, c, "/In/"+tt.fr.Title)); diff != "" {
			t.Errorf("%s files (-want +got):\n%s", tt.fr.Title, diff)
		}
		if got := frGet(t, c, tt.fr.Id); got.FileCount != int64(len(tt.files)) {
			t.Errorf("%s file_count = %d, want %d", tt.fr.Title, got.FileCount, len(tt.files))
		}
	}

	// Closing stops uploads; reopening takes them again.
	if r := frRaw(t, c, "update", map[string]any{"id": always.Id, "open": false}); r.Status != http.StatusOK {
		t.Fatalf("close: %d %s", r.Status, r.Body)
	}
	if status, page := frPage(t, always.Url); status != http.StatusGone || !strings.Contains(page, "closed") {
		t.Errorf("closed page: %d %s", status, page)
	}
	if status := send(always, "closed.txt"); status != http.StatusGone {
		t.Errorf("upload to a closed request: %d, want 410", status)
	}
	upd := file_requests.NewUpdateFileRequestArgs(always.Id)
	upd.Open = true
	if _, err := c.fr.UpdateContext(t.Context(), upd); err != nil {
		t.Fatal(err)
	}
	if status := send(always, "reopened.txt"); status != http.StatusOK {
		t.Errorf("upload after reopening: %d", status)
	}
	// Clearing the deadline of the strict one opens it again too.
	if r := frRaw(t, c, "update", map[string]any{"id": strict.Id, "deadline": "update"}); r.Status != http.StatusOK {
		t.Fatalf("clear deadline: %d %s", r.Status, r.Body)
	}
	if status := send(strict, "no-deadline.txt"); status != http.StatusOK {
		t.Errorf("upload after clearing the deadline: %d", status)
	}
	if got := frGet(t, c, always.Id); got.FileCount != 2 {
		t.Errorf("file_count = %d, want 2", got.FileCount)
	}
}

// Uploads count against the owner's quota: a form that does not fit is
// refused whole.
func TestFileRequestPageQuota(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "small@example.com", DisplayName: "Small", Quota: 100})
	cfg := sdkConfig(emu, acct.AccessToken)
	c := frClients{emu: emu, acct: acct, fr: file_requests.NewContext(cfg), files: files.NewContext(cfg)}
	corePut(t, c.files, "/existing.bin", bytes.Repeat([]byte("e"), 60))
	fr := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Q", "/Q"))

	status, page := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"a.bin", strings.Repeat("a", 30)}, frFile{"b.bin", strings.Repeat("b", 30)})
	if status != http.StatusInsufficientStorage || !strings.Contains(page, "space") {
		t.Errorf("POST over quota: %d %s", status, page)
	}
	if diff := cmp.Diff([]string{}, frFolderFiles(t, c, "/Q")); diff != "" {
		t.Errorf("files after a refused form (-want +got):\n%s", diff)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 0 {
		t.Errorf("file_count = %d, want 0", got.FileCount)
	}
	if status, page := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"a.bin", strings.Repeat("a", 40)}); status != http.StatusOK {
		t.Errorf("POST within quota: %d %s", status, page)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 1 {
		t.Errorf("file_count = %d, want 1", got.FileCount)
	}
}

// The request follows its folder when it moves; when the folder is
// deleted its destination is null and the page takes nothing.
func TestFileRequestDestinationMovedOrDeleted(t *testing.T) {
	t.Parallel()
	c := frSetup(t, "pro")
	fr := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Moving", "/Old/Place"))
	if _, err := c.files.MoveV2Context(t.Context(), files.NewRelocationArg("/Old", "/New")); err != nil {
		t.Fatal(err)
	}
	if got := frGet(t, c, fr.Id); got.Destination != "/New/Place" {
		t.Errorf("destination after a move = %q, want /New/Place", got.Destination)
	}
	if status, _ := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"x.txt", "x"}); status != http.StatusOK {
		t.Errorf("upload after the move: %d", status)
	}
	if diff := cmp.Diff([]string{"Bob - x.txt 1"}, frFolderFiles(t, c, "/New/Place")); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if _, err := c.files.DeleteV2Context(t.Context(), files.NewDeleteArg("/New")); err != nil {
		t.Fatal(err)
	}
	raw := frRaw(t, c, "get", map[string]any{"id": fr.Id})
	if keyOrderSet(t, raw.Body)["destination"] {
		t.Errorf("destination of a deleted folder = %s, want none", raw.Body)
	}
	if status, _ := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"y.txt", "y"}); status != http.StatusGone {
		t.Errorf("upload after the folder was deleted: %d, want 410", status)
	}
	if _, err := c.files.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/New")); err == nil {
		t.Error("an upload to a request whose folder was deleted made the folder again")
	}
	// Pointing it at a folder again makes it take files again.
	if r := frRaw(t, c, "update", map[string]any{"id": fr.Id, "destination": "/Again"}); r.Status != http.StatusOK {
		t.Fatalf("update destination: %d %s", r.Status, r.Body)
	}
	if status, _ := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"y.txt", "y"}); status != http.StatusOK {
		t.Errorf("upload after a new destination: %d", status)
	}
}

// An upload through a request is a change like any other: the owner's
// authorised apps get a webhook.
func TestFileRequestPageUploadNotifies(t *testing.T) {
	t.Parallel()
	recv := newHookReceiver(t)
	emu := dropboxtest.NewEmulator(t)
	const secret = "frsecret"
	emu.CreateApp(t, dropboxtest.AppArg{AppKey: "frapp", AppSecret: secret, RedirectURIs: []string{}, WebhookURI: recv.srv.URL})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "owner@example.com", DisplayName: "Owner", AppKey: "frapp"})
	c := frClients{emu: emu, acct: acct, fr: file_requests.NewContext(sdkConfig(emu, acct.AccessToken))}
	fr := frCreate(t, c, file_requests.NewCreateFileRequestArgs("Hooks", "/Hooks"))
	recv.next(t).check(t, secret) // the destination folder was made
	if status, page := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"x.txt", "x"}); status != http.StatusOK {
		t.Fatalf("POST: %d %s", status, page)
	}
	if got := recv.next(t).check(t, secret); len(got.ListFolder.Accounts) != 1 || got.ListFolder.Accounts[0] != acct.AccountID {
		t.Errorf("notification = %+v", got)
	}
}

// File requests are stored: a disk-backed emulator has them after a restart.
func TestFileRequestSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	emu, stop := startDiskEmulator(t, dir, dropboxemu.Options{})
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "disk@example.com", DisplayName: "Disk", AccountType: "pro"})
	c := frClients{emu: emu, acct: acct, fr: file_requests.NewContext(sdkConfig(emu, acct.AccessToken))}
	arg := file_requests.NewCreateFileRequestArgs("Durable", "/Durable")
	arg.Deadline = &file_requests.FileRequestDeadline{Deadline: dropbox.DBXTime(frNow(t, emu).Add(time.Hour)),
		AllowLateUploads: &file_requests.GracePeriod{Tagged: dropbox.Tagged{Tag: file_requests.GracePeriodTwoDays}}}
	arg.Description = "kept"
	fr := frCreate(t, c, arg)
	closedArg := file_requests.NewCreateFileRequestArgs("Closed", "/Durable")
	closedArg.Open = false
	closed := frCreate(t, c, closedArg)
	if status, page := frPost(t, fr.Url, "Bob", "bob@example.com", frFile{"x.txt", "x"}); status != http.StatusOK {
		t.Fatalf("POST: %d %s", status, page)
	}
	before := frGet(t, c, fr.Id)
	stop()

	emu2, _ := startDiskEmulator(t, dir, dropboxemu.Options{})
	c.emu, c.fr = emu2, file_requests.NewContext(sdkConfig(emu2, acct.AccessToken))
	if diff := cmp.Diff(before, frGet(t, c, fr.Id), frCmp); diff != "" {
		t.Errorf("after a restart (-before +after):\n%s", diff)
	}
	if before.FileCount != 1 {
		t.Errorf("file_count = %d, want 1", before.FileCount)
	}
	if got := frGet(t, c, closed.Id); got.IsOpen {
		t.Errorf("closed request after a restart = %+v", got)
	}
	// The stored URL names the first emulator's address; the page is the same path.
	if status, _ := frPost(t, emu2.URL+"/request/"+fr.Id, "Bob", "bob@example.com", frFile{"y.txt", "y"}); status != http.StatusOK {
		t.Errorf("POST after a restart: %d", status)
	}
	if got := frGet(t, c, fr.Id); got.FileCount != 2 {
		t.Errorf("file_count after a restart and an upload = %d, want 2", got.FileCount)
	}
	if res, err := c.fr.DeleteAllClosedContext(t.Context()); err != nil || len(res.FileRequests) != 1 {
		t.Errorf("delete_all_closed after a restart = %+v, %v", res, err)
	}
	if body := string(frRaw(t, c, "count", nil).Body); body != `{"file_request_count":1}` {
		t.Errorf("count = %s", body)
	}
}
