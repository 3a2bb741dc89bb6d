package keychaintest

import (
	"fmt"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// hanging is a Secret Service that never answers: a connection to the
// session bus that owns org.freedesktop.secrets and holds every method call
// it receives until close.
//
// godbus runs each incoming method call in a goroutine of its own, so held
// calls do not stop the connection from reading the next ones.
type hanging struct {
	conn    *dbus.Conn
	release chan struct{} // closed by close: held calls return
	held    sync.WaitGroup

	mu     sync.Mutex
	closed bool // set by close, under mu: held.Add happens before held.Wait
}

// startHanging connects the hanging Secret Service and has it own
// org.freedesktop.secrets.
func (s *Session) startHanging() error {
	h := &hanging{release: make(chan struct{})}
	conn, err := s.Dial(dbus.WithHandler(h))
	if err != nil {
		return err
	}
	h.conn = conn
	s.hang = h
	reply, err := conn.RequestName(SecretsName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("keychaintest: hanging Secret Service: request %s: %w", SecretsName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("keychaintest: hanging Secret Service: %s not owned (reply %v)", SecretsName, reply)
	}
	return nil
}

// close answers the held calls with an error and disconnects.
func (h *hanging) close() error {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	close(h.release)
	done := make(chan struct{})
	go func() {
		h.held.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-time.After(stopTimeout):
		err = fmt.Errorf("keychaintest: hanging Secret Service: held calls did not return within %v", stopTimeout)
	}
	if h.conn != nil {
		h.conn.Close()
	}
	return err
}

// hanging is a dbus.Handler, ServerObject, Interface and Method at once:
// every object path exists, has every interface, which has every method,
// which takes any arguments and hangs.

// LookupObject implements dbus.Handler.
func (h *hanging) LookupObject(dbus.ObjectPath) (dbus.ServerObject, bool) { return h, true }

// LookupInterface implements dbus.ServerObject.
func (h *hanging) LookupInterface(string) (dbus.Interface, bool) { return h, true }

// LookupMethod implements dbus.Interface.
func (h *hanging) LookupMethod(string) (dbus.Method, bool) { return h, true }

// DecodeArguments implements dbus.ArgumentDecoder: any arguments will do.
func (h *hanging) DecodeArguments(_ *dbus.Conn, _ string, _ *dbus.Message, args []any) ([]any, error) {
	return args, nil
}

// Call implements dbus.Method: it returns, with an error, only when the
// session closes.
func (h *hanging) Call(...any) ([]any, error) {
	h.mu.Lock()
	closed := h.closed
	if !closed {
		h.held.Add(1)
	}
	h.mu.Unlock()
	if !closed {
		defer h.held.Done()
		<-h.release
	}
	return nil, dbus.NewError("org.freedesktop.DBus.Error.NoReply", []any{"keychaintest: the hanging Secret Service closed"})
}

// NumArguments implements dbus.Method.
func (h *hanging) NumArguments() int { return 0 }

// NumReturns implements dbus.Method.
func (h *hanging) NumReturns() int { return 0 }

// ArgumentValue implements dbus.Method.
func (h *hanging) ArgumentValue(int) any { return nil }

// ReturnValue implements dbus.Method.
func (h *hanging) ReturnValue(int) any { return nil }
