package dbusmenu

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// signals records what a Menu sends, as "LayoutUpdated <id>" and
// "ItemsPropertiesUpdated <id> <id>…".
type signals []string

func record(m *Menu) *signals {
	var s signals
	m.signal = func(member string, body ...any) error {
		switch member {
		case "LayoutUpdated":
			s = append(s, fmt.Sprintf("LayoutUpdated %d", body[1]))
		case "ItemsPropertiesUpdated":
			var ids []string
			for _, p := range body[0].([]itemProps) {
				ids = append(ids, fmt.Sprint(p.ID))
			}
			s = append(s, "ItemsPropertiesUpdated "+strings.Join(ids, " "))
		}
		return nil
	}
	return &s
}

// take returns the signals sent so far (a Menu sends them under its
// lock), and forgets them.
func (s *signals) take(m *Menu) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := *s
	*s = nil
	return out
}

// after waits for AboutToShow's signal, sent once its reply is out.
func (s *signals) after(m *Menu) []string {
	time.Sleep(replyDelay + 30*time.Millisecond)
	return s.take(m)
}

// org is an org's item with a lazy submenu, counting how often it is made.
func org(name, mark string, made *int) Item {
	return Item{Key: "org:" + name, Label: mark + " " + name, Lazy: func() []Item {
		*made++
		return []Item{{Label: "Open", Action: "open " + name}, {Separator: true, Key: "sep"}, {Label: "Remove", Action: "remove " + name}}
	}}
}

func menuOf(orgs ...Item) []Item {
	return []Item{
		{Label: "MeshMesh — 2 orgs", Action: "find"},
		{Label: "Production", Children: orgs},
		{Separator: true, Key: "sep:quit"},
		{Label: "Quit", Action: "quit"},
	}
}

// layoutLabels reads the submenu of id as a host does and returns its
// labels, "-" for a separator and ">" after a submenu's.
func layoutLabels(t *testing.T, m *Menu, id int32) []string {
	t.Helper()
	_, l, err := (*methods)(m).GetLayout(id, -1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(l layout, depth int)
	walk = func(l layout, depth int) {
		for _, v := range l.Children {
			c := v.Value().(layout)
			label, _ := c.Props["label"].Value().(string)
			if c.Props["type"].Value() == "separator" {
				label = "-"
			}
			if c.Props["children-display"].Value() == "submenu" {
				label += " >"
			}
			out = append(out, strings.Repeat("  ", depth)+label)
			walk(c, depth+1)
		}
	}
	walk(l, 0)
	return out
}

func idOf(t *testing.T, m *Menu, label string) int32 {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for id, n := range m.byID {
		if n.it.Label == label {
			return id
		}
	}
	t.Fatalf("no item %q", label)
	return 0
}

func TestLazySubmenus(t *testing.T) {
	m := New(nil)
	sig := record(m)
	var made int
	m.Set(menuOf(org("acme", "●", &made), org("globex", "●", &made)))
	want := []string{"MeshMesh — 2 orgs", "Production >", "  ● acme >", "  ● globex >", "-", "Quit"}
	if got := layoutLabels(t, m, 0); !slices.Equal(got, want) {
		t.Errorf("layout %q, want %q", got, want)
	}
	if made != 0 {
		t.Errorf("%d submenus made before anyone opened one", made)
	}
	if got := sig.take(m); !slices.Equal(got, []string{"LayoutUpdated 0"}) {
		t.Errorf("signals %q", got)
	}
	// A host opens acme's submenu: made now, and only it.
	acme := idOf(t, m, "● acme")
	need, err := (*methods)(m).AboutToShow(acme)
	if err != nil || !need {
		t.Fatalf("AboutToShow = %v, %v; want true", need, err)
	}
	if got := layoutLabels(t, m, acme); !slices.Equal(got, []string{"Open", "-", "Remove"}) {
		t.Errorf("acme's submenu %q", got)
	}
	if made != 1 {
		t.Errorf("%d submenus made, want 1", made)
	}
	if got, want := sig.after(m), []string{fmt.Sprintf("LayoutUpdated %d", acme)}; !slices.Equal(got, want) {
		t.Errorf("signals after AboutToShow %q, want %q (libdbusmenu reads it again on LayoutUpdated)", got, want)
	}
	if need, _ := (*methods)(m).AboutToShow(acme); need || len(sig.after(m)) > 0 {
		t.Error("AboutToShow of a made submenu asks the host to read it again")
	}
	if _, err := (*methods)(m).AboutToShow(9999); err == nil {
		t.Error("AboutToShow of no item is no error")
	}
}

func TestOneChangeUpdatesOneItem(t *testing.T) {
	m := New(nil)
	sig := record(m)
	var made int
	m.Set(menuOf(org("acme", "●", &made), org("globex", "●", &made)))
	sig.take(m)
	acme, globex := idOf(t, m, "● acme"), idOf(t, m, "● globex")
	(*methods)(m).AboutToShow(acme)
	// libdbusmenu reads a submenu made on AboutToShow on LayoutUpdated.
	if got, want := sig.after(m), []string{fmt.Sprintf("LayoutUpdated %d", acme)}; !slices.Equal(got, want) {
		t.Errorf("signals after AboutToShow %q, want %q", got, want)
	}

	// globex needs reconnect: its item changes in place, nothing else.
	m.Set(menuOf(org("acme", "●", &made), org("globex", "⚠", &made)))
	if got, want := sig.take(m), []string{fmt.Sprintf("ItemsPropertiesUpdated %d", globex)}; !slices.Equal(got, want) {
		t.Errorf("signals %q, want %q", got, want)
	}
	if idOf(t, m, "⚠ globex") != globex {
		t.Error("globex got a new id")
	}
	// The same menu again: nothing to say.
	m.Set(menuOf(org("acme", "●", &made), org("globex", "⚠", &made)))
	if got := sig.take(m); len(got) != 0 {
		t.Errorf("an unchanged menu sent %q", got)
	}
	// A third org: Production is read again, alone; the others keep
	// their ids, and acme's open submenu is made again from its new Lazy.
	made = 0
	m.Set(menuOf(org("acme", "●", &made), org("globex", "⚠", &made), org("initech", "●", &made)))
	prod := idOf(t, m, "Production")
	if got, want := sig.take(m), []string{fmt.Sprintf("LayoutUpdated %d", prod)}; !slices.Equal(got, want) {
		t.Errorf("signals %q, want %q", got, want)
	}
	if idOf(t, m, "● acme") != acme || idOf(t, m, "⚠ globex") != globex {
		t.Error("an org kept in its place got a new id")
	}
	if made != 1 {
		t.Errorf("%d submenus made again, want acme's alone (open)", made)
	}
}

func TestClicks(t *testing.T) {
	m := New(nil)
	record(m)
	m.Set([]Item{
		{Label: "Quit", Action: "quit"},
		{Label: "Check all", Action: "check", Disabled: true},
		{Label: "Cancel sign-in", Action: "cancel", Hidden: true},
		{Label: "Pin", Action: "pin acme"},
	})
	d := (*methods)(m)
	pin := idOf(t, m, "Pin")
	for _, label := range []string{"Check all", "Cancel sign-in"} {
		d.Event(idOf(t, m, label), "clicked", dbus.MakeVariant(""), 0)
	}
	d.Event(pin, "hovered", dbus.MakeVariant(""), 0)
	d.Event(idOf(t, m, "Quit"), "clicked", dbus.MakeVariant(""), 0)
	if got := <-m.Clicks(); got != "quit" {
		t.Errorf("click %q, want quit (a disabled, hidden or hovered item sends nothing)", got)
	}
	// Pin becomes Unpin: a new item, so that a click sent for the old one
	// does not unpin.
	m.Set([]Item{{Label: "Quit", Action: "quit"}, {Label: "Unpin", Action: "unpin acme"}})
	bad, _ := d.EventGroup([]struct {
		ID        int32
		EventID   string
		Data      dbus.Variant
		Timestamp uint32
	}{{pin, "clicked", dbus.MakeVariant(""), 0}})
	if !slices.Equal(bad, []int32{pin}) {
		t.Errorf("EventGroup of the old Pin: errors for %v, want %d", bad, pin)
	}
	select {
	case got := <-m.Clicks():
		t.Errorf("the old Pin's click sent %q", got)
	default:
	}
	if idOf(t, m, "Unpin") == pin {
		t.Error("Unpin took Pin's id")
	}
}

func TestProperties(t *testing.T) {
	m := New(nil)
	m.Set([]Item{{Label: "Start at login", Checkbox: true, Checked: true, Action: "autostart"}, {Separator: true}, {Label: "Off", Disabled: true}})
	d := (*methods)(m)
	props, _ := d.GetGroupProperties(nil, nil)
	if len(props) != 4 {
		t.Errorf("%d items' properties, want 4 (root included)", len(props))
	}
	id := idOf(t, m, "Start at login")
	for name, want := range map[string]any{"toggle-type": "checkmark", "toggle-state": int32(1), "enabled": true, "visible": true, "label": "Start at login"} {
		v, err := d.GetProperty(id, name)
		if err != nil || v.Value() != want {
			t.Errorf("GetProperty(%s) = %v, %v; want %v", name, v, err, want)
		}
	}
	if v, _ := d.GetProperty(idOf(t, m, "Off"), "enabled"); v.Value() != false {
		t.Errorf("a disabled item's enabled = %v", v)
	}
	if _, err := d.GetProperty(id, "icon-name"); err == nil {
		t.Error("a property it does not have is no error")
	}
	if _, _, err := d.GetLayout(12345, -1, nil); err == nil {
		t.Error("GetLayout of no item is no error")
	}
}

// BenchmarkSet measures showing a menu of 1,000 orgs in groups of 25:
// the first time, and again with one org changed.
func BenchmarkSet(b *testing.B) {
	menu := func(changed int) []Item {
		var groups []Item
		var made int
		for g := range 40 {
			grp := Item{Label: fmt.Sprintf("Group %d", g)}
			for i := range 25 {
				mark := "●"
				if g*25+i == changed {
					mark = "⚠"
				}
				grp.Children = append(grp.Children, org(fmt.Sprintf("org-%d", g*25+i), mark, &made))
			}
			groups = append(groups, grp)
		}
		return menuOf(groups...)
	}
	b.Run("first", func(b *testing.B) {
		items := menu(-1)
		b.ReportAllocs()
		for b.Loop() {
			New(nil).Set(items)
		}
	})
	b.Run("one-changed", func(b *testing.B) {
		m := New(nil)
		a, c := menu(-1), menu(500)
		m.Set(a)
		b.ReportAllocs()
		for b.Loop() {
			m.Set(c)
			m.Set(a)
		}
	})
}

// Siblings of one key keep their ids across Sets, and nothing is sent
// again for them.
func TestSameKeys(t *testing.T) {
	m := New(nil)
	sig := record(m)
	items := []Item{{Label: "Open Setup", Action: "link setup"}, {Label: "Open Setup", Action: "link setup"}, {Separator: true}, {Separator: true}}
	m.Set(items)
	n := m.Len()
	sig.take(m)
	for range 5 {
		m.Set(items)
	}
	if m.Len() != n {
		t.Errorf("%d items after five Sets of the same %d", m.Len(), n)
	}
	if got := sig.take(m); len(got) != 0 {
		t.Errorf("the same menu sent %q", got)
	}
}

// A change of shape at the top still says what changed inside a submenu:
// KDE Plasma reads a submenu again one level deep only.
func TestNestedChangesWithTheTop(t *testing.T) {
	m := New(nil)
	sig := record(m)
	var made int
	m.Set(menuOf(org("acme", "◌", &made)))
	sig.take(m)
	acme := idOf(t, m, "◌ acme")
	m.Set(append([]Item{{Label: "Needs reconnect (1)", Children: []Item{{Label: "Reconnect all", Action: "all"}}}}, menuOf(org("acme", "●", &made))...))
	got := sig.take(m)
	if !slices.Contains(got, fmt.Sprintf("ItemsPropertiesUpdated %d", acme)) || !slices.Contains(got, "LayoutUpdated 0") {
		t.Errorf("signals %q, want acme's update and the top's layout", got)
	}
}
