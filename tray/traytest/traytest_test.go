package traytest_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/systray"
	"github.com/godbus/dbus/v5"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/tray/notify"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// appEnv, set to "1", makes the test binary run the tray app instead of
// the tests: systray.Run runs once per process.
const appEnv = "TRAYTEST_APP"

func TestMain(m *testing.M) {
	if os.Getenv(appEnv) == "1" {
		os.Exit(runApp())
	}
	os.Exit(m.Run())
}

// Red is the colour of the app's icon.
var red = color.NRGBA{R: 0xd0, G: 0x20, B: 0x20, A: 0xff}

// iconPNG returns a square PNG of size pixels in red.
func iconPNG(size int) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:], []byte{red.R, red.G, red.B, red.A})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// runApp is the tray of the tests. Its menu:
//
//	Status: idle (disabled; says what happened last)
//	[ ] Sandbox
//	More >
//	  Notify me (sends a notification with the action "retry")
//	  About
//	-----
//	Quit
//
// A picked notification action, and a click on the disabled Status item,
// show in the Status item's label.
func runApp() int {
	n := notify.New(notify.Options{AppName: "traytest app", Icon: iconPNG(16)})
	defer n.Close()
	// Before Run: set inside onReady they can be lost (a systray race).
	systray.SetIcon(iconPNG(32))
	systray.SetTitle("traytest app")
	systray.SetTooltip("traytest tooltip")
	systray.Run(func() {
		status := systray.AddMenuItem("Status: idle", "")
		status.Disable()
		sandbox := systray.AddMenuItemCheckbox("Sandbox", "", false)
		more := systray.AddMenuItem("More", "")
		notifyMe := more.AddSubMenuItem("Notify me", "")
		about := more.AddSubMenuItem("About", "")
		systray.AddSeparator()
		quit := systray.AddMenuItem("Quit", "")
		go func() {
			for {
				select {
				case <-status.ClickedCh:
					status.SetTitle("Status: clicked while disabled")
				case <-sandbox.ClickedCh:
					if sandbox.Checked() {
						sandbox.Uncheck()
					} else {
						sandbox.Check()
					}
				case <-notifyMe.ClickedCh:
					go func() {
						err := n.Notify(context.Background(), notify.Notification{
							Title:   "Notified",
							Body:    "from the submenu",
							Actions: []notify.Action{{Key: "retry", Label: "Retry"}},
						})
						if err != nil {
							fmt.Fprintln(os.Stderr, "app:", err)
						}
					}()
				case <-about.ClickedCh:
					status.SetTitle("Status: about")
				case key := <-n.Actions():
					status.SetTitle("Status: " + key)
				case <-quit.ClickedCh:
					systray.Quit()
					return
				}
			}
		}()
	}, nil)
	return 0
}

// An app is the tray app running in a child process.
type app struct {
	pid    int
	exited chan struct{} // closed when the app has exited
	err    error         // the result of Wait, set before exited is closed
}

// startApp runs the tray app in s. It is killed, if still running, when t
// ends; its output goes to t's log.
func startApp(t *testing.T, s *traytest.Session) *app {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	// Under -race the app is built with the race detector too, which
	// finds one in fyne.io/systray itself (refresh writes menuVersion under
	// one lock, GetLayout reads it under another). The reports go to files,
	// without changing the exit status, and checkRaces fails the test for
	// any other.
	gorace, checkRaces := traytest.RaceLog(t)
	cmd.Env = append(append(os.Environ(), s.Env()...), appEnv+"=1", "GORACE="+gorace)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &app{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		a.err = cmd.Wait()
		close(a.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-a.exited:
		default:
			_ = cmd.Process.Kill()
			<-a.exited
		}
		if out.Len() > 0 {
			t.Logf("app output:\n%s", out.String())
		}
		checkRaces()
	})
	return a
}

// syncBuffer is a bytes.Buffer for the output of a child process.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Len() int { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Len() }

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.b.String() }

// TestTray reads a real fyne.io/systray tray, clicks it and watches what
// the clicks do, through the session's watcher, dbusmenu client and
// notification server.
func TestTray(t *testing.T) {
	s := traytest.New(t, traytest.Keychain(keychaintest.WithoutSecretService()))
	app := startApp(t, s)
	tr := s.Tray(t, app.pid)

	p := tr.Props(t)
	if p.ID != "traytest app" || p.Title != "traytest app" || p.ToolTip != "traytest tooltip" || p.Status != "Active" {
		t.Errorf("props: id %q, title %q, tooltip %q, status %q; want the app's title, tooltip and Active", p.ID, p.Title, p.ToolTip, p.Status)
	}
	if len(p.Icons) != 1 || p.Icons[0].Bounds().Dx() != 32 || p.Icons[0].Bounds().Dy() != 32 || p.Icons[0].NRGBAAt(5, 5) != red {
		t.Errorf("icons: %d, want one of 32×32 in %v", len(p.Icons), red)
		for _, ic := range p.Icons {
			t.Logf("icon %v, pixel (5,5) %v", ic.Bounds(), ic.NRGBAAt(5, 5))
		}
	}

	// The first read is the process's first GetLayout, which systray
	// answers one level deep: the submenu must be there all the same.
	menu := tr.Menu(t)
	t.Logf("menu:\n%v", menu)
	want := []struct {
		path  []string
		check func(traytest.Item) bool
	}{
		{[]string{"Status: idle"}, func(i traytest.Item) bool { return !i.Enabled && i.Visible }},
		{[]string{"Sandbox"}, func(i traytest.Item) bool { return i.Enabled && i.ToggleType == "checkmark" && i.ToggleState == 0 }},
		{[]string{"More"}, func(i traytest.Item) bool { return i.ChildrenDisplay == "submenu" && len(i.Children) == 2 }},
		{[]string{"More", "Notify me"}, func(i traytest.Item) bool { return i.Enabled && i.ToggleType == "" }},
		{[]string{"More", "About"}, func(i traytest.Item) bool { return i.Enabled }},
		{[]string{"Quit"}, func(i traytest.Item) bool { return i.Enabled }},
	}
	for _, w := range want {
		if it, ok := menu.Find(w.path...); !ok || !w.check(it) {
			t.Errorf("menu item %q: found %v, %+v", w.path, ok, it)
		}
	}
	if len(menu.Children) != 5 || menu.Children[3].Type != "separator" {
		t.Errorf("menu: %d items, the 4th of type %q; want 5 with a separator 4th", len(menu.Children), menu.Children[3].Type)
	}

	// A checkbox toggles, and toggles back.
	for _, state := range []int32{1, 0} {
		tr.Click(t, "Sandbox")
		tr.WaitMenu(t, func(m traytest.Item) bool {
			it, _ := m.Find("Sandbox")
			return it.ToggleState == state
		})
	}

	// A click in the submenu reaches the program: it sends a notification.
	tr.Click(t, "More", "Notify me")
	n := s.WaitNotification(t, func(n traytest.Notification) bool { return n.Summary == "Notified" })
	if n.AppName != "traytest app" || n.Body != "from the submenu" || len(n.Actions) != 1 || n.Actions[0] != (traytest.Action{Key: "retry", Label: "Retry"}) {
		t.Errorf("notification %v; want the app's, with the action retry=Retry", n)
	}
	if n.Image == nil || n.Image.Bounds().Dx() != 16 || n.Image.NRGBAAt(3, 3) != red {
		t.Errorf("notification image %v; want 16×16 in %v", n.Image, red)
	}

	// The person picks the action: the program gets it.
	s.Invoke(t, n, "retry")
	tr.WaitMenu(t, func(m traytest.Item) bool { _, ok := m.Find("Status: retry"); return ok })

	// Click refuses a disabled item; ClickDisabled sends the click, and
	// systray delivers it.
	if msg := fails(t, func(tb testing.TB) { tr.Click(tb, "Status") }); !strings.Contains(msg, "disabled") {
		t.Errorf("Click of a disabled item: %q, want a failure saying it is disabled", msg)
	}
	tr.ClickDisabled(t, "Status")
	tr.WaitMenu(t, func(m traytest.Item) bool { _, ok := m.Find("Status: clicked while disabled"); return ok })

	// Paths that name no item, or more than one, fail.
	for _, path := range [][]string{{"Nothing"}, {"More", "Sandbox"}, {"t"}} {
		if msg := fails(t, func(tb testing.TB) { tr.Click(tb, path...) }); msg == "" {
			t.Errorf("Click(%q) did not fail", path)
		}
	}

	tr.Click(t, "Quit")
	select {
	case <-app.exited:
		if app.err != nil {
			t.Errorf("after Quit, the app exited with %v", app.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the app did not exit within 20 s of Quit")
	}
}

// fails runs f with a testing.TB that records a fatal failure instead of
// failing t, and returns its message, or "" when f did not fail.
func fails(t *testing.T, f func(testing.TB)) string {
	t.Helper()
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r.msg
}

type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatal(args ...any) {
	r.msg = fmt.Sprint(args...)
	runtime.Goexit()
}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// TestWatcher registers items as a tray and as an old-style item do, and
// sees them listed, announced and dropped when their connection leaves.
func TestWatcher(t *testing.T) {
	s := traytest.New(t, traytest.Keychain(keychaintest.WithoutSecretService()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	listener, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	if err := listener.AddMatchSignalContext(ctx, dbus.WithMatchInterface("org.kde.StatusNotifierWatcher")); err != nil {
		t.Fatal(err)
	}
	signals := make(chan *dbus.Signal, 16)
	listener.Signal(signals)

	item, err := s.Dial()
	if err != nil {
		t.Fatal(err)
	}
	w := item.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
	if err := w.CallWithContext(ctx, "org.kde.StatusNotifierWatcher.RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
		t.Fatal(err)
	}
	want := item.Names()[0] + "/StatusNotifierItem"

	registered := func() []string {
		var v dbus.Variant
		obj := listener.Object("org.kde.StatusNotifierWatcher", "/StatusNotifierWatcher")
		if err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems").Store(&v); err != nil {
			t.Fatal(err)
		}
		items, _ := v.Value().([]string)
		return items
	}
	if got := registered(); len(got) != 1 || got[0] != want {
		t.Errorf("RegisteredStatusNotifierItems = %q, want [%q]", got, want)
	}
	var host bool
	var hv dbus.Variant
	if err := w.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0, "org.kde.StatusNotifierWatcher", "IsStatusNotifierHostRegistered").Store(&hv); err != nil {
		t.Fatal(err)
	}
	if host, _ = hv.Value().(bool); !host {
		t.Error("IsStatusNotifierHostRegistered is false: hosts would hide items")
	}
	expectSignal(t, signals, "org.kde.StatusNotifierWatcher.StatusNotifierItemRegistered", want)

	item.Close()
	expectSignal(t, signals, "org.kde.StatusNotifierWatcher.StatusNotifierItemUnregistered", want)
	if got := registered(); len(got) != 0 {
		t.Errorf("after the item left, RegisteredStatusNotifierItems = %q, want none", got)
	}
}

// expectSignal waits for the next signal on ch, which must be name with
// the one argument arg.
func expectSignal(t *testing.T, ch <-chan *dbus.Signal, name, arg string) {
	t.Helper()
	for {
		select {
		case sig := <-ch:
			if strings.HasPrefix(sig.Name, "org.freedesktop.DBus.") {
				continue // NameAcquired and the like
			}
			if sig.Name != name || len(sig.Body) != 1 || sig.Body[0] != arg {
				t.Fatalf("signal %s %v, want %s [%s]", sig.Name, sig.Body, name, arg)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatalf("no signal %s within 10 s", name)
		}
	}
}

// TestNotificationServer calls the notification server as a client does
// and sees what it records, with and without the "actions" capability.
func TestNotificationServer(t *testing.T) {
	for _, actions := range []bool{true, false} {
		t.Run(fmt.Sprintf("actions=%v", actions), func(t *testing.T) {
			opts := []traytest.Option{traytest.Keychain(keychaintest.WithoutSecretService())}
			if !actions {
				opts = append(opts, traytest.WithoutActions())
			}
			s := traytest.New(t, opts...)
			conn, err := s.Dial()
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			obj := conn.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications")

			var caps []string
			if err := obj.CallWithContext(ctx, "org.freedesktop.Notifications.GetCapabilities", 0).Store(&caps); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(strings.Join(caps, " "), "actions"); got != actions {
				t.Errorf("GetCapabilities = %q; actions listed: %v, want %v", caps, got, actions)
			}

			hints := map[string]dbus.Variant{"urgency": dbus.MakeVariant(byte(2)), "category": dbus.MakeVariant("network.error")}
			var id uint32
			err = obj.CallWithContext(ctx, "org.freedesktop.Notifications.Notify", 0,
				"client", uint32(0), "dialog-error", "Summary", "Body", []string{"a", "A", "b", "B"}, hints, int32(5000)).Store(&id)
			if err != nil {
				t.Fatal(err)
			}
			got := s.Notifications()
			want := traytest.Notification{
				ID: id, AppName: "client", AppIcon: "dialog-error", Summary: "Summary", Body: "Body",
				Actions: []traytest.Action{{Key: "a", Label: "A"}, {Key: "b", Label: "B"}},
				Hints:   []string{"category", "urgency"}, Urgency: 2, Timeout: 5000,
			}
			if len(got) != 1 || got[0].String() != want.String() || got[0].Timeout != 5000 || got[0].AppIcon != "dialog-error" {
				t.Errorf("recorded %v, want [%v]", got, want)
			}
		})
	}
}

// TestItemFind checks how a path names an item: exactly, else by a unique
// part of a label, level by level.
func TestItemFind(t *testing.T) {
	menu := traytest.Item{Children: []traytest.Item{
		{ID: 1, Label: "Connect", Enabled: true, Visible: true},
		{ID: 2, Label: "Connect Sandbox", Enabled: true, Visible: true},
		{ID: 3, Type: "separator", Enabled: true, Visible: true},
		{ID: 4, Label: "Acme", ChildrenDisplay: "submenu", Enabled: true, Visible: true, Children: []traytest.Item{
			{ID: 5, Label: "Open", Enabled: true, Visible: true},
			{ID: 6, Label: "Copy token", Enabled: false, Visible: true},
		}},
	}}
	for _, c := range []struct {
		path []string
		id   int32 // 0: not found
	}{
		{[]string{"Connect"}, 1}, // exact beats a part of "Connect Sandbox"
		{[]string{"Sandbox"}, 2},
		{[]string{"Conn"}, 0}, // a part of two labels
		{[]string{"Acme", "token"}, 6},
		{[]string{"Open"}, 0}, // not at the top
		{[]string{""}, 0},     // a part of every label
		{nil, 0},
	} {
		it, ok := menu.Find(c.path...)
		if ok != (c.id != 0) || it.ID != c.id {
			t.Errorf("Find(%q) = #%d, %v; want #%d", c.path, it.ID, ok, c.id)
		}
	}
	want := "Connect  #1\nConnect Sandbox  #2\n-----  #3\nAcme >  #4\n  Open  #5\n  Copy token (disabled)  #6"
	if got := menu.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}
