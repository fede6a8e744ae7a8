package dropboxemu

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"
)

// job is an async job of a batch route (delete_batch, copy_batch_v2, ...).
// The emulator does the work when the job is launched and keeps the result;
// the first Options.JobPolls checks answer in_progress, as Dropbox's often do.
type job struct {
	ID        string          `json:"id"`
	Route     string          `json:"route"` // the launching route
	AccountID string          `json:"account_id"`
	Result    json.RawMessage `json:"result"` // the complete result: union fields beside ".tag":"complete"
	Failed    json.RawMessage `json:"failed,omitempty"`
	Pending   int             `json:"pending"` // in_progress answers left
	Created   time.Time       `json:"created"`
}

// launchJob stores a finished job and returns its async launch answer:
// {".tag":"async_job_id","async_job_id":...}. result holds the fields of the
// complete status. The caller holds s.mu and commits t.
func (s *Server) launchJob(t *tx, c *call, result any) (map[string]any, error) {
	raw, err := marshalJSON(result) // unescaped <>&, as answers are
	if err != nil {
		return nil, err
	}
	j := &job{ID: newJobID(), Route: c.route, AccountID: c.acct.ID, Result: raw, Pending: s.opts.JobPolls,
		Created: s.clock.Now()}
	s.jobs[j.ID] = j
	t.put(tblJob, j.ID, j)
	return uv("async_job_id", j.ID), nil
}

// launchFailedJob stores a job whose status is failed with the given error
// union value. The caller holds s.mu and commits t.
func (s *Server) launchFailedJob(t *tx, c *call, failed map[string]any) (map[string]any, error) {
	raw, err := marshalJSON(failed)
	if err != nil {
		return nil, err
	}
	launch, err := s.launchJob(t, c, map[string]any{})
	if err != nil {
		return nil, err
	}
	id, _ := launch["async_job_id"].(string)
	j := s.jobs[id]
	j.Failed = raw
	t.put(tblJob, j.ID, j)
	return launch, nil
}

// asyncJobIDArg decodes the PollArg of a */check route: its async_job_id.
func (c *call) asyncJobIDArg() (string, error) {
	var arg struct {
		AsyncJobID string `json:"async_job_id"`
	}
	if err := c.decode(&arg, "async_job_id"); err != nil {
		return "", err
	}
	if err := c.checkString("async_job_id", arg.AsyncJobID, 1, 0, "", nil); err != nil {
		return "", err
	}
	return arg.AsyncJobID, nil
}

// pollJob answers a */check route for async_job_id: in_progress, or the
// complete status with the job's result inlined (or, when the job's result
// is not an object, under "complete"), or failed. Only jobs launched by one
// of launchers (route names) are known to the route, as on Dropbox.
func (s *Server) pollJob(c *call, inline bool, launchers ...string) (any, error) {
	jobID, err := c.asyncJobIDArg()
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[jobID]
	if j == nil || j.AccountID != c.acct.ID || !slices.Contains(launchers, j.Route) {
		return nil, routeError(u("invalid_async_job_id"))
	}
	if j.Pending > 0 {
		j.Pending--
		var t tx
		t.put(tblJob, j.ID, j)
		if err := s.commit(&t); err != nil {
			return nil, err
		}
		return u("in_progress"), nil
	}
	// The stored JSON goes out as it is, so its keys keep the order the
	// result was rendered in (the spec's declaration order).
	if len(j.Failed) > 0 {
		return uv("failed", j.Failed), nil
	}
	if !inline {
		return uv("complete", j.Result), nil
	}
	return inlineComplete(j.Result)
}

// inlineComplete is {".tag":"complete", fields of result...}: result, a
// JSON object, without its opening brace after the tag.
func inlineComplete(result json.RawMessage) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(result, &obj); err != nil {
		return nil, err
	}
	if len(obj) == 0 {
		return json.RawMessage(`{".tag":"complete"}`), nil
	}
	body := bytes.TrimLeft(result, " \t\r\n")
	out := append([]byte(`{".tag":"complete",`), body[1:]...)
	return out, nil
}
