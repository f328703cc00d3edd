package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
)

// startOperator builds the manager into bin/manager and runs it against the
// control plane and the simulator, streaming its output with the prefix
// "operator| ". It prints the command line, so that a user can run their
// own operator against the demo cluster.
func (d *demo) startOperator(ctx context.Context) error {
	printLine("go build -o %s .", managerBinary)
	if err := localenv.BuildManager(ctx, managerBinary); err != nil {
		return fmt.Errorf("build the manager: %w", err)
	}
	binary, err := filepath.Abs(managerBinary)
	if err != nil {
		return err
	}

	d.operatorCommand = []string{
		binary,
		"--kubeconfig", d.kubeconfigPath,
		"--metrics-bind-address", "0",
		"--health-probe-bind-address", "127.0.0.1:0",
		"--default-registration-endpoint", d.sim.URL,
		"--allowed-registration-host", "127.0.0.1",
		"--registration-ca-file", d.caFile,
		"--zap-encoder", "console",
	}
	printLine("operator command line:")
	printLine("    %s", shellJoin(d.operatorCommand))
	return d.launchOperator()
}

// launchOperator starts d.operatorCommand and makes it d.operator.
func (d *demo) launchOperator() error {
	// The operator runs in its own process group, so the demo alone decides
	// when it stops, before the control plane.
	cmd := exec.Command(d.operatorCommand[0], d.operatorCommand[1:]...)
	op, err := localenv.StartStreamedProcess("operator", cmd, "operator| ")
	if err != nil {
		return err
	}
	d.operator = op
	printLine("operator started (pid %d)", op.Pid())
	return nil
}

// stopOperator sends SIGTERM and waits for the operator to exit, killing it
// after a grace period. An exit caused by the SIGTERM is not an error.
func stopOperator(op *localenv.Process) error {
	if err := op.Stop(); err != nil {
		return err
	}
	if terminatedBy(op.Result(), syscall.SIGTERM) {
		return nil
	}
	return exitError(op.Result())
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

// describeExit returns the exit status in an error from cmd.Wait, such as
// "exit status 1" or "signal: killed".
func describeExit(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
