package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
)

// pollInterval is how often waitReady reads the samples' status.
const pollInterval = 500 * time.Millisecond

// applySamples creates the namespace and applies config/samples into it
// with kubectl, as a user would.
func (d *demo) applySamples(ctx context.Context) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.namespace}}
	if err := d.k8s.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", d.namespace, err)
	}
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return errors.New("kubectl not found in PATH; install kubectl, which the demo uses to apply config/samples")
	}
	args := []string{"apply", "--kubeconfig", d.kubeconfigPath, "-n", d.namespace, "-k", samplesDir}
	printLine("kubectl %s", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, kubectl, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl apply -k %s: %w", samplesDir, err)
	}
	return nil
}

// readiness is the Ready condition of one sample, as printed while waiting.
type readiness struct {
	ready bool
	text  string
}

// waitReady polls the EBClient and both EBApiKeys until all are Ready,
// printing each change of their Ready condition. It fails after
// readyTimeout, or as soon as the operator exits.
func (d *demo) waitReady(ctx context.Context) error {
	deadline := time.NewTimer(d.readyTimeout)
	defer deadline.Stop()
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()

	start := time.Now()
	last := map[string]string{}
	for {
		states, err := d.readiness(ctx)
		if err != nil {
			return err
		}
		allReady := true
		for _, name := range sampleNames() {
			st := states[name]
			allReady = allReady && st.ready
			if last[name] != st.text {
				printLine("  %-22s %s", name, st.text)
				last[name] = st.text
			}
		}
		if allReady {
			printLine("all Ready after %s", time.Since(start).Round(100*time.Millisecond))
			return nil
		}
		select {
		case <-ticker.C:
		case <-d.operator.Done():
			return fmt.Errorf("operator exited while waiting: %w", exitError(d.operator.Result()))
		case <-deadline.C:
			return fmt.Errorf("not all samples Ready after %s; their last states are above",
				d.readyTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sampleNames lists the samples in the order they are printed.
func sampleNames() []string {
	return []string{"EBClient/" + sampleClient, "EBApiKey/" + sampleKeyA, "EBApiKey/" + sampleKeyB}
}

// readiness reads the Ready condition of each sample, keyed by the names
// from sampleNames.
func (d *demo) readiness(ctx context.Context) (map[string]readiness, error) {
	states := map[string]readiness{}
	var ebc ebv1.EBClient
	found, err := d.get(ctx, sampleClient, &ebc)
	if err != nil {
		return nil, err
	}
	states["EBClient/"+sampleClient] = describeReady(found, ebc.Status.Conditions)
	for _, name := range []string{sampleKeyA, sampleKeyB} {
		var key ebv1.EBApiKey
		found, err := d.get(ctx, name, &key)
		if err != nil {
			return nil, err
		}
		states["EBApiKey/"+name] = describeReady(found, key.Status.Conditions)
	}
	return states, nil
}

// get reads one object from the demo namespace. A missing object returns
// false and no error.
func (d *demo) get(ctx context.Context, name string, obj client.Object) (bool, error) {
	err := d.k8s.Get(ctx, client.ObjectKey{Namespace: d.namespace, Name: name}, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get %s/%s: %w", d.namespace, name, err)
	}
	return true, nil
}

func describeReady(found bool, conditions []metav1.Condition) readiness {
	if !found {
		return readiness{text: "not found yet"}
	}
	c := meta.FindStatusCondition(conditions, ebv1.ConditionReady)
	if c == nil {
		return readiness{text: "no Ready condition yet"}
	}
	return readiness{
		ready: c.Status == metav1.ConditionTrue,
		text:  fmt.Sprintf("Ready=%s reason=%s: %s", c.Status, c.Reason, c.Message),
	}
}
