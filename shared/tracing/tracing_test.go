package tracing

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

const (
	clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	clientSpan  = "00f067aa0ba902b7"
	clientTP    = "00-" + clientTrace + "-" + clientSpan + "-01"
)

func TestOffWithoutEndpoint(t *testing.T) {
	for _, k := range []string{envEndpoint, envTracesEndpoint, envSDKDisabled, envTracesExporter} {
		t.Setenv(k, "")
	}
	tr, err := New(context.Background(), Settings{}, Service{Name: "x"})
	if tr != nil || err != nil {
		t.Fatalf("no endpoint: got %v, %v; want nil, nil", tr, err)
	}
	if err := tr.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envEndpoint, "http://127.0.0.1:4318")
	if !(Settings{}).Enabled() {
		t.Fatal("OTEL_EXPORTER_OTLP_ENDPOINT set: tracing should be on")
	}
	t.Setenv(envSDKDisabled, "true")
	if (Settings{Endpoint: "http://127.0.0.1:4318"}).Enabled() {
		t.Fatal("OTEL_SDK_DISABLED=true: tracing should be off")
	}
}

func TestValidate(t *testing.T) {
	half, over := 0.5, 1.5
	for _, tc := range []struct {
		cfg  Settings
		want string
	}{
		{Settings{}, ""},
		{Settings{Endpoint: "https://otel.example.com:4318", SampleRatio: &half}, ""},
		{Settings{Endpoint: "127.0.0.1:4318"}, "tracing.endpoint"},
		{Settings{Endpoint: "ftp://x"}, "tracing.endpoint"},
		{Settings{SampleRatio: &over}, "tracing.sample_ratio"},
	} {
		err := tc.cfg.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: got %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestExtractPrefersMeta(t *testing.T) {
	other := "00-" + strings.Repeat("1", 32) + "-" + strings.Repeat("2", 16) + "-01"
	h := http.Header{}
	h.Set("Traceparent", other)
	for _, tc := range []struct {
		name   string
		params string
		header http.Header
		want   string
	}{
		{"meta", `{"name":"t","_meta":{"traceparent":"` + clientTP + `"}}`, h, clientTrace},
		{"header", `{"name":"t"}`, h, strings.Repeat("1", 32)},
		{"invalid meta falls back to the header", `{"_meta":{"traceparent":"00-zz-zz-01"}}`, h, strings.Repeat("1", 32)},
		{"all-zero trace id", `{"_meta":{"traceparent":"00-` + strings.Repeat("0", 32) + `-` + clientSpan + `-01"}}`, nil, ""},
		{"none", `{}`, nil, ""},
	} {
		sc := trace.SpanContextFromContext(Extract(context.Background(), []byte(tc.params), tc.header))
		got := ""
		if sc.IsValid() {
			got = sc.TraceID().String()
		}
		if got != tc.want {
			t.Errorf("%s: trace id %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSetMeta(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, `{"_meta":{"traceparent":"P"}}`},
		{`{"name":"t"}`, `{"name":"t","_meta":{"traceparent":"P"}}`},
		{`{"name":"t","_meta":{"traceparent":"old","progressToken":1}}`, `{"name":"t","_meta":{"progressToken":1,"traceparent":"P"}}`},
	} {
		out, err := SetMeta([]byte(tc.in), "P", "")
		if err != nil || string(out) != tc.want {
			t.Errorf("SetMeta(%s) = %s, %v; want %s", tc.in, out, err, tc.want)
		}
	}
	if out, _ := SetMeta([]byte(`{"a":1}`), "", ""); string(out) != `{"a":1}` {
		t.Errorf("no parent: params changed to %s", out)
	}
	if _, err := SetMeta([]byte(`[1]`), "P", ""); err == nil {
		t.Error("params not an object: no error")
	}
}

// FuzzPropagation feeds arbitrary params and headers through Extract, then Inject and
// SetMeta as the hub does: nothing panics, a kept trace id is the one the input named, and
// the rewritten params still carry it.
func FuzzPropagation(f *testing.F) {
	f.Add([]byte(`{"_meta":{"traceparent":"`+clientTP+`","tracestate":"k=v"}}`), "")
	f.Add([]byte(`{"name":"t"}`), clientTP)
	f.Add([]byte(`{"_meta":{"traceparent":"ff-`+clientTrace+`-`+clientSpan+`-01"}}`), "00-x")
	f.Add([]byte(`{"_meta":"x"}`), "00-"+clientTrace+"-"+clientSpan+"-01-extra")
	f.Add([]byte(`{"_meta":{"traceparent":"\u0030\u0030-`+clientTrace+`-`+clientSpan+`-01"}}`), "")
	f.Fuzz(func(t *testing.T, params []byte, header string) {
		h := http.Header{}
		h.Set("Traceparent", header)
		ctx := Extract(context.Background(), params, h)
		sc := trace.SpanContextFromContext(ctx)
		if !sc.IsValid() {
			return
		}
		id := sc.TraceID().String()
		meta, _ := mcp.Field(params, "_meta")
		sent, _ := mcp.StringField(meta, KeyParent)
		if !strings.Contains(sent, id) && !strings.Contains(header, id) {
			t.Fatalf("trace id %s comes from neither _meta.traceparent %q nor the header %q", id, sent, header)
		}
		parent, state := Inject(ctx)
		out, err := SetMeta(params, parent, state)
		if err != nil {
			return // params not an object: the caller forwards them unchanged
		}
		back := trace.SpanContextFromContext(Extract(context.Background(), out, nil))
		if back.TraceID() != sc.TraceID() {
			t.Fatalf("after SetMeta the params carry trace %s, want %s (params %q)", back.TraceID(), sc.TraceID(), out)
		}
	})
}
