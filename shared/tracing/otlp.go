package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// The exporter: OTLP over HTTP with protobuf bodies, written here instead of using
// otlptracehttp, whose generated OTLP types pull protobuf's runtime and gRPC's status types
// into the binaries (docs/DECISIONS.md). The SDK still makes, samples and batches the spans.

// More OTEL_EXPORTER_OTLP_* variables, with the meaning the OpenTelemetry specification
// gives them; each _TRACES_ one wins over its general one.
const (
	envTimeout            = "OTEL_EXPORTER_OTLP_TIMEOUT"
	envTracesTimeout      = "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT"
	envCompression        = "OTEL_EXPORTER_OTLP_COMPRESSION"
	envTracesCompression  = "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION"
	envCertificate        = "OTEL_EXPORTER_OTLP_CERTIFICATE"
	envTracesCertificate  = "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"
	envClientCert         = "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"
	envTracesClientCert   = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE"
	envClientKey          = "OTEL_EXPORTER_OTLP_CLIENT_KEY"
	envTracesClientKey    = "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY"
	defaultExportTimeout  = 10 * time.Second
	maxResponseBody       = 64 << 10
	contentTypeProtobuf   = "application/x-protobuf"
	defaultRetryAttempts  = 5
	defaultRetryFirstWait = time.Second
	defaultRetryMaxWait   = 30 * time.Second
)

// exporterConfig is where and how spans are posted.
type exporterConfig struct {
	url       string            // the traces endpoint itself: <base>/v1/traces
	headers   map[string]string // sent with every POST
	timeout   time.Duration     // of one POST
	gzip      bool              // Content-Encoding: gzip
	tls       *tls.Config       // nil: the default
	userAgent string
	retry     retryPolicy
}

// retryPolicy bounds the retries of a POST the collector answered 429, 502, 503 or 504, or
// that failed to connect: at most attempts POSTs in all, waiting first, then twice as long
// each time up to max, or what a Retry-After header asks. The export's context (the batch
// processor's export timeout, 30 s by default) bounds it all.
type retryPolicy struct {
	attempts    int
	first, max  time.Duration
	maxRetryAft time.Duration // a longer Retry-After gives up instead of waiting
}

// env returns the first non-empty of the variables.
func env(names ...string) (string, string) {
	for _, n := range names {
		if v := os.Getenv(n); v != "" {
			return n, v
		}
	}
	return "", ""
}

// exporterConfigFrom resolves the exporter's settings from cfg and the environment, which
// wins over cfg as in the OpenTelemetry SDKs.
func exporterConfigFrom(cfg Settings, svc Service) (exporterConfig, error) {
	ec := exporterConfig{timeout: defaultExportTimeout, userAgent: "mcp-gateway-otlp",
		retry: retryPolicy{attempts: defaultRetryAttempts, first: defaultRetryFirstWait, max: defaultRetryMaxWait, maxRetryAft: time.Minute}}
	if svc.Name != "" {
		ec.userAgent = svc.Name + "/" + svc.Version
	}
	switch {
	case os.Getenv(envTracesEndpoint) != "":
		u, err := httpURL(envTracesEndpoint, os.Getenv(envTracesEndpoint))
		if err != nil {
			return ec, err
		}
		if u.Path == "" {
			u.Path = "/"
		}
		ec.url = u.String() // used as it is: it names the traces endpoint
	case os.Getenv(envEndpoint) != "":
		u, err := httpURL(envEndpoint, os.Getenv(envEndpoint))
		if err != nil {
			return ec, err
		}
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		ec.url = u.String()
	default:
		u, err := httpURL("tracing.endpoint", cfg.Endpoint)
		if err != nil {
			return ec, err
		}
		u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/traces"
		ec.url = u.String()
	}

	ec.headers = cfg.Headers
	if name, v := env(envTracesHeaders, envHeaders); name != "" {
		ec.headers = parseHeaders(v)
	}
	if name, v := env(envTracesTimeout, envTimeout); name != "" {
		ms, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || ms <= 0 {
			return ec, fmt.Errorf("%s %q: want a positive number of milliseconds", name, v)
		}
		ec.timeout = time.Duration(ms) * time.Millisecond
	}
	if name, v := env(envTracesCompression, envCompression); name != "" {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "gzip":
			ec.gzip = true
		case "none":
		default:
			return ec, fmt.Errorf("%s %q: want gzip or none", name, v)
		}
	}
	tc, err := tlsFromEnv()
	if err != nil {
		return ec, err
	}
	ec.tls = tc
	return ec, nil
}

func httpURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q: want an http:// or https:// URL", name, raw)
	}
	return u, nil
}

// parseHeaders reads the W3C-baggage-like list of OTEL_EXPORTER_OTLP_HEADERS: key=value
// pairs separated by commas, values percent-encoded. A pair without '=' or with an invalid
// key is skipped, as the OpenTelemetry Go SDK does.
func parseHeaders(v string) map[string]string {
	h := map[string]string{}
	for pair := range strings.SplitSeq(v, ",") {
		k, val, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok || !validHeaderKey(k) {
			continue
		}
		if d, err := url.PathUnescape(val); err == nil {
			h[k] = strings.TrimSpace(d)
		}
	}
	return h
}

// validHeaderKey: an HTTP token.
func validHeaderKey(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range []byte(k) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// tlsFromEnv reads the collector's CA certificate and the client certificate, if any.
func tlsFromEnv() (*tls.Config, error) {
	caName, ca := env(envTracesCertificate, envCertificate)
	certName, cert := env(envTracesClientCert, envClientCert)
	keyName, key := env(envTracesClientKey, envClientKey)
	if ca == "" && cert == "" && key == "" {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", caName, err)
		}
		tc.RootCAs = x509.NewCertPool()
		if !tc.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s %s: no PEM certificate in it", caName, ca)
		}
	}
	if (cert == "") != (key == "") {
		return nil, fmt.Errorf("%s and %s: set both or neither", envClientCert, envClientKey)
	}
	if cert != "" {
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("%s, %s: %w", certName, keyName, err)
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}

// otlpExporter is the SDK's SpanExporter that posts OTLP/HTTP protobuf. The batch span
// processor calls ExportSpans from one goroutine and hands its errors to otel.Handle.
type otlpExporter struct {
	cfg    exporterConfig
	client *http.Client
	stop   context.Context // canceled by Shutdown: a retry in progress gives up
	cancel context.CancelFunc
	closed atomic.Bool
}

var _ sdktrace.SpanExporter = (*otlpExporter)(nil)

func newOTLPExporter(cfg exporterConfig) *otlpExporter {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if cfg.tls != nil {
		tr.TLSClientConfig = cfg.tls
	}
	stop, cancel := context.WithCancel(context.Background())
	return &otlpExporter{cfg: cfg, client: &http.Client{Transport: tr}, stop: stop, cancel: cancel}
}

// ExportSpans posts spans as one ExportTraceServiceRequest, retrying as cfg.retry says.
func (e *otlpExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if len(spans) == 0 || e.closed.Load() {
		return nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(e.stop, cancel)()

	body := encodeRequest(nil, spans)
	if e.cfg.gzip {
		var zb bytes.Buffer
		zw := gzip.NewWriter(&zb)
		_, _ = zw.Write(body) // a bytes.Buffer does not fail
		if err := zw.Close(); err != nil {
			return fmt.Errorf("otlp: gzip: %w", err)
		}
		body = zb.Bytes()
	}
	wait := e.cfg.retry.first
	for attempt := 1; ; attempt++ {
		retryAfter, err := e.post(ctx, body)
		if err == nil {
			return nil
		}
		var r retryable
		if !errors.As(err, &r) || attempt >= e.cfg.retry.attempts {
			return fmt.Errorf("otlp: export of %d spans to %s: %w", len(spans), e.cfg.url, err)
		}
		d := wait
		if retryAfter > 0 {
			if retryAfter > e.cfg.retry.maxRetryAft {
				return fmt.Errorf("otlp: export of %d spans to %s: %w; Retry-After %s is too long, spans dropped", len(spans), e.cfg.url, err, retryAfter)
			}
			d = retryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < d {
			return fmt.Errorf("otlp: export of %d spans to %s: %w; no time left to retry", len(spans), e.cfg.url, err)
		}
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("otlp: export of %d spans to %s: %w (%w)", len(spans), e.cfg.url, err, ctx.Err())
		case <-t.C:
		}
		wait = min(wait*2, e.cfg.retry.max)
	}
}

// retryable marks a failure worth another POST.
type retryable struct{ error }

func (r retryable) Unwrap() error { return r.error }

// post makes one POST. It returns the Retry-After delay the collector asked for, if any.
func (e *otlpExporter) post(parent context.Context, body []byte) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(parent, e.cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.cfg.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range e.cfg.headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", contentTypeProtobuf)
	req.Header.Set("User-Agent", e.cfg.userAgent)
	if e.cfg.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if parent.Err() != nil {
			return 0, err // the export's own deadline, or Shutdown
		}
		if ctx.Err() != nil {
			return 0, retryable{fmt.Errorf("no answer within %s (OTEL_EXPORTER_OTLP_TIMEOUT)", e.cfg.timeout)}
		}
		var cert *tls.CertificateVerificationError
		if errors.As(err, &cert) {
			return 0, err // the next try would fail the same way
		}
		return 0, retryable{err} // connection refused or reset: the collector may be restarting
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode <= 299:
		if strings.HasPrefix(resp.Header.Get("Content-Type"), contentTypeProtobuf) {
			return 0, partialSuccess(rb)
		}
		return 0, nil
	case resp.StatusCode == http.StatusTooManyRequests, resp.StatusCode == http.StatusBadGateway,
		resp.StatusCode == http.StatusServiceUnavailable, resp.StatusCode == http.StatusGatewayTimeout:
		return retryAfter(resp.Header.Get("Retry-After")), retryable{fmt.Errorf("collector answered %s%s", resp.Status, bodyNote(rb))}
	default:
		return 0, fmt.Errorf("collector answered %s%s", resp.Status, bodyNote(rb))
	}
}

// bodyNote quotes the start of an error answer's body (a collector says there what is wrong).
func bodyNote(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return ": " + strconv.Quote(s)
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when absent or invalid.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > int64(24*time.Hour/time.Second) {
			return 24 * time.Hour
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// partialSuccess reads an ExportTraceServiceResponse: a collector that accepted the request
// but rejected some spans says so in its partial_success (field 1: rejected_spans = 1,
// error_message = 2). That is reported as an error, not retried.
func partialSuccess(b []byte) error {
	var rejected int64
	var msg string
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil // not a response we can read; the POST itself succeeded
		}
		b = b[n:]
		if num == 1 && typ == protowire.BytesType {
			ps, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil
			}
			b = b[n:]
			for len(ps) > 0 {
				pn, pt, m := protowire.ConsumeTag(ps)
				if m < 0 {
					return nil
				}
				ps = ps[m:]
				switch {
				case pn == 1 && pt == protowire.VarintType:
					v, m := protowire.ConsumeVarint(ps)
					if m < 0 {
						return nil
					}
					rejected, ps = int64(v), ps[m:]
				case pn == 2 && pt == protowire.BytesType:
					v, m := protowire.ConsumeString(ps)
					if m < 0 {
						return nil
					}
					msg, ps = v, ps[m:]
				default:
					m := protowire.ConsumeFieldValue(pn, pt, ps)
					if m < 0 {
						return nil
					}
					ps = ps[m:]
				}
			}
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return nil
		}
		b = b[m:]
	}
	if rejected == 0 && msg == "" {
		return nil
	}
	return fmt.Errorf("otlp: the collector rejected %d spans: %q", rejected, msg)
}

// Shutdown stops the exporter: later exports do nothing and a retry wait in progress ends.
func (e *otlpExporter) Shutdown(ctx context.Context) error {
	if e.closed.Swap(true) {
		return nil
	}
	e.cancel()
	e.client.CloseIdleConnections()
	return ctx.Err()
}
