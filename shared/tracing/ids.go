package tracing

import (
	"context"
	"encoding/binary"
	randv2 "math/rand/v2"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// timeOrderedIDs makes trace ids whose first 48 bits are the Unix milliseconds and whose
// other 80 bits are random, as the hub's audit trace ids are (TimeOrderedTraceID): the
// audit row of a call carries the call's trace id, and ids made in time order are appended
// at the end of the store's trace_id index instead of at a random page. The low 64 bits,
// which the SDK's ratio sampler reads, stay random. Span ids are random.
type timeOrderedIDs struct{}

func (timeOrderedIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	return TimeOrderedTraceID(time.Now()), newSpanID()
}

// TimeOrderedTraceID returns a trace id made at t: t's Unix milliseconds in the first 48
// bits, big-endian, then 80 random bits. The hub's audit makes the trace ids of untraced
// calls with it too, so both kinds sort by time in the store's trace_id index.
func TimeOrderedTraceID(t time.Time) trace.TraceID {
	var tid trace.TraceID
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		tid[i] = byte(ms >> (40 - 8*i))
	}
	// The runtime's ChaCha8 generator: no syscall, and unpredictable enough for ids.
	binary.BigEndian.PutUint16(tid[6:8], uint16(randv2.Uint32()))
	binary.BigEndian.PutUint64(tid[8:], randv2.Uint64())
	return tid
}

func (timeOrderedIDs) NewSpanID(context.Context, trace.TraceID) trace.SpanID { return newSpanID() }

func newSpanID() trace.SpanID {
	var sid trace.SpanID
	for {
		binary.BigEndian.PutUint64(sid[:], randv2.Uint64())
		if sid.IsValid() {
			return sid
		}
	}
}
