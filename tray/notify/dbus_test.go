//go:build !windows && !darwin

package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/tray/traytest"
)

// TestReopen: when the connection dies, the next Notify opens a new one,
// on which actions work.
func TestReopen(t *testing.T) {
	s := traytest.New(t, traytest.Keychain(keychaintest.WithoutSecretService()))
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	n := New(Options{})
	defer n.Close()
	msg := Notification{Title: "one", Actions: []Action{{Key: "fix", Label: "Fix"}}}
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	first := n.sys.cur
	first.conn.Close()

	msg.Title = "two"
	if err := n.Notify(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	if n.sys.cur == first {
		t.Error("the dead connection was used again")
	}
	s.Invoke(t, s.WaitNotification(t, func(n traytest.Notification) bool { return n.Summary == "two" }), "fix")
	select {
	case key := <-n.Actions():
		if key != "fix" {
			t.Errorf("Actions gave %q, want fix", key)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no action within 20 s")
	}
}

// TestEarlySignals: a signal about a notification whose Notify has not
// returned yet waits for it; one about a notification of another program
// is dropped.
func TestEarlySignals(t *testing.T) {
	c := &busConn{offered: map[uint32][]string{}}
	var got []string
	deliver := func(key string) { got = append(got, key) }

	c.sending(true)
	c.sending(true)
	c.receive(signal{id: 7, key: "fix"}, deliver)    // ours, before Notify returned
	c.receive(signal{id: 7, closed: true}, deliver)  // then closed
	c.receive(signal{id: 9, key: "theirs"}, deliver) // another program's
	c.receive(signal{id: 8, key: "unoffered"}, deliver)
	if len(got) != 0 {
		t.Fatalf("delivered %q before Notify returned", got)
	}
	c.sent(7, []string{"fix"}, deliver)
	if !slices.Equal(got, []string{"fix"}) {
		t.Errorf("delivered %q, want [fix]", got)
	}
	if _, ok := c.offered[7]; ok {
		t.Error("notification 7 is closed but still remembered")
	}
	c.sent(8, nil, deliver) // sent without actions
	if !slices.Equal(got, []string{"fix"}) || len(c.early) != 0 || c.inFlight != 0 {
		t.Errorf("delivered %q, %d early signals kept, %d in flight; want [fix], 0, 0", got, len(c.early), c.inFlight)
	}
	c.receive(signal{id: 9, key: "theirs"}, deliver) // nothing in flight
	if len(c.early) != 0 || len(got) != 1 {
		t.Errorf("a signal of another program, with nothing in flight, was kept or delivered")
	}
}

// TestOfferedBounded: a server that never closes notifications does not
// make the connection remember them without end.
func TestOfferedBounded(t *testing.T) {
	c := &busConn{offered: map[uint32][]string{}}
	for id := range uint32(3 * maxOffered) {
		c.sending(true)
		c.sent(id+1, []string{"k"}, func(string) {})
	}
	if len(c.offered) != maxOffered || len(c.order) != maxOffered {
		t.Errorf("remembers %d (%d in order), want %d", len(c.offered), len(c.order), maxOffered)
	}
	if _, ok := c.offered[3*maxOffered]; !ok {
		t.Error("the newest notification was forgotten")
	}
}
