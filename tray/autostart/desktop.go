package autostart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// This file is the XDG autostart entry: a desktop entry file
// (https://specifications.freedesktop.org/desktop-entry-spec/) in
// $XDG_CONFIG_HOME/autostart (https://specifications.freedesktop.org/autostart-spec/).

// desktopGroup is the group of a desktop entry's keys.
const desktopGroup = "Desktop Entry"

// desktopPath returns the file of the autostart entry name.
func desktopPath(name string) (string, error) {
	dir, err := xdgConfigHome()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "autostart", name+".desktop"), nil
}

// xdgConfigHome returns $XDG_CONFIG_HOME, or ~/.config when it is unset,
// empty or relative (the XDG Base Directory specification makes a
// relative path invalid).
func xdgConfigHome() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return dir, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, ".config"), nil
}

// desktopFile is the autostart entry's file.
func desktopFile() fileEntry {
	return fileEntry{path: desktopPath, render: desktopEntry, on: desktopOn}
}

// enableDesktop writes e's autostart entry.
func enableDesktop(e Entry) error { return desktopFile().enable(e) }

// disableDesktop removes e's autostart entry.
func disableDesktop(e Entry) error { return desktopFile().disable(e) }

// enabledDesktop reports whether e's autostart entry exists, is a desktop
// entry of an application, and is not turned off.
func enabledDesktop(e Entry) (bool, error) { return desktopFile().enabled(e) }

// desktopOn reports whether data, the autostart entry at path, starts the
// program.
func desktopOn(path string, data []byte) (bool, error) {
	keys, err := parseDesktop(data)
	if err == nil && keys["Type"] != "Application" {
		err = fmt.Errorf("its Type is %q, not Application", keys["Type"])
	}
	if err == nil && keys["Exec"] == "" {
		err = errors.New("no Exec")
	}
	if err != nil {
		return false, fmt.Errorf("autostart: %s is not a valid desktop entry: %w", path, err)
	}
	// A desktop's settings turn an entry off in one of these ways (the
	// autostart specification's Hidden, GNOME's own key).
	if isTrue(keys["Hidden"]) || isFalse(keys["X-GNOME-Autostart-enabled"]) {
		return false, nil
	}
	return true, nil
}

// isTrue and isFalse read a boolean value as GLib does.
func isTrue(v string) bool  { return v == "true" || v == "1" }
func isFalse(v string) bool { return v == "false" || v == "0" }

// desktopEntry returns the desktop entry that starts e.
func desktopEntry(e Entry) ([]byte, error) {
	for _, s := range append([]string{e.displayName(), e.Comment, e.Icon}, e.Command...) {
		if err := checkDesktopString(s); err != nil {
			return nil, fmt.Errorf("autostart: entry %s: %w", e.Name, err)
		}
	}
	var b bytes.Buffer
	line := func(key, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s=%s\n", key, escapeDesktop(value))
		}
	}
	b.WriteString("[" + desktopGroup + "]\n")
	line("Type", "Application")
	line("Name", e.displayName())
	line("Comment", e.Comment)
	line("Icon", e.Icon)
	line("Exec", execLine(e.Command))
	line("Terminal", "false")
	line("X-GNOME-Autostart-enabled", "true")
	return b.Bytes(), nil
}

// checkDesktopString reports whether s can be a value of a desktop entry:
// UTF-8, with no control character but those that have an escape.
func checkDesktopString(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not UTF-8", s)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' {
			return fmt.Errorf("%q holds the control character %U", s, r)
		}
	}
	return nil
}

// escapeDesktop escapes a value of type string or localestring: a
// backslash, newline, tab and carriage return, and a leading space, which a
// reader would strip.
func escapeDesktop(v string) string {
	v = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\t", `\t`, "\r", `\r`).Replace(v)
	if strings.HasPrefix(v, " ") {
		v = `\s` + v[1:]
	}
	return v
}

// unescapeDesktop undoes the escapes of a string value: \s \n \t \r \\.
// Any other backslash stays, for the Exec key's own quoting.
func unescapeDesktop(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 == len(v) {
			b.WriteByte(v[i])
			continue
		}
		switch v[i+1] {
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			b.WriteByte('\\')
			b.WriteByte(v[i+1])
		}
		i++
	}
	return b.String()
}

// execReserved are the characters the Desktop Entry specification reserves
// in an argument of Exec: an argument holding one of them is quoted.
const execReserved = " \t\n\"'\\><~|&;$*?#()`"

// execLine returns the value of Exec that runs argv, before the string
// escapes of escapeDesktop: each argument quoted when it must be (in
// double quotes, with '"', '`', '$' and '\' escaped by a backslash), and
// '%' doubled, as it would start a field code.
func execLine(argv []string) string {
	quoted := make([]string, len(argv))
	for i, arg := range argv {
		arg = strings.ReplaceAll(arg, "%", "%%")
		if arg != "" && !strings.ContainsAny(arg, execReserved) {
			quoted[i] = arg
			continue
		}
		var b strings.Builder
		b.WriteByte('"')
		for _, r := range arg {
			if strings.ContainsRune("\"`$\\", r) {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		}
		b.WriteByte('"')
		quoted[i] = b.String()
	}
	return strings.Join(quoted, " ")
}

// parseDesktop parses a desktop entry file and returns the keys of its
// Desktop Entry group, unescaped (localized keys such as Name[fr] under
// their own names). The file must start with that group (comments and
// blank lines aside), and every line be a comment, a group header or a
// key=value pair, with no key twice in a group.
func parseDesktop(data []byte) (map[string]string, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8")
	}
	var (
		keys  map[string]string // of the Desktop Entry group
		group string            // the current group
		seen  = map[string]bool{}
	)
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || len(line) < 3 {
				return nil, fmt.Errorf("line %d: a bad group header", n+1)
			}
			group = line[1 : len(line)-1]
			if keys == nil && group != desktopGroup {
				return nil, fmt.Errorf("line %d: the first group is [%s], not [%s]", n+1, group, desktopGroup)
			}
			if seen[group] {
				return nil, fmt.Errorf("line %d: a second group [%s]", n+1, group)
			}
			seen[group] = true
			if group == desktopGroup {
				keys = map[string]string{}
			}
			continue
		}
		if group == "" {
			return nil, fmt.Errorf("line %d: a key before the [%s] group", n+1, desktopGroup)
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validDesktopKey(key) {
			return nil, fmt.Errorf("line %d: not a comment, group or key=value", n+1)
		}
		if group != desktopGroup {
			continue
		}
		if _, dup := keys[key]; dup {
			return nil, fmt.Errorf("line %d: a second %s", n+1, key)
		}
		keys[key] = unescapeDesktop(strings.TrimLeft(value, " \t"))
	}
	if keys == nil {
		return nil, fmt.Errorf("no [%s] group", desktopGroup)
	}
	return keys, nil
}

// validDesktopKey reports whether k is a key, A-Za-z0-9- with an optional
// [locale] suffix.
func validDesktopKey(k string) bool {
	name, locale, localized := strings.Cut(k, "[")
	if localized && (!strings.HasSuffix(locale, "]") || len(locale) < 2 || strings.ContainsAny(locale, "[=")) {
		return false
	}
	if name == "" {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
