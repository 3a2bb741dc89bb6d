//go:build !darwin && !windows

package autostart

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestEntryIsAnXDGAutostartEntry runs Entry's methods as the tray does:
// on Linux they manage $XDG_CONFIG_HOME/autostart/<Name>.desktop.
func TestEntryIsAnXDGAutostartEntry(t *testing.T) {
	config := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", config)
	e := trayEntry("/usr/bin/meshmesh", "tray")
	path := filepath.Join(config, "autostart", "io.meshmesh.tray.desktop")

	if on, err := e.Enabled(); on || err != nil {
		t.Fatalf("before Enable: Enabled() = %v, %v; want false", on, err)
	}
	if err := e.Enable(); err != nil {
		t.Fatal(err)
	}
	if keys := readDesktop(t, path); keys["Exec"] != "/usr/bin/meshmesh tray" {
		t.Errorf("%s: Exec=%s, want the command", path, keys["Exec"])
	}
	if on, err := e.Enabled(); !on || err != nil {
		t.Errorf("after Enable: Enabled() = %v, %v; want true", on, err)
	}

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(data, "Hidden=true\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if on, err := e.Enabled(); on || err != nil {
		t.Errorf("turned off by the user (Hidden=true): Enabled() = %v, %v; want false", on, err)
	}

	if err := e.Disable(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Disable, %s: %v, want it removed", path, err)
	}
	if on, err := e.Enabled(); on || err != nil {
		t.Errorf("after Disable: Enabled() = %v, %v; want false", on, err)
	}
	if err := e.Disable(); err != nil {
		t.Errorf("a second Disable: %v", err)
	}
}
