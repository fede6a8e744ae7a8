package main

import "testing"

func TestRoutePolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, scope       string
		write, idempotent bool
	}{
		{"files/list_folder", "files.metadata.read", false, true},
		{"files/download", "files.content.read", false, true},
		{"files/upload", "files.content.write", true, false},
		{"files/delete_v2", "files.content.write", true, false},
		{"files/permanently_delete", "files.permanent_delete", true, false},
		{"files/tags/add", "files.metadata.write", false, false},
		{"files/upload_session/start", "files.content.write", false, true},
		{"files/upload_session/start_batch", "files.content.write", false, true},
		{"files/upload_session/append", "files.content.write", false, true},
		{"files/upload_session/append_v2", "files.content.write", false, true},
		{"files/upload_session/finish", "files.content.write", true, false},
		{"files/upload_session/finish_batch/check", "files.content.write", false, true},
		{"files/copy_batch/check_v2", "files.content.write", false, true},
		{"files/get_temporary_link", "files.content.read", false, true},
		{"files/get_temporary_upload_link", "files.content.write", false, true},
		{"sharing/share_folder", "sharing.write", true, false},
		{"sharing/check_job_status", "sharing.write", false, true},
		{"sharing/list_folders", "sharing.read", false, true},
		{"file_requests/create", "file_requests.write", true, false},
		{"file_requests/get", "file_requests.read", false, true},
		{"team/team_folder/archive/check", "team_data.content.write", false, true},
		{"team/team_folder/create", "team_data.content.write", false, false},
		{"team/namespaces/list", "team_data.member", false, true},
		{"users/get_current_account", "account_info.read", false, true},
		{"auth/token/revoke", "", false, false},
		{"check/app", "", false, true},
		{"files/upload_session/append_batch", "files.content.write", false, true},
		{"files/paper/create", "files.content.write", true, false},
		{"sharing/create_shared_link_with_settings", "sharing.write", true, false},
		{"sharing/get_shared_link_metadata", "sharing.read", false, true},
	} {
		if got := isWrite(tc.name, tc.scope); got != tc.write {
			t.Errorf("isWrite(%s, %s) = %v, want %v", tc.name, tc.scope, got, tc.write)
		}
		if got := isIdempotent(tc.name, tc.scope); got != tc.idempotent {
			t.Errorf("isIdempotent(%s, %s) = %v, want %v", tc.name, tc.scope, got, tc.idempotent)
		}
	}
}
