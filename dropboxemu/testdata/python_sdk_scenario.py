"""Drives the Dropbox API emulator with Dropbox's official Python SDK.

Run by TestPythonSDK (python_sdk_test.go), which serves the emulator over
TLS, points the SDK's host variables and REQUESTS_CA_BUNDLE at it, and hands
over OAuth tokens in EMU_* variables. Protocol on stdout: one JSON object per
line. {"event": "expire"} asks the Go test to move the emulator's clock past
the access token's expiry; it answers with a line on stdin. {"event": "done"}
ends a successful run. Any failure raises, which exits non-zero with a
traceback on stderr.
"""

import datetime
import hashlib
import io
import os
import sys
import zipfile

import dropbox
import requests
from dropbox import files, users

from emuscript import check, emit

BLOCK = 4 * 1024 * 1024


def content_hash(data):
    """Dropbox's content_hash, computed here independently of the emulator."""
    digests = b"".join(hashlib.sha256(data[i:i + BLOCK]).digest() for i in range(0, len(data), BLOCK))
    return hashlib.sha256(digests).hexdigest()


def download(dbx, path):
    meta, resp = dbx.files_download(path)
    with resp:
        return meta, resp.content


def list_all(dbx, path, limit):
    res = dbx.files_list_folder(path, recursive=True, limit=limit)
    pages = [res]
    while res.has_more:
        check(len(res.entries) <= limit, "page of %d entries over limit %d" % (len(res.entries), limit))
        res = dbx.files_list_folder_continue(res.cursor)
        pages.append(res)
    entries = [e for p in pages for e in p.entries]
    return entries, res.cursor, len(pages)


def wait_job(check, launch):
    """Follows an async launch (or takes its inline result) to completion."""
    if launch.is_complete():
        return launch.get_complete()
    job = launch.get_async_job_id()
    for _ in range(20):
        status = check(job)
        if status.is_complete():
            return status.get_complete()
        check(not status.is_failed(), "job failed: %r" % status)
    raise AssertionError("job %s never completed" % job)


def tour(dbx, account_id, app_key, app_secret):
    """Calls a wide set of routes, so that the SDK's own validation of every
    result (patterns, lengths, unions) passes over the emulator's answers."""
    usage = dbx.users_get_space_usage()
    check(usage.used > 0 and usage.allocation.is_individual(), "space usage %r" % usage)
    check(dbx.users_get_account(account_id).account_id == account_id, "get_account")
    check([a.account_id for a in dbx.users_get_account_batch([account_id])] == [account_id], "get_account_batch")
    vals = dbx.users_features_get_values([users.UserFeature.paper_as_files, users.UserFeature.file_locking])
    check(len(vals.values) == 2, "features %r" % vals)
    app = dropbox.Dropbox(app_key=app_key, app_secret=app_secret, max_retries_on_error=0)
    check(app.check_app("app auth").result == "app auth", "check/app with Basic auth")

    folder = dbx.files_create_folder_v2("/Tour/Folder").metadata
    check(folder.path_display == "/Tour/Folder", "create_folder_v2 %r" % folder)
    copied = dbx.files_copy_v2("/Python/Grüße 😀.txt", "/Tour/copy.txt").metadata
    moved = dbx.files_move_v2("/Tour/copy.txt", "/Tour/Folder/moved.txt").metadata
    check(moved.id == copied.id and moved.path_lower == "/tour/folder/moved.txt", "move_v2 %r" % moved)

    # Conditional writes and revisions.
    v1 = dbx.files_upload(b"v1", "/Tour/doc.txt")
    v2 = dbx.files_upload(b"v2", "/Tour/doc.txt", mode=files.WriteMode.update(v1.rev))
    check(v2.id == v1.id and v2.rev != v1.rev, "update mode")
    try:
        dbx.files_upload(b"v3", "/Tour/doc.txt", mode=files.WriteMode.update(v1.rev))
        raise AssertionError("update with a stale rev succeeded")
    except dropbox.exceptions.ApiError as e:
        check(e.error.is_path() and e.error.get_path().reason.is_conflict(), "stale update gave %r" % e.error)
    revs = dbx.files_list_revisions("/Tour/doc.txt")
    check([r.rev for r in revs.entries] == [v2.rev, v1.rev], "list_revisions %r" % [r.rev for r in revs.entries])
    restored = dbx.files_restore("/Tour/doc.txt", v1.rev)
    check(restored.content_hash == content_hash(b"v1"), "restore %r" % restored)

    link = dbx.files_get_temporary_link("/Tour/doc.txt").link
    body = requests.get(link, timeout=30)
    check(body.status_code == 200 and body.content == b"v1", "temporary link: %d %r" % (body.status_code, body.content))

    found = dbx.files_search_v2("moved").matches
    check(any(m.metadata.get_metadata().path_lower == "/tour/folder/moved.txt" for m in found), "search_v2")
    dbx.files_tags_add("/Tour/doc.txt", "blue")
    tags = dbx.files_tags_get(["/Tour/doc.txt"]).paths_to_tags
    check([t.get_user_generated_tag().tag_text for t in tags[0].tags] == ["blue"], "tags %r" % tags)
    dbx.files_tags_remove("/Tour/doc.txt", "blue")

    _, resp = dbx.files_download_zip("/Tour")
    with resp:
        names = sorted(zipfile.ZipFile(io.BytesIO(resp.content)).namelist())
    check("Tour/doc.txt" in names and "Tour/Folder/moved.txt" in names, "download_zip names %r" % names)

    dbx.files_paper_create(b"# Title\n\nSome text.\n", "/Tour/Notes.paper", files.ImportFormat.markdown)
    _, resp = dbx.files_export("/Tour/Notes.paper")
    with resp:
        check(b"Title" in resp.content, "export %r" % resp.content)

    # Batches: sessions committed together, folders, copies, deletes.
    ids = dbx.files_upload_session_start_batch(2).session_ids
    entries = []
    for i, sid in enumerate(ids):
        data = ("batch %d" % i).encode()
        dbx.files_upload_session_append_v2(data, files.UploadSessionCursor(sid, 0), close=True)
        entries.append(files.UploadSessionFinishArg(files.UploadSessionCursor(sid, len(data)),
                                                    files.CommitInfo("/Tour/Batch/%d.txt" % i)))
    res = dbx.files_upload_session_finish_batch_v2(entries)
    check(all(e.is_success() for e in res.entries), "finish_batch_v2 %r" % res)
    res = wait_job(dbx.files_create_folder_batch_check,
                   dbx.files_create_folder_batch(["/Tour/B1", "/Tour/B2"], force_async=True))
    check(len(res.entries) == 2 and all(e.is_success() for e in res.entries), "create_folder_batch %r" % res)
    res = wait_job(dbx.files_copy_batch_check_v2,
                   dbx.files_copy_batch_v2([files.RelocationPath("/Tour/doc.txt", "/Tour/B1/doc.txt")]))
    check(all(e.is_success() for e in res.entries), "copy_batch_v2 %r" % res)
    res = wait_job(dbx.files_delete_batch_check, dbx.files_delete_batch([files.DeleteArg("/Tour/B2")]))
    check(all(e.is_success() for e in res.entries), "delete_batch %r" % res)
    gone = dbx.files_get_metadata("/Tour/B2", include_deleted=True)
    check(isinstance(gone, files.DeletedMetadata), "deleted metadata %r" % gone)


def main():
    env = os.environ
    app_key, app_secret = env["EMU_APP_KEY"], env["EMU_APP_SECRET"]
    access, refresh = env["EMU_ACCESS_TOKEN"], env["EMU_REFRESH_TOKEN"]
    account_id = env["EMU_ACCOUNT_ID"]
    # The SDK believes the token is fresh; the emulator's clock will say otherwise.
    later = datetime.datetime.utcnow() + datetime.timedelta(hours=4)
    dbx = dropbox.Dropbox(oauth2_access_token=access, oauth2_refresh_token=refresh,
                          oauth2_access_token_expiration=later, app_key=app_key, app_secret=app_secret,
                          max_retries_on_error=0)

    acct = dbx.users_get_current_account()
    check(acct.account_id == account_id, "account %s, want %s" % (acct.account_id, account_id))
    check(dbx.check_user("ping").result == "ping", "check/user echo")

    # A plain upload, with the content_hash the SDK lets callers send.
    small = "Grüße aus Python, ☃ and 😀\n".encode("utf-8") * 10
    meta = dbx.files_upload(small, "/Python/Grüße 😀.txt", mode=files.WriteMode.add,
                            content_hash=content_hash(small))
    check(meta.path_display == "/Python/Grüße 😀.txt", "upload path_display %r" % meta.path_display)
    check(meta.size == len(small), "upload size %d" % meta.size)
    check(meta.content_hash == content_hash(small), "upload content_hash %s" % meta.content_hash)
    try:
        dbx.files_upload(b"other bytes", "/Python/bad-hash.txt", content_hash=content_hash(b"not these"))
        raise AssertionError("upload with a wrong content_hash succeeded")
    except dropbox.exceptions.ApiError as e:
        check(e.error.is_content_hash_mismatch(), "wrong content_hash gave %r" % e.error)

    # An upload session: start, appends, finish; a few MiB with a block edge.
    big = os.urandom(BLOCK + 1024 * 1024 + 12345)
    chunk = 2 * 1024 * 1024
    start = dbx.files_upload_session_start(big[:chunk])
    cursor = files.UploadSessionCursor(session_id=start.session_id, offset=chunk)
    while len(big) - cursor.offset > chunk:
        dbx.files_upload_session_append_v2(big[cursor.offset:cursor.offset + chunk], cursor)
        cursor.offset += chunk
    commit = files.CommitInfo(path="/Python/big.bin", mode=files.WriteMode.overwrite)
    bigmeta = dbx.files_upload_session_finish(big[cursor.offset:], cursor, commit)
    check(bigmeta.size == len(big), "session size %d, want %d" % (bigmeta.size, len(big)))
    check(bigmeta.content_hash == content_hash(big), "session content_hash %s" % bigmeta.content_hash)

    # Listing with a small limit, following the cursor.
    for i in range(7):
        dbx.files_upload(("file %d" % i).encode(), "/Python/List/f%d.txt" % i)
    entries, cursor, pages = list_all(dbx, "/python", 3)
    got = sorted(e.path_lower for e in entries)
    # A recursive listing of a folder starts with the folder itself.
    check(entries[0].path_lower == "/python", "first entry %r" % entries[0].path_lower)
    want = sorted(["/python", "/python/list", "/python/grüße 😀.txt", "/python/big.bin"] +
                  ["/python/list/f%d.txt" % i for i in range(7)])
    check(got == want, "listing %r, want %r" % (got, want))
    check(pages >= 4, "only %d pages with limit 3" % pages)
    check(all(isinstance(e, (files.FileMetadata, files.FolderMetadata)) for e in entries), "entry types")

    # Downloads give the bytes back.
    m, data = download(dbx, "/python/grüße 😀.txt")
    check(data == small and m.rev == meta.rev, "download of the small file")
    m, data = download(dbx, bigmeta.id)
    check(data == big, "download of the big file: %d bytes" % len(data))

    # Errors decode into the SDK's types.
    try:
        dbx.files_get_metadata("/python/missing")
        raise AssertionError("get_metadata of a missing path succeeded")
    except dropbox.exceptions.ApiError as e:
        check(e.error.is_path() and e.error.get_path().is_not_found(), "missing path gave %r" % e.error)

    # Long-poll on the notify host, which takes no Authorization header.
    latest = dbx.files_list_folder_get_latest_cursor("/python", recursive=True).cursor
    dbx.files_upload(b"wake up", "/Python/poke.txt")
    poll = dbx.files_list_folder_longpoll(latest, timeout=30)
    check(poll.changes, "longpoll after a change said no changes")

    tour(dbx, account_id, app_key, app_secret)

    # A 429 with retry_after: the SDK waits as told and retries by itself.
    admin = "https://%s/_emulator/faults" % os.environ["DROPBOX_API_HOST"]
    r = requests.post(admin, json={"route": "files/get_metadata", "status": 429,
                                   "reason": "too_many_write_operations", "retry_after": 1, "times": 1}, timeout=30)
    check(r.status_code == 200, "inject fault: %d %s" % (r.status_code, r.text))
    started = datetime.datetime.now()
    m = dbx.files_get_metadata("/python/big.bin")
    waited = (datetime.datetime.now() - started).total_seconds()
    check(m.id == bigmeta.id and waited >= 1, "429 retry: waited %.2fs" % waited)

    # Let the Go test expire every access token, then keep working.
    emit("expire", cursor=cursor)
    check(sys.stdin.readline().strip() == "expired", "unexpected answer from the test")

    # 1. The client with the now-expired token: 401 expired_access_token,
    #    the SDK refreshes and retries.
    old_token = dbx._oauth2_access_token
    m = dbx.files_get_metadata("/python/big.bin")
    check(m.id == bigmeta.id, "metadata after refresh")
    check(dbx._oauth2_access_token != old_token, "the SDK did not refresh the token")

    # 2. A client with only a refresh token and a past expiry: refreshes first.
    past = datetime.datetime.utcnow() - datetime.timedelta(minutes=1)
    dbx2 = dropbox.Dropbox(oauth2_refresh_token=refresh, app_key=app_key, app_secret=app_secret,
                           oauth2_access_token_expiration=past, max_retries_on_error=0)
    after = b"written after the refresh"
    dbx2.files_upload(after, "/Python/after.txt")
    dbx2.files_delete_v2("/Python/List/f0.txt")
    check(dbx2._oauth2_access_token not in (None, old_token, dbx._oauth2_access_token),
          "the second client did not get its own token")
    m, data = download(dbx2, "/python/after.txt")
    check(data == after, "download after refresh")

    # The cursor from before the expiry continues with exactly what changed.
    changes = []
    res = dbx2.files_list_folder_continue(cursor)
    changes.extend(res.entries)
    while res.has_more:
        res = dbx2.files_list_folder_continue(res.cursor)
        changes.extend(res.entries)
    got = sorted((type(e).__name__, e.path_lower) for e in changes)
    want = [("DeletedMetadata", "/python/list/f0.txt"), ("FileMetadata", "/python/after.txt"),
            ("FileMetadata", "/python/poke.txt")]
    check(got == want, "changes %r, want %r" % (got, want))

    # Revoking a token minted from the refresh token revokes the refresh
    # token too: a later refresh fails.
    dbx2.auth_token_revoke()
    dbx3 = dropbox.Dropbox(oauth2_refresh_token=refresh, app_key=app_key, app_secret=app_secret,
                           max_retries_on_error=0)
    try:
        dbx3.users_get_current_account()
        raise AssertionError("a revoked refresh token still works")
    except dropbox.exceptions.AuthError as e:
        check(e.error.is_invalid_access_token(), "revoked refresh token gave %r" % e.error)

    emit("done")


if __name__ == "__main__":
    main()
