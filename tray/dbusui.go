package tray

import (
	"sync"

	"github.com/meshmesh/meshmesh/tray/dbusmenu"
)

// dbusUI shows the menu with package dbusmenu, which takes the place of
// systray's own menu on Linux: systray's builds a menu of n items in
// O(n²) and has hosts read all of it after each item, which a thousand
// orgs cannot afford. The icon and tooltip are still systray's.
type dbusUI struct {
	*systrayUI
	menu     *dbusmenu.Menu
	quitOnce sync.Once
	quitted  chan struct{} // closed by quit
}

func newDBusUI(u *systrayUI, m *dbusmenu.Menu) *dbusUI {
	return &dbusUI{systrayUI: u, menu: m, quitted: make(chan struct{})}
}

func (u *dbusUI) setMenu(items []item) { u.menu.Set(dbusItems(items)) }

func (u *dbusUI) quit() { u.quitOnce.Do(func() { close(u.quitted) }) }

// forward sends the menu's clicks to the loop until it ends.
func (u *dbusUI) forward() {
	for {
		select {
		case key := <-u.menu.Clicks():
			act, ok := parseAction(key)
			if !ok {
				continue
			}
			select {
			case u.events <- menuClick{act}:
			case <-u.done:
				return
			}
		case <-u.done:
			return
		}
	}
}

// menuClick is a click on an item of the dbusmenu, whose action is act.
type menuClick struct{ act action }

func (e menuClick) apply(a *app) { a.do(e.act) }

// dbusItems is items as package dbusmenu takes them.
func dbusItems(items []item) []dbusmenu.Item {
	out := make([]dbusmenu.Item, len(items))
	for i, it := range items {
		d := dbusmenu.Item{
			Key:       it.id(),
			Label:     it.label,
			Disabled:  it.disabled,
			Hidden:    it.hidden,
			Separator: it.separator,
			Checkbox:  it.checkbox,
			Checked:   it.checked,
			Children:  dbusItems(it.children),
		}
		if it.do.kind != actNone {
			d.Action = it.do.key()
		}
		if lazy := it.lazy; lazy != nil {
			d.Lazy = func() []dbusmenu.Item { return dbusItems(lazy()) }
		}
		out[i] = d
	}
	return out
}
