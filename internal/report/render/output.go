package render

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"image"
	"image/color"
	"image/png"
	"io"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Size limits for SVG (points) and PNG (pixels). Below MinSize there is no
// room for a readable chart; MaxSize keeps a PNG at most 256 MiB in memory,
// so that a size taken from a request cannot exhaust the server.
const (
	MinSize = 48
	MaxSize = 8192
)

// ErrSize is returned (wrapped) for a width or height outside
// [MinSize, MaxSize] or not a finite number.
var ErrSize = errors.New("render: size out of range")

// pngDPI is the resolution at which PNGs are laid out: the CSS reference
// pixel, so PNG pixels and SVG points relate as on the web (1px = 0.75pt).
const pngDPI = 96

func checkSize(w, h float64) error {
	if !(w >= MinSize && w <= MaxSize && h >= MinSize && h <= MaxSize) {
		return fmt.Errorf("%w: %gx%g, want each in [%d, %d]", ErrSize, w, h, MinSize, MaxSize)
	}
	return nil
}

// safely runs f and turns a panic inside a drawing library into an error,
// so that one odd report cannot crash the server.
func safely(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render: internal drawing error: %v", r)
		}
	}()
	f()
	return nil
}

// paintBackground makes the drawing opaque white, so that an SVG stays
// readable on a dark page. Image canvases start white already; filling
// them again would cost a full-canvas rasterisation.
func paintBackground(dc draw.Canvas) {
	if _, ok := dc.Canvas.(*vgimg.Canvas); ok {
		return
	}
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
}

// writeSVG draws with drawFn on a width×height point SVG canvas and writes
// the document, titled title for screen readers and file browsers.
func writeSVG(w io.Writer, width, height float64, title string, drawFn func(draw.Canvas)) error {
	if err := checkSize(width, height); err != nil {
		return err
	}
	cv := vgsvg.New(vg.Length(width), vg.Length(height))
	if err := safely(func() { drawFn(draw.New(cv)) }); err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return err
	}
	_, err := w.Write(finishSVG(buf.Bytes(), clean(title)))
	return err
}

// svgFontFamily is the font list written into SVG text. The layout was
// measured with Liberation Sans; Arial and Helvetica have the same metrics,
// so a viewer without Liberation still fits every label in its place,
// and sans-serif keeps the look when none of them is installed.
const svgFontFamily = "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;"

var (
	svgOpenEnd = []byte(`xmlns:xlink="http://www.w3.org/1999/xlink">` + "\n")
	svgFamily  = []byte("font-family:Liberation Sans;")
)

// finishSVG adds fallback fonts and a <title> element to vgsvg's output.
func finishSVG(doc []byte, title string) []byte {
	doc = bytes.ReplaceAll(doc, svgFamily, []byte(svgFontFamily))
	if title == "" {
		return doc
	}
	i := bytes.Index(doc, svgOpenEnd)
	if i < 0 {
		return doc
	}
	i += len(svgOpenEnd)
	out := make([]byte, 0, len(doc)+len(title)+32)
	out = append(out, doc[:i]...)
	out = append(out, "<title>"+html.EscapeString(title)+"</title>\n"...)
	return append(out, doc[i:]...)
}

// rasterize draws with drawFn on an exactly width×height pixel image laid
// out at dpi dots per inch.
func rasterize(width, height, dpi int, drawFn func(draw.Canvas)) (image.Image, error) {
	if err := checkSize(float64(width), float64(height)); err != nil {
		return nil, err
	}
	var img image.Image
	err := safely(func() {
		cv := vgimg.NewWith(
			vgimg.UseImage(image.NewRGBA(image.Rect(0, 0, width, height))),
			vgimg.UseDPI(dpi),
		)
		drawFn(draw.New(cv))
		img = cv.Image()
	})
	return img, err
}

// writePNG draws with drawFn and writes a PNG. The background is opaque
// white, so the encoder writes RGB without an alpha channel, which keeps
// files small and lets the PDF writer embed them without re-encoding.
func writePNG(w io.Writer, width, height, dpi int, drawFn func(draw.Canvas)) error {
	return writePNGLevel(w, width, height, dpi, png.DefaultCompression, drawFn)
}

func writePNGLevel(w io.Writer, width, height, dpi int, level png.CompressionLevel, drawFn func(draw.Canvas)) error {
	img, err := rasterize(width, height, dpi, drawFn)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: level}
	return enc.Encode(w, img)
}
