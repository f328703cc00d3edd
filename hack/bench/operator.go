package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/enigmabridge/eb-operator/hack/internal/localenv"
)

// tunedFlags are the operator flags whose defaults set its throughput. The
// floor uses the same values.
var tunedFlags = []string{"kube-api-qps", "kube-api-burst", "eb-qps", "eb-burst",
	"ebclient-workers", "ebapikey-workers"}

// operatorDefaults are the values of tunedFlags, from the operator's -h
// output, with any --operator-arg applied.
type operatorDefaults map[string]string

func (d operatorDefaults) float(name string) float64 {
	v, _ := strconv.ParseFloat(d[name], 64)
	return v
}

func (d operatorDefaults) int(name string) int {
	v, _ := strconv.Atoi(d[name])
	return v
}

// operator is the manager running as a child process.
type operator struct {
	*localenv.Process
	metricsURL string
	pprofURL   string
	logPath    string
}

// buildOperator builds the manager into bin/manager and reads the defaults
// of its throughput flags.
func (b *bench) buildOperator(ctx context.Context) error {
	if err := localenv.BuildManager(ctx, managerBinRel); err != nil {
		return fmt.Errorf("go build -o %s .: %w", managerBinRel, err)
	}
	help, _ := exec.CommandContext(ctx, managerBinRel, "-h").CombinedOutput()
	b.defaults = operatorDefaults{}
	for _, name := range tunedFlags {
		re := regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + ` \w+\n(?:\s+.*\n)*?\s+.*\(default ([^)]+)\)`)
		m := re.FindSubmatch(help)
		if m == nil {
			return fmt.Errorf("no default for --%s in `%s -h`", name, managerBinRel)
		}
		b.defaults[name] = string(m[1])
	}
	for _, arg := range b.cfg.operatorArgs {
		name, value, ok := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if _, tuned := b.defaults[name]; ok && tuned {
			b.defaults[name] = value
		}
	}
	say("    operator throughput flags: %s", b.defaults.describe())
	return nil
}

func (d operatorDefaults) describe() string {
	parts := make([]string, 0, len(tunedFlags))
	for _, name := range tunedFlags {
		parts = append(parts, fmt.Sprintf("--%s=%s", name, d[name]))
	}
	return strings.Join(parts, " ")
}

// startOperator runs the manager against the control plane and the
// simulator, restricted to namespace, with metrics and pprof on free
// loopback ports. Its log goes to bin/bench/operator-<namespace>.log.
func (b *bench) startOperator(namespace string) (*operator, error) {
	metricsAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	pprofAddr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--kubeconfig", b.kubeconfigPath,
		"--watch-namespace", namespace,
		"--metrics-bind-address", metricsAddr,
		"--pprof-bind-address", pprofAddr,
		"--health-probe-bind-address", "127.0.0.1:0",
		"--default-registration-endpoint", b.sim.URL,
		"--allowed-registration-host", "127.0.0.1",
		"--registration-ca-file", b.sim.CAFile,
	}
	args = append(args, b.cfg.operatorArgs...)
	op := &operator{
		metricsURL: "http://" + metricsAddr + "/metrics",
		pprofURL:   "http://" + pprofAddr + "/debug/pprof",
		logPath:    workDir + "/operator-" + namespace + ".log",
	}
	logFile, err := os.Create(op.logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(managerBinRel, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The operator runs in its own process group, so bench alone decides
	// when it stops, before the control plane.
	op.Process, err = localenv.StartProcess("operator", cmd)
	// The child process has its own copy of the log file's descriptor.
	_ = logFile.Close()
	if err != nil {
		return nil, err
	}
	b.operator = op
	if err := op.waitMetrics(30 * time.Second); err != nil {
		return nil, err
	}
	say("    operator started (pid %d), watching namespace %s; log %s", op.Pid(), namespace, op.logPath)
	return op, nil
}

// waitMetrics waits until the metrics endpoint serves, which the manager
// does once it has started.
func (op *operator) waitMetrics(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-op.Done():
			return fmt.Errorf("operator exited: %v (see %s)", op.Result(), op.logPath)
		default:
		}
		if _, err := op.requests(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("metrics endpoint %s not serving after %s", op.metricsURL, timeout)
}

// requestCounts are client-go's API requests by HTTP method.
type requestCounts map[string]float64

var requestsLine = regexp.MustCompile(`^rest_client_requests_total\{(.*)\} ([0-9.e+]+)$`)
var methodLabel = regexp.MustCompile(`method="([A-Z]+)"`)

// requests scrapes rest_client_requests_total from the metrics endpoint and
// sums it by method.
func (op *operator) requests() (requestCounts, error) {
	resp, err := http.Get(op.metricsURL)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", op.metricsURL, resp.Status)
	}
	counts := requestCounts{}
	scanner := bufio.NewScanner(resp.Body)
	scanner.Buffer(make([]byte, 64*1024), 1024*1024)
	for scanner.Scan() {
		m := requestsLine.FindStringSubmatch(scanner.Text())
		if m == nil {
			continue
		}
		method := methodLabel.FindStringSubmatch(m[1])
		v, err := strconv.ParseFloat(m[2], 64)
		if method == nil || err != nil {
			continue
		}
		counts[method[1]] += v
	}
	return counts, scanner.Err()
}

// writes returns POST+PUT+PATCH+DELETE.
func (c requestCounts) writes() float64 {
	return c["POST"] + c["PUT"] + c["PATCH"] + c["DELETE"]
}

func (c requestCounts) minus(before requestCounts) requestCounts {
	out := requestCounts{}
	for k, v := range c {
		out[k] = v - before[k]
	}
	return out
}

// peakRSS returns the operator's VmHWM in bytes.
func (op *operator) peakRSS() (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", op.Pid()))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("VmHWM not found in /proc status")
}

// cpuProfile fetches a CPU profile of the given length from the pprof
// endpoint and writes it to path.
func (op *operator) cpuProfile(ctx context.Context, seconds int, path string) error {
	url := fmt.Sprintf("%s/profile?seconds=%d", op.pprofURL, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// freeLoopbackAddr returns a 127.0.0.1 address with a port that was free a
// moment ago.
func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
