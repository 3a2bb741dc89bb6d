package icons

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"
)

var kinds = []Kind{Normal, Busy, Attention}

// Panels the icons must read on, and how much a pixel's luma must differ
// from the panel's to count as seen.
var (
	darkPanel  = color.NRGBA{0x20, 0x20, 0x20, 0xff}
	lightPanel = color.NRGBA{0xf0, 0xf0, 0xf0, 0xff}
	panels     = []struct {
		name string
		c    color.NRGBA
	}{{"dark", darkPanel}, {"light", lightPanel}}
)

const seen = 0.3

// icoSizes are the images an ICO holds, in order.
var icoSizes = []int{16, 24, 32, 48, 64}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{Normal: "normal", Busy: "busy", Attention: "attention", 7: "Kind(7)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", int(k), got, want)
		}
	}
}

func TestPNGIsA64PixelSquare(t *testing.T) {
	for _, k := range kinds {
		img := decodePNG(t, k.String()+".png", PNG(k))
		if b := img.Bounds(); b != image.Rect(0, 0, 64, 64) {
			t.Errorf("PNG(%v) is %v, want 64x64", k, b)
		}
		if n := opaque(img); n < 64*64/10 {
			t.Errorf("PNG(%v) has %d opaque pixels, want at least a tenth of them", k, n)
		}
	}
}

func TestTrayIsICOOnWindowsAndPNGElsewhere(t *testing.T) {
	for _, k := range kinds {
		for _, goos := range []string{"linux", "darwin", "freebsd"} {
			if !bytes.Equal(tray(k, goos), PNG(k)) {
				t.Errorf("tray(%v, %q) is not PNG(%v)", k, goos, k)
			}
		}
		parseICO(t, k.String()+".ico", tray(k, "windows"))
	}
	if !bytes.Equal(Tray(Busy), tray(Busy, runtime.GOOS)) {
		t.Errorf("Tray(Busy) is not the icon of this system")
	}
}

func TestUnknownKindIsNormal(t *testing.T) {
	if !bytes.Equal(PNG(Kind(7)), PNG(Normal)) || !bytes.Equal(Template(-1), Template(Normal)) ||
		!bytes.Equal(tray(Kind(3), "windows"), tray(Normal, "windows")) {
		t.Error("an unknown Kind does not get the Normal icon")
	}
}

func TestCallerMayChangeTheBytes(t *testing.T) {
	b := PNG(Normal)
	b[0] = 'X'
	if PNG(Normal)[0] == 'X' {
		t.Error("changing the slice PNG returned changed the icon")
	}
}

func TestICOHoldsPNGsOf16To64Pixels(t *testing.T) {
	for _, k := range kinds {
		imgs := parseICO(t, k.String()+".ico", tray(k, "windows"))
		if len(imgs) != len(icoSizes) {
			continue // parseICO said why
		}
		for i, img := range imgs {
			n := icoSizes[i]
			if c := opaque(img); c < n*n/10 {
				t.Errorf("%v.ico at %d px has %d opaque pixels, want at least a tenth of them", k, n, c)
			}
		}
	}
}

func TestTemplateIsBlackWithAlphaOnly(t *testing.T) {
	for _, k := range kinds {
		img := decodePNG(t, k.String()+"_template.png", Template(k))
		if b := img.Bounds(); b != image.Rect(0, 0, 64, 64) {
			t.Errorf("Template(%v) is %v, want 64x64", k, b)
		}
		for y := range 64 {
			for x := range 64 {
				if c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA); c.A != 0 && (c.R|c.G|c.B) != 0 {
					t.Fatalf("Template(%v) at (%d, %d) is %v, want black", k, x, y, c)
				}
			}
		}
		if n := opaque(img); n < 64*64/10 {
			t.Errorf("Template(%v) has %d opaque pixels, want at least a tenth of them", k, n)
		}
	}
}

func TestAppIsA128PixelRoundedSquare(t *testing.T) {
	img := decodePNG(t, "app.png", App())
	if b := img.Bounds(); b != image.Rect(0, 0, 128, 128) {
		t.Fatalf("App() is %v, want 128x128", b)
	}
	if _, _, _, a := img.At(0, 0).RGBA(); a != 0 {
		t.Errorf("App() corner alpha = %d, want transparent (rounded)", a)
	}
	if n := opaque(img); n < 128*128*8/10 {
		t.Errorf("App() has %d opaque pixels, want at least 80%%", n)
	}
}

// At 22 px, the size of a Linux panel's icons, each icon scaled from its
// PNG as a panel does must stand out from a dark and a light panel; so
// must the ICO's 16 and 24 px images, the sizes of Windows' notification
// area at 100% and 150%, and the templates as macOS draws them (black, or
// white on a dark menu bar).
func TestLegibleOnDarkAndLightPanels(t *testing.T) {
	// Each image must have this share of its pixels seen on each panel.
	// The icons have 23% (normal on a light panel, where the white halo
	// does not count) to 60%; a fill that fades into a panel drops below.
	const share = 0.18
	type icon struct {
		name     string
		img      image.Image
		template bool // drawn white on a dark panel
	}
	var icons []icon
	for _, k := range kinds {
		icons = append(icons, icon{k.String() + ".png at 22 px", downscale(decodePNG(t, k.String()+".png", PNG(k)), 22), false})
		imgs := parseICO(t, k.String()+".ico", tray(k, "windows"))
		if len(imgs) == len(icoSizes) {
			icons = append(icons, icon{k.String() + ".ico at 16 px", imgs[0], false}, icon{k.String() + ".ico at 24 px", imgs[1], false})
		}
		icons = append(icons, icon{k.String() + "_template.png at 22 px", downscale(decodePNG(t, k.String()+"_template.png", Template(k)), 22), true})
	}
	for _, ic := range icons {
		for _, p := range panels {
			img := ic.img
			if ic.template && p.c == darkPanel {
				img = whiten(img)
			}
			n := img.Bounds().Dx()
			got := contrasting(img, p.c)
			t.Logf("%s on a %s panel: %d of %d pixels seen", ic.name, p.name, got, n*n)
			if min := int(share * float64(n*n)); got < min {
				t.Errorf("%s on a %s panel: %d pixels differ from the panel by more than %.1f in luma, want at least %d",
					ic.name, p.name, got, seen, min)
			}
		}
	}
}

// At 22 px, Busy and Attention must tell themselves apart from each other
// and from Normal, on both panels, in colour and as templates. A pixel
// counts when a component differs by more than 0.3, which the amber and
// the red badge alone do not (0.27): Busy and Attention differ by the sign
// on their badge, as they must for colour-blind people and in templates.
func TestKindsDifferAt22Pixels(t *testing.T) {
	const minDiff = 12 // pixels; busy and attention differ in 28, 21 as templates
	scaled := func(name string, b []byte) image.Image { return downscale(decodePNG(t, name, b), 22) }
	for i, a := range kinds {
		for _, b := range kinds[i+1:] {
			for _, p := range panels {
				got := differing(scaled(a.String(), PNG(a)), scaled(b.String(), PNG(b)), p.c)
				t.Logf("%v and %v on a %s panel differ in %d pixels", a, b, p.name, got)
				if got < minDiff {
					t.Errorf("%v and %v on a %s panel differ in %d pixels at 22 px, want at least %d", a, b, p.name, got, minDiff)
				}
			}
			got := differing(scaled(a.String(), Template(a)), scaled(b.String(), Template(b)), lightPanel)
			t.Logf("%v and %v templates differ in %d pixels", a, b, got)
			if got < minDiff {
				t.Errorf("%v and %v templates differ in %d pixels at 22 px, want at least %d", a, b, got, minDiff)
			}
		}
	}
}

// The committed files are what gen.go draws: the test runs it into a
// temporary folder and compares the bytes. After changing gen.go, run
// go generate.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	need(t, "the go command (go test puts it on PATH)", err)
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goCmd, "run", "gen.go", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run gen.go -out %s: %v\n%s", out, err, b)
	}
	want := []string{"app.png"}
	for _, k := range kinds {
		want = append(want, k.String()+".ico", k.String()+".png", k.String()+"_template.png")
	}
	slices.Sort(want)
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("gen.go wrote %q, want %q", got, want)
	}
	for _, name := range want {
		fresh, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Error(err)
			continue
		}
		committed, err := os.ReadFile(name)
		if err != nil {
			t.Error(err)
			continue
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("%s is not what gen.go draws (%d bytes, gen.go %d): run go generate", name, len(committed), len(fresh))
		}
	}
}

// need skips t when err says something t needs is missing (and what,
// what), except under MESHMESH_TEST_STRICT=1 (set by .ci/run), where it
// fails.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("MESHMESH_TEST_STRICT") == "1" {
		t.Fatalf("this test needs %s: %v (MESHMESH_TEST_STRICT=1: .ci/run must provide it)", what, err)
	}
	t.Skipf("skipped: this test needs %s: %v", what, err)
}

func decodePNG(t *testing.T, name string, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return img
}

// parseICO checks that b is an ICO of PNG images of icoSizes, as Windows
// reads it, and returns the images.
func parseICO(t *testing.T, name string, b []byte) []image.Image {
	t.Helper()
	le := binary.LittleEndian
	if len(b) < 6 {
		t.Fatalf("%s: %d bytes, shorter than an ICONDIR", name, len(b))
	}
	if reserved, typ := le.Uint16(b), le.Uint16(b[2:]); reserved != 0 || typ != 1 {
		t.Fatalf("%s: ICONDIR reserved %d, type %d; want 0, 1 (icon)", name, reserved, typ)
	}
	count := int(le.Uint16(b[4:]))
	if count != len(icoSizes) {
		t.Errorf("%s holds %d images, want %d (%v px)", name, count, len(icoSizes), icoSizes)
	}
	if len(b) < 6+16*count {
		t.Fatalf("%s: %d bytes, shorter than its %d ICONDIRENTRYs", name, len(b), count)
	}
	var imgs []image.Image
	next := 6 + 16*count // each image follows the one before
	for i := range count {
		e := b[6+16*i:]
		width, height := int(e[0]), int(e[1])
		planes, bits := le.Uint16(e[4:]), le.Uint16(e[6:])
		size, offset := int(le.Uint32(e[8:])), int(le.Uint32(e[12:]))
		if i < len(icoSizes) && (width != icoSizes[i] || height != icoSizes[i]) {
			t.Errorf("%s image %d is declared %dx%d, want %dx%d", name, i, width, height, icoSizes[i], icoSizes[i])
		}
		if e[2] != 0 || e[3] != 0 || planes != 1 || bits != 32 {
			t.Errorf("%s image %d: colours %d, reserved %d, planes %d, bits %d; want 0, 0, 1, 32", name, i, e[2], e[3], planes, bits)
		}
		if offset != next || offset+size > len(b) {
			t.Fatalf("%s image %d: %d bytes at offset %d, want them at %d within the file's %d", name, i, size, offset, next, len(b))
		}
		next = offset + size
		data := b[offset:next]
		if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("%s image %d is not a PNG", name, i)
			continue
		}
		img := decodePNG(t, fmt.Sprintf("%s image %d", name, i), data)
		if got := img.Bounds(); got != image.Rect(0, 0, width, height) {
			t.Errorf("%s image %d is %v, declared %dx%d", name, i, got, width, height)
		}
		imgs = append(imgs, img)
	}
	if next != len(b) {
		t.Errorf("%s: %d bytes after the last image", name, len(b)-next)
	}
	return imgs
}

// opaque counts the pixels of img that are more than half opaque.
func opaque(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if _, _, _, a := img.At(x, y).RGBA(); a > 0x8000 {
				n++
			}
		}
	}
	return n
}

// rgb is a colour with components in [0, 1], sRGB-encoded.
type rgb struct{ r, g, b float64 }

// luma is the Rec. 709 luma of c.
func (c rgb) luma() float64 { return 0.2126*c.r + 0.7152*c.g + 0.0722*c.b }

// over returns the colour of img at (x, y) drawn over panel.
func over(img image.Image, x, y int, panel color.NRGBA) rgb {
	c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
	a := float64(c.A) / 255
	mix := func(fg, bg uint8) float64 { return (float64(fg)*a + float64(bg)*(1-a)) / 255 }
	return rgb{mix(c.R, panel.R), mix(c.G, panel.G), mix(c.B, panel.B)}
}

// contrasting counts the pixels of img, drawn on panel, whose luma
// differs from the panel's by more than seen.
func contrasting(img image.Image, panel color.NRGBA) int {
	bg := rgb{float64(panel.R) / 255, float64(panel.G) / 255, float64(panel.B) / 255}.luma()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if math.Abs(over(img, x, y, panel).luma()-bg) > seen {
				n++
			}
		}
	}
	return n
}

// differing counts the pixels where a and b, drawn on panel, differ by
// more than seen in some component.
func differing(a, b image.Image, panel color.NRGBA) int {
	n := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			ca, cb := over(a, x, y, panel), over(b, x, y, panel)
			if max(math.Abs(ca.r-cb.r), math.Abs(ca.g-cb.g), math.Abs(ca.b-cb.b)) > seen {
				n++
			}
		}
	}
	return n
}

// downscale scales the square src to n by n pixels, each pixel the
// area-weighted mean of the source pixels it covers, as a panel scales an
// icon down.
func downscale(src image.Image, n int) *image.NRGBA {
	size := src.Bounds().Dx()
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	scale := float64(size) / float64(n)
	for dy := range n {
		for dx := range n {
			var r, g, b, a, area float64
			y0, y1 := float64(dy)*scale, float64(dy+1)*scale
			x0, x1 := float64(dx)*scale, float64(dx+1)*scale
			for sy := int(y0); sy < size && float64(sy) < y1; sy++ {
				wy := math.Min(y1, float64(sy+1)) - math.Max(y0, float64(sy))
				for sx := int(x0); sx < size && float64(sx) < x1; sx++ {
					w := wy * (math.Min(x1, float64(sx+1)) - math.Max(x0, float64(sx)))
					c := color.NRGBAModel.Convert(src.At(sx, sy)).(color.NRGBA)
					ca := float64(c.A) / 255 * w
					r += float64(c.R) / 255 * ca
					g += float64(c.G) / 255 * ca
					b += float64(c.B) / 255 * ca
					a += ca
					area += w
				}
			}
			if a == 0 {
				continue
			}
			q := func(v float64) uint8 { return uint8(math.Round(math.Min(v, 1) * 255)) }
			dst.SetNRGBA(dx, dy, color.NRGBA{q(r / a), q(g / a), q(b / a), q(a / area)})
		}
	}
	return dst
}

// whiten draws a black template white, as macOS does on a dark menu bar.
func whiten(src image.Image) image.Image {
	b := src.Bounds()
	dst := image.NewNRGBA(b)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			_, _, _, a := src.At(x, y).RGBA()
			dst.SetNRGBA(x, y, color.NRGBA{0xff, 0xff, 0xff, uint8(a >> 8)})
		}
	}
	return dst
}
