// Package setup writes the agent's config: the non-interactive setup, the line-based wizard and
// the edits of [[backends]]. Hub settings are proven by a real handshake before they are written.
package setup
