// Package layout holds no code: its tests pin the repository's architecture — which side may
// import which, and that every package says its job in a doc comment.
package layout
