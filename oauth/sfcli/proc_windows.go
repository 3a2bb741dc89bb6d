package sfcli

import (
	"io/fs"
	"os/exec"
)

// prepare leaves cmd as it is: cancelling kills sf's process.
func prepare(*exec.Cmd) {}

const caseFoldEnv = true

// executableNames are the names npm gives sf on Windows.
func executableNames(file string) []string { return []string{file + ".cmd", file + ".exe", file} }

func isExecutable(fs.FileInfo) bool { return true }
