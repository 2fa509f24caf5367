// Package suggest finds the name a user probably meant: the "did you mean"
// of error messages about unknown cipher suites, policies and JSON fields.
package suggest
