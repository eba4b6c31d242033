package wire

// CounterGateBlocked is the heartbeat counter of texts the worker's send
// gate blocked for an account since the worker started (bot/gate).
const CounterGateBlocked = "gate_blocked"

// AlertTextsBlocked is the State of the alert raised when an account's
// send gate blocked new texts (the account's own state does not change).
const AlertTextsBlocked = "texts_blocked"
