// Package cadence is the follow-up cadence of seed 000 as a pure function:
// given the configs, one conversation's state, the account's send window and
// the time, it says which script to send next and when. It does no I/O,
// starts no goroutines and never reads the clock; the agent persists State,
// sends, and calls back.
//
// # Use
//
//	snap := cadence.FromState(pulled.Version, pulled.Configs) // pulled: Worker.FollowupConfigs
//	cfg, ok := cadence.Choose(snap, job.Position)        // !ok: no follow-ups
//	step, ok := cadence.Next(cfg, st, window, sentToday, clk.Now())
//	// !ok: nothing more, ever, from this state.
//	// step.DueAt > now: sleep until then, then call Next again.
//	// otherwise: persist step as the "sending" intent, send step.Content,
//	// then cadence.Record(&st, step, sentAt) and enqueue
//	// step.RecordInput(account, candidate, sentAt) (UID = the
//	// idempotency key) in one worker.db transaction.
//
// # Semantics
//
// Config choice: see Choose (active configs only; exact position, then
// substring either way, case-insensitive; then the generic config).
//
// Days: day 1 is the calendar date of the first contact (T0) in the
// account's timezone, day 2 the next date, and so on. Calendar dates rather
// than 24-hour periods because that is what "第2天" means to a recruiter
// and to a candidate, and because quiet hours and daily caps, which decide
// when messages really go out, are calendar-based in the same timezone; a
// 24-hour day would drift against them (a 21:50 greeting would make every
// "day" start at 21:50, minutes before quiet hours). A late-evening first
// contact does not produce two messages in quick succession unless the
// operator set interval_hours to 0: the interval floor applies across the
// date change.
//
// Order: numbered scripts form one sequence by (day_number, order, id). A
// day-N script is never sent before day N starts, and never before the
// previous send plus its interval_hours. A script that misses its day
// (quiet hours, the daily cap, a long interval, a stopped worker) is sent
// later in sequence, never skipped, and the rest of the sequence moves
// back with it: operators see every script they configured go out, in
// order, and the interval floor prevents catch-up bursts.
//
// Day 0: on a day with no numbered script (a gap, or every day after the
// last numbered one) the day_number 0 scripts are used, each time their
// interval allows, in order; a pending numbered script from an earlier day
// goes first. Day-0 scripts repeat forever: the next one is the one sent
// the fewest times (then order, id), so they cycle and a newly added one
// joins the cycle at once. Like a numbered day's scripts, each day-0 script
// goes at most once per day, so an interval_hours of 0 means "daily", not
// "continuously". A day with numbered scripts never uses day 0.
//
// First step: the first follow-up waits DefaultReplyWait (30 s,
// Window.ReplyWait) after T0 instead of its interval_hours, as the seed's
// flow does ("wait 30 s; if no reply, send the day-1 script"); otherwise a
// day-1 script with the default interval of 24 h could never go out on day
// 1. Any other send after T0 (chat, manual) counts against the interval as
// usual.
//
// Interval floor: a step is never due earlier than interval_hours after the
// latest send to the candidate: State.LastSentAt (any source) or the latest
// recorded follow-up, whichever is later.
//
// Stop: State.Replied (a real candidate reply) and State.Stopped (opt-out,
// human takeover, done) make Next return ok = false.
//
// Send window: a step whose send time falls in quiet hours is due when they
// end; when the caller's sentToday has reached Window.DailyCap, it is due on
// the next local date (at the first moment outside quiet hours). Next then
// re-evaluates the cadence at that moment, so DueAt is the real send time
// of the returned step if nothing changes, and calling Next at DueAt
// returns the same step.
//
// Identity: a step is (config id, script id, occurrence); numbered scripts
// have occurrence 1, day-0 scripts 1, 2, …. State.Sent records the sent
// occurrences, so the same state and time always give the same step and a
// sent step is never proposed again. Step.UID is the record idempotency
// key "followup/<account>/<candidate>/<script>/<occurrence>". Occurrences
// belong to script ids: if the conversation's config changes, the new
// config's scripts start from their first occurrence (in sequence, under
// the interval floor, so no burst).
//
// ok = false from Next with neither State.Replied nor State.Stopped set
// means the cadence is exhausted (every numbered script sent and no day-0
// script), the config has no usable script, or the Window is invalid.
package cadence
