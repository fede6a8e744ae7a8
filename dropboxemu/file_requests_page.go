package dropboxemu

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The public page of a file request (FileRequest.url, /request/{id}):
// anyone with the link sees the request and uploads files into its
// destination folder, as on www.dropbox.com/request/{id}. GET shows the
// form; POST (multipart/form-data: "name", "email" and one or more "file"
// parts) takes the files.

// frPage is what the page shows.
type frPage struct {
	Title       string
	Description string
	Owner       string
	Deadline    string   // "" when none
	LateUntil   string   // when late uploads stop, "always", or "" when none are taken
	Message     string   // why the request takes nothing, or what was wrong with the form
	Received    []string // the files just received
	Form        bool     // show the upload form
}

var frPageTemplate = template.Must(template.New("request").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{if .Title}}{{.Title}} - {{end}}File request - Dropbox API emulator</title></head>
<body>
{{if .Title}}<h1>{{.Title}}</h1>
<p class="owner">{{.Owner}} is requesting files.</p>
{{if .Description}}<p class="description">{{.Description}}</p>{{end}}
{{if .Deadline}}<p class="deadline">Deadline: <time>{{.Deadline}}</time>{{if eq .LateUntil "always"}} (late uploads are accepted){{else if .LateUntil}} (late uploads are accepted until <time>{{.LateUntil}}</time>){{end}}</p>{{end}}
{{else}}<h1>File request</h1>
{{end}}
{{if .Message}}<p class="message">{{.Message}}</p>{{end}}
{{if .Received}}<p class="received">Uploaded:</p>
<ul>{{range .Received}}<li>{{.}}</li>{{end}}</ul>{{end}}
{{if .Form}}<form method="post" enctype="multipart/form-data">
<p><label>Your name <input type="text" name="name" required></label></p>
<p><label>Your email <input type="email" name="email" required></label></p>
<p><label>Files <input type="file" name="file" multiple required></label></p>
<p><button type="submit">Upload</button></p>
</form>{{end}}
</body>
</html>
`))

// writeFRPage renders p with status.
func writeFRPage(w http.ResponseWriter, status int, p frPage) {
	var buf bytes.Buffer
	if err := frPageTemplate.Execute(&buf, p); err != nil {
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// frPageOf describes fr for its page, with status 200 and the form when
// it takes files at now, else the status and message of the refusal. The
// caller holds s.mu.
func (s *Server) frPageOf(fr *fileRequest, now time.Time) (int, frPage) {
	if fr == nil {
		return http.StatusNotFound, frPage{Message: "This file request does not exist."}
	}
	status, why := s.fileRequestRefusal(fr, now)
	if status == http.StatusNotFound {
		return status, frPage{Message: why}
	}
	p := frPage{Title: fr.Title, Owner: s.accounts[fr.AccountID].DisplayName, Message: why, Form: why == ""}
	if fr.Description != nil {
		p.Description = *fr.Description
	}
	if d := fr.Deadline; d != nil {
		p.Deadline = dropboxTime(d.At)
		if end, ok := d.closesAt(); !ok {
			p.LateUntil = "always"
		} else if end.After(d.At) {
			p.LateUntil = dropboxTime(end)
		}
	}
	if status == 0 {
		status = http.StatusOK
	}
	return status, p
}

// serveFileRequestPage serves /request/{id}.
func (s *Server) serveFileRequestPage(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.mu.RLock()
		status, p := s.frPageOf(s.fileRequests[r.PathValue("id")], s.clock.Now())
		s.mu.RUnlock()
		writeFRPage(w, status, p)
	case http.MethodPost:
		s.receiveFileRequestUpload(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		writeFRPage(w, http.StatusMethodNotAllowed, frPage{Message: "Open this page with GET; upload files with POST."})
	}
}

// frUpload is one file of an upload form.
type frUpload struct {
	name string // as the uploader's browser named it
	data []byte
	fc   fileContent
}

// frForm is a posted upload form.
type frForm struct {
	name, email string
	files       []*frUpload
}

// readFRForm reads a multipart upload form of at most limit bytes. It
// returns the status and message of a form it cannot take.
func readFRForm(w http.ResponseWriter, r *http.Request, limit int64) (*frForm, int, string) {
	ct, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" || params["boundary"] == "" {
		return nil, http.StatusBadRequest, "Send the form as multipart/form-data."
	}
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, tooLargeMessage(limit)
	}
	mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, limit), params["boundary"])
	var f frForm
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return formReadFailure(err, limit)
		}
		switch {
		case part.FileName() != "":
			data, err := io.ReadAll(part)
			if err != nil {
				return formReadFailure(err, limit)
			}
			f.files = append(f.files, &frUpload{name: part.FileName(), data: data})
		case part.FormName() == "name" || part.FormName() == "email":
			v, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return formReadFailure(err, limit)
			}
			if part.FormName() == "name" {
				f.name = cleanFRName(string(v))
			} else {
				f.email = strings.TrimSpace(string(v))
			}
		}
		// Other parts (an empty file input, a submit button) are ignored.
	}
	switch {
	case f.name == "" || !strings.Contains(f.email, "@"):
		return nil, http.StatusBadRequest, "Enter your name and your email address."
	case len(f.files) == 0:
		return nil, http.StatusBadRequest, "Choose at least one file to upload."
	}
	return &f, 0, ""
}

func tooLargeMessage(limit int64) string {
	return fmt.Sprintf("The upload is too large: at most %d MiB at a time.", limit>>20)
}

// formReadFailure is the answer to an error reading a form.
func formReadFailure(err error, limit int64) (*frForm, int, string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, http.StatusRequestEntityTooLarge, tooLargeMessage(limit)
	}
	return nil, http.StatusBadRequest, "The form could not be read."
}

// cleanFRName makes s usable in a file name: no slashes, control
// characters or invalid UTF-8, no spaces around it.
func cleanFRName(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
	return strings.TrimSpace(s)
}

// frUploadName is the name of a file received through a file request:
// the uploader's name, " - ", then the file's own name, as Dropbox names
// them so that the owner sees who sent what.
func frUploadName(uploader, file string) string {
	file = cleanFRName(file)
	if file == "" || file == "." || file == ".." {
		file = "file"
	}
	return uploader + " - " + file
}

// receiveFileRequestUpload takes the files of an upload form into the
// request's destination folder (add, autorename), counts them, and
// answers with a page. Nothing is written unless every file is.
func (s *Server) receiveFileRequestUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	// Refuse before reading the body when the request takes nothing.
	s.mu.RLock()
	fr := s.fileRequests[id]
	status, page := s.frPageOf(fr, s.clock.Now())
	var rootNS string
	if status == http.StatusOK {
		rootNS = s.accounts[fr.AccountID].RootNS
	}
	s.mu.RUnlock()
	if status != http.StatusOK {
		writeFRPage(w, status, page)
		return
	}
	form, status, msg := readFRForm(w, r, s.opts.MaxUploadRequest)
	if form == nil {
		page.Message = msg
		writeFRPage(w, status, page)
		return
	}
	release, lerr := s.limits.beginWrite(rootNS)
	if lerr != nil {
		w.Header().Set("Retry-After", strconv.Itoa(max(lerr.RetryAfter, 1)))
		page.Message = "Dropbox is busy writing to this folder; try again in a moment."
		writeFRPage(w, http.StatusTooManyRequests, page)
		return
	}
	defer release()
	for i, f := range form.files {
		h := newContentHasher()
		h.Write(f.data)
		fc, err := s.storeBlob(f.data, h.Hex())
		if err != nil {
			for _, g := range form.files[:i] {
				s.dropContent(g.fc)
			}
			writeFRPage(w, http.StatusInternalServerError, frPage{Message: "The files could not be stored."})
			return
		}
		f.fc, f.data = fc, nil
	}
	status, page = s.storeFRUploads(id, form)
	writeFRPage(w, status, page)
}

// storeFRUploads writes the stored files of form into the destination of
// the request id, under s.mu, and returns the page to answer with. On
// failure it drops the blobs and changes nothing.
func (s *Server) storeFRUploads(id string, form *frForm) (int, frPage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	dropAll := func() {
		for _, f := range form.files {
			s.dropContent(f.fc)
		}
	}
	// The request may have changed while the form was read.
	fr := s.fileRequests[id]
	status, page := s.frPageOf(fr, s.clock.Now())
	if status != http.StatusOK {
		dropAll()
		return status, page
	}
	page.Form = false
	acct := s.accounts[fr.AccountID]
	dest := s.frDestination(fr)
	var size int64
	for _, f := range form.files {
		size += f.fc.Size
	}
	// Uploads count against the owner's quota: check them all first, so
	// that the form lands whole or not at all.
	if s.usage(acct)+size > acct.Quota {
		dropAll()
		page.Message = "The owner of this file request does not have enough space in their Dropbox for these files."
		return http.StatusInsufficientStorage, page
	}
	var t tx
	var ours []fileContent // blobs that the new entries use
	for _, f := range form.files {
		name := frUploadName(form.name, f.name)
		p := parsedPath{Kind: pathID, Ref: dest.ID, Rest: "/" + name}
		e, wf := s.putFile(&t, acct, p, f.fc, writeMode{name: "add"}, true, false, time.Time{})
		if wf != nil {
			// The model already holds the earlier files: a failed commit
			// reloads it from the backend, which has none of them.
			t.err = fmt.Errorf("file request upload of %q: %v", name, wf)
			s.commit(&t)
			dropAll()
			page.Message = "The files could not be saved: " + fmt.Sprint(wf.reason[".tag"]) + "."
			if wf.reason[".tag"] == "disallowed_name" {
				return http.StatusBadRequest, page
			}
			return http.StatusInternalServerError, page
		}
		if len(f.fc.Segments) > 0 && len(e.Content) > 0 && e.Content[0].Blob == f.fc.Segments[0].Blob {
			ours = append(ours, f.fc)
		} else {
			s.dropContent(f.fc) // the same content was already there
		}
		page.Received = append(page.Received, f.name)
	}
	next := *fr
	next.FileCount += int64(len(form.files))
	s.putFileRequest(&t, &next)
	if err := s.commit(&t); err != nil {
		for _, fc := range ours {
			s.dropContent(fc)
		}
		return http.StatusInternalServerError, frPage{Message: "The files could not be saved."}
	}
	page.Message = fmt.Sprintf("%d file(s) uploaded to %s's file request.", len(form.files), acct.DisplayName)
	return http.StatusOK, page
}
