package installer

import "os"

// endedByItself exits the process: the Windows service manager applies the recovery
// actions (restart) only when the process dies, and the body is gone.
func endedByItself(error) { os.Exit(1) }
