package dropboxemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Shared links served over HTTP, on any host, at Dropbox's URL shapes:
//
//	/scl/fi/{id}/{name}?rlkey=K&dl=0            a page with a download link
//	/scl/fi/{id}/{name}?rlkey=K&dl=1 (or raw=1) the file's bytes (Range too)
//	/scl/fo/{id}/{secure}?rlkey=K&dl=0          a page listing the folder
//	/scl/fo/{id}/{secure}?rlkey=K&dl=1          the folder as a zip
//	/scl/fo/{id}/{secure}/a/b?rlkey=K&dl=...    the same for what is below it
//
// A password-protected link answers 401 with a form; posting the right
// password sets a cookie that lets the browser in until the password
// changes. An expired link answers 410, a revoked or unknown one (or one
// whose target is deleted) 404, as Dropbox's pages do.

// linkCookie is the name of the cookie that unlocks l's password.
func linkCookie(l *sharedLink) string { return "emu_sl_" + l.ID }

// linkCookieValue is what that cookie holds: derived from the password's
// hash, so it cannot be made without the password and dies with it.
func linkCookieValue(l *sharedLink) string {
	h := sha256.Sum256([]byte("cookie\x00" + l.PasswordHash))
	return hex.EncodeToString(h[:16])
}

// linkPageData fills linkPage.
type linkPageData struct {
	Title    string
	Message  string
	Password bool   // show the password form
	Wrong    bool   // the password posted was wrong
	Action   string // where the form posts
	File     bool
	Folder   bool
	Size     string
	Modified string
	Download string // the download URL, "" when downloads are off
	Items    []linkPageItem
}

type linkPageItem struct {
	Name     string
	Folder   bool
	Size     string
	Open     string
	Download string
}

var linkPage = template.Must(template.New("link").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} - Dropbox</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:48rem;padding:0 1rem;color:#1e1919}
a{color:#0061fe}table{border-collapse:collapse;width:100%}td{padding:.4rem .5rem;border-bottom:1px solid #e5e5e5}
.btn{display:inline-block;padding:.5rem 1rem;background:#0061fe;color:#fff;border-radius:4px;text-decoration:none}
.muted{color:#777}</style></head>
<body><p class="muted">Dropbox (emulator)</p>
<h1>{{.Title}}</h1>
{{- if .Message}}
<p>{{.Message}}</p>
{{- end}}
{{- if .Password}}
<form method="post" action="{{.Action}}"><label>Password <input type="password" name="password" autofocus></label> <button type="submit">Continue</button></form>
{{- if .Wrong}}
<p>Incorrect password. Try again.</p>
{{- end}}
{{- end}}
{{- if .File}}
<p>{{.Size}} · modified {{.Modified}}</p>
{{- if .Download}}
<p><a class="btn" href="{{.Download}}">Download</a></p>
{{- else}}
<p>The owner has turned off downloads for this link.</p>
{{- end}}
{{- end}}
{{- if .Folder}}
{{- if .Download}}
<p><a class="btn" href="{{.Download}}">Download</a></p>
{{- end}}
<table>
{{- range .Items}}
<tr><td><a href="{{.Open}}">{{.Name}}{{if .Folder}}/{{end}}</a></td><td>{{.Size}}</td><td>{{if .Download}}<a href="{{.Download}}">Download</a>{{end}}</td></tr>
{{- else}}
<tr><td class="muted">This folder is empty.</td></tr>
{{- end}}
</table>
{{- end}}
</body></html>
`))

// writeLinkPage answers with linkPage.
func writeLinkPage(w http.ResponseWriter, status int, d linkPageData) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	linkPage.Execute(w, d)
}

func linkErrorPage(w http.ResponseWriter, status int, title, msg string) {
	writeLinkPage(w, status, linkPageData{Title: title, Message: msg})
}

// humanSize renders a byte count as Dropbox's pages do ("1.5 KB").
func humanSize(n int64) string {
	units := []string{"bytes", "KB", "MB", "GB", "TB"}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	f, i := float64(n), 0
	for f >= 1024 && i < len(units)-1 {
		f /= 1024
		i++
	}
	return fmt.Sprintf("%.1f %s", f, units[i])
}

// serveSharedLink serves /scl/{kind}/{id}/{rest...}.
func (s *Server) serveSharedLink(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		return
	}
	if r.Method == http.MethodPost {
		// Read the form before taking the lock: a slow client must not
		// hold it.
		r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
		r.ParseForm()
	}
	// Decide under the lock; write the answer (bytes, zips) outside it.
	// Links and entries are replaced, never changed, so what is read
	// here stays valid.
	s.linkAnswer(w, r)()
}

// linkAnswer looks at the request under s.mu and returns what writes the
// answer.
func (s *Server) linkAnswer(w http.ResponseWriter, r *http.Request) func() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	kind, id, rest := r.PathValue("kind"), r.PathValue("id"), r.PathValue("rest")
	q := r.URL.Query()
	l := s.sharedLinks[id]
	if l == nil || l.kind() != kind || subtle.ConstantTimeCompare([]byte(q.Get("rlkey")), []byte(l.Key)) != 1 {
		return func() {
			linkErrorPage(w, http.StatusNotFound, "That didn’t work for some reason", "The link you followed does not exist or was removed.")
		}
	}
	sub := ""
	if l.Folder {
		secure, below, _ := strings.Cut(rest, "/")
		if secure != l.Secure {
			return func() {
				linkErrorPage(w, http.StatusNotFound, "That didn’t work for some reason", "The link you followed does not exist or was removed.")
			}
		}
		sub = below
	}
	top := s.linkTarget(l)
	switch {
	case top == nil:
		return func() {
			linkErrorPage(w, http.StatusNotFound, "This item was deleted", "The file or folder this link points to is no longer there.")
		}
	case l.expired(s.clock.Now()):
		return func() { linkErrorPage(w, http.StatusGone, "This link has expired", "Ask the owner for a new link.") }
	case l.Audience != "public":
		return func() {
			linkErrorPage(w, http.StatusForbidden, "You don’t have access", "This link only works for people the owner chose.")
		}
	}
	if l.hasPassword() {
		if r.Method == http.MethodPost {
			if !l.passwordOK(r.PostFormValue("password")) {
				return func() {
					writeLinkPage(w, http.StatusUnauthorized, linkPageData{Title: "This link is password protected",
						Password: true, Wrong: true, Action: r.URL.RequestURI()})
				}
			}
			return func() {
				http.SetCookie(w, &http.Cookie{Name: linkCookie(l), Value: linkCookieValue(l), Path: "/scl/" + l.kind() + "/" + l.ID,
					HttpOnly: true, SameSite: http.SameSiteLaxMode})
				http.Redirect(w, r, r.URL.RequestURI(), http.StatusSeeOther)
			}
		}
		if ck, err := r.Cookie(linkCookie(l)); err != nil || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(linkCookieValue(l))) != 1 {
			return func() {
				writeLinkPage(w, http.StatusUnauthorized, linkPageData{Title: "This link is password protected",
					Message: "Enter the password to view this link.", Password: true, Action: r.URL.RequestURI()})
			}
		}
	}
	if r.Method == http.MethodPost {
		return func() {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "Method not allowed.", http.StatusMethodNotAllowed)
		}
	}
	e := s.linkEntryBelow(l, top, sub)
	if e == nil {
		return func() {
			linkErrorPage(w, http.StatusNotFound, "That didn’t work for some reason", "There is nothing at this path in the shared folder.")
		}
	}
	download := q.Get("dl") == "1"
	raw := q.Get("raw") == "1"
	rel := ""
	if l.Folder {
		rel = "/" + strings.Trim(sub, "/")
	}
	if (download || raw) && (l.NoDownload || (!e.Folder && isPaper(e.PathLower))) {
		return func() {
			linkErrorPage(w, http.StatusForbidden, "Downloads are turned off", "The owner has turned off downloads for this link.")
		}
	}
	switch {
	case !e.Folder && (download || raw):
		return func() { s.writeLinkFile(w, r, e, raw) }
	case !e.Folder:
		d := linkPageData{Title: e.Name(), File: true, Size: humanSize(e.Size), Modified: dropboxTime(e.ServerModified)}
		if !l.NoDownload && !isPaper(e.PathLower) {
			d.Download = l.urlPath(rel, "1")
		}
		return func() { writeLinkPage(w, http.StatusOK, d) }
	case download:
		zipTop, entries, zerr := s.zipTree(s.linkView(l), e)
		if zerr != nil {
			return func() {
				linkErrorPage(w, http.StatusBadRequest, "This folder is too large to download", "Download the files inside it one by one.")
			}
		}
		return func() { s.writeLinkZip(w, r, zipTop, entries) }
	}
	d := linkPageData{Title: e.Name(), Folder: true}
	if !l.NoDownload {
		d.Download = l.urlPath(rel, "1")
	}
	// What the owner sees in the folder: a mounted namespace's contents too.
	owner := s.accounts[l.AccountID]
	if ns, dir := s.below(owner, e); ns != nil {
		s.walkView(owner, ns, dir, false, nil, func(c *Entry) bool {
			childRel := strings.TrimSuffix(rel, "/") + "/" + c.Name()
			it := linkPageItem{Name: c.Name(), Folder: c.Folder, Open: l.urlPath(childRel, "0")}
			if !c.Folder {
				it.Size = humanSize(c.Size)
			}
			if !l.NoDownload && !(c.Folder || isPaper(c.PathLower)) {
				it.Download = l.urlPath(childRel, "1")
			}
			d.Items = append(d.Items, it)
			return true
		})
	}
	return func() { writeLinkPage(w, http.StatusOK, d) }
}

// writeLinkFile serves the bytes of e: as an attachment, or inline (raw).
func (s *Server) writeLinkFile(w http.ResponseWriter, r *http.Request, e *Entry, raw bool) {
	disp := "attachment"
	if raw {
		disp = "inline"
	}
	w.Header().Set("Content-Disposition", disp+"; filename*=UTF-8''"+pathEscape(e.Name()))
	d := &download{Content: e.Content, Size: e.Size, ETag: strconv.Quote(e.Rev), ContentType: mime.TypeByExtension(path.Ext(e.Name()))}
	s.writeBody(&call{s: s, w: w, r: r, ctx: r.Context(), route: "shared_link"}, d)
}

// writeLinkZip serves a folder as the zip files/download_zip makes.
func (s *Server) writeLinkZip(w http.ResponseWriter, r *http.Request, top *Entry, entries []*Entry) {
	body, err := s.writeZip(top, entries)
	if err != nil {
		s.log.Warn("dropboxemu: shared link zip failed", "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+pathEscape(top.Name()+".zip"))
	d := &download{Body: body, Size: int64(len(body)), ContentType: "application/zip", NoRange: true}
	s.writeBody(&call{s: s, w: w, r: r, ctx: r.Context(), route: "shared_link"}, d)
}
