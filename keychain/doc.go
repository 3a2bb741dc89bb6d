// Package keychain keeps MeshMesh connections: their tokens and secrets
// only in the operating system's keychain, everything else in a
// non-secret index, and hands out valid access tokens.
//
// # Where things live
//
// Each connection has one keychain item (go-keyring; service "meshmesh",
// account the lower-cased username) holding, as compact JSON, its refresh
// token, its last access token and when that was issued, and for a custom
// connected app its consumer secret. There is no plaintext fallback: with
// no keychain, the store fails and says why. Every keychain call has a
// timeout (KeyringTimeout; RotatedSaveTimeout for the only copy of a
// rotated refresh token), and at most KeyringParallel calls are made at
// once: a keychain that hangs is not asked again until it answers.
//
// The index, connections.json in the store's folder (MESHMESH_HOME), lists
// the connections with who and where they are and their Status. It is
// replaced atomically and changed under a file lock, so the tray and any
// number of scripts can share it; a corrupt index is moved aside, never
// overwritten.
//
// # Tokens
//
// Store.Token hands out the cached access token while it is younger than
// the store's TokenMaxAge, else refreshes it through package oauth, one
// refresh at a time per connection across processes. A rotated refresh
// token is saved before the access token is returned; a dead one marks the
// connection NeedsReconnect. Store.Use runs an API call and, when the
// session turns out invalid, refreshes and runs it once more.
//
// Add, Remove and a refresh, once their writes begin, are not interrupted
// by their context: a half-saved grant or a lost rotated token is worse
// than a late answer, and each step has its own timeout.
//
// Every failure the store returns is, or wraps, an *oauth.Diagnosis; a
// cancelled context comes back as the context's error.
package keychain
