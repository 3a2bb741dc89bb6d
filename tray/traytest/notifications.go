package traytest

import (
	"fmt"
	"image"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

const (
	notificationsName  = "org.freedesktop.Notifications"
	notificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notificationsIface = notificationsName
)

// Reasons of NotificationClosed, from the specification.
const (
	closedDismissed = uint32(2) // dismissed by the user
	closedByCall    = uint32(3) // closed by CloseNotification
)

// A Notification is one Notify call the session's notification server
// received.
type Notification struct {
	ID         uint32 // the id the server returned
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	Actions    []Action // the action pairs, in order
	Hints      []string // the names of the hints, sorted
	Urgency    byte     // the "urgency" hint: 0 low, 1 normal (also when absent), 2 critical
	// Image is the "image-data" hint, decoded; nil without it or when it
	// is not 8-bit RGB or RGBA.
	Image   *image.NRGBA
	Timeout int32 // expire_timeout in milliseconds; -1 for the server's default
}

// An Action is a key and label pair of a notification.
type Action struct{ Key, Label string }

// HasHint reports whether the notification came with the hint name.
func (n Notification) HasHint(name string) bool { return slices.Contains(n.Hints, name) }

// String describes the notification on one line, for failure messages.
func (n Notification) String() string {
	var acts []string
	for _, a := range n.Actions {
		acts = append(acts, a.Key+"="+a.Label)
	}
	return fmt.Sprintf("#%d app=%q summary=%q body=%q actions=[%s] hints=%v urgency=%d",
		n.ID, n.AppName, n.Summary, n.Body, strings.Join(acts, " "), n.Hints, n.Urgency)
}

// recorder is the notification server: it records each notification and
// answers with a new id.
type recorder struct {
	conn    *dbus.Conn
	actions bool // lists the "actions" capability

	mu      sync.Mutex
	seen    []Notification
	next    uint32
	changed chan struct{} // closed, and replaced, when a notification comes
}

// startRecorder exports the notification server on conn and has conn own
// its name.
func startRecorder(conn *dbus.Conn, actions bool) (*recorder, error) {
	r := &recorder{conn: conn, actions: actions, changed: make(chan struct{})}
	if err := conn.Export(r, notificationsPath, notificationsIface); err != nil {
		return nil, fmt.Errorf("traytest: notification server: %w", err)
	}
	node := &introspect.Node{Name: string(notificationsPath), Interfaces: []introspect.Interface{
		introspect.IntrospectData,
		{
			Name:    notificationsIface,
			Methods: introspect.Methods(r),
			Signals: []introspect.Signal{
				{Name: "NotificationClosed", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "reason", Type: "u"}}},
				{Name: "ActionInvoked", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "action_key", Type: "s"}}},
			},
		},
	}}
	if err := conn.Export(introspect.NewIntrospectable(node), notificationsPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return nil, fmt.Errorf("traytest: notification server: %w", err)
	}
	if err := requestName(conn, notificationsName); err != nil {
		return nil, err
	}
	return r, nil
}

// Notify is the D-Bus method Notify(susssasa{sv}i)→u.
func (r *recorder) Notify(appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	n := Notification{
		AppName: appName, ReplacesID: replacesID, AppIcon: appIcon,
		Summary: summary, Body: body, Timeout: timeout, Urgency: 1,
	}
	for i := 0; i+1 < len(actions); i += 2 {
		n.Actions = append(n.Actions, Action{Key: actions[i], Label: actions[i+1]})
	}
	for k := range hints {
		n.Hints = append(n.Hints, k)
	}
	slices.Sort(n.Hints)
	if v, ok := hints["urgency"]; ok {
		if u, ok := v.Value().(byte); ok {
			n.Urgency = u
		}
	}
	if v, ok := hints["image-data"]; ok {
		n.Image = decodeImageData(v)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if replacesID != 0 {
		n.ID = replacesID
	} else {
		r.next++
		n.ID = r.next
	}
	r.seen = append(r.seen, n)
	close(r.changed)
	r.changed = make(chan struct{})
	return n.ID, nil
}

// GetCapabilities is the D-Bus method.
func (r *recorder) GetCapabilities() ([]string, *dbus.Error) {
	caps := []string{"body", "icon-static"}
	if r.actions {
		caps = append(caps, "actions")
	}
	return caps, nil
}

// GetServerInformation is the D-Bus method.
func (r *recorder) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "traytest", "meshmesh", "1", "1.2", nil
}

// CloseNotification is the D-Bus method: the notification closes, with
// reason 3.
func (r *recorder) CloseNotification(id uint32) *dbus.Error {
	_ = r.conn.Emit(notificationsPath, notificationsIface+".NotificationClosed", id, closedByCall)
	return nil
}

// notifications returns the notifications so far and a channel closed
// when the next one comes.
func (r *recorder) notifications() ([]Notification, <-chan struct{}) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.seen), r.changed
}

// decodeImageData decodes the value of an "image-data" hint, (iiibiiay).
func decodeImageData(v dbus.Variant) *image.NRGBA {
	var d struct {
		Width, Height, RowStride int32
		HasAlpha                 bool
		BitsPerSample, Channels  int32
		Data                     []byte
	}
	if err := dbus.Store([]any{v.Value()}, &d); err != nil {
		return nil
	}
	w, h, stride, channels := int(d.Width), int(d.Height), int(d.RowStride), int(d.Channels)
	if d.BitsPerSample != 8 || w <= 0 || h <= 0 || (channels != 3 && channels != 4) ||
		stride < w*channels || len(d.Data) < stride*(h-1)+w*channels {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			src := d.Data[y*stride+x*channels:]
			dst := img.Pix[img.PixOffset(x, y):]
			dst[0], dst[1], dst[2], dst[3] = src[0], src[1], src[2], 0xff
			if channels == 4 {
				dst[3] = src[3]
			}
		}
	}
	return img
}

// Notifications returns the notifications the session's server received
// so far, oldest first; nil under WithoutNotifications.
func (s *Session) Notifications() []Notification {
	if s.notes == nil {
		return nil
	}
	seen, _ := s.notes.notifications()
	return seen
}

// WaitNotification returns the first notification received, so far or
// from now on, for which match returns true. It fails t after 20 seconds,
// listing the notifications received.
func (s *Session) WaitNotification(t testing.TB, match func(Notification) bool) Notification {
	t.Helper()
	if s.notes == nil {
		t.Fatal("traytest: WaitNotification: the session has no notification server (WithoutNotifications)")
	}
	timeout := time.NewTimer(waitTimeout)
	defer timeout.Stop()
	for {
		seen, changed := s.notes.notifications()
		for _, n := range seen {
			if match(n) {
				return n
			}
		}
		select {
		case <-changed:
		case <-timeout.C:
			var b strings.Builder
			for _, n := range seen {
				fmt.Fprintf(&b, "\n\t%v", n)
			}
			if len(seen) == 0 {
				b.WriteString(" none")
			}
			t.Fatalf("traytest: no matching notification within %v; received:%s", waitTimeout, b.String())
		}
	}
}

// Invoke does what a person does who picks the action key of notification
// n: the server emits ActionInvoked(n.ID, key), then
// NotificationClosed(n.ID, 2), as servers do. It fails t when n did not
// offer key.
func (s *Session) Invoke(t testing.TB, n Notification, key string) {
	t.Helper()
	if s.notes == nil {
		t.Fatal("traytest: Invoke: the session has no notification server (WithoutNotifications)")
	}
	if !slices.ContainsFunc(n.Actions, func(a Action) bool { return a.Key == key }) {
		t.Fatalf("traytest: Invoke: notification %v offers no action %q", n, key)
	}
	if err := s.notes.conn.Emit(notificationsPath, notificationsIface+".ActionInvoked", n.ID, key); err != nil {
		t.Fatalf("traytest: Invoke: emit ActionInvoked: %v", err)
	}
	if err := s.notes.conn.Emit(notificationsPath, notificationsIface+".NotificationClosed", n.ID, closedDismissed); err != nil {
		t.Fatalf("traytest: Invoke: emit NotificationClosed: %v", err)
	}
}
