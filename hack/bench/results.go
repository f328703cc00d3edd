package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// mib is one mebibyte.
const mib = 1 << 20

// Targets.
const (
	targetReady        = 60 * time.Second // for 1,000 keys
	targetRatio        = 1.5
	targetRSSIncrease  = 10 * mib
	targetIdleWrites   = 0
	targetIdleEBCalls  = 0
	targetReadyForKeys = 1000
)

// results are the figures that the page and the summary line report.
type results struct {
	keys, clients int
	floorTime     time.Duration
	idleWindow    time.Duration
	run           *operatorRun
	idle          *idleFigures
	unrelated     *operatorRun
	profileTop    string
	goBench       []string
}

func (r *results) objects() int { return r.keys + r.clients }

func (r *results) ratio() float64 {
	if r.floorTime == 0 {
		return 0
	}
	return r.run.total.Seconds() / r.floorTime.Seconds()
}

func (r *results) writesPerObject() float64 {
	return r.run.requests.writes() / float64(r.objects())
}

func (r *results) summaryLine() string {
	return fmt.Sprintf("bench: keys=%d operator_s=%.1f floor_s=%.1f ratio=%.2f creates=%d addapis=%d "+
		"writes_per_object=%.2f idle_writes=%.0f rss_mib=%.1f rss_unrelated_mib=%.1f",
		r.keys, r.run.total.Seconds(), r.floorTime.Seconds(), r.ratio(),
		r.run.ebCalls["create"], r.run.ebCalls["addapi"], r.writesPerObject(),
		r.idle.requests.writes(), float64(r.run.rss)/mib, float64(r.unrelated.rss)/mib)
}

// target is one row of the targets table.
type target struct {
	figure, value, goal string
	met                 bool
}

func (r *results) targets() []target {
	rssDelta := r.unrelated.rss - r.run.rss
	readyGoal := fmt.Sprintf("< %s for %d keys", targetReady, targetReadyForKeys)
	rows := []target{
		{"time to all Ready", fmt.Sprintf("%.1f s", r.run.total.Seconds()), readyGoal,
			r.keys <= targetReadyForKeys && r.run.total < targetReady},
		{"operator / floor", fmt.Sprintf("%.2f (floor %.1f s)", r.ratio(), r.floorTime.Seconds()),
			fmt.Sprintf("<= %.1f", targetRatio), r.ratio() <= targetRatio},
		{"EB create per EBClient", perObject(r.run.ebCalls["create"], r.clients), "1",
			r.run.ebCalls["create"] == r.clients},
		{"EB addapi per EBApiKey", perObject(r.run.ebCalls["addapi"], r.keys), "1",
			r.run.ebCalls["addapi"] == r.keys},
		{"API writes while idle", fmt.Sprintf("%.0f in %s", r.idle.requests.writes(), r.idleWindow),
			"0", r.idle.requests.writes() == targetIdleWrites},
		{"EB calls while idle", fmt.Sprintf("%d in %s", sum(r.idle.ebCalls), r.idleWindow),
			"0", sum(r.idle.ebCalls) == targetIdleEBCalls},
		{"peak RSS increase with unrelated Secrets", fmt.Sprintf("%+.1f MiB (%.1f → %.1f MiB)",
			float64(rssDelta)/mib, float64(r.run.rss)/mib, float64(r.unrelated.rss)/mib),
			"<= 10 MiB", rssDelta <= targetRSSIncrease},
	}
	return rows
}

func perObject(n, objects int) string {
	return fmt.Sprintf("%.2f (%d / %d)", float64(n)/float64(objects), n, objects)
}

// runGoBenchmarks runs the controllers' Go benchmarks of the pure hot paths
// and keeps their result lines.
func (b *bench) runGoBenchmarks(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "go", "test", "-run", "^$", "-bench", ".", "-benchmem",
		"-benchtime", "200000x", "./controllers")
	assets, err := filepath.Abs(assetsDir)
	if err != nil {
		return err
	}
	cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+assets)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go test -bench ./controllers: %w\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(line, "Benchmark") {
			b.results.goBench = append(b.results.goBench, line)
			say("    %s", line)
		}
	}
	return nil
}
