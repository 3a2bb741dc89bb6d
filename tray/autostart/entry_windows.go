package autostart

import (
	"errors"
	"fmt"
	"strings"
	"syscall"

	"golang.org/x/sys/windows/registry"
)

// Windows: a value of the user's Run key, named DisplayName, holding the
// command line.

// runKeys are the registry keys of the start-at-login programs: Run holds
// their command lines; StartupApproved, where Task Manager and Settings
// record that the user turned one off, holds for each name a binary value
// whose first byte is odd when it is off (3; 2 when it is on).
type runKeys struct {
	root     registry.Key
	run      string
	approved string
}

// userRunKeys returns the keys Windows reads at the user's login.
func userRunKeys() runKeys {
	return runKeys{
		root:     registry.CURRENT_USER,
		run:      `Software\Microsoft\Windows\CurrentVersion\Run`,
		approved: `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`,
	}
}

func (e Entry) enabled() (bool, error) { return userRunKeys().enabled(e) }
func (e Entry) enable() error          { return userRunKeys().enable(e) }
func (e Entry) disable() error         { return userRunKeys().disable(e) }

// enabled reports whether e has a command line in Run that the user has
// not turned off in StartupApproved.
func (k runKeys) enabled(e Entry) (bool, error) {
	name := e.displayName()
	run, err := registry.OpenKey(k.root, k.run, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf(`autostart: open HKCU\%s: %w`, k.run, err)
	}
	defer run.Close()
	cmd, _, err := run.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf(`autostart: read HKCU\%s\%s: %w`, k.run, name, err)
	}
	if strings.TrimSpace(cmd) == "" {
		return false, nil
	}
	approved, err := registry.OpenKey(k.root, k.approved, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf(`autostart: open HKCU\%s: %w`, k.approved, err)
	}
	defer approved.Close()
	state, _, err := approved.GetBinaryValue(name)
	if err != nil {
		// No value (or one Windows would not understand): not turned off.
		return true, nil
	}
	return len(state) == 0 || state[0]&1 == 0, nil
}

// enable writes e's command line in Run and forgets that the user turned
// it off.
func (k runKeys) enable(e Entry) error {
	name := e.displayName()
	run, _, err := registry.CreateKey(k.root, k.run, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf(`autostart: open HKCU\%s: %w`, k.run, err)
	}
	defer run.Close()
	if err := run.SetStringValue(name, commandLine(e.Command)); err != nil {
		return fmt.Errorf(`autostart: write HKCU\%s\%s: %w`, k.run, name, err)
	}
	return k.deleteValue(k.approved, name)
}

// disable removes e's values from Run and StartupApproved.
func (k runKeys) disable(e Entry) error {
	if err := k.deleteValue(k.run, e.displayName()); err != nil {
		return err
	}
	return k.deleteValue(k.approved, e.displayName())
}

// deleteValue deletes the value name of key path, if there is one.
func (k runKeys) deleteValue(path, name string) error {
	key, err := registry.OpenKey(k.root, path, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf(`autostart: open HKCU\%s: %w`, path, err)
	}
	defer key.Close()
	if err := key.DeleteValue(name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf(`autostart: delete HKCU\%s\%s: %w`, path, name, err)
	}
	return nil
}

// commandLine returns the command line that runs argv, each argument
// quoted by the rules of CommandLineToArgvW.
func commandLine(argv []string) string {
	quoted := make([]string, len(argv))
	for i, arg := range argv {
		quoted[i] = syscall.EscapeArg(arg)
	}
	return strings.Join(quoted, " ")
}
