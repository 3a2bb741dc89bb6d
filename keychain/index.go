package keychain

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/meshmesh/meshmesh/keychain/atomicfile"
	"github.com/meshmesh/meshmesh/oauth"
)

// IndexFile is the name of the index in the store's folder.
const IndexFile = "connections.json"

// indexVersion is the format of the index this build writes and reads.
const indexVersion = 1

// LockTimeout bounds the wait for another MeshMesh process (the tray, a
// script) to finish changing the index or refreshing a connection.
// It exceeds the longest a lock is held: a refresh (oauth.RequestTimeout)
// and the save of a rotated token (RotatedSaveTimeout).
const LockTimeout = 2 * time.Minute

// index is the non-secret list of connections: one JSON file, replaced
// atomically, changed under a file lock shared with other processes.
type index struct {
	dir string
}

func (x index) path() string { return filepath.Join(x.dir, IndexFile) }

// read returns the connections. A missing index is an empty one; a corrupt
// one is moved aside (never overwritten) and reported with both paths.
func (x index) read(ctx context.Context) ([]Connection, error) {
	f, err := x.readFile(ctx)
	return f.Connections, err
}

// readFile is read, with the rest of the index.
func (x index) readFile(ctx context.Context) (indexFile, error) {
	f, err := x.parse()
	if !errors.Is(err, errCorrupt) {
		return f, err
	}
	unlock, lerr := x.lock(ctx, "connections")
	if lerr != nil {
		return indexFile{}, lerr
	}
	defer unlock()
	f, err = x.parse() // another process may have mended it meanwhile
	if !errors.Is(err, errCorrupt) {
		return f, err
	}
	return indexFile{}, x.setAside(err)
}

var errCorrupt = errors.New("corrupt index")

func (x index) parse() (indexFile, error) {
	b, err := os.ReadFile(x.path())
	if errors.Is(err, fs.ErrNotExist) {
		return indexFile{}, nil
	}
	if err != nil {
		return indexFile{}, x.failed("read", err)
	}
	f, err := decodeIndex(b)
	if err != nil {
		return indexFile{}, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if f.Version > indexVersion {
		return indexFile{}, &oauth.Diagnosis{
			Code:   IndexFailed,
			Title:  "Index written by a newer MeshMesh",
			Advice: fmt.Sprintf("%s has format %d; this MeshMesh reads format %d. Update MeshMesh.", x.path(), f.Version, indexVersion),
		}
	}
	if f.Version < 1 {
		return indexFile{}, fmt.Errorf("%w: no version", errCorrupt)
	}
	return f, nil
}

// setAside renames a corrupt index to connections.json.corrupt-<time> (a
// name not taken yet, so that nothing overwrites an earlier one), and
// explains. The index lock is held.
func (x index) setAside(cause error) error {
	aside := x.path() + ".corrupt-" + time.Now().UTC().Format("20060102T150405Z")
	for n := 2; n < 100; n++ {
		if _, err := os.Lstat(aside); err != nil {
			break // free (or unusable: the rename says why)
		}
		aside = fmt.Sprintf("%s.corrupt-%s-%d", x.path(), time.Now().UTC().Format("20060102T150405Z"), n)
	}
	if err := atomicfile.Rename(x.path(), aside); err != nil {
		return &oauth.Diagnosis{
			Code:   IndexCorrupt,
			Title:  "The connection index is corrupt",
			Advice: fmt.Sprintf("%s cannot be read (%v) and could not be moved aside (%v). Move or repair it by hand, then reconnect your orgs.", x.path(), cause, err),
			Err:    cause,
		}
	}
	return &oauth.Diagnosis{
		Code:  IndexCorrupt,
		Title: "The connection index was corrupt",
		Advice: fmt.Sprintf("%s could not be read (%v). It was kept as %s and MeshMesh starts a new index. "+
			"Your tokens are still in the keychain: repair the file and move it back, or reconnect your orgs with meshmesh connect.",
			x.path(), strings.TrimPrefix(cause.Error(), errCorrupt.Error()+": "), aside),
		Err: cause,
	}
}

// update changes the connections under the index lock and writes them
// back atomically.
func (x index) update(ctx context.Context, change func([]Connection) ([]Connection, error)) error {
	return x.updateFile(ctx, func(f *indexFile) error {
		conns, err := change(f.Connections)
		f.Connections = conns
		return err
	})
}

// updateFile is update for changes to the rest of the index too.
func (x index) updateFile(ctx context.Context, change func(*indexFile) error) error {
	unlock, err := x.lock(ctx, "connections")
	if err != nil {
		return err
	}
	defer unlock()
	f, err := x.parse()
	if errors.Is(err, errCorrupt) {
		return x.setAside(err)
	}
	if err != nil {
		return err
	}
	f.Version = indexVersion
	encode := func(f indexFile) ([]byte, error) { return json.MarshalIndent(f, "", "  ") }
	old, err := encode(f)
	if err != nil {
		return err
	}
	f.Connections, f.Links = slices.Clone(f.Connections), slices.Clone(f.Links)
	if err := change(&f); err != nil {
		return err
	}
	b, err := encode(f)
	if err != nil {
		return err
	}
	if bytes.Equal(b, old) {
		return nil // unchanged: leave the file (and its time) alone
	}
	if err := atomicfile.WriteFile(x.path(), append(b, '\n'), 0o600); err != nil {
		return x.failed("write", err)
	}
	return nil
}

// lock takes the file lock name in the store's folder, waiting for other
// processes at most LockTimeout.
func (x index) lock(ctx context.Context, name string) (unlock func(), err error) {
	if err := x.ensureDir(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, LockTimeout)
	defer cancel()
	l := flock.New(filepath.Join(x.dir, name+".lock"), flock.SetPermissions(0o600))
	ok, err := l.TryLockContext(ctx, 25*time.Millisecond)
	if err != nil || !ok {
		if err == nil {
			err = ctx.Err()
		}
		if errors.Is(err, context.Canceled) {
			return nil, err // the caller gave up: nothing to explain
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			return nil, x.failed("lock", err) // the lock file itself
		}
		return nil, &oauth.Diagnosis{
			Code:   IndexFailed,
			Title:  "Another MeshMesh is busy with your connections",
			Advice: fmt.Sprintf("Could not lock %s within %s: another MeshMesh process (the tray or a script) holds it. Try again; if it persists, stop the other process.", l.Path(), LockTimeout),
			Err:    err,
		}
	}
	return func() { _ = l.Unlock() }, nil
}

// ensureDir creates the store's folder, readable by the user only. A
// folder that exists keeps its mode: MESHMESH_HOME may name one the user
// chose.
func (x index) ensureDir() error {
	if err := os.MkdirAll(x.dir, 0o700); err != nil {
		return x.failed("create", err)
	}
	return nil
}

func (x index) failed(what string, err error) error {
	return &oauth.Diagnosis{
		Code:   IndexFailed,
		Title:  "Cannot " + what + " the connection index",
		Advice: fmt.Sprintf("%v. Check that %s is yours and writable, or set MESHMESH_HOME to another folder.", err, x.dir),
		Err:    err,
	}
}
