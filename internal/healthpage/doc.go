// Package healthpage renders the gateway's backend health page for people:
// each member's state and reason, and each certificate's expiry as a
// countdown, marked from 30 days before it (warning) and from 7 days
// (alarm). The gateway serves it from Gateway.HealthHandler; the same
// facts as JSON are the gateway's own.
package healthpage
