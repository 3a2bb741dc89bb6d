// Package tray is the menubar / system tray user interface of MeshMesh. It
// drives the oauth and keychain packages; nothing imports it.
//
// It is filled by the tray issue; until then the binary prints usage.
package tray
