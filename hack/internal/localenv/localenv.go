// Package localenv starts the local environment that hack/demo and
// hack/bench run the operator in: the EB simulator, a control plane from
// envtest, and the operator as a child process. It also holds what both
// programs share around it: the module-root working directory, the
// numbered steps and line-by-line output to stdout.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// outputMu keeps the program's lines and the child process's lines whole
// when they are printed from several goroutines.
var outputMu sync.Mutex

// Printf formats one line and writes it to stdout.
func Printf(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	outputMu.Lock()
	defer outputMu.Unlock()
	_, _ = os.Stdout.WriteString(line)
}

// ChdirModuleRoot makes the directory holding go.mod the working
// directory, so that paths relative to the module root resolve from any
// subdirectory. If go.mod is not found, the error asks the user to run
// program from the eb-operator repository.
func ChdirModuleRoot(program string) error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.Chdir(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return errors.New("go.mod not found in the working directory or its parents; " +
				"run " + program + " from the eb-operator repository")
		}
		dir = parent
	}
}

// Step is one named stage of a program.
type Step struct {
	Name string
	Run  func(context.Context) error
}

// RunSteps runs steps in order, printing "==> step i/n: name" before each,
// and stops at the first step that fails. The error names that step. A
// step that fails after ctx has ended is reported as interrupted by a
// signal, so callers must end ctx only on SIGINT or SIGTERM. When done is
// not nil, it is called with the duration of each step that succeeds.
func RunSteps(ctx context.Context, steps []Step, done func(time.Duration)) error {
	for i, s := range steps {
		Printf("==> step %d/%d: %s", i+1, len(steps), s.Name)
		start := time.Now()
		if err := s.Run(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: interrupted by a signal", s.Name)
			}
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		if done != nil {
			done(time.Since(start))
		}
	}
	return nil
}
