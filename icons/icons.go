package icons

import (
	_ "embed" // the icons
	"runtime"
	"strconv"
)

//go:generate go run gen.go

// A Kind is the state a tray icon shows.
type Kind int

const (
	// Normal is the MeshMesh mesh: all is well.
	Normal Kind = iota
	// Busy is the mesh with an amber badge of three dots: a login, a
	// refresh or a check is under way.
	Busy
	// Attention is the mesh with a red badge with "!": a connection needs
	// the user, for example to reconnect.
	Attention
)

// String returns "normal", "busy" or "attention", the icon's file name
// without extension, or "Kind(N)" for another value.
func (k Kind) String() string {
	switch k {
	case Normal:
		return "normal"
	case Busy:
		return "busy"
	case Attention:
		return "attention"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

var (
	//go:embed normal.png
	normalPNG string
	//go:embed busy.png
	busyPNG string
	//go:embed attention.png
	attentionPNG string

	//go:embed normal_template.png
	normalTemplate string
	//go:embed busy_template.png
	busyTemplate string
	//go:embed attention_template.png
	attentionTemplate string

	//go:embed normal.ico
	normalICO string
	//go:embed busy.ico
	busyICO string
	//go:embed attention.ico
	attentionICO string

	//go:embed app.png
	appPNG string
)

// Tray returns the icon of kind k as systray.SetIcon wants it on this
// system: an ICO of 16 to 64 px on Windows, else a 64 px PNG.
//
// Every function of the package returns a new slice, which the caller may
// keep or change. A Kind other than Normal, Busy and Attention gets the
// Normal icon.
func Tray(k Kind) []byte {
	return tray(k, runtime.GOOS)
}

// tray is Tray on the system goos.
func tray(k Kind, goos string) []byte {
	if goos == "windows" {
		return []byte(pick(k, normalICO, busyICO, attentionICO))
	}
	return PNG(k)
}

// Template returns the icon of kind k as a 64 px macOS template PNG: black
// shapes on transparency, which macOS draws in the menu bar's colour. Pass
// it with Tray(k) to systray.SetTemplateIcon.
func Template(k Kind) []byte {
	return []byte(pick(k, normalTemplate, busyTemplate, attentionTemplate))
}

// PNG returns the icon of kind k as a 64 px PNG, on every system.
func PNG(k Kind) []byte {
	return []byte(pick(k, normalPNG, busyPNG, attentionPNG))
}

// App returns the 128 px PNG app icon: the mesh in white on a blue rounded
// square, for notifications and as a web page's icon.
func App() []byte {
	return []byte(appPNG)
}

// pick returns the one of normal, busy and attention that k names; normal
// for an unknown k.
func pick(k Kind, normal, busy, attention string) string {
	switch k {
	case Busy:
		return busy
	case Attention:
		return attention
	}
	return normal
}
