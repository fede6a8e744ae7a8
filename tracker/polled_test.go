package tracker_test

import (
	"encoding/json"
	"testing"

	"github.com/dropbridge/dropbridge/dropbox"
	"github.com/dropbridge/dropbridge/tracker"
	"github.com/google/go-cmp/cmp"
)

func link(url, path string, expires bool) dropbox.SharedLinkMetadata {
	l := &dropbox.FileLinkMetadata{URL: url, Name: path[1:], PathLower: ptr(path)}
	if expires {
		l.Expires = ptr(mustTime("2030-01-01T00:00:00Z"))
	}
	return dropbox.SharedLinkMetadata{Tag: dropbox.SharedLinkMetadataFile, File: l}
}

func request(id string, open bool, title, dest string) dropbox.FileRequest {
	return dropbox.FileRequest{ID: id, URL: "https://www.dropbox.com/request/" + id, Title: title, Destination: ptr(dest),
		Created: mustTime("2026-01-01T00:00:00Z"), IsOpen: open}
}

func teamFolder(id, name, status string) dropbox.TeamFolderMetadata {
	return dropbox.TeamFolderMetadata{TeamFolderID: id, Name: name, Status: dropbox.TeamFolderStatus{Tag: status},
		SyncSetting: dropbox.SyncSetting{Tag: dropbox.SyncSettingDefault}, ContentSyncSettings: []dropbox.ContentSyncSetting{}}
}

func member(account string, access string) dropbox.UserMembershipInfo {
	return dropbox.UserMembershipInfo{AccessType: dropbox.AccessLevel{Tag: access},
		User: dropbox.UserInfo{AccountID: account, Email: account + "@example.com", DisplayName: account}}
}

// fromJSON decodes a fixture written as Dropbox writes it.
func fromJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPolledDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		diff func() ([]tracker.Change, error)
		want []string
	}{{
		name: "shared links",
		diff: func() ([]tracker.Change, error) {
			return tracker.SharedLinks.Diff(
				[]dropbox.SharedLinkMetadata{link("https://l/1", "/a", false), link("https://l/2", "/b", false), link("https://l/3", "/c", false)},
				[]dropbox.SharedLinkMetadata{link("https://l/2", "/b", true), link("https://l/3", "/c", false), link("https://l/4", "/a", false)})
		},
		want: []string{"shared_link.revoked https://l/1 ", "shared_link.updated https://l/2 ", "shared_link.created https://l/4 "},
	}, {
		name: "file requests",
		diff: func() ([]tracker.Change, error) {
			return tracker.FileRequests.Diff(
				[]dropbox.FileRequest{request("r1", true, "A", "/A"), request("r2", true, "B", "/B"), request("r3", false, "C", "/C"), request("r4", true, "D", "/D")},
				[]dropbox.FileRequest{request("r1", true, "A2", "/A"), request("r2", false, "B2", "/B"), request("r4", true, "D", "/D"), request("r5", true, "E", "/E")})
		},
		want: []string{"file_request.updated r1 ", "file_request.closed r2 ", "file_request.deleted r3 ", "file_request.created r5 "},
	}, {
		name: "team folders",
		diff: func() ([]tracker.Change, error) {
			return tracker.TeamFolders.Diff(
				[]dropbox.TeamFolderMetadata{teamFolder("t1", "One", "active"), teamFolder("t2", "Two", "active"), teamFolder("t3", "Three", "archived")},
				[]dropbox.TeamFolderMetadata{teamFolder("t1", "One!", "active"), teamFolder("t2", "Two", "archived"), teamFolder("t3", "Three", "active")})
		},
		want: []string{"team_folder.updated t1 ", "team_folder.archived t2 ", "team_folder.updated t3 "},
	}, {
		name: "team members",
		diff: func() ([]tracker.Change, error) {
			m := func(id, status string) dropbox.TeamMemberInfoV2 {
				return fromJSON[dropbox.TeamMemberInfoV2](t, `{"profile":{"team_member_id":"`+id+`","email":"`+id+`@example.com",
					"email_verified":true,"status":{".tag":"`+status+`"},"name":{"given_name":"A","surname":"B","familiar_name":"A",
					"display_name":"A B","abbreviated_name":"AB"},"membership_type":{".tag":"full"},"groups":[],
					"member_folder_id":"1","root_folder_id":"2"}}`)
			}
			return tracker.TeamMembers.Diff(
				[]dropbox.TeamMemberInfoV2{m("dbmid:1", "active"), m("dbmid:2", "active")},
				[]dropbox.TeamMemberInfoV2{m("dbmid:2", "suspended"), m("dbmid:3", "invited")})
		},
		want: []string{"team_member.removed dbmid:1 ", "team_member.updated dbmid:2 ", "team_member.added dbmid:3 "},
	}, {
		name: "shared folders",
		diff: func() ([]tracker.Change, error) {
			f := func(id, name string) dropbox.SharedFolderMetadata {
				return fromJSON[dropbox.SharedFolderMetadata](t, `{"access_type":{".tag":"owner"},"is_inside_team_folder":false,
					"is_team_folder":false,"name":"`+name+`","policy":{"acl_update_policy":{".tag":"owner"},
					"shared_link_policy":{".tag":"anyone"}},"preview_url":"https://www.dropbox.com/scl/fo/`+id+`",
					"shared_folder_id":"`+id+`","time_invited":"2026-01-01T00:00:00Z"}`)
			}
			return tracker.SharedFolders.Diff([]dropbox.SharedFolderMetadata{f("1", "a"), f("2", "b")}, []dropbox.SharedFolderMetadata{f("2", "c"), f("3", "d")})
		},
		want: []string{"shared_folder.deleted 1 ", "shared_folder.updated 2 ", "shared_folder.created 3 "},
	}, {
		name: "shared folder members",
		diff: func() ([]tracker.Change, error) {
			before := tracker.SharedFolderMembersOf("sf1", &dropbox.SharedFolderMembers{
				Users:    []dropbox.UserMembershipInfo{member("dbid:a", "owner"), member("dbid:b", "editor")},
				Invitees: []dropbox.InviteeMembershipInfo{{AccessType: dropbox.AccessLevel{Tag: "viewer"}, Invitee: dropbox.InviteeInfo{Tag: "email", Email: "New@Example.com"}}},
			})
			after := tracker.SharedFolderMembersOf("sf1", &dropbox.SharedFolderMembers{
				Users: []dropbox.UserMembershipInfo{member("dbid:a", "owner"), member("dbid:b", "viewer"), member("dbid:c", "viewer")},
				Groups: []dropbox.GroupMembershipInfo{fromJSON[dropbox.GroupMembershipInfo](t, `{"access_type":{".tag":"editor"},
					"group":{"group_name":"G","group_id":"g:1","group_management_type":{".tag":"user_managed"},
					"group_type":{".tag":"team"},"is_member":true,"is_owner":false,"same_team":true}}`)},
			})
			return tracker.SharedFolderMembers.Diff(before, after)
		},
		want: []string{
			"shared_folder.member_added sf1/group:g:1 ", "shared_folder.member_removed sf1/invitee:new@example.com ",
			"shared_folder.member_updated sf1/user:dbid:b ", "shared_folder.member_added sf1/user:dbid:c ",
		},
	}, {
		name: "nothing changed",
		diff: func() ([]tracker.Change, error) {
			return tracker.FileRequests.Diff([]dropbox.FileRequest{request("r1", true, "A", "/A")}, []dropbox.FileRequest{request("r1", true, "A", "/A")})
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.diff()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, changeLines(got)); diff != "" {
				t.Errorf("changes (-want +got):\n%s", diff)
			}
			for _, c := range got {
				for _, raw := range []json.RawMessage{c.Before, c.After} {
					if raw != nil && (!json.Valid(raw) || raw[0] != '{') {
						t.Errorf("%s: object %s is no JSON object", c.Type, raw)
					}
				}
			}
		})
	}
}

func TestPolledDiffBefore(t *testing.T) {
	t.Parallel()
	got, err := tracker.FileRequests.Diff([]dropbox.FileRequest{request("r1", true, "A", "/A")}, []dropbox.FileRequest{request("r1", false, "A", "/A")})
	if err != nil {
		t.Fatal(err)
	}
	var before, after struct {
		IsOpen bool `json:"is_open"`
	}
	if len(got) != 1 || json.Unmarshal(got[0].Before, &before) != nil || json.Unmarshal(got[0].After, &after) != nil || !before.IsOpen || after.IsOpen {
		t.Errorf("closed request: %+v", got)
	}
}

func TestPolledDiffBadListing(t *testing.T) {
	t.Parallel()
	r := request("r1", true, "A", "/A")
	if _, err := tracker.FileRequests.Diff(nil, []dropbox.FileRequest{r, r}); err == nil {
		t.Error("two requests of one ID: no error")
	}
	if _, err := tracker.FileRequests.Diff([]dropbox.FileRequest{{}}, nil); err == nil {
		t.Error("a request without ID: no error")
	}
	if _, err := tracker.SharedFolderMembers.Diff([]tracker.SharedFolderMember{{SharedFolderID: "sf"}}, nil); err == nil {
		t.Error("a member of no kind: no error")
	}
}
