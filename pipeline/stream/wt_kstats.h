/*
 * wiretag - wt_kstats.h: librdkafka's statistics as Prometheus metrics.
 *
 * With statistics.interval.ms > 0, librdkafka hands wiretag a JSON
 * document (STATISTICS.md) every interval, once for the consumer and once
 * for the producer. wt_kstats keeps the few numbers an operator of
 * `wiretag run` asks about, from the latest document of each client, and
 * renders them for /metrics:
 *
 *   consumer (input partitions assigned to this instance):
 *     wiretag_consumer_lag_messages{topic,partition}        gauge
 *     wiretag_consumer_committed_offset{topic,partition}    gauge
 *   producer (output topics):
 *     wiretag_producer_records_sent_total{topic}            counter
 *     wiretag_producer_bytes_sent_total{topic}              counter
 *     wiretag_producer_batches{topic}                       gauge
 *     wiretag_producer_batch_bytes{topic,stat}              gauge
 *     wiretag_producer_batch_messages{topic,stat}           gauge
 *     wiretag_producer_queue_messages                       gauge
 *     wiretag_producer_queue_bytes                          gauge
 *   both (client="consumer" or "producer"):
 *     wiretag_kafka_stats_timestamp_seconds{client}         gauge
 *     wiretag_kafka_replyq{client}                          gauge
 *     wiretag_kafka_brokers{client}                         gauge
 *     wiretag_kafka_brokers_up{client}                      gauge
 *
 * The batch families describe the last statistics interval only (stat is
 * min, max, avg, p50, p95 or p99); wt_kstats.c says what each one means.
 * (Records the broker acknowledged per output topic are wiretag's own
 * count, wiretag_topic_records_produced_total, from wt_stream_metrics.c;
 * "sent" here counts a retried send again.)
 *
 * @locality wt_kstats_update() from librdkafka's stats_cb (the threads
 *           that poll the consumer and the producer), wt_kstats_render()
 *           from the HTTP thread: all of them concurrently.
 */
#ifndef WT_KSTATS_H
#define WT_KSTATS_H

#include <stddef.h>

#include "wt_err.h"

typedef struct wt_kstats_s wt_kstats_t;

/** Whose statistics a document is: one table of numbers each. */
typedef enum wt_kstats_role {
        WT_KSTATS_CONSUMER,
        WT_KSTATS_PRODUCER,
        WT_KSTATS__CNT
} wt_kstats_role_t;

/** Receives rendered text: len bytes of one or more whole lines, each
 *  ending in '\n' (text is not NUL-terminated for the callee's use). */
typedef void(wt_kstats_emit_cb)(void *opaque, const char *text, size_t len);

/** Empty tables (nothing renders until the first update), or NULL when
 *  out of memory. */
wt_kstats_t *wt_kstats_new(void);

/** Free ks and everything it holds; accepts NULL. No update or render may
 *  be running or start afterwards. */
void wt_kstats_destroy(wt_kstats_t *ks);

/** Replace role's tables with the numbers of one statistics document
 *  (json, len bytes; need not be NUL-terminated): the latest document
 *  wins, so partitions revoked since the last one disappear. Nothing of
 *  the document is kept, so a stats_cb calling this returns 0 (librdkafka
 *  frees json).
 *  Parses with jansson, through wiretag's allocator when installed
 *  (wt_jsonmem): on librdkafka's poll threads, outside any worker's
 *  bracket, that is malloc; the parsed document is released before this
 *  returns, so even a call inside a bracket keeps nothing in the arena.
 *  @returns WT_OK; WT_ERR_JSON (not JSON), WT_ERR_NOT_OBJECT, or
 *           WT_ERR_INVALID_ARG (its "type" is not role's) with the
 *           previous tables kept and errstr (may be NULL) filled;
 *           WT_ERR_NOMEM, likewise. */
wt_err_t wt_kstats_update(wt_kstats_t *ks, wt_kstats_role_t role,
                          const char *json, size_t len, char *errstr,
                          size_t errstr_size);

/** Render the metrics above in Prometheus text format (HELP and TYPE once
 *  per family; families without samples left out) through emit, called
 *  with ks locked: emit must not call back into ks. Renders nothing
 *  before the first update. */
void wt_kstats_render(wt_kstats_t *ks, wt_kstats_emit_cb *emit, void *opaque);

/** A Prometheus label value into out (size bytes, at least 3): backslash,
 *  double quote and newline escaped; cut short rather than overflow.
 *  Returns out. */
const char *wt_prom_label(const char *v, char *out, size_t size);

#endif /* WT_KSTATS_H */
