"""Drives the emulator's shared links and file requests with Dropbox's
official Python SDK.

Run by TestPythonSDKSharing (python_sdk_test.go), which serves the emulator
over TLS, points the SDK's host variables and REQUESTS_CA_BUNDLE at it, and
hands over tokens in EMU_* variables: a Professional account (EMU_PRO_TOKEN),
a Basic one (EMU_BASIC_TOKEN) and an app (EMU_APP_KEY, EMU_APP_SECRET) for
app authentication. Protocol on stdout: one JSON object per line.
{"event": "advance", "seconds": N} asks the Go test to move the emulator's
clock forward; it answers with a line on stdin. {"event": "done", ...} ends a
successful run with what the Go test checks afterwards. Any failure raises,
which exits non-zero with a traceback on stderr.
"""

import datetime
import hashlib
import os
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import dropbox
import requests
from dropbox import file_requests, files, sharing

from emuscript import check, emit

HOST = os.environ["DROPBOX_API_HOST"]
CA_BUNDLE = os.environ["REQUESTS_CA_BUNDLE"]
PASSWORD = "correct horse battery staple"


def content_hash(data):
    """Dropbox's content_hash, computed here independently of the emulator."""
    block = 4 * 1024 * 1024
    digests = b"".join(hashlib.sha256(data[i:i + block]).digest() for i in range(0, len(data), block))
    return hashlib.sha256(digests).hexdigest()


def api_error(call, *args, **kwargs):
    """Calls an SDK method that must fail with a route error; returns it."""
    try:
        res = call(*args, **kwargs)
    except dropbox.exceptions.ApiError as e:
        return e.error
    raise AssertionError("%s succeeded: %r" % (call.__name__, res))


def emu_now():
    """The emulator's clock (which the Go test moves), to the second, as the
    naive UTC datetime the SDK uses for timestamps."""
    r = requests.get("https://%s/_emulator/clock" % HOST, timeout=30)
    check(r.status_code == 200, "GET /_emulator/clock: %d %s" % (r.status_code, r.text))
    return datetime.datetime.strptime(r.json()["now"], "%Y-%m-%dT%H:%M:%SZ")


def advance(seconds):
    emit("advance", seconds=seconds)
    check(sys.stdin.readline().strip() == "advanced", "unexpected answer from the test")


def with_query(url, **params):
    """url with its query parameters params replaced."""
    u = urllib.parse.urlsplit(url)
    q = dict(urllib.parse.parse_qsl(u.query))
    q.update(params)
    return urllib.parse.urlunsplit(u._replace(query=urllib.parse.urlencode(q)))


def urllib_opener():
    """A urllib opener that trusts the emulator's CA and keeps cookies, as a
    browser would across the password form."""
    ctx = ssl.create_default_context(cafile=CA_BUNDLE)
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=ctx),
                                       urllib.request.HTTPCookieProcessor(CookieJar()))


def urllib_get(opener, url, data=None):
    """Returns (status, body) of a GET (or a form POST with data), 4xx too."""
    if data is not None:
        data = urllib.parse.urlencode(data).encode()
    try:
        with opener.open(url, data=data, timeout=30) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        with e:
            return e.code, e.read(), e.headers


def check_refused(url, status, what):
    """The link's page and its download both answer status, to urllib and
    to requests alike."""
    code, body, _ = urllib_get(urllib_opener(), url)
    check(code == status, "%s: page answered %d, want %d: %r" % (what, code, status, body[:200]))
    r = requests.get(with_query(url, dl="1"), timeout=30)
    check(r.status_code == status, "%s: download answered %d, want %d" % (what, r.status_code, status))


def check_link(link, what, path_lower, expires, visibility):
    """Checks a SharedLinkMetadata the owner sees."""
    check(isinstance(link, sharing.FileLinkMetadata), "%s: %r is no FileLinkMetadata" % (what, link))
    check(link.url.startswith("https://%s/scl/fi/" % HOST), "%s: url %s" % (what, link.url))
    check(link.path_lower == path_lower, "%s: path_lower %r" % (what, link.path_lower))
    check(link.expires == expires, "%s: expires %r, want %r" % (what, link.expires, expires))
    p = link.link_permissions
    check(p.resolved_visibility is not None and p.resolved_visibility._tag == visibility,
          "%s: resolved_visibility %r, want %s" % (what, p.resolved_visibility, visibility))
    check(p.requested_visibility is not None and p.requested_visibility._tag == visibility,
          "%s: requested_visibility %r, want %s" % (what, p.requested_visibility, visibility))
    check(p.require_password == (visibility == "password"), "%s: require_password %r" % (what, p.require_password))
    check(p.can_revoke and p.revoke_failure_reason is None, "%s: the owner cannot revoke: %r" % (what, p))
    check(p.can_set_expiry and p.can_remove_expiry and p.can_set_password and p.can_remove_password,
          "%s: a Professional account may not change expiry or password: %r" % (what, p))
    check(p.allow_download, "%s: allow_download is off" % what)


def password_link(pro, basic, app):
    """A link with a password and an expiry on a Professional account: made,
    fetched over HTTPS with its password, listed, changed, revoked."""
    data = b"quarterly numbers\n" * 64
    up = pro.files_upload(data, "/Share/Report.txt")
    now = emu_now()
    expires = now + datetime.timedelta(days=1)
    settings = sharing.SharedLinkSettings(requested_visibility=sharing.RequestedVisibility.password,
                                          link_password=PASSWORD, expires=expires,
                                          audience=sharing.LinkAudience.public,
                                          access=sharing.RequestedLinkAccessLevel.viewer)
    link = pro.sharing_create_shared_link_with_settings("/share/report.txt", settings)
    check_link(link, "create", "/share/report.txt", expires, "password")
    check(link.name == "Report.txt" and link.id == up.id and link.rev == up.rev and link.size == len(data),
          "create: %r" % link)
    url = link.url

    # The same settings again: shared_link_already_exists with the link.
    err = api_error(pro.sharing_create_shared_link_with_settings, "/Share/Report.txt", settings)
    check(err.is_shared_link_already_exists(), "second create gave %r" % err)
    existing = err.get_shared_link_already_exists()
    check(existing is not None and existing.is_metadata() and existing.get_metadata().url == url,
          "shared_link_already_exists carries %r" % existing)
    # Other settings: the same error, without the link, which stays as it was.
    err = api_error(pro.sharing_create_shared_link_with_settings, "/Share/Report.txt",
                    sharing.SharedLinkSettings(expires=expires + datetime.timedelta(hours=1)))
    check(err.is_shared_link_already_exists() and err.get_shared_link_already_exists() is None,
          "create with other settings gave %r" % err)

    # Over HTTPS: without the password a form, with a wrong one the form
    # again, with the right one the page and the bytes.
    r = requests.get(url, timeout=30)
    check(r.status_code == 401 and 'name="password"' in r.text, "no password: %d %r" % (r.status_code, r.text[:200]))
    r = requests.get(with_query(url, dl="1"), timeout=30)
    check(r.status_code == 401 and r.content != data, "dl=1 without the password: %d" % r.status_code)
    session = requests.Session()
    r = session.post(url, data={"password": "wrong"}, timeout=30)
    check(r.status_code == 401 and "Incorrect password" in r.text, "wrong password: %d" % r.status_code)
    r = session.post(url, data={"password": PASSWORD}, timeout=30)
    check(r.status_code == 200 and [h.status_code for h in r.history] == [303] and "Report.txt" in r.text,
          "right password: %d %r" % (r.status_code, r.history))
    r = session.get(with_query(url, dl="1"), headers={"Range": "bytes=0-8"}, timeout=30)
    check(r.status_code == 206 and r.content == data[:9], "ranged dl=1: %d %r" % (r.status_code, r.content))
    opener = urllib_opener()
    code, body, _ = urllib_get(opener, url, {"password": PASSWORD})
    check(code == 200 and b"Report.txt" in body, "urllib password form: %d" % code)
    code, body, headers = urllib_get(opener, with_query(url, dl="1"))
    check(code == 200 and body == data, "urllib dl=1: %d, %d bytes" % (code, len(body)))
    check(headers["Content-Disposition"].startswith("attachment"), "dl=1 disposition %r" % headers["Content-Disposition"])

    # Metadata: the owner's view, another user's (password needed) and an
    # app's (app authentication).
    m = pro.sharing_get_shared_link_metadata(url)
    check_link(m, "get_shared_link_metadata", "/share/report.txt", expires, "password")
    err = api_error(basic.sharing_get_shared_link_metadata, url)
    check(err.is_shared_link_access_denied(), "metadata without the password gave %r" % err)
    err = api_error(basic.sharing_get_shared_link_metadata, url, link_password="wrong")
    check(err.is_shared_link_access_denied(), "metadata with a wrong password gave %r" % err)
    for who, client in (("another user", basic), ("an app", app)):
        m = client.sharing_get_shared_link_metadata(url, link_password=PASSWORD)
        check(m.url == url and m.expires == expires and m.path_lower is None, "%s sees %r" % (who, m))
        p = m.link_permissions
        check(not p.can_revoke and p.revoke_failure_reason is not None and p.revoke_failure_reason.is_owner_only(),
              "%s may revoke: %r" % (who, p))
    m, resp = basic.sharing_get_shared_link_file(url, link_password=PASSWORD)
    with resp:
        check(resp.content == data and m.rev == up.rev, "get_shared_link_file with the password")

    # Listing: by path, and all of the owner's links.
    links = pro.sharing_list_shared_links(path="/Share/Report.txt").links
    check([l.url for l in links] == [url], "list_shared_links(path) %r" % links)
    res = pro.sharing_list_shared_links()
    check(url in [l.url for l in res.links] and not res.has_more, "list_shared_links() %r" % res)
    check_link([l for l in res.links if l.url == url][0], "list_shared_links", "/share/report.txt", expires, "password")
    check(pro.sharing_list_shared_links(cursor=res.cursor).links == [], "list_shared_links(cursor) after the end")

    # Changes: a later expiry (the password stays), then no password, then
    # no expiry.
    later = expires + datetime.timedelta(days=6)
    m = pro.sharing_modify_shared_link_settings(url, sharing.SharedLinkSettings(expires=later))
    check_link(m, "modify expires", "/share/report.txt", later, "password")
    check(pro.sharing_get_shared_link_metadata(url).expires == later, "the new expiry did not stick")
    m = pro.sharing_modify_shared_link_settings(
        url, sharing.SharedLinkSettings(requested_visibility=sharing.RequestedVisibility.public))
    check_link(m, "modify to public", "/share/report.txt", later, "public")
    r = requests.get(with_query(url, dl="1"), timeout=30)
    check(r.status_code == 200 and r.content == data, "public link dl=1: %d" % r.status_code)
    m = pro.sharing_modify_shared_link_settings(url, sharing.SharedLinkSettings(allow_download=False))
    check(not m.link_permissions.allow_download, "allow_download=False: %r" % m.link_permissions)
    r = requests.get(with_query(url, dl="1"), timeout=30)
    check(r.status_code == 403 and r.content != data, "dl=1 with downloads off: %d" % r.status_code)
    check(requests.get(url, timeout=30).status_code == 200, "the page of a link with downloads off")
    err = api_error(basic.sharing_get_shared_link_file, url)
    check(err.is_shared_link_access_denied(), "get_shared_link_file with downloads off gave %r" % err)
    m = pro.sharing_modify_shared_link_settings(url, sharing.SharedLinkSettings(allow_download=True))
    check(m.link_permissions.allow_download, "allow_download=True: %r" % m.link_permissions)
    m = pro.sharing_modify_shared_link_settings(url, sharing.SharedLinkSettings(), remove_expiration=True)
    check_link(m, "remove_expiration", "/share/report.txt", None, "public")
    err = api_error(pro.sharing_modify_shared_link_settings, url,
                    sharing.SharedLinkSettings(expires=now - datetime.timedelta(hours=1)))
    check(err.is_settings_error() and err.get_settings_error().is_invalid_settings(), "expiry in the past gave %r" % err)
    err = api_error(basic.sharing_modify_shared_link_settings, url,
                    sharing.SharedLinkSettings(requested_visibility=sharing.RequestedVisibility.public))
    check(err.is_shared_link_access_denied(), "another user's modify gave %r" % err)

    # Revoked: gone from the API and from the web.
    err = api_error(basic.sharing_revoke_shared_link, url)
    check(err.is_shared_link_access_denied(), "another user's revoke gave %r" % err)
    pro.sharing_revoke_shared_link(url)
    err = api_error(pro.sharing_get_shared_link_metadata, url)
    check(err.is_shared_link_not_found(), "metadata of a revoked link gave %r" % err)
    err = api_error(pro.sharing_revoke_shared_link, url)
    check(err.is_shared_link_not_found(), "second revoke gave %r" % err)
    err = api_error(pro.sharing_revoke_shared_link, "https://%s/no/link/here" % HOST)
    check(err.is_shared_link_malformed(), "revoke of a URL that is no link gave %r" % err)
    check(pro.sharing_list_shared_links(path="/Share/Report.txt").links == [], "a revoked link is still listed")
    check_refused(url, 404, "revoked link")
    return url


def folder_link(pro, basic):
    """A link to a folder: listed with the links of what is inside, used to
    reach a file below it, then closed to everyone but its owner."""
    data = b"a photo, sort of"
    pro.files_upload(data, "/Album/Day 1/beach.jpg")
    folder = pro.sharing_create_shared_link_with_settings("/Album")
    check(isinstance(folder, sharing.FolderLinkMetadata) and folder.url.startswith("https://%s/scl/fo/" % HOST)
          and folder.name == "Album" and folder.path_lower == "/album", "folder link %r" % folder)
    own = pro.sharing_create_shared_link_with_settings("/Album/Day 1/beach.jpg")
    links = pro.sharing_list_shared_links(path="/Album/Day 1/beach.jpg").links
    check([l.url for l in links] == [own.url, folder.url], "links giving access to the file %r" % links)
    links = pro.sharing_list_shared_links(path="/Album/Day 1/beach.jpg", direct_only=True).links
    check([l.url for l in links] == [own.url], "direct links to the file %r" % links)
    m = basic.sharing_get_shared_link_metadata(folder.url, path="/day 1/BEACH.jpg")
    check(isinstance(m, sharing.FileLinkMetadata) and m.name == "beach.jpg" and m.size == len(data),
          "metadata below the folder link %r" % m)
    err = api_error(basic.sharing_get_shared_link_file, folder.url)
    check(err.is_shared_link_is_directory(), "get_shared_link_file of a folder gave %r" % err)
    m, resp = basic.sharing_get_shared_link_file(folder.url, path="/Day 1/beach.jpg")
    with resp:
        check(resp.content == data, "get_shared_link_file below the folder link")
    code, body, _ = urllib_get(urllib_opener(), folder.url)
    check(code == 200 and b"Day 1" in body, "folder page: %d" % code)

    m = pro.sharing_modify_shared_link_settings(folder.url, sharing.SharedLinkSettings(audience=sharing.LinkAudience.no_one))
    check(m.link_permissions.resolved_visibility.is_no_one() and m.link_permissions.requested_visibility is None,
          "audience no_one %r" % m.link_permissions)
    err = api_error(basic.sharing_get_shared_link_metadata, folder.url)
    check(err.is_shared_link_access_denied(), "another user on a no_one link got %r" % err)
    check(pro.sharing_get_shared_link_metadata(folder.url).url == folder.url, "the owner lost a no_one link")
    code, _, _ = urllib_get(urllib_opener(), folder.url)
    check(code == 403, "page of a no_one link: %d" % code)
    pro.sharing_revoke_shared_link(folder.url)
    pro.sharing_revoke_shared_link(own.url)
    check(pro.sharing_list_shared_links(path="/Album/Day 1/beach.jpg").links == [], "revoked links still listed")


def expiring_link(pro, basic, app):
    """A link that the emulator's clock expires."""
    data = b"soon gone"
    pro.files_upload(data, "/Share/soon.txt")
    expires = emu_now() + datetime.timedelta(hours=1)
    link = pro.sharing_create_shared_link_with_settings("/Share/soon.txt", sharing.SharedLinkSettings(expires=expires))
    check_link(link, "create with expiry", "/share/soon.txt", expires, "public")
    url = link.url
    r = requests.get(with_query(url, dl="1"), timeout=30)
    check(r.status_code == 200 and r.content == data, "dl=1 before the expiry: %d" % r.status_code)
    code, body, _ = urllib_get(urllib_opener(), url)
    check(code == 200 and b"soon.txt" in body, "page before the expiry: %d" % code)
    m, resp = basic.sharing_get_shared_link_file(url)
    with resp:
        check(resp.content == data and m.expires == expires, "get_shared_link_file before the expiry")

    advance(2 * 3600)
    check(emu_now() >= expires, "the clock did not move past the expiry")
    check_refused(url, 410, "expired link")
    for who, client in (("another user", basic), ("an app", app)):
        err = api_error(client.sharing_get_shared_link_metadata, url)
        check(err.is_shared_link_not_found(), "%s's metadata of an expired link gave %r" % (who, err))
    err = api_error(basic.sharing_get_shared_link_file, url)
    check(err.is_shared_link_not_found(), "get_shared_link_file of an expired link gave %r" % err)
    return url


def basic_refused(basic):
    """Expiry and passwords need a paid plan: a Basic account gets
    settings_error/not_authorized and no link."""
    basic.files_upload(b"basic", "/b.txt")
    expires = emu_now() + datetime.timedelta(days=1)
    for what, settings in (
            ("expires", sharing.SharedLinkSettings(expires=expires)),
            ("password", sharing.SharedLinkSettings(requested_visibility=sharing.RequestedVisibility.password,
                                                     link_password=PASSWORD)),
            ("expires and audience", sharing.SharedLinkSettings(expires=expires, audience=sharing.LinkAudience.public)),
            ("no download", sharing.SharedLinkSettings(allow_download=False))):
        err = api_error(basic.sharing_create_shared_link_with_settings, "/b.txt", settings)
        check(isinstance(err, sharing.CreateSharedLinkWithSettingsError), "%s: error type %r" % (what, err))
        check(err.is_settings_error(), "%s: error %r, want settings_error" % (what, err))
        serr = err.get_settings_error()
        check(isinstance(serr, sharing.SharedLinkSettingsError) and serr.is_not_authorized(),
              "%s: settings_error %r, want not_authorized" % (what, serr))
    check(basic.sharing_list_shared_links(path="/b.txt").links == [], "a refused create made a link")
    # Without the paid settings the same account gets its link.
    link = basic.sharing_create_shared_link_with_settings("/b.txt")
    p = link.link_permissions
    check(link.expires is None and p.resolved_visibility.is_public() and not p.can_set_expiry
          and not p.can_set_password, "Basic link %r" % link)
    password = [v for v in p.visibility_policies if v.policy.is_password()]
    check(len(password) == 1 and not password[0].allowed
          and password[0].disallowed_reason.is_user_account_type(), "Basic visibility policies %r" % password)


def file_request(pro, basic, notes):
    """A file request: made, listed, uploaded to through its page, closed,
    deleted."""
    deadline = emu_now() + datetime.timedelta(days=7)
    fr = pro.file_requests_create("Send me your notes", "/Requests/Inbox",
                                  deadline=file_requests.FileRequestDeadline(deadline,
                                                                             file_requests.GracePeriod.one_day),
                                  description="Anything goes")
    check(fr.url == "https://%s/request/%s" % (HOST, fr.id), "file request url %s" % fr.url)
    check(fr.title == "Send me your notes" and fr.destination == "/Requests/Inbox" and fr.is_open
          and fr.file_count == 0 and fr.description == "Anything goes", "create %r" % fr)
    check(fr.deadline.deadline == deadline and fr.deadline.allow_late_uploads.is_one_day(),
          "create deadline %r" % fr.deadline)
    check(isinstance(pro.files_get_metadata("/Requests/Inbox"), files.FolderMetadata),
          "create did not make the destination folder")
    other = pro.file_requests_create("Photos", "/Requests/Photos")
    check(other.deadline is None and other.is_open, "create without deadline %r" % other)
    err = api_error(basic.file_requests_create, "Late", "/Late",
                    deadline=file_requests.FileRequestDeadline(deadline))
    check(err.is_no_permission(), "Basic deadline gave %r" % err)
    check(basic.file_requests_count().file_request_count == 0, "Basic refused create made a request")

    got = pro.file_requests_get(fr.id)
    check(got == fr, "get %r, want %r" % (got, fr))
    check(pro.file_requests_count().file_request_count == 2, "count")
    page = pro.file_requests_list_v2(limit=1)
    check([f.id for f in page.file_requests] == [fr.id] and page.has_more, "list_v2(limit=1) %r" % page)
    page = pro.file_requests_list_continue(page.cursor)
    check([f.id for f in page.file_requests] == [other.id] and not page.has_more, "list/continue %r" % page)
    check([f.id for f in pro.file_requests_list_v2().file_requests] == [fr.id, other.id], "list_v2")

    # Its public page, then an upload through it.
    r = requests.get(fr.url, timeout=30)
    check(r.status_code == 200 and "Send me your notes" in r.text and 'type="file"' in r.text,
          "request page: %d" % r.status_code)
    cursor = pro.files_list_folder_get_latest_cursor("/Requests/Inbox").cursor
    r = requests.post(fr.url, data={"name": "Ada Lovelace", "email": "ada@example.com"},
                      files={"file": ("notes.txt", notes, "text/plain")}, timeout=30)
    check(r.status_code == 200 and "notes.txt" in r.text, "upload through the page: %d %r" % (r.status_code, r.text))
    res = pro.files_list_folder_continue(cursor)
    check(len(res.entries) == 1 and not res.has_more, "changes after the upload %r" % res.entries)
    e = res.entries[0]
    check(isinstance(e, files.FileMetadata) and e.path_display == "/Requests/Inbox/Ada Lovelace - notes.txt"
          and e.size == len(notes) and e.content_hash == content_hash(notes), "uploaded file %r" % e)
    m, resp = pro.files_download(e.path_lower)
    with resp:
        check(resp.content == notes and m.id == e.id, "download of the uploaded file")
    check(pro.file_requests_get(fr.id).file_count == 1, "file_count after an upload")

    # Closing it: delete refuses an open request first.
    err = api_error(pro.file_requests_delete, [fr.id])
    check(err.is_file_request_open(), "delete of an open request gave %r" % err)
    new_deadline = deadline + datetime.timedelta(days=3)
    up = pro.file_requests_update(fr.id, deadline=file_requests.UpdateFileRequestDeadline.update(
        file_requests.FileRequestDeadline(new_deadline)))
    check(up.deadline.deadline == new_deadline and up.deadline.allow_late_uploads is None, "update deadline %r" % up)
    up = pro.file_requests_update(fr.id, title="Notes (closed)", open=False)
    check(not up.is_open and up.title == "Notes (closed)" and up.deadline.deadline == new_deadline
          and up.file_count == 1, "update to close %r" % up)
    up = pro.file_requests_update(fr.id, deadline=file_requests.UpdateFileRequestDeadline.update(None))
    check(up.deadline is None and not up.is_open, "update clearing the deadline %r" % up)
    r = requests.get(fr.url, timeout=30)
    check(r.status_code == 410 and 'type="file"' not in r.text, "page of a closed request: %d" % r.status_code)
    r = requests.post(fr.url, data={"name": "Late Comer", "email": "late@example.com"},
                      files={"file": ("late.txt", b"too late", "text/plain")}, timeout=30)
    check(r.status_code == 410, "upload to a closed request: %d %r" % (r.status_code, r.text))
    res = pro.files_list_folder_continue(res.cursor)
    check(res.entries == [], "a refused upload changed the folder: %r" % res.entries)
    check(pro.file_requests_get(fr.id).file_count == 1, "file_count after a refused upload")

    pro.file_requests_update(other.id, open=False)
    gone = pro.file_requests_delete([fr.id, other.id]).file_requests
    check([f.id for f in gone] == [fr.id, other.id], "delete %r" % gone)
    check(pro.file_requests_count().file_request_count == 0, "count after delete")
    check(pro.file_requests_list_v2().file_requests == [], "list_v2 after delete")
    err = api_error(pro.file_requests_get, fr.id)
    check(err.is_not_found(), "get of a deleted request gave %r" % err)
    r = requests.get(fr.url, timeout=30)
    check(r.status_code == 404, "page of a deleted request: %d" % r.status_code)
    return e.path_display


def main():
    env = os.environ
    pro = dropbox.Dropbox(oauth2_access_token=env["EMU_PRO_TOKEN"], max_retries_on_error=0)
    basic = dropbox.Dropbox(oauth2_access_token=env["EMU_BASIC_TOKEN"], max_retries_on_error=0)
    app = dropbox.Dropbox(app_key=env["EMU_APP_KEY"], app_secret=env["EMU_APP_SECRET"], max_retries_on_error=0)
    check(pro.users_get_current_account().account_type.is_pro(), "the first account is not Professional")
    check(basic.users_get_current_account().account_type.is_basic(), "the second account is not Basic")

    revoked = password_link(pro, basic, app)
    basic_refused(basic)
    folder_link(pro, basic)
    expired = expiring_link(pro, basic, app)
    received = file_request(pro, basic, env["EMU_NOTES"].encode("utf-8"))
    emit("done", revoked_link=revoked, expired_link=expired, received=received)


if __name__ == "__main__":
    main()
