//go:build !windows && !darwin

package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/esiqveland/notify"
	"github.com/godbus/dbus/v5"
)

const (
	serverName = "org.freedesktop.Notifications"
	serverPath = dbus.ObjectPath("/org/freedesktop/Notifications")

	signalActionInvoked      = serverName + ".ActionInvoked"
	signalNotificationClosed = serverName + ".NotificationClosed"

	// maxOffered bounds the notifications with actions a connection
	// remembers: a server that never says NotificationClosed must not make
	// the map grow for the life of the tray.
	maxOffered = 64
)

// platform is the D-Bus side of a Notifier.
type platform struct {
	image *dbus.Variant // the "image-data" hint, nil without an icon

	dial chan struct{} // holds a token while a connection is being opened

	mu     sync.Mutex
	cur    *busConn // the open connection, or nil
	closed bool
	loops  sync.WaitGroup // the signal loops of the connections
}

func (n *Notifier) initPlatform(opts Options) {
	n.sys.dial = make(chan struct{}, 1)
	if len(opts.Icon) == 0 {
		return
	}
	hint, err := imageHint(opts.Icon)
	if err != nil {
		n.log.Warn("notify: the icon is left out", "err", err)
		return
	}
	n.sys.image = &hint
}

// send sends msg on the connection, opening it first if need be, with
// msg's actions when the server supports them.
func (n *Notifier) send(ctx context.Context, msg Notification) error {
	c, err := n.connection(ctx)
	if err != nil {
		return err
	}
	note := notify.Notification{
		AppName:       n.appName,
		Summary:       msg.Title,
		Body:          msg.Body,
		ExpireTimeout: notify.ExpireTimeoutSetByNotificationServer,
	}
	urgency := notify.UrgencyLow
	if msg.Urgent {
		urgency = notify.UrgencyNormal
	}
	note.SetUrgency(urgency)
	if n.sys.image != nil {
		note.AddHint(notify.Hint{ID: "image-data", Variant: *n.sys.image})
	}
	var keys []string
	if len(msg.Actions) > 0 {
		ok, err := c.supportsActions(ctx)
		if err != nil {
			return err
		}
		if ok {
			for _, a := range msg.Actions {
				note.Actions = append(note.Actions, notify.Action{Key: a.Key, Label: a.Label})
				keys = append(keys, a.Key)
			}
		}
	}
	var id uint32
	c.sending(true)
	err = c.do(ctx, func(conn *dbus.Conn) (err error) {
		id, err = notify.SendNotification(conn, note)
		return err
	})
	if err != nil {
		c.sending(false)
		return err
	}
	c.sent(id, keys, n.deliver)
	return nil
}

// connection returns the open connection, or opens one. One connection is
// opened at a time; the others wait for it, within their context.
func (n *Notifier) connection(ctx context.Context) (*busConn, error) {
	p := &n.sys
	select {
	case p.dial <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("connect to the session bus: %w", ctx.Err())
	}
	defer func() { <-p.dial }()

	p.mu.Lock()
	closed, c := p.closed, p.cur
	p.mu.Unlock()
	switch {
	case closed:
		return nil, ErrClosed
	case c != nil && c.conn.Connected():
		return c, nil
	case c != nil:
		n.log.Debug("notify: the connection to the session bus died; opening a new one")
		c.close()
	}

	c, ch, err := openBusConn(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.close()
		return nil, ErrClosed
	}
	p.cur = c
	p.loops.Add(1)
	go func() {
		defer p.loops.Done()
		n.listen(c, ch)
	}()
	return c, nil
}

func (n *Notifier) closePlatform() error {
	p := &n.sys
	p.mu.Lock()
	p.closed = true
	c := p.cur
	p.cur = nil
	p.mu.Unlock()
	if c != nil {
		c.close()
	}
	// Closing a connection closes its signal channel, which ends its loop.
	p.loops.Wait()
	return nil
}

// A busConn is one private connection to the session bus, with what is
// known on it: the server's capabilities and the notifications sent on it
// that offer actions.
type busConn struct {
	conn   *dbus.Conn
	cancel context.CancelFunc // ends the connection's context

	mu        sync.Mutex
	capsKnown bool
	actions   bool                // the server supports actions
	offered   map[uint32][]string // action keys offered, by notification id
	order     []uint32            // the ids of offered, oldest first
	// inFlight counts the Notify calls sent and not yet answered. While
	// there are any, a signal about an unknown id may be about one of
	// them (the server replies, then a quick person or test picks an
	// action, and the signal can overtake the reply on its way to us):
	// it waits in early until they are answered.
	inFlight int
	early    []signal
}

// signal is an ActionInvoked (key set) or NotificationClosed signal.
type signal struct {
	id     uint32
	key    string
	closed bool
}

// openBusConn opens a private connection to the session bus and subscribes
// it to the signals of the notification server. The signals arrive on the
// returned channel, which is closed when the connection closes.
func openBusConn(ctx context.Context) (*busConn, chan *dbus.Signal, error) {
	addr, err := sessionBusAddress()
	if err != nil {
		return nil, nil, err
	}
	// The connection lives past ctx, but connecting must not: until stop,
	// the end of ctx cancels connCtx, which closes the connection, which
	// ends a blocked authentication or Hello.
	connCtx, cancel := context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, cancel)
	conn, err := dbus.Connect(addr, dbus.WithContext(connCtx))
	if err != nil {
		cancel()
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return nil, nil, fmt.Errorf("connect to the session bus: %w", err)
	}
	c := &busConn{conn: conn, cancel: cancel, offered: make(map[uint32][]string)}
	// The bus checks the sender: only the current owner of the server's
	// name can reach this connection with these signals.
	err = conn.AddMatchSignalContext(ctx,
		dbus.WithMatchSender(serverName),
		dbus.WithMatchObjectPath(serverPath),
		dbus.WithMatchInterface(serverName))
	if err == nil && !stop() {
		err = ctx.Err() // connCtx is cancelled: the connection is closing
	}
	if err != nil {
		c.close()
		return nil, nil, fmt.Errorf("subscribe to the signals of %s: %w", serverName, err)
	}
	ch := make(chan *dbus.Signal, 16)
	conn.Signal(ch)
	return c, ch, nil
}

// sessionBusAddress returns the address of the session bus:
// DBUS_SESSION_BUS_ADDRESS, else the socket "bus" in XDG_RUNTIME_DIR, as
// systemd provides it. Unlike dbus.ConnectSessionBus it never runs
// dbus-launch, which would start a new bus, with no notification server on
// it, for every connection opened, and leave it running.
func sessionBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return addr, nil
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		socket := filepath.Join(dir, "bus")
		if fi, err := os.Stat(socket); err == nil && fi.Mode().Type() == os.ModeSocket {
			return "unix:path=" + dbus.EscapeBusAddressValue(socket), nil
		}
	}
	return "", errors.New("no session bus: DBUS_SESSION_BUS_ADDRESS is not set and XDG_RUNTIME_DIR has no bus socket")
}

// do runs call on the connection within ctx. godbus's calls, as
// esiqveland/notify makes them, take no context: when ctx ends first, do
// closes the connection, which fails the call at once, and the next Notify
// opens a new one. A server that has not answered within the timeout is
// not waited for again on the same connection.
func (c *busConn) do(ctx context.Context, call func(*dbus.Conn) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- call(c.conn) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		c.close()
		return ctx.Err()
	}
}

// supportsActions reports whether the server lists the "actions"
// capability, asking it once per connection.
func (c *busConn) supportsActions(ctx context.Context) (bool, error) {
	c.mu.Lock()
	known, actions := c.capsKnown, c.actions
	c.mu.Unlock()
	if known {
		return actions, nil
	}
	var caps []string
	err := c.do(ctx, func(conn *dbus.Conn) (err error) {
		caps, err = notify.GetCapabilities(conn)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("GetCapabilities: %w", err)
	}
	actions = slices.Contains(caps, "actions")
	c.mu.Lock()
	c.capsKnown, c.actions = true, actions
	c.mu.Unlock()
	return actions, nil
}

// sending counts a Notify call in flight (start) or one that failed.
func (c *busConn) sending(start bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if start {
		c.inFlight++
		return
	}
	c.inFlight--
	c.settle()
}

// sent records that notification id was sent, offering the action keys,
// and handles the signals about it that came first: deliver is called
// with the key of each action picked.
func (c *busConn) sent(id uint32, keys []string, deliver func(key string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight--
	if keys != nil {
		if _, ok := c.offered[id]; !ok {
			c.order = append(c.order, id)
		}
		c.offered[id] = keys
		for len(c.order) > maxOffered {
			delete(c.offered, c.order[0])
			c.order = c.order[1:]
		}
	}
	c.early = slices.DeleteFunc(c.early, func(s signal) bool {
		if s.id != id {
			return false
		}
		c.handle(s, deliver)
		return true
	})
	c.settle()
}

// receive handles a signal from the server. c.mu must not be held.
func (c *busConn) receive(s signal, deliver func(key string)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.offered[s.id]; !ok && c.inFlight > 0 && len(c.early) < maxOffered {
		c.early = append(c.early, s)
		return
	}
	c.handle(s, deliver)
}

// handle delivers the key of an action offered, or forgets a closed
// notification. c.mu must be held.
func (c *busConn) handle(s signal, deliver func(key string)) {
	keys, ok := c.offered[s.id]
	switch {
	case !ok:
		// not ours, or forgotten
	case s.closed:
		delete(c.offered, s.id)
		c.order = slices.DeleteFunc(c.order, func(o uint32) bool { return o == s.id })
	case slices.Contains(keys, s.key):
		deliver(s.key)
	}
}

// settle drops the early signals once no Notify call is in flight: they
// were about notifications of other programs. c.mu must be held.
func (c *busConn) settle() {
	if c.inFlight == 0 {
		c.early = nil
	}
}

func (c *busConn) close() {
	c.conn.Close()
	c.cancel()
}

// listen handles the server's signals on c until the connection closes:
// ActionInvoked of an action c offered goes to Actions; NotificationClosed
// forgets the notification. Signals of notifications that other programs
// sent are ignored.
func (n *Notifier) listen(c *busConn, ch <-chan *dbus.Signal) {
	for sig := range ch {
		if sig.Path != serverPath || len(sig.Body) != 2 {
			continue
		}
		id, ok := sig.Body[0].(uint32)
		if !ok {
			continue
		}
		switch sig.Name {
		case signalActionInvoked:
			if key, ok := sig.Body[1].(string); ok {
				c.receive(signal{id: id, key: key}, n.deliver)
			}
		case signalNotificationClosed:
			c.receive(signal{id: id, closed: true}, n.deliver)
		}
	}
}

// imageData is the value of the "image-data" hint, (iiibiiay): a raw
// image, RGBA rows of 8-bit samples, not premultiplied.
type imageData struct {
	Width, Height, RowStride int32
	HasAlpha                 bool
	BitsPerSample, Channels  int32
	Data                     []byte
}

// imageHint decodes a PNG into the value of the "image-data" hint.
func imageHint(pngData []byte) (dbus.Variant, error) {
	src, err := png.Decode(bytes.NewReader(pngData))
	if err != nil {
		return dbus.Variant{}, fmt.Errorf("decode the icon: %w", err)
	}
	b := src.Bounds()
	img := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(img, img.Bounds(), src, b.Min, draw.Src)
	return dbus.MakeVariant(imageData{
		Width: int32(b.Dx()), Height: int32(b.Dy()), RowStride: int32(img.Stride),
		HasAlpha: true, BitsPerSample: 8, Channels: 4,
		Data: img.Pix,
	}), nil
}
