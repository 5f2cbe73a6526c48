package backend

import (
	"context"
	"errors"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// silentSink is a client that never answers: routing only looks at whether a call has one.
type silentSink struct{}

func (silentSink) Notify(*jsonrpc.Request) {}

func (silentSink) Request(ctx context.Context, _ *jsonrpc.Request) (*jsonrpc.Response, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// Regression: a server→client request or log message must never reach another client's
// call (it could carry that client's prompt or data). Each decision both ways.
func TestRouteTargetNeverCrossesClients(t *testing.T) {
	cases := []struct {
		name    string
		owners  []string // one call in flight per entry, started in this order
		wantN   int64    // the call routed to (its n), 0 for none
		wantErr bool
	}{
		{"no call", nil, 0, false},
		{"one call", []string{"a"}, 1, false},
		{"one call without owner", []string{""}, 1, false},
		{"same client, latest wins", []string{"a", "a", "a"}, 3, false},
		{"two clients", []string{"a", "b"}, 0, true},
		{"unknown owner among others", []string{"a", ""}, 0, true},
		{"two unknown owners", []string{"", ""}, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &session{calls: map[jsonrpc.ID]*pending{}}
			for i, o := range tc.owners {
				id, _ := jsonrpc.MakeID(float64(i + 1))
				s.calls[id] = &pending{ctx: context.Background(), n: int64(i + 1), id: id, sink: silentSink{}, owner: o}
			}
			p, err := s.routeTarget()
			if tc.wantErr != (err != nil) || (err != nil && !errors.Is(err, errAmbiguous)) {
				t.Fatalf("err = %v, want ambiguous: %v", err, tc.wantErr)
			}
			var got int64
			if p != nil {
				got = p.n
			}
			if got != tc.wantN {
				t.Fatalf("routed to call %d, want %d", got, tc.wantN)
			}
		})
	}
}
