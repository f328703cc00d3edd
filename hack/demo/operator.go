package main

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

// stopGracePeriod is how long the operator may take to exit after SIGTERM
// before it is killed.
const stopGracePeriod = 15 * time.Second

// operator is the manager running as a child process.
type operator struct {
	cmd *exec.Cmd
	// done is closed once the process has exited and its output is copied.
	done chan struct{}
	// result is the error from cmd.Wait, set before done is closed.
	result error
}

// startOperator builds the manager into bin/manager and runs it against the
// control plane and the simulator, streaming its output with the prefix
// "operator| ".
func (d *demo) startOperator(ctx context.Context) error {
	printLine("go build -o %s .", managerBinary)
	build := exec.CommandContext(ctx, "go", "build", "-o", managerBinary, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the manager: %w", err)
	}

	args := []string{
		"--kubeconfig", d.kubeconfigPath,
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "127.0.0.1:0",
		"--default-registration-endpoint", d.sim.URL,
		"--allowed-registration-host", "127.0.0.1",
		"--registration-ca-file", d.sim.CAFile,
		"--zap-encoder", "console",
	}
	cmd := exec.Command(managerBinary, args...)
	// The demo alone decides when the operator stops, so that it stops
	// before the control plane; see setChildProcessAttributes.
	setChildProcessAttributes(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", managerBinary, err)
	}
	printLine("operator started (pid %d) with default registration endpoint %s", cmd.Process.Pid, d.sim.URL)

	op := &operator{cmd: cmd, done: make(chan struct{})}
	var copying sync.WaitGroup
	for _, r := range []io.Reader{stdout, stderr} {
		copying.Add(1)
		go func() {
			defer copying.Done()
			streamLines(r, "operator| ")
		}()
	}
	go func() {
		// Wait closes the pipes, so the output is read to the end first.
		copying.Wait()
		op.result = cmd.Wait()
		close(op.done)
	}()
	d.operator = op
	return nil
}

// stop sends SIGTERM and waits for the operator to exit, killing it after
// stopGracePeriod. An exit caused by the SIGTERM is not an error.
func (op *operator) stop() error {
	select {
	case <-op.done:
		return exitError(op.result)
	default:
	}
	if err := op.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("send SIGTERM: %w", err)
	}
	select {
	case <-op.done:
	case <-time.After(stopGracePeriod):
		printLine("operator still running %s after SIGTERM: killing it", stopGracePeriod)
		_ = op.cmd.Process.Kill()
		<-op.done
		return errors.New("killed after the grace period")
	}
	if terminatedBy(op.result, syscall.SIGTERM) {
		return nil
	}
	return exitError(op.result)
}

// terminatedBy reports whether err from cmd.Wait means the process died of
// sig.
func terminatedBy(err error, sig syscall.Signal) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	return ok && status.Signaled() && status.Signal() == sig
}

// exitError points an error from cmd.Wait to the operator's log lines. A
// nil error (exit status 0) stays nil.
func exitError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w (see the operator| lines above)", err)
}

// streamLines copies r to stdout line by line, each line with prefix.
func streamLines(r io.Reader, prefix string) {
	scanner := bufio.NewScanner(r)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		printLine("%s%s", prefix, scanner.Text())
	}
	if err := scanner.Err(); err != nil {
		printLine("%sread output: %v", prefix, err)
	}
}
