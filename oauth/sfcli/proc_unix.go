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

// homeVar holds the home folder.
const homeVar = "HOME"

// installDirs are where sf's installers and npm put sf, after PATH: the
// macOS and Linux installers, Homebrew, npm's global folder as Salesforce
// documents it, ~/.local.
var installDirs = []string{"/usr/local/bin", "/usr/local/sf/bin", "/opt/homebrew/bin", "~/.npm-global/bin", "~/.local/bin", "~/cli/sf/bin"}
