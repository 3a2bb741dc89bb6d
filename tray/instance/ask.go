package instance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

const (
	// askTimeout bounds Ask: the tray may be starting (its lock held, its
	// address not yet written), and Ask tries again until then.
	askTimeout = 2 * time.Second
	// attemptTimeout bounds one exchange with the tray.
	attemptTimeout = time.Second
	// retryInterval is the pause between two attempts.
	retryInterval = 25 * time.Millisecond
)

// errBusy is the reply of a tray that is not taking requests.
var errBusy = errors.New("instance: the running tray is busy and dropped the request")

// Ask sends req to the tray running for dir and waits for it to take the
// request, for at most 2 s: while a tray holds the folder but does not
// answer yet (it is starting), Ask tries again. It returns ErrNotRunning
// when no tray runs for dir.
//
// To learn that, Ask takes the folder's lock for a moment when it is free.
// A Claim at that very moment returns ErrRunning, and its Ask then
// ErrNotRunning: a start that sees both claims again.
func Ask(ctx context.Context, dir string, req Request) error {
	if err := req.check(); err != nil {
		return fmt.Errorf("instance: cannot send %s", err)
	}
	ctx, cancel := context.WithTimeout(ctx, askTimeout)
	defer cancel()
	for {
		// The lock first: tray.addr may be a crashed tray's.
		running, err := locked(filepath.Join(dir, lockName))
		if err != nil {
			return err
		}
		if !running {
			return fmt.Errorf("%w for %s", ErrNotRunning, dir)
		}
		err = askOnce(ctx, filepath.Join(dir, addrName), req)
		if err == nil || errors.Is(err, errBusy) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance: the tray running for %s does not answer: %w (%w)", dir, ctx.Err(), err)
		case <-time.After(retryInterval):
		}
	}
}

// askOnce sends req to the tray whose address is in addrPath and reads
// its reply.
func askOnce(ctx context.Context, addrPath string, req Request) error {
	a, err := readAddr(addrPath)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(a.Port)))
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	if _, err := io.WriteString(conn, a.Token+" "+string(req)+"\n"); err != nil {
		return err
	}
	line, err := bufio.NewReaderSize(conn, 64).ReadSlice('\n')
	if err != nil {
		return fmt.Errorf("no reply from the tray (pid %d): %w", a.PID, err)
	}
	switch reply := strings.TrimSuffix(string(line), "\n"); reply {
	case "ok":
		return nil
	case "busy":
		return errBusy
	case "refused":
		return fmt.Errorf("the tray (pid %d) refused the request", a.PID)
	default:
		return fmt.Errorf("the tray (pid %d) replied %q", a.PID, reply)
	}
}

// locked reports whether a process holds the lock file path. When none
// does, it takes the lock for a moment to learn that.
func locked(path string) (bool, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	l := flock.New(path, flock.SetPermissions(0o600))
	ok, err := l.TryLock()
	if err != nil {
		return false, fmt.Errorf("instance: lock %s: %w", path, err)
	}
	if ok {
		return false, l.Unlock()
	}
	return true, nil
}
