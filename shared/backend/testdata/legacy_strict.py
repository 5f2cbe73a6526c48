# A legacy stdio MCP server that exits on any method it does not know, as some do before
# initialize: the server/discover probe costs it its process. An optional argument is a
# number of seconds to wait before reading anything (a server slow to start).
import json, sys, time

if len(sys.argv) > 1:
    time.sleep(float(sys.argv[1]))
for line in sys.stdin:
    msg = json.loads(line)
    method, mid = msg.get("method"), msg.get("id")
    if method == "initialize":
        result = {"protocolVersion": "2025-11-25", "capabilities": {"tools": {}},
                  "serverInfo": {"name": "strict", "version": "1"}}
    elif method == "notifications/initialized":
        continue
    elif method == "tools/list":
        result = {"tools": [{"name": "hello", "inputSchema": {"type": "object"}}]}
    else:
        sys.stderr.write("unknown method %s\n" % method)
        sys.exit(3)
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}) + "\n")
    sys.stdout.flush()
