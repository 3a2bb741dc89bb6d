package traytest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// RaceLog is for a program under test built with -race (a test binary run
// as the program). fyne.io/systray v1.12.2 has data races of its own
// (menuVersion is read and written under different locks; the icon's
// pixels, written by SetIcon, are read by godbus while it answers a
// property call, with no order between them), which would make such a
// program exit with status 66. RaceLog returns a GORACE value for the
// program that writes race reports to files instead of changing the exit
// status, and check, which fails t for every report with an access
// outside fyne.io/systray and godbus's serving of its objects.
func RaceLog(t testing.TB) (gorace string, check func()) {
	t.Helper()
	prefix := filepath.Join(t.TempDir(), "race")
	check = func() {
		t.Helper()
		files, _ := filepath.Glob(prefix + ".*")
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Error(err)
				continue
			}
			for _, report := range strings.Split(string(b), "==================") {
				if !strings.Contains(report, "DATA RACE") {
					continue
				}
				if systrayOnly(report) {
					t.Logf("a data race inside fyne.io/systray, not ours: tolerated")
					continue
				}
				t.Errorf("the program has a data race:%s", report)
			}
		}
	}
	return "atexit_sleep_ms=0 exitcode=0 log_path=" + prefix, check
}

// access is one access of a race report: its heading and stack, up to
// the blank line.
var access = regexp.MustCompile(`(?m)^(?:Previous )?(?:[Rr]ead|[Ww]rite|Atomic read|Atomic write) at 0x[0-9a-f]+ by (?:goroutine \d+|main goroutine):\n((?:[ \t]+\S.*\n?)+)`)

// systrayOnly reports whether every access of a race report happens in
// fyne.io/systray's own code — the innermost frame outside the runtime,
// reflect and godbus is systray's (SetIcon storing a property through
// godbus) — or in godbus answering a D-Bus call on an object systray
// exported (a handleCall stack with no frame of ours).
func systrayOnly(report string) bool {
	m := access.FindAllStringSubmatch(report, -1)
	if len(m) == 0 {
		return false
	}
	for _, a := range m {
		stack := strings.TrimSpace(a[1])
		switch {
		case strings.HasPrefix(innermost(stack), "fyne.io/systray."):
		case strings.Contains(stack, "github.com/godbus/dbus/v5.(*Conn).handleCall") && !strings.Contains(stack, "meshmesh"):
		default:
			return false
		}
	}
	return true
}

// innermost returns the first function of stack (frames and their file
// lines, innermost first) that is not the runtime's, reflect's or godbus's.
func innermost(stack string) string {
	for _, line := range strings.Split(stack, "\n") {
		f := strings.TrimSpace(line)
		if f == "" || strings.HasPrefix(f, "/") || strings.HasPrefix(f, "runtime.") || strings.HasPrefix(f, "reflect.") || strings.HasPrefix(f, "github.com/godbus/dbus/v5") {
			continue
		}
		return f
	}
	return ""
}
