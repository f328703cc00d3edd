package localenv

import (
	"os/exec"
	"syscall"
)

// setChildProcessAttributes puts the child in its own process group, so
// that Ctrl-C in the terminal reaches only the parent program, which then
// stops the child before the control plane. The kernel sends the child
// SIGTERM if the parent dies without stopping it.
func setChildProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
}
