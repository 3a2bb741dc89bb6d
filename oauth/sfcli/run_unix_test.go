//go:build unix

package sfcli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := os.Stat("/proc/" + strings.TrimSpace(string(pid))); errors.Is(err, os.ErrNotExist) {
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
}
