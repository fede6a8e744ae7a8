package dropboxemu_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
)

func TestSDKSmoke(t *testing.T) {
	t.Parallel()
	_, _, cfg := newSDKAccount(t)
	fc := files.New(cfg)
	meta, err := fc.Upload(&files.UploadArg{CommitInfo: files.CommitInfo{Path: "/a/b.txt", Mode: &files.WriteMode{Tagged: dropbox.Tagged{Tag: files.WriteModeAdd}}}}, bytes.NewReader([]byte("data")))
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if meta.PathDisplay != "/a/b.txt" || meta.Size != 4 || meta.ContentHash == "" {
		t.Errorf("upload = %+v", meta)
	}
	_, rc, err := fc.Download(files.NewDownloadArg("/A/B.TXT"))
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "data" {
		t.Errorf("download = %q", b)
	}
	_, err = fc.GetMetadata(files.NewGetMetadataArg("/missing"))
	var gme files.GetMetadataAPIError
	if !asErr(err, &gme) || gme.EndpointError == nil || gme.EndpointError.Path == nil || gme.EndpointError.Path.Tag != files.LookupErrorNotFound {
		t.Fatalf("get_metadata missing: %v", err)
	}
}
