package ebsim

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCommandServesAndStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the ebsim command")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go tool not found on PATH: %v", err)
	}
	dir := t.TempDir()
	binary := filepath.Join(dir, "ebsim")
	build := exec.Command(goTool, "build", "-o", binary,
		"github.com/enigmabridge/eb-operator/hack/ebsim")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	tlsDir := filepath.Join(dir, "tls")
	cmd := exec.Command(binary, "--addr", "127.0.0.1:0", "--tls-dir", tlsDir,
		"--state", filepath.Join(dir, "state.json"), "-v")
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ebsim: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
	})
	lines := make(chan string, 4)
	go func() {
		scanner := bufio.NewScanner(stdout)
		for scanner.Scan() {
			lines <- scanner.Text()
		}
		close(lines)
		exited <- cmd.Wait()
	}()

	serving := readLine(t, lines, &stderr)
	caLine := readLine(t, lines, &stderr)
	url, ok := strings.CutPrefix(serving, "ebsim: serving ")
	if !ok || !strings.HasPrefix(url, "https://127.0.0.1:") {
		t.Fatalf("first line = %q, want \"ebsim: serving https://127.0.0.1:PORT\"", serving)
	}
	wantCA := "ebsim: CA certificate " + filepath.Join(tlsDir, "ca.crt")
	if caLine != wantCA {
		t.Fatalf("second line = %q, want %q", caLine, wantCA)
	}
	caPEM, err := os.ReadFile(filepath.Join(tlsDir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}

	body := requestBody(t, map[string]any{"function": "create", "client": map[string]any{
		"name": "cmd", "type": "demo", "authentication": "type", "token": "demo-token",
	}})
	var creds credentials
	postTo(t, httpsClient(t, caPEM), url+clientPath, "application/json", body).
		decode(t, &creds)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("ebsim exited with %v after SIGINT; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ebsim did not exit within 15s of SIGINT")
	}
	if extra, open := <-lines; open {
		t.Errorf("stdout has a third line %q", extra)
	}
	logs := stderr.String()
	if !strings.Contains(logs, "function=create") {
		t.Errorf("-v log has no line for the create call:\n%s", logs)
	}
	if strings.Contains(logs, creds.Password) || strings.Contains(logs, "demo-token") {
		t.Errorf("-v log contains a secret:\n%s", logs)
	}
}

// readLine returns the next stdout line, failing after 30 seconds.
func readLine(t *testing.T, lines <-chan string, stderr *syncBuffer) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatalf("ebsim closed stdout early; stderr:\n%s", stderr.String())
		}
		return line
	case <-time.After(30 * time.Second):
		t.Fatalf("no line from ebsim within 30s; stderr:\n%s", stderr.String())
	}
	return ""
}
