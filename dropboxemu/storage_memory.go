package dropboxemu

import (
	"bytes"
	"fmt"
	"sync"
)

// MemoryBackend keeps everything in memory; state is lost with the process.
type MemoryBackend struct {
	mu    sync.RWMutex
	rows  map[string]map[string][]byte
	blobs map[string][]byte
}

// NewMemoryBackend returns an empty in-memory backend.
func NewMemoryBackend() *MemoryBackend {
	return &MemoryBackend{rows: map[string]map[string][]byte{}, blobs: map[string][]byte{}}
}

// Load implements Backend.
func (m *MemoryBackend) Load(fn func(table, key string, value []byte) error) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for t, rows := range m.rows {
		for k, v := range rows {
			if err := fn(t, k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// Commit implements Backend.
func (m *MemoryBackend) Commit(ops []Op) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, op := range ops {
		t := m.rows[op.Table]
		if op.Value == nil {
			delete(t, op.Key)
			continue
		}
		if t == nil {
			t = map[string][]byte{}
			m.rows[op.Table] = t
		}
		t[op.Key] = op.Value
	}
	return nil
}

// PutBlob implements Backend.
func (m *MemoryBackend) PutBlob(id string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.blobs[id]; ok {
		return fmt.Errorf("dropboxemu: blob %s exists", id)
	}
	m.blobs[id] = data
	return nil
}

// OpenBlob implements Backend.
func (m *MemoryBackend) OpenBlob(id string) (Blob, error) {
	m.mu.RLock()
	b, ok := m.blobs[id]
	m.mu.RUnlock()
	if !ok {
		return nil, ErrBlobNotFound
	}
	return memBlob{bytes.NewReader(b)}, nil
}

// DeleteBlob implements Backend.
func (m *MemoryBackend) DeleteBlob(id string) error {
	m.mu.Lock()
	delete(m.blobs, id)
	m.mu.Unlock()
	return nil
}

// ListBlobs implements Backend.
func (m *MemoryBackend) ListBlobs(fn func(id string) error) error {
	m.mu.RLock()
	ids := make([]string, 0, len(m.blobs))
	for id := range m.blobs {
		ids = append(ids, id)
	}
	m.mu.RUnlock()
	for _, id := range ids {
		if err := fn(id); err != nil {
			return err
		}
	}
	return nil
}

// Close implements Backend.
func (m *MemoryBackend) Close() error { return nil }

type memBlob struct{ *bytes.Reader }

func (memBlob) Close() error { return nil }
