package tray

import (
	"time"

	"fyne.io/systray"

	"github.com/meshmesh/meshmesh/icons"
)

// systrayUI renders the state with fyne.io/systray. Only the event loop
// calls it. When a new menu has the shape of the one shown (same items,
// submenus and separators, each doing the same thing), it is updated in
// place; otherwise it is rebuilt. A click therefore always means what the
// item said when it was shown: a rebuild gives it a new item.
type systrayUI struct {
	events  chan<- event
	done    <-chan struct{} // closed when the event loop ends
	shown   []*shownItem
	icon    icons.Kind
	tip     string
	iconOK  bool
	started time.Time
}

// settleTime is how long after start heal sets the icon and tooltip again.
const settleTime = 5 * time.Second

// heal sets the icon and tooltip again in the first seconds of the tray:
// set while systray exports its properties (a start-up race of
// fyne.io/systray v1.12.2 on Linux), they are lost for good.
func (u *systrayUI) heal() {
	if time.Since(u.started) > settleTime || !u.iconOK {
		return
	}
	setIcon(u.icon)
	systray.SetTooltip(u.tip)
}

// shownItem is a menu item on screen and what it stands for now. Its
// click is read by a goroutine that sends the item's current action.
type shownItem struct {
	mi       *systray.MenuItem
	it       item
	children []*shownItem
}

func (u *systrayUI) setMenu(items []item) {
	if sameShape(u.shown, items) {
		for i, s := range u.shown {
			s.update(items[i])
		}
		return
	}
	systray.ResetMenu()
	u.shown = nil
	for _, it := range items {
		u.shown = append(u.shown, u.add(nil, it))
	}
}

// sameShape reports whether items can be shown by updating shown.
func sameShape(shown []*shownItem, items []item) bool {
	if len(shown) != len(items) {
		return false
	}
	for i, s := range shown {
		it := items[i]
		if s.it.separator != it.separator || s.it.checkbox != it.checkbox || s.it.do != it.do || !sameShape(s.children, it.submenu()) {
			return false
		}
	}
	return true
}

// add shows it under parent (nil: the top menu). A separator has no
// MenuItem.
func (u *systrayUI) add(parent *shownItem, it item) *shownItem {
	s := &shownItem{it: it}
	switch {
	case it.separator && parent == nil:
		systray.AddSeparator()
		return s
	case it.separator:
		parent.mi.AddSeparator()
		return s
	case parent == nil && it.checkbox:
		s.mi = systray.AddMenuItemCheckbox(it.label, it.tooltip, it.checked)
	case parent == nil:
		s.mi = systray.AddMenuItem(it.label, it.tooltip)
	case it.checkbox:
		s.mi = parent.mi.AddSubMenuItemCheckbox(it.label, it.tooltip, it.checked)
	default:
		s.mi = parent.mi.AddSubMenuItem(it.label, it.tooltip)
	}
	if it.disabled {
		s.mi.Disable()
	}
	if it.hidden {
		s.mi.Hide()
	}
	for _, c := range it.submenu() {
		s.children = append(s.children, u.add(s, c))
	}
	go u.forward(s)
	return s
}

// forward sends s's clicks to the loop. systray drops a click nobody is
// receiving, so this loop does nothing else. The channel closes when the
// menu is rebuilt.
func (u *systrayUI) forward(s *shownItem) {
	for range s.mi.ClickedCh {
		select {
		case u.events <- clicked{s}:
		case <-u.done:
			return
		}
	}
}

// clicked is a click on a shown item.
type clicked struct{ s *shownItem }

func (e clicked) apply(a *app) {
	// A disabled item still fires when a host sends the click anyway.
	if e.s.it.disabled || e.s.it.hidden {
		return
	}
	a.do(e.s.it.do)
}

// update shows it in place of s.it.
func (s *shownItem) update(it item) {
	old := s.it
	s.it = it
	if s.mi == nil {
		return
	}
	if old.label != it.label {
		s.mi.SetTitle(it.label)
	}
	if old.tooltip != it.tooltip {
		s.mi.SetTooltip(it.tooltip)
	}
	if old.disabled != it.disabled {
		if it.disabled {
			s.mi.Disable()
		} else {
			s.mi.Enable()
		}
	}
	if old.hidden != it.hidden {
		if it.hidden {
			s.mi.Hide()
		} else {
			s.mi.Show()
		}
	}
	if it.checkbox && old.checked != it.checked {
		if it.checked {
			s.mi.Check()
		} else {
			s.mi.Uncheck()
		}
	}
	kids := it.submenu()
	for i, c := range s.children {
		c.update(kids[i])
	}
}

func (u *systrayUI) setIcon(k icons.Kind) {
	if u.iconOK && k == u.icon {
		return
	}
	u.icon, u.iconOK = k, true
	setIcon(k)
}

// setIcon shows icon k: a template icon on macOS, so that it follows the
// menu bar's appearance.
func setIcon(k icons.Kind) {
	systray.SetTemplateIcon(icons.Template(k), icons.Tray(k))
}

func (u *systrayUI) setTooltip(t string) {
	if t == u.tip {
		return
	}
	u.tip = t
	systray.SetTooltip(t)
}

func (u *systrayUI) quit() { systray.Quit() }
