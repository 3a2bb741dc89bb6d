package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"unicode/utf8"
)

// This file is the macOS LaunchAgent: a property list in
// ~/Library/LaunchAgents that launchd loads when the user logs in
// (launchd.plist(5)).

// agentPath returns the property list of the LaunchAgent labelled name.
func agentPath(name string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("autostart: %w", err)
	}
	return filepath.Join(home, "Library", "LaunchAgents", name+".plist"), nil
}

// agentFile is the LaunchAgent's file. Enabling it does not load it: that
// would start a second copy of the program now; launchd loads it at the
// next login.
func agentFile() fileEntry { return fileEntry{path: agentPath, render: agentPlist, on: agentOn} }

// enableAgent writes e's LaunchAgent.
func enableAgent(e Entry) error { return agentFile().enable(e) }

// disableAgent removes e's LaunchAgent.
func disableAgent(e Entry) error { return agentFile().disable(e) }

// enabledAgent reports whether e's LaunchAgent exists, runs at load and is
// not disabled.
func enabledAgent(e Entry) (bool, error) { return agentFile().enabled(e) }

// agentOn reports whether data, the LaunchAgent at path, starts the
// program at login.
func agentOn(path string, data []byte) (bool, error) {
	a, err := parseAgent(data)
	if err != nil {
		return false, fmt.Errorf("autostart: %s is not a LaunchAgent property list: %w", path, err)
	}
	return a.runAtLoad && !a.disabled, nil
}

// agentPlist returns the property list of e's LaunchAgent.
func agentPlist(e Entry) ([]byte, error) {
	for _, s := range append([]string{e.Name}, e.Command...) {
		if err := checkXMLString(s); err != nil {
			return nil, fmt.Errorf("autostart: entry %s: %w", e.Name, err)
		}
	}
	var b bytes.Buffer
	str := func(indent, s string) {
		b.WriteString(indent + "<string>")
		_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer does not fail
		b.WriteString("</string>\n")
	}
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
`)
	str("\t", e.Name)
	b.WriteString("\t<key>ProgramArguments</key>\n\t<array>\n")
	for _, arg := range e.Command {
		str("\t\t", arg)
	}
	b.WriteString(`	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`)
	return b.Bytes(), nil
}

// checkXMLString reports whether s can be the text of an XML element:
// UTF-8 made of XML characters only (no control character but tab,
// newline and carriage return).
func checkXMLString(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%q is not UTF-8", s)
	}
	for _, r := range s {
		if !(r == '\t' || r == '\n' || r == '\r' || 0x20 <= r && r <= 0xD7FF || 0xE000 <= r && r <= 0xFFFD || r >= 0x10000) {
			return fmt.Errorf("%q holds %U, which XML cannot hold", s, r)
		}
	}
	return nil
}

// agent is what Enabled and the tests read of a LaunchAgent.
type agent struct {
	label     string
	args      []string // ProgramArguments
	runAtLoad bool
	disabled  bool
}

// parseAgent reads the top-level dictionary of an XML property list.
// Binary property lists (which `defaults write` and Xcode may leave) are
// not read.
func parseAgent(data []byte) (agent, error) {
	var a agent
	if bytes.HasPrefix(data, []byte("bplist")) {
		return a, errors.New("a binary property list")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	// <plist><dict>…
	for _, want := range []string{"plist", "dict"} {
		start, err := nextElement(d)
		if err != nil {
			return a, err
		}
		if start.Name.Local != want {
			return a, fmt.Errorf("<%s> where <%s> was expected", start.Name.Local, want)
		}
	}
	// …then <key>K</key> and a value, until </dict>.
	for {
		start, err := nextElement(d)
		if errors.Is(err, errEnd) {
			break
		}
		if err != nil {
			return a, err
		}
		if start.Name.Local != "key" {
			return a, fmt.Errorf("<%s> where <key> was expected", start.Name.Local)
		}
		var key string
		if err := d.DecodeElement(&key, &start); err != nil {
			return a, err
		}
		value, err := nextElement(d)
		if err != nil {
			return a, fmt.Errorf("key %s has no value: %w", key, err)
		}
		switch {
		case key == "RunAtLoad" || key == "Disabled":
			if value.Name.Local != "true" && value.Name.Local != "false" {
				return a, fmt.Errorf("%s is <%s>, not a boolean", key, value.Name.Local)
			}
			if key == "RunAtLoad" {
				a.runAtLoad = value.Name.Local == "true"
			} else {
				a.disabled = value.Name.Local == "true"
			}
			err = d.Skip()
		case key == "Label" && value.Name.Local == "string":
			err = d.DecodeElement(&a.label, &value)
		case key == "ProgramArguments" && value.Name.Local == "array":
			var array struct {
				Strings []string `xml:"string"`
			}
			err = d.DecodeElement(&array, &value)
			a.args = array.Strings
		default:
			err = d.Skip()
		}
		if err != nil {
			return a, err
		}
	}
	return a, nil
}

// errEnd is what nextElement returns at the end of the enclosing element.
var errEnd = errors.New("end of element")

// nextElement returns the next start element of d at the current level,
// skipping character data, comments and directives; errEnd at the end of
// the enclosing element.
func nextElement(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return xml.StartElement{}, io.ErrUnexpectedEOF
		}
		if err != nil {
			return xml.StartElement{}, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			return tok, nil
		case xml.EndElement:
			return xml.StartElement{}, errEnd
		}
	}
}
