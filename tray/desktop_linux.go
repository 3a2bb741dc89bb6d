package tray

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus/v5"
)

// watcherName is the StatusNotifierWatcher's bus name: the tray host of
// KDE, GNOME's AppIndicator extension, waybar, xfce4-panel…
const watcherName = "org.kde.StatusNotifierWatcher"

// CheckDesktop reports why a tray cannot show here: on Linux, no usable
// session bus, or no tray host (a StatusNotifierWatcher) within wait — a
// tray started at login may come up before the panel. Without this check
// systray would hang with nothing on screen.
func CheckDesktop(ctx context.Context, wait time.Duration) error {
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		// godbus's own fallback; never dbus-launch, which would start a
		// bus nobody shows.
		p := fmt.Sprintf("/run/user/%d/bus", os.Getuid())
		if _, err := os.Stat(p); err != nil {
			return noDesktop("No desktop session", fmt.Errorf("DBUS_SESSION_BUS_ADDRESS is not set and %s does not exist", p),
				"The tray needs a desktop session's D-Bus session bus. Start MeshMesh from your desktop (or with DBUS_SESSION_BUS_ADDRESS set), or use the command line: meshmesh help.")
		}
		addr = "unix:path=" + p
	}
	ctx, cancel := context.WithTimeout(ctx, wait+5*time.Second)
	defer cancel()
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return noDesktop("No desktop session", fmt.Errorf("the D-Bus session bus at %s does not answer: %w", addr, err),
			"The tray needs a desktop session's D-Bus session bus. Start MeshMesh from your desktop, or use the command line: meshmesh help.")
	}
	defer conn.Close()
	deadline := time.Now().Add(wait)
	for {
		var has bool
		err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&has)
		if err == nil && has {
			return nil
		}
		if err != nil {
			return noDesktop("No desktop session", fmt.Errorf("asking the session bus for %s: %w", watcherName, err),
				"The D-Bus session bus does not answer as it should. Start MeshMesh from your desktop session, or use the command line: meshmesh help.")
		}
		if time.Now().After(deadline) {
			return noDesktop("No system tray", fmt.Errorf("no %s on the session bus after %s", watcherName, wait),
				"Nothing on this desktop shows tray icons. On GNOME, install the \"AppIndicator and KStatusNotifierItem Support\" extension and start MeshMesh again; or use the command line: meshmesh help.")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
