package dropbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

// roundTrip checks that v marshals to want and that want unmarshals back
// to v.
func roundTrip[T any](t *testing.T, v T, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	if string(b) != want {
		t.Errorf("marshal %T:\n got %s\nwant %s", v, b, want)
	}
	var back T
	if err := json.Unmarshal([]byte(want), &back); err != nil {
		t.Fatalf("unmarshal %T: %v", v, err)
	}
	if diff := cmp.Diff(v, back); diff != "" {
		t.Errorf("unmarshal %s (-want +got):\n%s", want, diff)
	}
}

func TestUnionJSON(t *testing.T) {
	t.Parallel()
	// A void member.
	roundTrip(t, dropbox.WriteMode{Tag: dropbox.WriteModeAdd}, `{".tag":"add"}`)
	// A primitive member, under its own key.
	roundTrip(t, dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: "a1c10ce0dd78"},
		`{".tag":"update","update":"a1c10ce0dd78"}`)
	// A nullable primitive member, set and unset.
	roundTrip(t, dropbox.LookupError{Tag: dropbox.LookupErrorMalformedPath, MalformedPath: dropbox.Ptr("no slash")},
		`{".tag":"malformed_path","malformed_path":"no slash"}`)
	roundTrip(t, dropbox.LookupError{Tag: dropbox.LookupErrorMalformedPath}, `{".tag":"malformed_path"}`)
	// A union member, under its own key.
	roundTrip(t, dropbox.WriteError{Tag: dropbox.WriteErrorConflict, Conflict: &dropbox.WriteConflictError{Tag: dropbox.WriteConflictErrorFile}},
		`{".tag":"conflict","conflict":{".tag":"file"}}`)
	// A struct member: its fields beside ".tag".
	roundTrip(t, dropbox.UploadError{Tag: dropbox.UploadErrorPath, Path: &dropbox.UploadWriteFailed{
		Reason:          dropbox.WriteError{Tag: dropbox.WriteErrorNoWritePermission},
		UploadSessionID: "s1",
	}}, `{".tag":"path","reason":{".tag":"no_write_permission"},"upload_session_id":"s1"}`)
	// A nullable struct member: inlined when set, the tag alone when not.
	roundTrip(t, dropbox.UpdateFileRequestDeadline{Tag: dropbox.UpdateFileRequestDeadlineUpdate, Update: &dropbox.FileRequestDeadline{
		Deadline: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC),
	}}, `{".tag":"update","deadline":"2030-01-02T03:04:05Z"}`)
	roundTrip(t, dropbox.UpdateFileRequestDeadline{Tag: dropbox.UpdateFileRequestDeadlineUpdate}, `{".tag":"update"}`)
	// A member that is a struct with subtypes, under its own key.
	roundTrip(t, dropbox.RelocationBatchResultEntry{Tag: dropbox.RelocationBatchResultEntrySuccess, Success: &dropbox.Metadata{
		Tag:    dropbox.MetadataFolder,
		Folder: &dropbox.FolderMetadata{Name: "A", PathLower: dropbox.Ptr("/a"), ID: "id:1"},
	}}, `{".tag":"success","success":{".tag":"folder","name":"A","path_lower":"/a","id":"id:1"}}`)
	// A timestamp member, in Dropbox's form.
	roundTrip(t, dropbox.LinkExpiry{Tag: dropbox.LinkExpirySetExpiry, SetExpiry: time.Date(2030, 1, 2, 4, 4, 5, 0, time.FixedZone("X", 3600))},
		`{".tag":"set_expiry","set_expiry":"2030-01-02T03:04:05Z"}`)
	// A union that extends another has the parent's members.
	roundTrip(t, dropbox.AddTagError{Tag: dropbox.AddTagErrorPath, Path: &dropbox.LookupError{Tag: dropbox.LookupErrorNotFound}},
		`{".tag":"path","path":{".tag":"not_found"}}`)
	roundTrip(t, dropbox.AddTagError{Tag: dropbox.AddTagErrorTooManyTags}, `{".tag":"too_many_tags"}`)

	// A void member may come as a bare string.
	var m dropbox.WriteMode
	if err := json.Unmarshal([]byte(`"overwrite"`), &m); err != nil || m.Tag != dropbox.WriteModeOverwrite {
		t.Errorf("bare tag: %+v, %v", m, err)
	}
	// A tag this package does not know decodes, keeping the tag.
	var le dropbox.LookupError
	if err := json.Unmarshal([]byte(`{".tag":"brand_new","brand_new":{"x":1}}`), &le); err != nil || le.Tag != "brand_new" {
		t.Errorf("unknown tag: %+v, %v", le, err)
	}
	// Without a tag there is nothing to write or read.
	if _, err := json.Marshal(dropbox.WriteMode{}); err == nil || !strings.Contains(err.Error(), "WriteMode") {
		t.Errorf("marshal of a zero union: %v, want an error naming WriteMode", err)
	}
	if err := json.Unmarshal([]byte(`{"path":"x"}`), &le); err == nil || !strings.Contains(err.Error(), "LookupError") {
		t.Errorf("unmarshal without .tag: %v, want an error naming LookupError", err)
	}
	// null leaves a union as it is.
	w := dropbox.WriteMode{Tag: dropbox.WriteModeAdd}
	if err := json.Unmarshal([]byte(`null`), &w); err != nil || w.Tag != dropbox.WriteModeAdd {
		t.Errorf("null: %+v, %v", w, err)
	}
}

func TestSubtypesJSON(t *testing.T) {
	t.Parallel()
	modified := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	file := dropbox.Metadata{Tag: dropbox.MetadataFile, File: &dropbox.FileMetadata{
		Name: "a.txt", PathLower: dropbox.Ptr("/docs/a.txt"), PathDisplay: dropbox.Ptr("/Docs/a.txt"),
		ID: "id:a", ClientModified: modified, ServerModified: modified, Rev: "015f9a8b7c6d5", Size: 3,
		IsDownloadable: dropbox.Ptr(true), ContentHash: dropbox.Ptr("abc"),
	}}
	// (The timestamps come last: MarshalJSON writes them over the defaults.)
	roundTrip(t, file, `{".tag":"file","name":"a.txt","path_lower":"/docs/a.txt","path_display":"/Docs/a.txt",`+
		`"id":"id:a","rev":"015f9a8b7c6d5","size":3,"is_downloadable":true,"content_hash":"abc",`+
		`"client_modified":"2024-05-06T07:08:09Z","server_modified":"2024-05-06T07:08:09Z"}`)
	roundTrip(t, dropbox.Metadata{Tag: dropbox.MetadataDeleted, Deleted: &dropbox.DeletedMetadata{Name: "gone", PathLower: dropbox.Ptr("/gone")}},
		`{".tag":"deleted","name":"gone","path_lower":"/gone"}`)

	// Getters read the base's fields from whichever subtype is held.
	if file.Name() != "a.txt" || *file.PathLower() != "/docs/a.txt" {
		t.Errorf("getters: %q %v", file.Name(), file.PathLower())
	}
	if (dropbox.Metadata{}).Name() != "" || (dropbox.Metadata{}).PathLower() != nil {
		t.Error("getters of an empty Metadata should be zero")
	}

	// A listing's entries come back as their subtypes.
	var res dropbox.ListFolderResult
	listing := `{"entries":[{".tag":"folder","name":"Docs","path_lower":"/docs","id":"id:d"},` +
		`{".tag":"file","name":"a.txt","id":"id:a","client_modified":"2024-05-06T09:08:09+02:00","server_modified":"2024-05-06T07:08:09Z","rev":"015f9a8b7c6d5","size":3,"is_downloadable":true},` +
		`{".tag":"symlink_of_the_future","name":"s"}],"cursor":"c1","has_more":false}`
	if err := json.Unmarshal([]byte(listing), &res); err != nil {
		t.Fatal(err)
	}
	var tags []string
	for _, e := range res.Entries {
		tags = append(tags, e.Tag+":"+e.Name())
	}
	if diff := cmp.Diff([]string{"folder:Docs", "file:a.txt", "symlink_of_the_future:"}, tags); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	if f := res.Entries[1].File; f == nil || !f.ClientModified.Equal(modified) || f.Size != 3 {
		t.Errorf("file entry = %+v", f)
	}

	// A subtype must be set to be written.
	if _, err := json.Marshal(dropbox.Metadata{Tag: dropbox.MetadataFile}); err == nil {
		t.Error("marshal of Metadata with tag file and no FileMetadata succeeded")
	}
	if _, err := json.Marshal(dropbox.Metadata{}); err == nil || !strings.Contains(err.Error(), "Metadata") {
		t.Errorf("marshal of a zero Metadata: %v", err)
	}

	// sharing.SharedLinkMetadata, an open set of subtypes with a nullable timestamp.
	expires := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	roundTrip(t, dropbox.SharedLinkMetadata{Tag: dropbox.SharedLinkMetadataFolder, Folder: &dropbox.FolderLinkMetadata{
		URL: "https://db.example/s/x", Name: "F", Expires: &expires,
		LinkPermissions: dropbox.LinkPermissions{CanRevoke: true, VisibilityPolicies: []dropbox.VisibilityPolicy{}},
	}}, `{".tag":"folder","url":"https://db.example/s/x","name":"F","link_permissions":{"can_revoke":true,"visibility_policies":[],`+
		`"can_set_expiry":false,"can_remove_expiry":false,"allow_download":false,"can_allow_download":false,`+
		`"can_disallow_download":false,"allow_comments":false,"team_restricts_comments":false},"expires":"2031-02-03T04:05:06Z"}`)
}

func TestStructFieldsJSON(t *testing.T) {
	t.Parallel()
	// Defaults are left out unless set; a Boolean default true is a
	// pointer, so that false can be sent.
	roundTrip(t, dropbox.ListFolderArg{Path: ""}, `{"path":""}`)
	roundTrip(t, dropbox.ListFolderArg{Path: "/a", Recursive: true, IncludeMountedFolders: dropbox.Ptr(false), Limit: dropbox.Ptr[uint32](10)},
		`{"path":"/a","recursive":true,"include_mounted_folders":false,"limit":10}`)
	// A union with a default is left out while it has no tag.
	roundTrip(t, dropbox.UploadArg{Path: "/f"}, `{"path":"/f"}`)
	roundTrip(t, dropbox.UploadArg{Path: "/f", Mode: dropbox.WriteMode{Tag: dropbox.WriteModeUpdate, Update: "015f9a8b7c6d5"}, Autorename: true},
		`{"path":"/f","mode":{".tag":"update","update":"015f9a8b7c6d5"},"autorename":true}`)

	// Timestamps are written in UTC to the second, whatever the zone and
	// precision of the time.Time.
	local := time.Date(2024, 5, 6, 9, 8, 9, 987654321, time.FixedZone("CEST", 2*3600))
	b, err := json.Marshal(dropbox.UploadArg{Path: "/f", ClientModified: &local})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"path":"/f","client_modified":"2024-05-06T07:08:09Z"}`; string(b) != want {
		t.Errorf("client_modified:\n got %s\nwant %s", b, want)
	}
	b, err = json.Marshal(dropbox.FileMetadata{Name: "x", ID: "id:x", ClientModified: local, ServerModified: local})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"client_modified":"2024-05-06T07:08:09Z","server_modified":"2024-05-06T07:08:09Z"`)) {
		t.Errorf("FileMetadata timestamps: %s", b)
	}
}

func TestRouteErrorText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		err  error
		want string
	}{
		{`{".tag":"path","path":{".tag":"not_found"}}`, new(dropbox.ListFolderError), "path/not_found"},
		{`{".tag":"path","reason":{".tag":"conflict","conflict":{".tag":"file"}},"upload_session_id":"s"}`, new(dropbox.UploadError), "path/conflict/file"},
		{`{".tag":"payload_too_large"}`, new(dropbox.UploadError), "payload_too_large"},
		{`{"access_error":{".tag":"invalid_team_folder_id"}}`, new(dropbox.TeamFolderListError), "access_error/invalid_team_folder_id"},
	} {
		if err := json.Unmarshal([]byte(tc.body), tc.err); err != nil {
			t.Fatalf("%T: %v", tc.err, err)
		}
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%T from %s: Error() = %q, want %q", tc.err, tc.body, got, tc.want)
		}
	}
}

// TestRouteErrorsAgainstEmulator: a 409 answer reaches the caller as the
// route's own error type through errors.As.
func TestRouteErrorsAgainstEmulator(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t)
	acct := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(acct.AccessToken), dropbox.WithRetryPolicy(fastRetries))
	ctx := t.Context()

	_, err := c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "/missing"})
	var lfe *dropbox.ListFolderError
	if !errors.As(err, &lfe) || lfe.Tag != dropbox.ListFolderErrorPath || lfe.Path == nil || lfe.Path.Tag != dropbox.LookupErrorNotFound {
		t.Fatalf("list_folder of a missing folder: %v (%+v)", err, lfe)
	}
	if lfe.Error() != "path/not_found" || !errors.Is(err, dropbox.ErrNotFound) {
		t.Errorf("ListFolderError = %q; errors.Is ErrNotFound %v", lfe.Error(), errors.Is(err, dropbox.ErrNotFound))
	}

	stamp := time.Date(2024, 5, 6, 9, 8, 9, 500_000_000, time.FixedZone("CEST", 2*3600))
	up, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/a.txt", ClientModified: &stamp}, strings.NewReader("one"))
	if err != nil {
		t.Fatal(err)
	}
	if !up.ClientModified.Equal(stamp.Truncate(time.Second)) || up.Size != 3 || up.Name != "a.txt" {
		t.Errorf("upload = %+v", up)
	}
	_, err = c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Docs/a.txt", Mode: dropbox.WriteMode{Tag: dropbox.WriteModeAdd}}, strings.NewReader("two"))
	var ue *dropbox.UploadError
	if !errors.As(err, &ue) || ue.Tag != dropbox.UploadErrorPath || ue.Path == nil || ue.Path.Reason.Tag != dropbox.WriteErrorConflict {
		t.Fatalf("upload over a file in add mode: %v (%+v)", err, ue)
	}
	if ue.Error() != "path/conflict/file" {
		t.Errorf("UploadError = %q", ue.Error())
	}

	res, err := c.Files.ListFolder(ctx, &dropbox.ListFolderArg{Path: "", Recursive: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Entries {
		got = append(got, e.Tag+" "+*e.PathDisplay())
	}
	if diff := cmp.Diff([]string{"folder /Docs", "file /Docs/a.txt"}, got); diff != "" {
		t.Errorf("listing (-want +got):\n%s", diff)
	}
	md, err := c.Files.GetMetadata(ctx, &dropbox.GetMetadataArg{Path: "/Docs"})
	if err != nil || md.Tag != dropbox.MetadataFolder || md.Folder == nil || md.Folder.ID == "" {
		t.Errorf("get_metadata /Docs = %+v, %v", md, err)
	}
}

// TestAccessors: the GetX accessors of pointer fields take a nil receiver
// and a nil field, return the spec's default where it has one, and chain.
func TestAccessors(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

	// A nil receiver gives zero values, defaults and nil pointers.
	var arg *dropbox.ListFolderArg
	got := []any{arg.GetLimit(), arg.GetIncludeMountedFolders(), arg.GetIncludeNonDownloadableFiles(), arg.GetSharedLink() == nil}
	if diff := cmp.Diff([]any{uint32(0), true, true, true}, got); diff != "" {
		t.Errorf("nil *ListFolderArg (-want +got):\n%s", diff)
	}
	// Nil fields give the same.
	arg = &dropbox.ListFolderArg{Path: "/a"}
	got = []any{arg.GetLimit(), arg.GetIncludeMountedFolders(), arg.GetIncludeNonDownloadableFiles(), arg.GetSharedLink() == nil}
	if diff := cmp.Diff([]any{uint32(0), true, true, true}, got); diff != "" {
		t.Errorf("empty ListFolderArg (-want +got):\n%s", diff)
	}
	// Set fields are returned, false and 0 over a default included.
	link := &dropbox.SharedLink{URL: "https://db.example/s/x"}
	arg = &dropbox.ListFolderArg{Limit: dropbox.Ptr[uint32](0), IncludeMountedFolders: dropbox.Ptr(false), SharedLink: link}
	got = []any{arg.GetLimit(), arg.GetIncludeMountedFolders(), arg.GetIncludeNonDownloadableFiles(), arg.GetSharedLink() == link}
	if diff := cmp.Diff([]any{uint32(0), false, true, true}, got); diff != "" {
		t.Errorf("set ListFolderArg (-want +got):\n%s", diff)
	}
	// Numbers with a spec default.
	var revs *dropbox.ListRevisionsArg
	if revs.GetLimit() != 10 || (&dropbox.ListRevisionsArg{Limit: dropbox.Ptr[uint64](3)}).GetLimit() != 3 {
		t.Errorf("ListRevisionsArg.GetLimit: %d for nil, want 10", revs.GetLimit())
	}
	var up *dropbox.GetTemporaryUploadLinkArg
	if up.GetDuration() != 14400 {
		t.Errorf("GetTemporaryUploadLinkArg.GetDuration of nil = %v, want 14400", up.GetDuration())
	}
	// Timestamps and strings.
	var ua *dropbox.UploadArg
	if !ua.GetClientModified().IsZero() || ua.GetContentHash() != "" {
		t.Errorf("nil *UploadArg: %v %q", ua.GetClientModified(), ua.GetContentHash())
	}
	ua = &dropbox.UploadArg{ClientModified: &when, ContentHash: dropbox.Ptr("abc")}
	if !ua.GetClientModified().Equal(when) || ua.GetContentHash() != "abc" {
		t.Errorf("UploadArg: %v %q", ua.GetClientModified(), ua.GetContentHash())
	}

	// Union members, on a nil union, an unset member and a set one.
	var le *dropbox.LookupError
	if le.GetMalformedPath() != "" || (&dropbox.LookupError{Tag: dropbox.LookupErrorMalformedPath}).GetMalformedPath() != "" {
		t.Error("GetMalformedPath of a nil LookupError or an unset member is not empty")
	}
	if p := (&dropbox.LookupError{Tag: dropbox.LookupErrorMalformedPath, MalformedPath: dropbox.Ptr("x")}).GetMalformedPath(); p != "x" {
		t.Errorf("GetMalformedPath = %q, want x", p)
	}
	var ue *dropbox.UploadError
	if ue.GetPath() != nil || ue.GetPropertiesError().GetPath() != nil {
		t.Error("accessors of a nil UploadError are not zero")
	}

	// Subtypes, chained through nil.
	var md *dropbox.Metadata
	if md.GetFile() != nil || md.GetFile().GetContentHash() != "" || !md.GetFile().GetIsDownloadable() ||
		md.GetFile().GetSharingInfo().GetModifiedBy() != "" {
		t.Error("accessors chained from a nil Metadata are not zero")
	}
	md = &dropbox.Metadata{Tag: dropbox.MetadataFile, File: &dropbox.FileMetadata{Name: "a", ContentHash: dropbox.Ptr("h"), IsDownloadable: dropbox.Ptr(false)}}
	if md.GetFolder() != nil || md.GetFile().GetContentHash() != "h" || md.GetFile().GetIsDownloadable() {
		t.Errorf("accessors of a file Metadata: folder %v, hash %q, downloadable %v",
			md.GetFolder(), md.GetFile().GetContentHash(), md.GetFile().GetIsDownloadable())
	}
}
