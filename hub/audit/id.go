package audit

import (
	"crypto/sha256"
	"encoding/hex"
	randv2 "math/rand/v2"
	"strings"
	"time"

	"github.com/mcp-gateway/mcp-gateway/shared/tracing"
)

// crockford is Crockford's base32 alphabet: no I, L, O or U, so IDs read back unambiguously.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a 26-character event ID: 48 bits of Unix milliseconds then 80 random bits,
// in Crockford base32 (the ULID layout). IDs sort by time to the millisecond, and the random
// part keeps IDs from several hubs apart (a collision needs 2^40 events in one millisecond).
func NewID(t time.Time) string {
	var b [16]byte
	putMillis(&b, t)
	// The runtime's ChaCha8 generator: unpredictable enough for uniqueness, and no syscall.
	hi, lo := randv2.Uint64(), randv2.Uint64()
	for i := range 8 {
		b[6+i] = byte(hi >> (56 - 8*i))
	}
	b[14], b[15] = byte(lo>>8), byte(lo)
	return encodeBase32(b)
}

// encodeBase32 writes 128 bits as 26 base32 digits, most significant first (the first digit
// carries the top 3 bits, which keeps text order equal to numeric order).
func encodeBase32(b [16]byte) string {
	var out [26]byte
	hi := uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
	lo := uint64(b[8])<<56 | uint64(b[9])<<48 | uint64(b[10])<<40 | uint64(b[11])<<32 |
		uint64(b[12])<<24 | uint64(b[13])<<16 | uint64(b[14])<<8 | uint64(b[15])
	for i := 25; i >= 0; i-- {
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Hash is the hex SHA-256 of raw, or "" for an empty payload.
func Hash(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	sum := sha256.Sum256(raw)
	var h [2 * sha256.Size]byte
	hex.Encode(h[:], sum[:])
	return string(h[:]) // one allocation, where hex.EncodeToString makes two
}

// TraceID returns the trace id of a W3C traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"),
// so the audit row joins the caller's trace; without a valid one it returns a new random id.
func TraceID(traceparent string) string {
	// The first four of the '-'-separated parts, without strings.Split's slice: most calls
	// come without a traceparent, and each paid for one.
	version, rest, ok1 := strings.Cut(strings.TrimSpace(traceparent), "-")
	id, rest, ok2 := strings.Cut(rest, "-")
	span, rest, ok3 := strings.Cut(rest, "-")
	flags, _, _ := strings.Cut(rest, "-")
	if ok1 && ok2 && ok3 && len(version) == 2 && version != "ff" && isHex(version) &&
		len(id) == 32 && isHex(id) && strings.Trim(id, "0") != "" &&
		len(span) == 16 && isHex(span) && len(flags) == 2 && isHex(flags) {
		return id
	}
	return NewTraceID(time.Now())
}

// NewTraceID returns a trace id made at t for a call whose client sent none, in the W3C trace-id form
// (16 bytes, lowercase hex): 48 bits of Unix milliseconds then 80 random bits, as in NewID
// (AWS X-Ray ids likewise start with the time). Most calls carry no traceparent, so most
// trace ids are made here, and the store's trace_id index takes them in time order: an
// append at the end of the index instead of a row at a random place, which dirtied one
// index page per event (a WAL frame, a checkpoint write and, once the index outgrows the
// page cache, a read): ≈ 10 µs of the hub's CPU per event (docs/BENCHMARKS.md, Audit).
// The hub does not send these ids to backends; the audit event they are in carries its time
// anyway.
func NewTraceID(t time.Time) string { return tracing.TimeOrderedTraceID(t).String() }

// putMillis writes t's Unix milliseconds as the first 48 bits of b, big-endian: the prefix
// that makes event ids and made trace ids sort by time.
func putMillis(b *[16]byte, t time.Time) {
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
}

// isHex accepts lowercase hex only, as W3C Trace Context requires.
func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
