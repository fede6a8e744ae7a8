package httpapi_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/dropbridge/dropbridge/httpapi"
)

// TestIdempotencyKeyActors: the team member or admin a request acts as
// belongs to what an Idempotency-Key stands for. The same member gets the
// first answer again; another member, or an admin, reusing the key gets a
// conflict, never the first member's answer.
func TestIdempotencyKeyActors(t *testing.T) {
	t.Parallel()
	s := newService(t)
	tm := s.teamConnection("Initech", "admin@initech.test", "peter@initech.test", "joanna@initech.test")
	admin, peter, joanna := tm.members[0], tm.members[1], tm.members[2]
	folders := "/v1/connections/" + tm.conn + "/folders"
	body := map[string]any{"path": "/Notes"}

	first := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", httpapi.MemberHeader, peter.MemberID)
	if first.status != http.StatusCreated {
		t.Fatalf("create as Peter: %d %s", first.status, first.body)
	}
	again := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", httpapi.MemberHeader, peter.MemberID)
	if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat as Peter: %d %s (replayed %q), want the first answer again", again.status, again.body, again.header.Get("Idempotent-Replayed"))
	}

	for _, actor := range []struct {
		name, header, id string
	}{
		{"another member", httpapi.MemberHeader, joanna.MemberID},
		{"an admin", httpapi.AdminHeader, admin.MemberID},
	} {
		r := s.do(s.key, http.MethodPost, folders, body, "Idempotency-Key", "notes-1", actor.header, actor.id)
		wantProblem(t, "the key reused by "+actor.name, r, http.StatusConflict, "")
		if r.header.Get("Idempotent-Replayed") != "" || bytes.Contains(r.body, first.body) {
			t.Errorf("the key reused by %s replays Peter's answer: %s", actor.name, r.body)
		}
		if !bytes.Contains(r.body, []byte("Idempotency-Key")) {
			t.Errorf("the conflict for %s does not say the key was used: %s", actor.name, r.body)
		}
	}

	// A key of Joanna's own does what she asks.
	r := s.do(s.key, http.MethodPost, folders, map[string]any{"path": "/Joanna's notes"}, "Idempotency-Key", "notes-joanna", httpapi.MemberHeader, joanna.MemberID)
	if r.status != http.StatusCreated || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("create as Joanna with her own key: %d %s", r.status, r.body)
	}
}

// TestIdempotencyKeyIgnoresActorsOutsideConnections: the member headers
// count only where they act, on a connection's operations; elsewhere a
// repeat with a stray one is still the same request.
func TestIdempotencyKeyIgnoresActorsOutsideConnections(t *testing.T) {
	t.Parallel()
	s := newService(t)
	body := map[string]any{"name": "Test app", "app_key": testAppKey, "app_secret": testAppSecret}
	first := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "app-1")
	if first.status != http.StatusCreated {
		t.Fatalf("create the app: %d %s", first.status, first.body)
	}
	again := s.do(s.key, http.MethodPost, "/v1/apps", body, "Idempotency-Key", "app-1", httpapi.MemberHeader, "dbmid:stray")
	if again.status != http.StatusCreated || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat with a stray %s: %d %s, want the first answer again", httpapi.MemberHeader, again.status, again.body)
	}
}
