package tray

import (
	"fmt"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
	"github.com/meshmesh/meshmesh/tray/dbusmenu"
)

// manyState is the state of a tray of n connections: 10 % needing
// reconnect, 40 % in 8 groups of the user's, 8 favourites, 5 recent.
func manyState(n int) *state {
	s := &state{title: "MeshMesh", checking: map[string]bool{}, unchecked: map[string]*oauth.Diagnosis{}}
	now := time.Now()
	for i := range n {
		c := keychain.Connection{Alias: fmt.Sprintf("org-%d", i), Username: fmt.Sprintf("admin@org%d.example", i),
			OrgName: "Org", InstanceURL: "https://org.my.salesforce.com", Status: keychain.Connected, IsSandbox: i%3 == 0}
		if i%10 == 0 {
			c.Status = keychain.NeedsReconnect
		}
		if i%5 < 2 {
			c.Group = fmt.Sprintf("Group %d", i%8)
		}
		if i < 8 {
			c.Favourite = i + 1
		}
		if i >= n-5 {
			c.LastUsed = now.Add(-time.Duration(i) * time.Second)
		}
		s.conns = append(s.conns, c)
	}
	return s
}

// BenchmarkMenu measures building the menu of the state, which the event
// loop does after every burst of events: the items alone, and shown in a
// dbusmenu (the first time, and after one org changed).
func BenchmarkMenu(b *testing.B) {
	for _, n := range []int{200, 1000} {
		s := manyState(n)
		b.Run(fmt.Sprintf("items-%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = s.menu()
				_ = s.tooltip()
			}
		})
		b.Run(fmt.Sprintf("shown-%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dbusmenu.New(nil).Set(dbusItems(s.menu()))
			}
		})
		b.Run(fmt.Sprintf("one-changed-%d", n), func(b *testing.B) {
			m := dbusmenu.New(nil)
			m.Set(dbusItems(s.menu()))
			b.ReportAllocs()
			for b.Loop() {
				s.conns[1].Status = keychain.NeedsReconnect
				m.Set(dbusItems(s.menu()))
				s.conns[1].Status = keychain.Connected
				m.Set(dbusItems(s.menu()))
			}
		})
	}
}

// BenchmarkSameShape measures the comparison that decides between an
// update in place and a rebuild, for 200 connections.
func BenchmarkSameShape(b *testing.B) {
	s := &state{title: "MeshMesh", checking: map[string]bool{}}
	for i := range 200 {
		s.conns = append(s.conns, keychain.Connection{Alias: fmt.Sprintf("org-%d", i), Username: fmt.Sprintf("u%d", i), Status: keychain.Connected})
	}
	items := s.menu()
	var shown []*shownItem
	var add func(it item) *shownItem
	add = func(it item) *shownItem {
		x := &shownItem{it: it}
		for _, c := range it.children {
			x.children = append(x.children, add(c))
		}
		return x
	}
	for _, it := range items {
		shown = append(shown, add(it))
	}
	b.ReportAllocs()
	for b.Loop() {
		if !sameShape(shown, items) {
			b.Fatal("not the same shape")
		}
	}
}
