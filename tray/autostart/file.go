package autostart

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// writeFile replaces path with data, atomically: a temporary file in the
// same folder, written, synced, given mode perm and renamed over path, so
// that a desktop reading the folder at login sees the old file or the new
// one, never half of one (and no temporary file under a name it reads). The
// folder is created, readable by the user only, when it does not exist.
func writeFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(perm); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return err
	}
	// Make the rename durable.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// removeFile removes path; a file that does not exist is not an error.
func removeFile(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
