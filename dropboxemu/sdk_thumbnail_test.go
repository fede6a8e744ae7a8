package dropboxemu_test

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"testing"

	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox"
	"github.com/dropbox/dropbox-sdk-go-unofficial/v6/dropbox/files"
)

// featPNG encodes an image as PNG.
func featPNG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// featHalves is a w×h image, red on the left half and blue on the right.
func featHalves(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.NRGBA{B: 255, A: 255}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

// featThumb asks for a thumbnail of path and returns its metadata and bytes.
func featThumb(t *testing.T, fc files.ContextClient, path, format, size, mode string, keepAlpha bool) (*files.PreviewResult, []byte, error) {
	t.Helper()
	arg := files.NewThumbnailV2Arg(&files.PathOrLink{Tagged: dropbox.Tagged{Tag: files.PathOrLinkPath}, Path: path})
	if format != "" {
		arg.Format = &files.ThumbnailFormat{Tagged: dropbox.Tagged{Tag: format}}
	}
	if size != "" {
		arg.Size = &files.ThumbnailSize{Tagged: dropbox.Tagged{Tag: size}}
	}
	if mode != "" {
		arg.Mode = &files.ThumbnailMode{Tagged: dropbox.Tagged{Tag: mode}}
	}
	arg.PreserveTransparency = keepAlpha
	res, rc, err := fc.GetThumbnailV2Context(t.Context(), arg)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return res, b, nil
}

// featDecode decodes a jpeg, png or gif thumbnail.
func featDecode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode thumbnail: %v", err)
	}
	return img
}

// featWebPSize reads the size from a lossless WebP's header.
func featWebPSize(t *testing.T, b []byte) (int, int) {
	t.Helper()
	if len(b) < 25 || string(b[0:4]) != "RIFF" || string(b[8:16]) != "WEBPVP8L" || b[20] != 0x2f {
		t.Fatalf("not a lossless WebP: % x", b[:min(len(b), 25)])
	}
	if int(binary.LittleEndian.Uint32(b[4:])) != len(b)-8 {
		t.Errorf("RIFF size %d, file %d", binary.LittleEndian.Uint32(b[4:]), len(b))
	}
	v := binary.LittleEndian.Uint32(b[21:])
	return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1
}

func TestThumbnailFormatsAndScaling(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	meta := coreOverwrite(t, fc, "/Pics/halves.png", featPNG(t, featHalves(300, 200)))

	res, b, err := featThumb(t, fc, "/pics/HALVES.png", "", "", "", false)
	if err != nil {
		t.Fatalf("get_thumbnail_v2: %v", err)
	}
	if res.FileMetadata == nil || res.FileMetadata.Id != meta.Id || res.FileMetadata.Rev != meta.Rev || res.LinkMetadata != nil {
		t.Errorf("result = %+v", res)
	}
	img := featDecode(t, b)
	if _, err := jpeg.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Errorf("default format is not jpeg: %v", err)
	}
	if got := img.Bounds().Size(); got != image.Pt(64, 43) {
		t.Errorf("w64h64 strict of 300x200 = %v", got)
	}
	// The scaled image keeps its halves.
	r, _, bl, _ := img.At(10, 20).RGBA()
	if r>>8 < 200 || bl>>8 > 60 {
		t.Errorf("left pixel = %v", img.At(10, 20))
	}
	r, _, bl, _ = img.At(54, 20).RGBA()
	if bl>>8 < 200 || r>>8 > 60 {
		t.Errorf("right pixel = %v", img.At(54, 20))
	}

	_, b, err = featThumb(t, fc, "/Pics/halves.png", files.ThumbnailFormatPng, files.ThumbnailSizeW128h128, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(b)); err != nil {
		t.Errorf("png format: %v", err)
	}
	if got := featDecode(t, b).Bounds().Size(); got != image.Pt(128, 85) {
		t.Errorf("w128h128 = %v", got)
	}
	_, b, err = featThumb(t, fc, "/Pics/halves.png", files.ThumbnailFormatWebp, files.ThumbnailSizeW256h256, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if w, h := featWebPSize(t, b); w != 256 || h != 171 {
		t.Errorf("webp w256h256 = %dx%d", w, h)
	}
}

func TestThumbnailModes(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	coreOverwrite(t, fc, "/tall.png", featPNG(t, featHalves(400, 800)))
	for _, tc := range []struct {
		mode string
		want image.Point
	}{
		{files.ThumbnailModeStrict, image.Pt(160, 320)},
		{files.ThumbnailModeBestfit, image.Pt(240, 480)},
		{files.ThumbnailModeFitoneBestfit, image.Pt(320, 640)},
		{files.ThumbnailModeOriginal, image.Pt(400, 800)},
	} {
		_, b, err := featThumb(t, fc, "/tall.png", files.ThumbnailFormatPng, files.ThumbnailSizeW480h320, tc.mode, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.mode, err)
		}
		if got := featDecode(t, b).Bounds().Size(); got != tc.want {
			t.Errorf("%s of 400x800 in w480h320 = %v, want %v", tc.mode, got, tc.want)
		}
	}
	// Small images are never scaled up.
	coreOverwrite(t, fc, "/small.png", featPNG(t, featHalves(10, 6)))
	_, b, err := featThumb(t, fc, "/small.png", files.ThumbnailFormatPng, files.ThumbnailSizeW2048h1536, files.ThumbnailModeFitoneBestfit, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := featDecode(t, b).Bounds().Size(); got != image.Pt(10, 6) {
		t.Errorf("10x6 thumbnail = %v", got)
	}
}

func TestThumbnailAveragesAndAlpha(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	// A 1-pixel checkerboard averages to mid grey.
	board := image.NewGray(image.Rect(0, 0, 128, 128))
	for y := range 128 {
		for x := range 128 {
			if (x+y)%2 == 0 {
				board.SetGray(x, y, color.Gray{Y: 255})
			}
		}
	}
	coreOverwrite(t, fc, "/board.png", featPNG(t, board))
	_, b, err := featThumb(t, fc, "/board.png", files.ThumbnailFormatPng, files.ThumbnailSizeW32h32, "", false)
	if err != nil {
		t.Fatal(err)
	}
	img := featDecode(t, b)
	for _, p := range []image.Point{{0, 0}, {15, 16}, {31, 31}} {
		if g, _, _, _ := img.At(p.X, p.Y).RGBA(); g>>8 < 120 || g>>8 > 135 {
			t.Errorf("pixel %v = %v, want mid grey", p, img.At(p.X, p.Y))
		}
	}

	// Transparency: kept on request (png), else flattened onto white.
	transparent := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(transparent.Pix); i += 4 {
		transparent.Pix[i], transparent.Pix[i+3] = 255, 0
	}
	coreOverwrite(t, fc, "/clear.png", featPNG(t, transparent))
	_, b, err = featThumb(t, fc, "/clear.png", files.ThumbnailFormatPng, files.ThumbnailSizeW32h32, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, a := featDecode(t, b).At(5, 5).RGBA(); a != 0 {
		t.Errorf("preserved alpha = %d", a)
	}
	_, b, err = featThumb(t, fc, "/clear.png", files.ThumbnailFormatPng, files.ThumbnailSizeW32h32, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if got := color.NRGBAModel.Convert(featDecode(t, b).At(5, 5)); got != (color.NRGBA{255, 255, 255, 255}) {
		t.Errorf("flattened pixel = %v", got)
	}
}

func TestThumbnailSourceFormats(t *testing.T) {
	t.Parallel()
	_, fc := featSetup(t)
	src := featHalves(80, 40)
	var jb, gb bytes.Buffer
	if err := jpeg.Encode(&jb, src, nil); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&gb, src, nil); err != nil {
		t.Fatal(err)
	}
	ppm := append([]byte("P6\n# comment\n80 40\n255\n"), make([]byte, 80*40*3)...)
	bmp := make([]byte, 54+80*40*3)
	copy(bmp, "BM")
	binary.LittleEndian.PutUint32(bmp[10:], 54)
	binary.LittleEndian.PutUint32(bmp[14:], 40)
	binary.LittleEndian.PutUint32(bmp[18:], 80)
	binary.LittleEndian.PutUint32(bmp[22:], 40)
	binary.LittleEndian.PutUint16(bmp[26:], 1)
	binary.LittleEndian.PutUint16(bmp[28:], 24)
	for name, data := range map[string][]byte{"/a.JPG": jb.Bytes(), "/a.gif": gb.Bytes(), "/a.ppm": ppm, "/a.bmp": bmp} {
		coreOverwrite(t, fc, name, data)
		_, b, err := featThumb(t, fc, name, files.ThumbnailFormatPng, files.ThumbnailSizeW32h32, "", false)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := featDecode(t, b).Bounds().Size(); got != image.Pt(32, 16) {
			t.Errorf("%s thumbnail = %v", name, got)
		}
	}
}

func TestThumbnailErrors(t *testing.T) {
	t.Parallel()
	emu, acct, cfg := newSDKAccount(t)
	fc := files.NewContext(cfg)
	coreOverwrite(t, fc, "/notes.txt", []byte("text"))
	coreOverwrite(t, fc, "/broken.png", []byte("\x89PNG\r\n\x1a\nnot really"))
	coreOverwrite(t, fc, "/photo.tiff", []byte("II*\x00"))
	// A valid image beyond 20 MiB is not thumbnailed.
	big := append(featPNG(t, featHalves(8, 8)), make([]byte, 20<<20)...)
	coreOverwrite(t, fc, "/huge.png", big)
	coreMkdir(t, fc, "/dir.png")

	thumbErr := func(path string) *files.ThumbnailV2Error {
		t.Helper()
		_, _, err := featThumb(t, fc, path, "", "", "", false)
		return coreAPIErr[files.GetThumbnailV2APIError](t, err).EndpointError
	}
	for _, tc := range []struct{ path, tag, lookup string }{
		{"/notes.txt", files.ThumbnailV2ErrorUnsupportedExtension, ""},
		{"/broken.png", files.ThumbnailV2ErrorUnsupportedImage, ""},
		{"/photo.tiff", files.ThumbnailV2ErrorUnsupportedImage, ""},
		{"/huge.png", files.ThumbnailV2ErrorUnsupportedImage, ""},
		{"/missing.png", files.ThumbnailV2ErrorPath, files.LookupErrorNotFound},
		{"/dir.png", files.ThumbnailV2ErrorPath, files.LookupErrorNotFile},
	} {
		e := thumbErr(tc.path)
		got := e.Tag
		if e.Path != nil {
			got += "/" + e.Path.Tag
		}
		want := tc.tag
		if tc.lookup != "" {
			want += "/" + tc.lookup
		}
		if got != want {
			t.Errorf("%s: error %s, want %s", tc.path, got, want)
		}
	}

	// The Go SDK does not inline a struct member of a union: it sends
	// {".tag":"link","link":{...}}, which the spec's JSON form refuses.
	arg := files.NewThumbnailV2Arg(&files.PathOrLink{Tagged: dropbox.Tagged{Tag: files.PathOrLinkLink},
		Link: &files.SharedLinkFileInfo{Url: "https://www.dropbox.com/s/abc/x.png"}})
	_, _, err := fc.GetThumbnailV2Context(t.Context(), arg)
	featBadRequest(t, err)
	// In the spec's form the emulator has no shared link it could name.
	raw := do(t, emu, rawCall{Route: "files/get_thumbnail_v2", Token: acct.AccessToken, Style: "download",
		Arg: map[string]any{"resource": map[string]any{".tag": "link", "url": "https://www.dropbox.com/s/abc/x.png"}}})
	if raw.Status != 409 {
		t.Fatalf("link resource: %d %s", raw.Status, raw.Body)
	}
	if e := raw.json(t)["error"].(map[string]any); e[".tag"] != "not_found" {
		t.Errorf("link resource error = %v", e)
	}
	// Transparency cannot be kept in a jpeg; unknown sizes are refused.
	_, _, err = featThumb(t, fc, "/huge.png", files.ThumbnailFormatJpeg, "", "", true)
	featBadRequest(t, err)
	_, _, err = featThumb(t, fc, "/huge.png", "", "w1h1", "", false)
	featBadRequest(t, err)
	_, _, err = featThumb(t, fc, "relative.png", "", "", "", false)
	featBadRequest(t, err)
}
