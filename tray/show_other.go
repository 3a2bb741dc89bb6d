//go:build !linux

package tray

import "fyne.io/systray"

// showTray runs systray until the tray quits, with its own menu: native
// menus on Windows and macOS.
func showTray(a *app, u *systrayUI, onReady, onExit func()) {
	systray.Run(onReady, onExit)
}
