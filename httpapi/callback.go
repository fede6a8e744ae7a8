package httpapi

import (
	"html/template"
	"net/http"
	"net/url"

	"github.com/dropbridge/dropbridge"
	"github.com/dropbridge/dropbridge/connect"
)

// serveCallback is the OAuth redirect URI: Dropbox sends the end user's
// browser here with the session's state and a code (or an error). It needs
// no API key: the one-time state is the credential. The user goes on to
// the session's redirect URL with connection_id, or with error and
// error_description, both with connect_session_id; without a redirect URL
// the service shows a page.
func (s *Server) serveCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	cs, conn, err := s.connect.Complete(r.Context(), connect.Callback{
		State: q.Get("state"), Code: q.Get("code"),
		Error: q.Get("error"), ErrorDescription: q.Get("error_description"),
	})
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if err != nil {
		p := problemFor(err)
		if p.Code == dropbridge.EINTERNAL {
			s.logger.ErrorContext(r.Context(), "complete connect session", "error", err)
		} else {
			s.logger.InfoContext(r.Context(), "connect session failed", "problem", p.Code, "session", sessionID(cs))
		}
		if cs != nil && cs.RedirectURL != "" {
			s.redirect(w, r, cs.RedirectURL, url.Values{"error": {p.Code}, "error_description": {p.Detail}, "connect_session_id": {cs.ID}})
			return
		}
		showPage(w, p.Status, "Dropbox was not connected", p.Detail)
		return
	}
	s.logger.InfoContext(r.Context(), "connect session completed", "session", cs.ID, "connection", conn.ID)
	if cs.RedirectURL != "" {
		s.redirect(w, r, cs.RedirectURL, url.Values{"connection_id": {conn.ID}, "connect_session_id": {cs.ID}})
		return
	}
	showPage(w, http.StatusOK, "Dropbox is connected",
		"Your Dropbox account "+conn.Email+" is connected. You can close this window and go back to the application.")
}

func sessionID(cs *dropbridge.ConnectSession) string {
	if cs == nil {
		return ""
	}
	return cs.ID
}

// redirect sends the browser to target with params added to its query.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, err := url.Parse(target)
	if err != nil { // validated when the session was made
		showPage(w, http.StatusInternalServerError, "Dropbox was not connected", "The application's redirect URL is not valid.")
		return
	}
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusSeeOther)
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;padding:0 1rem;color:#1e1919;line-height:1.5}h1{font-size:1.4rem}</style>
</head><body><h1>{{.Title}}</h1><p>{{.Message}}</p></body></html>`))

// showPage answers the end user's browser with a small page.
func showPage(w http.ResponseWriter, status int, title, message string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	w.WriteHeader(status)
	page.Execute(w, map[string]string{"Title": title, "Message": message})
}
