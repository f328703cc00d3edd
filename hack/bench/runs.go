package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Namespaces of the two operator runs.
const (
	operatorNamespace  = "bench-operator"
	unrelatedNamespace = "bench-unrelated"
)

// settle is how long the operator may go on after the last object became
// Ready before its requests are counted; later requests count as idle.
const settle = 2 * time.Second

// operatorRun holds the figures of one operator run.
type operatorRun struct {
	total    time.Duration
	p50, p99 time.Duration
	requests requestCounts
	audit    auditCounts
	ebCalls  map[string]int
	rss      int64
}

// runOperator starts the operator on an empty namespace, creates the
// workload and measures it until all objects are Ready, with a CPU profile
// of the first profileSeconds.
func (b *bench) runOperator(ctx context.Context) error {
	if err := b.createNamespace(ctx, operatorNamespace); err != nil {
		return err
	}
	if err := os.MkdirAll(profilesDir, 0o755); err != nil {
		return err
	}
	profile := filepath.Join(profilesDir, "operator-cpu.pprof")
	run, err := b.operatorRun(ctx, operatorNamespace, profile)
	if err != nil {
		return err
	}
	b.results.run = run
	return nil
}

// operatorRun is one run of the operator on a fresh namespace. When
// profilePath is not "", a CPU profile is written there.
func (b *bench) operatorRun(ctx context.Context, namespace, profilePath string) (*operatorRun, error) {
	op, err := b.startOperator(namespace)
	if err != nil {
		return nil, err
	}
	before, err := op.requests()
	if err != nil {
		return nil, err
	}
	mark, err := b.auditMark()
	if err != nil {
		return nil, err
	}
	b.sim.Sim.ResetCalls()
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	rw := watchReady(watchCtx, b.k8s, namespace)

	var profiling sync.WaitGroup
	if profilePath != "" && b.cfg.profileSeconds > 0 {
		profiling.Add(1)
		go func() {
			defer profiling.Done()
			if err := op.cpuProfile(ctx, b.cfg.profileSeconds, profilePath); err != nil {
				say("    CPU profile failed: %v", err)
			}
		}()
	}
	w := newWorkload(namespace, b.results.clients)
	start := time.Now()
	if err := w.createAll(ctx, b.k8s, nil); err != nil {
		return nil, err
	}
	if err := rw.waitAll(ctx, w.objects(), b.cfg.readyTimeout); err != nil {
		return nil, err
	}
	run := &operatorRun{total: rw.lastReady().Sub(start)}
	lat := rw.latencies(start)
	run.p50, run.p99 = percentile(lat, 50), percentile(lat, 99)
	say("    all %d objects Ready in %.1fs (p50 %.1fs, p99 %.1fs)", w.objects(),
		run.total.Seconds(), run.p50.Seconds(), run.p99.Seconds())

	time.Sleep(settle)
	after, err := op.requests()
	if err != nil {
		return nil, err
	}
	run.requests = after.minus(before)
	if run.audit, err = b.operatorRequests(mark); err != nil {
		return nil, err
	}
	run.ebCalls = b.sim.Sim.Calls().ByFunction
	if run.rss, err = op.peakRSS(); err != nil {
		return nil, err
	}
	profiling.Wait()
	if profilePath != "" {
		b.results.profileTop = pprofTop(profilePath)
	}
	return run, nil
}

// measureIdle leaves the Ready objects alone for cfg.idle and counts the
// operator's API-server writes and EB calls meanwhile, then stops it.
func (b *bench) measureIdle(ctx context.Context) error {
	op := b.operator
	before, err := op.requests()
	if err != nil {
		return err
	}
	mark, err := b.auditMark()
	if err != nil {
		return err
	}
	b.sim.Sim.ResetCalls()
	select {
	case <-time.After(b.cfg.idle):
	case <-ctx.Done():
		return ctx.Err()
	}
	after, err := op.requests()
	if err != nil {
		return err
	}
	idle := &idleFigures{requests: after.minus(before), ebCalls: b.sim.Sim.Calls().ByFunction}
	if idle.audit, err = b.operatorRequests(mark); err != nil {
		return err
	}
	b.results.idle = idle
	b.results.idleWindow = b.cfg.idle
	if b.results.run.rss, err = op.peakRSS(); err != nil {
		return err
	}
	say("    idle %s: %.0f writes, %d EB calls", b.cfg.idle, idle.requests.writes(), sum(idle.ebCalls))
	b.operator = nil
	return op.Stop()
}

// idleFigures are the operator's requests and EB calls while no object
// changed.
type idleFigures struct {
	requests requestCounts
	audit    auditCounts
	ebCalls  map[string]int
}

// runWithUnrelatedSecrets creates cfg.unrelated unlabeled Secrets in a new
// namespace, then runs a new operator process on that namespace with the
// same workload and records its peak RSS.
func (b *bench) runWithUnrelatedSecrets(ctx context.Context) error {
	if err := b.createNamespace(ctx, unrelatedNamespace); err != nil {
		return err
	}
	if err := b.createUnrelatedSecrets(ctx, unrelatedNamespace); err != nil {
		return err
	}
	run, err := b.operatorRun(ctx, unrelatedNamespace, "")
	if err != nil {
		return err
	}
	b.results.unrelated = run
	op := b.operator
	b.operator = nil
	return op.Stop()
}

// createUnrelatedSecrets creates Secrets without the managed-by label, each
// with cfg.unrelatedBytes of random data.
func (b *bench) createUnrelatedSecrets(ctx context.Context, namespace string) error {
	payload := make([]byte, b.cfg.unrelatedBytes)
	if _, err := rand.Read(payload); err != nil {
		return err
	}
	names := make(chan int)
	go func() {
		defer close(names)
		for i := range b.cfg.unrelated {
			names <- i
		}
	}()
	var wg sync.WaitGroup
	errs := make(chan error, creators)
	for range creators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range names {
				s := &corev1.Secret{
					ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: fmt.Sprintf("unrelated-%05d", i)},
					Data:       map[string][]byte{"blob": payload},
				}
				if err := b.k8s.Create(ctx, s); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return fmt.Errorf("create unrelated Secret: %w", err)
	}
	say("    created %d unrelated Secrets of %d KiB", b.cfg.unrelated, b.cfg.unrelatedBytes/1024)
	return nil
}

// pprofTop returns `go tool pprof -top` of a CPU profile and keeps it beside
// the profile as a .txt file.
func pprofTop(profilePath string) string {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=30", profilePath).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("go tool pprof failed: %v\n%s", err, out)
	}
	txt := profilePath[:len(profilePath)-len(filepath.Ext(profilePath))] + "-top.txt"
	_ = os.WriteFile(txt, out, 0o644)
	return string(out)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
