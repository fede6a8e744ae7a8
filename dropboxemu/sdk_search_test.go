package dropboxemu_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/auth"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// Helpers of the search, revision, tag, thumbnail, Paper and zip tests,
// all named feat*. Those tests share the core* helpers too (coreOverwrite,
// coreMkdir, coreRead, coreAPIErr).

// featSetup starts an emulator with a pro account and returns a files
// client of Dropbox's Go SDK pointed at it.
func featSetup(t *testing.T, opts ...dropboxtest.Option) (*dropboxtest.Emulator, files.ContextClient) {
	t.Helper()
	emu, _, cfg := newSDKAccount(t, opts...)
	return emu, files.NewContext(cfg)
}

// featDelete deletes path and fails the test on error.
func featDelete(t *testing.T, fc files.ContextClient, path string) {
	t.Helper()
	if _, err := fc.DeleteV2Context(t.Context(), files.NewDeleteArg(path)); err != nil {
		t.Fatalf("delete_v2 %s: %v", path, err)
	}
}

// featBadRequest asserts that err is a 400 answer.
func featBadRequest(t *testing.T, err error) {
	t.Helper()
	coreAPIErr[auth.BadRequest](t, err)
}

// featMatchPath renders a search match as "<tag> <path_display> <match type>".
func featMatchPath(m *files.SearchMatchV2) string {
	if m.Metadata == nil || m.Metadata.Tag != files.MetadataV2Metadata {
		return "?"
	}
	mt := ""
	if m.MatchType != nil {
		mt = " " + m.MatchType.Tag
	}
	switch md := m.Metadata.Metadata.(type) {
	case *files.FileMetadata:
		return "file " + md.PathDisplay + mt
	case *files.FolderMetadata:
		return "folder " + md.PathDisplay + mt
	case *files.DeletedMetadata:
		return "deleted " + md.PathDisplay + mt
	}
	return "?"
}

// featSearch runs search_v2 and every continue, returning all matches.
func featSearch(t *testing.T, fc files.ContextClient, arg *files.SearchV2Arg) []string {
	t.Helper()
	res, err := fc.SearchV2Context(t.Context(), arg)
	if err != nil {
		t.Fatalf("search_v2 %q: %v", arg.Query, err)
	}
	var out []string
	for range 1000 {
		for _, m := range res.Matches {
			out = append(out, featMatchPath(m))
		}
		if !res.HasMore {
			return out
		}
		if res.Cursor == "" {
			t.Fatal("has_more without a cursor")
		}
		res, err = fc.SearchContinueV2Context(t.Context(), files.NewSearchV2ContinueArg(res.Cursor))
		if err != nil {
			t.Fatalf("search/continue_v2: %v", err)
		}
	}
	t.Fatal("search/continue_v2 never ends")
	return nil
}

func featSearchOptions() *files.SearchOptions {
	return files.NewSearchOptions()
}

func TestSearchNamesByWords(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/Docs/Prime_Numbers.txt", []byte("2 3 5 7"))
	coreOverwrite(t, fc, "/Docs/prime list.md", []byte("x"))
	coreOverwrite(t, fc, "/Batman Car.txt", []byte("x"))
	coreOverwrite(t, fc, "/bat cave.txt", []byte("x"))
	coreOverwrite(t, fc, "/Primer.txt", []byte("x"))
	coreMkdir(t, fc, "/Prime Folder")

	// Relevance: whole-word name matches before prefix ones, then by path.
	opts := featSearchOptions()
	opts.FilenameOnly = true
	got := featSearch(t, fc, &files.SearchV2Arg{Query: "PRIME", Options: opts})
	want := []string{
		"file /Docs/prime list.md filename",
		"file /Docs/Prime_Numbers.txt filename",
		"folder /Prime Folder filename",
		"file /Primer.txt filename",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("search PRIME (-want +got):\n%s", diff)
	}
	// The last word matches as a prefix, the others as whole words.
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "bat c"})
	if diff := cmp.Diff([]string{"file /bat cave.txt filename"}, got); diff != "" {
		t.Errorf("search 'bat c' (-want +got):\n%s", diff)
	}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "numbers prime"})
	if diff := cmp.Diff([]string{"file /Docs/Prime_Numbers.txt filename"}, got); diff != "" {
		t.Errorf("search 'numbers prime' (-want +got):\n%s", diff)
	}
	// The exact name is the most relevant.
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "primer.txt"})
	if len(got) == 0 || got[0] != "file /Primer.txt filename" {
		t.Errorf("search primer.txt = %v", got)
	}
	if got := featSearch(t, fc, &files.SearchV2Arg{Query: "nothing here"}); len(got) != 0 {
		t.Errorf("search with no match = %v", got)
	}
}

func TestSearchContent(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/notes.txt", []byte("The quick Brown fox\njumps over the lazy dog"))
	coreOverwrite(t, fc, "/brown.txt", []byte("brown bears"))
	coreOverwrite(t, fc, "/binary.dat", []byte("brown\x00\x01\x02"))
	coreOverwrite(t, fc, "/other.txt", []byte("nothing to see"))

	got := featSearch(t, fc, &files.SearchV2Arg{Query: "brown"})
	want := []string{"file /brown.txt filename_and_content", "file /notes.txt file_content"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("search brown (-want +got):\n%s", diff)
	}
	opts := featSearchOptions()
	opts.FilenameOnly = true
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "brown", Options: opts})
	if diff := cmp.Diff([]string{"file /brown.txt filename"}, got); diff != "" {
		t.Errorf("search brown filename_only (-want +got):\n%s", diff)
	}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "lazy do"})
	if diff := cmp.Diff([]string{"file /notes.txt file_content"}, got); diff != "" {
		t.Errorf("search 'lazy do' (-want +got):\n%s", diff)
	}
	// Paper documents are text too.
	featPaper(t, fc, "/Trip.paper", files.ImportFormatHtml, "<p>Visit the <b>Galaxy</b> museum</p>")
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "galaxy museum"})
	if diff := cmp.Diff([]string{"file /Trip.paper file_content"}, got); diff != "" {
		t.Errorf("search in a Paper doc (-want +got):\n%s", diff)
	}
}

func TestSearchOptionsAndPaging(t *testing.T) {
	t.Parallel()
	emu, fc := featSetup(t)
	for _, p := range []string{"/a/report 1.pdf", "/a/report 2.txt", "/b/report 3.jpg", "/b/report 4.mp3", "/report 5.xlsx"} {
		coreOverwrite(t, fc, p, []byte("data"))
		emu.Advance(t, time.Minute)
	}
	coreMkdir(t, fc, "/b/report folder")

	// Paging: max_results 2 over six matches, without duplicates.
	opts := featSearchOptions()
	opts.MaxResults = 2
	res, err := fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "report", Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 2 || !res.HasMore || res.Cursor == "" {
		t.Fatalf("first page = %d matches, has_more %v, cursor %q", len(res.Matches), res.HasMore, res.Cursor)
	}
	all := featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	if len(all) != 6 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 6 {
		t.Errorf("all pages = %v", all)
	}

	// Scope, extensions and categories.
	opts = featSearchOptions()
	opts.Path = "/B"
	got := featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	want := []string{"file /b/report 3.jpg filename", "file /b/report 4.mp3 filename", "folder /b/report folder filename"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("path /B (-want +got):\n%s", diff)
	}
	opts = featSearchOptions()
	opts.FileExtensions = []string{"PDF", ".xlsx"}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	want = []string{"file /a/report 1.pdf filename", "file /report 5.xlsx filename"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file_extensions (-want +got):\n%s", diff)
	}
	opts = featSearchOptions()
	opts.FileCategories = []*files.FileCategory{{Tagged: dropbox.Tagged{Tag: files.FileCategoryImage}}, {Tagged: dropbox.Tagged{Tag: files.FileCategoryFolder}}}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	want = []string{"file /b/report 3.jpg filename", "folder /b/report folder filename"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("file_categories (-want +got):\n%s", diff)
	}

	// Newest first; folders have no modification time and come last.
	opts = featSearchOptions()
	opts.OrderBy = &files.SearchOrderBy{Tagged: dropbox.Tagged{Tag: files.SearchOrderByLastModifiedTime}}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	want = []string{
		"file /report 5.xlsx filename", "file /b/report 4.mp3 filename", "file /b/report 3.jpg filename",
		"file /a/report 2.txt filename", "file /a/report 1.pdf filename", "folder /b/report folder filename",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order_by last_modified_time (-want +got):\n%s", diff)
	}

	// Deleted files.
	featDelete(t, fc, "/a/report 2.txt")
	opts = featSearchOptions()
	opts.FileStatus = &files.FileStatus{Tagged: dropbox.Tagged{Tag: files.FileStatusDeleted}}
	got = featSearch(t, fc, &files.SearchV2Arg{Query: "report", Options: opts})
	if diff := cmp.Diff([]string{"deleted /a/report 2.txt filename"}, got); diff != "" {
		t.Errorf("file_status deleted (-want +got):\n%s", diff)
	}
	if got := featSearch(t, fc, &files.SearchV2Arg{Query: "report"}); slices.Contains(got, "file /a/report 2.txt filename") {
		t.Errorf("a deleted file is still found: %v", got)
	}
}

func TestSearchHighlights(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/Prime_Numbers.txt", []byte("x"))
	res, err := fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "numbers pri",
		MatchFieldOptions: &files.SearchMatchFieldOptions{IncludeHighlights: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Matches) != 1 {
		t.Fatalf("matches = %d", len(res.Matches))
	}
	var got []string
	for _, sp := range res.Matches[0].HighlightSpans {
		mark := " "
		if sp.IsHighlighted {
			mark = "*"
		}
		got = append(got, mark+sp.HighlightStr)
	}
	want := []string{"*Pri", " me_", "*Numbers", " .txt"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("highlight spans (-want +got):\n%s", diff)
	}
	// Without include_highlights there are none.
	res, err = fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "numbers"})
	if err != nil || len(res.Matches) != 1 || res.Matches[0].HighlightSpans != nil {
		t.Errorf("search without highlights = %+v, %v", res, err)
	}
}

func TestSearchErrors(t *testing.T) {
	t.Parallel()
	emu, fc := featSetup(t)
	coreOverwrite(t, fc, "/file.txt", []byte("x"))

	searchErr := func(arg *files.SearchV2Arg) *files.SearchError {
		t.Helper()
		_, err := fc.SearchV2Context(t.Context(), arg)
		return coreAPIErr[files.SearchV2APIError](t, err).EndpointError
	}
	opts := featSearchOptions()
	opts.Path = "/missing"
	if e := searchErr(&files.SearchV2Arg{Query: "x", Options: opts}); e.Tag != files.SearchErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("missing path: %+v", e)
	}
	opts.Path = "/file.txt"
	if e := searchErr(&files.SearchV2Arg{Query: "x", Options: opts}); e.Tag != files.SearchErrorPath || e.Path.Tag != files.LookupErrorNotFolder {
		t.Errorf("file as path: %+v", e)
	}
	if e := searchErr(&files.SearchV2Arg{Query: "  "}); e.Tag != files.SearchErrorInvalidArgument {
		t.Errorf("blank query: %+v", e)
	}

	// Values outside the spec's constraints are 400s.
	opts = featSearchOptions()
	opts.MaxResults = 1001
	_, err := fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "x", Options: opts})
	featBadRequest(t, err)
	opts.MaxResults = 0
	_, err = fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "x", Options: opts})
	featBadRequest(t, err)
	_, err = fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: string(bytes.Repeat([]byte("a"), 1001))})
	featBadRequest(t, err)
	_, err = fc.SearchContinueV2Context(t.Context(), files.NewSearchV2ContinueArg("not-a-cursor"))
	featBadRequest(t, err)

	// A cursor of another account is refused.
	opts = featSearchOptions()
	opts.MaxResults = 1
	coreOverwrite(t, fc, "/x 2.txt", []byte("x"))
	res, err := fc.SearchV2Context(t.Context(), &files.SearchV2Arg{Query: "x", Options: opts})
	if err != nil || !res.HasMore {
		t.Fatalf("search: %+v %v", res, err)
	}
	other := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "other@example.com"})
	ofc := files.NewContext(sdkConfig(emu, other.AccessToken))
	_, err = ofc.SearchContinueV2Context(t.Context(), files.NewSearchV2ContinueArg(res.Cursor))
	featBadRequest(t, err)
}
