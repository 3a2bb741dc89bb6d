//go:build unix

package sfcli

import (
	"io/fs"
	"os/exec"
	"syscall"
)

// prepare runs cmd in a process group of its own and makes cancelling it
// kill the whole group: sf is node, which starts xdg-open and a browser.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}

const caseFoldEnv = false

func executableNames(file string) []string { return []string{file} }

func isExecutable(fi fs.FileInfo) bool { return fi.Mode()&0o111 != 0 }
