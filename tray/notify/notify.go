// Package notify shows desktop notifications, with action buttons where the
// desktop offers them, and hands back the actions people pick.
//
// On Linux and the other systems with D-Bus, a Notifier speaks
// org.freedesktop.Notifications (through github.com/esiqveland/notify) on a
// private connection to the session bus of its own: never on the shared
// dbus.SessionBus, which fyne.io/systray uses and closes on Quit, and on
// which a notification daemon's signals would reach the tray. The
// connection is opened on the first Notify and opened again after it died.
// Actions are offered only when the server's GetCapabilities lists
// "actions"; a picked action arrives on Actions as the Key it was given.
//
// On Windows and macOS a Notifier calls github.com/gen2brain/beeep, which
// has no actions: Actions then never yields a key.
//
// A notification is a courtesy: Notify is bounded by Options.Timeout and
// its error is for the log only. Nothing in a flow should wait on it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultTimeout bounds a Notify whose Options.Timeout is zero.
const DefaultTimeout = 3 * time.Second

// actionsBuffer is how many picked actions Actions holds for a slow reader
// before it drops one.
const actionsBuffer = 8

// ErrClosed is returned by Notify after Close.
var ErrClosed = errors.New("notify: notifier closed")

// A Notification is one message to the person at the desktop.
type Notification struct {
	Title string // the summary line, e.g. "Connected to Acme Corp"
	Body  string // one or two sentences, plain text

	// Actions are offered as buttons where the desktop supports actions,
	// in this order; elsewhere the notification goes without them.
	Actions []Action

	// Urgent marks a notification that needs the person to do something,
	// as a failure with a fix does: it is sent with normal urgency, the
	// others with low urgency, which a desktop may show quietly: GNOME
	// (since 41) shows no banner for it, only lists it. Critical urgency is
	// not used: desktops keep a critical notification on screen until it
	// is dismissed, which is for emergencies (a battery about to die), not
	// for an org to reconnect. Ignored on Windows and macOS.
	Urgent bool
}

// An Action is a button of a notification.
type Action struct {
	// Key is returned on Notifier.Actions when the action is picked. It is
	// opaque to this package and sent to the desktop as the D-Bus action
	// key, so it must be unique within a notification; the key "default",
	// by the specification, is the action of a click on the notification
	// itself, which most desktops show without a button.
	Key string
	// Label is what the button says, e.g. "Reconnect".
	Label string
}

// Options configure a Notifier.
type Options struct {
	// AppName names the application to the desktop. On Windows and macOS,
	// New sets beeep.AppName, a package variable of beeep, to it when it
	// is not empty: the last New wins.
	AppName string
	// Icon is a PNG shown with each notification, best small (48 to 128
	// pixels square). On D-Bus it is decoded once, by New, and sent as the
	// "image-data" hint: no file to write and clean up, and it reaches a
	// server that cannot read this process's files (a sandbox, a remote
	// session). An Icon that is not a PNG is logged and left out.
	Icon []byte
	// Log receives what happens in the background (an action dropped, an
	// icon left out); nil discards it. Titles and bodies are not logged.
	Log *slog.Logger
	// Timeout bounds each Notify; zero means DefaultTimeout.
	Timeout time.Duration
}

// A Notifier sends notifications. It is safe for concurrent use. Close it
// when done.
type Notifier struct {
	appName string
	timeout time.Duration
	log     *slog.Logger

	actions   chan string
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error

	sys platform // what the system needs
}

// New returns a Notifier. It connects to nothing yet: the first Notify
// does.
func New(opts Options) *Notifier {
	n := &Notifier{
		appName: opts.AppName,
		timeout: opts.Timeout,
		log:     opts.Log,
		actions: make(chan string, actionsBuffer),
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	n.initPlatform(opts)
	return n
}

// Notify shows msg. It returns within the Notifier's timeout, or sooner
// when ctx ends, and its error is for logging only: a notification that
// could not be shown changes nothing else.
func (n *Notifier) Notify(ctx context.Context, msg Notification) error {
	if n.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	if err := n.send(ctx, msg); err != nil {
		if errors.Is(err, ErrClosed) {
			return ErrClosed
		}
		return fmt.Errorf("notify: %q: %w", msg.Title, err)
	}
	return nil
}

// Actions returns the channel of the keys of the actions people pick, for
// the notifications this Notifier sent only. It is buffered; a key that
// finds it full is dropped (and logged), never waited for. Close closes it.
func (n *Notifier) Actions() <-chan string { return n.actions }

// Close lets go of the connection to the desktop and closes the Actions
// channel. Notify then returns ErrClosed. Close may be called more than
// once.
func (n *Notifier) Close() error {
	n.closeOnce.Do(func() {
		n.closed.Store(true)
		n.closeErr = n.closePlatform()
		close(n.actions)
	})
	return n.closeErr
}

// deliver hands a picked action's key to Actions without blocking: the
// signal loop that calls it must never wait on a reader.
func (n *Notifier) deliver(key string) {
	select {
	case n.actions <- key:
	default:
		n.log.Warn("notify: action dropped: nobody reads Actions", "key", key)
	}
}
