// Package tracing records OpenTelemetry spans of MCP calls and exports them over OTLP/HTTP,
// and carries W3C trace context in a request's params._meta. It is off (a nil *Tracer)
// unless an endpoint is configured, and then costs the caller one nil check.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Settings is the [tracing] table of hub.toml and of the agent's config.toml. The standard
// OTEL_* environment variables override it.
type Settings struct {
	// Endpoint is the OTLP/HTTP collector's base URL, like http://127.0.0.1:4318; spans are
	// posted to its /v1/traces. Empty: tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT or
	// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (they override this setting).
	Endpoint string `toml:"endpoint"`
	// ServiceName is the service.name of the spans. Default mcp-gateway-hub or
	// mcp-gateway-agent; OTEL_SERVICE_NAME overrides it.
	ServiceName string `toml:"service_name"`
	// SampleRatio is the share of new traces recorded, 0 to 1 (default 1: all). A call whose
	// client sent a traceparent follows the client's sampled flag. OTEL_TRACES_SAMPLER and
	// OTEL_TRACES_SAMPLER_ARG override it.
	SampleRatio *float64 `toml:"sample_ratio"`
	// Headers are sent with every export, e.g. a hosted collector's API key header.
	// OTEL_EXPORTER_OTLP_HEADERS overrides them.
	Headers map[string]string `toml:"headers"`
}

// Validate checks the endpoint and the ratio.
func (c Settings) Validate() error {
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("tracing.endpoint %q: want an http:// or https:// URL", c.Endpoint)
		}
	}
	if r := c.SampleRatio; r != nil && (*r < 0 || *r > 1) {
		return fmt.Errorf("tracing.sample_ratio %v: want between 0 and 1", *r)
	}
	return nil
}

// Environment variables read here; otlp.go reads the other OTEL_EXPORTER_OTLP_* ones, and
// the SDK OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER* and OTEL_BSP_*.
const (
	envEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	envSampler        = "OTEL_TRACES_SAMPLER"
	envHeaders        = "OTEL_EXPORTER_OTLP_HEADERS"
	envTracesHeaders  = "OTEL_EXPORTER_OTLP_TRACES_HEADERS"
	envSDKDisabled    = "OTEL_SDK_DISABLED"
	envTracesExporter = "OTEL_TRACES_EXPORTER"
)

// Enabled reports whether c, with the environment, turns tracing on.
func (c Settings) Enabled() bool {
	if strings.EqualFold(os.Getenv(envSDKDisabled), "true") || strings.EqualFold(os.Getenv(envTracesExporter), "none") {
		return false
	}
	return c.Endpoint != "" || os.Getenv(envEndpoint) != "" || os.Getenv(envTracesEndpoint) != ""
}

// Tracer starts the spans of one process (hub or agent) and exports them. A nil *Tracer is
// tracing off: callers check for nil before anything else, so that the hot path allocates
// nothing.
type Tracer struct {
	tp *sdktrace.TracerProvider
	tr trace.Tracer
}

// Service names the process in its spans: the default service.name and its version.
type Service struct {
	Name, Version string
}

// New starts the exporter when cfg (or the environment) names an endpoint; otherwise it
// returns nil, nil: tracing is off. Spans are batched and sent in the background; call
// Shutdown to flush them.
func New(ctx context.Context, cfg Settings, svc Service) (*Tracer, error) {
	if !cfg.Enabled() {
		return nil, nil
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ec, err := exporterConfigFrom(cfg, svc)
	if err != nil {
		return nil, fmt.Errorf("tracing: %w", err)
	}
	exp := newOTLPExporter(ec)
	name := svc.Name
	if cfg.ServiceName != "" {
		name = cfg.ServiceName
	}
	// Later sources win: the defaults, then OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
	res, err := resource.New(ctx, resource.WithTelemetrySDK(),
		resource.WithAttributes(attribute.String("service.name", name), attribute.String("service.version", svc.Version)),
		resource.WithFromEnv())
	if err != nil && res == nil {
		return nil, fmt.Errorf("tracing: resource: %w", err)
	}
	tpOpts := []sdktrace.TracerProviderOption{
		sdktrace.WithBatcher(exp), sdktrace.WithResource(res), sdktrace.WithIDGenerator(timeOrderedIDs{}),
	}
	if cfg.SampleRatio != nil && os.Getenv(envSampler) == "" {
		tpOpts = append(tpOpts, sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(*cfg.SampleRatio))))
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	return &Tracer{tp: tp, tr: tp.Tracer("github.com/mcp-gateway/mcp-gateway")}, nil
}

// Shutdown exports the spans still queued and stops the exporter; nil-safe.
func (t *Tracer) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := t.tp.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("tracing: flush spans: %w", err)
	}
	return nil
}

// Start starts a span, a child of the span in ctx (or of the remote span Extract put there).
func (t *Tracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	return t.tr.Start(ctx, name, opts...)
}

// propagator is W3C Trace Context: traceparent and tracestate, parsed by the SDK.
var propagator = propagation.TraceContext{}
