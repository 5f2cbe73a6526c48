// Package audit records every call, denial and admin change durably: Record appends the event
// to a checksummed journal on disk before it returns, a background shipper batches the journal
// into the store, and a restart replays what was not yet stored. It also redacts payloads.
package audit

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mcp-gateway/mcp-gateway/hub/store"
)

var (
	// ErrFull: more than QueueSize events are waiting for the store. In refuse mode the
	// gateway refuses new calls (Admit) rather than run them unaudited.
	ErrFull = errors.New("audit: queue full (events are not reaching the store)")
	// ErrClosed: the Recorder is closed.
	ErrClosed = errors.New("audit: recorder closed")
	// ErrJournalInUse: another process (another hub on the same data directory) holds the
	// journal. Each hub needs a data directory of its own, even when they share PostgreSQL.
	ErrJournalInUse = errors.New("audit: journal directory in use by another process")
)

// Config configures a Recorder. Zero values take the documented defaults.
type Config struct {
	// Dir holds the journal; created with mode 0700. One Recorder per directory.
	Dir string
	// Store receives the events.
	Store store.Audit
	// QueueSize bounds the events recorded but not yet stored. Default 100000.
	QueueSize int
	// Drop, when the queue is full, drops events (Record returns ErrFull, Admit keeps
	// admitting) instead of refusing calls. Default false: refuse.
	Drop bool
	// AllowUnjournaled, when the journal cannot be written (disk full, I/O error), admits
	// calls anyway: their events are lost (Record returns ErrUnaudited, counted in
	// Stats().Lost). Default false: Admit refuses calls with ErrJournal until a probe finds
	// the journal writable again ([audit] on_failure = "refuse").
	AllowUnjournaled bool
	// ReserveBytes is the space held in Dir (a file named "reserve") and released when a
	// journal write fails, so that the events of calls already running still land. Default
	// 4 MiB; negative: none.
	ReserveBytes int64
	// ProbeInterval is how often, while the journal cannot be written, Health tries it
	// again. Default 1s.
	ProbeInterval time.Duration
	// Fsync makes Record wait for fdatasync, so events survive a power cut, not only a
	// crash of the process. Concurrent Records share one sync.
	Fsync bool
	// RetainFor deletes events older than this from the store. 0 keeps them forever.
	RetainFor time.Duration
	// RetentionInterval is how often retention runs. Default 1h.
	RetentionInterval time.Duration
	// MaxPayloadBytes bounds a redacted payload (and the Error and Detail fields). Default 4096.
	MaxPayloadBytes int
	// RedactKeys and RedactPatterns add to the built-in redaction (see Redactor).
	RedactKeys     []string
	RedactPatterns []string
	// BatchSize bounds one InsertAudit. Default 500.
	BatchSize int
	// BatchDelay is how long the shipper lets a batch gather after a Record wakes it
	// (unless BatchSize events are already waiting). Default 200ms: events are durable in
	// the journal already, and the store's cost per event falls steeply with the batch
	// (docs/BENCHMARKS.md, Audit; at 1,000 calls/s 200 ms gathers ≈ 200 events where 50 ms
	// gathered ≈ 50); Sync does not wait for it.
	BatchDelay time.Duration
	// FlushInterval is how often the shipper looks at the journal when not woken by a
	// Record. Default 1s.
	FlushInterval time.Duration
	// SegmentBytes rotates the journal file at this size. Default 16 MiB.
	SegmentBytes int64
	// CloseTimeout bounds the final flush in Close. Default 10s.
	CloseTimeout time.Duration
	// MemoryQueueBytes bounds the journaled events (by their journal size) that the shipper
	// takes from memory instead of reading them back from the journal. Past it the shipper
	// reads the journal, which stays the durable copy either way. Default 16 MiB; negative:
	// no memory queue (the shipper always reads the journal).
	MemoryQueueBytes int64
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.QueueSize, 100000)
	def(&c.MaxPayloadBytes, 4096)
	def(&c.BatchSize, 500)
	defDur(&c.RetentionInterval, time.Hour)
	defDur(&c.FlushInterval, time.Second)
	defDur(&c.BatchDelay, 200*time.Millisecond)
	defDur(&c.CloseTimeout, 10*time.Second)
	defDur(&c.ProbeInterval, time.Second)
	if c.ReserveBytes == 0 {
		c.ReserveBytes = 4 << 20
	}
	if c.SegmentBytes == 0 {
		c.SegmentBytes = 16 << 20
	}
	if c.MemoryQueueBytes == 0 {
		c.MemoryQueueBytes = defaultMemQueueBytes
	}
}

func (c *Config) validate() error {
	switch {
	case c.Dir == "":
		return errors.New("audit: Dir is empty")
	case c.Store == nil:
		return errors.New("audit: Store is nil")
	case c.QueueSize < 0 || c.MaxPayloadBytes < 0 || c.BatchSize < 0 || c.SegmentBytes < 0:
		return errors.New("audit: QueueSize, MaxPayloadBytes, BatchSize and SegmentBytes must not be negative")
	case c.RetainFor < 0 || c.RetentionInterval < 0 || c.FlushInterval < 0 || c.BatchDelay < 0 || c.CloseTimeout < 0:
		return errors.New("audit: durations must not be negative")
	}
	return nil
}

// Recorder is the audit trail's writer. Record is safe for concurrent use.
type Recorder struct {
	cfg   Config
	log   *slog.Logger
	red   *Redactor
	j     *journal
	mem   *memQueue     // the journal's writes for the shipper; nil when off
	lock  *os.File      // held for the Recorder's life
	limit int64         // Record refuses at this many pending events
	kick  chan struct{} // a Record: ship after BatchDelay
	flush chan struct{} // a Sync: ship now
	done  chan struct{}

	closed                                            atomic.Bool
	pending                                           atomic.Int64 // in the journal, not yet stored
	recorded, stored, full, corrupt, replayed, failed atomic.Int64
	refusedJournal, refusedFull, lost, readBack       atomic.Int64
	health                                            health

	shipMu sync.Mutex // the shipper's state below
	pos    readPos
	rfile  *os.File
	rseg   *segment
	br     *bufio.Reader      // reused across reads of the journal
	batch  []store.AuditEvent // what collect fills, reused from one batch to the next
}

// Open opens the journal in cfg.Dir and replays into the store whatever an earlier run left
// unstored (after a crash); it fails if that replay fails. Call Run to ship and Close to stop.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*Recorder, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	red, err := NewRedactor(cfg.RedactKeys, cfg.RedactPatterns, cfg.MaxPayloadBytes)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	j, err := openJournal(cfg.Dir, cfg.Fsync, cfg.SegmentBytes)
	if err != nil {
		lock.Close()
		return nil, err
	}
	r := &Recorder{cfg: cfg, log: log, red: red, j: j, lock: lock, kick: make(chan struct{}, 1),
		flush: make(chan struct{}, 1), done: make(chan struct{})}
	if err := writeReserve(cfg.Dir, cfg.ReserveBytes); err != nil {
		r.journalFailed(err) // start refusing calls; a probe retries
	}
	j.failed = r.journalFailed
	if cfg.MemoryQueueBytes > 0 {
		r.mem = &memQueue{limit: cfg.MemoryQueueBytes}
		j.mem = r.mem
	}
	r.limit = int64(cfg.QueueSize)
	if !cfg.Drop {
		// Calls admitted just before the queue filled may still record their events.
		r.limit += int64(cfg.QueueSize/8) + 1
	}
	n, err := r.drain(ctx)
	if err != nil {
		j.close()
		if r.rfile != nil {
			r.rfile.Close()
		}
		lock.Close()
		return nil, fmt.Errorf("audit: replay journal in %s: %w", cfg.Dir, err)
	}
	r.pending.Store(0)
	r.stored.Store(0)
	r.replayed.Store(n)
	if n > 0 {
		log.Info("audit: replayed journal", "records", n, "corrupt", r.corrupt.Load(), "dir", cfg.Dir)
	}
	return r, nil
}

// Redactor is the Recorder's redactor, built from the configured rules.
func (r *Recorder) Redactor() *Redactor { return r.red }

// Admit reports whether a new call may proceed: ErrJournal when the journal cannot be
// written (unless AllowUnjournaled), ErrFull when the queue is full and the Recorder refuses
// rather than drops, ErrClosed after Close, else nil. Refusals are counted (Stats).
func (r *Recorder) Admit() error {
	if r.closed.Load() {
		return ErrClosed
	}
	if !r.cfg.AllowUnjournaled {
		if err := r.Health(); err != nil {
			r.refusedJournal.Add(1)
			return err
		}
	}
	if !r.cfg.Drop && r.pending.Load() >= int64(r.cfg.QueueSize) {
		r.refusedFull.Add(1)
		return ErrFull
	}
	return nil
}

// Record makes ev durable in the journal and returns once it is (written to the file; also
// synced with Fsync). It fills in ev.ID and ev.Time when empty, truncates Error and Detail,
// and redacts secrets in Error. Request and Response must already be redacted (Payload).
// When Record returns an error the event is not recorded.
func (r *Recorder) Record(ev *store.AuditEvent) error {
	if r.closed.Load() {
		return ErrClosed
	}
	if r.pending.Load() >= r.limit {
		r.full.Add(1)
		return ErrFull
	}
	if ev.Kind == "" {
		return errors.New("audit: record: event kind is empty")
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	ev.Time = ev.Time.UTC()
	if ev.ID == "" {
		ev.ID = NewID(ev.Time)
	}
	r.bound(ev)
	bp := recordBufs.Get().(*[]byte)
	buf, err := appendRecord((*bp)[:0], ev)
	if err == nil {
		err = r.j.append(buf, ev)
	}
	*bp = buf[:0]
	recordBufs.Put(bp)
	if err != nil {
		if errors.Is(err, errJournalClosed) {
			return ErrClosed
		}
		r.failed.Add(1)
		if r.cfg.AllowUnjournaled {
			r.lost.Add(1)
			return fmt.Errorf("%w: %w: record %s: %w", ErrUnaudited, ErrJournal, ev.ID, err)
		}
		return fmt.Errorf("%w: record %s: %w", ErrJournal, ev.ID, err)
	}
	r.pending.Add(1)
	r.recorded.Add(1)
	select {
	case r.kick <- struct{}{}:
	default:
	}
	return nil
}

var recordBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// maxFieldBytes bounds each short field of an event (names, ids, the action and target).
const maxFieldBytes = 512

// bound keeps one record's size in check whatever the caller passes.
func (r *Recorder) bound(ev *store.AuditEvent) {
	if ev.Error != "" {
		ev.Error = truncateText(r.red.Text(ev.Error), r.cfg.MaxPayloadBytes)
	}
	// Names and ids come from callers too (a login's user name is whatever was sent):
	// none may carry a payload past the bounds.
	for _, f := range []*string{&ev.Kind, &ev.UserID, &ev.KeyID, &ev.Caller, &ev.Role, &ev.Application,
		&ev.Agent, &ev.Backend, &ev.Tool, &ev.Risk, &ev.Decision, &ev.Rule, &ev.Status, &ev.TraceID,
		&ev.RequestHash, &ev.ResponseHash, &ev.Action, &ev.Target} {
		if len(*f) > maxFieldBytes {
			*f = truncateText(*f, maxFieldBytes-len("…")) + "…"
		}
	}
	limit := 2*r.cfg.MaxPayloadBytes + 1024 // a redacted payload may exceed Max by escaping
	for _, f := range []*string{&ev.Request, &ev.Response, &ev.Detail} {
		if len(*f) > limit {
			*f = truncated(len(*f), []byte(*f), r.cfg.MaxPayloadBytes)
		}
	}
	// The shipper stores this event as it is in memory, or as decoded from the journal after
	// a restart: both must be the same, so invalid UTF-8 becomes U+FFFD here, byte by byte,
	// as the journal's encoder writes it.
	for _, f := range []*string{&ev.Kind, &ev.UserID, &ev.KeyID, &ev.Caller, &ev.Role, &ev.Application,
		&ev.Agent, &ev.Backend, &ev.Tool, &ev.Risk, &ev.Decision, &ev.Rule, &ev.Status, &ev.Error,
		&ev.TraceID, &ev.RequestHash, &ev.ResponseHash, &ev.Request, &ev.Response, &ev.Action,
		&ev.Target, &ev.Detail} {
		if !utf8.ValidString(*f) {
			*f = validUTF8(*f)
		}
	}
}

// validUTF8 replaces each byte of s that is not part of valid UTF-8 with U+FFFD.
func validUTF8(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Payload returns the hash of raw (a request or a response, as it came) and its redacted
// form, as an event's RequestHash and Request (or ResponseHash and Response) keep them.
// raw may be nil.
func (r *Recorder) Payload(raw []byte) (hash, redacted string) {
	return Hash(raw), r.red.Payload(raw)
}

// Stats are counters since Open.
type Stats struct {
	Recorded int64 // events Record accepted
	Stored   int64 // events shipped to the store
	Pending  int64 // in the journal, not yet stored
	Full     int64 // Records refused with ErrFull
	Failed   int64 // Records that failed to write the journal
	Lost     int64 // of those, events of calls let through by AllowUnjournaled
	// RefusedJournal and RefusedFull count calls Admit refused: journal unwritable, queue full.
	RefusedJournal, RefusedFull int64
	JournalDown                 bool  // the journal cannot be written now
	Replayed                    int64 // records found in the journal at Open
	Corrupt                     int64 // journal records skipped as torn or damaged
	// ReadBack counts the events the shipper read back from the journal (at Open, or while
	// the memory queue was full) rather than taking them from memory.
	ReadBack int64
}

// Stats returns the Recorder's counters.
func (r *Recorder) Stats() Stats {
	return Stats{Recorded: r.recorded.Load(), Stored: r.stored.Load(), Pending: r.pending.Load(),
		Full: r.full.Load(), Failed: r.failed.Load(), Replayed: r.replayed.Load(), Corrupt: r.corrupt.Load(),
		Lost: r.lost.Load(), RefusedJournal: r.refusedJournal.Load(), RefusedFull: r.refusedFull.Load(),
		JournalDown: r.health.down.Load(), ReadBack: r.readBack.Load()}
}

// Close stops accepting events, waits for Records in progress, and ships everything left
// (within CloseTimeout). Events it cannot ship stay in the journal for the next Open.
func (r *Recorder) Close() error {
	if !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(r.done)
	jerr := r.j.close()
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.CloseTimeout)
	defer cancel()
	_, err := r.drain(ctx)
	r.shipMu.Lock()
	if r.rfile != nil {
		r.rfile.Close()
		r.rfile, r.rseg = nil, nil
	}
	r.shipMu.Unlock()
	r.lock.Close()
	if err != nil {
		return fmt.Errorf("audit: close: %d events stay in the journal until the next start: %w", r.pending.Load(), err)
	}
	if jerr != nil {
		return fmt.Errorf("audit: close journal: %w", jerr)
	}
	return nil
}

// Sync waits until every event recorded before the call is in the store (or nothing is
// pending), so that a query right after a call sees it; it returns ctx's error if the store
// does not catch up in time. The shipper does the storing: Sync only wakes it and waits.
func (r *Recorder) Sync(ctx context.Context) error {
	target := r.recorded.Load()
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for r.pending.Load() > 0 && r.stored.Load() < target {
		select {
		case r.flush <- struct{}{}:
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
	return nil
}
