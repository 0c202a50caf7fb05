/*
 * wiretag - wt_tracker.h: what of one input partition may be committed.
 *
 * The heart of "nothing lost". Messages of a partition are admitted in
 * consume order and finish in any order (their outputs go to several
 * topics, whose acknowledgements arrive at different times). A tracker
 * keeps the partition's in-flight offsets in a ring, indexed by an
 * admission sequence number, and lets an offset be committed only when
 * every earlier message of the partition has finished: the offset after
 * the longest finished prefix.
 *
 *  - at_least_once (a store callback given): each time the prefix grows,
 *    the callback receives the offset to store, under the tracker's lock,
 *    so stored offsets never go backwards.
 *  - exactly_once (no callback): the prefix is kept for the open
 *    transaction (wt_tracker_txn_offset) until the transaction commits
 *    (wt_tracker_txn_committed) or aborts (wt_tracker_rewind).
 *
 * A message that failed (an output the broker refused) makes the
 * partition stuck: nothing at or past it is ever handed on; finished
 * messages still leave flight, so that shutdown and revocation do not
 * wait for them. A revoked tracker hands on nothing either.
 *
 * exactly_once with output.error.policy=dlq also remembers "poison":
 * inputs whose output to some topic the broker refused for good, so that
 * after the rewind that output is skipped and the input is dead-lettered.
 *
 * No Kafka here: the tracker knows offsets, not clients.
 *
 * @locality wt_tracker_admit(), _full(), _revoke(), the txn and rewind
 *           calls: the consumer thread. wt_tracker_complete(),
 *           _inflight(), _poison(), _poisoned(): any thread. Every call
 *           takes the tracker's own lock.
 */
#ifndef WT_TRACKER_H
#define WT_TRACKER_H

#include <stddef.h>
#include <stdint.h>

typedef struct wt_tracker_s wt_tracker_t;

/** Receives the offset to store for commit (the one after the finished
 *  prefix) and how many messages it newly covers; called with the
 *  tracker locked, from the thread that called wt_tracker_complete().
 *  It must not call back into the tracker. */
typedef void(wt_tracker_store_cb)(void *opaque, int64_t offset,
                                  uint64_t count);

/** A tracker for up to window messages in flight (window >= 1).
 *  store: at_least_once's callback (see above), or NULL for
 *  exactly_once. Returns NULL when out of memory.
 *  @remark the caller owns the tracker (wt_tracker_destroy). */
wt_tracker_t *wt_tracker_new(size_t window, wt_tracker_store_cb *store,
                             void *opaque);

/** Free t; accepts NULL. Nothing may use it afterwards. */
void wt_tracker_destroy(wt_tracker_t *t);

/** Register the message at offset as the newest in flight; returns its
 *  sequence number, which wt_tracker_complete() takes. The caller checks
 *  wt_tracker_full() first: admitting into a full window overwrites a
 *  live slot. Consumer thread. */
uint64_t wt_tracker_admit(wt_tracker_t *t, int64_t offset);

/** The message seq finished: failed when an output was refused. Hands on
 *  the grown prefix (store callback, or the transaction's offset).
 *  Returns the offset of the message that made the partition stuck when
 *  this call made it so (the caller says why, once), else -1. Any
 *  thread. */
int64_t wt_tracker_complete(wt_tracker_t *t, uint64_t seq, int failed);

/** Messages admitted and not yet out of flight. Any thread. */
uint64_t wt_tracker_inflight(wt_tracker_t *t);

/** 1 when window messages are in flight (from the oldest unfinished one
 *  to the newest): admit nothing more until one leaves. */
int wt_tracker_full(wt_tracker_t *t);

/** 1 once a failed message stopped the partition's commits. */
int wt_tracker_stuck(wt_tracker_t *t);

/** The partition is revoked: hand on nothing from now on; messages still
 *  leave flight as they finish (late delivery reports). */
void wt_tracker_revoke(wt_tracker_t *t);

/** exactly_once: the offset the open transaction may commit, or -1 when
 *  nothing new finished since the last commit. */
int64_t wt_tracker_txn_offset(wt_tracker_t *t);

/** exactly_once: the transaction holding wt_tracker_txn_offset()
 *  committed; remember that offset as committed (the rewind target) and
 *  return how many messages it covered (0 when there was none). */
uint64_t wt_tracker_txn_committed(wt_tracker_t *t);

/** exactly_once: the open transaction aborted. Forget every message in
 *  flight and the uncommitted prefix, unstick the partition, and return
 *  where consuming must start again: the offset the last transaction
 *  committed or, when none did, the first offset ever admitted; -1 when
 *  nothing was admitted. */
int64_t wt_tracker_rewind(wt_tracker_t *t);

/** exactly_once: the broker refused for good the output of the input at
 *  offset to the output identified by key (compared as a pointer); why
 *  says how, for its dead letter. Out of memory: nothing is remembered
 *  (the input is processed again as if the failure were transient). */
void wt_tracker_poison(wt_tracker_t *t, int64_t offset, const void *key,
                       const char *why);

/** 1, with why (size bytes) filled, when wt_tracker_poison() remembered
 *  offset and key; else 0. Cheap when nothing is poisoned. */
int wt_tracker_poisoned(wt_tracker_t *t, int64_t offset, const void *key,
                        char *why, size_t size);

#endif /* WT_TRACKER_H */
