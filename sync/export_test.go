package sync

// ServerFingerprint exposes serverFingerprint to the tests.
var ServerFingerprint = serverFingerprint
