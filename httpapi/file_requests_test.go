package httpapi_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dropbridge/dropbridge/httpapi"
)

// requestsPage is a page of file requests.
type requestsPage struct {
	Data       []httpapi.FileRequest `json:"data"`
	NextCursor string                `json:"next_cursor"`
}

func TestFileRequests(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	base := "/v1/connections/" + conn + "/file-requests"
	deadline := time.Now().Add(7 * 24 * time.Hour).UTC().Truncate(time.Second)

	// Create, with a repeat that the Idempotency-Key answers.
	body := map[string]any{
		"title": "Homework", "destination": "/Requests/Homework", "description": "Week 1",
		"deadline": map[string]any{"deadline": deadline, "allow_late_uploads": "one_day"},
	}
	first := s.do(s.key, http.MethodPost, base, body, "Idempotency-Key", "homework-1")
	repeat := s.do(s.key, http.MethodPost, base, body, "Idempotency-Key", "homework-1")
	if first.status != http.StatusCreated || repeat.status != http.StatusCreated || string(first.body) != string(repeat.body) {
		t.Fatalf("create: %d %s, then %d %s", first.status, first.body, repeat.status, repeat.body)
	}
	var fr httpapi.FileRequest
	first.decode(t, &fr)
	want := httpapi.FileRequest{ID: fr.ID, URL: fr.URL, Title: "Homework", Destination: "/Requests/Homework", Created: fr.Created,
		Deadline: &httpapi.FileRequestDeadline{Deadline: deadline, AllowLateUploads: "one_day"}, IsOpen: true, Description: "Week 1"}
	if diff := cmp.Diff(want, fr); diff != "" || fr.ID == "" || fr.URL == "" {
		t.Errorf("created file request (-want +got):\n%s", diff)
	}
	var folder httpapi.Entry
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+conn+"/files/metadata?path=/Requests/Homework", nil, &folder)
	if folder.Tag != "folder" {
		t.Errorf("the destination = %+v, want a folder made for the request", folder)
	}
	var got httpapi.FileRequest
	s.must(http.StatusOK, http.MethodGet, base+"/"+fr.ID, nil, &got)
	if diff := cmp.Diff(fr, got); diff != "" {
		t.Errorf("get (-created +got):\n%s", diff)
	}

	// Two more, and the listing a page at a time.
	var second, third httpapi.FileRequest
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"title": "Photos", "destination": "/Requests/Photos", "open": false}, &second)
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"title": "Drafts", "destination": "/Requests/Drafts"}, &third)
	if second.IsOpen || second.Deadline != nil {
		t.Errorf("closed request without deadline = %+v", second)
	}
	var ids []string
	pages := 0
	for cursor := ""; ; {
		q := "?limit=2"
		if cursor != "" {
			q = "?cursor=" + url.QueryEscape(cursor)
		}
		var p requestsPage
		s.must(http.StatusOK, http.MethodGet, base+q, nil, &p)
		for _, r := range p.Data {
			ids = append(ids, r.ID)
		}
		pages++
		if cursor = p.NextCursor; cursor == "" || pages > 5 {
			break
		}
	}
	if diff := cmp.Diff([]string{fr.ID, second.ID, third.ID}, ids, sorted); diff != "" || pages != 2 {
		t.Errorf("file requests in %d pages (-want +got):\n%s", pages, diff)
	}

	// Updates.
	var updated httpapi.FileRequest
	s.must(http.StatusOK, http.MethodPatch, base+"/"+fr.ID, map[string]any{"title": "Homework, week 1", "remove_deadline": true}, &updated)
	if updated.Title != "Homework, week 1" || updated.Deadline != nil || updated.Description != "Week 1" || !updated.IsOpen {
		t.Errorf("updated = %+v", updated)
	}
	later := deadline.Add(24 * time.Hour)
	s.must(http.StatusOK, http.MethodPatch, base+"/"+fr.ID, map[string]any{
		"destination": "/Requests/Week1", "deadline": map[string]any{"deadline": later},
	}, &updated)
	if updated.Destination != "/Requests/Week1" || updated.Deadline == nil || !updated.Deadline.Deadline.Equal(later) || updated.Title != "Homework, week 1" {
		t.Errorf("updated = %+v", updated)
	}
	wantProblem(t, "update nothing", s.do(s.key, http.MethodPatch, base+"/"+fr.ID, map[string]any{}), http.StatusUnprocessableEntity, "")
	wantProblem(t, "a deadline and its removal", s.do(s.key, http.MethodPatch, base+"/"+fr.ID,
		map[string]any{"deadline": map[string]any{"deadline": later}, "remove_deadline": true}), http.StatusUnprocessableEntity, "")
	wantProblem(t, "a deadline in the past", s.do(s.key, http.MethodPatch, base+"/"+fr.ID,
		map[string]any{"deadline": map[string]any{"deadline": time.Now().Add(-time.Hour).UTC()}}), http.StatusConflict, "validation_error")

	// Delete: Dropbox refuses while the request is open.
	wantProblem(t, "delete an open request", s.do(s.key, http.MethodDelete, base+"/"+fr.ID, nil), http.StatusConflict, "file_request_open")
	var closed httpapi.FileRequest
	s.must(http.StatusOK, http.MethodPost, base+"/"+fr.ID+"/close", nil, &closed)
	if closed.IsOpen || closed.ID != fr.ID {
		t.Errorf("closed = %+v", closed)
	}
	s.must(http.StatusOK, http.MethodPost, base+"/"+fr.ID+"/close", nil, &closed)
	var deleted httpapi.FileRequest
	s.must(http.StatusOK, http.MethodDelete, base+"/"+fr.ID, nil, &deleted)
	if deleted.ID != fr.ID || deleted.Title != "Homework, week 1" {
		t.Errorf("deleted = %+v", deleted)
	}
	wantProblem(t, "get the deleted request", s.do(s.key, http.MethodGet, base+"/"+fr.ID, nil), http.StatusNotFound, "not_found")
	wantProblem(t, "delete it again", s.do(s.key, http.MethodDelete, base+"/"+fr.ID, nil), http.StatusNotFound, "not_found")
	s.put(conn, "/f.txt", []byte("f"))
	wantProblem(t, "a file on the destination's way", s.do(s.key, http.MethodPost, base, map[string]any{"title": "x", "destination": "/f.txt/sub"}),
		http.StatusConflict, "not_a_folder")
}

func TestFileRequestDeadlineByPlan(t *testing.T) {
	t.Parallel()
	s := newService(t)
	pro, _ := s.connected("pro@example.com")
	basic := s.connectedBasic("basic@example.com")
	deadline := map[string]any{"deadline": time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)}

	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+pro+"/file-requests",
		map[string]any{"title": "With deadline", "destination": "/In", "deadline": deadline}, nil)
	r := s.do(s.key, http.MethodPost, "/v1/connections/"+basic+"/file-requests",
		map[string]any{"title": "With deadline", "destination": "/In", "deadline": deadline})
	wantProblem(t, "Basic account's deadline", r, http.StatusConflict, "no_permission")
	var p httpapi.Problem
	if r.decode(t, &p); !strings.Contains(p.Detail, "deadlines need a paid Dropbox plan") {
		t.Errorf("the refusal does not say why: %q", p.Detail)
	}
	var fr httpapi.FileRequest
	s.must(http.StatusCreated, http.MethodPost, "/v1/connections/"+basic+"/file-requests", map[string]any{"title": "No deadline", "destination": "/In"}, &fr)
	wantProblem(t, "Basic account adds a deadline", s.do(s.key, http.MethodPatch, "/v1/connections/"+basic+"/file-requests/"+fr.ID,
		map[string]any{"deadline": deadline}), http.StatusConflict, "no_permission")
	var list requestsPage
	s.must(http.StatusOK, http.MethodGet, "/v1/connections/"+basic+"/file-requests", nil, &list)
	if len(list.Data) != 1 || list.Data[0].Deadline != nil {
		t.Errorf("Basic account's file requests = %+v", list.Data)
	}
}

func TestFileRequestsBadInputAndOtherEnvironments(t *testing.T) {
	t.Parallel()
	s := newService(t)
	conn, _ := s.connected("ada@example.com")
	other, _ := s.connected("bob@example.com")
	base := "/v1/connections/" + conn + "/file-requests"
	var fr httpapi.FileRequest
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"title": "One", "destination": "/In"}, &fr)
	s.must(http.StatusCreated, http.MethodPost, base, map[string]any{"title": "Two", "destination": "/In"}, nil)
	var p requestsPage
	s.must(http.StatusOK, http.MethodGet, base+"?limit=1", nil, &p)
	if p.NextCursor == "" {
		t.Fatal("no next_cursor with limit 1 on two file requests")
	}

	tests := []struct {
		name         string
		method, path string
		body         any
		status       int
		tag          string
	}{
		{"create without title", http.MethodPost, base, map[string]any{"destination": "/In"}, 422, ""},
		{"create without destination", http.MethodPost, base, map[string]any{"title": "x"}, 422, ""},
		{"blank title", http.MethodPost, base, map[string]any{"title": "   ", "destination": "/In"}, 409, "validation_error"},
		{"unknown grace period", http.MethodPost, base, map[string]any{"title": "x", "destination": "/In",
			"deadline": map[string]any{"deadline": time.Now().Add(time.Hour), "allow_late_uploads": "forever"}}, 422, ""},
		{"cursor of another connection", http.MethodGet, "/v1/connections/" + other + "/file-requests?cursor=" + p.NextCursor, nil, 422, ""},
		{"made-up cursor", http.MethodGet, base + "?cursor=AAAA", nil, 422, ""},
		{"limit too large", http.MethodGet, base + "?limit=5000", nil, 422, ""},
		{"unknown request", http.MethodGet, base + "/nope123", nil, 404, "not_found"},
		{"a request id that is no id", http.MethodGet, base + "/no%20pe", nil, 422, ""},
		{"another account's request", http.MethodGet, "/v1/connections/" + other + "/file-requests/" + fr.ID, nil, 404, "not_found"},
		{"update with an empty title", http.MethodPatch, base + "/" + fr.ID, map[string]any{"title": ""}, 422, ""},
		{"update with an unknown field", http.MethodPatch, base + "/" + fr.ID, map[string]any{"closed": true}, 422, ""},
		{"close another account's request", http.MethodPost, "/v1/connections/" + other + "/file-requests/" + fr.ID + "/close", nil, 404, "not_found"},
		{"delete another account's request", http.MethodDelete, "/v1/connections/" + other + "/file-requests/" + fr.ID, nil, 404, "not_found"},
		{"unknown connection", http.MethodGet, "/v1/connections/conn_nope/file-requests", nil, 404, ""},
	}
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				wantProblem(t, tc.name, s.do(s.key, tc.method, tc.path, tc.body), tc.status, tc.tag)
			})
		}
	})

	_, otherKey := s.newEnvironment("other")
	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, base, map[string]any{"title": "x", "destination": "/In"}},
		{http.MethodGet, base, nil},
		{http.MethodGet, base + "/" + fr.ID, nil},
		{http.MethodPatch, base + "/" + fr.ID, map[string]any{"title": "taken"}},
		{http.MethodPost, base + "/" + fr.ID + "/close", nil},
		{http.MethodDelete, base + "/" + fr.ID, nil},
	} {
		wantProblem(t, "another environment: "+tc.method+" "+tc.path, s.do(otherKey, tc.method, tc.path, tc.body), http.StatusNotFound, "")
	}

	// Nothing changed.
	var got httpapi.FileRequest
	s.must(http.StatusOK, http.MethodGet, base+"/"+fr.ID, nil, &got)
	if diff := cmp.Diff(fr, got); diff != "" {
		t.Errorf("the file request after bad requests (-before +after):\n%s", diff)
	}
	s.must(http.StatusOK, http.MethodGet, base, nil, &p)
	if len(p.Data) != 2 {
		t.Errorf("%d file requests after bad requests, want 2", len(p.Data))
	}
}
