package rewrite

// An Error is one problem in a rule set. [Compile] returns every Error it
// finds, joined with [errors.Join].
type Error struct {
	// Where locates the problem, outermost first, for example
	// `ruleSet "security": rule "hsts": response header "Strict-Transport-Security"`.
	Where string

	// Err says what is wrong.
	Err error
}

// Error returns "rewrite: " followed by Where and Err.
func (e *Error) Error() string {
	return "rewrite: " + e.Where + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *Error) Unwrap() error { return e.Err }
