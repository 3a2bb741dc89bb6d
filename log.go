// This file holds the log.

package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
)

// user's state folder (XDG_STATE_HOME on Linux, the cache folder
// elsewhere).
func logPath(getenv func(string) string) string {
	if p := getenv("MESHMESH_LOG"); p != "" {
		return p
	}
	if runtime.GOOS == "linux" {
		if dir := getenv("XDG_STATE_HOME"); filepath.IsAbs(dir) {
			return filepath.Join(dir, "meshmesh", "meshmesh.log")
		}
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, ".local", "state", "meshmesh", "meshmesh.log")
		}
	}
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "meshmesh", "meshmesh.log")
	}
	return ""
}

// maxLogSize is when the log is moved to meshmesh.log.1 and begun anew.
const maxLogSize = 4 << 20

// openLog opens the log for appending; a log that cannot be opened is
// no reason to fail a command.
func openLog(getenv func(string) string) (log *slog.Logger, ok bool) {
	discard := slog.New(slog.DiscardHandler)
	p := logPath(getenv)
	if p == "" {
		return discard, false
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return discard, false
	}
	if st, err := os.Stat(p); err == nil && st.Size() > maxLogSize {
		_ = os.Rename(p, p+".1")
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return discard, false
	}
	// The file stays open for the life of the process.
	return slog.New(slog.NewTextHandler(f, nil)).With("pid", os.Getpid()), true
}
