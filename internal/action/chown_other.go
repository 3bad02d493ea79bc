//go:build !unix

package action

// chownToWorkspace does nothing where container actions do not run.
func chownToWorkspace(workspace, dir string, extra ...string) error { return nil }
