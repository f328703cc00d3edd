package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// floorNamespace is the namespace of the floor's objects, which the operator
// never watches.
const floorNamespace = "bench-floor"

// floor does the operator's work directly. For each EBClient it calls
// getauth and create, creates the credentials Secret and patches status.
// For each EBApiKey it calls addapi, creates the API-key Secret and patches
// status. It uses the operator's rate limits and worker counts, and
// controller-runtime's uncached client, which has one client-go rate
// limiter per resource type, as the operator's client has.
type floor struct {
	k8s   client.Client
	eb    *ebapi.Client
	clock func() time.Time

	mu      sync.Mutex
	clients map[string]*floorClient
	wg      sync.WaitGroup
	errOnce sync.Once
	err     error

	clientQueue chan *ebv1.EBClient
	keyQueue    chan *ebv1.EBApiKey
}

// floorClient is the state of one EBClient: its credentials once created,
// and the keys that were created before that.
type floorClient struct {
	done               bool
	username, password string
	pending            []*ebv1.EBApiKey
}

// measureFloor runs the floor on its own workload and records its time from
// the first create to the last status write.
func (b *bench) measureFloor(ctx context.Context) error {
	if err := b.createNamespace(ctx, floorNamespace); err != nil {
		return err
	}
	cfg := rest.CopyConfig(b.restConfig)
	cfg.QPS = float32(b.defaults.float("kube-api-qps"))
	cfg.Burst = b.defaults.int("kube-api-burst")
	k8s, err := client.New(cfg, client.Options{Scheme: b.scheme})
	if err != nil {
		return err
	}
	eb, err := ebapi.New(ebapi.Options{
		Endpoints:    []string{b.sim.URL},
		Environment:  "test",
		CABundle:     b.sim.CAPEM,
		AllowedHosts: []string{"127.0.0.1"},
		Limiter:      ebapi.NewLimiter(b.defaults.float("eb-qps"), b.defaults.int("eb-burst")),
	})
	if err != nil {
		return err
	}
	w := newWorkload(floorNamespace, b.results.clients)
	f := &floor{
		k8s: k8s, eb: eb, clock: time.Now,
		clients:     map[string]*floorClient{},
		clientQueue: make(chan *ebv1.EBClient, len(w.clients)),
		keyQueue:    make(chan *ebv1.EBApiKey, len(w.keys)),
	}
	for _, c := range w.clients {
		f.clients[c.Name] = &floorClient{}
	}
	f.wg.Add(w.objects())
	for range b.defaults.int("ebclient-workers") {
		go f.clientWorker(ctx)
	}
	for range b.defaults.int("ebapikey-workers") {
		go f.keyWorker(ctx)
	}

	start := time.Now()
	if err := w.createAll(ctx, b.k8s, f.enqueue); err != nil {
		return err
	}
	f.wg.Wait()
	b.results.floorTime = time.Since(start)
	close(f.clientQueue)
	close(f.keyQueue)
	if f.err != nil {
		return f.err
	}
	say("    floor: %d objects in %.1fs", w.objects(), b.results.floorTime.Seconds())
	return nil
}

// enqueue hands a created object to the workers. A key waits for its
// client's credentials, as the operator's key does.
func (f *floor) enqueue(o client.Object) {
	switch obj := o.(type) {
	case *ebv1.EBClient:
		f.clientQueue <- obj
	case *ebv1.EBApiKey:
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.clients[obj.Spec.ClientRef.Name]
		if c.done {
			f.keyQueue <- obj
		} else {
			c.pending = append(c.pending, obj)
		}
	default:
		panic(fmt.Sprintf("unexpected object %T", o))
	}
}

func (f *floor) fail(err error) {
	f.errOnce.Do(func() { f.err = err })
}

func (f *floor) clientWorker(ctx context.Context) {
	for obj := range f.clientQueue {
		if err := f.register(ctx, obj); err != nil {
			f.fail(fmt.Errorf("EBClient %s: %w", obj.Name, err))
		}
		f.wg.Done()
	}
}

func (f *floor) keyWorker(ctx context.Context) {
	for obj := range f.keyQueue {
		if err := f.issue(ctx, obj); err != nil {
			f.fail(fmt.Errorf("EBApiKey %s: %w", obj.Name, err))
		}
		f.wg.Done()
	}
}

// register makes one EBClient Ready: getauth, create, Secret, status.
func (f *floor) register(ctx context.Context, obj *ebv1.EBClient) error {
	if _, err := f.eb.GetAuth(ctx, obj.Spec.ClientType); err != nil {
		return err
	}
	resp, err := f.eb.Create(ctx, ebapi.CreateRequest{
		Name: fmt.Sprintf("%s.%s.%s", obj.Namespace, obj.Name, obj.UID), Type: obj.Spec.ClientType,
		Authentication: "type", Token: clientToken,
	})
	if err != nil {
		return err
	}
	data := map[string][]byte{
		"username": []byte(resp.Username), "password": []byte(resp.Password),
		"environment": []byte("test"), "registration-endpoint": []byte(resp.Server),
	}
	if err := f.createSecret(ctx, obj, obj.Name+"-eb-client", data); err != nil {
		return err
	}
	base := obj.DeepCopy()
	st := &obj.Status
	st.Username, st.AccountStatus, st.RegistrationServer = resp.Username, resp.Status, resp.Server
	st.MaxAPIKeys, st.MaxObjects = int32(resp.MaxAPIKeys), int32(resp.MaxObjects)
	st.RegisteredAt = &metav1.Time{Time: f.clock().UTC().Truncate(time.Second)}
	st.SecretName, st.ObservedGeneration = obj.Name+"-eb-client", obj.Generation
	setReadyTrue(&st.Conditions, obj.Generation, ebv1.ReasonRegistered)
	if err := f.k8s.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.clients[obj.Name]
	c.done, c.username, c.password = true, resp.Username, resp.Password
	for _, k := range c.pending {
		f.keyQueue <- k
	}
	c.pending = nil
	return nil
}

// issue makes one EBApiKey Ready: addapi, Secret, status.
func (f *floor) issue(ctx context.Context, obj *ebv1.EBApiKey) error {
	f.mu.Lock()
	c := f.clients[obj.Spec.ClientRef.Name]
	username, password := c.username, c.password
	f.mu.Unlock()
	resp, err := f.eb.AddAPI(ctx, ebapi.AddAPIRequest{
		Username: username, Password: password, Operations: obj.Spec.Operations,
	})
	if err != nil {
		return err
	}
	processing, _ := ebapi.ProcessingURL(resp.Servers)
	settings, err := ebapi.SettingsJSON(resp.APIKey, processing)
	if err != nil {
		return err
	}
	servers, err := json.Marshal(resp.Servers)
	if err != nil {
		return err
	}
	data := map[string][]byte{
		"apikey": []byte(resp.APIKey), "username": []byte(username), "endpoint": []byte(processing),
		"config-url": []byte(ebapi.ConfigURL(processing, resp.APIKey)), "settings.json": settings,
		"servers.json": servers, "environment": []byte("test"),
	}
	if err := f.createSecret(ctx, obj, obj.Name+"-eb-apikey", data); err != nil {
		return err
	}
	base := obj.DeepCopy()
	now := &metav1.Time{Time: f.clock().UTC().Truncate(time.Second)}
	sum := sha256.Sum256([]byte(resp.APIKey))
	st := &obj.Status
	st.APIKeyHash, st.ClientUsername, st.KeyStatus = hex.EncodeToString(sum[:8]), username, resp.Status
	st.IssuedAt, st.LastRefreshTime = now, now
	st.SecretName, st.ObservedGeneration = obj.Name+"-eb-apikey", obj.Generation
	for _, s := range resp.Servers {
		st.Servers = append(st.Servers, ebv1.ServerStatus{Name: s.Name, FQDN: s.FQDN, Environment: s.Environment, Domain: s.Domain})
	}
	for _, op := range resp.Operations {
		st.Operations = append(st.Operations, ebv1.OperationStatus{Name: op.Name, ID: int32(op.ID), Status: op.Status})
	}
	setReadyTrue(&st.Conditions, obj.Generation, ebv1.ReasonIssued)
	if err := f.k8s.Status().Patch(ctx, obj, client.MergeFrom(base)); err != nil {
		return fmt.Errorf("patch status: %w", err)
	}
	return nil
}

// createSecret creates a Secret controlled by owner, labeled as the
// operator labels its Secrets.
func (f *floor) createSecret(ctx context.Context, owner client.Object, name string, data map[string][]byte) error {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: owner.GetNamespace(), Name: name,
			Labels: map[string]string{ebv1.ManagedByLabel: ebv1.ManagedByValue},
		},
		Type: corev1.SecretTypeOpaque,
		Data: data,
	}
	if err := controllerutil.SetControllerReference(owner, secret, f.k8s.Scheme()); err != nil {
		return err
	}
	if err := f.k8s.Create(ctx, secret); err != nil {
		return fmt.Errorf("create Secret %s: %w", name, err)
	}
	return nil
}

func setReadyTrue(conds *[]metav1.Condition, generation int64, reason string) {
	meta.SetStatusCondition(conds, metav1.Condition{
		Type: ebv1.ConditionReady, Status: metav1.ConditionTrue, Reason: reason,
		Message: "written by the benchmark floor", ObservedGeneration: generation,
	})
}
