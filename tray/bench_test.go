package tray

import (
	"fmt"
	"testing"

	"github.com/meshmesh/meshmesh/keychain"
	"github.com/meshmesh/meshmesh/oauth"
)

// BenchmarkMenu measures building the menu of 200 connections from the
// state, which the event loop does after every event.
func BenchmarkMenu(b *testing.B) {
	s := &state{title: "MeshMesh", checking: map[string]bool{}, unchecked: map[string]*oauth.Diagnosis{}}
	for i := range 200 {
		st := keychain.Connected
		if i%10 == 0 {
			st = keychain.NeedsReconnect
		}
		s.conns = append(s.conns, keychain.Connection{Alias: fmt.Sprintf("org-%d", i), Username: fmt.Sprintf("admin@org%d.example", i),
			OrgName: "Org", InstanceURL: "https://org.my.salesforce.com", Status: st})
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = s.menu()
		_ = s.tooltip()
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
