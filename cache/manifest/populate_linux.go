package manifest

import "golang.org/x/sys/unix"

// mapPopulate asks mmap to fault the whole entry in at once.
const mapPopulate = unix.MAP_POPULATE
