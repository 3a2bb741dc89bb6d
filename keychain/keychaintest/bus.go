package keychaintest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// busConfig is the configuration of the session's dbus-daemon, %s the
// address to listen on. It has no <servicedir>: the bus activates nothing,
// though the machine may ship service files (for gnome-keyring itself,
// for a prompter) that a standard session bus would start.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// maxSocketPath is the longest path of a unix socket (sun_path, less the
// terminating NUL).
const maxSocketPath = 107

// startBus starts dbus-daemon listening on XDG_RUNTIME_DIR/bus and connects
// to it.
func (s *Session) startBus(ctx context.Context) error {
	socket := filepath.Join(s.runtime, "bus")
	if len(socket) > maxSocketPath {
		return fmt.Errorf("keychaintest: bus socket path %s is longer than %d bytes: set TMPDIR to a shorter directory", socket, maxSocketPath)
	}
	s.addr = "unix:path=" + escapeAddress(socket)
	config := filepath.Join(s.dir, "bus.conf")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(busConfig, xmlEscape(s.addr))), 0o600); err != nil {
		return fmt.Errorf("keychaintest: %w", err)
	}
	bus, err := startProcess(s.dir, "dbus-daemon", s.componentEnv(), nil,
		"--config-file="+config, "--nofork", "--nopidfile")
	if err != nil {
		return err
	}
	s.bus = bus
	// The bus is ready when it accepts a connection.
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := dbus.Connect(s.addr)
		if err == nil {
			s.conn = conn
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keychaintest: dbus-daemon does not accept connections on %s: %w (last error: %v)%s", s.addr, ctx.Err(), err, bus.logTail())
		case <-bus.exited():
			bus.reported = true
			return fmt.Errorf("keychaintest: dbus-daemon exited: %v%s", bus.err, bus.logTail())
		case <-tick.C:
		}
	}
}

// componentEnv returns the environment of the session's programs: this
// process's, pointed at the session, with a private HOME and XDG
// directories, and without a display, so that nothing can show a prompt on
// the developer's desktop or touch the developer's keyrings.
func (s *Session) componentEnv() []string {
	drop := map[string]bool{
		"DISPLAY": true, "WAYLAND_DISPLAY": true,
		"GNOME_KEYRING_CONTROL": true, "SSH_AUTH_SOCK": true,
		"DBUS_SESSION_BUS_ADDRESS": true, "XDG_RUNTIME_DIR": true, "XDG_DATA_HOME": true,
		"XDG_CONFIG_HOME": true, "XDG_CACHE_HOME": true, "HOME": true,
	}
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !drop[k] {
			env = append(env, kv)
		}
	}
	return append(env, append(s.Env(),
		"HOME="+s.home,
		"XDG_CONFIG_HOME="+filepath.Join(s.home, ".config"),
		"XDG_CACHE_HOME="+filepath.Join(s.home, ".cache"),
	)...)
}

// escapeAddress escapes a value of a D-Bus address: bytes other than
// [-0-9A-Za-z_/.\*] become %xx.
func escapeAddress(v string) string {
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_/.\\*", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02x", c)
		}
	}
	return b.String()
}

// xmlEscape escapes s for XML character data.
func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
