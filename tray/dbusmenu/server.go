package dbusmenu

import (
	"fmt"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// Interface is the D-Bus interface of a menu.
const Interface = "com.canonical.dbusmenu"

// protocolVersion is the dbusmenu version served.
const protocolVersion = 3

// Export serves m on conn at path: the object path a StatusNotifierItem's
// Menu property names. Whatever served the menu there before (the
// dbusmenu of fyne.io/systray) is replaced, and hosts are told to read the
// menu again.
func (m *Menu) Export(conn *dbus.Conn, path dbus.ObjectPath) error {
	if err := conn.Export((*methods)(m), path, Interface); err != nil {
		return fmt.Errorf("dbusmenu: export: %w", err)
	}
	spec := prop.Map{Interface: {
		"Version":       {Value: uint32(protocolVersion)},
		"TextDirection": {Value: "ltr"},
		"Status":        {Value: "normal"},
		"IconThemePath": {Value: []string{}},
	}}
	if _, err := prop.Export(conn, path, spec); err != nil {
		return fmt.Errorf("dbusmenu: export properties: %w", err)
	}
	desc := &introspect.Node{Name: string(path), Interfaces: []introspect.Interface{introspect.IntrospectData, prop.IntrospectData, introspection()}}
	if err := conn.Export(introspect.NewIntrospectable(desc), path, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("dbusmenu: export introspection: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.signal = func(member string, body ...any) error { return conn.Emit(path, Interface+"."+member, body...) }
	m.emit(nil, []*node{m.root})
	return nil
}

// emit tells hosts what changed: the items updated in place, and the
// submenus to read again, nested ones too (KDE Plasma reads a submenu one
// level deep and keeps the submenus inside it as they were). m.mu is held.
func (m *Menu) emit(updated, relayout []*node) {
	if m.signal == nil || len(updated)+len(relayout) == 0 {
		return
	}
	var changed []itemProps
	for _, n := range updated {
		if m.byID[n.id] == n {
			changed = append(changed, itemProps{n.id, n.properties()})
		}
	}
	if len(changed) > 0 {
		if err := m.signal("ItemsPropertiesUpdated", changed, []removedProps{}); err != nil {
			m.log.Warn("dbusmenu: ItemsPropertiesUpdated not sent", "err", err)
		}
	}
	for _, n := range relayout {
		if m.byID[n.id] != n {
			continue
		}
		m.revision++
		if err := m.signal("LayoutUpdated", m.revision, n.id); err != nil {
			m.log.Warn("dbusmenu: LayoutUpdated not sent", "err", err)
		}
	}
}

// emitMadeLater announces submenus made for AboutToShow, once its reply is
// on its way: libdbusmenu (GTK hosts) reads a submenu again on
// LayoutUpdated, not on needUpdate, and KDE Plasma ignores the first
// LayoutUpdated after the refresh that needUpdate asked for (sent before
// the reply, it would ignore the next real change instead).
func (m *Menu) emitMadeLater(made []*node) {
	if len(made) == 0 {
		return
	}
	time.AfterFunc(replyDelay, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.emit(nil, made)
	})
}

// replyDelay is how long after AboutToShow returns its LayoutUpdated is
// sent: time enough for the reply to leave first.
const replyDelay = 20 * time.Millisecond

// itemProps is (ia{sv}), an item's id and properties.
type itemProps struct {
	ID    int32
	Props map[string]dbus.Variant
}

// removedProps is (ias), an item's id and the properties it lost.
type removedProps struct {
	ID    int32
	Names []string
}

// layout is (ia{sv}av), an item with its submenu.
type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// properties are n's dbusmenu properties; defaults are left out, as the
// protocol allows.
func (n *node) properties() map[string]dbus.Variant {
	p := map[string]dbus.Variant{}
	if n.id == 0 {
		p["children-display"] = dbus.MakeVariant("submenu")
		return p
	}
	it := &n.it
	if it.Separator {
		p["type"] = dbus.MakeVariant("separator")
	} else {
		p["label"] = dbus.MakeVariant(it.Label)
	}
	p["enabled"] = dbus.MakeVariant(!it.Disabled)
	p["visible"] = dbus.MakeVariant(!it.Hidden)
	if it.Checkbox {
		p["toggle-type"] = dbus.MakeVariant("checkmark")
		state := int32(0)
		if it.Checked {
			state = 1
		}
		p["toggle-state"] = dbus.MakeVariant(state)
	}
	if n.menu {
		p["children-display"] = dbus.MakeVariant("submenu")
	}
	return p
}

// layoutOf is n's layout to depth levels (-1: all). Lazy submenus not
// made yet come back empty: a host opens them with AboutToShow.
func (n *node) layoutOf(depth int32) layout {
	l := layout{ID: n.id, Props: n.properties(), Children: []dbus.Variant{}}
	if depth == 0 {
		return l
	}
	for _, c := range n.children {
		l.Children = append(l.Children, dbus.MakeVariant(c.layoutOf(depth-1)))
	}
	return l
}

// methods are the D-Bus methods of a Menu.
type methods Menu

// GetLayout returns the submenu of parentID to recursionDepth levels.
func (d *methods) GetLayout(parentID, recursionDepth int32, propertyNames []string) (uint32, layout, *dbus.Error) {
	m := (*Menu)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.byID[parentID]
	if n == nil {
		return m.revision, layout{}, unknownItem(parentID)
	}
	m.materialize(n) // a host may read a lazy submenu without AboutToShow
	return m.revision, n.layoutOf(recursionDepth), nil
}

// GetGroupProperties returns the properties of items ids (all when ids is
// empty).
func (d *methods) GetGroupProperties(ids []int32, propertyNames []string) ([]itemProps, *dbus.Error) {
	m := (*Menu)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	out := []itemProps{}
	if len(ids) == 0 {
		for id, n := range m.byID {
			out = append(out, itemProps{id, n.properties()})
		}
		return out, nil
	}
	for _, id := range ids {
		if n := m.byID[id]; n != nil {
			out = append(out, itemProps{id, n.properties()})
		}
	}
	return out, nil
}

// GetProperty returns one property of item id.
func (d *methods) GetProperty(id int32, name string) (dbus.Variant, *dbus.Error) {
	m := (*Menu)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.byID[id]
	if n == nil {
		return dbus.Variant{}, unknownItem(id)
	}
	v, ok := n.properties()[name]
	if !ok {
		return dbus.Variant{}, dbus.MakeFailedError(fmt.Errorf("item %d has no property %q", id, name))
	}
	return v, nil
}

// Event is a host's report of something done to item id: a click.
func (d *methods) Event(id int32, eventID string, data dbus.Variant, timestamp uint32) *dbus.Error {
	m := (*Menu)(d)
	if eventID == "clicked" {
		m.click(id)
	}
	return nil
}

// EventGroup is Event for several items.
func (d *methods) EventGroup(events []struct {
	ID        int32
	EventID   string
	Data      dbus.Variant
	Timestamp uint32
}) ([]int32, *dbus.Error) {
	m := (*Menu)(d)
	bad := []int32{}
	for _, e := range events {
		m.mu.Lock()
		known := m.byID[e.ID] != nil
		m.mu.Unlock()
		if !known {
			bad = append(bad, e.ID)
			continue
		}
		if e.EventID == "clicked" {
			m.click(e.ID)
		}
	}
	return bad, nil
}

// AboutToShow is a host about to open submenu id: a lazy one is made, and
// the host told to read it.
func (d *methods) AboutToShow(id int32) (bool, *dbus.Error) {
	m := (*Menu)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.byID[id]
	if n == nil {
		return false, unknownItem(id)
	}
	if !m.materialize(n) {
		return false, nil
	}
	m.emitMadeLater([]*node{n})
	return true, nil
}

// AboutToShowGroup is AboutToShow for several submenus.
func (d *methods) AboutToShowGroup(ids []int32) ([]int32, []int32, *dbus.Error) {
	m := (*Menu)(d)
	m.mu.Lock()
	defer m.mu.Unlock()
	updates, bad := []int32{}, []int32{}
	var made []*node
	for _, id := range ids {
		n := m.byID[id]
		switch {
		case n == nil:
			bad = append(bad, id)
		case m.materialize(n):
			updates = append(updates, id)
			made = append(made, n)
		}
	}
	m.emitMadeLater(made)
	return updates, bad, nil
}

// click sends item id's action, if it has one and is enabled and shown:
// a host may send a click for an item it shows disabled.
func (m *Menu) click(id int32) {
	m.mu.Lock()
	n := m.byID[id]
	var act string
	if n != nil && !n.it.Disabled && !n.it.Hidden {
		act = n.it.Action
	}
	m.mu.Unlock()
	if act == "" {
		return
	}
	select {
	case m.clicks <- act:
	default:
		m.log.Warn("dbusmenu: click dropped: nobody reads the clicks", "id", id)
	}
}

func unknownItem(id int32) *dbus.Error {
	return dbus.NewError("com.canonical.dbusmenu.UnknownItem", []any{fmt.Sprintf("no menu item %d", id)})
}

// introspection describes com.canonical.dbusmenu.
func introspection() introspect.Interface {
	return introspect.Interface{
		Name: Interface,
		Methods: []introspect.Method{
			{Name: "GetLayout", Args: []introspect.Arg{
				{Name: "parentId", Type: "i", Direction: "in"}, {Name: "recursionDepth", Type: "i", Direction: "in"},
				{Name: "propertyNames", Type: "as", Direction: "in"},
				{Name: "revision", Type: "u", Direction: "out"}, {Name: "layout", Type: "(ia{sv}av)", Direction: "out"}}},
			{Name: "GetGroupProperties", Args: []introspect.Arg{
				{Name: "ids", Type: "ai", Direction: "in"}, {Name: "propertyNames", Type: "as", Direction: "in"},
				{Name: "properties", Type: "a(ia{sv})", Direction: "out"}}},
			{Name: "GetProperty", Args: []introspect.Arg{
				{Name: "id", Type: "i", Direction: "in"}, {Name: "name", Type: "s", Direction: "in"},
				{Name: "value", Type: "v", Direction: "out"}}},
			{Name: "Event", Args: []introspect.Arg{
				{Name: "id", Type: "i", Direction: "in"}, {Name: "eventId", Type: "s", Direction: "in"},
				{Name: "data", Type: "v", Direction: "in"}, {Name: "timestamp", Type: "u", Direction: "in"}}},
			{Name: "EventGroup", Args: []introspect.Arg{
				{Name: "events", Type: "a(isvu)", Direction: "in"}, {Name: "idErrors", Type: "ai", Direction: "out"}}},
			{Name: "AboutToShow", Args: []introspect.Arg{
				{Name: "id", Type: "i", Direction: "in"}, {Name: "needUpdate", Type: "b", Direction: "out"}}},
			{Name: "AboutToShowGroup", Args: []introspect.Arg{
				{Name: "ids", Type: "ai", Direction: "in"},
				{Name: "updatesNeeded", Type: "ai", Direction: "out"}, {Name: "idErrors", Type: "ai", Direction: "out"}}},
		},
		Signals: []introspect.Signal{
			{Name: "ItemsPropertiesUpdated", Args: []introspect.Arg{
				{Name: "updatedProps", Type: "a(ia{sv})", Direction: "out"}, {Name: "removedProps", Type: "a(ias)", Direction: "out"}}},
			{Name: "LayoutUpdated", Args: []introspect.Arg{
				{Name: "revision", Type: "u", Direction: "out"}, {Name: "parent", Type: "i", Direction: "out"}}},
			{Name: "ItemActivationRequested", Args: []introspect.Arg{
				{Name: "id", Type: "i", Direction: "out"}, {Name: "timestamp", Type: "u", Direction: "out"}}},
		},
		Properties: []introspect.Property{
			{Name: "Version", Type: "u", Access: "read"},
			{Name: "TextDirection", Type: "s", Access: "read"},
			{Name: "Status", Type: "s", Access: "read"},
			{Name: "IconThemePath", Type: "as", Access: "read"},
		},
	}
}
