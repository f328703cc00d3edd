package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// auditMark is a position in the audit log; requests logged after it
// belong to the part of the benchmark that took it.
type auditMark int64

func (b *bench) auditMark() (auditMark, error) {
	info, err := os.Stat(b.auditLogPath)
	if os.IsNotExist(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	return auditMark(info.Size()), nil
}

// auditEvent is the part of an audit.k8s.io/v1 Event that the benchmark
// reads.
type auditEvent struct {
	Verb string `json:"verb"`
	User struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
	} `json:"objectRef"`
}

// auditCounts are the operator's requests by "verb resource[/subresource]".
type auditCounts map[string]int

// operatorRequests counts the requests that the operator's user made since
// mark, as the API server logged them.
func (b *bench) operatorRequests(mark auditMark) (auditCounts, error) {
	f, err := os.Open(b.auditLogPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := f.Seek(int64(mark), io.SeekStart); err != nil {
		return nil, err
	}
	counts := auditCounts{}
	scanner := bufio.NewScanner(f)
	scanner.Buffer(make([]byte, 256*1024), 4*1024*1024)
	for scanner.Scan() {
		var ev auditEvent
		if json.Unmarshal(scanner.Bytes(), &ev) != nil || ev.User.Username != operatorUser {
			continue
		}
		resource := "(none)"
		if ev.ObjectRef != nil {
			resource = ev.ObjectRef.Resource
			if ev.ObjectRef.Subresource != "" {
				resource += "/" + ev.ObjectRef.Subresource
			}
		}
		counts[ev.Verb+" "+resource]++
	}
	return counts, scanner.Err()
}

// isWrite reports whether an audit verb changes state.
func isWrite(verb string) bool {
	switch verb {
	case "create", "update", "patch", "delete", "deletecollection":
		return true
	}
	return false
}

// writes returns the write requests, most frequent first, as
// "verb resource: n" lines.
func (c auditCounts) writes() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		verb, _, _ := strings.Cut(k, " ")
		if isWrite(verb) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if c[keys[i]] != c[keys[j]] {
			return c[keys[i]] > c[keys[j]]
		}
		return keys[i] < keys[j]
	})
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, fmt.Sprintf("%s: %d", k, c[k]))
	}
	return out
}

// totalWrites returns the number of write requests.
func (c auditCounts) totalWrites() int {
	n := 0
	for k, v := range c {
		verb, _, _ := strings.Cut(k, " ")
		if isWrite(verb) {
			n += v
		}
	}
	return n
}
