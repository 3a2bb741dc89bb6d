package autostart

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// recordEnv, when set, makes the test binary a program that writes its
// arguments (JSON) to the file the variable names and exits: the program a
// desktop starts in TestDesktopEntryRunsExactArguments.
const recordEnv = "AUTOSTART_TEST_RECORD"

func TestMain(m *testing.M) {
	if path := os.Getenv(recordEnv); path != "" {
		data, err := json.Marshal(os.Args[1:])
		if err == nil {
			err = writeFile(path, data, 0o600)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// strictEnv turns a skip for a missing program into a failure when "1"
// (.ci/run sets it: CI must run every test).
const strictEnv = "MESHMESH_TEST_STRICT"

// need skips t when a program it needs is missing (err says why), or fails
// it under MESHMESH_TEST_STRICT=1.
func need(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv(strictEnv) == "1" {
		t.Fatalf("this test needs %s: %v (%s=1: .ci/run must provide it)", what, err, strictEnv)
	}
	t.Skipf("skipped: this test needs %s: %v", what, err)
}

func TestInvalidEntriesAreRefused(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	cmd := []string{"/usr/bin/meshmesh"}
	for _, tt := range []struct {
		entry Entry
		want  string // in the error
	}{
		{Entry{Command: cmd}, "no Name"},
		{Entry{Name: "../evil", Command: cmd}, "starts with"},
		{Entry{Name: "a/b", Command: cmd}, `holds '/'`},
		{Entry{Name: ".hidden", Command: cmd}, "starts with"},
		{Entry{Name: "-flag", Command: cmd}, "starts with"},
		{Entry{Name: "mesh mesh", Command: cmd}, `holds ' '`},
		{Entry{Name: strings.Repeat("a", 201), Command: cmd}, "longer than 200"},
		{Entry{Name: "meshmesh"}, "no Command"},
		{Entry{Name: "meshmesh", Command: []string{"meshmesh"}}, "not an absolute path"},
		{Entry{Name: "meshmesh", Command: []string{"/usr/bin/meshmesh", "a\x00b"}}, "NUL"},
		{Entry{Name: "meshmesh", Comment: "a\x00b", Command: cmd}, "NUL"},
	} {
		err := tt.entry.Enable()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Enable(%+v) = %v, want an error saying %q", tt.entry, err, tt.want)
		}
	}
	// Enabled and Disable check the name only: they are how a program
	// whose path changed finds and removes its old entry.
	for _, name := range []string{"", "../evil"} {
		if _, err := (Entry{Name: name}).Enabled(); err == nil {
			t.Errorf("Enabled with Name %q: no error", name)
		}
		if err := (Entry{Name: name}).Disable(); err == nil {
			t.Errorf("Disable with Name %q: no error", name)
		}
	}
	if err := (Entry{Name: "meshmesh"}).Disable(); err != nil {
		t.Errorf("Disable of an entry without Command: %v", err)
	}
}

func TestDisplayNameDefaultsToName(t *testing.T) {
	if got := (Entry{Name: "io.meshmesh.tray"}).displayName(); got != "io.meshmesh.tray" {
		t.Errorf("displayName() = %q, want the Name", got)
	}
	if got := (Entry{Name: "io.meshmesh.tray", DisplayName: "MeshMesh"}).displayName(); got != "MeshMesh" {
		t.Errorf("displayName() = %q, want the DisplayName", got)
	}
}
