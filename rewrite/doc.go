// Package rewrite is the rewrite engine of an application gateway.
package rewrite
