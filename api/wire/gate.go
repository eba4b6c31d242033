package wire

// CounterGateBlocked is the heartbeat counter of texts the worker's send
// gate blocked for an account since the worker started (bot/gate).
const CounterGateBlocked = "gate_blocked"
