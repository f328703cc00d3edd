package main

import "github.com/enigmabridge/eb-operator/hack/internal/localenv"

// printLine formats one line and writes it to stdout, whole even when the
// operator's output is printed at the same time.
func printLine(format string, args ...any) {
	localenv.Printf(format, args...)
}
