package ebapi

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"net/http"
	"sync"
	"time"
)

// maxCachedTransports bounds the transport cache. Clusters use few distinct
// CA bundles, so eviction only happens when bundles keep changing.
const maxCachedTransports = 32

// transportCache shares one *http.Transport per CA bundle, so that many
// Clients reuse the same connections.
var transportCache = struct {
	sync.Mutex
	byKey map[[sha256.Size]byte]*http.Transport
	order [][sha256.Size]byte // insertion order, oldest first
}{byKey: map[[sha256.Size]byte]*http.Transport{}}

// sharedTransport returns the cached transport for caBundle, building it on
// first use. An evicted transport keeps serving the Clients that hold it.
func sharedTransport(caBundle []byte) (*http.Transport, error) {
	key := sha256.Sum256(caBundle)

	transportCache.Lock()
	defer transportCache.Unlock()
	if t, ok := transportCache.byKey[key]; ok {
		return t, nil
	}
	roots, err := rootPool(caBundle)
	if err != nil {
		return nil, err
	}
	t := newTransport(roots)
	if len(transportCache.order) >= maxCachedTransports {
		oldest := transportCache.order[0]
		transportCache.order = transportCache.order[1:]
		delete(transportCache.byKey, oldest)
	}
	transportCache.byKey[key] = t
	transportCache.order = append(transportCache.order, key)
	return t, nil
}

// rootPool returns the system roots plus every certificate in caBundle. A
// bundle that is not empty must contain only valid CERTIFICATE blocks.
func rootPool(caBundle []byte) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	rest := bytes.TrimSpace(caBundle)
	if len(rest) == 0 {
		return pool, nil
	}
	invalid := func(reason string) error {
		return &ConfigError{Field: "registration.caBundle", Value: "(PEM data)", Reason: reason}
	}
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, invalid("not PEM data; provide one or more " +
				"-----BEGIN CERTIFICATE----- blocks")
		}
		if block.Type != "CERTIFICATE" {
			return nil, invalid("contains a " + block.Type +
				" block; provide only CERTIFICATE blocks")
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, invalid("contains a certificate that cannot be parsed: " + err.Error())
		}
		pool.AddCert(cert)
		rest = bytes.TrimSpace(rest)
	}
	return pool, nil
}

func newTransport(roots *x509.CertPool) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:       http.ProxyFromEnvironment,
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:    roots,
			MinVersion: tls.VersionTLS12,
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
