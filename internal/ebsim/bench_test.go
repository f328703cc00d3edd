package ebsim

import (
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkCreateParallel measures create calls over HTTPS with a state file.
func BenchmarkCreateParallel(b *testing.B) {
	srv := StartTest(b, Options{StateFile: b.TempDir() + "/state.json"})
	client := httpsClient(b, srv.CAPEM)
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := requestBody(b, map[string]any{"function": "create",
				"client": map[string]any{"name": fmt.Sprintf("b%d", next.Add(1)%500),
					"type": "demo", "authentication": "type", "token": "demo-token"}})
			if err := postCreate(client, srv.URL, body); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
