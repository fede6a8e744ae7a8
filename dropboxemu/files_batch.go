package dropboxemu

import (
	"slices"
)

func init() {
	register("files/copy_batch_v2", (*Server).copyBatchV2)
	register("files/copy_batch/check_v2", (*Server).copyBatchCheckV2)
	register("files/move_batch_v2", (*Server).moveBatchV2)
	register("files/move_batch/check_v2", (*Server).moveBatchCheckV2)
	register("files/copy_batch", (*Server).copyBatchV1)
	register("files/copy_batch/check", (*Server).copyBatchCheckV1)
	register("files/move_batch", (*Server).moveBatchV1)
	register("files/move_batch/check", (*Server).moveBatchCheckV1)
	register("files/create_folder_batch", (*Server).createFolderBatch)
	register("files/create_folder_batch/check", (*Server).createFolderBatchCheck)
	register("files/delete_batch", (*Server).deleteBatch)
	register("files/delete_batch/check", (*Server).deleteBatchCheck)
}

// Batch sizes from files.stone.
const (
	maxRelocationBatch   = 1000
	maxDeleteBatch       = 1000
	maxCreateFolderBatch = 10000
	// createFolderBatchSyncMax is the largest create_folder_batch answered
	// synchronously ("complete"); larger ones launch a job, as the spec says
	// Dropbox does for large batches. Dropbox publishes no threshold.
	createFolderBatchSyncMax = 100
)

// relocationBatchBase is the spec's RelocationBatchArgBase (alias CopyBatchArg).
type relocationBatchBase struct {
	Entries    []relocationPath `json:"entries"`
	Autorename bool             `json:"autorename,omitempty"`
}

// moveBatchArg is the spec's MoveBatchArg.
type moveBatchArg struct {
	relocationBatchBase
	AllowOwnershipTransfer bool `json:"allow_ownership_transfer,omitempty"`
}

// relocationBatchArgV1 is the spec's RelocationBatchArg (copy_batch, move_batch).
type relocationBatchArgV1 struct {
	relocationBatchBase
	AllowSharedFolder      bool `json:"allow_shared_folder,omitempty"` // deprecated, no effect
	AllowOwnershipTransfer bool `json:"allow_ownership_transfer,omitempty"`
}

// decodeRelocationBatch decodes the route's batch argument into arg, whose
// RelocationBatchArgBase is base, and checks every path (400 on a pattern
// mismatch, before anything changes).
func (c *call) decodeRelocationBatch(arg any, base *relocationBatchBase) ([]relocation, error) {
	if err := c.decode(arg, "entries", "entries.from_path", "entries.to_path"); err != nil {
		return nil, err
	}
	repr := "" // Stone quotes the list; only an empty one is short enough to
	if len(base.Entries) == 0 {
		repr = "[]"
	}
	if err := c.checkList("entries", len(base.Entries), 1, maxRelocationBatch, repr); err != nil {
		return nil, err
	}
	rs := make([]relocation, len(base.Entries))
	for i, e := range base.Entries {
		r, err := c.relocationPaths("entries.", e.FromPath, e.ToPath)
		if err != nil {
			return nil, err
		}
		rs[i] = r
	}
	return rs, nil
}

// batchSpot is a resolved path of a batch entry, for the nesting check.
type batchSpot struct {
	ns, lower string
}

func (a batchSpot) overlaps(b batchSpot) bool {
	return a.lower != "" && b.lower != "" && a.ns == b.ns && (isWithin(a.lower, b.lower) || isWithin(b.lower, a.lower))
}

// nestedEntries reports, for each entry of a batch, whether its
// destination is, contains or lies inside another entry's source or
// destination, or, for moves, whether its source overlaps another entry's
// source (RelocationError.duplicated_or_nested_paths). Copying one source
// to several places is fine. The caller holds s.mu.
func (s *Server) nestedEntries(acct *Account, rs []relocation, move bool) []bool {
	from := make([]batchSpot, len(rs))
	to := make([]batchSpot, len(rs))
	for i, r := range rs {
		if r.fromBad == nil {
			if tg, lerr := s.resolve(acct, r.from); lerr == nil {
				from[i] = batchSpot{tg.ns.ID, tg.lower}
			}
		}
		if r.toBad == nil {
			if tg, lerr := s.resolve(acct, r.to); lerr == nil {
				to[i] = batchSpot{tg.ns.ID, tg.lower}
			}
		}
	}
	nested := make([]bool, len(rs))
	for i := range rs {
		for j := i + 1; j < len(rs); j++ {
			if to[i].overlaps(to[j]) || to[i].overlaps(from[j]) || from[i].overlaps(to[j]) ||
				move && from[i].overlaps(from[j]) {
				nested[i], nested[j] = true, true
			}
		}
	}
	return nested
}

// relocationBatchV2 runs every entry and returns the RelocationBatchV2Result:
// each entry succeeds or fails on its own. The caller holds s.mu and commits t.
func (s *Server) relocationBatchV2(t *tx, c *call, rs []relocation, move, autorename bool) map[string]any {
	acct := c.acct
	nested := s.nestedEntries(acct, rs, move)
	out := make([]any, len(rs))
	for i, r := range rs {
		var e *Entry
		var rerr map[string]any
		if nested[i] {
			rerr = u("duplicated_or_nested_paths")
		} else {
			e, rerr = s.relocate(t, acct, r, move, autorename)
		}
		if rerr != nil {
			out[i] = uv("failure", uv("relocation_error", rerr))
			continue
		}
		out[i] = uv("success", metadata(c.view().place(e)))
	}
	return map[string]any{"entries": out}
}

// relocationBatchV2Call serves copy_batch_v2 and move_batch_v2. Both always
// answer with a job: the spec allows "complete" too, but Dropbox runs these
// batches in the background, and clients must poll either way.
func (s *Server) relocationBatchV2Call(c *call, move bool) (any, error) {
	var base *relocationBatchBase
	var arg any
	if move {
		a := new(moveBatchArg)
		arg, base = a, &a.relocationBatchBase
	} else {
		a := new(relocationBatchBase)
		arg, base = a, a
	}
	rs, err := c.decodeRelocationBatch(arg, base)
	if err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (map[string]any, error) {
		return s.launchJob(t, c, s.relocationBatchV2(t, c, rs, move, base.Autorename))
	})
}

func (s *Server) copyBatchV2(c *call) (any, error) { return s.relocationBatchV2Call(c, false) }
func (s *Server) moveBatchV2(c *call) (any, error) { return s.relocationBatchV2Call(c, true) }

// relocationBatchV1Call serves the deprecated copy_batch and move_batch:
// always a job, which fails as a whole (RelocationBatchError) when an entry
// fails. Entries before the failing one stay done; nested or duplicated
// paths fail the batch before anything changes.
func (s *Server) relocationBatchV1Call(c *call, move bool) (any, error) {
	var arg relocationBatchArgV1
	rs, err := c.decodeRelocationBatch(&arg, &arg.relocationBatchBase)
	if err != nil {
		return nil, err
	}
	return writeTx(s, c, func(t *tx) (map[string]any, error) {
		var failed map[string]any
		var entries []any
		if slices.Contains(s.nestedEntries(c.acct, rs, move), true) {
			failed = u("duplicated_or_nested_paths")
		}
		for _, r := range rs {
			if failed != nil {
				break
			}
			e, rerr := s.relocate(t, c.acct, r, move, arg.Autorename)
			if rerr != nil {
				failed = rerr
				break
			}
			entries = append(entries, map[string]any{"metadata": metadata(c.view().place(e))})
		}
		if failed != nil {
			return s.launchFailedJob(t, c, failed)
		}
		return s.launchJob(t, c, map[string]any{"entries": entries})
	})
}

func (s *Server) copyBatchV1(c *call) (any, error) { return s.relocationBatchV1Call(c, false) }
func (s *Server) moveBatchV1(c *call) (any, error) { return s.relocationBatchV1Call(c, true) }

func (s *Server) copyBatchCheckV2(c *call) (any, error) {
	return s.pollJob(c, true, "files/copy_batch_v2")
}

func (s *Server) moveBatchCheckV2(c *call) (any, error) {
	return s.pollJob(c, true, "files/move_batch_v2")
}

func (s *Server) copyBatchCheckV1(c *call) (any, error) {
	return s.pollJob(c, true, "files/copy_batch")
}

func (s *Server) moveBatchCheckV1(c *call) (any, error) {
	return s.pollJob(c, true, "files/move_batch")
}

// createFolderBatchArg is the spec's CreateFolderBatchArg.
type createFolderBatchArg struct {
	Paths      []string `json:"paths"`
	Autorename bool     `json:"autorename,omitempty"`
	ForceAsync bool     `json:"force_async,omitempty"`
}

// createFolderBatch creates each folder in order. Paths given twice are
// created once and share the first one's result, as the spec says.
func (s *Server) createFolderBatch(c *call) (any, error) {
	var arg createFolderBatchArg
	if err := c.decode(&arg, "paths"); err != nil {
		return nil, err
	}
	if err := c.checkList("paths", len(arg.Paths), 0, maxCreateFolderBatch, pyStrings(arg.Paths)); err != nil {
		return nil, err
	}
	type parsed struct {
		p         parsedPath
		malformed map[string]any
	}
	ps := make([]parsed, len(arg.Paths))
	for i, raw := range arg.Paths {
		p, malformed, err := c.pathArg("paths", raw, "WritePath")
		if err != nil {
			return nil, err
		}
		ps[i] = parsed{p, malformed}
	}
	return writeTx(s, c, func(t *tx) (map[string]any, error) {
		out := make([]any, len(ps))
		first := map[string]int{} // lower-cased argument -> index of its first occurrence
		for i, p := range ps {
			key := lowerPath(arg.Paths[i])
			if j, dup := first[key]; dup {
				out[i] = out[j]
				continue
			}
			first[key] = i
			if p.malformed != nil {
				out[i] = uv("failure", uv("path", p.malformed))
				continue
			}
			e, wf := s.createFolder(t, c.acct, p.p, arg.Autorename)
			if wf != nil {
				out[i] = uv("failure", uv("path", wf.reason))
				continue
			}
			out[i] = map[string]any{".tag": "success", "metadata": folderMetaNoTag(c.view().place(e))}
		}
		res := map[string]any{"entries": out}
		if arg.ForceAsync || len(ps) > createFolderBatchSyncMax {
			return s.launchJob(t, c, res)
		}
		return uf("complete", res), nil
	})
}

func (s *Server) createFolderBatchCheck(c *call) (any, error) {
	return s.pollJob(c, true, "files/create_folder_batch")
}

// deleteBatch deletes each entry in order (each succeeds or fails on its
// own) and always answers with a job, as the spec says delete_batch does.
func (s *Server) deleteBatch(c *call) (any, error) {
	var arg struct {
		Entries []deleteArg `json:"entries"`
	}
	if err := c.decode(&arg, "entries", "entries.path"); err != nil {
		return nil, err
	}
	if err := c.checkList("entries", len(arg.Entries), 0, maxDeleteBatch, ""); err != nil {
		return nil, err
	}
	// Check every argument first: a 400 must leave everything as it was.
	for _, e := range arg.Entries {
		if _, _, err := c.pathArg("entries.path", e.Path, "WritePathOrId"); err != nil {
			return nil, err
		}
		if err := c.checkOptRev("entries.parent_rev", e.ParentRev); err != nil {
			return nil, err
		}
	}
	return writeTx(s, c, func(t *tx) (map[string]any, error) {
		out := make([]any, len(arg.Entries))
		for i := range arg.Entries {
			e, derr, err := s.deletePath(t, c, &arg.Entries[i])
			if err != nil {
				return nil, err // not reached: the arguments were checked above
			}
			if derr != nil {
				out[i] = uv("failure", derr)
				continue
			}
			out[i] = map[string]any{".tag": "success", "metadata": metadata(c.view().place(e))}
		}
		return s.launchJob(t, c, map[string]any{"entries": out})
	})
}

func (s *Server) deleteBatchCheck(c *call) (any, error) {
	return s.pollJob(c, true, "files/delete_batch")
}
