// Package atomicfile replaces files atomically: a reader sees the old file
// or the new one, never half of one, and never a temporary file under the
// file's own name. MeshMesh writes all its state this way: the connection
// index, the running tray's address and the start-at-login entry.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// WriteFile replaces path with data, with mode perm: a temporary file in
// the same folder (so that the rename stays on one file system), written,
// given perm, synced and renamed over path; then, where the system allows,
// the folder is synced to make the rename durable. The folder must exist.
// On failure path is as it was and the temporary file is gone.
func WriteFile(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp") // 0600 until Chmod
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
	if err = Rename(f.Name(), path); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// Rename is os.Rename, retried for up to a second on Windows, where a file
// another process has open (a reader) cannot be replaced.
func Rename(from, to string) error {
	err := os.Rename(from, to)
	if runtime.GOOS != "windows" {
		return err
	}
	for i := 0; errors.Is(err, fs.ErrPermission) && i < 40; i++ { // ERROR_ACCESS_DENIED
		time.Sleep(25 * time.Millisecond)
		err = os.Rename(from, to)
	}
	return err
}

// syncDir makes a rename in dir durable where the system allows it.
func syncDir(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
