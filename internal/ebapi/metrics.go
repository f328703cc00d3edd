package ebapi

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
)

var (
	requestsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "eb_api_requests_total",
		Help: "EB registration requests sent, one per attempt on one server, " +
			`by function and outcome: the EB status code ("0x9000"), ` +
			`"http_<status>", "unknown_status" or "error".`,
	}, []string{"function", "code"})

	requestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "eb_api_request_duration_seconds",
		Help:    "Duration of one EB registration request on one server, in seconds.",
		Buckets: prometheus.DefBuckets,
	}, []string{"function"})
)

func init() {
	metrics.Registry.MustRegister(requestsTotal, requestDuration)
}

// Outcome labels that are not an EB status code.
const (
	outcomeError         = "error"
	outcomeUnknownStatus = "unknown_status"
)

// statusLabel returns the code label for an EB status. Codes outside the
// documented table share one label, so a faulty server cannot create
// unbounded label values.
func statusLabel(code int) string {
	if _, ok := codeTable[code]; !ok {
		return outcomeUnknownStatus
	}
	return fmt.Sprintf("0x%04X", code)
}

func httpLabel(status int) string {
	return fmt.Sprintf("http_%d", status)
}

func observe(function, code string, start time.Time) {
	requestsTotal.WithLabelValues(function, code).Inc()
	requestDuration.WithLabelValues(function).Observe(time.Since(start).Seconds())
}
