package router

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/mcp-gateway/mcp-gateway/shared/mcp"
)

// ErrBadCursor means a pagination cursor was not made by Paginate or List.Page; the gateway
// answers -32602 (invalid params).
var ErrBadCursor = errors.New("invalid cursor")

// A cursor is the base64 (URL alphabet, unpadded) of the last item's key on the page before,
// so it stays valid when items are added or removed: the next page starts after that key.

func decodeCursor(cursor string) (string, error) {
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(after) == 0 {
		return "", fmt.Errorf("%w: %q", ErrBadCursor, cursor)
	}
	return string(after), nil
}

func encodeCursor(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

// Paginate returns the page of items (sorted by key, keys unique) that follows cursor, at
// most pageSize long (all when pageSize ≤ 0), and the cursor of the next page ("" after
// the last). It calls key O(log n) times; List.Page, with the keys at hand, calls nothing.
func Paginate(items []json.RawMessage, cursor string, pageSize int, key func(json.RawMessage) string) (page []json.RawMessage, next string, err error) {
	start := 0
	if cursor != "" {
		after, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		start = sort.Search(len(items), func(i int) bool { return key(items[i]) > after })
	}
	end := len(items)
	if pageSize > 0 && end-start > pageSize {
		end = start + pageSize
		next = encodeCursor(key(items[end-1]))
	}
	return items[start:end:end], next, nil
}

// List is an exposed list of a Table with its sort keys (Keys[i] is the name, URI or URI
// template of Items[i]; sorted, unique), for paging without parsing the items.
type List struct {
	Items []json.RawMessage
	Keys  []string
}

// Page is Paginate of the items keep lets through (all when keep is nil), cut from the
// sorted list: the start is found by binary search on the keys and the page is filled by
// walking on from there, so a page costs O(log n + the items walked), not a filtering of
// the whole list. keep(i) decides on Items[i]. The pages, their cursors and the errors are
// those of Paginate over the kept items.
func (l List) Page(cursor string, pageSize int, keep func(i int) bool) (page []json.RawMessage, next string, err error) {
	start := 0
	if cursor != "" {
		after, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		start = sort.SearchStrings(l.Keys, after)
		if start < len(l.Keys) && l.Keys[start] == after {
			start++
		}
	}
	if keep == nil {
		end := len(l.Items)
		if pageSize > 0 && end-start > pageSize {
			end = start + pageSize
			next = encodeCursor(l.Keys[end-1])
		}
		return l.Items[start:end:end], next, nil
	}
	last := -1
	for i := start; i < len(l.Items); i++ {
		if !keep(i) {
			continue
		}
		if pageSize > 0 && len(page) == pageSize {
			// Another kept item follows a full page: there is a next page.
			return page, encodeCursor(l.Keys[last]), nil
		}
		page = append(page, l.Items[i])
		last = i
	}
	return page, "", nil
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
