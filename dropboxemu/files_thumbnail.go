package dropboxemu

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"
	"math/bits"
	"slices"
	"strconv"
)

func init() {
	register("files/get_thumbnail_v2", (*Server).getThumbnailV2)
}

// Thumbnail limits: Dropbox does not thumbnail photos above 20 MB; the
// emulator also refuses images of more than thumbMaxPixels pixels, which it
// would have to hold in memory whole.
const (
	thumbMaxFile   = 20 << 20
	thumbMaxPixels = 100_000_000
)

// thumbExtensions are the extensions get_thumbnail_v2 accepts (its
// documentation). The emulator decodes jpeg, png, gif, ppm and
// uncompressed bmp; tiff and webp files answer unsupported_image.
var thumbExtensions = []string{"jpg", "jpeg", "png", "tiff", "tif", "gif", "webp", "ppm", "bmp"}

// thumbSizes are the ThumbnailSize members.
var thumbSizes = map[string][2]int{
	"w32h32": {32, 32}, "w64h64": {64, 64}, "w128h128": {128, 128}, "w256h256": {256, 256},
	"w480h320": {480, 320}, "w640h480": {640, 480}, "w960h640": {960, 640},
	"w1024h768": {1024, 768}, "w2048h1536": {2048, 1536}, "w3200h2400": {3200, 2400},
}

type thumbnailV2Arg struct {
	Resource             *Tag  `json:"resource" union:"path=value link{url!,path,password}"`
	Format               *Tag  `json:"format,omitempty" union:"jpeg png webp"`
	Size                 *Tag  `json:"size,omitempty" union:"w32h32 w64h64 w128h128 w256h256 w480h320 w640h480 w960h640 w1024h768 w2048h1536 w3200h2400"`
	Mode                 *Tag  `json:"mode,omitempty" union:"strict bestfit fitone_bestfit original"`
	Quality              *Tag  `json:"quality,omitempty" union:"quality_80 quality_90"`
	ExcludeMediaInfo     *bool `json:"exclude_media_info,omitempty"`
	PreserveTransparency *bool `json:"preserve_transparency,omitempty"`
}

// thumbSpec is a checked ThumbnailV2Arg, less its resource.
type thumbSpec struct {
	format   string // jpeg, png, webp
	w, h     int
	mode     string // strict, bestfit, fitone_bestfit, original
	quality  int
	keepAlfa bool
}

func (c *call) thumbSpec(arg *thumbnailV2Arg) (thumbSpec, error) {
	sp := thumbSpec{format: "jpeg", w: 64, h: 64, mode: "strict", quality: 80}
	if arg.Format != nil {
		switch arg.Format.Name {
		case "jpeg", "png", "webp":
			sp.format = arg.Format.Name
		default:
			return sp, c.badArg("format: unknown tag '%s'", arg.Format.Name)
		}
	}
	if arg.Size != nil {
		wh, ok := thumbSizes[arg.Size.Name]
		if !ok {
			return sp, c.badArg("size: unknown tag '%s'", arg.Size.Name)
		}
		sp.w, sp.h = wh[0], wh[1]
	}
	if arg.Mode != nil {
		switch arg.Mode.Name {
		case "strict", "bestfit", "fitone_bestfit", "original":
			sp.mode = arg.Mode.Name
		default:
			return sp, c.badArg("mode: unknown tag '%s'", arg.Mode.Name)
		}
	}
	if arg.Quality != nil {
		switch arg.Quality.Name {
		case "quality_80":
		case "quality_90":
			sp.quality = 90
		default:
			return sp, c.badArg("quality: unknown tag '%s'", arg.Quality.Name)
		}
	}
	if arg.PreserveTransparency != nil && *arg.PreserveTransparency {
		if sp.format == "jpeg" {
			return sp, c.badArg("preserve_transparency: only supported with the png and webp formats")
		}
		sp.keepAlfa = true
	}
	return sp, nil
}

func (s *Server) getThumbnailV2(c *call) (any, error) {
	var arg thumbnailV2Arg
	if err := c.decode(&arg, "resource"); err != nil {
		return nil, err
	}
	if arg.Resource == nil {
		return nil, c.badArg("resource: expected string or object, got null")
	}
	sp, err := c.thumbSpec(&arg)
	if err != nil {
		return nil, err
	}
	var p parsedPath
	switch arg.Resource.Name {
	case "path":
		raw, ok := arg.Resource.Fields["path"]
		var path string
		if !ok || decodeStrict(raw, &path) != nil {
			return nil, c.badArg("resource: path: expected a string")
		}
		var malformed map[string]any
		p, malformed, err = c.pathArg("resource.path", path, "ReadPath")
		if err != nil {
			return nil, err
		}
		if malformed != nil {
			return nil, routeError(uv("path", malformed))
		}
		if c.acct == nil {
			return nil, badInput(c.route, "A path resource needs a user access token; with app authentication use a shared link.")
		}
	case "link":
		for f := range arg.Resource.Fields {
			if f != "url" && f != "path" && f != "password" {
				return nil, c.badArg("resource: unknown field '%s'", f)
			}
		}
		var url string
		if raw, ok := arg.Resource.Fields["url"]; !ok || decodeStrict(raw, &url) != nil {
			return nil, c.badArg("resource: link: missing required field 'url'")
		}
		// The emulator has no shared links that could resolve it.
		return nil, routeError(u("not_found"))
	default:
		return nil, c.badArg("resource: unknown tag '%s'", arg.Resource.Name)
	}

	s.mu.RLock()
	e, lerr := s.readFile(c.acct, p)
	s.mu.RUnlock()
	if lerr != nil {
		return nil, routeError(uv("path", lerr))
	}
	if !slices.Contains(thumbExtensions, fileExt(e.PathLower)) {
		return nil, routeError(u("unsupported_extension"))
	}
	if e.Size > thumbMaxFile {
		return nil, routeError(u("unsupported_image"))
	}
	// Blobs never change, so the content is read without the lock.
	data, err := s.readContent(e.Content, e.Size)
	if err != nil {
		return nil, err
	}
	body, terr := makeThumbnail(data, sp)
	if terr != nil {
		return nil, routeError(terr)
	}
	return &download{Result: map[string]any{"file_metadata": fileMetaNoTag(c.view().place(e))}, Body: body, Size: int64(len(body))}, nil
}

// makeThumbnail decodes an image, scales it down and encodes it, or
// returns a ThumbnailV2Error value.
func makeThumbnail(data []byte, sp thumbSpec) ([]byte, map[string]any) {
	src, err := decodeImage(data)
	if err != nil {
		return nil, u("unsupported_image")
	}
	b := src.Bounds()
	w, h := thumbDims(b.Dx(), b.Dy(), sp)
	rgba := image.NewRGBA(b)
	draw.Draw(rgba, b, src, b.Min, draw.Src)
	out := scaleArea(rgba, w, h)
	if !sp.keepAlfa {
		flattenOnWhite(out)
	}
	var buf bytes.Buffer
	switch sp.format {
	case "jpeg":
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: sp.quality})
	case "png":
		err = png.Encode(&buf, out)
	case "webp":
		var b []byte
		b, err = encodeWebPLossless(out)
		buf.Write(b)
	}
	if err != nil {
		return nil, u("conversion_error")
	}
	return buf.Bytes(), nil
}

// thumbDims is the size of the thumbnail of a w×h image. Images are only
// ever scaled down.
func thumbDims(w, h int, sp thumbSpec) (int, int) {
	fw, fh := float64(w), float64(h)
	bw, bh := float64(sp.w), float64(sp.h)
	var f float64
	switch sp.mode {
	case "strict": // fit inside the box
		f = min(bw/fw, bh/fh)
	case "bestfit": // fit inside the box or its transpose, whichever is bigger
		f = max(min(bw/fw, bh/fh), min(bh/fw, bw/fh))
	case "fitone_bestfit": // cover the box or its transpose, whichever is smaller
		f = min(max(bw/fw, bh/fh), max(bh/fw, bw/fh))
	default: // original
		f = 1
	}
	f = min(f, 1)
	return max(1, int(math.Round(fw*f))), max(1, int(math.Round(fh*f)))
}

// decodeImage decodes the formats the standard library knows (jpeg, png,
// gif) and the simple ppm and uncompressed bmp.
func decodeImage(data []byte) (image.Image, error) {
	var cfg image.Config
	var decode func(io.Reader) (image.Image, error)
	var err error
	r := bytes.NewReader(data)
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8")):
		cfg, err = jpeg.DecodeConfig(r)
		decode = jpeg.Decode
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		cfg, err = png.DecodeConfig(r)
		decode = png.Decode
	case bytes.HasPrefix(data, []byte("GIF8")):
		cfg, err = gif.DecodeConfig(r)
		decode = gif.Decode
	case bytes.HasPrefix(data, []byte("P6")) || bytes.HasPrefix(data, []byte("P3")):
		return decodePPM(data)
	case bytes.HasPrefix(data, []byte("BM")):
		return decodeBMP(data)
	default:
		return nil, errors.New("unknown image format")
	}
	if err != nil {
		return nil, err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > thumbMaxPixels {
		return nil, errors.New("image too large")
	}
	return decode(bytes.NewReader(data))
}

// decodePPM decodes a binary (P6) or text (P3) portable pixmap.
func decodePPM(data []byte) (image.Image, error) {
	br := bufio.NewReader(bytes.NewReader(data))
	magic := make([]byte, 2)
	if _, err := io.ReadFull(br, magic); err != nil {
		return nil, err
	}
	var nums [3]int
	for i := range nums {
		tok, err := ppmToken(br)
		if err != nil {
			return nil, err
		}
		if nums[i], err = strconv.Atoi(tok); err != nil || nums[i] <= 0 {
			return nil, errors.New("ppm: bad header")
		}
	}
	w, h, maxv := nums[0], nums[1], nums[2]
	if maxv > 65535 || int64(w)*int64(h) > thumbMaxPixels {
		return nil, errors.New("ppm: bad header")
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	sample := func() (int, error) {
		if magic[1] == '3' {
			tok, err := ppmToken(br)
			if err != nil {
				return 0, err
			}
			return strconv.Atoi(tok)
		}
		if maxv < 256 {
			b, err := br.ReadByte()
			return int(b), err
		}
		var two [2]byte
		_, err := io.ReadFull(br, two[:])
		return int(two[0])<<8 | int(two[1]), err
	}
	if magic[1] == '6' {
		// A single whitespace byte ends the header of a binary pixmap.
		if _, err := br.ReadByte(); err != nil {
			return nil, err
		}
	}
	for i := 0; i < w*h; i++ {
		for c := 0; c < 3; c++ {
			v, err := sample()
			if err != nil || v > maxv {
				return nil, errors.New("ppm: truncated or bad sample")
			}
			img.Pix[i*4+c] = uint8(v * 255 / maxv)
		}
		img.Pix[i*4+3] = 0xff
	}
	return img, nil
}

// ppmToken reads the next header token, skipping whitespace and comments.
func ppmToken(br *bufio.Reader) (string, error) {
	var tok []byte
	for {
		b, err := br.ReadByte()
		if err != nil {
			if len(tok) > 0 && errors.Is(err, io.EOF) {
				return string(tok), nil
			}
			return "", err
		}
		switch {
		case b == '#' && len(tok) == 0:
			if _, err := br.ReadString('\n'); err != nil {
				return "", err
			}
		case b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\v' || b == '\f':
			if len(tok) > 0 {
				br.UnreadByte()
				return string(tok), nil
			}
		default:
			if len(tok) > 10 {
				return "", errors.New("ppm: token too long")
			}
			tok = append(tok, b)
		}
	}
}

// decodeBMP decodes an uncompressed 24 or 32 bit Windows bitmap.
func decodeBMP(data []byte) (image.Image, error) {
	if len(data) < 54 {
		return nil, errors.New("bmp: short header")
	}
	le := binary.LittleEndian
	off := int64(le.Uint32(data[10:]))
	w := int64(int32(le.Uint32(data[18:])))
	h := int64(int32(le.Uint32(data[22:])))
	bpp := le.Uint16(data[28:])
	compression := le.Uint32(data[30:])
	if (bpp != 24 && bpp != 32) || (compression != 0 && compression != 3) || w <= 0 || h == 0 {
		return nil, errors.New("bmp: unsupported variant")
	}
	topDown := h < 0
	if topDown {
		h = -h
	}
	if w*h > thumbMaxPixels {
		return nil, errors.New("bmp: too large")
	}
	stride := (w*int64(bpp)/8 + 3) &^ 3
	if off < 0 || off+stride*h > int64(len(data)) {
		return nil, errors.New("bmp: truncated")
	}
	img := image.NewNRGBA(image.Rect(0, 0, int(w), int(h)))
	for y := int64(0); y < h; y++ {
		row := off + y*stride
		dy := h - 1 - y
		if topDown {
			dy = y
		}
		for x := int64(0); x < w; x++ {
			p := data[row+x*int64(bpp)/8:]
			i := img.PixOffset(int(x), int(dy))
			img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = p[2], p[1], p[0], 0xff
		}
	}
	return img, nil
}

// boxContrib is one source pixel's share in a destination pixel.
type boxContrib struct {
	i int
	w float32
}

// boxWeights gives, for each of dstN pixels, the source pixels it covers
// and by how much (area averaging; the weights of each sum to 1).
func boxWeights(srcN, dstN int) [][]boxContrib {
	scale := float64(srcN) / float64(dstN)
	out := make([][]boxContrib, dstN)
	for d := range out {
		start, end := float64(d)*scale, float64(d+1)*scale
		for i := int(start); i < srcN && float64(i) < end; i++ {
			cover := min(end, float64(i+1)) - max(start, float64(i))
			if cover > 1e-9 {
				out[d] = append(out[d], boxContrib{i, float32(cover / scale)})
			}
		}
	}
	return out
}

// scaleArea resizes src (premultiplied) to w×h by area averaging, one
// source row at a time so that memory stays two rows beyond the images.
func scaleArea(src *image.RGBA, w, h int) *image.RGBA {
	b := src.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	if b.Dx() == w && b.Dy() == h {
		copy(dst.Pix, src.Pix)
		return dst
	}
	cols, rows := boxWeights(b.Dx(), w), boxWeights(b.Dy(), h)
	rowBuf := make([]float32, w*4)
	rowAt := -1
	hrow := func(sy int) []float32 {
		if sy == rowAt {
			return rowBuf
		}
		rowAt = sy
		line := src.Pix[sy*src.Stride:]
		for x, cs := range cols {
			var r, g, bl, a float32
			for _, ct := range cs {
				p := line[ct.i*4:]
				r += float32(p[0]) * ct.w
				g += float32(p[1]) * ct.w
				bl += float32(p[2]) * ct.w
				a += float32(p[3]) * ct.w
			}
			rowBuf[x*4], rowBuf[x*4+1], rowBuf[x*4+2], rowBuf[x*4+3] = r, g, bl, a
		}
		return rowBuf
	}
	acc := make([]float32, w*4)
	for y, cs := range rows {
		clear(acc)
		for _, ct := range cs {
			row := hrow(ct.i)
			for i, v := range row {
				acc[i] += v * ct.w
			}
		}
		out := dst.Pix[y*dst.Stride:]
		for i, v := range acc {
			out[i] = uint8(min(255, max(0, v+0.5)))
		}
		// Premultiplied colour may not exceed alpha after rounding.
		for x := 0; x < w; x++ {
			p := out[x*4 : x*4+4]
			p[0], p[1], p[2] = min(p[0], p[3]), min(p[1], p[3]), min(p[2], p[3])
		}
	}
	return dst
}

// flattenOnWhite composites a premultiplied image onto white, as Dropbox
// does unless transparency is to be preserved.
func flattenOnWhite(img *image.RGBA) {
	for i := 0; i < len(img.Pix); i += 4 {
		p := img.Pix[i : i+4]
		gap := 255 - p[3]
		p[0], p[1], p[2], p[3] = p[0]+gap, p[1]+gap, p[2]+gap, 255
	}
}

// encodeWebPLossless writes img as a lossless WebP (VP8L): no transforms,
// no colour cache, literal pixels under fixed 8-bit prefix codes (a channel
// holding one value costs no bits at all). Simple, and as exact as PNG.
func encodeWebPLossless(img *image.RGBA) ([]byte, error) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w < 1 || h < 1 || w > 1<<14 || h > 1<<14 {
		return nil, fmt.Errorf("webp: %dx%d is beyond the format's 16384 pixels", w, h)
	}
	// Un-premultiply into ARGB channels.
	n := w * h
	px := make([][4]uint8, n) // green, red, blue, alpha: the order they are coded in
	var used [4][256]bool
	alpha := false
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p := img.Pix[img.PixOffset(b.Min.X+x, b.Min.Y+y):]
			r, g, bl, a := p[0], p[1], p[2], p[3]
			if a == 0 {
				r, g, bl = 0, 0, 0
			} else if a < 255 {
				r = uint8((uint32(r)*255 + uint32(a)/2) / uint32(a))
				g = uint8((uint32(g)*255 + uint32(a)/2) / uint32(a))
				bl = uint8((uint32(bl)*255 + uint32(a)/2) / uint32(a))
			}
			if a != 255 {
				alpha = true
			}
			v := [4]uint8{g, r, bl, a}
			px[y*w+x] = v
			for c := range v {
				used[c][v[c]] = true
			}
		}
	}
	var bw webpBits
	bw.write(0x2f, 8)
	bw.write(uint32(w-1), 14)
	bw.write(uint32(h-1), 14)
	if alpha {
		bw.write(1, 1)
	} else {
		bw.write(0, 1)
	}
	bw.write(0, 3)    // version
	bw.write(0, 1)    // no transform
	bw.write(0, 1)    // no colour cache
	bw.write(0, 1)    // no meta prefix codes
	var fixed [4]bool // true: 8 bits a value; false: one value, no bits
	for c := range 4 {
		alphabet := 256
		if c == 0 {
			alphabet = 256 + 24 // green, plus the backward reference lengths
		}
		fixed[c] = webpWriteCode(&bw, &used[c], alphabet)
	}
	// The distance code: one symbol, never used.
	bw.write(1, 1) // simple code
	bw.write(0, 1) // one symbol
	bw.write(0, 1) // of one bit
	bw.write(0, 1) // symbol 0
	for _, v := range px {
		for c := range 4 {
			if fixed[c] {
				bw.write(uint32(bits.Reverse8(v[c])), 8)
			}
		}
	}
	data := bw.bytes()
	var out bytes.Buffer
	pad := len(data) & 1
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(4+8+len(data)+pad))
	out.WriteString("WEBPVP8L")
	binary.Write(&out, binary.LittleEndian, uint32(len(data)))
	out.Write(data)
	if pad == 1 {
		out.WriteByte(0)
	}
	return out.Bytes(), nil
}

// webpWriteCode writes the prefix code of one channel: a simple code when
// a single value is used (it then costs no bits), else a normal code giving
// the 256 literal values 8 bits each. It reports which it wrote.
func webpWriteCode(bw *webpBits, used *[256]bool, alphabet int) (fixed bool) {
	count, only := 0, 0
	for v, ok := range used {
		if ok {
			count++
			only = v
		}
	}
	if count == 1 {
		bw.write(1, 1) // simple code
		bw.write(0, 1) // one symbol
		bw.write(1, 1) // of eight bits
		bw.write(uint32(only), 8)
		return false
	}
	// Normal code. The code length code gives lengths 0 and 8 one bit each;
	// it is listed in the order 17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8: 12 entries.
	bw.write(0, 1)
	bw.write(12-4, 4)
	for _, sym := range []int{17, 18, 0, 1, 2, 3, 4, 5, 16, 6, 7, 8} {
		if sym == 0 || sym == 8 {
			bw.write(1, 3)
		} else {
			bw.write(0, 3)
		}
	}
	bw.write(0, 1) // lengths for the whole alphabet follow
	for sym := range alphabet {
		if sym < 256 {
			bw.write(1, 1) // length 8
		} else {
			bw.write(0, 1) // length 0
		}
	}
	return true
}

// webpBits writes a VP8L bit stream, least significant bit first.
type webpBits struct {
	buf []byte
	acc uint64
	n   uint
}

func (b *webpBits) write(v uint32, n uint) {
	b.acc |= uint64(v) << b.n
	b.n += n
	for b.n >= 8 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc >>= 8
		b.n -= 8
	}
}

func (b *webpBits) bytes() []byte {
	if b.n > 0 {
		b.buf = append(b.buf, byte(b.acc))
		b.acc, b.n = 0, 0
	}
	return b.buf
}
