package config

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Audit is the [audit] table: how the audit trail is kept (docs/AUDIT.md).
type Audit struct {
	// RetainFor is how long events are kept in the store; older ones are deleted hourly.
	// Default "90d"; "0s" keeps them forever.
	RetainFor Duration `toml:"retain_for"`
	// QueueSize bounds the events recorded in the journal but not yet in the store (when
	// the database is slow or down). Default 100000.
	QueueSize int `toml:"queue_size"`
	// OnFull is what happens when that queue is full: "refuse" (default) refuses new tool
	// calls until the store catches up; "drop" runs them and drops their audit events.
	OnFull string `toml:"on_full"`
	// OnFailure is what happens when the journal cannot be written (disk full, I/O error):
	// "refuse" (default) refuses new calls before they reach a backend, and /readyz says
	// so, until the journal is writable again; "allow" runs them without audit events.
	OnFailure string `toml:"on_failure"`
	// Fsync syncs the journal to disk before a call's response is sent, so that events
	// survive a power cut and not only a crash of the hub. Costs about a disk flush per
	// group of concurrent calls. Default false.
	Fsync bool `toml:"fsync"`
	// MaxPayloadBytes bounds the redacted request and response kept per event; longer ones
	// keep their first bytes, marked truncated. Default 4096, at least 256, at most 1 MiB.
	MaxPayloadBytes int `toml:"max_payload_bytes"`
	// RedactKeys are JSON key names whose values are replaced by "[REDACTED]" in payloads,
	// compared ignoring case, '-', '_' and '.'. Secrets (password, token, api_key, …) are
	// always redacted; these add to them.
	RedactKeys []string `toml:"redact_keys"`
	// RedactPatterns are regular expressions (Go syntax) whose matches in payload strings
	// and error messages are replaced by "[REDACTED]", in addition to the built-in ones.
	RedactPatterns []string `toml:"redact_patterns"`
}

// Audit event handling when the queue is full, and when the journal cannot be written.
const (
	OnFullRefuse    = "refuse"
	OnFullDrop      = "drop"
	OnFailureRefuse = "refuse"
	OnFailureAllow  = "allow"
)

func defaultAudit() Audit {
	return Audit{RetainFor: Duration{90 * 24 * time.Hour}, QueueSize: 100000, OnFull: OnFullRefuse, OnFailure: OnFailureRefuse, MaxPayloadBytes: 4096}
}

// Drop reports whether a full queue drops events rather than refusing calls.
func (a Audit) Drop() bool { return a.OnFull == OnFullDrop }

// AllowUnjournaled reports whether calls run when the journal cannot be written.
func (a Audit) AllowUnjournaled() bool { return a.OnFailure == OnFailureAllow }

// Validate checks the [audit] table.
func (a Audit) Validate() error {
	var errs []error
	if a.RetainFor.Duration < 0 {
		errs = append(errs, fmt.Errorf("audit.retain_for %s is negative (use 0s to keep events forever)", a.RetainFor))
	}
	if a.RetainFor.Duration > 0 && a.RetainFor.Duration < time.Hour {
		errs = append(errs, fmt.Errorf("audit.retain_for %s is shorter than an hour; did you mean days, like 90d?", a.RetainFor))
	}
	if a.QueueSize < 1 || a.QueueSize > 10_000_000 {
		errs = append(errs, fmt.Errorf("audit.queue_size %d is out of range (1 to 10000000)", a.QueueSize))
	}
	if a.OnFull != OnFullRefuse && a.OnFull != OnFullDrop {
		errs = append(errs, fmt.Errorf("audit.on_full %q: want %q or %q", a.OnFull, OnFullRefuse, OnFullDrop))
	}
	if a.OnFailure != OnFailureRefuse && a.OnFailure != OnFailureAllow {
		errs = append(errs, fmt.Errorf("audit.on_failure %q: want %q or %q", a.OnFailure, OnFailureRefuse, OnFailureAllow))
	}
	if a.MaxPayloadBytes < 256 || a.MaxPayloadBytes > 1<<20 {
		errs = append(errs, fmt.Errorf("audit.max_payload_bytes %d is out of range (256 to 1048576)", a.MaxPayloadBytes))
	}
	for i, k := range a.RedactKeys {
		if k == "" {
			errs = append(errs, fmt.Errorf("audit.redact_keys[%d] is empty", i))
		}
	}
	for i, p := range a.RedactPatterns {
		re, err := regexp.Compile(p)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("audit.redact_patterns[%d] %q: %w", i, p, err))
		case re.MatchString(""):
			errs = append(errs, fmt.Errorf("audit.redact_patterns[%d] %q matches the empty string", i, p))
		}
	}
	return errors.Join(errs...)
}
