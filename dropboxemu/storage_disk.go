package dropboxemu

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
)

// DiskBackend keeps state in a folder: a journal of committed batches
// (journal.log), compacted each time the folder is opened, and one file per
// blob under blobs/. Every Commit and PutBlob is fsynced before it returns,
// so nothing acknowledged is lost when the process is killed or the machine
// loses power. A torn batch at the end of the journal (a crash during
// Commit) is discarded on open; a blob is written aside and linked into
// place, so it is either whole or absent.
//
// A DiskBackend is safe for concurrent use. Only one DiskBackend, in any
// process, may have a folder open at a time.
type DiskBackend struct {
	dir  string
	lock *os.File

	mu      sync.Mutex // guards journal, size, broken and loaded
	journal *os.File
	size    int64 // journal length after the last acknowledged batch
	broken  error // set when a failed write could not be undone
	// loaded holds the rows read at open plus every batch committed since,
	// until the first Load hands them over.
	loaded map[string]map[string][]byte
}

// maxBatch is the largest batch the journal reader accepts; Commit refuses
// bigger ones rather than acknowledge a batch that open would discard.
const maxBatch = 1 << 30

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// OpenDiskBackend opens (creating if needed) the backend in dir. It fails
// when the folder is in use by another DiskBackend, here or in another
// process, or when its journal cannot be read and compacted.
func OpenDiskBackend(dir string) (*DiskBackend, error) {
	for _, d := range []string{dir, filepath.Join(dir, "blobs"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("dropboxemu: create data folder: %w", err)
		}
	}
	// Make the folders themselves durable before anything is stored in them.
	// The parent may not be readable; its sync is best effort.
	_ = syncDir(filepath.Dir(filepath.Clean(dir)))
	if err := syncDir(dir); err != nil {
		return nil, fmt.Errorf("dropboxemu: create data folder: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "LOCK"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("dropboxemu: open lock file: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		lock.Close()
		return nil, fmt.Errorf("dropboxemu: data folder %s is in use by another emulator: %w", dir, err)
	}
	d := &DiskBackend{dir: dir, lock: lock}
	if err := d.open(); err != nil {
		lock.Close()
		return nil, err
	}
	return d, nil
}

func (d *DiskBackend) journalPath() string { return filepath.Join(d.dir, "journal.log") }

// open replays the journal into memory and rewrites it compacted.
func (d *DiskBackend) open() error {
	rows := map[string]map[string][]byte{}
	f, err := os.Open(d.journalPath())
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("dropboxemu: open journal: %w", err)
	default:
		err = readJournal(bufio.NewReaderSize(f, 1<<20), func(ops []Op) {
			applyOps(rows, ops)
		})
		f.Close()
		if err != nil {
			return fmt.Errorf("dropboxemu: read journal: %w", err)
		}
	}
	// Write the live rows as a fresh journal and swap it in atomically.
	tmp := filepath.Join(d.dir, "journal.log.tmp")
	nf, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("dropboxemu: compact journal: %w", err)
	}
	w := bufio.NewWriterSize(nf, 1<<20)
	var batch []Op
	var size int
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := w.Write(encodeBatch(batch))
		batch, size = batch[:0], 0
		return err
	}
	for t, kv := range rows {
		for k, v := range kv {
			batch = append(batch, Op{Table: t, Key: k, Value: v})
			size += len(v) + len(k)
			if size > 4<<20 {
				if err := flush(); err != nil {
					nf.Close()
					return fmt.Errorf("dropboxemu: compact journal: %w", err)
				}
			}
		}
	}
	if err := flush(); err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = nf.Sync()
	}
	if cerr := nf.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, d.journalPath())
	}
	if err == nil {
		err = syncDir(d.dir)
	}
	if err != nil {
		return fmt.Errorf("dropboxemu: compact journal: %w", err)
	}
	d.journal, err = os.OpenFile(d.journalPath(), os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("dropboxemu: open journal: %w", err)
	}
	st, err := d.journal.Stat()
	if err != nil {
		d.journal.Close()
		return fmt.Errorf("dropboxemu: open journal: %w", err)
	}
	d.size = st.Size()
	d.loaded = rows
	// Leftovers of blob writes that never completed.
	entries, _ := os.ReadDir(filepath.Join(d.dir, "tmp"))
	for _, e := range entries {
		os.Remove(filepath.Join(d.dir, "tmp", e.Name()))
	}
	return nil
}

func applyOps(rows map[string]map[string][]byte, ops []Op) {
	for _, op := range ops {
		t := rows[op.Table]
		if op.Value == nil {
			delete(t, op.Key)
			continue
		}
		if t == nil {
			t = map[string][]byte{}
			rows[op.Table] = t
		}
		t[op.Key] = op.Value
	}
}

// encodeBatch frames a batch: uint32 length, uint32 CRC-32C, payload.
// The payload is, per op: uvarint len + table, uvarint len + key, one byte
// (0 delete, 1 put), and for a put uvarint len + value.
func encodeBatch(ops []Op) []byte {
	n := 8
	for _, op := range ops {
		n += 3*binary.MaxVarintLen64 + 1 + len(op.Table) + len(op.Key) + len(op.Value)
	}
	b := make([]byte, 8, n)
	for _, op := range ops {
		b = binary.AppendUvarint(b, uint64(len(op.Table)))
		b = append(b, op.Table...)
		b = binary.AppendUvarint(b, uint64(len(op.Key)))
		b = append(b, op.Key...)
		if op.Value == nil {
			b = append(b, 0)
			continue
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(len(op.Value)))
		b = append(b, op.Value...)
	}
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(b)-8))
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], crcTable))
	return b
}

// readJournal calls fn for each intact batch. A torn or corrupt batch ends
// the journal: it and anything after it were never acknowledged.
func readJournal(r io.Reader, fn func([]Op)) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		n := binary.LittleEndian.Uint32(hdr[0:4])
		if n > maxBatch {
			return nil
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(r, payload); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil
			}
			return err
		}
		if crc32.Checksum(payload, crcTable) != binary.LittleEndian.Uint32(hdr[4:8]) {
			return nil
		}
		ops, ok := decodeBatch(payload)
		if !ok {
			return nil
		}
		fn(ops)
	}
}

func decodeBatch(p []byte) ([]Op, bool) {
	var ops []Op
	next := func() ([]byte, bool) {
		l, k := binary.Uvarint(p)
		if k <= 0 || uint64(len(p)-k) < l {
			return nil, false
		}
		s := p[k : k+int(l)]
		p = p[k+int(l):]
		return s, true
	}
	for len(p) > 0 {
		t, ok := next()
		if !ok {
			return nil, false
		}
		key, ok := next()
		if !ok || len(p) == 0 {
			return nil, false
		}
		flag := p[0]
		p = p[1:]
		op := Op{Table: string(t), Key: string(key)}
		if flag == 1 {
			v, ok := next()
			if !ok {
				return nil, false
			}
			op.Value = append([]byte{}, v...)
		}
		ops = append(ops, op)
	}
	return ops, true
}

// Load implements Backend. The first call hands over the rows kept since
// open (kept current by Commit) and releases them; a later call, which the
// emulator makes only to recover from a failed commit, reads the journal again.
func (d *DiskBackend) Load(fn func(table, key string, value []byte) error) error {
	d.mu.Lock()
	rows := d.loaded
	if rows == nil {
		// A second Load: re-read the journal.
		rows = map[string]map[string][]byte{}
		f, err := os.Open(d.journalPath())
		if err != nil {
			d.mu.Unlock()
			return fmt.Errorf("dropboxemu: open journal: %w", err)
		}
		err = readJournal(bufio.NewReaderSize(f, 1<<20), func(ops []Op) { applyOps(rows, ops) })
		f.Close()
		if err != nil {
			d.mu.Unlock()
			return fmt.Errorf("dropboxemu: read journal: %w", err)
		}
	}
	d.loaded = nil
	d.mu.Unlock()
	for t, kv := range rows {
		for k, v := range kv {
			if err := fn(t, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Commit implements Backend. A batch whose write or sync fails is cut off
// the journal again, so that it cannot hide the batches acknowledged after
// it; if even that fails, every later Commit fails too.
func (d *DiskBackend) Commit(ops []Op) error {
	if len(ops) == 0 {
		return nil
	}
	b := encodeBatch(ops)
	if len(b)-8 > maxBatch {
		return fmt.Errorf("dropboxemu: batch of %d bytes is too large", len(b)-8)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.journal == nil {
		return errors.New("dropboxemu: disk backend is closed")
	}
	if d.broken != nil {
		return fmt.Errorf("dropboxemu: journal unusable after an earlier failure: %w", d.broken)
	}
	_, err := d.journal.Write(b)
	if err != nil {
		err = fmt.Errorf("dropboxemu: write journal: %w", err)
	} else if err = d.journal.Sync(); err != nil {
		err = fmt.Errorf("dropboxemu: sync journal: %w", err)
	}
	if err != nil {
		if terr := d.journal.Truncate(d.size); terr != nil {
			d.broken = err
		}
		return err
	}
	d.size += int64(len(b))
	if d.loaded != nil {
		applyOps(d.loaded, ops)
	}
	return nil
}

func (d *DiskBackend) blobPath(id string) (string, error) {
	if len(id) < 3 || strings.ContainsAny(id, `/\.`) {
		return "", fmt.Errorf("dropboxemu: bad blob id %q", id)
	}
	return filepath.Join(d.dir, "blobs", id[:2], id), nil
}

// PutBlob implements Backend. The blob is written under tmp/ and linked
// into place, which fails when the id exists, so that two writers of one id
// cannot both succeed.
func (d *DiskBackend) PutBlob(id string, data []byte) error {
	p, err := d.blobPath(id)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(p); err == nil {
		return fmt.Errorf("dropboxemu: blob %s exists", id)
	}
	if err := d.blobDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("dropboxemu: store blob: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Join(d.dir, "tmp"), id+"-*")
	if err != nil {
		return fmt.Errorf("dropboxemu: store blob: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("dropboxemu: store blob: %w", err)
	}
	if err := os.Link(tmp.Name(), p); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("dropboxemu: blob %s exists", id)
		}
		// A file system without hard links: rename, which cannot refuse an
		// existing id atomically, after checking again.
		if _, serr := os.Lstat(p); serr == nil {
			return fmt.Errorf("dropboxemu: blob %s exists", id)
		}
		if rerr := os.Rename(tmp.Name(), p); rerr != nil {
			return fmt.Errorf("dropboxemu: store blob: %w", errors.Join(err, rerr))
		}
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("dropboxemu: store blob: %w", err)
	}
	return nil
}

// blobDir makes sure the fan-out folder dir exists, and that its own entry
// in blobs/ is durable before a blob is linked into it.
func (d *DiskBackend) blobDir(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return syncDir(filepath.Dir(dir))
}

// OpenBlob implements Backend.
func (d *DiskBackend) OpenBlob(id string) (Blob, error) {
	p, err := d.blobPath(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrBlobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("dropboxemu: open blob: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("dropboxemu: open blob: %w", err)
	}
	return fileBlob{File: f, size: st.Size()}, nil
}

type fileBlob struct {
	*os.File
	size int64
}

func (b fileBlob) Size() int64 { return b.size }

// DeleteBlob implements Backend.
func (d *DiskBackend) DeleteBlob(id string) error {
	p, err := d.blobPath(id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dropboxemu: delete blob: %w", err)
	}
	return nil
}

// ListBlobs implements Backend.
func (d *DiskBackend) ListBlobs(fn func(id string) error) error {
	root := filepath.Join(d.dir, "blobs")
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		return fn(e.Name())
	})
}

// Close implements Backend.
func (d *DiskBackend) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var err error
	if d.journal != nil {
		err = d.journal.Close()
		d.journal = nil
	}
	if d.lock != nil {
		d.lock.Close()
		d.lock = nil
	}
	return err
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
