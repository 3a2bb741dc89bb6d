//go:build !linux

package keychaintest

import (
	"os"
	"syscall"
)

// supported reports whether a session can run on this system: Missing
// reports an error elsewhere than on Linux, so the package builds everywhere
// and its tests skip.
const supported = false

func sysProcAttr() *syscall.SysProcAttr { return nil }

func killGroup(pid int, _ bool) {
	if pid <= 0 {
		return
	}
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
