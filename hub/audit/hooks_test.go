package audit

// Abandon leaves r as a killed process would: the journal file and the directory lock are
// released (the kernel does that for a dead process) and nothing more is shipped.
func Abandon(r *Recorder) {
	r.closed.Store(true)
	r.j.close()
	r.lock.Close()
}
