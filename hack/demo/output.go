package main

import (
	"strings"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
)

// printLine formats one line and writes it to stdout, whole even when the
// operator's output is printed at the same time.
func printLine(format string, args ...any) {
	localenv.Printf(format, args...)
}

// shellJoin quotes each word for a POSIX shell and joins them with spaces,
// so that a printed command line can be pasted into a shell.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		quoted[i] = shellQuote(w)
	}
	return strings.Join(quoted, " ")
}

// shellQuote returns s unchanged when a POSIX shell reads it as one word
// as it is, and otherwise wrapped in single quotes.
func shellQuote(s string) string {
	isPlain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			strings.ContainsRune("@%+=:,./_-", r))
	}) < 0
	if isPlain {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
