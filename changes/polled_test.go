package changes_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/dropbox"
)

func TestFileRequestFileReceived(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			f.mkdir("/Inbox")
			s := f.service(changes.Config{})
			f.sync(s)

			req, err := f.user.FileRequests.Create(t.Context(), &dropbox.CreateFileRequestArgs{Title: "Receipts", Destination: "/Inbox"})
			if err != nil {
				t.Fatal(err)
			}
			f.sync(s)
			if diff := cmp.Diff([]seenEvent{{dropbridge.EventFileRequestCreated, "Receipts", dropbridge.OriginDropbox}}, f.newEvents()); diff != "" {
				t.Errorf("events of a new file request (-want +got):\n%s", diff)
			}

			// Someone without a Dropbox account sends a file through the
			// request's public page.
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("name", "Ann")
			mw.WriteField("email", "ann@example.com")
			fw, _ := mw.CreateFormFile("file", "receipt.pdf")
			fw.Write([]byte("%PDF receipt"))
			mw.Close()
			resp, err := http.Post(req.URL, mw.FormDataContentType(), &body)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("upload through the request's page: %d", resp.StatusCode)
			}
			f.sync(s)
			got := f.newEvents()
			want := []seenEvent{
				{dropbridge.EventFileCreated, "/Inbox/Ann - receipt.pdf", dropbridge.OriginDropbox},
				{dropbridge.EventFileRequestFileReceived, "/Inbox/Ann - receipt.pdf", dropbridge.OriginDropbox},
				{dropbridge.EventFileRequestUpdated, "Receipts", dropbridge.OriginDropbox}, // its file_count
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("events of a file sent through a request (-want +got):\n%s", diff)
			}

			// Closing and deleting the request, through dropbridge.
			f.through(func(ctx context.Context, c *dropbox.Client) error {
				open := false
				_, err := c.FileRequests.Update(ctx, &dropbox.UpdateFileRequestArgs{ID: req.ID, Open: &open})
				return err
			})
			f.sync(s)
			f.through(func(ctx context.Context, c *dropbox.Client) error {
				_, err := c.FileRequests.Delete(ctx, &dropbox.DeleteFileRequestArgs{IDs: []string{req.ID}})
				return err
			})
			f.sync(s)
			want = []seenEvent{
				{dropbridge.EventFileRequestClosed, "Receipts", dropbridge.OriginAPI},
				{dropbridge.EventFileRequestDeleted, "Receipts", dropbridge.OriginAPI},
			}
			if diff := cmp.Diff(want, f.newEvents()); diff != "" {
				t.Errorf("events of closing and deleting a request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSharedLinkEvents(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			f.upload("/old.txt", "o")
			f.upload("/a.txt", "a")
			f.upload("/b.txt", "b")
			old, err := f.user.Sharing.CreateSharedLinkWithSettings(t.Context(), &dropbox.CreateSharedLinkWithSettingsArg{Path: "/old.txt"})
			if err != nil {
				t.Fatal(err)
			}
			s := f.service(changes.Config{})
			f.sync(s)
			if got := f.newEvents(); len(got) != 0 {
				t.Fatalf("the first poll made events: %v", got)
			}

			link, err := f.user.Sharing.CreateSharedLinkWithSettings(t.Context(), &dropbox.CreateSharedLinkWithSettingsArg{Path: "/a.txt"})
			if err != nil {
				t.Fatal(err)
			}
			f.through(func(ctx context.Context, c *dropbox.Client) error {
				_, err := c.Sharing.CreateSharedLinkWithSettings(ctx, &dropbox.CreateSharedLinkWithSettingsArg{Path: "/b.txt"})
				return err
			})
			if err := s.Poll(t.Context(), f.env.ID, f.conn.ID); err != nil {
				t.Fatal(err)
			}
			want := []seenEvent{
				{dropbridge.EventSharedLinkCreated, "a.txt", dropbridge.OriginDropbox},
				{dropbridge.EventSharedLinkCreated, "b.txt", dropbridge.OriginAPI},
			}
			if diff := cmp.Diff(sorted(want), sorted(f.newEvents())); diff != "" {
				t.Errorf("events of new links (-want +got):\n%s", diff)
			}

			if err := f.user.Sharing.RevokeSharedLink(t.Context(), &dropbox.RevokeSharedLinkArg{URL: link.URL()}); err != nil {
				t.Fatal(err)
			}
			f.through(func(ctx context.Context, c *dropbox.Client) error {
				return c.Sharing.RevokeSharedLink(ctx, &dropbox.RevokeSharedLinkArg{URL: old.URL()})
			})
			if err := s.Poll(t.Context(), f.env.ID, f.conn.ID); err != nil {
				t.Fatal(err)
			}
			want = []seenEvent{
				{dropbridge.EventSharedLinkRevoked, "a.txt", dropbridge.OriginDropbox},
				{dropbridge.EventSharedLinkRevoked, "old.txt", dropbridge.OriginAPI},
			}
			if diff := cmp.Diff(sorted(want), sorted(f.newEvents())); diff != "" {
				t.Errorf("events of revoked links (-want +got):\n%s", diff)
			}
		})
	}
}
