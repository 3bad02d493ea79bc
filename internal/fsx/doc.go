// Package fsx holds small filesystem tunings shared by the store and the
// linker.
package fsx
