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
// still hold (pointwise Erlang B runs a third low on a sharp morning
// peak); Erlang B, or Engset when there are fewer than ten sources per
// seat.
package mix
