package keychaintest

import "syscall"

// supported reports whether a session can run on this system.
const supported = true

// sysProcAttr makes a component the leader of its own process group, so
// that killGroup reaches what it forks, and has it killed if the thread that
// started it dies with the test binary.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup sends SIGTERM, or SIGKILL when force is set, to the process
// group pgid. A group that is gone already is no error.
func killGroup(pgid int, force bool) {
	if pgid <= 0 {
		return // kill(0) or kill(-1) would reach far more than the group
	}
	sig := syscall.SIGTERM
	if force {
		sig = syscall.SIGKILL
	}
	_ = syscall.Kill(-pgid, sig)
}
