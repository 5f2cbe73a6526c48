//go:build unix && !linux

package backend

// onlyZombies cannot tell zombies here without /proc: every process of the group counts.
func onlyZombies(int) bool { return false }

// becomeSubreaper does nothing here: only Linux has PR_SET_CHILD_SUBREAPER (FreeBSD's
// procctl(PROC_REAP_ACQUIRE) is not used yet). Known limitation: a child that leaves the
// server's process group (setsid) and outlives it is not found at stop.
func becomeSubreaper() {}

// marked cannot read other processes' environments here without /proc.
func marked(string) []int { return nil }

func adoptedZombies(int, int) []int { return nil }

func childOf(int) bool { return false }
