//go:build !windows && !darwin

package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// wait bounds a wait for something that should come at once.
const wait = 20 * time.Second

var blue = color.NRGBA{R: 0x20, G: 0x40, B: 0xe0, A: 0xff}

// iconPNG is a 24×24 PNG, blue.
func iconPNG(t testing.TB) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, 24, 24))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{blue.R, blue.G, blue.B, blue.A})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// session starts a desktop session with opts and points this process's
// session bus at it for t.
func session(t *testing.T, opts ...traytest.Option) *traytest.Session {
	t.Helper()
	s := traytest.New(t, append([]traytest.Option{traytest.Keychain(keychaintest.WithoutSecretService())}, opts...)...)
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	return s
}

// newNotifier returns a Notifier closed when t ends.
func newNotifier(t *testing.T, opts notify.Options) *notify.Notifier {
	t.Helper()
	n := notify.New(opts)
	t.Cleanup(func() {
		if err := n.Close(); err != nil {
			t.Error(err)
		}
	})
	return n
}

// send sends msg, failing t on an error.
func send(t *testing.T, n *notify.Notifier, msg notify.Notification) {
	t.Helper()
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// next returns the next key on n.Actions, failing t when none comes.
func next(t *testing.T, n *notify.Notifier) string {
	t.Helper()
	select {
	case key, ok := <-n.Actions():
		if !ok {
			t.Fatal("Actions closed")
		}
		return key
	case <-time.After(wait):
		t.Fatalf("no action within %v", wait)
		return ""
	}
}

func bySummary(summary string) func(traytest.Notification) bool {
	return func(n traytest.Notification) bool { return n.Summary == summary }
}

var fixes = []notify.Action{{Key: "reconnect:admin@acme.com", Label: "Reconnect"}, {Key: "sandbox", Label: "Retry with Sandbox"}}

// TestNotify: what the server receives is the notification, its actions,
// its urgency and its icon.
func TestNotify(t *testing.T) {
	s := session(t)
	n := newNotifier(t, notify.Options{AppName: "MeshMesh", Icon: iconPNG(t)})

	send(t, n, notify.Notification{Title: "Connected to Acme Corp", Body: "as admin@acme.com"})
	send(t, n, notify.Notification{Title: "Login failed", Body: "The session expired.", Actions: fixes, Urgent: true})

	ok := s.WaitNotification(t, bySummary("Connected to Acme Corp"))
	failed := s.WaitNotification(t, bySummary("Login failed"))
	for _, c := range []struct {
		got     traytest.Notification
		body    string
		actions []traytest.Action
		urgency byte
	}{
		{ok, "as admin@acme.com", nil, 0},
		{failed, "The session expired.", []traytest.Action{{Key: "reconnect:admin@acme.com", Label: "Reconnect"}, {Key: "sandbox", Label: "Retry with Sandbox"}}, 1},
	} {
		g := c.got
		if g.AppName != "MeshMesh" || g.Body != c.body || !slices.Equal(g.Actions, c.actions) || g.Urgency != c.urgency || g.Timeout != -1 || g.ReplacesID != 0 {
			t.Errorf("received %v (timeout %d); want app MeshMesh, body %q, actions %v, urgency %d, the server's timeout", g, g.Timeout, c.body, c.actions, c.urgency)
		}
		if !slices.Equal(g.Hints, []string{"image-data", "urgency"}) {
			t.Errorf("%q: hints %q, want image-data and urgency", g.Summary, g.Hints)
		}
		if g.Image == nil || g.Image.Bounds() != image.Rect(0, 0, 24, 24) || g.Image.NRGBAAt(12, 12) != blue {
			t.Errorf("%q: image %v, want 24×24 in %v", g.Summary, g.Image, blue)
		}
	}
}

// TestNotifyBadIcon: an icon that is not a PNG is left out, the
// notification is not.
func TestNotifyBadIcon(t *testing.T) {
	s := session(t)
	var log bytes.Buffer
	n := newNotifier(t, notify.Options{Icon: []byte("GIF89a"), Log: slogTo(&log)})
	send(t, n, notify.Notification{Title: "No icon"})
	if got := s.WaitNotification(t, bySummary("No icon")); got.HasHint("image-data") {
		t.Errorf("received %v, want no image-data", got)
	}
	if !strings.Contains(log.String(), "icon") {
		t.Errorf("log %q does not tell of the icon", log.String())
	}
}

// TestActions: a picked action's key comes out of Actions, once; picks in
// notifications of other programs, and after the notification closed, do
// not.
func TestActions(t *testing.T) {
	s := session(t)
	n := newNotifier(t, notify.Options{AppName: "MeshMesh"})
	other := newNotifier(t, notify.Options{AppName: "other"})

	send(t, other, notify.Notification{Title: "theirs", Actions: []notify.Action{{Key: "sandbox", Label: "Same key"}}})
	send(t, n, notify.Notification{Title: "first", Actions: fixes})
	theirs := s.WaitNotification(t, bySummary("theirs"))
	first := s.WaitNotification(t, bySummary("first"))

	// Signals reach a connection in the order they were emitted: had the
	// pick of theirs come out of n.Actions, it would come first.
	s.Invoke(t, theirs, "sandbox")
	s.Invoke(t, first, "reconnect:admin@acme.com")
	if got := next(t, n); got != "reconnect:admin@acme.com" {
		t.Errorf("Actions gave %q, want reconnect:admin@acme.com", got)
	}
	if got := next(t, other); got != "sandbox" {
		t.Errorf("the other notifier's Actions gave %q, want sandbox", got)
	}

	// first is closed now (Invoke closes it): a late pick is ignored.
	send(t, n, notify.Notification{Title: "second", Actions: fixes})
	second := s.WaitNotification(t, bySummary("second"))
	s.Invoke(t, first, "sandbox")
	s.Invoke(t, second, "sandbox")
	if got := next(t, n); got != "sandbox" {
		t.Errorf("Actions gave %q, want sandbox", got)
	}
	s.Invoke(t, second, "reconnect:admin@acme.com") // closed too
	send(t, n, notify.Notification{Title: "third", Actions: fixes})
	s.Invoke(t, s.WaitNotification(t, bySummary("third")), "reconnect:admin@acme.com")
	if got := next(t, n); got != "reconnect:admin@acme.com" {
		t.Errorf("Actions gave %q, want reconnect:admin@acme.com", got)
	}
	select {
	case key := <-n.Actions():
		t.Errorf("Actions gave %q more", key)
	default:
	}
}

// TestWithoutActions: a server without the "actions" capability gets no
// actions.
func TestWithoutActions(t *testing.T) {
	s := session(t, traytest.WithoutActions())
	n := newNotifier(t, notify.Options{})
	send(t, n, notify.Notification{Title: "Login failed", Actions: fixes, Urgent: true})
	if got := s.WaitNotification(t, bySummary("Login failed")); len(got.Actions) != 0 || got.Urgency != 1 {
		t.Errorf("received %v, want no actions, urgency 1", got)
	}
}

// TestNoServer: with no notification server on the bus, Notify fails, at
// once, and works once there is one.
func TestNoServer(t *testing.T) {
	s := session(t, traytest.WithoutNotifications())
	n := newNotifier(t, notify.Options{})
	for _, msg := range []notify.Notification{{Title: "plain"}, {Title: "with actions", Actions: fixes}} {
		err := n.Notify(context.Background(), msg)
		if err == nil || !strings.Contains(err.Error(), "org.freedesktop.Notifications") || errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Notify(%q) = %v, want the server's name unknown", msg.Title, err)
		}
	}

	server, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	srv := &countingServer{}
	own(t, server, srv)
	send(t, n, notify.Notification{Title: "now"})
	if got := srv.count(); got != 1 {
		t.Errorf("the server got %d notifications, want 1", got)
	}
}

// TestHangingServer: a server that never answers costs Notify its
// timeout, and a later Notify on a new connection works.
func TestHangingServer(t *testing.T) {
	s := session(t, traytest.WithoutNotifications())
	hang, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	own(t, hang, &hangingServer{release: release})

	n := newNotifier(t, notify.Options{Timeout: 200 * time.Millisecond})
	for _, msg := range []notify.Notification{{Title: "plain"}, {Title: "with actions", Actions: fixes}} {
		if err := n.Notify(context.Background(), msg); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Notify(%q) = %v, want the deadline exceeded", msg.Title, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := n.Notify(ctx, notify.Notification{Title: "cancelled"}); !errors.Is(err, context.Canceled) {
		t.Errorf("Notify with a cancelled context = %v, want context.Canceled", err)
	}

	hang.Close() // the name is free again
	srv := &countingServer{}
	server, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	own(t, server, srv)
	send(t, n, notify.Notification{Title: "now"})
	if got := srv.count(); got != 1 {
		t.Errorf("the server got %d notifications, want 1", got)
	}
}

// TestNoBus: with no session bus, Notify fails and runs nothing (no
// dbus-launch).
func TestNoBus(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, addr, runtime string }{
		{"dead socket", "unix:path=" + filepath.Join(dir, "bus"), dir},
		{"no address", "", dir},
		{"no address, no runtime dir", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("DBUS_SESSION_BUS_ADDRESS", c.addr)
			t.Setenv("XDG_RUNTIME_DIR", c.runtime)
			n := newNotifier(t, notify.Options{})
			err := n.Notify(context.Background(), notify.Notification{Title: "nobody"})
			if err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Notify = %v, want an error at once", err)
			}
			t.Log(err)
		})
	}
}

// TestConcurrent: many goroutines notify at once, on one connection; each
// notification arrives and each action is told apart.
func TestConcurrent(t *testing.T) {
	s := session(t)
	n := newNotifier(t, notify.Options{AppName: "MeshMesh", Icon: iconPNG(t)})
	const workers, each = 4, 10
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				title := fmt.Sprintf("n%d-%d", w, i)
				err := n.Notify(context.Background(), notify.Notification{
					Title: title, Actions: []notify.Action{{Key: title, Label: "Fix"}},
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := s.Notifications()
	if len(got) != workers*each {
		t.Fatalf("the server got %d notifications, want %d", len(got), workers*each)
	}
	for _, g := range got[:5] {
		s.Invoke(t, g, g.Summary)
		if key := next(t, n); key != g.Summary {
			t.Errorf("picked %q of %v, Actions gave %q", g.Summary, g, key)
		}
	}
}

// TestClose: Close closes Actions and may be called again; Notify then
// fails with ErrClosed.
func TestClose(t *testing.T) {
	session(t)
	n := notify.New(notify.Options{})
	send(t, n, notify.Notification{Title: "before"})
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, ok := <-n.Actions(); ok {
		t.Error("Actions still open after Close")
	}
	if err := n.Notify(context.Background(), notify.Notification{Title: "after"}); !errors.Is(err, notify.ErrClosed) {
		t.Errorf("Notify after Close = %v, want ErrClosed", err)
	}
}

// own exports srv as the notification server on conn and has conn own its
// name.
func own(t *testing.T, conn *dbus.Conn, srv any) {
	t.Helper()
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var reply uint32
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.RequestName", 0,
		"org.freedesktop.Notifications", uint32(dbus.NameFlagDoNotQueue)).Store(&reply); err != nil || reply != uint32(dbus.RequestNameReplyPrimaryOwner) {
		t.Fatalf("own org.freedesktop.Notifications: reply %d, %v", reply, err)
	}
}

// countingServer is a notification server that counts notifications.
type countingServer struct {
	mu sync.Mutex
	n  uint32
}

func (s *countingServer) count() uint32 { s.mu.Lock(); defer s.mu.Unlock(); return s.n }

func (s *countingServer) Notify(string, uint32, string, string, string, []string, map[string]dbus.Variant, int32) (uint32, *dbus.Error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	return s.n, nil
}

func (s *countingServer) GetCapabilities() ([]string, *dbus.Error) { return []string{"body"}, nil }

// hangingServer is a notification server that answers nothing until
// release is closed.
type hangingServer struct{ release chan struct{} }

func (s *hangingServer) Notify(string, uint32, string, string, string, []string, map[string]dbus.Variant, int32) (uint32, *dbus.Error) {
	<-s.release
	return 0, dbus.MakeFailedError(errors.New("released"))
}

func (s *hangingServer) GetCapabilities() ([]string, *dbus.Error) {
	<-s.release
	return nil, dbus.MakeFailedError(errors.New("released"))
}

// slogTo returns a logger that writes everything to w.
func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
