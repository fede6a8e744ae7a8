"""Drives the emulator's team space with Dropbox's official Python SDK.

Run by TestPythonSDKTeamSpace (python_sdk_test.go), which serves the emulator
over TLS and hands over, in EMU_* variables, a team token (EMU_TEAM_TOKEN),
two members' team member ids (EMU_ADA_MEMBER, EMU_BOB_MEMBER) and Bob's own
user token (EMU_BOB_TOKEN). Protocol on stdout: one JSON object per line; the
last is {"event": "done", ...}. Any failure raises and exits non-zero.
"""

import os

import dropbox
from dropbox import common, files, team

from emuscript import check, emit


def paths(dbx, path=""):
    res = dbx.files_list_folder(path, recursive=True)
    out = [e.path_display for e in res.entries]
    while res.has_more:
        res = dbx.files_list_folder_continue(res.cursor)
        out += [e.path_display for e in res.entries]
    return sorted(out), res.cursor


def main():
    admin = dropbox.DropboxTeam(os.environ["EMU_TEAM_TOKEN"])
    info = admin.team_get_info()
    check(info.num_provisioned_users == 2, "team has two members: %r" % info)

    folder = admin.team_team_folder_create("Launch Plans")
    check(folder.status.is_active(), "new team folder is active")

    # Ada, through the team token (Dropbox-API-Select-User), at the team root.
    ada = admin.as_user(os.environ["EMU_ADA_MEMBER"])
    root_ns = ada.users_get_current_account().root_info.root_namespace_id
    ada_root = ada.with_path_root(common.PathRoot.root(root_ns))
    meta = ada_root.files_upload(b"T-minus 10", "/Launch Plans/countdown.txt")
    check(meta.path_display == "/Launch Plans/countdown.txt", "upload path %r" % meta.path_display)

    # Bob with his own token: not in his home, there at the team root.
    bob = dropbox.Dropbox(os.environ["EMU_BOB_TOKEN"])
    home, _ = paths(bob)
    check("/Launch Plans" not in home, "a team folder in Bob's home: %r" % home)
    bob_root = bob.with_path_root(common.PathRoot.root(root_ns))
    seen, cursor = paths(bob_root)
    check("/Launch Plans" in seen and "/Launch Plans/countdown.txt" in seen, "Bob's team space %r" % seen)
    _, res = bob_root.files_download("/launch plans/COUNTDOWN.txt")
    check(res.content == b"T-minus 10", "download through the team space")

    # A wrong root is refused with the user's root info.
    try:
        bob.with_path_root(common.PathRoot.root("1")).files_list_folder("")
        raise AssertionError("a foreign root was accepted")
    except dropbox.exceptions.PathRootError as e:
        check(e.error.is_invalid_root(), "invalid_root: %r" % e.error)
        check(e.error.get_invalid_root().root_namespace_id == root_ns, "root info in the error")

    # Ada's next change reaches Bob's cursor.
    ada_root.files_upload(b"go", "/Launch Plans/go.txt")
    res = bob_root.files_list_folder_continue(cursor)
    got = [e.path_display for e in res.entries]
    check(got == ["/Launch Plans/go.txt"], "Bob's continue: %r" % got)

    members = admin.team_members_list_v2()
    check(len(members.members) == 2, "members_list_v2: %r" % members)
    emit("done", team_folder_id=folder.team_folder_id, root_namespace_id=root_ns)


if __name__ == "__main__":
    main()
