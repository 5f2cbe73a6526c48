package server

// FDLimit is fdLimit, for the external tests.
var FDLimit = fdLimit
