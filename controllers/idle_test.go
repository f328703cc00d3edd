package controllers_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebsim"
)

// TestIdleObjectsCostNothing brings 200 objects to Ready: 20 EBClients of a
// client type that allows 10 keys, with 9 EBApiKeys each. It then watches
// for 60 s. With the default refreshInterval of 1h no showapi falls due, so
// the operator must neither write to the API server nor call EB.
func TestIdleObjectsCostNothing(t *testing.T) {
	t.Parallel()
	const (
		clients       = 20
		keysPerClient = 9
	)
	types := ebsim.DefaultTypes()
	types[0].Name = "bulk"
	types[0].MaxAPIKeys = keysPerClient + 1
	ns := newNamespace(t)
	sim := ebsim.StartTest(t, ebsim.Options{Admin: true, Types: types})
	op := startOperator(t, sim, operatorOptions{namespaces: []string{ns}})
	createTokenSecret(t, ns, "token", demoToken)

	var objects []client.Object
	for i := range clients {
		c := newClient(ns, fmt.Sprintf("c-%02d", i), "token")
		c.Spec.ClientType = "bulk"
		create(t, c)
		objects = append(objects, c)
		for j := range keysPerClient {
			k := newKey(ns, fmt.Sprintf("c-%02d-k-%d", i, j), c.Name)
			create(t, k)
			objects = append(objects, k)
		}
	}
	start := time.Now()
	for _, obj := range objects {
		waitReady(t, obj)
	}
	t.Logf("%d objects Ready after %s", len(objects), time.Since(start))

	// The settling wait lets Events and the last status writes go out.
	time.Sleep(5 * time.Second)
	sim.Sim.ResetCalls()
	writesBefore := op.requests.Writes()

	// This waits to show that idle objects cause no work.
	time.Sleep(60 * time.Second)
	writes := op.requests.Writes()[len(writesBefore):]
	calls := sim.Sim.Calls().ByFunction
	total := 0
	for _, n := range calls {
		total += n
	}
	t.Logf("over 60 s idle: %d API writes, %d EB calls (%d API writes before)",
		len(writes), total, len(writesBefore))
	if len(writes) != 0 {
		t.Errorf("API writes while idle = %d, want 0: %q", len(writes), writes)
	}
	if total != 0 {
		t.Errorf("EB calls while idle = %v, want none", calls)
	}
	for _, obj := range objects {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			t.Fatalf("get %s: %v", obj.GetName(), err)
		}
		if c := readyCondition(obj); c == nil || c.Reason != ebv1.ReasonIssued && c.Reason != ebv1.ReasonRegistered {
			t.Errorf("%s Ready condition after idling = %+v", obj.GetName(), c)
		}
	}
}
