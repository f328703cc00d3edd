//go:build unix && !linux

package localenv

import (
	"os/exec"
	"syscall"
)

// setChildProcessAttributes puts the child in its own process group, so
// that Ctrl-C in the terminal reaches only the parent program, which then
// stops the child before the control plane.
func setChildProcessAttributes(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
