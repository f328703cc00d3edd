package localenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// stopGracePeriod is how long a child process may take to exit after
// SIGTERM before it is killed.
const stopGracePeriod = 15 * time.Second

// BuildManager builds the manager (the module's main package) into binary,
// with the compiler's output on stdout and stderr.
func BuildManager(ctx context.Context, binary string) error {
	build := exec.CommandContext(ctx, "go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	return build.Run()
}

// Process is a child process in its own process group; see
// setChildProcessAttributes.
type Process struct {
	// name identifies the process in messages, such as "operator".
	name string
	cmd  *exec.Cmd
	// done is closed once the process has exited and its output is copied.
	done chan struct{}
	// result is the error from cmd.Wait, set before done is closed.
	result error
}

// StartProcess starts cmd, whose output goes where cmd.Stdout and
// cmd.Stderr point. name identifies the process in messages.
func StartProcess(name string, cmd *exec.Cmd) (*Process, error) {
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	setChildProcessAttributes(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Args[0], err)
	}
	go func() {
		p.result = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// StartStreamedProcess starts cmd and copies its stdout and stderr to
// stdout line by line, each line with prefix. name identifies the process
// in messages.
func StartStreamedProcess(name string, cmd *exec.Cmd, prefix string) (*Process, error) {
	p := &Process{name: name, cmd: cmd, done: make(chan struct{})}
	setChildProcessAttributes(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", cmd.Args[0], err)
	}

	var copying sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		copying.Add(1)
		go func() {
			defer copying.Done()
			streamLines(r, prefix)
		}()
	}
	go func() {
		// Wait closes the pipes, so the output is read to the end first.
		copying.Wait()
		p.result = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Pid returns the process id.
func (p *Process) Pid() int {
	return p.cmd.Process.Pid
}

// Done returns a channel that is closed once the process has exited and
// its output is copied.
func (p *Process) Done() <-chan struct{} {
	return p.done
}

// Result returns the error from exec.Cmd.Wait: nil for exit status 0,
// otherwise usually an *exec.ExitError. It is valid once Done is closed.
func (p *Process) Result() error {
	return p.result
}

// Stop sends SIGTERM and waits for the process to exit, killing it after
// stopGracePeriod. It returns nil once the process has exited, whatever
// its exit status, because callers judge that from Result. A process that
// had to be killed is an error.
func (p *Process) Stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("send SIGTERM: %w", err)
	}
	// A process paused with SIGSTOP handles SIGTERM only once it is
	// continued, so SIGCONT spares it the grace period and the kill.
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopGracePeriod):
		Printf("%s still running %s after SIGTERM: killing it", p.name, stopGracePeriod)
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("killed after the grace period")
	}
}

// streamLines copies r to stdout line by line, each line with prefix.
func streamLines(r io.Reader, prefix string) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		Printf("%s%s", prefix, scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		Printf("%sread output: %v", prefix, err)
	}
}
