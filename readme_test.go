//go:build linux

package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshmesh/meshmesh/keychain/keychaintest"
	"github.com/meshmesh/meshmesh/oauth/sftest"
)

// TestREADMEQuickstart runs the README's "Try it" block as written, in a
// copy of the source tree, inside a private desktop session, with the
// fake's scripted browser as BROWSER (as the README suggests for machines
// without one) and a free callback port in MESHMESH_CALLBACK_PORT (which
// both the fake and MeshMesh take).
func TestREADMEQuickstart(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "<!-- quickstart -->\n```sh\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- /quickstart -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no quickstart block")
	}
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			need(t, tool, err)
		}
	}
	session := keychaintest.New(t)
	dir := t.TempDir()
	copyTree(t, ".", dir)

	goEnv := func(k string) string {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	home := t.TempDir()
	port := strconv.Itoa(sftest.CallbackPort(t))
	env := append(session.Env(),
		"PATH="+os.Getenv("PATH"), "HOME="+home, "XDG_CONFIG_HOME="+home+"/.config", "XDG_STATE_HOME="+home+"/.local/state",
		"GOCACHE="+goEnv("GOCACHE"), "GOMODCACHE="+goEnv("GOMODCACHE"), "GOPATH="+goEnv("GOPATH"), "GOTOOLCHAIN=local", "GOFLAGS=-mod=mod",
		"BROWSER="+dir+"/sftest browse",
		// A free port for the fake's apps and MeshMesh's callback, not 1717.
		"MESHMESH_CALLBACK_PORT="+port,
	)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", block)
	cmd.Dir, cmd.Env = dir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the fake runs in the background: stop it with the group
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// A file, not a pipe: the fake left running in the background would
	// hold a pipe open and Wait would wait for it.
	outFile, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = outFile, outFile
	err = cmd.Run()
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // stop the fake
	}
	b, _ := os.ReadFile(outFile.Name())
	out := bytes.NewBuffer(b)
	if err != nil {
		t.Fatalf("the README's quickstart failed: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"export MESHMESH_CALLBACK_PORT=" + port, // the fake took its port from the environment
		"Connected to Acme Corp as admin@acme.example (alias acme).",
		"acme   admin@acme.example",
		`"preferred_username":"admin@acme.example"`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the quickstart's output lacks %q:\n%s", want, out.String())
		}
	}
}

// copyTree copies the Go module at src (sources only) to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != "." {
			return filepath.SkipDir
		}
		target := filepath.Join(dst, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
