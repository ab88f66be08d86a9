package dataparallel

import "errors"

// Sentinels for errors.Is.
var (
	// ErrConfig: the group's configuration is invalid.
	ErrConfig = errors.New("dataparallel: invalid configuration")

	// ErrClosed: the group was closed.
	ErrClosed = errors.New("dataparallel: group closed")

	// ErrState: a checkpoint's solver history does not fit the network or
	// the solver.
	ErrState = errors.New("dataparallel: bad solver state")
)
