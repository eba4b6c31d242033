// Package wire is the control plane's vocabulary: the JSON shapes of the
// worker and operator APIs (requests, responses, records), the query and
// patch types and sentinel errors of the api.Store port, and the status
// names they carry.
//
// It sits below everything that speaks to the control plane: state (one
// Store backend) and api implement it, api/client and bot consume it. It
// imports nothing from the project but rules, so a worker never links the
// control plane's storage and another backend never imports bbolt code.
package wire
