//go:build unix

package sftest

import (
	"os/exec"
	"syscall"
)

// setDetached puts cmd in a new session, so it outlives its parent's
// process group.
func setDetached(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
