// Package icons holds the MeshMesh tray icons, embedded in the binary.
//
// There are three, one per [Kind]: Normal, the MeshMesh mesh (three linked
// blue nodes); Busy, the mesh with an amber badge of three dots; and
// Attention, the mesh with a red badge with "!". The badge takes the place
// of the bottom right node. Each comes as the bytes a tray wants on the
// running system ([Tray]), as a macOS template ([Template]) and as a PNG
// ([PNG]); [App] is the 128 px app icon, for notifications and web pages.
//
// The icons read at 22 px on dark and light panels alike: the blue and the
// badges' colours differ from both a dark (#202020) and a light (#F0F0F0)
// panel, and a thin white halo outlines the mesh and parts the badge from
// it.
//
// The files are drawn by gen.go (go generate) with the standard library
// alone and committed; the tests check that they are what gen.go draws.
package icons
