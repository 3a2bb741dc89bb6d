//go:build ignore

// Gen draws the MeshMesh icons with the standard library and writes them
// to the package folder:
//
//	go run gen.go [-out DIR] [-sheet FILE]
//
// It writes normal, busy and attention as a 64 px PNG, a 64 px macOS
// template PNG and an ICO of 16 to 64 px, and app.png, the 128 px app
// icon. -sheet also writes a contact sheet of the tray icons as panels
// show them, for people to look at.
//
// The output depends on nothing but this file: no clock, no map order, no
// fused multiply-add (every product that meets a sum is rounded by an
// explicit conversion, as the Go spec allows arm64 to fuse it otherwise),
// so that the test can regenerate the icons and compare bytes.
package main

import (
	"bytes"
	"encoding/binary"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", ".", "write the icons to `DIR`")
	sheet := flag.String("sheet", "", "also write a contact sheet PNG to `FILE`")
	flag.Parse()
	if err := run(*out, *sheet); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// kinds are the tray icons, by file name.
var kinds = []string{"normal", "busy", "attention"}

// icoSizes are the sizes in each ICO, smallest first.
var icoSizes = []int{16, 24, 32, 48, 64}

const (
	traySize = 64  // the tray PNGs, in pixels
	appSize  = 128 // app.png
)

func run(out, sheet string) error {
	for _, k := range kinds {
		img := render(trayScene(k, false), traySize)
		if err := writePNG(filepath.Join(out, k+".png"), img); err != nil {
			return err
		}
		if err := writePNG(filepath.Join(out, k+"_template.png"), render(trayScene(k, true), traySize)); err != nil {
			return err
		}
		var pngs [][]byte
		for _, n := range icoSizes {
			b, err := encodePNG(render(trayScene(k, false), n))
			if err != nil {
				return err
			}
			pngs = append(pngs, b)
		}
		if err := writeFile(filepath.Join(out, k+".ico"), encodeICO(icoSizes, pngs)); err != nil {
			return err
		}
	}
	if err := writePNG(filepath.Join(out, "app.png"), render(appScene, appSize)); err != nil {
		return err
	}
	if sheet != "" {
		return writePNG(sheet, contactSheet())
	}
	return nil
}

// Drawing happens in a design space of 64 by 64 units, y down, whatever
// the size of the image.
const design = 64

// samples is the number of samples a pixel takes along each axis: a
// pixel's colour is the mean of samples*samples points.
const samples = 4

// rgba is a premultiplied colour, each component in [0, 1].
type rgba struct{ r, g, b, a float64 }

// hex is an opaque colour 0xRRGGBB.
func hex(c uint32) rgba {
	return rgba{float64(c>>16&0xff) / 255, float64(c>>8&0xff) / 255, float64(c&0xff) / 255, 1}
}

// The palette. The blue and the amber are chosen by their luma (Rec. 709
// on sRGB values) to differ from both a dark panel (#202020, luma 0.13)
// and a light one (#F0F0F0, 0.94) by about 0.4. A red that bright turns
// orange: the red badge reads on a dark panel by its white sign and ring.
const (
	meshBlue  = 0x1B96FF // luma 0.52
	busyAmber = 0xD97706 // 0.52
	alertRed  = 0xE5322B // 0.34
	white     = 0xFFFFFF
	black     = 0x000000
	appTop    = 0x1B96FF
	appBottom = 0x0B5CAB
)

var transparent = rgba{}

// A scene is the colour at a point of the design space.
type scene func(x, y float64) rgba

// render draws s into a size by size image, each pixel the mean of its
// samples.
func render(s scene, size int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	scale := float64(design) / float64(size)
	for py := 0; py < size; py++ {
		for px := 0; px < size; px++ {
			var sum rgba
			for j := 0; j < samples; j++ {
				y := float64((float64(py) + float64((float64(j)+0.5)/samples)) * scale)
				for i := 0; i < samples; i++ {
					x := float64((float64(px) + float64((float64(i)+0.5)/samples)) * scale)
					c := s(x, y)
					sum.r += c.r
					sum.g += c.g
					sum.b += c.b
					sum.a += c.a
				}
			}
			img.SetNRGBA(px, py, toNRGBA(sum, samples*samples))
		}
	}
	return img
}

// toNRGBA turns the sum of n premultiplied samples into a straight 8-bit
// colour.
func toNRGBA(sum rgba, n float64) color.NRGBA {
	if sum.a == 0 {
		return color.NRGBA{}
	}
	q := func(v float64) uint8 { return uint8(math.Round(math.Min(v, 1) * 255)) }
	return color.NRGBA{q(sum.r / sum.a), q(sum.g / sum.a), q(sum.b / sum.a), q(sum.a / n)}
}

// Shapes are signed distances in design units: negative inside.

func hypot(dx, dy float64) float64 {
	return math.Sqrt(float64(dx*dx) + float64(dy*dy))
}

// disc is the distance from (x, y) to a disc of radius r at (cx, cy).
func disc(x, y, cx, cy, r float64) float64 {
	return hypot(x-cx, y-cy) - r
}

// capsule is the distance from (x, y) to the segment (ax, ay)–(bx, by)
// drawn r thick on each side, with round ends.
func capsule(x, y, ax, ay, bx, by, r float64) float64 {
	px, py := x-ax, y-ay
	dx, dy := bx-ax, by-ay
	t := (float64(px*dx) + float64(py*dy)) / (float64(dx*dx) + float64(dy*dy))
	t = math.Max(0, math.Min(1, t))
	return hypot(px-float64(t*dx), py-float64(t*dy)) - r
}

// roundRect is the distance from (x, y) to the rectangle (x0, y0)–(x1, y1)
// with corners rounded by r.
func roundRect(x, y, x0, y0, x1, y1, r float64) float64 {
	cx, cy := float64((x0+x1)/2), float64((y0+y1)/2)
	qx := math.Abs(x-cx) - (float64((x1-x0)/2) - r)
	qy := math.Abs(y-cy) - (float64((y1-y0)/2) - r)
	outside := hypot(math.Max(qx, 0), math.Max(qy, 0))
	inside := math.Min(math.Max(qx, qy), 0)
	return outside + inside - r
}

// The mesh: three nodes, each linked to the others, in a triangle whose
// bottom right node the badge of busy and attention replaces.
type point struct{ x, y float64 }

var nodes = [...]point{{32, 12}, {11, 52}, {53, 52}}

var links = [...][2]int{{0, 1}, {0, 2}, {1, 2}}

const (
	nodeRadius = 8 // a node's radius
	linkRadius = 3 // half a link's width
	halo       = 3 // the light outline around the mesh and the badge
)

// mesh is the distance to the mesh.
func mesh(x, y float64) float64 {
	d := math.Inf(1)
	for _, l := range links {
		a, b := nodes[l[0]], nodes[l[1]]
		d = math.Min(d, capsule(x, y, a.x, a.y, b.x, b.y, linkRadius))
	}
	for _, n := range nodes {
		d = math.Min(d, disc(x, y, n.x, n.y, nodeRadius))
	}
	return d
}

// The badge of busy and attention: a disc in the bottom right corner.
const (
	badgeX, badgeY = 47, 47
	badgeRadius    = 16
	badgeGap       = 3 // between the badge and the mesh
)

// glyph is the distance to the badge's sign for kind k: three dots for
// busy, "!" for attention.
func glyph(k string, x, y float64) float64 {
	switch k {
	case "busy":
		d := math.Inf(1)
		for _, dx := range []float64{-9.5, 0, 9.5} {
			d = math.Min(d, disc(x, y, badgeX+dx, badgeY, 2.75))
		}
		return d
	case "attention":
		bar := capsule(x, y, badgeX, badgeY-9, badgeX, badgeY+2, 3)
		dot := disc(x, y, badgeX, badgeY+8.5, 3)
		return math.Min(bar, dot)
	}
	return math.Inf(1)
}

// trayScene is the tray icon of kind k: the blue mesh with a light halo,
// and for busy and attention a badge; as a macOS template, the same
// shapes in black without the halo, the badge's sign cut out.
func trayScene(k string, template bool) scene {
	fill, badge, outline, sign := hex(meshBlue), hex(busyAmber), hex(white), hex(white)
	if k == "attention" {
		badge = hex(alertRed)
	}
	if template {
		fill, badge, outline, sign = hex(black), hex(black), transparent, transparent
	}
	return func(x, y float64) rgba {
		c := transparent
		if d := mesh(x, y); d <= 0 {
			c = fill
		} else if d <= halo {
			c = outline
		}
		if k == "normal" {
			return c
		}
		if d := disc(x, y, badgeX, badgeY, badgeRadius); d <= 0 {
			c = badge
			if glyph(k, x, y) <= 0 {
				c = sign
			}
		} else if d <= badgeGap {
			c = outline
		}
		return c
	}
}

// appScene is the app icon: a white mesh on a blue rounded square.
func appScene(x, y float64) rgba {
	if roundRect(x, y, 1, 1, 63, 63, 14) > 0 {
		return transparent
	}
	// The mesh, at 70% about the centre.
	const f = 0.7
	if mesh(32+(x-32)/f, 32+(y-32)/f) <= 0 {
		return hex(white)
	}
	top, bottom := hex(appTop), hex(appBottom)
	t := y / design
	mix := func(a, b float64) float64 { return a + float64((b-a)*t) }
	return rgba{mix(top.r, bottom.r), mix(top.g, bottom.g), mix(top.b, bottom.b), 1}
}

// encodeICO returns an ICO file of the given PNG images, sizes[i] being
// the width and height of pngs[i]: an ICONDIR, one ICONDIRENTRY per image,
// then the PNGs, as Windows Vista and later read them.
func encodeICO(sizes []int, pngs [][]byte) []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.Write(le.AppendUint16(nil, 0)) // reserved
	b.Write(le.AppendUint16(nil, 1)) // type: icon
	b.Write(le.AppendUint16(nil, uint16(len(pngs))))
	offset := 6 + 16*len(pngs)
	for i, p := range pngs {
		dim := byte(sizes[i])             // 0 means 256
		b.Write([]byte{dim, dim, 0, 0})   // width, height, colours, reserved
		b.Write(le.AppendUint16(nil, 1))  // planes
		b.Write(le.AppendUint16(nil, 32)) // bits per pixel
		b.Write(le.AppendUint32(nil, uint32(len(p))))
		b.Write(le.AppendUint32(nil, uint32(offset)))
		offset += len(p)
	}
	for _, p := range pngs {
		b.Write(p)
	}
	return b.Bytes()
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("encode PNG: %w", err)
	}
	return b.Bytes(), nil
}

func writePNG(name string, img image.Image) error {
	b, err := encodePNG(img)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return writeFile(name, b)
}

// writeFile replaces name with data atomically: a temporary file in the
// same folder, synced, then renamed.
func writeFile(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// contactSheet shows the tray icons as panels show them, on a dark and a
// light panel: each 64 px PNG scaled to 22, 32 and 64 px; its template as
// macOS draws it (black, or white on a dark menu bar); the ICO's images
// at 16, 24, 32 and 48 px; and the 22 px icons magnified four times, to
// judge their pixels. Then app.png at 128, 64 and 32 px.
func contactSheet() *image.NRGBA {
	const pad = 8
	var icons, templates []*image.NRGBA
	for _, k := range kinds {
		icons = append(icons, render(trayScene(k, false), traySize))
		templates = append(templates, render(trayScene(k, true), traySize))
	}
	backgrounds := []color.NRGBA{{0x20, 0x20, 0x20, 0xff}, {0xf0, 0xf0, 0xf0, 0xff}}
	const rowsPerBackground = 4
	var rows [][]*image.NRGBA
	for bi := range backgrounds {
		var scaled, template, native, magnified []*image.NRGBA
		for _, n := range []int{22, 32, 64} {
			for i := range kinds {
				scaled = append(scaled, downscale(icons[i], n))
				t := downscale(templates[i], n)
				if bi == 0 {
					t = whiten(t)
				}
				template = append(template, t)
			}
		}
		for _, n := range icoSizes[:4] {
			for _, k := range kinds {
				native = append(native, render(trayScene(k, false), n))
			}
		}
		for i := range kinds {
			magnified = append(magnified, magnify(downscale(icons[i], 22), 4))
		}
		rows = append(rows, scaled, template, native, magnified)
	}
	app := render(appScene, appSize)
	rows = append(rows, []*image.NRGBA{app, downscale(app, 64), downscale(app, 32)})

	width, height := 0, pad
	for _, row := range rows {
		w, h := pad, 0
		for _, img := range row {
			w += img.Bounds().Dx() + pad
			h = max(h, img.Bounds().Dy())
		}
		width = max(width, w)
		height += h + pad
	}
	sheet := image.NewNRGBA(image.Rect(0, 0, width, height))
	y := pad
	for ri, row := range rows {
		bg := backgrounds[min(ri/rowsPerBackground, 1)]
		h := 0
		for _, img := range row {
			h = max(h, img.Bounds().Dy())
		}
		draw.Draw(sheet, image.Rect(0, y-pad/2, width, y+h+pad/2), image.NewUniform(bg), image.Point{}, draw.Src)
		x := pad
		for _, img := range row {
			r := img.Bounds().Add(image.Pt(x, y+(h-img.Bounds().Dy())/2))
			draw.Draw(sheet, r, img, image.Point{}, draw.Over)
			x += img.Bounds().Dx() + pad
		}
		y += h + pad
	}
	return sheet
}

// downscale scales the square src to n by n pixels, each pixel the
// area-weighted mean of the source pixels it covers.
func downscale(src *image.NRGBA, n int) *image.NRGBA {
	size := src.Bounds().Dx()
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	scale := float64(size) / float64(n)
	for dy := 0; dy < n; dy++ {
		for dx := 0; dx < n; dx++ {
			var sum rgba
			var area float64
			y0, y1 := float64(float64(dy)*scale), float64(float64(dy+1)*scale)
			x0, x1 := float64(float64(dx)*scale), float64(float64(dx+1)*scale)
			for sy := int(y0); sy < size && float64(sy) < y1; sy++ {
				wy := math.Min(y1, float64(sy+1)) - math.Max(y0, float64(sy))
				for sx := int(x0); sx < size && float64(sx) < x1; sx++ {
					w := float64(wy * (math.Min(x1, float64(sx+1)) - math.Max(x0, float64(sx))))
					c := src.NRGBAAt(sx, sy)
					a := float64(float64(float64(c.A)/255) * w)
					sum.r += float64(float64(float64(c.R)/255) * a)
					sum.g += float64(float64(float64(c.G)/255) * a)
					sum.b += float64(float64(float64(c.B)/255) * a)
					sum.a += a
					area += w
				}
			}
			dst.SetNRGBA(dx, dy, toNRGBA(sum, area))
		}
	}
	return dst
}

// whiten turns a black template white, as macOS draws it on a dark menu
// bar.
func whiten(src *image.NRGBA) *image.NRGBA {
	dst := image.NewNRGBA(src.Bounds())
	for i := 0; i < len(src.Pix); i += 4 {
		dst.Pix[i], dst.Pix[i+1], dst.Pix[i+2], dst.Pix[i+3] = 0xff, 0xff, 0xff, src.Pix[i+3]
	}
	return dst
}

// magnify scales src up f times, each pixel a square.
func magnify(src *image.NRGBA, f int) *image.NRGBA {
	b := src.Bounds()
	dst := image.NewNRGBA(image.Rect(0, 0, b.Dx()*f, b.Dy()*f))
	for y := 0; y < dst.Bounds().Dy(); y++ {
		for x := 0; x < dst.Bounds().Dx(); x++ {
			dst.SetNRGBA(x, y, src.NRGBAAt(x/f, y/f))
		}
	}
	return dst
}
