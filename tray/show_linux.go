package tray

import (
	"fyne.io/systray"
	"github.com/godbus/dbus/v5"

	"github.com/meshmesh/meshmesh/tray/dbusmenu"
)

// systrayMenuPath is where fyne.io/systray serves its menu, the path its
// StatusNotifierItem's Menu property names: package dbusmenu's menu is
// served there in its place.
const systrayMenuPath = dbus.ObjectPath("/StatusNotifierItem/menu")

// showTray runs systray until the tray quits, with the menu served by
// package dbusmenu on systray's own connection to the session bus. u
// becomes the app's ui before onReady runs.
func showTray(a *app, u *systrayUI, onReady, onExit func()) {
	d := newDBusUI(u, dbusmenu.New(a.log()))
	a.ui = d
	start, end := systray.RunWithExternalLoop(onReady, onExit)
	start()                        // exports systray's item and menu, then registers the item
	conn, err := dbus.SessionBus() // the connection systray exported on
	if err == nil {
		err = d.menu.Export(conn, systrayMenuPath)
	}
	if err != nil {
		a.log().Error("tray: the menu cannot be served", "err", err)
		a.cancel()
	}
	go d.forward()
	select {
	case <-d.quitted:
	case <-a.ctx.Done():
	}
	end()
}
