// Package autostart registers a program to start when the user logs in, the
// way each desktop expects it:
//
//   - Linux and other XDG desktops: a desktop entry in
//     $XDG_CONFIG_HOME/autostart (by default ~/.config/autostart), as the
//     XDG Autostart specification describes;
//   - macOS: a LaunchAgent, ~/Library/LaunchAgents/<Name>.plist, with
//     RunAtLoad;
//   - Windows: a value of HKCU\Software\Microsoft\Windows\CurrentVersion\Run.
//
// An Entry describes the registration; Enabled reads its real state, which
// the user may have changed outside the program: a desktop's settings turn
// an XDG entry off with Hidden=true or X-GNOME-Autostart-enabled=false, a
// LaunchAgent with Disabled, Windows (Task Manager, Settings › Startup apps)
// in the StartupApproved key. Enable writes the registration anew, turning
// it back on; Disable removes it.
package autostart

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Entry is the start-at-login registration of a program.
type Entry struct {
	// Name identifies the entry: the name of its file on Linux and macOS
	// (<Name>.desktop, <Name>.plist) and the LaunchAgent's label. A
	// reverse-DNS name ("io.meshmesh.tray") is what both systems
	// recommend. Letters, digits, '.', '_' and '-' only.
	Name string

	// DisplayName is the program's name as the user knows it ("MeshMesh"):
	// the desktop entry's Name and the name of the Windows Run value.
	// Empty means Name.
	DisplayName string

	// Comment is a one-line description, shown by Linux desktops. Optional.
	Comment string

	// Icon is the desktop entry's icon, a theme icon name or an absolute
	// path; Linux only, optional.
	Icon string

	// Command is what runs at login: the absolute path of the executable,
	// then its arguments.
	Command []string
}

// Enabled reports whether the program starts at login: the registration
// exists and the user has not turned it off. A registration that exists
// but cannot be read is reported with an error.
func (e Entry) Enabled() (bool, error) {
	if err := e.validName(); err != nil {
		return false, err
	}
	return e.enabled()
}

// Enable registers the program to start at login, replacing the entry of
// the same Name (and so turning it on again if the user had turned it
// off).
func (e Entry) Enable() error {
	if err := e.valid(); err != nil {
		return err
	}
	return e.enable()
}

// Disable removes the registration. Removing one that does not exist is
// not an error.
func (e Entry) Disable() error {
	if err := e.validName(); err != nil {
		return err
	}
	return e.disable()
}

// displayName returns DisplayName, or Name when it is empty.
func (e Entry) displayName() string {
	if e.DisplayName != "" {
		return e.DisplayName
	}
	return e.Name
}

// maxName bounds Name: it becomes a file name.
const maxName = 200

// validName checks Name, which all three operations use.
func (e Entry) validName() error {
	if e.Name == "" {
		return errors.New("autostart: the entry has no Name")
	}
	if len(e.Name) > maxName {
		return fmt.Errorf("autostart: Name %.20q… is longer than %d bytes", e.Name, maxName)
	}
	if e.Name[0] == '.' || e.Name[0] == '-' {
		return fmt.Errorf("autostart: Name %q starts with %q", e.Name, e.Name[0])
	}
	for _, c := range e.Name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("autostart: Name %q holds %q: use letters, digits, '.', '_' and '-'", e.Name, c)
		}
	}
	return nil
}

// valid checks what Enable writes.
func (e Entry) valid() error {
	if err := e.validName(); err != nil {
		return err
	}
	if len(e.Command) == 0 {
		return fmt.Errorf("autostart: entry %s has no Command", e.Name)
	}
	if !filepath.IsAbs(e.Command[0]) {
		return fmt.Errorf("autostart: entry %s: the executable %q is not an absolute path", e.Name, e.Command[0])
	}
	for _, s := range append([]string{e.DisplayName, e.Comment, e.Icon}, e.Command...) {
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("autostart: entry %s: %q holds a NUL byte", e.Name, s)
		}
	}
	return nil
}
