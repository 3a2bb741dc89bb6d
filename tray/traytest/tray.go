package traytest

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	itemIface = "org.kde.StatusNotifierItem"
	menuIface = "com.canonical.dbusmenu"
	// noReply is the error of a call whose callee left the bus without
	// answering, as a tray does whose Quit was clicked.
	noReply = "org.freedesktop.DBus.Error.NoReply"
)

// A Tray is the StatusNotifierItem of a running program, read and clicked
// as a tray host does.
type Tray struct {
	s     *Session
	name  string          // org.kde.StatusNotifierItem-<pid>-1
	owner string          // the unique name of the program's connection
	item  dbus.ObjectPath // the item's path, as registered with the watcher
	menu  dbus.ObjectPath // the item's Menu property
}

// Tray waits for the StatusNotifierItem of process pid, as fyne.io/systray
// names it (org.kde.StatusNotifierItem-<pid>-1), to be on the bus and
// registered with the session's watcher, and returns it. It fails t after
// 20 seconds, saying what it saw.
func (s *Session) Tray(t testing.TB, pid int) *Tray {
	t.Helper()
	tr := &Tray{s: s, name: fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", pid)}
	deadline := time.Now().Add(waitTimeout)
	var last error
	for {
		if last = tr.find(); last == nil {
			return tr
		}
		if time.Now().After(deadline) {
			t.Fatalf("traytest: no tray of process %d within %v: %v (watcher has %q)", pid, waitTimeout, last, s.watcher.registered())
		}
		time.Sleep(pollInterval)
	}
}

// find looks tr up: its name's owner, its registration, its menu.
func (tr *Tray) find() error {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var owner string
	if err := tr.s.client.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, tr.name).Store(&owner); err != nil {
		return fmt.Errorf("%s: %w", tr.name, err)
	}
	var item string
	for _, it := range tr.s.watcher.registered() {
		if bus, path, ok := strings.Cut(it, "/"); ok && bus == owner {
			item = "/" + path
		}
	}
	if item == "" {
		return fmt.Errorf("%s (%s) has not registered with the watcher", tr.name, owner)
	}
	var v dbus.Variant
	err := tr.s.client.Object(tr.name, dbus.ObjectPath(item)).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, itemIface, "Menu").Store(&v)
	if err != nil {
		return fmt.Errorf("%s: Menu property: %w", tr.name, err)
	}
	menu, ok := v.Value().(dbus.ObjectPath)
	if !ok || !menu.IsValid() {
		return fmt.Errorf("%s: Menu property is %v", tr.name, v)
	}
	tr.owner, tr.item, tr.menu = owner, dbus.ObjectPath(item), menu
	return nil
}

// Name returns the tray's bus name.
func (tr *Tray) Name() string { return tr.name }

// Props are the properties of a StatusNotifierItem that a tray host shows.
type Props struct {
	ID       string
	Title    string
	ToolTip  string // the tooltip's title
	Status   string // Active, Passive or NeedsAttention
	Category string
	Menu     dbus.ObjectPath
	Icons    []*image.NRGBA // IconPixmap: one image per size offered
}

// Props reads the item's properties, failing t when it cannot.
func (tr *Tray) Props(t testing.TB) Props {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	var all map[string]dbus.Variant
	err := tr.s.client.Object(tr.name, tr.item).CallWithContext(ctx, "org.freedesktop.DBus.Properties.GetAll", 0, itemIface).Store(&all)
	if err != nil {
		t.Fatalf("traytest: %s: properties: %v", tr.name, err)
	}
	str := func(k string) string { s, _ := all[k].Value().(string); return s }
	p := Props{ID: str("Id"), Title: str("Title"), Status: str("Status"), Category: str("Category")}
	p.Menu, _ = all["Menu"].Value().(dbus.ObjectPath)
	var tip struct {
		IconName string
		Icons    []pixmap
		Title    string
		Text     string
	}
	if v, ok := all["ToolTip"]; ok && dbus.Store([]any{v.Value()}, &tip) == nil {
		p.ToolTip = tip.Title
	}
	var icons []pixmap
	if v, ok := all["IconPixmap"]; ok && dbus.Store([]any{v.Value()}, &icons) == nil {
		for _, px := range icons {
			if img := px.image(); img != nil {
				p.Icons = append(p.Icons, img)
			}
		}
	}
	return p
}

// pixmap is an icon of a StatusNotifierItem, (iiay): ARGB32 in network
// byte order, not premultiplied.
type pixmap struct {
	Width, Height int32
	Data          []byte
}

func (px pixmap) image() *image.NRGBA {
	w, h := int(px.Width), int(px.Height)
	if w <= 0 || h <= 0 || len(px.Data) < w*h*4 {
		return nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range w * h {
		a, r, g, b := px.Data[4*i], px.Data[4*i+1], px.Data[4*i+2], px.Data[4*i+3]
		copy(img.Pix[4*i:], []byte{r, g, b, a})
	}
	return img
}

// An Item is an entry of a tray's menu, as com.canonical.dbusmenu gives
// it, with the specification's defaults filled in. The menu's root is an
// Item without a label.
type Item struct {
	ID              int32
	Label           string
	Type            string // "standard" or "separator"
	Enabled         bool
	Visible         bool
	ToggleType      string // "", "checkmark" or "radio"
	ToggleState     int32  // 0 off, 1 on, -1 indeterminate
	ChildrenDisplay string // "submenu" for an item that opens a submenu
	Children        []Item
}

// Find returns the item at path, from i: each element names a child of
// the previous item (separators aside) by its label, exactly, or else by a
// part of it that no other child's label has. It returns false when an
// element matches no child or more than one.
func (i Item) Find(path ...string) (Item, bool) {
	found, err := i.find(path)
	return found, err == nil
}

func (i Item) find(path []string) (Item, error) {
	if len(path) == 0 {
		return Item{}, errors.New("traytest: an empty path names no item")
	}
	cur := i
	for depth, want := range path {
		var exact, partial []Item
		for _, c := range cur.Children {
			switch {
			case c.Type == "separator":
			case c.Label == want:
				exact = append(exact, c)
			case strings.Contains(c.Label, want):
				partial = append(partial, c)
			}
		}
		matches := exact
		if len(matches) == 0 {
			matches = partial
		}
		switch len(matches) {
		case 1:
			cur = matches[0]
		case 0:
			return Item{}, fmt.Errorf("traytest: no item %q in %q", want, path[:depth])
		default:
			var labels []string
			for _, m := range matches {
				labels = append(labels, fmt.Sprintf("%q", m.Label))
			}
			return Item{}, fmt.Errorf("traytest: %q in %q matches %s", want, path[:depth], strings.Join(labels, ", "))
		}
	}
	return cur, nil
}

// String returns the tree under i, one item a line, indented, for failure
// messages: a checkmark as [x] or [ ], a submenu's label followed by ">",
// a disabled or hidden item marked so, and each item's id.
func (i Item) String() string {
	var b strings.Builder
	i.write(&b, 0)
	if b.Len() == 0 {
		return "(no items)"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (i Item) write(b *strings.Builder, depth int) {
	for _, c := range i.Children {
		b.WriteString(strings.Repeat("  ", depth))
		if c.Type == "separator" {
			fmt.Fprintf(b, "-----  #%d\n", c.ID)
			continue
		}
		switch c.ToggleType {
		case "checkmark":
			b.WriteString(map[bool]string{true: "[x] ", false: "[ ] "}[c.ToggleState == 1])
		case "radio":
			b.WriteString(map[bool]string{true: "(*) ", false: "( ) "}[c.ToggleState == 1])
		}
		b.WriteString(c.Label)
		if c.ChildrenDisplay == "submenu" {
			b.WriteString(" >")
		}
		if !c.Enabled {
			b.WriteString(" (disabled)")
		}
		if !c.Visible {
			b.WriteString(" (hidden)")
		}
		fmt.Fprintf(b, "  #%d\n", c.ID)
		c.write(b, depth+1)
	}
}

// Menu returns the tray's whole menu, failing t when it cannot read it.
func (tr *Tray) Menu(t testing.TB) Item {
	t.Helper()
	root, err := tr.readMenu()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// WaitMenu reads the menu every 50 milliseconds until cond returns true
// of it, and returns it. It fails t after 20 seconds, printing the last
// menu read.
func (tr *Tray) WaitMenu(t testing.TB, cond func(Item) bool) Item {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		root, err := tr.readMenu()
		if err == nil && cond(root) {
			return root
		}
		if time.Now().After(deadline) {
			if err != nil {
				t.Fatalf("traytest: the menu did not turn as wanted within %v: %v", waitTimeout, err)
			}
			t.Fatalf("traytest: the menu did not turn as wanted within %v; it is:\n%v", waitTimeout, root)
		}
		time.Sleep(pollInterval)
	}
}

// Click clicks the item at path (as Item.Find finds it), as a tray host
// does when a person picks it. A menu being rebuilt is read again until the
// item is there (a host reads it again on LayoutUpdated); Click fails t
// when there is still no such item, or it is disabled or hidden. A click on an item that makes the program quit
// may find it gone before it answers: that is no failure. systray drops a
// click that comes while the program is busy with the last one: wait for
// the effect of a click before the next.
func (tr *Tray) Click(t testing.TB, path ...string) {
	t.Helper()
	tr.click(t, false, path)
}

// ClickDisabled clicks the item at path even when it is disabled or
// hidden, as a misbehaving host may: fyne.io/systray delivers the click.
func (tr *Tray) ClickDisabled(t testing.TB, path ...string) {
	t.Helper()
	tr.click(t, true, path)
}

func (tr *Tray) click(t testing.TB, anyway bool, path []string) {
	t.Helper()
	var (
		root Item
		item Item
		err  error
	)
	for deadline := time.Now().Add(settleTimeout); ; time.Sleep(pollInterval) {
		root, item, err = tr.walk(path)
		if err == nil || !strings.Contains(err.Error(), "no item") || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatalf("%v; the menu is:\n%v", err, root)
	}
	if !anyway && (!item.Enabled || !item.Visible) {
		t.Fatalf("traytest: %q is disabled or hidden; the menu is:\n%v", path, root)
	}
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	err = tr.s.client.Object(tr.name, tr.menu).CallWithContext(ctx, menuIface+".Event", 0,
		item.ID, "clicked", dbus.MakeVariant(""), uint32(0)).Err
	var derr dbus.Error
	if err != nil && !(errors.As(err, &derr) && derr.Name == noReply) {
		t.Fatalf("traytest: click %q: %v", path, err)
	}
}

// At returns the item at path with its submenu, as a host shows it when a
// person opens each submenu along path in turn: only those submenus are
// read (AboutToShow, then GetLayout of each), so that it is quick in a
// menu of thousands. It fails t when there is no such item.
func (tr *Tray) At(t testing.TB, path ...string) Item {
	t.Helper()
	_, it, err := tr.walk(path)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// Top returns the top level of the menu, each submenu unread (one level,
// as a panel reads it before a person opens a submenu).
func (tr *Tray) Top(t testing.TB) Item {
	t.Helper()
	_, it, err := tr.walk(nil)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// walk reads the menu along path (nil: the top level), returning what it
// read (for failure messages) and the item at path with its submenu one
// level deep.
func (tr *Tray) walk(path []string) (read, at Item, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	obj := tr.s.client.Object(tr.name, tr.menu)
	level := func(id int32) (Item, error) {
		if err := obj.CallWithContext(ctx, menuIface+".AboutToShow", 0, id).Err; err != nil {
			return Item{}, fmt.Errorf("traytest: %s: AboutToShow(%d): %w", tr.name, id, err)
		}
		var rev uint32
		var l layout
		if err := obj.CallWithContext(ctx, menuIface+".GetLayout", 0, id, int32(1), []string{}).Store(&rev, &l); err != nil {
			return Item{}, fmt.Errorf("traytest: GetLayout(%d): %w", id, err)
		}
		return toItem(l)
	}
	cur, err := level(0)
	if err != nil {
		return Item{}, Item{}, err
	}
	read = cur
	for i := range path {
		next, err := cur.find(path[i : i+1])
		if err != nil {
			return read, Item{}, fmt.Errorf("traytest: no item %q in %q: %w", path[i], path[:i], err)
		}
		if next.ChildrenDisplay == "submenu" {
			sub, err := level(next.ID)
			if err != nil {
				return read, Item{}, err
			}
			next.Children = sub.Children
		}
		read, cur = next, next
	}
	return read, cur, nil
}

// readMenu reads the menu as a host does: AboutToShow(0), then
// GetLayout(0, -1) and, for each submenu that came back empty (the first
// GetLayout of a fyne.io/systray process answers one level only),
// AboutToShow and GetLayout of the submenu.
func (tr *Tray) readMenu() (Item, error) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	obj := tr.s.client.Object(tr.name, tr.menu)
	if err := obj.CallWithContext(ctx, menuIface+".AboutToShow", 0, int32(0)).Err; err != nil {
		return Item{}, fmt.Errorf("traytest: %s: AboutToShow: %w", tr.name, err)
	}
	root, err := getLayout(ctx, obj, 0)
	if err != nil {
		return Item{}, err
	}
	if err := fillSubmenus(ctx, obj, &root); err != nil {
		return Item{}, err
	}
	return root, nil
}

func fillSubmenus(ctx context.Context, obj dbus.BusObject, parent *Item) error {
	for i := range parent.Children {
		c := &parent.Children[i]
		if c.ChildrenDisplay == "submenu" && len(c.Children) == 0 {
			if err := obj.CallWithContext(ctx, menuIface+".AboutToShow", 0, c.ID).Err; err != nil {
				return fmt.Errorf("traytest: AboutToShow(%d): %w", c.ID, err)
			}
			sub, err := getLayout(ctx, obj, c.ID)
			if err != nil {
				return err
			}
			c.Children = sub.Children
		}
		if err := fillSubmenus(ctx, obj, c); err != nil {
			return err
		}
	}
	return nil
}

// layout is a dbusmenu layout, (ia{sv}av).
type layout struct {
	ID       int32
	Props    map[string]dbus.Variant
	Children []dbus.Variant
}

// getLayout calls GetLayout(parent, -1, []) → (u, (ia{sv}av)).
func getLayout(ctx context.Context, obj dbus.BusObject, parent int32) (Item, error) {
	var rev uint32
	var l layout
	err := obj.CallWithContext(ctx, menuIface+".GetLayout", 0, parent, int32(-1), []string{}).Store(&rev, &l)
	if err != nil {
		return Item{}, fmt.Errorf("traytest: GetLayout(%d): %w", parent, err)
	}
	return toItem(l)
}

func toItem(l layout) (Item, error) {
	str := func(k, def string) string {
		if s, ok := l.Props[k].Value().(string); ok {
			return s
		}
		return def
	}
	boolean := func(k string) bool {
		if b, ok := l.Props[k].Value().(bool); ok {
			return b
		}
		return true
	}
	it := Item{
		ID:              l.ID,
		Label:           str("label", ""),
		Type:            str("type", "standard"),
		Enabled:         boolean("enabled"),
		Visible:         boolean("visible"),
		ToggleType:      str("toggle-type", ""),
		ToggleState:     -1,
		ChildrenDisplay: str("children-display", ""),
	}
	if v, ok := l.Props["toggle-state"]; ok {
		if n, ok := toInt32(v.Value()); ok {
			it.ToggleState = n
		}
	}
	for _, v := range l.Children {
		var cl layout
		if err := dbus.Store([]any{v.Value()}, &cl); err != nil {
			return Item{}, fmt.Errorf("traytest: menu item %d: a child is %s: %w", l.ID, v.Signature(), err)
		}
		c, err := toItem(cl)
		if err != nil {
			return Item{}, err
		}
		it.Children = append(it.Children, c)
	}
	return it, nil
}

// toInt32 converts a D-Bus integer of any size.
func toInt32(v any) (int32, bool) {
	switch n := v.(type) {
	case int32:
		return n, true
	case int64:
		return int32(n), true
	case int16:
		return int32(n), true
	case uint32:
		return int32(n), true
	case byte:
		return int32(n), true
	}
	return 0, false
}
