package dropbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dropbridge/dropbridge/dropbox"
)

// Download a file to a writer, whole (its content hash checked) or a range
// of it. Cut connections are resumed where they stopped.
func ExampleClient_Download() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	up, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/Notes/hello.txt"}, strings.NewReader("hello, dropbox\n"))
	if err != nil {
		panic(err)
	}

	meta, err := c.Download(ctx, "/notes/HELLO.txt", os.Stdout, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(meta.Name, meta.Size, meta.Rev == up.Rev)

	// Bytes 7 to 13, as a reader.
	_, r, err := c.OpenDownload(ctx, up.ID, &dropbox.DownloadOptions{Offset: 7, Length: 7})
	if err != nil {
		panic(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", b)
	// Output:
	// hello, dropbox
	// hello.txt 15 true
	// "dropbox"
}

// List a folder and everything below it, page after page.
func ExampleFilesService_ListFolderAll() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))
	for _, p := range []string{"/Docs/a.txt", "/Docs/b.txt", "/Docs/Old/c.txt"} {
		if _, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: p}, strings.NewReader(p)); err != nil {
			panic(err)
		}
	}

	arg := &dropbox.ListFolderArg{Path: "/Docs", Recursive: true, Limit: dropbox.Ptr[uint32](2)}
	for e, err := range c.Files.ListFolderAll(ctx, arg) {
		if errors.Is(err, dropbox.ErrReset) {
			fmt.Println("the cursor expired: list again")
			return
		}
		if err != nil {
			panic(err)
		}
		fmt.Println(e.Tag, *e.PathDisplay())
	}
	// Output:
	// folder /Docs
	// file /Docs/a.txt
	// file /Docs/b.txt
	// folder /Docs/Old
	// file /Docs/Old/c.txt
}

// Keep the cursor of each page once its entries are applied, and later
// read the changes since.
func ExampleFilesService_ListFolderPages() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))
	if _, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/first.txt"}, strings.NewReader("1")); err != nil {
		panic(err)
	}

	var cursor string // stored after each page, in a real program
	for page, err := range c.Files.ListFolderPages(ctx, &dropbox.ListFolderArg{}) {
		if err != nil {
			panic(err)
		}
		for _, e := range page.Entries {
			fmt.Println("listed", *e.PathDisplay())
		}
		cursor = page.Cursor
	}

	if _, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/second.txt"}, strings.NewReader("2")); err != nil {
		panic(err)
	}
	for page, err := range c.Files.ListFolderContinuePages(ctx, cursor) {
		if err != nil {
			panic(err)
		}
		for _, e := range page.Entries {
			fmt.Println("changed", e.Tag, *e.PathDisplay())
		}
		cursor = page.Cursor
	}
	// Output:
	// listed /first.txt
	// changed file /second.txt
}
