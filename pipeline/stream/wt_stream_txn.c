/*
 * wiretag - wt_stream_txn.c: processing.guarantee=exactly_once.
 *
 * Every output and the input offsets commit together in one Kafka
 * transaction. The consumer thread owns the open transaction: it commits
 * it every processing.commit.interval.ms, before partitions are revoked
 * and at shutdown, once nothing is in flight, sending each partition's
 * finished offset (its tracker's) with the group's metadata, so a process
 * the group has moved past is fenced. An output that failed inside the
 * transaction, or a commit the broker wants aborted, aborts it and
 * rewinds every partition to its last committed offset: the inputs are
 * consumed and processed again in the next transaction.
 */
#include <inttypes.h>
#include <stdio.h>

#include "wt_log.h"
#include "wt_stream_int.h"

/* Each transactional call blocks at most this long; a retriable error
 * (e.g. the coordinator moving) is retried this many times. */
#define WT_TXN_TIMEOUT_MS 30000
#define WT_TXN_RETRIES 6

/* The transactional calls wt_txn_call() retries. */
typedef enum wt_txn_op {
        WT_TXN_ABORT,        /* rd_kafka_abort_transaction */
        WT_TXN_SEND_OFFSETS, /* rd_kafka_send_offsets_to_transaction */
        WT_TXN_COMMIT        /* rd_kafka_commit_transaction */
} wt_txn_op_t;

/* Make one transactional call, retried (at most WT_TXN_RETRIES times in
 * all) while the error is retriable; an abort whose own EndTxn fails
 * abortably is simply tried again too. offsets: WT_TXN_SEND_OFFSETS only.
 * Returns NULL, or the last error (the caller destroys it). Consumer
 * thread. */
static rd_kafka_error_t *
wt_txn_call(wt_stream_t *s, wt_txn_op_t op,
            const rd_kafka_topic_partition_list_t *offsets) {
        rd_kafka_consumer_group_metadata_t *cgmd = NULL;
        rd_kafka_error_t *error = NULL;
        int i;

        if (op == WT_TXN_SEND_OFFSETS)
                cgmd = rd_kafka_consumer_group_metadata(s->consumer);
        for (i = 0; i < WT_TXN_RETRIES; i++) {
                if (error)
                        rd_kafka_error_destroy(error);
                switch (op) {
                case WT_TXN_ABORT:
                        error = rd_kafka_abort_transaction(s->producer,
                                                           WT_TXN_TIMEOUT_MS);
                        break;
                case WT_TXN_SEND_OFFSETS:
                        error = rd_kafka_send_offsets_to_transaction(
                                s->producer, offsets, cgmd,
                                WT_TXN_TIMEOUT_MS);
                        break;
                default:
                        error = rd_kafka_commit_transaction(s->producer,
                                                            WT_TXN_TIMEOUT_MS);
                        break;
                }
                if (!error || !(rd_kafka_error_is_retriable(error) ||
                                (op == WT_TXN_ABORT &&
                                 rd_kafka_error_txn_requires_abort(error))))
                        break;
        }
        if (cgmd)
                rd_kafka_consumer_group_metadata_destroy(cgmd);
        return error;
}

/* A transactional call failed for good: the producer is fenced (another
 * process with this transactional.id, or the group moved on without it)
 * or in a state no abort fixes. Stop, naming instance.id when fenced.
 * Consumer thread. */
static void wt_txn_fatal(wt_stream_t *s, const char *what,
                         rd_kafka_error_t *error) {
        rd_kafka_resp_err_t code = rd_kafka_error_code(error);
        int fenced;
        if (code == RD_KAFKA_RESP_ERR__FATAL) { /* the underlying one */
                char reason[256];
                code = rd_kafka_fatal_error(s->producer, reason,
                                            sizeof(reason));
        }
        fenced = code == RD_KAFKA_RESP_ERR__FENCED ||
                 code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
                 code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
        if (!atomic_exchange(&s->fatal, 1))
                wt_log_error("%s: %s; stopping%s%s%s", what,
                             rd_kafka_error_string(error),
                             fenced ? " (fenced: is another wiretag running "
                                      "with instance.id="
                                    : "",
                             fenced && s->cfg->instance_id
                                     ? s->cfg->instance_id
                                     : "",
                             fenced ? " in this group?)" : "");
        atomic_store(&s->stop, 1);
        atomic_store(&s->txn_failed, 1);
}

void wt_txn_begin(wt_stream_t *s) {
        rd_kafka_error_t *error = rd_kafka_begin_transaction(s->producer);
        s->txn_begun_ms = wt_stream_now_ms();
        if (error) {
                wt_txn_fatal(s, "beginning a transaction", error);
                rd_kafka_error_destroy(error);
        }
}

/* After an abort: forget every partition's in-flight and uncommitted
 * work and, with rewind, seek the assigned partitions (but those being
 * revoked) back to what the last transaction committed (or, when none
 * did, to the first message admitted). Returns -1 when stopping on a
 * fatal error. Consumer thread. */
static int wt_txn_rewind(wt_stream_t *s, int rewind) {
        rd_kafka_topic_partition_list_t *seek;
        rd_kafka_error_t *error;
        wt_part_t *pt;
        int i;

        seek = rd_kafka_topic_partition_list_new(8);
        for (pt = s->assigned; pt; pt = pt->next) {
                int64_t to;
                if (rewind)
                        wt_admit_unhold(s, pt);
                to = wt_tracker_rewind(pt->tracker);
                if (rewind && to >= 0 && !pt->leaving)
                        rd_kafka_topic_partition_list_add(seek, pt->topic,
                                                          pt->partition)
                                ->offset = to;
        }
        if (!seek->cnt) {
                rd_kafka_topic_partition_list_destroy(seek);
                return 0;
        }
        error = rd_kafka_seek_partitions(s->consumer, seek, WT_TXN_TIMEOUT_MS);
        if (error) {
                /* Without the rewind, committing later would skip what the
                 * abort threw away. */
                wt_txn_fatal(s, "rewinding after an abort", error);
                rd_kafka_error_destroy(error);
                rd_kafka_topic_partition_list_destroy(seek);
                return -1;
        }
        for (i = 0; i < seek->cnt; i++)
                if (seek->elems[i].err) {
                        if (!atomic_exchange(&s->fatal, 1))
                                wt_log_error("rewinding %s [%" PRId32
                                             "] to %" PRId64 ": %s; stopping",
                                             seek->elems[i].topic,
                                             seek->elems[i].partition,
                                             seek->elems[i].offset,
                                             rd_kafka_err2str(
                                                     seek->elems[i].err));
                        atomic_store(&s->stop, 1);
                }
        rd_kafka_topic_partition_list_destroy(seek);
        return 0;
}

void wt_txn_abort(wt_stream_t *s, int rewind, const char *why) {
        /* Abort at once: a failed transaction's queued outputs get their
         * delivery reports only when the abort purges them. A worker still
         * producing meanwhile gets an error, which its input (rewound
         * below) does not mind. */
        rd_kafka_error_t *error = wt_txn_call(s, WT_TXN_ABORT, NULL);
        if (error) {
                wt_txn_fatal(s, "aborting the transaction", error);
                rd_kafka_error_destroy(error);
                return;
        }
        /* Purged, and the workers' stragglers failed: nothing of the
         * aborted transaction is left in flight. */
        if (wt_admit_drain(s, NULL, 0, s->cfg->shutdown_timeout_ms, 0))
                wt_log_warn("after the abort, %" PRIu64 " message(s) still "
                            "in flight after %u ms",
                            (uint64_t)atomic_load(&s->inflight),
                            s->cfg->shutdown_timeout_ms);
        atomic_fetch_add(&s->txn_aborts, 1);
        atomic_store(&s->txn_failed, 0);
        if (wt_txn_rewind(s, rewind))
                return;
        wt_log_warn("transaction aborted (%s)%s", why,
                    rewind ? "; its inputs are processed again" : "");
        if (!atomic_load(&s->stop))
                wt_txn_begin(s);
}

/* Wait until nothing is in flight and check that no output of the open
 * transaction failed; else abort and rewind. Returns 1 when the
 * transaction may commit. Consumer thread. */
static int wt_txn_ready(wt_stream_t *s) {
        wt_part_t *pt;
        switch (wt_admit_drain(s, NULL, 0, s->cfg->shutdown_timeout_ms, 1)) {
        case 0:
                break;
        case 1:
                wt_txn_abort(s, 1, "an output failed");
                return 0;
        default:
                wt_txn_abort(s, 1, "outputs not acknowledged within "
                                   "shutdown.timeout.ms");
                return 0;
        }
        for (pt = s->assigned; pt; pt = pt->next)
                if (wt_tracker_stuck(pt->tracker)) /* a failed job: never
                                                      commit past it */
                        atomic_store(&s->txn_failed, 1);
        if (atomic_load(&s->txn_failed)) {
                wt_txn_abort(s, 1, "an output failed");
                return 0;
        }
        return 1;
}

void wt_txn_commit(wt_stream_t *s, const char *why) {
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_error_t *error;
        const char *what = "sending offsets to the transaction";
        uint64_t count = 0;
        wt_part_t *pt;

        if (atomic_load(&s->fatal) || !wt_txn_ready(s))
                return;
        offsets = rd_kafka_topic_partition_list_new(8);
        for (pt = s->assigned; pt; pt = pt->next) {
                int64_t offset = wt_tracker_txn_offset(pt->tracker);
                if (offset >= 0)
                        rd_kafka_topic_partition_list_add(offsets, pt->topic,
                                                          pt->partition)
                                ->offset = offset;
        }
        if (!offsets->cnt) { /* nothing to commit: it stays open */
                rd_kafka_topic_partition_list_destroy(offsets);
                s->txn_begun_ms = wt_stream_now_ms();
                return;
        }
        error = wt_txn_call(s, WT_TXN_SEND_OFFSETS, offsets);
        if (!error) {
                what = "committing the transaction";
                error = wt_txn_call(s, WT_TXN_COMMIT, NULL);
        }
        rd_kafka_topic_partition_list_destroy(offsets);
        if (error) {
                if (rd_kafka_error_is_fatal(error)) {
                        wt_txn_fatal(s, what, error);
                } else {
                        char reason[512];
                        snprintf(reason, sizeof(reason), "%s: %s", what,
                                 rd_kafka_error_string(error));
                        wt_txn_abort(s, 1, reason);
                }
                rd_kafka_error_destroy(error);
                return;
        }
        for (pt = s->assigned; pt; pt = pt->next)
                count += wt_tracker_txn_committed(pt->tracker);
        atomic_fetch_add(&s->committed, count);
        atomic_fetch_add(&s->txn_commits, 1);
        wt_log_debug("transaction committed (%s): %" PRIu64 " input(s)", why,
                     count);
        if (!atomic_load(&s->stop))
                wt_txn_begin(s);
}
