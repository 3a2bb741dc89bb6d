package autostart

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The macOS LaunchAgent, tested through its functions with a fake HOME so
// that it is tested on every system.

func TestLaunchAgentFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on Windows
	e := trayEntry("/Applications/Mesh & Mesh.app/Contents/MacOS/meshmesh", "<tray>", `"quoted" 'single' \ $HOME 100%`)

	if err := enableAgent(e); err != nil {
		t.Fatal(err)
	}
	agents := filepath.Join(home, "Library", "LaunchAgents")
	path := filepath.Join(agents, "io.meshmesh.tray.plist")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>io.meshmesh.tray</string>
	<key>ProgramArguments</key>
	<array>
		<string>/Applications/Mesh &amp; Mesh.app/Contents/MacOS/meshmesh</string>
		<string>&lt;tray&gt;</string>
		<string>&#34;quoted&#34; &#39;single&#39; \ $HOME 100%</string>
	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>ProcessType</key>
	<string>Interactive</string>
</dict>
</plist>
`
	if string(data) != want {
		t.Errorf("%s:\n%s\nwant:\n%s", path, data, want)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o644)
	}
	assertOnlyFile(t, agents, "io.meshmesh.tray.plist")

	a, err := parseAgent(data)
	if err != nil {
		t.Fatal(err)
	}
	if a.label != e.Name || !slices.Equal(a.args, e.Command) || !a.runAtLoad || a.disabled {
		t.Errorf("read back %+v, want label %s, arguments %q, RunAtLoad", a, e.Name, e.Command)
	}
	if on, err := enabledAgent(e); !on || err != nil {
		t.Errorf("after Enable: enabled = %v, %v; want true", on, err)
	}

	if err := disableAgent(e); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Disable, %s: %v, want it removed", path, err)
	}
	if on, err := enabledAgent(e); on || err != nil {
		t.Errorf("after Disable: enabled = %v, %v; want false", on, err)
	}
	if err := disableAgent(e); err != nil {
		t.Errorf("Disable of an absent agent: %v", err)
	}
}

func TestLaunchAgentArgumentsRoundTrip(t *testing.T) {
	var argv []string
	for _, tt := range execCases {
		argv = append(argv, tt.arg)
	}
	argv = append(argv, "carriage\rreturn", "a]]>b", "&amp;")
	e := trayEntry(argv...)
	data, err := agentPlist(e)
	if err != nil {
		t.Fatal(err)
	}
	a, err := parseAgent(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.args, argv) {
		t.Errorf("read back\n%q\nwant\n%q", a.args, argv)
	}
	for _, bad := range []string{"bell\a", "\xff"} {
		if _, err := agentPlist(trayEntry("/x", bad)); err == nil {
			t.Errorf("agentPlist with argument %q: no error", bad)
		}
	}
}

func TestEnabledReadsTheAgentsState(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)
	e := trayEntry("/x")
	path, err := agentPath(e.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	plist := func(dict string) string {
		return `<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>Label</key><string>io.meshmesh.tray</string>
<key>ProgramArguments</key><array><string>/x</string></array>` + dict + "</dict></plist>"
	}
	for _, tt := range []struct {
		file    string
		on      bool
		invalid bool
	}{
		{plist("<key>RunAtLoad</key><true/>"), true, false},
		{plist("<!-- by hand --><key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict><key>RunAtLoad</key><true/><key>Disabled</key><false/>"), true, false},
		{plist("<key>RunAtLoad</key><true/><key>Disabled</key><true/>"), false, false},
		{plist("<key>RunAtLoad</key><false/>"), false, false},
		{plist(""), false, false},
		{plist("<key>RunAtLoad</key><string>yes</string>"), false, true},
		{plist("<key>RunAtLoad</key>"), false, true},
		{plist("<true/>"), false, true},
		{"<plist><array/></plist>", false, true},
		{"bplist00\x00\x01", false, true},
		{"", false, true},
		{"<plist><dict><key>RunAtLoad</key><true/>", false, true},
	} {
		if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		on, err := enabledAgent(e)
		if on != tt.on || (err != nil) != tt.invalid {
			t.Errorf("file %q: enabled = %v, %v; want %v and an error %v", tt.file, on, err, tt.on, tt.invalid)
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
	}
}
