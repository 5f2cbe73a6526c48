package router

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// ErrBadCursor means a pagination cursor was not made by Paginate; the gateway answers
// -32602 (invalid params).
var ErrBadCursor = errors.New("invalid cursor")

// Paginate returns the page of items (sorted by key, keys unique) that follows cursor, at
// most pageSize long (all when pageSize ≤ 0), and the cursor of the next page ("" after
// the last). A cursor is the base64 of the last item's key, so it stays valid when items
// are added or removed: the next page starts after that key.
func Paginate(items []json.RawMessage, cursor string, pageSize int, key func(json.RawMessage) string) (page []json.RawMessage, next string, err error) {
	start := 0
	if cursor != "" {
		after, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(after) == 0 {
			return nil, "", fmt.Errorf("%w: %q", ErrBadCursor, cursor)
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > string(after) })
	}
	end := len(items)
	if pageSize > 0 && end-start > pageSize {
		end = start + pageSize
		next = base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
	}
	return items[start:end:end], next, nil
}

// NameKey is the sort key of tools and prompts.
func NameKey(item json.RawMessage) string { s, _ := mcp.StringField(item, "name"); return s }

// URIKey is the sort key of resources.
func URIKey(item json.RawMessage) string { s, _ := mcp.StringField(item, "uri"); return s }

// URITemplateKey is the sort key of resource templates.
func URITemplateKey(item json.RawMessage) string {
	s, _ := mcp.StringField(item, "uriTemplate")
	return s
}
