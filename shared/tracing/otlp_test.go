package tracing

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/mcp-gateway/mcp-gateway/shared/waitfor"
)

// collector is a real HTTP server taking OTLP/HTTP posts: it answers each POST with the next
// of its canned answers (the last one repeats) and keeps what it was sent.
type collector struct {
	*httptest.Server
	mu      sync.Mutex
	answers []answer
	posts   []post
}

type answer struct {
	status     int
	retryAfter string
	ctype      string
	body       []byte
}

type post struct {
	path    string
	header  http.Header
	body    []byte // decompressed
	arrived time.Time
}

func newCollector(t *testing.T, tls bool, answers ...answer) *collector {
	t.Helper()
	c := &collector{answers: answers}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		c.mu.Lock()
		c.posts = append(c.posts, post{path: r.URL.Path, header: r.Header.Clone(), body: b, arrived: time.Now()})
		a := answer{status: http.StatusOK}
		if len(c.answers) > 0 {
			a = c.answers[0]
			if len(c.answers) > 1 {
				c.answers = c.answers[1:]
			}
		}
		c.mu.Unlock()
		if a.retryAfter != "" {
			w.Header().Set("Retry-After", a.retryAfter)
		}
		if a.ctype != "" {
			w.Header().Set("Content-Type", a.ctype)
		}
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	})
	if tls {
		c.Server = httptest.NewTLSServer(h)
	} else {
		c.Server = httptest.NewServer(h)
	}
	t.Cleanup(c.Close)
	return c
}

func (c *collector) got() []post {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]post(nil), c.posts...)
}

// testExporter posts to c with fast retries.
func testExporter(c *collector, mod func(*exporterConfig)) *otlpExporter {
	ec := exporterConfig{url: c.URL + "/v1/traces", timeout: 30 * time.Second, userAgent: "test/1",
		retry: retryPolicy{attempts: 4, first: time.Millisecond, max: 4 * time.Millisecond, maxRetryAft: 10 * time.Second}}
	if mod != nil {
		mod(&ec)
	}
	return newOTLPExporter(ec)
}

// richSpans makes spans of two resources and three scopes with every field set: remote and
// local parents, trace state, every kind, attributes of every type, events, links, both
// statuses, dropped counts and explicit times.
func richSpans(t *testing.T) []sdktrace.ReadOnlySpan {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	resA := resource.NewWithAttributes("https://opentelemetry.io/schemas/1.26.0",
		attribute.String("service.name", "mcp-gateway-hub"), attribute.String("service.version", "1.2.3"),
		attribute.Int64("process.pid", 4242))
	tpA := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(resA),
		sdktrace.WithRawSpanLimits(sdktrace.SpanLimits{AttributeCountLimit: 13, EventCountLimit: 2, LinkCountLimit: 1,
			AttributeValueLengthLimit: -1, AttributePerEventCountLimit: 1, AttributePerLinkCountLimit: 1}))
	resB := resource.NewSchemaless(attribute.String("service.name", "mcp-gateway-agent"))
	tpB := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithResource(resB))

	ts, err := trace.ParseTraceState("vendor=abc,other=x-1")
	if err != nil {
		t.Fatal(err)
	}
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: [16]byte{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:  [8]byte{0, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}, TraceFlags: trace.FlagsSampled, TraceState: ts, Remote: true,
	})
	linked := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, SpanID: [8]byte{9, 8, 7, 6, 5, 4, 3, 2},
		TraceState: ts, Remote: true,
	})
	t0 := time.Date(2026, 12, 7, 2, 30, 0, 123456789, time.UTC)

	trA := tpA.Tracer("github.com/mcp-gateway/mcp-gateway", trace.WithInstrumentationVersion("v0.9"),
		trace.WithSchemaURL("https://opentelemetry.io/schemas/1.26.0"), trace.WithInstrumentationAttributes(attribute.Bool("scope.attr", true)))
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
	ctx, root := trA.Start(ctx, "tools/call écho ✓", trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(t0),
		// The SDK drops the oldest events and links beyond its limits: the last ones stay.
		trace.WithLinks(trace.Link{SpanContext: remote},
			trace.Link{SpanContext: linked, Attributes: []attribute.KeyValue{attribute.String("link.a", "1"), attribute.Int("link.b", 2)}}))
	root.SetAttributes(
		attribute.String("s", "value"), attribute.String("empty", ""),
		attribute.Bool("t", true), attribute.Bool("f", false),
		attribute.Int64("i", -42), attribute.Int64("zero", 0), attribute.Int64("big", math.MaxInt64),
		attribute.Float64("d", 3.25), attribute.Float64("negzero", math.Copysign(0, -1)),
		attribute.StringSlice("ss", []string{"a", "", "c"}), attribute.BoolSlice("bs", []bool{true, false}),
		attribute.Int64Slice("is", []int64{1, -1, 0}), attribute.Float64Slice("ds", []float64{0.5, -2}),
		attribute.String("over the limit", "dropped"), attribute.Int("also dropped", 1),
	)
	root.AddEvent("first, dropped", trace.WithTimestamp(t0.Add(time.Millisecond)))
	root.AddEvent("second", trace.WithTimestamp(t0.Add(2*time.Millisecond)))
	root.AddEvent("third", trace.WithTimestamp(t0.Add(3*time.Millisecond)), trace.WithAttributes(attribute.String("e.k", "v"), attribute.Int("e.dropped", 1)))
	root.SetStatus(codes.Error, "denied by policy")

	for i, k := range []trace.SpanKind{trace.SpanKindInternal, trace.SpanKindClient, trace.SpanKindProducer, trace.SpanKindConsumer} {
		_, c := trA.Start(ctx, "child", trace.WithSpanKind(k), trace.WithTimestamp(t0.Add(time.Duration(i)*time.Microsecond)))
		c.SetStatus(codes.Ok, "ignored for Ok")
		c.End(trace.WithTimestamp(t0.Add(time.Second)))
	}
	_, other := tpA.Tracer("second-scope").Start(context.Background(), "unsampled-free root", trace.WithTimestamp(t0))
	other.End(trace.WithTimestamp(t0.Add(time.Nanosecond)))
	root.End(trace.WithTimestamp(t0.Add(2 * time.Second)))

	_, agent := tpB.Tracer("agent").Start(trace.ContextWithRemoteSpanContext(context.Background(), root.SpanContext()), "receive",
		trace.WithSpanKind(trace.SpanKindServer), trace.WithTimestamp(t0))
	agent.SetAttributes(attribute.String("mcpgw.backend", "fs"))
	agent.End(trace.WithTimestamp(t0.Add(time.Millisecond)))
	// Another span of resource A after B's: it joins A's group.
	_, late := trA.Start(context.Background(), "late", trace.WithTimestamp(t0))
	late.End(trace.WithTimestamp(t0.Add(time.Millisecond)))

	spans := rec.Ended()
	if len(spans) != 8 {
		t.Fatalf("recorded %d spans, want 8", len(spans))
	}
	return spans
}

// wantRequest builds, with the official generated types, the request the spans should
// become: what an OTLP exporter must send.
func wantRequest(spans []sdktrace.ReadOnlySpan) *coltracepb.ExportTraceServiceRequest {
	req := &coltracepb.ExportTraceServiceRequest{}
	rsBy := map[attribute.Distinct]*tracepb.ResourceSpans{}
	ssBy := map[attribute.Distinct]map[instrumentation.Scope]*tracepb.ScopeSpans{}
	for _, s := range spans {
		key := s.Resource().Equivalent()
		rs := rsBy[key]
		if rs == nil {
			rs = &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: kvs(s.Resource().Attributes())}, SchemaUrl: s.Resource().SchemaURL()}
			rsBy[key] = rs
			ssBy[key] = map[instrumentation.Scope]*tracepb.ScopeSpans{}
			req.ResourceSpans = append(req.ResourceSpans, rs)
		}
		sc := s.InstrumentationScope()
		ss := ssBy[key][sc]
		if ss == nil {
			ss = &tracepb.ScopeSpans{Scope: &commonpb.InstrumentationScope{Name: sc.Name, Version: sc.Version, Attributes: kvs(sc.Attributes.ToSlice())},
				SchemaUrl: sc.SchemaURL}
			ssBy[key][sc] = ss
			rs.ScopeSpans = append(rs.ScopeSpans, ss)
		}
		tid, sid := s.SpanContext().TraceID(), s.SpanContext().SpanID()
		sp := &tracepb.Span{TraceId: tid[:], SpanId: sid[:], TraceState: s.SpanContext().TraceState().String(),
			Name: s.Name(), Kind: tracepb.Span_SpanKind(s.SpanKind()),
			StartTimeUnixNano: uint64(s.StartTime().UnixNano()), EndTimeUnixNano: uint64(s.EndTime().UnixNano()),
			Attributes: kvs(s.Attributes()), DroppedAttributesCount: uint32(s.DroppedAttributes()),
			DroppedEventsCount: uint32(s.DroppedEvents()), DroppedLinksCount: uint32(s.DroppedLinks()),
			Status: &tracepb.Status{Message: s.Status().Description}}
		switch s.Status().Code {
		case codes.Ok:
			sp.Status.Code = tracepb.Status_STATUS_CODE_OK
		case codes.Error:
			sp.Status.Code = tracepb.Status_STATUS_CODE_ERROR
		}
		if s.Parent().IsValid() {
			p := s.Parent().SpanID()
			sp.ParentSpanId = p[:]
		}
		sp.Flags = uint32(s.SpanContext().TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
		if s.Parent().IsRemote() {
			sp.Flags |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
		}
		for _, e := range s.Events() {
			sp.Events = append(sp.Events, &tracepb.Span_Event{TimeUnixNano: uint64(e.Time.UnixNano()), Name: e.Name,
				Attributes: kvs(e.Attributes), DroppedAttributesCount: uint32(e.DroppedAttributeCount)})
		}
		for _, l := range s.Links() {
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			fl := uint32(l.SpanContext.TraceFlags()) | uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK)
			if l.SpanContext.IsRemote() {
				fl |= uint32(tracepb.SpanFlags_SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK)
			}
			sp.Links = append(sp.Links, &tracepb.Span_Link{TraceId: ltid[:], SpanId: lsid[:], TraceState: l.SpanContext.TraceState().String(),
				Attributes: kvs(l.Attributes), DroppedAttributesCount: uint32(l.DroppedAttributeCount), Flags: fl})
		}
		ss.Spans = append(ss.Spans, sp)
	}
	return req
}

func kvs(in []attribute.KeyValue) []*commonpb.KeyValue {
	var out []*commonpb.KeyValue
	for _, kv := range in {
		out = append(out, &commonpb.KeyValue{Key: string(kv.Key), Value: anyValue(kv.Value)})
	}
	return out
}

func anyValue(v attribute.Value) *commonpb.AnyValue {
	arr := func(vs ...*commonpb.AnyValue) *commonpb.AnyValue {
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
	}
	var vs []*commonpb.AnyValue
	switch v.Type() {
	case attribute.STRING:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v.AsString()}}
	case attribute.BOOL:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: v.AsBool()}}
	case attribute.INT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v.AsInt64()}}
	case attribute.FLOAT64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: v.AsFloat64()}}
	case attribute.STRINGSLICE:
		for _, s := range v.AsStringSlice() {
			vs = append(vs, anyValue(attribute.StringValue(s)))
		}
	case attribute.BOOLSLICE:
		for _, s := range v.AsBoolSlice() {
			vs = append(vs, anyValue(attribute.BoolValue(s)))
		}
	case attribute.INT64SLICE:
		for _, s := range v.AsInt64Slice() {
			vs = append(vs, anyValue(attribute.Int64Value(s)))
		}
	case attribute.FLOAT64SLICE:
		for _, s := range v.AsFloat64Slice() {
			vs = append(vs, anyValue(attribute.Float64Value(s)))
		}
	default:
		panic("test: attribute type " + v.Type().String() + " not covered")
	}
	return arr(vs...)
}

// TestExportWireFormat posts rich spans with the exporter and decodes the body with the
// official OTLP types: every field must come out as the SDK recorded it.
func TestExportWireFormat(t *testing.T) {
	spans := richSpans(t)
	for _, gz := range []bool{false, true} {
		c := newCollector(t, false)
		exp := testExporter(c, func(ec *exporterConfig) {
			ec.gzip = gz
			ec.headers = map[string]string{"X-Api-Key": "k1", "Authorization": "Bearer t"}
		})
		if err := exp.ExportSpans(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
		posts := c.got()
		if len(posts) != 1 {
			t.Fatalf("gzip %v: %d posts, want 1", gz, len(posts))
		}
		p := posts[0]
		if p.path != "/v1/traces" || p.header.Get("Content-Type") != "application/x-protobuf" ||
			p.header.Get("X-Api-Key") != "k1" || p.header.Get("Authorization") != "Bearer t" || p.header.Get("User-Agent") != "test/1" {
			t.Errorf("gzip %v: path %s, headers %v", gz, p.path, p.header)
		}
		if enc := p.header.Get("Content-Encoding"); (enc == "gzip") != gz {
			t.Errorf("gzip %v: Content-Encoding %q", gz, enc)
		}
		var got coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(p.body, &got); err != nil {
			t.Fatalf("not an ExportTraceServiceRequest: %v", err)
		}
		want := wantRequest(spans)
		if !proto.Equal(&got, want) {
			t.Fatalf("decoded request differs.\ngot:\n%s\nwant:\n%s", prototext.Format(&got), prototext.Format(want))
		}
		// The same bytes a proto encoder makes (fields in number order, zero values left out).
		if std, _ := (proto.MarshalOptions{Deterministic: true}).Marshal(want); !bytes.Equal(std, p.body) {
			t.Errorf("gzip %v: body differs from the proto encoder's (%d vs %d bytes)", gz, len(p.body), len(std))
		}
	}

	// Spot checks of the mappings the comparison above takes from the test's own converter.
	c := newCollector(t, false)
	if err := testExporter(c, nil).ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	var got coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(c.got()[0].body, &got); err != nil {
		t.Fatal(err)
	}
	if n := len(got.ResourceSpans); n != 2 {
		t.Fatalf("%d resource spans, want 2", n)
	}
	a := got.ResourceSpans[0]
	if n := len(a.ScopeSpans); n != 2 || len(a.ScopeSpans[0].Spans) != 6 {
		t.Fatalf("resource A: %d scopes, want 2, the first with 6 spans", n)
	}
	var root *tracepb.Span
	for _, sp := range a.ScopeSpans[0].Spans {
		if sp.Name == "tools/call écho ✓" {
			root = sp
		}
	}
	if root == nil {
		t.Fatal("root span missing")
	}
	if root.Kind != tracepb.Span_SPAN_KIND_SERVER || root.Status.Code != tracepb.Status_STATUS_CODE_ERROR ||
		root.Status.Message != "denied by policy" || root.TraceState != "vendor=abc,other=x-1" || root.Flags != 0x301 ||
		root.DroppedAttributesCount != 2 || root.DroppedEventsCount != 1 || root.DroppedLinksCount != 1 ||
		len(root.Links) != 1 || root.Links[0].DroppedAttributesCount != 1 || root.Links[0].Flags != 0x300 ||
		len(root.Events) != 2 || root.Events[1].DroppedAttributesCount != 1 || len(root.Events[1].Attributes) != 1 ||
		root.StartTimeUnixNano != uint64(time.Date(2026, 12, 7, 2, 30, 0, 123456789, time.UTC).UnixNano()) {
		t.Errorf("root span: %s", prototext.Format(root))
	}
}

func TestExportAttributeValueTypes(t *testing.T) {
	// Types the SDK's spans do not make through SetAttributes in this repository, written
	// straight into a KeyValue and decoded.
	for _, tc := range []struct {
		v    attribute.Value
		want *commonpb.AnyValue
	}{
		{attribute.ByteSliceValue([]byte{0, 1, 0xff}), &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: []byte{0, 1, 0xff}}}},
		{attribute.Value{}, &commonpb.AnyValue{}},
	} {
		// KeyValueList is a repeated KeyValue in field 1: decode the one KeyValue as that.
		b := appendKeyValue(nil, 1, attribute.KeyValue{Key: "k", Value: tc.v})
		var kl commonpb.KeyValueList
		if err := proto.Unmarshal(b, &kl); err != nil || len(kl.Values) != 1 {
			t.Fatalf("%v: %v, %d values", tc.v.Type(), err, len(kl.Values))
		}
		if !proto.Equal(kl.Values[0].Value, tc.want) {
			t.Errorf("%v: got %s, want %s", tc.v.Type(), prototext.Format(kl.Values[0].Value), prototext.Format(tc.want))
		}
	}
}

func TestExportRetries(t *testing.T) {
	spans := richSpans(t)[:1]
	t.Run("retryable codes then success", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 429}, answer{status: 502}, answer{status: 503, body: []byte("busy")}, answer{status: 200})
		if err := testExporter(c, nil).ExportSpans(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
		if n := len(c.got()); n != 4 {
			t.Fatalf("%d posts, want 4", n)
		}
	})
	t.Run("bounded", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 504, body: []byte("upstream gone")})
		err := testExporter(c, nil).ExportSpans(context.Background(), spans)
		if err == nil || !strings.Contains(err.Error(), "504") || !strings.Contains(err.Error(), "upstream gone") {
			t.Fatalf("error %v, want the 504 and its body", err)
		}
		if n := len(c.got()); n != 4 {
			t.Fatalf("%d posts, want 4 (the attempts bound)", n)
		}
	})
	t.Run("not retryable", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 400, body: []byte("bad span")}, answer{status: 200})
		err := testExporter(c, nil).ExportSpans(context.Background(), spans)
		if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "bad span") {
			t.Fatalf("error %v, want the 400", err)
		}
		if n := len(c.got()); n != 1 {
			t.Fatalf("%d posts, want 1", n)
		}
	})
	t.Run("Retry-After seconds is waited", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 503, retryAfter: "1"}, answer{status: 200})
		if err := testExporter(c, nil).ExportSpans(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
		p := c.got()
		if len(p) != 2 {
			t.Fatalf("%d posts, want 2", len(p))
		}
		// A lower bound only: a busy machine makes the gap longer, never shorter. The
		// backoff alone would have waited 1 ms.
		if gap := p[1].arrived.Sub(p[0].arrived); gap < 900*time.Millisecond {
			t.Fatalf("retried %s after a Retry-After: 1, want ≥ 1 s", gap)
		}
	})
	t.Run("Retry-After date is waited", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 429, retryAfter: time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)}, answer{status: 200})
		if err := testExporter(c, nil).ExportSpans(context.Background(), spans); err != nil {
			t.Fatal(err)
		}
		p := c.got()
		if len(p) != 2 || p[1].arrived.Sub(p[0].arrived) < 500*time.Millisecond {
			t.Fatalf("posts %d; want 2, the second after the Retry-After date", len(p))
		}
	})
	t.Run("Retry-After beyond the limit gives up", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 503, retryAfter: "3600"}, answer{status: 200})
		err := testExporter(c, nil).ExportSpans(context.Background(), spans)
		if err == nil || !strings.Contains(err.Error(), "Retry-After") {
			t.Fatalf("error %v, want one naming Retry-After", err)
		}
		if n := len(c.got()); n != 1 {
			t.Fatalf("%d posts, want 1", n)
		}
	})
	t.Run("Retry-After beyond the export deadline gives up", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 503, retryAfter: "5"}, answer{status: 200})
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		err := testExporter(c, nil).ExportSpans(ctx, spans)
		if err == nil || !strings.Contains(err.Error(), "no time left") {
			t.Fatalf("error %v, want no time left", err)
		}
	})
	t.Run("connection refused is retried then reported", func(t *testing.T) {
		c := newCollector(t, false)
		url := c.URL
		c.Close()
		err := testExporter(c, func(ec *exporterConfig) { ec.url = url + "/v1/traces" }).ExportSpans(context.Background(), spans)
		if err == nil || !strings.Contains(err.Error(), "connect") {
			t.Fatalf("error %v, want a connection error", err)
		}
	})
	t.Run("shutdown ends a retry wait", func(t *testing.T) {
		c := newCollector(t, false, answer{status: 503, retryAfter: "9"})
		exp := testExporter(c, nil)
		done := make(chan error, 1)
		go func() { done <- exp.ExportSpans(context.Background(), spans) }()
		waitfor.Until(t, 30*time.Second, "the first post", func() bool { return len(c.got()) == 1 })
		if err := exp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err == nil || !errors.Is(err, context.Canceled) {
			t.Fatalf("export after shutdown: %v, want canceled", err)
		}
		if err := exp.ExportSpans(context.Background(), spans); err != nil || len(c.got()) != 1 {
			t.Fatalf("export after shutdown: %v, %d posts; want nothing sent", err, len(c.got()))
		}
	})
	t.Run("partial success is an error", func(t *testing.T) {
		resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{PartialSuccess: &coltracepb.ExportTracePartialSuccess{RejectedSpans: 3, ErrorMessage: "too old"}})
		c := newCollector(t, false, answer{status: 200, ctype: "application/x-protobuf", body: resp})
		err := testExporter(c, nil).ExportSpans(context.Background(), spans)
		if err == nil || !strings.Contains(err.Error(), "rejected 3 spans") || !strings.Contains(err.Error(), "too old") {
			t.Fatalf("error %v, want the partial success", err)
		}
		ok, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		c = newCollector(t, false, answer{status: 200, ctype: "application/x-protobuf", body: ok})
		if err := testExporter(c, nil).ExportSpans(context.Background(), spans); err != nil {
			t.Fatalf("empty response: %v", err)
		}
	})
}

// TestExportErrorsReachTheSDKHandler runs the exporter under the SDK's batch processor, as
// New does: a failed export lands in otel's error handler.
func TestExportErrorsReachTheSDKHandler(t *testing.T) {
	c := newCollector(t, false, answer{status: 401, body: []byte("no key")})
	var mu sync.Mutex
	var handled []error
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		handled = append(handled, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {})) })
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(testExporter(c, nil), sdktrace.WithBatchTimeout(10*time.Millisecond)))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	_, sp := tp.Tracer("t").Start(context.Background(), "s")
	sp.End()
	waitfor.Until(t, 30*time.Second, "the export error in otel's handler", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, err := range handled {
			if strings.Contains(err.Error(), "401") {
				return true
			}
		}
		return false
	})
}

func TestExporterConfigFromEnv(t *testing.T) {
	all := []string{envEndpoint, envTracesEndpoint, envHeaders, envTracesHeaders, envTimeout, envTracesTimeout,
		envCompression, envTracesCompression, envCertificate, envTracesCertificate, envClientCert, envTracesClientCert, envClientKey, envTracesClientKey}
	cfg := Settings{Endpoint: "http://file:4318/base/", Headers: map[string]string{"x-file": "1"}}
	for _, tc := range []struct {
		name    string
		env     map[string]string
		url     string
		headers map[string]string
		timeout time.Duration
		gzip    bool
		err     string
	}{
		{name: "file only", url: "http://file:4318/base/v1/traces", headers: map[string]string{"x-file": "1"}, timeout: 10 * time.Second},
		{name: "base endpoint", env: map[string]string{envEndpoint: "https://env:4318"}, url: "https://env:4318/v1/traces", headers: map[string]string{"x-file": "1"}, timeout: 10 * time.Second},
		{name: "traces endpoint as is", env: map[string]string{envEndpoint: "https://env:4318", envTracesEndpoint: "http://t:1/custom/path"}, url: "http://t:1/custom/path", headers: map[string]string{"x-file": "1"}, timeout: 10 * time.Second},
		{name: "traces endpoint without path", env: map[string]string{envTracesEndpoint: "http://t:1"}, url: "http://t:1/", headers: map[string]string{"x-file": "1"}, timeout: 10 * time.Second},
		{name: "headers replace the file's", env: map[string]string{envHeaders: "api-key=a%20b, x-two = 2 ,bad,=x"}, url: "http://file:4318/base/v1/traces", headers: map[string]string{"api-key": "a b", "x-two": "2"}, timeout: 10 * time.Second},
		{name: "traces headers win", env: map[string]string{envHeaders: "a=1", envTracesHeaders: "b=2"}, url: "http://file:4318/base/v1/traces", headers: map[string]string{"b": "2"}, timeout: 10 * time.Second},
		{name: "timeout and gzip", env: map[string]string{envTimeout: "2500", envTracesCompression: "gzip"}, url: "http://file:4318/base/v1/traces", headers: map[string]string{"x-file": "1"}, timeout: 2500 * time.Millisecond, gzip: true},
		{name: "traces timeout wins", env: map[string]string{envTimeout: "2500", envTracesTimeout: "100", envCompression: "none"}, url: "http://file:4318/base/v1/traces", headers: map[string]string{"x-file": "1"}, timeout: 100 * time.Millisecond},
		{name: "bad endpoint", env: map[string]string{envEndpoint: "collector:4318"}, err: envEndpoint},
		{name: "bad traces endpoint", env: map[string]string{envTracesEndpoint: "ftp://x"}, err: envTracesEndpoint},
		{name: "bad timeout", env: map[string]string{envTimeout: "10s"}, err: envTimeout},
		{name: "bad compression", env: map[string]string{envCompression: "zstd"}, err: envCompression},
		{name: "missing certificate", env: map[string]string{envCertificate: "/nonexistent/ca.pem"}, err: envCertificate},
		{name: "cert without key", env: map[string]string{envClientCert: "/nonexistent/c.pem"}, err: envClientKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range all {
				t.Setenv(k, tc.env[k])
			}
			ec, err := exporterConfigFrom(cfg, Service{Name: "mcp-gateway-hub", Version: "1.0"})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ec.url != tc.url || ec.timeout != tc.timeout || ec.gzip != tc.gzip || len(ec.headers) != len(tc.headers) {
				t.Fatalf("got url %s timeout %s gzip %v headers %v", ec.url, ec.timeout, ec.gzip, ec.headers)
			}
			for k, v := range tc.headers {
				if ec.headers[k] != v {
					t.Fatalf("header %s = %q, want %q (all %v)", k, ec.headers[k], v, ec.headers)
				}
			}
			if ec.userAgent != "mcp-gateway-hub/1.0" {
				t.Fatalf("user agent %q", ec.userAgent)
			}
		})
	}
}

// TestExportTLSCertificate: OTEL_EXPORTER_OTLP_CERTIFICATE makes a collector with a private
// CA trusted; without it the export fails the certificate check.
func TestExportTLSCertificate(t *testing.T) {
	c := newCollector(t, true)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{envTracesCertificate, envClientCert, envTracesClientCert, envClientKey, envTracesClientKey, envTracesEndpoint, envHeaders, envTracesHeaders, envTimeout, envTracesTimeout, envCompression, envTracesCompression} {
		t.Setenv(k, "")
	}
	t.Setenv(envEndpoint, c.URL)
	spans := richSpans(t)[:1]

	t.Setenv(envCertificate, "")
	ec, err := exporterConfigFrom(Settings{}, Service{})
	if err != nil {
		t.Fatal(err)
	}
	ec.retry.attempts = 1
	if err := newOTLPExporter(ec).ExportSpans(context.Background(), spans); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted collector: %v, want a certificate error", err)
	}

	t.Setenv(envCertificate, ca)
	if ec, err = exporterConfigFrom(Settings{}, Service{}); err != nil {
		t.Fatal(err)
	}
	if err := newOTLPExporter(ec).ExportSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	if n := len(c.got()); n != 1 {
		t.Fatalf("%d posts, want 1", n)
	}
}
