package changes_test

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/changes"
	"github.com/dropbridge/dropbridge/dropbox"
)

func TestFileEvents(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			f.upload("/a.txt", "a")
			f.mkdir("/Docs")
			f.upload("/Docs/b.txt", "b")
			s := f.service(changes.Config{})
			f.sync(s)
			if got := f.newEvents(); len(got) != 0 {
				t.Fatalf("the first listing made events: %v", got)
			}

			const api, dbx = dropbridge.OriginAPI, dropbridge.OriginDropbox
			steps := []struct {
				name string
				do   func()
				want []seenEvent
			}{
				{"create", func() { f.upload("/Docs/c.txt", "c") },
					[]seenEvent{{dropbridge.EventFileCreated, "/Docs/c.txt", dbx}}},
				{"create through dropbridge", func() {
					f.through(func(ctx context.Context, c *dropbox.Client) error {
						_, err := c.Files.Upload(ctx, &dropbox.UploadArg{Path: "/mine.txt"}, bytes.NewReader([]byte("mine")))
						return err
					})
				}, []seenEvent{{dropbridge.EventFileCreated, "/mine.txt", api}}},
				{"update", func() { f.upload("/a.txt", "a, changed") },
					[]seenEvent{{dropbridge.EventFileUpdated, "/a.txt", dbx}}},
				{"same bytes again", func() { f.upload("/a.txt", "a, changed") }, nil},
				{"rename", func() { f.move("/a.txt", "/A renamed.txt") },
					[]seenEvent{{dropbridge.EventFileMoved, "/A renamed.txt", dbx}}},
				{"move a folder", func() { f.move("/Docs", "/Papers") },
					[]seenEvent{{dropbridge.EventFolderMoved, "/Papers", dbx}}},
				{"move a file into a folder", func() { f.move("/A renamed.txt", "/Papers/a.txt") },
					[]seenEvent{{dropbridge.EventFileMoved, "/Papers/a.txt", dbx}}},
				{"create a folder", func() { f.mkdir("/Empty") },
					[]seenEvent{{dropbridge.EventFolderCreated, "/Empty", dbx}}},
				{"folder and move through dropbridge", func() {
					f.through(func(ctx context.Context, c *dropbox.Client) error {
						if _, err := c.Files.CreateFolderV2(ctx, &dropbox.CreateFolderArg{Path: "/Mine"}); err != nil {
							return err
						}
						_, err := c.Files.MoveV2(ctx, &dropbox.RelocationArg{FromPath: "/mine.txt", ToPath: "/Mine/mine.txt"})
						return err
					})
				}, []seenEvent{{dropbridge.EventFolderCreated, "/Mine", api}, {dropbridge.EventFileMoved, "/Mine/mine.txt", api}}},
				{"delete a file", func() { f.remove("/Papers/c.txt") },
					[]seenEvent{{dropbridge.EventFileDeleted, "/Papers/c.txt", dbx}}},
				{"delete through dropbridge", func() {
					f.through(func(ctx context.Context, c *dropbox.Client) error {
						_, err := c.Files.DeleteV2(ctx, &dropbox.DeleteArg{Path: "/Mine"})
						return err
					})
				}, []seenEvent{{dropbridge.EventFolderDeleted, "/Mine", api}, {dropbridge.EventFileDeleted, "/Mine/mine.txt", api}}},
				{"delete a folder", func() { f.remove("/Papers") }, []seenEvent{
					{dropbridge.EventFolderDeleted, "/Papers", dbx},
					{dropbridge.EventFileDeleted, "/Papers/a.txt", dbx},
					{dropbridge.EventFileDeleted, "/Papers/b.txt", dbx},
				}},
				{"nothing", func() {}, nil},
			}
			for _, st := range steps {
				st.do()
				f.sync(s)
				if diff := cmp.Diff(sorted(st.want), sorted(f.newEvents())); diff != "" {
					t.Errorf("%s: events (-want +got):\n%s", st.name, diff)
				}
			}
			// The write log keeps no write that a change matched.
			writes, err := f.store.ListWrites(t.Context(), f.env.ID, f.conn.ID, f.conn.CreatedAt.AddDate(0, 0, -1))
			if err != nil {
				t.Fatal(err)
			}
			if len(writes) != 0 {
				t.Errorf("%d writes left in the write log, want 0", len(writes))
			}
		})
	}
}

func TestCursorReset(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			f.upload("/keep.txt", "k")
			f.upload("/gone.txt", "g")
			f.upload("/changed.txt", "c")
			f.mkdir("/Folder")
			f.upload("/Folder/moved.txt", "m")
			s := f.service(changes.Config{})
			f.sync(s)
			f.newEvents()

			f.remove("/gone.txt")
			f.upload("/new.txt", "n")
			f.upload("/changed.txt", "c, changed")
			f.move("/Folder/moved.txt", "/moved.txt")
			f.emu.Admin(t, "POST", "/_emulator/cursors/reset", map[string]string{"account_id": f.acct.AccountID}, nil)
			f.sync(s)
			want := []seenEvent{
				{dropbridge.EventFileDeleted, "/gone.txt", dropbridge.OriginDropbox},
				{dropbridge.EventFileCreated, "/new.txt", dropbridge.OriginDropbox},
				{dropbridge.EventFileUpdated, "/changed.txt", dropbridge.OriginDropbox},
				{dropbridge.EventFileMoved, "/moved.txt", dropbridge.OriginDropbox},
			}
			if diff := cmp.Diff(sorted(want), sorted(f.newEvents())); diff != "" {
				t.Errorf("events after the reset (-want +got):\n%s", diff)
			}
			var stats struct {
				Routes map[string]map[string]int `json:"routes"`
			}
			f.emu.Admin(t, "GET", "/_emulator/stats", nil, &stats)
			if n := stats.Routes["files/list_folder/continue"]["409"]; n != 1 {
				t.Errorf("list_folder/continue answered reset %d times, want 1", n)
			}
			f.sync(s)
			if got := f.newEvents(); len(got) != 0 {
				t.Errorf("a sync after the reset listing made events: %v", got)
			}
			f.upload("/after.txt", "x")
			f.sync(s)
			if diff := cmp.Diff([]seenEvent{{dropbridge.EventFileCreated, "/after.txt", dropbridge.OriginDropbox}}, f.newEvents()); diff != "" {
				t.Errorf("events from the new cursor (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRestartMidListing(t *testing.T) {
	t.Parallel()
	for _, backend := range backends {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, backend, nil)
			for _, p := range []string{"/1", "/2", "/3", "/4", "/5"} {
				f.upload(p, p)
			}
			// The first listing, stopped after one page: silent after the
			// restart too, and complete.
			cfg := changes.Config{PageLimit: 2}
			more, err := f.service(cfg).SyncFilesPage(t.Context(), f.env.ID, f.conn.ID)
			if err != nil || !more {
				t.Fatalf("first page: more %v, %v", more, err)
			}
			s := f.service(cfg)
			if _, err := s.SyncFiles(t.Context(), f.env.ID, f.conn.ID); err != nil {
				t.Fatal(err)
			}
			if got := f.newEvents(); len(got) != 0 {
				t.Errorf("the first listing made events after a restart: %v", got)
			}
			entries, err := f.store.ListMirrorEntries(t.Context(), f.env.ID, f.conn.ID, "", 100)
			if err != nil || len(entries) != 5 {
				t.Fatalf("mirror holds %d entries (%v), want 5", len(entries), err)
			}

			// Changes listed over several pages: a service stops after the
			// first, another takes over.
			var want []seenEvent
			for _, p := range []string{"/a", "/b", "/c", "/d", "/e", "/f", "/g"} {
				f.upload(p, p)
				want = append(want, seenEvent{dropbridge.EventFileCreated, p, dropbridge.OriginDropbox})
			}
			f.remove("/1")
			want = append(want, seenEvent{dropbridge.EventFileDeleted, "/1", dropbridge.OriginDropbox})
			if more, err := f.service(cfg).SyncFilesPage(t.Context(), f.env.ID, f.conn.ID); err != nil || !more {
				t.Fatalf("first page of changes: more %v, %v", more, err)
			}
			if _, err := f.service(cfg).SyncFiles(t.Context(), f.env.ID, f.conn.ID); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, f.newEvents()); diff != "" {
				t.Errorf("events across the restart (-want +got):\n%s", diff)
			}

			// Two services syncing at once apply each page once.
			want = nil
			for _, p := range []string{"/h", "/i", "/j", "/k", "/l"} {
				f.upload(p, p)
				want = append(want, seenEvent{dropbridge.EventFileCreated, p, dropbridge.OriginDropbox})
			}
			var wg sync.WaitGroup
			for range 3 {
				s := f.service(cfg)
				wg.Go(func() {
					if _, err := s.SyncFiles(t.Context(), f.env.ID, f.conn.ID); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if diff := cmp.Diff(want, f.newEvents()); diff != "" {
				t.Errorf("events of concurrent syncs (-want +got):\n%s", diff)
			}
		})
	}
}
