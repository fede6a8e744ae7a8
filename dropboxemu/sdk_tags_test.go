package dropboxemu_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/dropboxtest"
)

// featTags returns the tags of each path as "path: tag tag".
func featTags(t *testing.T, fc files.ContextClient, paths ...string) []string {
	t.Helper()
	res, err := fc.TagsGetContext(t.Context(), files.NewGetTagsArg(paths))
	if err != nil {
		t.Fatalf("tags/get %v: %v", paths, err)
	}
	var out []string
	for _, pt := range res.PathsToTags {
		var tags []string
		for _, tag := range pt.Tags {
			if tag.Tag != files.TagUserGeneratedTag || tag.UserGeneratedTag == nil {
				t.Fatalf("tag = %+v", tag)
			}
			tags = append(tags, tag.UserGeneratedTag.TagText)
		}
		out = append(out, pt.Path+": "+strings.Join(tags, " "))
	}
	return out
}

func featAddTag(t *testing.T, fc files.ContextClient, path, tag string) {
	t.Helper()
	if err := fc.TagsAddContext(t.Context(), files.NewAddTagArg(path, tag)); err != nil {
		t.Fatalf("tags/add %s %s: %v", path, tag, err)
	}
}

func TestTagsAddGetRemove(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/Work/plan.txt", []byte("x"))
	coreMkdir(t, fc, "/Photos")

	featAddTag(t, fc, "/work/PLAN.txt", "Urgent")
	featAddTag(t, fc, "/Work/plan.txt", "q3_2024")
	featAddTag(t, fc, "/Work/plan.txt", "urgent") // already there: nothing changes
	featAddTag(t, fc, "/Photos", "Ferien_É")
	got := featTags(t, fc, "/Work/plan.txt", "/photos", "/Work")
	want := []string{"/Work/plan.txt: urgent q3_2024", "/photos: ferien_é", "/Work: "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tags (-want +got):\n%s", diff)
	}

	// Tags belong to the item, not the path: they follow a move.
	if _, err := fc.MoveV2Context(t.Context(), files.NewRelocationArg("/Work/plan.txt", "/Archive/plan.txt")); err != nil {
		t.Fatalf("move: %v", err)
	}
	if diff := cmp.Diff([]string{"/Archive/plan.txt: urgent q3_2024"}, featTags(t, fc, "/Archive/plan.txt")); diff != "" {
		t.Errorf("tags after move (-want +got):\n%s", diff)
	}
	// A new file at the old path has none.
	coreOverwrite(t, fc, "/Work/plan.txt", []byte("y"))
	if diff := cmp.Diff([]string{"/Work/plan.txt: "}, featTags(t, fc, "/Work/plan.txt")); diff != "" {
		t.Errorf("tags of a new file (-want +got):\n%s", diff)
	}

	if err := fc.TagsRemoveContext(t.Context(), files.NewRemoveTagArg("/Archive/plan.txt", "URGENT")); err != nil {
		t.Fatalf("tags/remove: %v", err)
	}
	if diff := cmp.Diff([]string{"/Archive/plan.txt: q3_2024"}, featTags(t, fc, "/Archive/plan.txt")); diff != "" {
		t.Errorf("tags after remove (-want +got):\n%s", diff)
	}
	err := fc.TagsRemoveContext(t.Context(), files.NewRemoveTagArg("/Archive/plan.txt", "urgent"))
	if e := coreAPIErr[files.TagsRemoveAPIError](t, err).EndpointError; e.Tag != files.RemoveTagErrorTagNotPresent {
		t.Errorf("remove again: %+v", e)
	}
}

func TestTagsLimitsAndErrors(t *testing.T) {
	t.Parallel()
	emu, fc := featSetup(t)
	coreOverwrite(t, fc, "/f.txt", []byte("x"))
	for i := range 20 {
		featAddTag(t, fc, "/f.txt", fmt.Sprintf("t%d", i))
	}
	err := fc.TagsAddContext(t.Context(), files.NewAddTagArg("/f.txt", "one_more"))
	if e := coreAPIErr[files.TagsAddAPIError](t, err).EndpointError; e.Tag != files.AddTagErrorTooManyTags {
		t.Errorf("21st tag: %+v", e)
	}
	// Re-adding one of the 20 is still fine.
	featAddTag(t, fc, "/f.txt", "T7")

	err = fc.TagsAddContext(t.Context(), files.NewAddTagArg("/missing.txt", "x"))
	if e := coreAPIErr[files.TagsAddAPIError](t, err).EndpointError; e.Tag != files.AddTagErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("add to missing: %+v", e)
	}
	err = fc.TagsRemoveContext(t.Context(), files.NewRemoveTagArg("/missing.txt", "x"))
	if e := coreAPIErr[files.TagsRemoveAPIError](t, err).EndpointError; e.Tag != files.RemoveTagErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("remove from missing: %+v", e)
	}
	_, err = fc.TagsGetContext(t.Context(), files.NewGetTagsArg([]string{"/f.txt", "/missing.txt"}))
	if e := coreAPIErr[files.TagsGetAPIError](t, err).EndpointError; e.Tag != files.BaseTagErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("get with a missing path: %+v", e)
	}
	err = fc.TagsAddContext(t.Context(), files.NewAddTagArg("/f.txt/below", "x"))
	if e := coreAPIErr[files.TagsAddAPIError](t, err).EndpointError; e.Tag != files.AddTagErrorPath || e.Path.Tag != files.LookupErrorNotFolder {
		t.Errorf("add below a file: %+v", e)
	}

	// Tag text outside TagText, and paths outside Path, are 400s.
	for _, bad := range []string{"", "two words", "dash-ed", strings.Repeat("a", 33)} {
		err := fc.TagsAddContext(t.Context(), files.NewAddTagArg("/f.txt", bad))
		featBadRequest(t, err)
	}
	featBadRequest(t, fc.TagsAddContext(t.Context(), files.NewAddTagArg("id:abc", "x")))
	_, err = fc.TagsGetContext(t.Context(), files.NewGetTagsArg([]string{"f.txt"}))
	featBadRequest(t, err)

	if got := featTags(t, fc, "/f.txt"); len(got) != 1 || len(strings.Fields(got[0])) != 21 {
		t.Errorf("tags after refused calls = %v", got)
	}

	// Another account sees its own items only.
	other := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "other@example.com"})
	ofc := files.NewContext(sdkConfig(emu, other.AccessToken))
	_, err = ofc.TagsGetContext(t.Context(), files.NewGetTagsArg([]string{"/f.txt"}))
	if e := coreAPIErr[files.TagsGetAPIError](t, err).EndpointError; e.Tag != files.BaseTagErrorPath {
		t.Errorf("other account: %+v", e)
	}
}

func TestTagsDeletedItem(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/d.txt", []byte("x"))
	featAddTag(t, fc, "/d.txt", "keep")
	featDelete(t, fc, "/d.txt")
	_, err := fc.TagsGetContext(t.Context(), files.NewGetTagsArg([]string{"/d.txt"}))
	if e := coreAPIErr[files.TagsGetAPIError](t, err).EndpointError; e.Tag != files.BaseTagErrorPath || e.Path.Tag != files.LookupErrorNotFound {
		t.Errorf("get on a deleted item: %+v", e)
	}
	coreOverwrite(t, fc, "/d.txt", []byte("new"))
	if diff := cmp.Diff([]string{"/d.txt: "}, featTags(t, fc, "/d.txt")); diff != "" {
		t.Errorf("a new file at the path (-want +got):\n%s", diff)
	}
}
