package autostart

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// The XDG autostart entry, tested through its functions so that it is
// tested on every system; entry_xdg_test.go checks that Entry uses it.

// trayEntry is the entry the tray registers, as the tests register it.
func trayEntry(command ...string) Entry {
	return Entry{
		Name:        "io.meshmesh.tray",
		DisplayName: "MeshMesh",
		Comment:     "Connect Salesforce orgs",
		Command:     command,
	}
}

// execCases are arguments that need each rule of the Exec key, and how the
// desktop entry file spells them (the quoting rules of Exec, then the
// escapes of a string value, which double every backslash).
var execCases = []struct{ arg, file string }{
	{"/usr/bin/meshmesh", `/usr/bin/meshmesh`},
	{"--flag=value,other", `--flag=value,other`},
	{"/opt/Mesh Mesh/meshmesh", `"/opt/Mesh Mesh/meshmesh"`},
	{`say "hi"`, `"say \\"hi\\""`},
	{`back\slash`, `"back\\\\slash"`},
	{"100%", `100%%`},
	{"%f", `%%f`},
	{"100% sure", `"100%% sure"`},
	{"$HOME", `"\\$HOME"`},
	{"`date`", "\"\\\\`date\\\\`\""},
	{"it's", `"it's"`},
	{"~", `"~"`},
	{"a;b|c&d>e<f*g?h#i(j)", `"a;b|c&d>e<f*g?h#i(j)"`},
	{"tab\there", `"tab\there"`},
	{"new\nline", `"new\nline"`},
	{"ünïcödé", `ünïcödé`},
	{"", `""`},
}

func TestExecQuotesEachArgument(t *testing.T) {
	for _, tt := range execCases {
		if got := escapeDesktop(execLine([]string{tt.arg})); got != tt.file {
			t.Errorf("argument %q: Exec=%s, want Exec=%s", tt.arg, got, tt.file)
		}
	}
	if got, want := execLine([]string{"/a b/c", "d", ""}), `"/a b/c" d ""`; got != want {
		t.Errorf("execLine: %s, want %s (arguments separated by one space)", got, want)
	}
}

func TestDesktopEntryFile(t *testing.T) {
	config := filepath.Join(t.TempDir(), "config") // does not exist yet
	t.Setenv("XDG_CONFIG_HOME", config)
	e := trayEntry("/opt/Mesh Mesh/meshmesh", "tray", "--page=100%")

	if err := enableDesktop(e); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(config, "autostart", "io.meshmesh.tray.desktop")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := `[Desktop Entry]
Type=Application
Name=MeshMesh
Comment=Connect Salesforce orgs
Exec="/opt/Mesh Mesh/meshmesh" tray --page=100%%
Terminal=false
X-GNOME-Autostart-enabled=true
`
	if string(data) != want {
		t.Errorf("%s:\n%s\nwant:\n%s", path, data, want)
	}
	if runtime.GOOS != "windows" {
		assertMode(t, path, 0o644)
		assertMode(t, filepath.Join(config, "autostart"), fs.ModeDir|0o700)
		assertMode(t, config, fs.ModeDir|0o700)
	}
	assertOnlyFile(t, filepath.Join(config, "autostart"), "io.meshmesh.tray.desktop")
	if on, err := enabledDesktop(e); !on || err != nil {
		t.Errorf("after Enable: enabled = %v, %v; want true", on, err)
	}

	// A second Enable replaces the file, leaving no temporary file.
	e.Command = []string{"/usr/bin/meshmesh"}
	if err := enableDesktop(e); err != nil {
		t.Fatal(err)
	}
	if keys := readDesktop(t, path); keys["Exec"] != "/usr/bin/meshmesh" {
		t.Errorf("after a second Enable, Exec=%s, want the new command", keys["Exec"])
	}
	assertOnlyFile(t, filepath.Join(config, "autostart"), "io.meshmesh.tray.desktop")

	if err := disableDesktop(e); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Disable, %s: %v, want it removed", path, err)
	}
	if on, err := enabledDesktop(e); on || err != nil {
		t.Errorf("after Disable: enabled = %v, %v; want false", on, err)
	}
	if err := disableDesktop(e); err != nil {
		t.Errorf("Disable of an absent entry: %v", err)
	}
}

func TestDesktopEntryNameAndCommentAreEscaped(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	e := Entry{Name: "x", DisplayName: ` Mesh\Mesh`, Comment: "two\nlines", Icon: "/icons/mesh mesh.png", Command: []string{"/x"}}
	data, err := desktopEntry(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{`Name=\sMesh\\Mesh`, `Comment=two\nlines`, "Icon=/icons/mesh mesh.png"} {
		if !strings.Contains(string(data), "\n"+line+"\n") {
			t.Errorf("no line %s in\n%s", line, data)
		}
	}
	keys, err := parseDesktop(data)
	if err != nil {
		t.Fatal(err)
	}
	if keys["Name"] != e.DisplayName || keys["Comment"] != e.Comment {
		t.Errorf("read back Name %q Comment %q, want %q %q", keys["Name"], keys["Comment"], e.DisplayName, e.Comment)
	}
}

func TestDesktopEntryRefusesWhatItCannotHold(t *testing.T) {
	for _, e := range []Entry{
		trayEntry("/usr/bin/meshmesh", "bell\a"),
		trayEntry("/usr/bin/meshmesh", "\xff\xfe"),
		{Name: "x", Comment: "escape \x1b[31m", Command: []string{"/x"}},
	} {
		if _, err := desktopEntry(e); err == nil {
			t.Errorf("desktopEntry(%q): no error", e.Command)
		}
	}
}

// TestUserCanTurnTheEntryOff checks that an entry the user turned off in
// the desktop's settings (which keeps the file) reads as not enabled, and
// that Enable turns it on again.
func TestUserCanTurnTheEntryOff(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	e := trayEntry("/usr/bin/meshmesh")
	path, err := desktopPath(e.Name)
	if err != nil {
		t.Fatal(err)
	}
	for _, off := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		if err := enableDesktop(e); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		// As GNOME's and KDE's settings do: the key added or changed.
		text := strings.Replace(string(data), "X-GNOME-Autostart-enabled=true\n", "", 1) + off + "\n"
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if on, err := enabledDesktop(e); on || err != nil {
			t.Errorf("with %s: enabled = %v, %v; want false", off, on, err)
		}
		if err := enableDesktop(e); err != nil {
			t.Fatal(err)
		}
		if on, err := enabledDesktop(e); !on || err != nil {
			t.Errorf("with %s, then Enable: enabled = %v, %v; want true", off, on, err)
		}
	}
}

func TestEnabledReadsOtherWritersFiles(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	e := trayEntry("/usr/bin/meshmesh")
	path, err := desktopPath(e.Name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file    string
		on      bool
		invalid bool
	}{
		{"# written by hand\n\n[Desktop Entry]\r\nType = Application\r\nName=M\r\nExec=meshmesh\r\n[Desktop Action x]\nExec=other\n", true, false},
		{"[Desktop Entry]\nType=Application\nName[fr]=M\nName=M\nExec=meshmesh\nHidden=false\n", true, false},
		{"[Desktop Entry]\nType=Application\nExec=meshmesh\nHidden=1\n", false, false},
		{"[Desktop Entry]\nType=Application\nExec=meshmesh\nX-GNOME-Autostart-enabled=0\n", false, false},
		{"", false, true},
		{"Type=Application\nExec=meshmesh\n", false, true},
		{"[Other]\n[Desktop Entry]\nType=Application\nExec=meshmesh\n", false, true},
		{"[Desktop Entry]\nType=Link\nURL=https://example.com\n", false, true},
		{"[Desktop Entry]\nType=Application\n", false, true},
		{"[Desktop Entry]\nType=Application\nExec=a\nExec=b\n", false, true},
		{"[Desktop Entry]\nType=Application\nExec=a\nnot a key\n", false, true},
		{"[Desktop Entry\nType=Application\nExec=a\n", false, true},
		{"[Desktop Entry]\nType=Application\nExec=\xff\n", false, true},
	} {
		if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
			t.Fatal(err)
		}
		on, err := enabledDesktop(e)
		if on != tt.on || (err != nil) != tt.invalid {
			t.Errorf("file %q: enabled = %v, %v; want %v and an error %v", tt.file, on, err, tt.on, tt.invalid)
		}
		if err != nil && !strings.Contains(err.Error(), path) {
			t.Errorf("error %q does not name the file", err)
		}
	}
}

func TestConfigHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on Windows
	for _, tt := range []struct{ env, want string }{
		{filepath.Join(home, "cfg"), filepath.Join(home, "cfg", "autostart", "x.desktop")},
		{"", filepath.Join(home, ".config", "autostart", "x.desktop")},
		{"relative/cfg", filepath.Join(home, ".config", "autostart", "x.desktop")},
	} {
		t.Setenv("XDG_CONFIG_HOME", tt.env)
		if got, err := desktopPath("x"); got != tt.want || err != nil {
			t.Errorf("XDG_CONFIG_HOME=%q: %s, %v; want %s", tt.env, got, err, tt.want)
		}
	}
}

// TestDesktopEntryIsValid has desktop-file-validate (the reference
// validator of freedesktop.org) check the entry Enable writes.
func TestDesktopEntryIsValid(t *testing.T) {
	validate, err := exec.LookPath("desktop-file-validate")
	need(t, "desktop-file-validate (Debian package desktop-file-utils)", err)
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	var argv []string
	for _, tt := range execCases {
		argv = append(argv, tt.arg)
	}
	e := trayEntry(argv...)
	e.Command[0] = "/opt/Mesh Mesh/meshmesh"
	e.Icon = "meshmesh"
	if err := enableDesktop(e); err != nil {
		t.Fatal(err)
	}
	path, err := desktopPath(e.Name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), validate, path).CombinedOutput()
	if err != nil || strings.Contains(string(out), "error:") {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
	if len(out) > 0 {
		t.Logf("desktop-file-validate: %s", out)
	}
}

// TestDesktopEntryRunsExactArguments has GLib (gio launch, as GNOME starts
// autostart entries) start the entry Enable writes, and checks that the
// program received exactly its Command: an executable whose path needs
// quoting, and each argument of execCases.
func TestDesktopEntryRunsExactArguments(t *testing.T) {
	gio, err := exec.LookPath("gio")
	need(t, "gio (Debian package libglib2.0-bin)", err)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// No '%' in the path: the Exec key doubles it, as it must, but GLib
	// looks for the program without undoing that (2.74), and refuses
	// the entry. Arguments may hold one.
	bin := filepath.Join(t.TempDir(), `bin "Mesh" 'Mesh' \ $HOME`)
	if err := os.Mkdir(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	program := filepath.Join(bin, "meshmesh")
	if err := os.Symlink(self, program); err != nil {
		t.Fatal(err)
	}
	argv := []string{program}
	for _, tt := range execCases {
		argv = append(argv, tt.arg)
	}
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	e := trayEntry(argv...)
	if err := enableDesktop(e); err != nil {
		t.Fatal(err)
	}
	path, err := desktopPath(e.Name)
	if err != nil {
		t.Fatal(err)
	}

	record := filepath.Join(t.TempDir(), "argv.json")
	cmd := exec.CommandContext(t.Context(), gio, "launch", path)
	// Away from the developer's desktop: no display, and a session bus
	// that is not there (GLib tells the bus of each launch).
	cmd.Env = []string{recordEnv + "=" + record}
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR":
		default:
			cmd.Env = append(cmd.Env, kv)
		}
	}
	runtimeDir := t.TempDir()
	cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+runtimeDir,
		"DBUS_SESSION_BUS_ADDRESS=unix:path="+filepath.Join(runtimeDir, "no-bus"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gio launch %s: %v\n%s", path, err, out)
	}
	// gio launch returns once the program is started.
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var data []byte
	for data == nil {
		data, err = os.ReadFile(record)
		if errors.Is(err, fs.ErrNotExist) {
			select {
			case <-ctx.Done():
				t.Fatalf("the program started by gio launch wrote no %s", record)
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if want := argv[1:]; !slices.Equal(got, want) {
		t.Errorf("the program received\n%q\nwant\n%q", got, want)
	}
}

// readDesktop parses the desktop entry path.
func readDesktop(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := parseDesktop(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return keys
}

// assertMode checks the type and permissions of path.
func assertMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
		t.Errorf("%s: mode %v, want %v", path, got, want)
	}
}

// assertOnlyFile checks that dir holds name and nothing else (no
// temporary file).
func assertOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{name}) {
		t.Errorf("%s holds %q, want only %s", dir, names, name)
	}
}
