//go:build !unix

package sftest

import "os/exec"

// setDetached does nothing on systems without sessions.
func setDetached(cmd *exec.Cmd) {}
