//go:build !linux

package keychain

// secretReader is go-keyring alone off Linux.
type secretReader struct{}

func newSecretReader() *secretReader { return nil }

func (r *secretReader) get(service, user string) (string, bool) { return "", false }
