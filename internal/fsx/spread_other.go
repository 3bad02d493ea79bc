//go:build !linux

package fsx

func SpreadChildren(string) {}
