package httpapi

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestParseRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   byteRange
		ok     bool
	}{
		{"bytes=0-9", byteRange{offset: 0, length: 10}, true},
		{"bytes=100-", byteRange{offset: 100}, true},
		{"bytes=-5", byteRange{length: 5, suffix: true}, true},
		{"bytes=-0", byteRange{length: 0, suffix: true}, true},
		{" bytes= 7-7 ", byteRange{offset: 7, length: 1}, true},
		{"", byteRange{}, false},
		{"bytes=", byteRange{}, false},
		{"bytes=-", byteRange{}, false},
		{"bytes=9-0", byteRange{}, false},
		{"bytes=0-1,4-5", byteRange{}, false},
		{"bytes=a-b", byteRange{}, false},
		{"bytes=+1-2", byteRange{}, false},
		{"bytes=99999999999999999999-", byteRange{}, false},
		{"items=0-9", byteRange{}, false},
	}
	for _, tc := range tests {
		got, ok := parseRange(tc.header)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRange(%q) = %+v, %v; want %+v, %v", tc.header, got, ok, tc.want, tc.ok)
		}
	}
}

// endError is a reader of data that ends with err instead of io.EOF, as a
// download whose bytes do not match their content hash does.
type endError struct {
	r   io.Reader
	err error
}

func (e *endError) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		err = e.err
	}
	return n, err
}

func TestCopyHoldingLast(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 100_000)
	damaged := errors.New("content hash mismatch")
	tests := []struct {
		name    string
		r       io.Reader
		n       int64
		wantErr bool
		wantLen int // bytes written
	}{
		{"whole", bytes.NewReader(data), int64(len(data)), false, len(data)},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(data[:5000])), 5000, false, 5000},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(data[:10])), 10, false, 10},
		{"empty", bytes.NewReader(nil), 0, false, 0},
		{"damaged at the end: the last byte is held back", &endError{bytes.NewReader(data), damaged}, int64(len(data)), true, len(data) - 1},
		{"short", bytes.NewReader(data[:10]), 11, true, 10},
		{"long", bytes.NewReader(data[:12]), 11, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var w bytes.Buffer
			err := copyHoldingLast(&w, tc.r, tc.n)
			if (err != nil) != tc.wantErr {
				t.Errorf("error %v, want error %v", err, tc.wantErr)
			}
			if w.Len() != tc.wantLen || !bytes.Equal(w.Bytes(), data[:w.Len()]) {
				t.Errorf("wrote %d bytes, want %d, a prefix of the data", w.Len(), tc.wantLen)
			}
		})
	}
}
