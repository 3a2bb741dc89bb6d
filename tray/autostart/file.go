package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/meshmesh/meshmesh/keychain/atomicfile"
)

// fileEntry is a start-at-login entry kept in a file of its own: where the
// file goes, what it says, and whether what a file says starts the
// program.
type fileEntry struct {
	path   func(name string) (string, error)
	render func(Entry) ([]byte, error)
	on     func(path string, data []byte) (bool, error)
}

// enable writes e's file.
func (f fileEntry) enable(e Entry) error {
	path, err := f.path(e.Name)
	if err != nil {
		return err
	}
	data, err := f.render(e)
	if err != nil {
		return err
	}
	if err := writeFile(path, data, 0o644); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// disable removes e's file; a file already gone is no error.
func (f fileEntry) disable(e Entry) error {
	path, err := f.path(e.Name)
	if err != nil {
		return err
	}
	if err := removeFile(path); err != nil {
		return fmt.Errorf("autostart: %w", err)
	}
	return nil
}

// enabled reports whether e's file exists and starts the program.
func (f fileEntry) enabled(e Entry) (bool, error) {
	path, err := f.path(e.Name)
	if err != nil {
		return false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %w", err)
	}
	return f.on(path, data)
}

// writeFile replaces path with data, atomically (a desktop reading the
// folder at login sees the old file or the new one), creating its folder,
// readable by the user only, when it does not exist.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, perm)
}

// removeFile removes path; a file that does not exist is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
