package traytest

import "testing"

// Race reports as the race detector writes them (trimmed).
const (
	iconRace = `WARNING: DATA RACE
Read at 0x00c0005b76f7 by goroutine 132:
  reflect.Value.Uint()
      /usr/local/go/src/reflect/value.go:2549 +0x9de
  github.com/godbus/dbus/v5.(*encoder).encode()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/encoder.go:99 +0x9f2
  github.com/godbus/dbus/v5.(*Conn).handleCall()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/export.go:211 +0xc64
  github.com/godbus/dbus/v5.(*Conn).inWorker.gowrap1()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/conn.go:443 +0x38

Previous write at 0x00c0005b76f7 by goroutine 21:
  fyne.io/systray.argbForImage()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:444 +0xc4
  fyne.io/systray.SetIcon()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:63 +0x1fa
  github.com/meshmesh/meshmesh/tray.setIcon()
      /work/main/tray/systray.go:120 +0x44

Goroutine 132 (running) created at:
  github.com/godbus/dbus/v5.(*Conn).inWorker()
`
	propRace = `WARNING: DATA RACE
Write at 0x00c000215590 by goroutine 20:
  reflect.typedmemmove()
      /usr/local/go/src/runtime/mbarrier.go:213 +0x0
  reflect.Value.Set()
      /usr/local/go/src/reflect/value.go:2163 +0x184
  github.com/godbus/dbus/v5.setDest()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/dbus.go:98 +0x593
  github.com/godbus/dbus/v5/prop.(*Properties).SetMust()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/prop/prop.go:344 +0x105
  fyne.io/systray.SetIcon()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:62 +0x2f6
  github.com/meshmesh/meshmesh/tray.setIcon()
      /tmp/ci-clone/tray/systray.go:183 +0xed

Previous read at 0x00c000215590 by goroutine 115:
  reflect.Value.Int()
      /usr/local/go/src/reflect/value.go:1461 +0x6dd
  github.com/godbus/dbus/v5.(*encoder).encode()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/encoder.go:123 +0x6b1
  github.com/godbus/dbus/v5.(*Conn).handleCall()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/export.go:211 +0xc64

Goroutine 20 (running) created at:
`
	ourPropRace = `WARNING: DATA RACE
Write at 0x00c000215590 by goroutine 20:
  reflect.Value.Set()
      /usr/local/go/src/reflect/value.go:2163 +0x184
  github.com/meshmesh/meshmesh/tray/notify.send()
      /work/main/tray/notify/notify.go:10 +0x44
  fyne.io/systray.SetIcon()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:62 +0x2f6

Previous read at 0x00c000215590 by goroutine 115:
  fyne.io/systray.SetTooltip()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:90 +0x44
`
	menuRace = `WARNING: DATA RACE
Write at 0x000001f2a0c8 by goroutine 40:
  fyne.io/systray.resetMenu()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_menu_unix.go:100 +0x44

Previous read at 0x000001f2a0c8 by goroutine 55:
  fyne.io/systray.(*UnimplementedDbusmenu).GetLayout()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_menu_unix.go:150 +0x44
`
	ourRace = `WARNING: DATA RACE
Write at 0x00c000123456 by goroutine 7:
  github.com/meshmesh/meshmesh/tray.(*app).loop()
      /work/main/tray/app.go:100 +0x44

Previous read at 0x00c000123456 by goroutine 9:
  fyne.io/systray.SetTooltip()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:90 +0x44
`
	ourCallRace = `WARNING: DATA RACE
Read at 0x00c000123456 by goroutine 7:
  reflect.Value.String()
      /usr/local/go/src/reflect/value.go:2549 +0x9de
  github.com/godbus/dbus/v5.(*Conn).handleCall()
      /root/go/pkg/mod/github.com/godbus/dbus/v5@v5.2.4/export.go:211 +0xc64
  github.com/meshmesh/meshmesh/tray/notify.(*server).Notify()
      /work/main/tray/notify/notify.go:10 +0x44

Previous write at 0x00c000123456 by goroutine 9:
  fyne.io/systray.SetTooltip()
      /root/go/pkg/mod/fyne.io/systray@v1.12.2/systray_unix.go:90 +0x44
`
)

func TestSystrayOnly(t *testing.T) {
	for _, tc := range []struct {
		name   string
		report string
		want   bool
	}{
		{"the icon's pixels, read by godbus serving systray's property", iconRace, true},
		{"menuVersion, inside systray", menuRace, true},
		{"SetIcon storing the property godbus is sending", propRace, true},
		{"a frame of ours inside systray's call", ourPropRace, false},
		{"one access of ours", ourRace, false},
		{"a call godbus serves into our code", ourCallRace, false},
		{"no access found", "WARNING: DATA RACE\n", false},
	} {
		if got := systrayOnly(tc.report); got != tc.want {
			t.Errorf("%s: systrayOnly = %v, want %v", tc.name, got, tc.want)
		}
	}
}
