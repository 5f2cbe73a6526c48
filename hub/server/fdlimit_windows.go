package server

// fdLimit is unknown on Windows, where sockets are not bounded by an open-file limit.
func fdLimit() uint64 { return 0 }
