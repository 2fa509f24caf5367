// Package logswap provides a slog.Handler whose destination can be
// replaced while it is in use: the gateway's components, built once, log
// through it, and each configuration Update points it at the new
// Config.Logger.
package logswap
