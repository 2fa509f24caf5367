package routing

// An Error is one problem in a configuration or a pattern. [Compile] returns
// every Error it finds, joined with [errors.Join]; [ValidateHostPattern] and
// [ValidatePathPattern] return one.
type Error struct {
	// Where locates the problem, outermost first, for example
	// `listener "web": host name "*.*.*x"`.
	Where string

	// Err says what is wrong.
	Err error
}

// Error returns "routing: " followed by Where and Err.
func (e *Error) Error() string {
	return "routing: " + e.Where + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
