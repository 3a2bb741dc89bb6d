package autostart

import (
	"crypto/rand"
	"slices"
	"testing"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

// testRunKeys returns Run and StartupApproved keys of the test's own under
// HKCU, removed at the end: the test registers nothing at the user's
// login.
func testRunKeys(t *testing.T) runKeys {
	base := `Software\MeshMesh-autostart-test-` + rand.Text()
	t.Cleanup(func() {
		for _, k := range []string{base + `\Run`, base + `\Approved`, base} {
			if err := registry.DeleteKey(registry.CURRENT_USER, k); err != nil && err != registry.ErrNotExist {
				t.Errorf(`delete HKCU\%s: %v`, k, err)
			}
		}
	})
	return runKeys{root: registry.CURRENT_USER, run: base + `\Run`, approved: base + `\Approved`}
}

func TestRunValue(t *testing.T) {
	k := testRunKeys(t)
	e := trayEntry(`C:\Program Files\MeshMesh\meshmesh.exe`, "tray", `say "hi"`, `C:\dir with space\`, "")

	if on, err := k.enabled(e); on || err != nil {
		t.Fatalf("before Enable: enabled = %v, %v; want false", on, err)
	}
	if err := k.enable(e); err != nil {
		t.Fatal(err)
	}
	run, err := registry.OpenKey(k.root, k.run, registry.QUERY_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer run.Close()
	cmd, _, err := run.GetStringValue("MeshMesh")
	if err != nil {
		t.Fatal(err)
	}
	want := `"C:\Program Files\MeshMesh\meshmesh.exe" tray "say \"hi\"" "C:\dir with space\\" ""`
	if cmd != want {
		t.Errorf("Run value MeshMesh = %s, want %s", cmd, want)
	}
	if argv, err := windows.DecomposeCommandLine(cmd); err != nil || !slices.Equal(argv, e.Command) {
		t.Errorf("CommandLineToArgvW reads %q (%v), want %q", argv, err, e.Command)
	}
	if on, err := k.enabled(e); !on || err != nil {
		t.Errorf("after Enable: enabled = %v, %v; want true", on, err)
	}

	// Task Manager turns it off in StartupApproved; Enable turns it on.
	approved, _, err := registry.CreateKey(k.root, k.approved, registry.SET_VALUE)
	if err != nil {
		t.Fatal(err)
	}
	defer approved.Close()
	if err := approved.SetBinaryValue("MeshMesh", []byte{3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}); err != nil {
		t.Fatal(err)
	}
	if on, err := k.enabled(e); on || err != nil {
		t.Errorf("turned off in Task Manager: enabled = %v, %v; want false", on, err)
	}
	if err := k.enable(e); err != nil {
		t.Fatal(err)
	}
	if on, err := k.enabled(e); !on || err != nil {
		t.Errorf("turned off, then Enable: enabled = %v, %v; want true", on, err)
	}

	if err := k.disable(e); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run.GetStringValue("MeshMesh"); err != registry.ErrNotExist {
		t.Errorf("after Disable, the Run value: %v, want it deleted", err)
	}
	if on, err := k.enabled(e); on || err != nil {
		t.Errorf("after Disable: enabled = %v, %v; want false", on, err)
	}
	if err := k.disable(e); err != nil {
		t.Errorf("a second Disable: %v", err)
	}
}
