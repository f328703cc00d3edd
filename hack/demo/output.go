package main

import (
	"fmt"
	"os"
	"sync"
)

// outputMu keeps the demo's lines and the operator's lines whole when they
// are printed from several goroutines.
var outputMu sync.Mutex

// printLine formats one line and writes it to stdout.
func printLine(format string, args ...any) {
	line := fmt.Sprintf(format, args...) + "\n"
	outputMu.Lock()
	defer outputMu.Unlock()
	_, _ = os.Stdout.WriteString(line)
}
