// Package bot is the account agent: one Agent per recruiter account drives
// the recruiter web app through pages/, asks the brain whom to greet and what
// to say, captures contacts, and reports through a durable outbox.
//
// Correctness rules (see docs/ARCHITECTURE.md): every effect on the site is
// recorded as intended before acting and done after the site confirms it;
// reports about a done effect are enqueued in the same worker.db transaction;
// a message is the candidate's only when its sender id differs from the
// recruiter's; risk pages pause the account and are never solved by the bot.
package bot
