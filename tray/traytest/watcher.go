package traytest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	watcherIface = watcherName
)

// watcher is a StatusNotifierWatcher: it keeps the items that registered,
// each as "<unique bus name><object path>", until their connection leaves
// the bus, and says that a host is registered, so that items show.
type watcher struct {
	conn *dbus.Conn

	mu    sync.Mutex
	items []string
}

// startWatcher exports the watcher on conn and has conn own its name.
func startWatcher(conn *dbus.Conn) (*watcher, error) {
	w := &watcher{conn: conn}
	if err := conn.Export(w, watcherPath, watcherIface); err != nil {
		return nil, fmt.Errorf("traytest: watcher: %w", err)
	}
	if err := conn.Export(watcherProps{w}, watcherPath, "org.freedesktop.DBus.Properties"); err != nil {
		return nil, fmt.Errorf("traytest: watcher: %w", err)
	}
	node := &introspect.Node{Name: string(watcherPath), Interfaces: []introspect.Interface{
		introspect.IntrospectData, prop.IntrospectData,
		{
			Name:    watcherIface,
			Methods: introspect.Methods(w),
			Properties: []introspect.Property{
				{Name: "RegisteredStatusNotifierItems", Type: "as", Access: "read"},
				{Name: "IsStatusNotifierHostRegistered", Type: "b", Access: "read"},
				{Name: "ProtocolVersion", Type: "i", Access: "read"},
			},
			Signals: []introspect.Signal{
				{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Type: "s"}}},
				{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Type: "s"}}},
				{Name: "StatusNotifierHostRegistered"},
			},
		},
	}}
	if err := conn.Export(introspect.NewIntrospectable(node), watcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return nil, fmt.Errorf("traytest: watcher: %w", err)
	}

	// An item goes when its connection leaves the bus.
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	if err := conn.AddMatchSignalContext(ctx,
		dbus.WithMatchSender("org.freedesktop.DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged")); err != nil {
		return nil, fmt.Errorf("traytest: watcher: %w", err)
	}
	ch := make(chan *dbus.Signal, 16)
	conn.Signal(ch)
	go w.watchOwners(ch)

	if err := requestName(conn, watcherName); err != nil {
		return nil, err
	}
	return w, nil
}

// RegisterStatusNotifierItem is the D-Bus method: service is an object path
// of the caller (as fyne.io/systray sends it) or a bus name, whose item is
// then at /StatusNotifierItem.
func (w *watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	item := service
	if strings.HasPrefix(service, "/") {
		item = string(sender) + service
	} else if !strings.Contains(service, "/") {
		item = service + "/StatusNotifierItem"
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if slices.Contains(w.items, item) {
		return nil
	}
	w.items = append(w.items, item)
	w.changed()
	_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemRegistered", item)
	return nil
}

// RegisterStatusNotifierHost is the D-Bus method. The watcher always says
// that a host is registered.
func (w *watcher) RegisterStatusNotifierHost(service string) *dbus.Error {
	_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierHostRegistered")
	return nil
}

// registered returns the registered items.
func (w *watcher) registered() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.items)
}

// watchOwners drops the items of connections that leave the bus, until
// the watcher's connection closes.
func (w *watcher) watchOwners(ch <-chan *dbus.Signal) {
	for sig := range ch {
		if sig.Name != "org.freedesktop.DBus.NameOwnerChanged" || len(sig.Body) != 3 {
			continue
		}
		name, _ := sig.Body[0].(string)
		newOwner, _ := sig.Body[2].(string)
		if name == "" || newOwner != "" {
			continue
		}
		w.drop(name)
	}
}

// drop unregisters the items of the connection or well-known name gone.
func (w *watcher) drop(gone string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var keep []string
	for _, item := range w.items {
		if bus, _, _ := strings.Cut(item, "/"); bus == gone {
			_ = w.conn.Emit(watcherPath, watcherIface+".StatusNotifierItemUnregistered", item)
			continue
		}
		keep = append(keep, item)
	}
	if len(keep) == len(w.items) {
		return
	}
	w.items = keep
	w.changed()
}

// changed emits PropertiesChanged for RegisteredStatusNotifierItems. w.mu
// must be held. An error (the session closing) is of no interest.
func (w *watcher) changed() {
	_ = w.conn.Emit(watcherPath, "org.freedesktop.DBus.Properties.PropertiesChanged", watcherIface,
		map[string]dbus.Variant{"RegisteredStatusNotifierItems": dbus.MakeVariant(slices.Clone(w.items))}, []string{})
}

// watcherProps is org.freedesktop.DBus.Properties of the watcher: its
// properties are read-only.
type watcherProps struct{ w *watcher }

// Get is the D-Bus method.
func (p watcherProps) Get(iface, name string) (dbus.Variant, *dbus.Error) {
	all, err := p.GetAll(iface)
	if err != nil {
		return dbus.Variant{}, err
	}
	v, ok := all[name]
	if !ok {
		return dbus.Variant{}, prop.ErrPropNotFound
	}
	return v, nil
}

// GetAll is the D-Bus method.
func (p watcherProps) GetAll(iface string) (map[string]dbus.Variant, *dbus.Error) {
	if iface != watcherIface {
		return nil, prop.ErrIfaceNotFound
	}
	items := p.w.registered()
	if items == nil {
		items = []string{}
	}
	return map[string]dbus.Variant{
		"RegisteredStatusNotifierItems":  dbus.MakeVariant(items),
		"IsStatusNotifierHostRegistered": dbus.MakeVariant(true),
		"ProtocolVersion":                dbus.MakeVariant(int32(0)),
	}, nil
}

// Set is the D-Bus method: the properties are read-only.
func (p watcherProps) Set(iface, name string, _ dbus.Variant) *dbus.Error {
	return prop.ErrReadOnly
}
