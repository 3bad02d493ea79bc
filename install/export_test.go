package install

// DetectNodeVersion is exported for tests.
var DetectNodeVersion = detectNodeVersion
