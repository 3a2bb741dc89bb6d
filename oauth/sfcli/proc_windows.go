package sfcli

import (
	"io/fs"
	"os/exec"
	"strconv"
)

// prepare makes cancelling cmd kill sf's whole process tree: sf.cmd runs
// cmd.exe, which runs node.exe, which holds the callback port.
func prepare(cmd *exec.Cmd) {
	cmd.Cancel = func() error {
		err := exec.Command("taskkill", "/T", "/F", "/PID", strconv.Itoa(cmd.Process.Pid)).Run()
		if err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

const caseFoldEnv = true

// executableNames are the names npm and the installer give sf on Windows.
func executableNames(file string) []string { return []string{file + ".cmd", file + ".exe", file} }

func isExecutable(fs.FileInfo) bool { return true }

// homeVar holds the home folder.
const homeVar = "USERPROFILE"

// installDirs are where sf's installer and npm put sf, after PATH.
var installDirs = []string{`${ProgramFiles}\sf\bin`, `${APPDATA}\npm`}
