/*
 * wiretag - wt_stream.h: the stream processor behind `wiretag run`.
 *
 * One consumer (a member of the configured consumer group) reads articles
 * from the input topics; N worker threads classify them with one shared,
 * immutable model; one idempotent producer publishes each article, with a
 * "wiretag" object added, to the output topic, to the topic of every
 * routed label it carries, to the unlabeled topic when it carries none,
 * or, when the input is bad, its original bytes to the dead-letter topic.
 *
 * processing.guarantee=at_least_once (default): an input offset is stored
 * for commit only when every output of that message, and of every earlier
 * message of its partition, has been acknowledged by the broker.
 * exactly_once: the same offsets commit with the outputs in Kafka
 * transactions (every processing.commit.interval.ms and on revocation);
 * a failed transaction is aborted and its inputs processed again. An
 * output the broker refuses for good follows output.error.policy (dead
 * letter or stop); the offset never commits past it. All messages of one
 * input partition go to one worker, in order, and to one partition of
 * each output topic (input partition modulo the output's partition
 * count), so per-partition order holds in every output topic.
 */
#ifndef WT_STREAM_H
#define WT_STREAM_H

#include <stdint.h>

#include "wt_config.h"
#include "wt_err.h"

typedef struct wt_stream_s wt_stream_t;

/** Counters, read at any time from any thread. */
typedef struct wt_stream_stats {
        uint64_t consumed;      /**< input messages taken in */
        uint64_t consumed_bytes;
        uint64_t classified;    /**< published to output.topic */
        uint64_t dead_lettered; /**< published to dlq.topic */
        uint64_t produced;      /**< output records acknowledged */
        uint64_t produce_failed;/**< output records the broker refused */
        uint64_t committed;     /**< input messages whose offset is stored
                                     (exactly_once: committed in a
                                     transaction) */
        uint64_t inflight;      /**< input messages not yet completed */
} wt_stream_stats_t;

/** Load the model, create the Kafka clients, check that every configured
 *  topic exists and every route names a model label. cfg must be
 *  finalized and outlive the stream. On failure *streamp is NULL and
 *  errstr holds a message (out of memory included). @remark the caller
 *  owns *streamp (wt_stream_destroy). */
wt_err_t wt_stream_new(const wt_config_t *cfg, wt_stream_t **streamp,
                       char *errstr, size_t errstr_size);

/** Consume, classify and publish until wt_stream_stop() or a fatal error
 *  (output.error.policy=stop, a refused dead letter, a fenced producer);
 *  then finish or abandon (uncommitted) the in-flight work within
 *  shutdown.timeout.ms, flush, commit (exactly_once: commit or abort the
 *  open transaction) and leave the group. Returns WT_OK on a clean stop. */
wt_err_t wt_stream_run(wt_stream_t *stream);

/** Ask run() to stop. Async-signal-safe. */
void wt_stream_stop(wt_stream_t *stream);

/** Ask for the model file (model.path) to be loaded again and swapped in
 *  between messages; async-signal-safe (SIGHUP). A model that fails to
 *  load, or lacks a routed label, is refused with a logged error and the
 *  current one keeps serving. */
void wt_stream_request_reload(wt_stream_t *stream);

/** The stream's metrics in Prometheus text format (version 0.0.4), in a
 *  malloc'd buffer the caller frees; NULL when out of memory. Safe from
 *  any thread while the stream exists. */
char *wt_stream_metrics(wt_stream_t *stream, size_t *len);

/** 1 when the stream serves: a model is loaded, the consumer is
 *  subscribed (assigned or waiting for an assignment), and it is neither
 *  stopping nor stopped on a fatal error; else 0, with *why saying. */
int wt_stream_healthy(wt_stream_t *stream, const char **why);

void wt_stream_get_stats(wt_stream_t *stream, wt_stream_stats_t *stats);

/** Free everything. Accepts NULL. */
void wt_stream_destroy(wt_stream_t *stream);

#endif /* WT_STREAM_H */
