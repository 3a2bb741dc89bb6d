package keychaintest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// logLines is how many lines of a component's log an error quotes.
const logLines = 20

// A process is a program a session started, leader of its own process
// group, its standard output and error in a log file of the session.
type process struct {
	name string // the program, as in messages
	log  string // path of the log file
	pid  int    // also the process group
	done chan struct{}
	err  error // the result of Wait, set before done is closed
	// reported is set once an error has told of p's exit: stop then
	// does not tell it again.
	reported bool
}

// startProcess starts the program name with args in dir, its output in
// dir/name.log.
func startProcess(dir, name string, env []string, stdin io.Reader, args ...string) (*process, error) {
	p := &process{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	logf, err := os.Create(p.log)
	if err != nil {
		return nil, fmt.Errorf("keychaintest: %w", err)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdin = stdin
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.SysProcAttr = sysProcAttr()
	started := make(chan error, 1)
	go func() {
		// The child is killed when the thread that started it exits
		// (Pdeathsig, so that nothing outlives a crashed test binary):
		// keep this thread, and so the child, until the child exits.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		defer logf.Close()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		p.pid = cmd.Process.Pid
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("keychaintest: start %s: %w", name, err)
	}
	return p, nil
}

// exited returns a channel closed once p has exited and been waited for; a
// nil p never exits.
func (p *process) exited() <-chan struct{} {
	if p == nil {
		return nil
	}
	return p.done
}

// stop ends p: SIGTERM to its process group, SIGKILL after stopTimeout, and
// waits for p to exit; then it kills whatever is left in the group. It
// reports p having exited before stop, or not exiting.
func (p *process) stop() error {
	select {
	case <-p.done:
		killGroup(p.pid, true)
		if p.reported {
			return nil
		}
		return fmt.Errorf("keychaintest: %s (pid %d) had exited before Close: %v%s", p.name, p.pid, p.err, p.logTail())
	default:
	}
	killGroup(p.pid, false)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		killGroup(p.pid, true)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			return fmt.Errorf("keychaintest: %s (pid %d) did not exit after SIGKILL%s", p.name, p.pid, p.logTail())
		}
	}
	// Helpers p forked into its group, if any, go too.
	killGroup(p.pid, true)
	return nil
}

// logTail returns the last lines of p's log, as a suffix for an error
// message, or "" when the log is empty.
func (p *process) logTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return fmt.Sprintf("\n(%s log: %v)", p.name, err)
	}
	b = bytes.TrimRight(b, "\n")
	if len(b) == 0 {
		return ""
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) > logLines {
		lines = lines[len(lines)-logLines:]
	}
	return fmt.Sprintf("\n--- last lines of %s ---\n%s", p.log, strings.Join(lines, "\n"))
}

// tempBase returns the directory for a session's temporary directory:
// os.TempDir, unless its path is too long for the bus socket inside (a unix
// socket path has at most 107 bytes).
func tempBase() string {
	d := os.TempDir()
	if len(d) > 64 {
		return "/tmp"
	}
	return d
}
