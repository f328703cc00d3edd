package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	ebv1 "github.com/enigmabridge/eb-operator/api/v1alpha1"
	"github.com/enigmabridge/eb-operator/internal/ebapi"
)

// listOpsTimeout bounds the listops check, retries included.
const listOpsTimeout = 30 * time.Second

// printSummary prints the status of each sample and the keys of its Secret.
// Secret values are never printed, only their length.
func (d *demo) printSummary(ctx context.Context) error {
	var ebc ebv1.EBClient
	if _, err := d.get(ctx, sampleClient, &ebc); err != nil {
		return err
	}
	printLine("EBClient %s/%s", d.namespace, ebc.Name)
	printReady(ebc.Status.Conditions)
	printLine("  username:           %s", ebc.Status.Username)
	printLine("  accountStatus:      %s", ebc.Status.AccountStatus)
	printLine("  maxApiKeys:         %d", ebc.Status.MaxAPIKeys)
	printLine("  registrationServer: %s", ebc.Status.RegistrationServer)
	if err := d.printSecret(ctx, ebc.Status.SecretName); err != nil {
		return err
	}

	for _, name := range []string{sampleKeyA, sampleKeyB} {
		var key ebv1.EBApiKey
		if _, err := d.get(ctx, name, &key); err != nil {
			return err
		}
		printLine("EBApiKey %s/%s", d.namespace, key.Name)
		printReady(key.Status.Conditions)
		printLine("  clientUsername:     %s", key.Status.ClientUsername)
		printLine("  apiKeyHash:         %s", key.Status.APIKeyHash)
		printLine("  keyStatus:          %s", key.Status.KeyStatus)
		for _, srv := range key.Status.Servers {
			printLine("  server:             %s (%s) use %s enrol %s", srv.Name, srv.FQDN,
				formatPorts(srv.UseEndpoints), formatPorts(srv.EnrolEndpoints))
		}
		ops := make([]string, 0, len(key.Status.Operations))
		for _, op := range key.Status.Operations {
			ops = append(ops, op.Name)
		}
		printLine("  operations:         %s", strings.Join(ops, ", "))
		if err := d.printSecret(ctx, key.Status.SecretName); err != nil {
			return err
		}
	}
	return nil
}

func printReady(conditions []metav1.Condition) {
	c := meta.FindStatusCondition(conditions, ebv1.ConditionReady)
	if c == nil {
		printLine("  Ready:              (no condition)")
		return
	}
	printLine("  Ready:              %s, reason %s: %s", c.Status, c.Reason, c.Message)
}

func formatPorts(ports []ebv1.PortSpec) string {
	parts := make([]string, 0, len(ports))
	for _, p := range ports {
		parts = append(parts, fmt.Sprintf("%s/%d", p.Protocol, p.Port))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

// printSecret prints each key of the Secret with the length of its value.
func (d *demo) printSecret(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("status.secretName is empty; the operator has not written the Secret yet")
	}
	var secret corev1.Secret
	found, err := d.get(ctx, name, &secret)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("Secret %s/%s not found", d.namespace, name)
	}
	printLine("  Secret %s (values redacted):", name)
	keys := make([]string, 0, len(secret.Data))
	for k := range secret.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		printLine("    %-22s %d bytes", k+":", len(secret.Data[k]))
	}
	return nil
}

// checkAPIKey reads one EBApiKey's Secret and calls listops with its key on
// the processing server that the Secret names, which proves the key works.
func (d *demo) checkAPIKey(ctx context.Context) error {
	var key ebv1.EBApiKey
	if _, err := d.get(ctx, checkedAPIKey, &key); err != nil {
		return err
	}
	var secret corev1.Secret
	found, err := d.get(ctx, key.Status.SecretName, &secret)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("Secret %s/%s of EBApiKey %s not found",
			d.namespace, key.Status.SecretName, checkedAPIKey)
	}
	values := map[string]string{}
	for _, k := range []string{"apikey", "username", "endpoint"} {
		v := string(secret.Data[k])
		if v == "" {
			return fmt.Errorf("Secret %s/%s has no %q key", d.namespace, secret.Name, k)
		}
		values[k] = v
	}

	eb, err := ebapi.New(ebapi.Options{
		Endpoints:   []string{values["endpoint"]},
		Environment: sampleEnv,
		CABundle:    d.sim.CAPEM,
	})
	if err != nil {
		return fmt.Errorf("create EB client for %s: %w", values["endpoint"], err)
	}
	ctx, cancel := context.WithTimeout(ctx, listOpsTimeout)
	defer cancel()
	resp, err := eb.ListOps(ctx, values["username"], values["apikey"])
	if err != nil {
		return fmt.Errorf("listops on %s with the key of EBApiKey %s: %w",
			values["endpoint"], checkedAPIKey, err)
	}
	printLine("listops check passed: %d operations (EBApiKey %s, processing server %s)",
		len(resp.Operations), checkedAPIKey, values["endpoint"])
	return nil
}
