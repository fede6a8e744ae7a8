package dropbox_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/dropbridge/dropbridge/dropbox"
)

// Upload a small file in one request, and a larger one through an upload
// session whose parts go up in parallel.
func ExampleClient_Upload() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	md, err := c.Upload(ctx, "/Notes/hello.txt", strings.NewReader("hello, dropbox"), 14, nil)
	if err != nil {
		panic(err)
	}
	fmt.Println(*md.PathDisplay, md.Size)

	// 10 MiB from an io.ReaderAt: a concurrent session of 4 MiB parts.
	big := bytes.Repeat([]byte("0123456789abcdef"), 10<<20/16)
	md, err = c.Upload(ctx, "/Backups/big.bin", bytes.NewReader(big), int64(len(big)), &dropbox.UploadOptions{PartSize: 4 << 20})
	if err != nil {
		panic(err)
	}
	fmt.Println(*md.PathDisplay, md.Size)

	// Add mode does not replace a different file.
	_, err = c.Upload(ctx, "/Notes/hello.txt", strings.NewReader("bonjour"), 7, nil)
	fmt.Println(errors.Is(err, dropbox.ErrConflict))
	// Output:
	// /Notes/hello.txt 14
	// /Backups/big.bin 10485760
	// true
}

// Save an upload's progress and resume it after an interruption.
func ExampleUploadOptions_resume() {
	base, token, stop := emulatorForExample()
	defer stop()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))
	data := bytes.Repeat([]byte("x"), 10<<20)

	// The first attempt stops once 4 MiB are in (here: its context ends).
	ctx, cancel := context.WithCancel(context.Background())
	var saved []byte
	opts := &dropbox.UploadOptions{PartSize: 4 << 20, OnProgress: func(s dropbox.UploadSession) {
		saved, _ = json.Marshal(s) // in real life: to a file or a database
		if s.Offset >= 4<<20 {
			cancel()
		}
	}}
	// A stream (no io.ReaderAt) goes up through a sequential session.
	_, err := c.Upload(ctx, "/video.mp4", bufio.NewReader(bytes.NewReader(data)), int64(len(data)), opts)
	fmt.Println(errors.Is(err, context.Canceled))

	// Later: go on from the saved session, with the reader at its offset.
	var s dropbox.UploadSession
	if err := json.Unmarshal(saved, &s); err != nil {
		panic(err)
	}
	fmt.Println("resume at", s.Offset)
	rest := bufio.NewReader(bytes.NewReader(data[s.Offset:]))
	md, err := c.Upload(context.Background(), "/video.mp4", rest, int64(len(data)), &dropbox.UploadOptions{Resume: &s})
	if err != nil {
		panic(err)
	}
	fmt.Println(*md.PathDisplay, md.Size)
	// Output:
	// true
	// resume at 4194304
	// /video.mp4 10485760
}

// Upload many files and commit them together: each file has its own result.
func ExampleClient_UploadBatch() {
	base, token, stop := emulatorForExample()
	defer stop()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	var files []dropbox.BatchFile
	for _, name := range []string{"/Photos/a.jpg", "/Photos/b.jpg", "/Photos/desktop.ini", "/Photos/c.jpg"} {
		content := "bytes of " + name
		files = append(files, dropbox.BatchFile{Path: name, Content: strings.NewReader(content), Size: int64(len(content))})
	}
	results, err := c.UploadBatch(context.Background(), files, nil)
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		if r.Err != nil {
			var ae *dropbox.APIError
			errors.As(r.Err, &ae)
			fmt.Println(r.Path, "failed:", ae.Tags)
			continue
		}
		fmt.Println(r.Path, r.Metadata.Size)
	}
	// Output:
	// /Photos/a.jpg 22
	// /Photos/b.jpg 22
	// /Photos/desktop.ini failed: [path disallowed_name]
	// /Photos/c.jpg 22
}

// Feed a BatchUploader file by file; results come at the commit.
func ExampleBatchUploader() {
	base, token, stop := emulatorForExample()
	defer stop()
	ctx := context.Background()
	c := dropbox.New(dropbox.WithBaseURL(base), dropbox.WithToken(token))

	u, err := c.NewBatchUploader(nil)
	if err != nil {
		panic(err)
	}
	var items []*dropbox.BatchItem
	for i := range 3 {
		content := fmt.Sprintf("log line %d\n", i)
		it, err := u.Add(ctx, fmt.Sprintf("/Logs/%d.log", i), strings.NewReader(content), int64(len(content)), nil)
		if err != nil {
			panic(err)
		}
		items = append(items, it)
	}
	if err := u.Close(ctx); err != nil { // commits what was added
		panic(err)
	}
	for _, it := range items {
		md, err := it.Wait(ctx)
		if err != nil {
			panic(err)
		}
		fmt.Println(*md.PathDisplay, md.Size)
	}
	// Output:
	// /Logs/0.log 11
	// /Logs/1.log 11
	// /Logs/2.log 11
}
