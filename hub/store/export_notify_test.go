package store

// ParseChange is parseChange, for tests.
var ParseChange = parseChange
