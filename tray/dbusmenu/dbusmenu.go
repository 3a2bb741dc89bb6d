// Package dbusmenu serves a menu over D-Bus with the com.canonical.dbusmenu
// protocol, the menu of a StatusNotifierItem that panels (KDE, GNOME's
// AppIndicator extension, waybar, xfce4-panel) show.
//
// It exists for menus of thousands of items: a Menu keeps its items in a
// tree indexed by id, answers GetLayout from it without copying the tree,
// updates one item in place (ItemsPropertiesUpdated) and, when a submenu
// changes shape, tells hosts to read that submenu again (LayoutUpdated
// with its id), not the whole menu. A submenu may be lazy: its items are
// made when a host opens it (AboutToShow), so that a thousand submenus
// nobody opens cost nothing.
//
// fyne.io/systray, which the tray uses for its icon, serves the menu of
// its own with a tree it searches from the top for every item added and a
// layout signal per item: building a menu of n items takes O(n²) and a
// host reads the whole tree after each. [Menu.Export] takes its place on
// the same connection and object path.
package dbusmenu

import (
	"log/slog"
	"strconv"
	"sync"
)

// Item is an entry of the menu as the application wants it shown.
type Item struct {
	// Key tells the item apart from its siblings: an item that keeps its
	// key keeps its id (and a host's open submenu) when the menu is set
	// again; an item whose key changes is a new item, so that a click
	// sent for the old one never reaches the new one. Empty means the
	// label.
	Key string

	Label     string
	Disabled  bool
	Hidden    bool
	Separator bool
	Checkbox  bool // a checkmark item; Checked says its state
	Checked   bool

	// Action is what a click sends on [Menu.Clicks]; "" for none.
	Action string

	// Children are the items of the item's submenu.
	Children []Item
	// Lazy, when set, makes the item's submenu lazy: its items are
	// Lazy's result, asked for when a host first opens the submenu (and
	// again when the item is set with a new Lazy while it is open). It is
	// called on a D-Bus goroutine: it must read only what it captured.
	Lazy func() []Item
}

// submenu reports whether it has a submenu.
func (it *Item) submenu() bool { return len(it.Children) > 0 || it.Lazy != nil }

func (it *Item) key() string {
	if it.Key != "" {
		return it.Key
	}
	return it.Label
}

// node is an item on show, with its id.
type node struct {
	id       int32
	key      string // among its siblings (Item.Key, made unique)
	it       Item   // as shown; it.Children is not kept (see children)
	menu     bool   // it has a submenu
	parent   *node
	children []*node
	// made says the children are there: always for an item with
	// Children, once a host opened it for a lazy one.
	made bool
}

// Menu is a menu served over D-Bus. Its zero value is not usable: call
// [New].
type Menu struct {
	log    *slog.Logger
	clicks chan string

	mu sync.Mutex
	// signal sends a signal of the menu's interface (set by Export).
	signal   func(member string, body ...any) error
	root     *node
	byID     map[int32]*node
	nextID   int32
	revision uint32
}

// New returns a menu with no items. Clicks arrive on Clicks.
func New(log *slog.Logger) *Menu {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	root := &node{id: 0, made: true}
	return &Menu{log: log, clicks: make(chan string, 16), root: root, byID: map[int32]*node{0: root}, revision: 1}
}

// Clicks receives the Action of each item clicked. A click that finds the
// channel full is dropped: read it promptly.
func (m *Menu) Clicks() <-chan string { return m.clicks }

// Set shows items as the menu: what kept its key keeps its id and is
// updated in place; a submenu whose items changed is sent again alone.
func (m *Menu) Set(items []Item) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var updated []*node
	var relayout []*node
	m.setChildren(m.root, items, &updated, &relayout)
	m.emit(updated, relayout)
}

// setChildren makes n's children items. m.mu is held.
func (m *Menu) setChildren(n *node, items []Item, updated, relayout *[]*node) {
	old := make(map[string]*node, len(n.children))
	for _, c := range n.children {
		old[c.key] = c
	}
	same := len(items) == len(n.children)
	next := make([]*node, 0, len(items))
	seen := make(map[string]int, len(items))
	for i := range items {
		it := items[i]
		// Siblings of one key are told apart by their order.
		k := it.key()
		if seen[k]++; seen[k] > 1 {
			k += "#" + strconv.Itoa(seen[k])
		}
		c := old[k]
		if c != nil && (c.it.Separator != it.Separator || c.it.Checkbox != it.Checkbox || c.it.Action != it.Action || c.menu != it.submenu()) {
			c = nil // another kind of item: a new one (the old one is dropped below)
		}
		if c == nil {
			c = m.newNode(n, it, k)
			same = false
		} else {
			delete(old, k)
			if same && n.children[i] != c {
				same = false
			}
			if props(c.it, c.menu) != props(it, it.submenu()) {
				*updated = append(*updated, c)
			}
			lazyChanged := it.Lazy != nil
			c.it = it
			c.it.Children = nil
			switch {
			case len(it.Children) > 0:
				m.setChildren(c, it.Children, updated, relayout)
			case lazyChanged && c.made:
				m.setChildren(c, it.Lazy(), updated, relayout)
			}
		}
		next = append(next, c)
	}
	for _, c := range old {
		m.drop(c)
		same = false
	}
	n.children = next
	if !same {
		*relayout = append(*relayout, n)
	}
}

// newNode makes a node of it under parent, known to its siblings by key,
// with its children unless they are lazy. m.mu is held.
func (m *Menu) newNode(parent *node, it Item, key string) *node {
	m.nextID++
	c := &node{id: m.nextID, key: key, parent: parent, menu: it.submenu()}
	kids := it.Children
	c.it = it
	c.it.Children = nil
	m.byID[c.id] = c
	if it.Lazy == nil {
		c.made = true
		m.addChildren(c, kids)
	}
	return c
}

// addChildren makes items the children of n, which has none. m.mu is held.
func (m *Menu) addChildren(n *node, items []Item) {
	seen := make(map[string]int, len(items))
	for _, it := range items {
		k := it.key()
		if seen[k]++; seen[k] > 1 {
			k += "#" + strconv.Itoa(seen[k])
		}
		n.children = append(n.children, m.newNode(n, it, k))
	}
}

// drop forgets n and its children. m.mu is held.
func (m *Menu) drop(n *node) {
	delete(m.byID, n.id)
	for _, c := range n.children {
		m.drop(c)
	}
}

// shown are the properties of an item that a host shows.
type shown struct {
	label                       string
	disabled, hidden, checked   bool
	separator, checkbox, parent bool
}

func props(it Item, menu bool) shown {
	return shown{label: it.Label, disabled: it.Disabled, hidden: it.Hidden, checked: it.Checked,
		separator: it.Separator, checkbox: it.Checkbox, parent: menu}
}

// materialize makes a lazy node's children, if they are not made yet.
// m.mu is held; it reports whether it made them.
func (m *Menu) materialize(n *node) bool {
	if n.made || n.it.Lazy == nil {
		return false
	}
	n.made = true
	m.addChildren(n, n.it.Lazy())
	return true
}

// Len returns how many items are made (for tests and benchmarks).
func (m *Menu) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.byID) - 1
}
