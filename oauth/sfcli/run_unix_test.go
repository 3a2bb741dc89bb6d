//go:build unix

package sfcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// script writes an executable shell script standing in for sf.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sf")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		sf   string // the script's body
		want func(*Error) bool
	}{
		{"node missing", `echo "/usr/bin/env: 'node': No such file or directory" >&2; exit 127`,
			func(e *Error) bool { return e.ExitCode == 127 && strings.Contains(e.Output, "'node': No such file") }},
		{"json error on stdout", `echo '{"name":"NamedOrgNotFoundError","message":"No authorization information found for x.","exitCode":2,"status":2}'; exit 2`,
			func(e *Error) bool { return e.Name == "NamedOrgNotFoundError" && e.ExitCode == 2 }},
		{"json error on stderr", `echo '{"name":"SfError","message":"boom","status":1}' >&2; exit 1`,
			func(e *Error) bool { return e.Name == "SfError" && e.Message == "boom" }},
		{"status 0 but no JSON", `echo hello`,
			func(e *Error) bool { return e.Err != nil && strings.Contains(e.Err.Error(), "no JSON") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &CLI{Path: script(t, tc.sf)}
			_, err := c.List(context.Background())
			var e *Error
			if !errors.As(err, &e) || !tc.want(e) {
				t.Fatalf("List error = %#v", err)
			}
		})
	}
}

func TestRunTimesOutAndKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	// sf starts a child (node, a browser…) that would outlive it.
	c := &CLI{Path: script(t, `sleep 60 & echo $! > `+pidFile+`; wait`)}
	start := time.Now()
	err := c.run(context.Background(), command{name: "org list", timeout: 500 * time.Millisecond}, nil)
	var e *Error
	if !errors.As(err, &e) || !e.TimedOut {
		t.Fatalf("run error = %#v; want a time-out", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("run returned after %s", took)
	}
	if !strings.Contains(e.Error(), "did not finish in time") {
		t.Errorf("Error() = %q", e.Error())
	}
	pid, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(pid)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		// Signal 0 asks whether the process is there (a zombie until its
		// parent, gone too, is reaped by init: that counts as there).
		if err := syscall.Kill(n, 0); errors.Is(err, syscall.ESRCH) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("sf's child still runs after the time-out")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRunCancelled(t *testing.T) {
	c := &CLI{Path: script(t, `sleep 60`)}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := c.run(ctx, command{name: "org list"}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("run error = %v; want context.Canceled", err)
	}
}

func TestNotInstalled(t *testing.T) {
	c := &CLI{Env: []string{"PATH=" + t.TempDir()}}
	_, err := c.List(context.Background())
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("List error = %v; want ErrNotInstalled", err)
	}
}

func TestParseVersion(t *testing.T) {
	v := parseVersion("@salesforce/cli/2.150.6 linux-x64 node-v22.23.5\n")
	if v != (Version{CLI: "2.150.6", Node: "22.23.5"}) {
		t.Errorf("parseVersion = %+v", v)
	}
	if v.CLIBelow("2.136.8") || v.NodeBelow("22.19.0") || !v.CLIBelow("2.151") || !(Version{}).CLIBelow("2") {
		t.Errorf("%+v: CLIBelow/NodeBelow wrong", v)
	}
}

func TestVersionLess(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"2.136.7", "2.136.8", true},
		{"2.136.8", "2.136.8", false},
		{"2.150.6", "2.136.8", false},
		{"2.9.0", "2.10.0", true},
		{"20.20.2", "22.19.0", true},
		{"22.14.0", "22.19.0", true},
		{"v22.23.5", "22.19.0", false},
		{"22.19.0", "v22.19.0", false},
		{"", "22", true},
	} {
		if got := versionLess(tc.a, tc.b); got != tc.want {
			t.Errorf("versionLess(%q, %q) = %v; want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// A program started at login may lack sf's folder on PATH: the folders
// sf's installers use are searched too, when asked.
func TestSearchInstallDirs(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".npm-global", "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sf := filepath.Join(dir, "sf")
	if err := os.WriteFile(sf, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + t.TempDir(), "HOME=" + home}
	if p, err := (&CLI{Env: env, SearchInstallDirs: true}).Executable(); err != nil || p != sf {
		t.Errorf("Executable = %q, %v; want %s", p, err, sf)
	}
	if _, err := (&CLI{Env: env}).Executable(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("without SearchInstallDirs: %v; want ErrNotInstalled", err)
	}
}
