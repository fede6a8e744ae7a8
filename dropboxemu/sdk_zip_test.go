package dropboxemu_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
	"github.com/google/go-cmp/cmp"
)

// featZip downloads path as a zip and returns its result and the zip's
// entries as name -> content ("/" suffix for folders).
func featZip(t *testing.T, fc files.ContextClient, path string) (*files.DownloadZipResult, map[string]string, []string, error) {
	t.Helper()
	res, rc, err := fc.DownloadZipContext(t.Context(), files.NewDownloadZipArg(path))
	if err != nil {
		return nil, nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	content := map[string]string{}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		r, err := f.Open()
		if err != nil {
			t.Fatalf("open %s: %v", f.Name, err)
		}
		data, err := io.ReadAll(r)
		r.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		content[f.Name] = string(data)
	}
	return res, content, names, nil
}

func TestZipFolder(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/Proj/a.txt", []byte("alpha"))
	coreOverwrite(t, fc, "/Proj/Sub/b.txt", bytes.Repeat([]byte("beta "), 1000))
	coreOverwrite(t, fc, "/Proj/Sub/Deep/c.bin", []byte{0, 1, 2, 255})
	coreMkdir(t, fc, "/Proj/Empty")
	featPaper(t, fc, "/Proj/notes.paper", files.ImportFormatMarkdown, "not in the zip")
	coreOverwrite(t, fc, "/Other/x.txt", []byte("x"))
	coreMkdir(t, fc, "/Proj/Sub/Deep/Deeper")

	res, content, names, err := featZip(t, fc, "/proj")
	if err != nil {
		t.Fatalf("download_zip: %v", err)
	}
	want := []string{"Proj/", "Proj/a.txt", "Proj/Empty/", "Proj/Sub/", "Proj/Sub/b.txt", "Proj/Sub/Deep/",
		"Proj/Sub/Deep/c.bin", "Proj/Sub/Deep/Deeper/"}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("zip entries (-want +got):\n%s", diff)
	}
	if content["Proj/a.txt"] != "alpha" || content["Proj/Sub/b.txt"] != string(bytes.Repeat([]byte("beta "), 1000)) ||
		content["Proj/Sub/Deep/c.bin"] != "\x00\x01\x02\xff" {
		t.Errorf("zip content = %q", content)
	}
	m, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/Proj"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Metadata == nil || res.Metadata.Id != m.(*files.FolderMetadata).Id || res.Metadata.Name != "Proj" || res.Metadata.PathDisplay != "/Proj" {
		t.Errorf("result = %+v", res.Metadata)
	}

	// A subfolder, by id; its zip starts at its own name.
	sub, err := fc.GetMetadataContext(t.Context(), files.NewGetMetadataArg("/proj/sub/deep"))
	if err != nil {
		t.Fatal(err)
	}
	_, _, names, err = featZip(t, fc, sub.(*files.FolderMetadata).Id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Deep/", "Deep/c.bin", "Deep/Deeper/"}, names); diff != "" {
		t.Errorf("subfolder zip (-want +got):\n%s", diff)
	}
}

func TestZipErrors(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	f := coreOverwrite(t, fc, "/file.txt", []byte("x"))
	zipErr := func(path string) string {
		t.Helper()
		_, _, _, err := featZip(t, fc, path)
		e := coreAPIErr[files.DownloadZipAPIError](t, err).EndpointError
		if e.Path != nil {
			return e.Tag + "/" + e.Path.Tag
		}
		return e.Tag
	}
	for path, want := range map[string]string{
		"/file.txt":         "path/not_folder",
		"rev:" + f.Rev:      "path/not_folder",
		"/missing":          "path/not_found",
		"/file.txt/below":   "path/not_folder",
		"id:nonexistent123": "path/not_found",
	} {
		if got := zipErr(path); got != want {
			t.Errorf("download_zip %q: %s, want %s", path, got, want)
		}
	}
	for _, bad := range []string{"relative", "", "/"} {
		_, _, _, err := featZip(t, fc, bad)
		featBadRequest(t, err)
	}
}

func TestZipTooManyFiles(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	// Grow a tree past 10,000 entries by copying it into itself twice over.
	for i := range 39 {
		coreOverwrite(t, fc, fmt.Sprintf("/w/g0/f%d", i), []byte("x"))
	}
	for g := 1; g <= 8; g++ {
		for _, half := range []string{"a", "b"} {
			arg := files.NewRelocationArg(fmt.Sprintf("/w/g%d", g-1), fmt.Sprintf("/w/g%d/%s", g, half))
			if _, err := fc.CopyV2Context(t.Context(), arg); err != nil {
				t.Fatalf("copy into g%d: %v", g, err)
			}
		}
	}
	// g7 holds 128*40+127 = 5247 entries: fine; g8 holds 10,495.
	_, rc, err := fc.DownloadZipContext(t.Context(), files.NewDownloadZipArg("/w/g7"))
	if err != nil {
		t.Fatalf("g7: %v", err)
	}
	rc.Close()
	_, _, _, err = featZip(t, fc, "/w/g8")
	if e := coreAPIErr[files.DownloadZipAPIError](t, err).EndpointError; e.Tag != files.DownloadZipErrorTooManyFiles {
		t.Errorf("g8: %+v", e)
	}
}
