// Package mix is the mix optimiser of the reports: for one fulfiller SKU
// and the recorded demand of a period it answers which people should hold
// named (exclusive) seats, how many concurrent (floating) seats cover
// everyone else at a target true-denial rate, and what each option costs a
// year, side by side with all named and today's mix (Compare), with the
// evidence a CIO can check: the predicted blocking of a queueing model
// next to a replay of the history, and a back-test that fits on the first
// part of the period and replays the rest (Backtest).
//
// It is pure computation: standard library only, no I/O, nothing from the
// rest of the project. The caller maps people to indices 0..people-1 and
// sessions to Intervals.
//
// # Words
//
// A spell is a person's intervals merged while each starts before the
// seat from the previous ones is released (End plus the idle timeout, or
// plus the linger after a logout): exactly one lease when nobody is
// refused. Traffic is measured on spells. An arrival is a request for a
// concurrent seat by someone who holds none; the denial rate is refused
// arrivals over arrivals, in the concurrent pool (named seats are never
// refused and are not counted). See Replay for the exact rules.
//
// # How it is fast
//
// Demand is sorted once (radix sort) into 12-byte events and merged into
// spells once per pair of timers. For a named set one branch-free pass
// gives, at every event, the number of other people holding a seat with
// unlimited seats (the infinite-server level). That level bounds the
// answer without any replay, and it lets the exact replay visit only the
// events where a refusal is possible and the people a refusal has put out
// of step (fast.go), a small fraction of a year. The plain replay, a
// timing wheel of release times, is the reference and the fallback for
// badly congested pools.
//
// # How it chooses
//
// People are ranked by the share of the peak during which they hold a
// seat; naming someone saves about that share of a concurrent seat, so the
// number of named seats starts where the share falls below named price /
// concurrent price and is refined by exact evaluations either side. For
// each named set the concurrent pool is the smallest whose replay is
// within target (secant and interpolation steps between replays).
//
// # How it predicts
//
// Traffic.Predict averages, minute by minute and weighted by arrivals, the
// blocking at the expected load of that minute (each day's total spread
// with its weekday's shape), corrected for the seats the refused would
// still hold (pointwise blocking runs a third low on a sharp morning
// peak). The blocking at a load is that of a loss system whose level with
// unlimited seats spreads about the expected load as it did in the
// history, at busy times: a steady share of the load, seats held by people
// at their desks all through the busy hours, and the rest BPP traffic
// (Poisson, binomial or Pascal) of the measured peakedness. That is Erlang
// B for Poisson traffic and Engset for equally busy people; Model names
// which of the two the population calls for.
//
// # Why not plain Erlang B or Engset
//
// Both take the level with unlimited seats as Poisson (Engset: binomial)
// about the expected load, with the variance of many independent people.
// On a large desk whose heavy users are named that is close, and the pool
// is sized near the busy-hour load, where the spread matters little. On
// the demo's desk it is not: about 74 people share a pool of 11 or 12
// seats well above the busy-hour load of about 8 erlangs, so every refusal
// comes from the upper tail, which is all spread; three or four of those
// people hold a seat 90 % of the busy hours (a seat taken, not traffic),
// and the expected load follows each day's own total, which already
// accounts for much of the rest. The level's variance about the expected
// load was 0.4 of its mean, not 1, and Engset with 74 equal sources
// predicted 2.7 % against a replayed 1.2 % (the recommended option: 1.4 %
// against 0.7 %). Measuring the spread and the steady share at the busy
// instants instead of assuming them brings both within about 20 % of the
// replay, and leaves the synthetic years (where the old model was right)
// within about 10 %.
//
// The prediction can only be as good as the demand it is given. A person
// refused who then waited in the queue, or tried again, wanted a seat from
// the refusal on; given at the time the seat came, that demand looks
// served in time by the recorded pool, and a replay of a larger pool could
// never refuse it. The caller should give such a spell from the refusal
// (internal/reporting does).
package mix
