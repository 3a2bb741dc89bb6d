package instance_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/meshmesh/meshmesh/tray/instance"
)

// Environment of the test binary run as another tray process (TestMain).
const (
	helperEnv    = "INSTANCE_TEST_HELPER" // "second" or "primary"
	helperDirEnv = "INSTANCE_TEST_DIR"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode, os.Getenv(helperDirEnv)))
	}
	os.Exit(m.Run())
}

// helper is another start of the tray. "second" expects the folder to be
// claimed, asks the running tray to show its page and exits 0 if it took
// the request. "primary" claims the folder, prints "ready", then prints
// each request it receives, until killed.
func helper(mode, dir string) int {
	ctx := context.Background()
	switch mode {
	case "second":
		p, err := instance.Claim(ctx, dir, nil)
		if !errors.Is(err, instance.ErrRunning) {
			fmt.Fprintf(os.Stderr, "Claim in a second process: %v, want ErrRunning\n", err)
			if p != nil {
				p.Close()
			}
			return 3
		}
		if err := instance.Ask(ctx, dir, instance.Show); err != nil {
			fmt.Fprintf(os.Stderr, "Ask from a second process: %v\n", err)
			return 1
		}
		return 0
	case "primary":
		p, err := instance.Claim(ctx, dir, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Println("ready")
		for req := range p.Requests() {
			fmt.Println(req)
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown %s %q\n", helperEnv, mode)
	return 2
}

// claim claims dir for the test, closed at its end.
func claim(t *testing.T, dir string, log *slog.Logger) *instance.Primary {
	t.Helper()
	p, err := instance.Claim(t.Context(), dir, log)
	if err != nil {
		t.Fatalf("Claim(%s): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return p
}

// receive returns the next request of p; it fails the test when none comes.
func receive(t *testing.T, p *instance.Primary) instance.Request {
	t.Helper()
	select {
	case req, ok := <-p.Requests():
		if !ok {
			t.Fatal("Requests is closed")
		}
		return req
	case <-time.After(10 * time.Second):
		t.Fatal("no request on Requests")
		return ""
	}
}

// addrFile is what tray.addr holds.
type addrFile struct {
	Port  int    `json:"port"`
	PID   int    `json:"pid"`
	Token string `json:"token"`
}

func readAddrFile(t *testing.T, dir string) addrFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "tray.addr"))
	if err != nil {
		t.Fatal(err)
	}
	var a addrFile
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("tray.addr %q: %v", data, err)
	}
	return a
}

func writeAddrFile(t *testing.T, dir string, a addrFile) {
	t.Helper()
	data, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tray.addr"), data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOneTrayPerFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state") // created by Claim
	claim(t, dir, nil)

	if p, err := instance.Claim(t.Context(), dir, nil); !errors.Is(err, instance.ErrRunning) {
		t.Errorf("a second Claim of the folder: %v, want ErrRunning", err)
		if p != nil {
			p.Close()
		}
	}
	// Another folder (the demo's) has a tray of its own.
	claim(t, t.TempDir(), nil)

	a := readAddrFile(t, dir)
	if a.Port <= 0 || a.PID != os.Getpid() || len(a.Token) != 64 || strings.Trim(a.Token, "0123456789abcdef") != "" {
		t.Errorf("tray.addr = %+v, want a port, this pid and 32 bytes of hex", a)
	}
	if runtime.GOOS != "windows" {
		for name, want := range map[string]os.FileMode{".": os.ModeDir | 0o700, "tray.addr": 0o600, "tray.lock": 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if got := fi.Mode() & (os.ModeType | os.ModePerm); got != want {
				t.Errorf("%s: mode %v, want %v", name, got, want)
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("the folder holds %v, want tray.addr and tray.lock only", entries)
	}
}

func TestAskDeliversRequests(t *testing.T) {
	dir := t.TempDir()
	p := claim(t, dir, nil)
	for _, req := range []instance.Request{instance.Show, "open acme-uat", "show"} {
		if err := instance.Ask(t.Context(), dir, req); err != nil {
			t.Fatalf("Ask(%q): %v", req, err)
		}
		if got := receive(t, p); got != req {
			t.Errorf("Requests gave %q, want %q", got, req)
		}
	}
	for _, bad := range []instance.Request{"", "a\nb", instance.Request(strings.Repeat("x", 201))} {
		if err := instance.Ask(t.Context(), dir, bad); err == nil {
			t.Errorf("Ask(%q): no error", bad)
		}
	}
}

func TestAskWithoutTray(t *testing.T) {
	dir := t.TempDir()
	if err := instance.Ask(t.Context(), filepath.Join(dir, "absent"), instance.Show); !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("Ask in a folder that does not exist: %v, want ErrNotRunning", err)
	}
	// What a tray that exited, or crashed, leaves: the lock file and maybe
	// its address, where something else may listen now.
	if err := os.WriteFile(filepath.Join(dir, "tray.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := instance.Ask(t.Context(), dir, instance.Show); !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("Ask with a free lock: %v, want ErrNotRunning", err)
	}
	stranger := listen(t)
	writeAddrFile(t, dir, addrFile{Port: port(stranger), PID: 1, Token: strings.Repeat("ab", 32)})
	err := instance.Ask(t.Context(), dir, instance.Show)
	if !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("Ask with a free lock and a stale tray.addr: %v, want ErrNotRunning", err)
	}
	if !strings.Contains(err.Error(), dir) {
		t.Errorf("error %q does not name the folder", err)
	}
	// Had Ask dialled the stale address, its connection would be waiting.
	stranger.SetDeadline(time.Now())
	if conn, err := stranger.Accept(); err == nil {
		conn.Close()
		t.Error("Ask connected to the address of a tray that is not running")
	}
}

// TestAskWaitsForAStartingTray checks that Ask tries again while the lock
// is held but tray.addr is not yet the running tray's.
func TestAskWaitsForAStartingTray(t *testing.T) {
	dir := t.TempDir()
	p := claim(t, dir, nil)
	own := readAddrFile(t, dir)
	stale := listen(t)
	writeAddrFile(t, dir, addrFile{Port: port(stale), PID: 1, Token: strings.Repeat("ab", 32)})

	asked := make(chan error, 1)
	go func() { asked <- instance.Ask(t.Context(), dir, instance.Show) }()
	// Ask's first attempt reaches the stale address; the tray then
	// writes its own, and Ask's next attempt reaches it.
	stale.SetDeadline(time.Now().Add(10 * time.Second))
	conn, err := stale.Accept()
	if err != nil {
		t.Fatalf("Ask did not try the address in tray.addr: %v", err)
	}
	writeAddrFile(t, dir, own)
	conn.Close()
	if err := <-asked; err != nil {
		t.Fatalf("Ask: %v", err)
	}
	if got := receive(t, p); got != instance.Show {
		t.Errorf("Requests gave %q, want show", got)
	}
}

func TestAskGivesUpOnATrayThatDoesNotAnswer(t *testing.T) {
	t.Parallel() // waits out a time-out
	dir := t.TempDir()
	// A tray that holds the lock and never writes its address.
	lock := flock.New(filepath.Join(dir, "tray.lock"))
	if ok, err := lock.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock: %v, %v", ok, err)
	}
	defer lock.Unlock()
	err := instance.Ask(t.Context(), dir, instance.Show)
	if err == nil || errors.Is(err, instance.ErrNotRunning) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ask: %v, want a time-out of a running tray", err)
	}
	t.Log(err)
}

func TestBadRequestsAreRefused(t *testing.T) {
	t.Parallel() // waits out a time-out
	dir := t.TempDir()
	var log logBuffer
	p := claim(t, dir, slog.New(slog.NewTextHandler(&log, nil)))
	a := readAddrFile(t, dir)
	wrongToken := strings.Repeat("5e", 32)

	for _, tt := range []struct{ name, send, reason string }{
		{"a wrong token", wrongToken + " show\n", "wrong token"},
		{"no token", "show\n", "not a request line"},
		{"garbage", "\x00\x01\x02\n", "not a request line"},
		{"a control character", a.Token + " sh\x1bow\n", "control character"},
		{"not UTF-8", a.Token + " \xff\n", "not UTF-8"},
		{"a line too long", a.Token + " " + strings.Repeat("x", 400) + "\n", "longer than"},
		{"no line", "", "no request line"}, // ended by the tray's read deadline
	} {
		conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(a.Port))
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(conn, tt.send); err != nil {
			t.Fatal(err)
		}
		reply, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		// The tray may reset a connection whose input it left unread.
		if reply != "refused\n" && !(tt.name == "a line too long" && err != nil && !isTimeout(err)) {
			t.Errorf("%s: reply %q, %v; want refused", tt.name, reply, err)
		}
		if !strings.Contains(log.String(), tt.reason) {
			t.Errorf("%s: the log does not say %q:\n%s", tt.name, tt.reason, log.String())
		}
	}
	// None of them reached the tray: the next request is the first one.
	if err := instance.Ask(t.Context(), dir, "after"); err != nil {
		t.Fatal(err)
	}
	if got := receive(t, p); got != "after" {
		t.Errorf("Requests gave %q, want the good request only", got)
	}
	for _, secret := range []string{a.Token, wrongToken} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log holds a token:\n%s", log.String())
		}
	}
}

// TestFullQueueIsBusy checks that requests the tray does not take are
// dropped, not waited for, and that the asker is told.
func TestFullQueueIsBusy(t *testing.T) {
	dir := t.TempDir()
	var log logBuffer
	p := claim(t, dir, slog.New(slog.NewTextHandler(&log, nil)))
	n := 0
	for ; ; n++ {
		err := instance.Ask(t.Context(), dir, instance.Show)
		if err == nil {
			continue
		}
		if !strings.Contains(err.Error(), "busy") {
			t.Fatalf("Ask %d: %v, want a busy tray", n+1, err)
		}
		break
	}
	if n == 0 {
		t.Fatal("the first request found the tray busy")
	}
	if !strings.Contains(log.String(), "request dropped") {
		t.Errorf("the log does not say a request was dropped:\n%s", log.String())
	}
	for range n {
		receive(t, p)
	}
	if err := instance.Ask(t.Context(), dir, instance.Show); err != nil {
		t.Errorf("Ask once the tray took its requests: %v", err)
	}
}

func TestCloseReleasesTheFolder(t *testing.T) {
	dir := t.TempDir()
	p, err := instance.Claim(t.Context(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A connection that says nothing does not hold Close up.
	a := readAddrFile(t, dir)
	idle, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(a.Port))
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()

	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	if _, ok := <-p.Requests(); ok {
		t.Error("Requests is open after Close")
	}
	if _, err := os.Stat(filepath.Join(dir, "tray.addr")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("tray.addr after Close: %v, want it removed", err)
	}
	if err := instance.Ask(t.Context(), dir, instance.Show); !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("Ask after Close: %v, want ErrNotRunning", err)
	}
	p2 := claim(t, dir, nil)
	if err := instance.Ask(t.Context(), dir, instance.Show); err != nil {
		t.Fatalf("Ask of the new tray: %v", err)
	}
	receive(t, p2)
}

// TestSecondProcess starts the tray again as another process, which must
// find the folder claimed and reach this one.
func TestSecondProcess(t *testing.T) {
	dir := t.TempDir()
	p := claim(t, dir, nil)
	out, err := helperCommand(t, "second", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("second process: %v\n%s", err, out)
	}
	if got := receive(t, p); got != instance.Show {
		t.Errorf("Requests gave %q, want show", got)
	}
}

// TestCrashedTray runs the tray in another process, reaches it, kills it,
// and checks that what it left does not stop the next start.
func TestCrashedTray(t *testing.T) {
	dir := t.TempDir()
	cmd := helperCommand(t, "primary", dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("the tray process did not start: %q %v\n%s", lines.Text(), lines.Err(), stderr.String())
	}

	if p, err := instance.Claim(t.Context(), dir, nil); !errors.Is(err, instance.ErrRunning) {
		t.Errorf("Claim while another process runs the tray: %v, want ErrRunning", err)
		if p != nil {
			p.Close()
		}
	}
	if err := instance.Ask(t.Context(), dir, instance.Show); err != nil {
		t.Fatalf("Ask of the other process: %v", err)
	}
	if !lines.Scan() || lines.Text() != "show" {
		t.Fatalf("the other process received %q (%v), want show", lines.Text(), lines.Err())
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stale := readAddrFile(t, dir) // left by the crash
	if err := instance.Ask(t.Context(), dir, instance.Show); !errors.Is(err, instance.ErrNotRunning) {
		t.Errorf("Ask after the tray crashed: %v, want ErrNotRunning", err)
	}
	p := claim(t, dir, nil)
	if a := readAddrFile(t, dir); a.Token == stale.Token || a.PID != os.Getpid() {
		t.Errorf("tray.addr after a new Claim: %+v, want this process's, not the crashed one's %+v", a, stale)
	}
	if err := instance.Ask(t.Context(), dir, instance.Show); err != nil {
		t.Fatal(err)
	}
	receive(t, p)
}

// helperCommand runs the test binary as another tray process.
func helperCommand(t *testing.T, mode, dir string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	return cmd
}

// listen returns a loopback listener that accepts nothing by itself.
func listen(t *testing.T) *net.TCPListener {
	t.Helper()
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func port(ln *net.TCPListener) int { return ln.Addr().(*net.TCPAddr).Port }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// logBuffer is a log destination safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
