// Package keychain keeps MeshMesh connections: tokens and secrets only in
// the operating system's keychain, and a non-secret index of connections
// in the user's configuration folder. It may use package oauth to refresh
// tokens.
//
// It is filled by the keychain issue.
package keychain
