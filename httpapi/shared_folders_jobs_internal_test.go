package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/dropboxemu"
	"github.com/dropbridge/dropbridge/dropboxtest"
)

func TestAwaitJob(t *testing.T) {
	t.Parallel()
	t.Run("waits longer each time", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			var at []time.Duration
			err := awaitJob(t.Context(), "look", func(context.Context) (bool, error) {
				at = append(at, time.Since(start))
				return len(at) == 6, nil
			})
			want := []time.Duration{0, 100 * time.Millisecond, 300 * time.Millisecond, 700 * time.Millisecond,
				1500 * time.Millisecond, 3100 * time.Millisecond}
			if diff := cmp.Diff(want, at); err != nil || diff != "" {
				t.Errorf("checks at (-want +got):\n%s(error %v)", diff, err)
			}
		})
	})
	t.Run("a failed check ends the wait", func(t *testing.T) {
		boom := errors.New("boom")
		calls := 0
		err := awaitJob(t.Context(), "look", func(context.Context) (bool, error) {
			calls++
			return false, boom
		})
		if !errors.Is(err, boom) || calls != 1 {
			t.Errorf("awaitJob = %v after %d checks, want boom after 1", err, calls)
		}
	})
	t.Run("ends on cancel", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			calls := 0
			err := awaitJob(ctx, "look", func(context.Context) (bool, error) {
				if calls++; calls == 3 {
					cancel()
				}
				return false, nil
			})
			if !errors.Is(err, context.Canceled) || calls != 3 {
				t.Errorf("awaitJob = %v after %d checks, want context.Canceled after 3", err, calls)
			}
		})
	})
	t.Run("gives up after the limit", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			start := time.Now()
			err := awaitJob(t.Context(), "list the shared folders", func(context.Context) (bool, error) { return false, nil })
			if dropbridge.ErrorCode(err) != dropbridge.EUNAVAILABLE || time.Since(start) < jobPollLimit || time.Since(start) > jobPollLimit+jobPollMax {
				t.Errorf("awaitJob = %v after %s, want EUNAVAILABLE after %s", err, time.Since(start), jobPollLimit)
			}
		})
	})
}

func TestJobFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		failed any
		tags   []string
	}{
		{&dropbox.ShareFolderError{Tag: "bad_path", BadPath: &dropbox.SharePathError{Tag: "is_file"}}, []string{"bad_path", "is_file"}},
		{&dropbox.JobError{Tag: "unshare_folder_error", UnshareFolderError: &dropbox.UnshareFolderError{Tag: "access_error",
			AccessError: &dropbox.SharedFolderAccessError{Tag: "invalid_id"}}}, []string{"unshare_folder_error", "access_error", "invalid_id"}},
		{&dropbox.RemoveFolderMemberError{Tag: "folder_owner"}, []string{"folder_owner"}},
	}
	for _, tc := range tests {
		err := jobFailure("sharing/route", tc.failed)
		var api *dropbox.APIError
		if !errors.As(err, &api) {
			t.Errorf("jobFailure(%+v) = %v, want an *APIError", tc.failed, err)
			continue
		}
		if diff := cmp.Diff(tc.tags, api.Tags); diff != "" || api.Route != "sharing/route" || !json.Valid(api.Body) {
			t.Errorf("jobFailure(%+v): route %q, body %s, tags (-want +got):\n%s", tc.failed, api.Route, api.Body, diff)
		}
	}
	if got := unionTags(json.RawMessage(`"plain"`)); got != nil {
		t.Errorf("unionTags of a bare string = %v", got)
	}
}

// TestSharingJobs runs the calls that wait for Dropbox's jobs against an
// emulator whose jobs answer in_progress twice before they are done.
func TestSharingJobs(t *testing.T) {
	t.Parallel()
	emu := dropboxtest.NewEmulator(t, dropboxtest.WithOptions(func(o *dropboxemu.Options) { o.JobPolls = 2 }))
	ada := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "ada@example.com", AccountType: "pro"})
	bob := emu.CreateAccount(t, dropboxtest.AccountArg{Email: "bob@example.com", AccountType: "pro"})
	c := dropbox.New(dropbox.WithBaseURL(emu.URL), dropbox.WithToken(ada.AccessToken))
	ctx := t.Context()

	md, err := shareAndWait(ctx, c, &dropbox.ShareFolderArg{Path: "/Async", ForceAsync: true})
	if err != nil {
		t.Fatal(err)
	}
	if md.Name != "Async" || md.SharedFolderID == "" {
		t.Fatalf("shared through a job: %+v", md)
	}
	bobSel := dropbox.MemberSelector{Tag: dropbox.MemberSelectorEmail, Email: bob.Email}
	if err := c.Sharing.AddFolderMember(ctx, &dropbox.AddFolderMemberArg{SharedFolderID: md.SharedFolderID,
		Members: []dropbox.AddMember{{Member: bobSel}}}); err != nil {
		t.Fatal(err)
	}
	if err := removeMemberAndWait(ctx, c, &dropbox.RemoveFolderMemberArg{SharedFolderID: md.SharedFolderID, Member: bobSel}); err != nil {
		t.Fatal(err)
	}
	members, err := c.Sharing.ListFolderMembers(ctx, &dropbox.ListFolderMembersArgs{SharedFolderID: md.SharedFolderID})
	if err != nil {
		t.Fatal(err)
	}
	if len(members.Users) != 1 || members.Users[0].User.Email != ada.Email {
		t.Errorf("members after removing Bob through a job: %+v", members.Users)
	}
	if err := unshareAndWait(ctx, c, &dropbox.UnshareFolderArg{SharedFolderID: md.SharedFolderID}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Sharing.GetFolderMetadata(ctx, &dropbox.GetMetadataArgs{SharedFolderID: md.SharedFolderID}); err == nil {
		t.Errorf("the folder is still shared after unsharing through a job")
	}
}
