package dropboxtest

import (
	"bytes"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropbox/contenthash"
	"github.com/google/go-cmp/cmp"
)

// item is what the suite compares of a file's or folder's metadata.
type item struct {
	Tag  string // file, folder or deleted
	Path string // path_display
	Size uint64
	Hash string // content_hash
}

// fileItem is the item of a file.
func fileItem(f *dropbox.FileMetadata) item {
	if f == nil {
		return item{}
	}
	return item{Tag: dropbox.MetadataFile, Path: deref(f.PathDisplay), Size: f.Size, Hash: deref(f.ContentHash)}
}

// folderItem is the item of a folder.
func folderItem(f *dropbox.FolderMetadata) item {
	if f == nil {
		return item{}
	}
	return item{Tag: dropbox.MetadataFolder, Path: deref(f.PathDisplay)}
}

// itemOf is the item of any metadata.
func itemOf(m dropbox.Metadata) item {
	switch m.Tag {
	case dropbox.MetadataFile:
		return fileItem(m.File)
	case dropbox.MetadataFolder:
		return folderItem(m.Folder)
	}
	return item{Tag: m.Tag, Path: deref(m.PathDisplay())}
}

// fileWant is the item a file of data at path should have.
func fileWant(path string, data []byte) item {
	return item{Tag: dropbox.MetadataFile, Path: path, Size: uint64(len(data)), Hash: contenthash.Of(data)}
}

// folderWant is the item of a folder at path.
func folderWant(path string) item { return item{Tag: dropbox.MetadataFolder, Path: path} }

// deletedWant is the item of a deleted entry at path.
func deletedWant(path string) item { return item{Tag: dropbox.MetadataDeleted, Path: path} }

// sortItems sorts items by path (case-insensitively, as Dropbox keys
// them) and tag.
func sortItems(items []item) []item {
	slices.SortFunc(items, func(a, b item) int {
		if c := strings.Compare(strings.ToLower(a.Path), strings.ToLower(b.Path)); c != 0 {
			return c
		}
		return strings.Compare(a.Tag, b.Tag)
	})
	return items
}

// deref returns *p, or the zero value for nil.
func deref[T any](p *T) T {
	var v T
	if p != nil {
		v = *p
	}
	return v
}

// diff fails the test when got differs from want.
func diff(t testing.TB, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Errorf("%s (-want +got):\n%s", what, d)
	}
}

// put uploads data to path with files/upload, replacing what is there.
func put(t testing.TB, e *env, c *dropbox.Client, path string, data []byte) *dropbox.FileMetadata {
	t.Helper()
	md := must(c.Files.Upload(e.ctx, &dropbox.UploadArg{Path: path, Mode: dropbox.WriteMode{Tag: dropbox.WriteModeOverwrite}}, bytes.NewReader(data)))(t, "upload "+path)
	diff(t, "upload "+path, fileWant(path, data), fileItem(md))
	return md
}

// mkdir creates the folder at path with files/create_folder_v2.
func mkdir(t testing.TB, e *env, c *dropbox.Client, path string) *dropbox.FolderMetadata {
	t.Helper()
	res := must(c.Files.CreateFolderV2(e.ctx, &dropbox.CreateFolderArg{Path: path}))(t, "create_folder_v2 "+path)
	diff(t, "create_folder_v2 "+path, folderWant(path), folderItem(&res.Metadata))
	return &res.Metadata
}

// fetch downloads the file at path with files/download.
func fetch(t testing.TB, e *env, c *dropbox.Client, path string) (*dropbox.FileMetadata, []byte) {
	t.Helper()
	md, body := must2(c.Files.Download(e.ctx, &dropbox.DownloadArg{Path: path}))(t, "download "+path)
	defer body.Close()
	data := must(io.ReadAll(body))(t, "read download "+path)
	return md, data
}

// must2 is must for calls with two results.
func must2[A, B any](a A, b B, err error) func(t testing.TB, what string) (A, B) {
	return func(t testing.TB, what string) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return a, b
	}
}

// tree lists everything under path (recursive), as sorted items.
func tree(t testing.TB, e *env, c *dropbox.Client, path string) []item {
	t.Helper()
	var out []item
	res := must(c.Files.ListFolder(e.ctx, &dropbox.ListFolderArg{Path: path, Recursive: true}))(t, "list_folder "+path)
	for {
		for _, m := range res.Entries {
			out = append(out, itemOf(m))
		}
		if !res.HasMore {
			break
		}
		res = must(c.Files.ListFolderContinue(e.ctx, &dropbox.ListFolderContinueArg{Cursor: res.Cursor}))(t, "list_folder/continue "+path)
	}
	return sortItems(out)
}

// randomBytes returns n bytes of a stream seeded with seed.
func randomBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
