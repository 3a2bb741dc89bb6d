package keychaintest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCloseLeavesNothing checks that Close ends every process the session
// started, and what they forked, and reaps them: /proc knows none of them
// (a zombie would still be there), and removes the session's directory.
func TestCloseLeavesNothing(t *testing.T) {
	for _, opts := range [][]Option{nil, {Locked()}, {WithoutSecretService()}, {Hanging()}} {
		Require(t, opts...)
		s, err := Start(opts...)
		if err != nil {
			t.Fatal(err)
		}
		groups := []*process{s.bus}
		if s.keyring != nil {
			groups = append(groups, s.keyring)
		}
		var pids []int
		for _, p := range groups {
			members := groupMembers(t, p.pid)
			t.Logf("%s: process group %d: %v", p.name, p.pid, members)
			if len(members) == 0 {
				t.Errorf("%s (pid %d): no process in its group before Close", p.name, p.pid)
			}
			pids = append(pids, members...)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		for _, pid := range pids {
			if stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat")); err == nil {
				t.Errorf("after Close, process %d remains: %s", pid, stat)
			}
		}
		for _, p := range groups {
			if members := groupMembers(t, p.pid); len(members) > 0 {
				t.Errorf("after Close, process group %d (%s) has %v", p.pid, p.name, members)
			}
		}
		if _, err := os.Stat(s.dir); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("after Close, %s: %v, want it removed", s.dir, err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	}
}

// groupMembers returns the processes, zombies included, of process group
// pgid, from /proc.
func groupMembers(t *testing.T, pgid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid pgrp …; comm may hold spaces and parentheses.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) {
			pids = append(pids, pid)
		}
	}
	return pids
}
