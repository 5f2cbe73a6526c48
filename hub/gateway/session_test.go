package gateway

import (
	"context"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"

	"github.com/mcp-gateway/mcp-gateway/hub/auth"
)

// TestSessionBeginEnd: a call registered with its session is cancelled by the session's
// end and by the client's cancel of its id; one registered after the session ended is
// cancelled at once; one that ended is no longer reachable.
func TestSessionBeginEnd(t *testing.T) {
	s := newSession(auth.Identity{UserID: "u", KeyID: "k"}, false)
	num, err := jsonrpc.MakeID(float64(1))
	if err != nil {
		t.Fatal(err)
	}
	str, err := jsonrpc.MakeID("1")
	if err != nil {
		t.Fatal(err)
	}
	if idKey(num) == idKey(str) {
		t.Fatalf("ids 1 and \"1\" share the key %s", idKey(num))
	}

	ctxNum, cancelNum := context.WithCancel(context.Background())
	ctxStr, cancelStr := context.WithCancel(context.Background())
	defer cancelNum()
	defer cancelStr()
	kNum, kStr := s.begin(num, cancelNum), s.begin(str, cancelStr)
	s.cancel(str)
	if ctxStr.Err() == nil || ctxNum.Err() != nil {
		t.Fatalf("cancel of \"1\": its call %v, the call of 1 %v; want only \"1\" cancelled", ctxStr.Err(), ctxNum.Err())
	}
	s.end(kStr)

	ended, cancelEnded := context.WithCancel(context.Background())
	defer cancelEnded()
	s.end(s.begin(jsonrpc.ID{}, cancelEnded))
	s.close()
	if ctxNum.Err() == nil {
		t.Fatal("the session's end did not cancel its call in flight")
	}
	if ended.Err() != nil {
		t.Fatal("a call that had ended was cancelled by the session's end")
	}
	s.end(kNum)

	late, cancelLate := context.WithCancel(context.Background())
	defer cancelLate()
	s.end(s.begin(num, cancelLate))
	if late.Err() == nil {
		t.Fatal("a call registered after the session ended was not cancelled")
	}
}
