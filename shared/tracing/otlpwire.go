package tracing

import (
	"math"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file writes an OTLP ExportTraceServiceRequest
// (opentelemetry/proto/collector/trace/v1/trace_service.proto) in protobuf binary by hand,
// so that the binaries need neither the generated OTLP types nor gRPC. The field numbers
// are those of opentelemetry-proto v1; the test decodes the output with the official types.

// Field numbers, by message.
const (
	fReqResourceSpans = 1 // ExportTraceServiceRequest

	fRSResource   = 1 // ResourceSpans
	fRSScopeSpans = 2
	fRSSchemaURL  = 3

	fResAttributes = 1 // Resource
	fResDropped    = 2

	fSSScope     = 1 // ScopeSpans
	fSSSpans     = 2
	fSSSchemaURL = 3

	fScopeName       = 1 // InstrumentationScope
	fScopeVersion    = 2
	fScopeAttributes = 3

	fSpanTraceID       = 1 // Span
	fSpanSpanID        = 2
	fSpanTraceState    = 3
	fSpanParentSpanID  = 4
	fSpanName          = 5
	fSpanKind          = 6
	fSpanStart         = 7
	fSpanEnd           = 8
	fSpanAttributes    = 9
	fSpanDroppedAttrs  = 10
	fSpanEvents        = 11
	fSpanDroppedEvents = 12
	fSpanLinks         = 13
	fSpanDroppedLinks  = 14
	fSpanStatus        = 15
	fSpanFlags         = 16

	fEventTime       = 1 // Span.Event
	fEventName       = 2
	fEventAttributes = 3
	fEventDropped    = 4

	fLinkTraceID    = 1 // Span.Link
	fLinkSpanID     = 2
	fLinkTraceState = 3
	fLinkAttributes = 4
	fLinkDropped    = 5
	fLinkFlags      = 6

	fStatusMessage = 2 // Status (1 is deprecated)
	fStatusCode    = 3

	fKVKey   = 1 // KeyValue
	fKVValue = 2

	fAnyString = 1 // AnyValue
	fAnyBool   = 2
	fAnyInt    = 3
	fAnyDouble = 4
	fAnyArray  = 5
	fAnyKVList = 6
	fAnyBytes  = 7

	fListValues = 1 // ArrayValue and KeyValueList

	// SpanFlags: bits 0-7 are the W3C trace flags; 8 says bit 9 is known; 9 is "the
	// parent (of a span) or the linked span (of a link) is remote".
	flagHasIsRemote = 0x100
	flagIsRemote    = 0x200

	// Status.StatusCode, which numbers Ok and Error the other way round from codes.Code.
	statusOk    = 1
	statusError = 2
)

// encodeRequest appends the ExportTraceServiceRequest of spans to b: one ResourceSpans per
// resource, one ScopeSpans per instrumentation scope within it, in the order first seen.
func encodeRequest(b []byte, spans []sdktrace.ReadOnlySpan) []byte {
	type scopeGroup struct {
		scope instrumentation.Scope
		spans []sdktrace.ReadOnlySpan
	}
	type resGroup struct {
		res    *resource.Resource
		scopes []*scopeGroup
		byKey  map[instrumentation.Scope]*scopeGroup
	}
	var groups []*resGroup
	byRes := map[attribute.Distinct]*resGroup{}
	for _, s := range spans {
		res := s.Resource()
		key := res.Equivalent() // nil-safe: the empty set's
		g := byRes[key]
		if g == nil {
			g = &resGroup{res: res, byKey: map[instrumentation.Scope]*scopeGroup{}}
			byRes[key] = g
			groups = append(groups, g)
		}
		sc := s.InstrumentationScope()
		sg := g.byKey[sc]
		if sg == nil {
			sg = &scopeGroup{scope: sc}
			g.byKey[sc] = sg
			g.scopes = append(g.scopes, sg)
		}
		sg.spans = append(sg.spans, s)
	}
	for _, g := range groups {
		b = appendMessage(b, fReqResourceSpans, func(b []byte) []byte {
			b = appendMessage(b, fRSResource, func(b []byte) []byte {
				if g.res == nil {
					return b
				}
				iter := g.res.Iter()
				for iter.Next() {
					b = appendKeyValue(b, fResAttributes, iter.Attribute())
				}
				return b
			})
			for _, sg := range g.scopes {
				b = appendMessage(b, fRSScopeSpans, func(b []byte) []byte {
					b = appendMessage(b, fSSScope, func(b []byte) []byte {
						b = appendString(b, fScopeName, sg.scope.Name)
						b = appendString(b, fScopeVersion, sg.scope.Version)
						iter := sg.scope.Attributes.Iter()
						for iter.Next() {
							b = appendKeyValue(b, fScopeAttributes, iter.Attribute())
						}
						return b
					})
					for _, s := range sg.spans {
						b = appendMessage(b, fSSSpans, func(b []byte) []byte { return appendSpan(b, s) })
					}
					return appendString(b, fSSSchemaURL, sg.scope.SchemaURL)
				})
			}
			if g.res != nil {
				b = appendString(b, fRSSchemaURL, g.res.SchemaURL())
			}
			return b
		})
	}
	return b
}

func appendSpan(b []byte, s sdktrace.ReadOnlySpan) []byte {
	sc := s.SpanContext()
	tid, sid := sc.TraceID(), sc.SpanID()
	b = appendBytes(b, fSpanTraceID, tid[:])
	b = appendBytes(b, fSpanSpanID, sid[:])
	b = appendString(b, fSpanTraceState, sc.TraceState().String())
	if p := s.Parent(); p.SpanID().IsValid() {
		pid := p.SpanID()
		b = appendBytes(b, fSpanParentSpanID, pid[:])
	}
	b = appendString(b, fSpanName, s.Name())
	b = appendVarint(b, fSpanKind, uint64(spanKind(s.SpanKind())))
	b = appendTime(b, fSpanStart, s.StartTime().UnixNano(), s.StartTime().IsZero())
	b = appendTime(b, fSpanEnd, s.EndTime().UnixNano(), s.EndTime().IsZero())
	for _, kv := range s.Attributes() {
		b = appendKeyValue(b, fSpanAttributes, kv)
	}
	b = appendVarint(b, fSpanDroppedAttrs, uint64(s.DroppedAttributes()))
	for _, e := range s.Events() {
		b = appendMessage(b, fSpanEvents, func(b []byte) []byte {
			b = appendTime(b, fEventTime, e.Time.UnixNano(), e.Time.IsZero())
			b = appendString(b, fEventName, e.Name)
			for _, kv := range e.Attributes {
				b = appendKeyValue(b, fEventAttributes, kv)
			}
			return appendVarint(b, fEventDropped, uint64(e.DroppedAttributeCount))
		})
	}
	b = appendVarint(b, fSpanDroppedEvents, uint64(s.DroppedEvents()))
	for _, l := range s.Links() {
		b = appendMessage(b, fSpanLinks, func(b []byte) []byte {
			ltid, lsid := l.SpanContext.TraceID(), l.SpanContext.SpanID()
			b = appendBytes(b, fLinkTraceID, ltid[:])
			b = appendBytes(b, fLinkSpanID, lsid[:])
			b = appendString(b, fLinkTraceState, l.SpanContext.TraceState().String())
			for _, kv := range l.Attributes {
				b = appendKeyValue(b, fLinkAttributes, kv)
			}
			b = appendVarint(b, fLinkDropped, uint64(l.DroppedAttributeCount))
			return appendFixed32(b, fLinkFlags, spanFlags(l.SpanContext))
		})
	}
	b = appendVarint(b, fSpanDroppedLinks, uint64(s.DroppedLinks()))
	st := s.Status()
	b = appendMessage(b, fSpanStatus, func(b []byte) []byte {
		code := 0
		switch st.Code {
		case codes.Ok:
			code = statusOk
		case codes.Error:
			code = statusError
		}
		b = appendString(b, fStatusMessage, st.Description)
		return appendVarint(b, fStatusCode, uint64(code))
	})
	// The span's own trace flags, and whether its parent is remote.
	flags := uint32(sc.TraceFlags()) | flagHasIsRemote
	if s.Parent().IsRemote() {
		flags |= flagIsRemote
	}
	return appendFixed32(b, fSpanFlags, flags)
}

// spanFlags is a link's flags: the linked span's trace flags and whether it is remote.
func spanFlags(sc trace.SpanContext) uint32 {
	f := uint32(sc.TraceFlags()) | flagHasIsRemote
	if sc.IsRemote() {
		f |= flagIsRemote
	}
	return f
}

// spanKind maps the API's kind to OTLP's (the same numbers, but the API's are not a
// promise).
func spanKind(k trace.SpanKind) int {
	switch k {
	case trace.SpanKindInternal:
		return 1
	case trace.SpanKindServer:
		return 2
	case trace.SpanKindClient:
		return 3
	case trace.SpanKindProducer:
		return 4
	case trace.SpanKindConsumer:
		return 5
	}
	return 0
}

func appendKeyValue(b []byte, field protowire.Number, kv attribute.KeyValue) []byte {
	return appendMessage(b, field, func(b []byte) []byte {
		b = appendString(b, fKVKey, string(kv.Key))
		return appendMessage(b, fKVValue, func(b []byte) []byte { return appendAnyValue(b, kv.Value) })
	})
}

// appendAnyValue writes the fields of an AnyValue. A oneof member is written even when it
// is its type's zero value: its presence is what says the type.
func appendAnyValue(b []byte, v attribute.Value) []byte {
	switch v.Type() {
	case attribute.STRING:
		b = protowire.AppendTag(b, fAnyString, protowire.BytesType)
		return protowire.AppendString(b, v.AsString())
	case attribute.BOOL:
		b = protowire.AppendTag(b, fAnyBool, protowire.VarintType)
		return protowire.AppendVarint(b, protowire.EncodeBool(v.AsBool()))
	case attribute.INT64:
		b = protowire.AppendTag(b, fAnyInt, protowire.VarintType)
		return protowire.AppendVarint(b, uint64(v.AsInt64()))
	case attribute.FLOAT64:
		b = protowire.AppendTag(b, fAnyDouble, protowire.Fixed64Type)
		return protowire.AppendFixed64(b, math.Float64bits(v.AsFloat64()))
	case attribute.BYTESLICE:
		b = protowire.AppendTag(b, fAnyBytes, protowire.BytesType)
		return protowire.AppendBytes(b, v.AsByteSlice())
	case attribute.BOOLSLICE:
		return appendArray(b, len(v.AsBoolSlice()), func(i int) attribute.Value { return attribute.BoolValue(v.AsBoolSlice()[i]) })
	case attribute.INT64SLICE:
		s := v.AsInt64Slice()
		return appendArray(b, len(s), func(i int) attribute.Value { return attribute.Int64Value(s[i]) })
	case attribute.FLOAT64SLICE:
		s := v.AsFloat64Slice()
		return appendArray(b, len(s), func(i int) attribute.Value { return attribute.Float64Value(s[i]) })
	case attribute.STRINGSLICE:
		s := v.AsStringSlice()
		return appendArray(b, len(s), func(i int) attribute.Value { return attribute.StringValue(s[i]) })
	case attribute.SLICE:
		s := v.AsSlice()
		return appendArray(b, len(s), func(i int) attribute.Value { return s[i] })
	case attribute.MAP:
		m := v.AsMap()
		return appendMessage(b, fAnyKVList, func(b []byte) []byte {
			for _, kv := range m {
				b = appendKeyValue(b, fListValues, kv)
			}
			return b
		})
	}
	return b // EMPTY: an AnyValue with no member
}

func appendArray(b []byte, n int, at func(int) attribute.Value) []byte {
	return appendMessage(b, fAnyArray, func(b []byte) []byte {
		for i := range n {
			b = appendMessage(b, fListValues, func(b []byte) []byte { return appendAnyValue(b, at(i)) })
		}
		return b
	})
}

// appendMessage writes a length-delimited embedded message: fill appends its fields, and
// the length prefix is put in front of them afterwards (moving them once).
func appendMessage(b []byte, field protowire.Number, fill func([]byte) []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	start := len(b)
	b = fill(b)
	n := len(b) - start
	size := protowire.SizeVarint(uint64(n))
	b = append(b, make([]byte, size)...)
	copy(b[start+size:], b[start:start+n])
	protowire.AppendVarint(b[start:start], uint64(n))
	return b
}

// The scalar writers leave out a proto3 field at its zero value, as a proto encoder does.

func appendString(b []byte, field protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, field protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendVarint(b []byte, field protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendFixed32(b []byte, field protowire.Number, v uint32) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.Fixed32Type)
	return protowire.AppendFixed32(b, v)
}

// appendTime writes a fixed64 Unix time in nanoseconds; the zero time.Time is 0 (unset).
func appendTime(b []byte, field protowire.Number, nanos int64, zero bool) []byte {
	if zero || nanos <= 0 {
		return b
	}
	b = protowire.AppendTag(b, field, protowire.Fixed64Type)
	return protowire.AppendFixed64(b, uint64(nanos))
}
