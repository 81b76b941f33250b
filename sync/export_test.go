package sync

// ServerFingerprint exposes serverFingerprint to the tests.
var ServerFingerprint = serverFingerprint

// ObservationFingerprint exposes observationFingerprint to the tests.
var ObservationFingerprint = observationFingerprint
