package e2e

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpReceiver is an OTLP/HTTP trace receiver: it decodes each POST /v1/traces body as the
// protobuf ExportTraceServiceRequest a collector takes, and keeps the spans.
type otlpReceiver struct {
	URL   string // base URL, as [tracing] endpoint or OTEL_EXPORTER_OTLP_ENDPOINT takes it
	mu    sync.Mutex
	spans []gotSpan
	posts int
}

// gotSpan is one received span, ids in hex.
type gotSpan struct {
	service, name             string
	trace, span, parent, kind string
	attrs                     map[string]string
}

func startOTLP(t *testing.T) *otlpReceiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &otlpReceiver{URL: "http://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.serve)
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return r
}

func (r *otlpReceiver) serve(w http.ResponseWriter, req *http.Request) {
	var body io.Reader = req.Body
	if req.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var ex coltracepb.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &ex); err != nil {
		http.Error(w, "not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	var got []gotSpan
	for _, rs := range ex.ResourceSpans {
		service := ""
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.Key == "service.name" {
				service = kv.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				g := gotSpan{service: service, name: sp.Name, trace: hex.EncodeToString(sp.TraceId),
					span: hex.EncodeToString(sp.SpanId), parent: hex.EncodeToString(sp.ParentSpanId),
					kind: sp.Kind.String(), attrs: map[string]string{}}
				for _, kv := range sp.Attributes {
					g.attrs[kv.Key] = kv.GetValue().GetStringValue()
				}
				got = append(got, g)
			}
		}
	}
	r.mu.Lock()
	r.posts++
	r.spans = append(r.spans, got...)
	r.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// trace returns the spans received so far of one trace.
func (r *otlpReceiver) trace(id string) []gotSpan {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []gotSpan
	for _, s := range r.spans {
		if s.trace == id {
			out = append(out, s)
		}
	}
	return out
}

func (r *otlpReceiver) received() (posts, spans int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.posts, len(r.spans)
}
