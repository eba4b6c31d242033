// Package llme2e holds the end-to-end test of model-written replies: the
// demo assembly (sim site in headless Chromium, control plane, worker,
// built-in brain) with the brain answering through a fake
// OpenAI-compatible model. It is its own package so the long demo/ test
// binary does not grow; it has no non-test code.
package llme2e
