//go:build unix && !linux

package manifest

const mapPopulate = 0
