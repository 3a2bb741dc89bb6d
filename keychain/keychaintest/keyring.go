package keychaintest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Secret Service names (https://specifications.freedesktop.org/secret-service/).
const (
	secretsPath     dbus.ObjectPath = "/org/freedesktop/secrets"
	loginPath       dbus.ObjectPath = "/org/freedesktop/secrets/collection/login"
	serviceIface                    = "org.freedesktop.Secret.Service"
	collectionIface                 = "org.freedesktop.Secret.Collection"
	itemIface                       = "org.freedesktop.Secret.Item"
	sessionIface                    = "org.freedesktop.Secret.Session"
	propertiesIface                 = "org.freedesktop.DBus.Properties"
)

// startKeyring starts gnome-keyring-daemon with the secrets component and
// waits until it owns org.freedesktop.secrets. With unlock, it gives the
// daemon a password, which creates the login keyring and unlocks it, and
// waits for that too.
func (s *Session) startKeyring(ctx context.Context, unlock bool) error {
	args := []string{"--foreground", "--components=secrets"}
	var stdin io.Reader // nil: /dev/null
	if unlock {
		args = append(args, "--unlock")
		stdin = strings.NewReader(password)
	}
	var err error
	s.keyring, err = startProcess(s.dir, "gnome-keyring-daemon", s.componentEnv(), stdin, args...)
	if err != nil {
		return err
	}
	if err := s.waitForName(ctx, SecretsName, s.keyring); err != nil {
		return fmt.Errorf("%w%s", err, s.keyring.logTail())
	}
	if unlock {
		if err := s.waitUnlocked(ctx); err != nil {
			return fmt.Errorf("%w%s", err, s.keyring.logTail())
		}
	}
	return nil
}

// waitUnlocked waits until the Secret Service has an unlocked login
// collection.
func (s *Session) waitUnlocked(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		state := s.loginState(ctx)
		if state == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("keychaintest: gnome-keyring-daemon has no unlocked login keyring (%s): %w", state, ctx.Err())
		case <-s.keyring.exited():
			s.keyring.reported = true
			return fmt.Errorf("keychaintest: gnome-keyring-daemon exited: %v", s.keyring.err)
		case <-tick.C:
		}
	}
}

// loginState returns "" when the Secret Service has an unlocked login
// collection, else what it has.
func (s *Session) loginState(ctx context.Context) string {
	var collections []dbus.ObjectPath
	err := s.conn.Object(SecretsName, secretsPath).CallWithContext(ctx, propertiesIface+".Get", 0, serviceIface, "Collections").Store(&collections)
	switch {
	case err != nil:
		return "Collections: " + err.Error()
	case !slices.Contains(collections, loginPath):
		return fmt.Sprintf("collections %v", collections)
	}
	var locked bool
	err = s.conn.Object(SecretsName, loginPath).CallWithContext(ctx, propertiesIface+".Get", 0, collectionIface, "Locked").Store(&locked)
	switch {
	case err != nil:
		return "Locked: " + err.Error()
	case locked:
		return "login keyring locked"
	}
	return ""
}

// Lock locks the login keyring of a session started unlocked, as a screen
// locker would: its items stay, and reading or adding one needs an unlock
// that no prompter on the private bus can grant. go-keyring then fails with
// "failed to unlock correct collection
// '/org/freedesktop/secrets/collection/login'".
func (s *Session) Lock() error {
	if s.keyring == nil {
		return errors.New("keychaintest: Lock: the session runs no gnome-keyring")
	}
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := s.conn.Object(SecretsName, secretsPath).CallWithContext(ctx, serviceIface+".Lock", 0, []dbus.ObjectPath{loginPath}).Store(&locked, &prompt)
	switch {
	case err != nil:
		return fmt.Errorf("keychaintest: Lock: %w", err)
	case !slices.Contains(locked, loginPath):
		return fmt.Errorf("keychaintest: Lock: login keyring not locked (locked %v, prompt %s)", locked, prompt)
	}
	return nil
}

// Lookup returns the secret stored with the attributes service and username
// (as go-keyring stores them), read by secret-tool: from outside the program
// under test, through libsecret. found is false when there is none. A
// matching item that is locked is an error (secret-tool itself reports
// nothing found).
func (s *Session) Lookup(service, user string) (secret string, found bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "secret-tool", "lookup", "service", service, "username", user)
	cmd.Env = s.componentEnv()
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return stdout.String(), true, nil
	case ctx.Err() == nil && errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0:
		// secret-tool's "not found", which also stands for "locked".
		_, locked, err := s.search(ctx, map[string]string{"service": service, "username": user})
		switch {
		case err != nil:
			return "", false, fmt.Errorf("keychaintest: lookup service %q username %q: %w", service, user, err)
		case len(locked) > 0:
			return "", false, fmt.Errorf("keychaintest: lookup service %q username %q: item locked: %v", service, user, locked)
		}
		return "", false, nil
	case ctx.Err() != nil:
		err = fmt.Errorf("%w after %v", ctx.Err(), toolTimeout)
	}
	return "", false, fmt.Errorf("keychaintest: secret-tool lookup service %q username %q: %w: %s",
		service, user, err, strings.TrimSpace(stderr.String()))
}

// search returns the items that match attrs, unlocked and locked.
func (s *Session) search(ctx context.Context, attrs map[string]string) (unlocked, locked []dbus.ObjectPath, err error) {
	err = s.conn.Object(SecretsName, secretsPath).CallWithContext(ctx, serviceIface+".SearchItems", 0, attrs).Store(&unlocked, &locked)
	if err != nil {
		return nil, nil, fmt.Errorf("SearchItems: %w", err)
	}
	return unlocked, locked, nil
}

// Items returns the secrets stored with the attribute service, by their
// attribute username, read over the session bus from outside the program
// under test. A locked item is an error.
//
// (secret-tool search prints an item's attributes on standard error and the
// rest on standard output, so that its output cannot be told apart item by
// item: Items asks the Secret Service itself.)
func (s *Session) Items(service string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), toolTimeout)
	defer cancel()
	fail := func(err error) (map[string]string, error) {
		return nil, fmt.Errorf("keychaintest: items of service %q: %w", service, err)
	}
	unlocked, locked, err := s.search(ctx, map[string]string{"service": service})
	if err != nil {
		return fail(err)
	}
	if len(locked) > 0 {
		return fail(fmt.Errorf("%d items locked: %v", len(locked), locked))
	}
	items := map[string]string{}
	if len(unlocked) == 0 {
		return items, nil
	}

	svc := s.conn.Object(SecretsName, secretsPath)
	var output dbus.Variant
	var session dbus.ObjectPath
	err = svc.CallWithContext(ctx, serviceIface+".OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&output, &session)
	if err != nil {
		return fail(fmt.Errorf("OpenSession: %w", err))
	}
	defer s.conn.Object(SecretsName, session).CallWithContext(ctx, sessionIface+".Close", 0)

	type secret struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}
	var secrets map[dbus.ObjectPath]secret
	if err := svc.CallWithContext(ctx, serviceIface+".GetSecrets", 0, unlocked, session).Store(&secrets); err != nil {
		return fail(fmt.Errorf("GetSecrets: %w", err))
	}
	for _, item := range unlocked {
		var attrs map[string]string
		err := s.conn.Object(SecretsName, item).CallWithContext(ctx, propertiesIface+".Get", 0, itemIface, "Attributes").Store(&attrs)
		if err != nil {
			return fail(fmt.Errorf("%s: Attributes: %w", item, err))
		}
		items[attrs["username"]] = string(secrets[item].Value)
	}
	return items, nil
}
