// Package instance keeps the tray to one process per state folder: the
// first start claims the folder and takes requests; a later start asks the
// running one to act (open the Connections page) and exits.
//
//	p, err := instance.Claim(ctx, dir, log)
//	if errors.Is(err, instance.ErrRunning) {
//		return instance.Ask(ctx, dir, instance.Show) // and exit
//	}
//	defer p.Close()
//	for req := range p.Requests() { … }
//
// The claim is a file lock, tray.lock in the folder, held for the life of
// the process. The system releases it when the process ends, however it
// ends, so a crash leaves nothing that stops the next start: the lock, not
// any file's content, decides who runs.
//
// The running tray listens on a loopback TCP port (which works the same on
// Windows) and writes tray.addr (mode 0600): the port, its process id and a
// random token. A request proves by the token that it comes from someone
// who can read the user's folder. It is one line, "<token> <request>\n",
// answered by one line: "ok" (queued), "busy" (the tray is not taking
// requests) or "refused" (a wrong token, or not a request).
package instance

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofrs/flock"
)

// A Request is what a later start asks the running tray to do.
type Request string

// Show asks the running tray to open its Connections page.
const Show Request = "show"

// ErrRunning is Claim's error when another process (or another Claim in
// this one) runs the tray of the folder.
var ErrRunning = errors.New("instance: another tray is running")

// ErrNotRunning is Ask's error when no tray runs for the folder.
var ErrNotRunning = errors.New("instance: no tray is running")

const (
	// lockName is the lock file, held by the running tray.
	lockName = "tray.lock"
	// addrName is the running tray's address and token.
	addrName = "tray.addr"
	// maxRequest bounds a request, in bytes.
	maxRequest = 200
	// maxLine bounds a request line: a token, a space, a request, '\n'.
	maxLine = 2*tokenBytes + 1 + maxRequest + 1
	// tokenBytes is the size of the token, before hex encoding.
	tokenBytes = 32
	// connTimeout bounds the wait for a request line, and for the
	// reply to be sent.
	connTimeout = 2 * time.Second
	// queue is how many requests wait for the tray before more are
	// dropped.
	queue = 8
)

// Primary is the claim of the process that runs the tray of a folder.
type Primary struct {
	log      *slog.Logger
	lock     *flock.Flock
	ln       net.Listener
	addrPath string
	token    string
	requests chan Request

	ctx    context.Context // done when Close begins
	cancel context.CancelFunc
	wg     sync.WaitGroup // the accept loop and the connections

	closeOnce sync.Once
	closeErr  error
}

// Claim makes this process the one running tray for dir, the tray's state
// folder (created, 0700, if need be), or returns ErrRunning when another
// process, or another Claim of this process not yet closed, runs it. ctx
// bounds the claim itself, not the life of the Primary: Close ends that.
// log receives what the Primary does, never its token; nil discards it.
func Claim(ctx context.Context, dir string, log *slog.Logger) (*Primary, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	lock := flock.New(filepath.Join(dir, lockName), flock.SetPermissions(0o600))
	ok, err := lock.TryLock()
	if err != nil {
		return nil, fmt.Errorf("instance: lock %s: %w", lock.Path(), err)
	}
	if !ok {
		return nil, ErrRunning
	}
	p, err := listen(ctx, dir, lock, log)
	if err != nil {
		_ = lock.Unlock()
		return nil, err
	}
	return p, nil
}

// listen starts the Primary of dir, whose lock is held.
func listen(ctx context.Context, dir string, lock *flock.Flock, log *slog.Logger) (*Primary, error) {
	addrPath := filepath.Join(dir, addrName)
	// A crashed tray's address: nobody must dial it while this one starts.
	if err := os.Remove(addrPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("instance: %w", err)
	}
	token := make([]byte, tokenBytes)
	_, _ = rand.Read(token) // never fails
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("instance: %w", err)
	}
	p := &Primary{
		log:      log,
		lock:     lock,
		ln:       ln,
		addrPath: addrPath,
		token:    hex.EncodeToString(token),
		requests: make(chan Request, queue),
	}
	a := address{Port: ln.Addr().(*net.TCPAddr).Port, PID: os.Getpid(), Token: p.token}
	if err := writeAddr(addrPath, a); err != nil {
		ln.Close()
		return nil, fmt.Errorf("instance: %w", err)
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.wg.Add(1)
	go p.serve()
	log.Info("instance: claimed", "dir", dir, "port", a.Port)
	return p, nil
}

// Requests returns the requests of later starts, in the order they came.
// It is closed by Close.
func (p *Primary) Requests() <-chan Request { return p.requests }

// Close stops taking requests, closes Requests, removes tray.addr and
// releases the lock. It returns the same error on every call.
func (p *Primary) Close() error {
	p.closeOnce.Do(func() {
		p.cancel()
		err := p.ln.Close()
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		p.wg.Wait()
		close(p.requests)
		// The address first: once the lock is free, a new tray writes its own.
		if rm := os.Remove(p.addrPath); rm != nil && !errors.Is(rm, os.ErrNotExist) {
			err = errors.Join(err, rm)
		}
		err = errors.Join(err, p.lock.Unlock())
		if err != nil {
			p.closeErr = fmt.Errorf("instance: %w", err)
		}
	})
	return p.closeErr
}

// serve accepts connections until Close.
func (p *Primary) serve() {
	defer p.wg.Done()
	var delay time.Duration
	for {
		conn, err := p.ln.Accept()
		if err != nil {
			if p.ctx.Err() != nil {
				return
			}
			// Out of file descriptors, say: back off as net/http does.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			p.log.Warn("instance: accept failed", "err", err, "retry_in", delay)
			select {
			case <-time.After(delay):
			case <-p.ctx.Done():
				return
			}
			continue
		}
		delay = 0
		p.wg.Add(1)
		go p.handle(conn)
	}
}

// handle reads one request from conn, queues it and replies.
func (p *Primary) handle(conn net.Conn) {
	defer p.wg.Done()
	defer conn.Close()
	stop := context.AfterFunc(p.ctx, func() { conn.Close() })
	defer stop()
	_ = conn.SetReadDeadline(time.Now().Add(connTimeout))

	reply := "ok"
	req, err := p.read(conn)
	switch {
	case err != nil:
		// Never the line: it may hold a token.
		p.log.Warn("instance: request refused", "remote", conn.RemoteAddr().String(), "reason", err)
		reply = "refused"
	default:
		select {
		case p.requests <- req:
			p.log.Info("instance: request", "request", string(req))
		default:
			p.log.Warn("instance: request dropped: the tray is not taking requests", "request", string(req))
			reply = "busy"
		}
	}
	_ = conn.SetWriteDeadline(time.Now().Add(connTimeout))
	_, _ = io.WriteString(conn, reply+"\n")
}

// read reads a request line from conn and checks its token.
func (p *Primary) read(conn net.Conn) (Request, error) {
	line, err := bufio.NewReaderSize(conn, maxLine).ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", fmt.Errorf("a line longer than %d bytes", maxLine)
	}
	if err != nil {
		return "", fmt.Errorf("no request line: %w", err)
	}
	token, req, ok := strings.Cut(strings.TrimSuffix(string(line), "\n"), " ")
	if !ok {
		return "", errors.New("not a request line")
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(p.token)) != 1 {
		return "", errors.New("wrong token")
	}
	if err := Request(req).check(); err != nil {
		return "", err
	}
	return Request(req), nil
}

// check reports whether r can be sent: 1 to maxRequest bytes of UTF-8
// without control characters.
func (r Request) check() error {
	if r == "" || len(r) > maxRequest {
		return fmt.Errorf("a request of %d bytes (1 to %d)", len(r), maxRequest)
	}
	if !utf8.ValidString(string(r)) {
		return errors.New("a request that is not UTF-8")
	}
	if strings.IndexFunc(string(r), unicode.IsControl) >= 0 {
		return errors.New("a request with a control character")
	}
	return nil
}
