// Package tray is the menubar / system tray user interface of MeshMesh:
// the connections and their state in a menu, the flows behind its items
// (each in a goroutine), notifications with the fixes of a diagnosed
// failure as actions, the health checks, and the Connections page (package
// page). It drives the oauth and keychain packages; nothing imports it.
//
// One event loop owns the state: clicks, the ends of flows, actions picked
// on notifications, changes of the index on disk and the page's requests
// all arrive there as events, and the menu is rebuilt from the state.
package tray
