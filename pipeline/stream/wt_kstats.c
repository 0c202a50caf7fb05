/*
 * wiretag - wt_kstats.c: librdkafka's statistics as Prometheus metrics.
 * See wt_kstats.h.
 *
 * An update parses the whole document with jansson, copies the numbers
 * wiretag exposes into a fresh table (wt_kstats_doc_t), frees the JSON,
 * and only then swaps the table in under the lock, so a scrape waits for
 * a pointer swap, never for a parse. Tables are replaced, never merged:
 * after a rebalance the next document no longer lists the revoked
 * partitions, and neither does /metrics.
 *
 * Field names are librdkafka 2.0's (STATISTICS.md):
 *   top level   type, time, replyq, msg_cnt, msg_size, brokers, topics
 *   brokers.*   nodeid, state
 *   topics.*    batchsize, batchcnt (window stats: min max avg p50 p95
 *               p99 cnt), partitions
 *   partitions  partition, desired, fetch_state, committed_offset,
 *               consumer_lag, txmsgs, txbytes
 * A field that is missing or not an integer counts as absent, so an older
 * or newer librdkafka degrades to fewer samples, not to a failed update.
 */
#include "wt_kstats.h"

#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The window stats wiretag exposes, in order, as stat="...". */
#define WT_KSTATS_NSTATS 6
static const char *const wt_kstats_stat_names[WT_KSTATS_NSTATS] = {
        "min", "max", "avg", "p50", "p95", "p99"};

static const char *const wt_kstats_role_names[WT_KSTATS__CNT] = {
        "consumer", "producer"};

/* One of librdkafka's rolling windows: values sampled during the last
 * statistics interval (librdkafka resets it at every emit). */
typedef struct wt_kstats_window {
        int64_t cnt;
        int64_t v[WT_KSTATS_NSTATS];
} wt_kstats_window_t;

/* An input partition assigned to this instance (consumer). */
typedef struct wt_kstats_part {
        char *topic; /* escaped for a label value */
        int32_t partition;
        int64_t lag;       /* -1: unknown */
        int64_t committed; /* -1: nothing committed yet */
} wt_kstats_part_t;

/* An output topic (producer). */
typedef struct wt_kstats_topic {
        char *topic; /* escaped for a label value */
        uint64_t txmsgs, txbytes;
        wt_kstats_window_t batch_bytes, batch_msgs;
} wt_kstats_topic_t;

/* Numbers with one sample per client (wt_kstats_client_families). */
enum {
        WT_KSTATS_TIME,
        WT_KSTATS_REPLYQ,
        WT_KSTATS_BROKERS,
        WT_KSTATS_BROKERS_UP,
        WT_KSTATS_MSG_CNT,
        WT_KSTATS_MSG_SIZE,
        WT_KSTATS__NCLIENT
};

/* The numbers of one statistics document. */
typedef struct wt_kstats_doc {
        int64_t client[WT_KSTATS__NCLIENT]; /* -1: absent */
        wt_kstats_part_t *parts;
        size_t nparts;
        wt_kstats_topic_t *topics;
        size_t ntopics;
} wt_kstats_doc_t;

struct wt_kstats_s {
        pthread_mutex_t lock;
        wt_kstats_doc_t *docs[WT_KSTATS__CNT]; /* NULL before the first */
};

/* ------------------------------------------------------------- tables */

static void wt_kstats_doc_free(wt_kstats_doc_t *d) {
        size_t i;
        if (!d)
                return;
        for (i = 0; i < d->nparts; i++)
                free(d->parts[i].topic);
        for (i = 0; i < d->ntopics; i++)
                free(d->topics[i].topic);
        free(d->parts);
        free(d->topics);
        free(d);
}

const char *wt_prom_label(const char *v, char *out, size_t size) {
        size_t o = 0;
        for (; *v && o + 3 < size; v++) {
                if (*v == '\\' || *v == '"' || *v == '\n') {
                        out[o++] = '\\';
                        out[o++] = *v == '\n' ? 'n' : *v;
                } else {
                        out[o++] = *v;
                }
        }
        out[o] = '\0';
        return out;
}

/* wt_prom_label in a new string, or NULL when out of memory. Kafka topic
 * names need no escaping, but the names come from outside wiretag. */
static char *wt_kstats_label(const char *v) {
        size_t size = 2 * strlen(v) + 3;
        char *out = malloc(size);
        return out ? (char *)wt_prom_label(v, out, size) : NULL;
}

static int wt_kstats_part_cmp(const void *a, const void *b) {
        const wt_kstats_part_t *x = a, *y = b;
        int c = strcmp(x->topic, y->topic);
        if (c)
                return c;
        return (x->partition > y->partition) - (x->partition < y->partition);
}

static int wt_kstats_topic_cmp(const void *a, const void *b) {
        const wt_kstats_topic_t *x = a, *y = b;
        return strcmp(x->topic, y->topic);
}

/* ------------------------------------------------------------ parsing */

/* obj[key] if it is an integer, else dflt. */
static int64_t wt_kstats_int(const json_t *obj, const char *key,
                             int64_t dflt) {
        const json_t *v = json_object_get(obj, key);
        return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static void wt_kstats_window(const json_t *w, wt_kstats_window_t *out) {
        int k;
        out->cnt = wt_kstats_int(w, "cnt", 0);
        for (k = 0; k < WT_KSTATS_NSTATS; k++)
                out->v[k] = wt_kstats_int(w, wt_kstats_stat_names[k], 0);
}

/* Whether a partition of the consumer's document is assigned to wiretag
 * now. librdkafka keeps reporting partitions it no longer fetches (after
 * a revocation, with stale offsets), so only those it fetches or is
 * starting to fetch count: "desired", or a fetch_state other than none,
 * stopping and stopped (offset-query, offset-wait, active). */
static int wt_kstats_assigned(const json_t *p) {
        const char *st = json_string_value(json_object_get(p, "fetch_state"));
        if (json_is_true(json_object_get(p, "desired")))
                return 1;
        return st && strcmp(st, "none") && strcmp(st, "stopping") &&
               strcmp(st, "stopped");
}

/* Partitions of one input topic into d->parts (room made by the caller). */
static wt_err_t wt_kstats_parse_input(wt_kstats_doc_t *d, const char *name,
                                      json_t *parts) {
        const char *key;
        json_t *p;

        json_object_foreach(parts, key, p) {
                wt_kstats_part_t *row = &d->parts[d->nparts];
                int64_t partition = wt_kstats_int(p, "partition", -1);
                /* -1 is librdkafka's internal UnAssigned partition. */
                if (partition < 0 || partition > INT32_MAX ||
                    !wt_kstats_assigned(p))
                        continue;
                /* consumer_lag, not consumer_lag_stored: the end offset
                 * (high watermark, or last stable offset with
                 * isolation.level=read_committed) minus the offset
                 * committed for wiretag's group. It counts the messages
                 * wiretag has not yet committed as done: what a restart
                 * would read again, and what the group's tooling
                 * (kafka-consumer-groups.sh) shows. consumer_lag_stored
                 * is smaller by the messages wiretag has finished and
                 * stored but librdkafka has not committed yet (for up to
                 * auto.commit.interval.ms). -1 (no committed offset or
                 * no watermark yet) is left out. */
                row->lag = wt_kstats_int(p, "consumer_lag", -1);
                row->committed = wt_kstats_int(p, "committed_offset", -1);
                if (row->lag < 0 && row->committed < 0)
                        continue;
                if (!(row->topic = wt_kstats_label(name)))
                        return WT_ERR_NOMEM;
                row->partition = (int32_t)partition;
                d->nparts++;
        }
        return WT_OK;
}

/* One output topic into d->topics (room made by the caller). */
static wt_err_t wt_kstats_parse_output(wt_kstats_doc_t *d, const char *name,
                                       json_t *t) {
        wt_kstats_topic_t *row = &d->topics[d->ntopics];
        json_t *parts = json_object_get(t, "partitions"), *p;
        const char *key;

        json_object_foreach(parts, key, p) {
                int64_t v;
                /* The UnAssigned partition (-1) holds messages before
                 * partitioning; it transmits nothing. */
                if (wt_kstats_int(p, "partition", -1) < 0)
                        continue;
                if ((v = wt_kstats_int(p, "txmsgs", 0)) > 0)
                        row->txmsgs += (uint64_t)v;
                if ((v = wt_kstats_int(p, "txbytes", 0)) > 0)
                        row->txbytes += (uint64_t)v;
        }
        wt_kstats_window(json_object_get(t, "batchsize"), &row->batch_bytes);
        wt_kstats_window(json_object_get(t, "batchcnt"), &row->batch_msgs);
        if (!(row->topic = wt_kstats_label(name)))
                return WT_ERR_NOMEM;
        d->ntopics++;
        return WT_OK;
}

static wt_err_t wt_kstats_parse(wt_kstats_doc_t *d, wt_kstats_role_t role,
                                json_t *root) {
        json_t *brokers = json_object_get(root, "brokers");
        json_t *topics = json_object_get(root, "topics");
        const char *key;
        json_t *v;
        size_t n = 0;
        wt_err_t err;

        d->client[WT_KSTATS_TIME] = wt_kstats_int(root, "time", -1);
        d->client[WT_KSTATS_REPLYQ] = wt_kstats_int(root, "replyq", -1);
        d->client[WT_KSTATS_MSG_CNT] = wt_kstats_int(root, "msg_cnt", -1);
        d->client[WT_KSTATS_MSG_SIZE] = wt_kstats_int(root, "msg_size", -1);

        /* Brokers of the cluster only: bootstrap, logical (coordinator)
         * and internal entries carry nodeid -1. */
        d->client[WT_KSTATS_BROKERS] = d->client[WT_KSTATS_BROKERS_UP] = -1;
        if (json_is_object(brokers)) {
                int64_t known = 0, up = 0;
                json_object_foreach(brokers, key, v) {
                        const char *st =
                                json_string_value(json_object_get(v, "state"));
                        if (wt_kstats_int(v, "nodeid", -1) < 0)
                                continue;
                        known++;
                        if (st && !strcmp(st, "UP"))
                                up++;
                }
                d->client[WT_KSTATS_BROKERS] = known;
                d->client[WT_KSTATS_BROKERS_UP] = up;
        }

        if (!json_is_object(topics))
                return WT_OK;
        if (role == WT_KSTATS_CONSUMER) {
                json_object_foreach(topics, key, v)
                        n += json_object_size(json_object_get(v, "partitions"));
                if (n && !(d->parts = calloc(n, sizeof(*d->parts))))
                        return WT_ERR_NOMEM;
                json_object_foreach(topics, key, v) {
                        json_t *parts = json_object_get(v, "partitions");
                        if (json_is_object(parts) &&
                            (err = wt_kstats_parse_input(d, key, parts)))
                                return err;
                }
                if (d->nparts)
                        qsort(d->parts, d->nparts, sizeof(*d->parts),
                              wt_kstats_part_cmp);
        } else {
                n = json_object_size(topics);
                if (n && !(d->topics = calloc(n, sizeof(*d->topics))))
                        return WT_ERR_NOMEM;
                json_object_foreach(topics, key, v) {
                        if (json_is_object(v) &&
                            (err = wt_kstats_parse_output(d, key, v)))
                                return err;
                }
                if (d->ntopics)
                        qsort(d->topics, d->ntopics, sizeof(*d->topics),
                              wt_kstats_topic_cmp);
        }
        return WT_OK;
}

/* ------------------------------------------------------------- public */

wt_kstats_t *wt_kstats_new(void) {
        wt_kstats_t *ks = calloc(1, sizeof(*ks));
        if (!ks)
                return NULL;
        if (pthread_mutex_init(&ks->lock, NULL)) {
                free(ks);
                return NULL;
        }
        return ks;
}

void wt_kstats_destroy(wt_kstats_t *ks) {
        int r;
        if (!ks)
                return;
        for (r = 0; r < WT_KSTATS__CNT; r++)
                wt_kstats_doc_free(ks->docs[r]);
        pthread_mutex_destroy(&ks->lock);
        free(ks);
}

wt_err_t wt_kstats_update(wt_kstats_t *ks, wt_kstats_role_t role,
                          const char *json, size_t len, char *errstr,
                          size_t errstr_size) {
        json_error_t jerr;
        json_t *root;
        wt_kstats_doc_t *d, *old;
        const char *type;
        wt_err_t err;

        if ((unsigned)role >= WT_KSTATS__CNT)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "librdkafka statistics: unknown client "
                                 "role %d",
                                 (int)role);
        root = json_loadb(json, len, 0, &jerr);
        if (!root)
                return wt_seterr(errstr, errstr_size, WT_ERR_JSON,
                                 "librdkafka %s statistics are not JSON: "
                                 "line %d column %d: %s",
                                 wt_kstats_role_names[role], jerr.line,
                                 jerr.column, jerr.text);
        if (!json_is_object(root)) {
                json_decref(root);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOT_OBJECT,
                                 "librdkafka %s statistics are not a JSON "
                                 "object",
                                 wt_kstats_role_names[role]);
        }
        /* A consumer's document read as the producer's would publish its
         * partitions as output topics: refuse a mix-up in the wiring. */
        type = json_string_value(json_object_get(root, "type"));
        if (type && strcmp(type, wt_kstats_role_names[role])) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                "librdkafka statistics of a %.32s given as "
                                "the %s's",
                                type, wt_kstats_role_names[role]);
                json_decref(root);
                return err;
        }

        if (!(d = calloc(1, sizeof(*d)))) {
                json_decref(root);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory reading librdkafka "
                                 "statistics");
        }
        err = wt_kstats_parse(d, role, root);
        json_decref(root);
        if (err) {
                wt_kstats_doc_free(d);
                return wt_seterr(errstr, errstr_size, err,
                                 "out of memory reading librdkafka "
                                 "statistics");
        }

        pthread_mutex_lock(&ks->lock);
        old = ks->docs[role];
        ks->docs[role] = d;
        pthread_mutex_unlock(&ks->lock);
        wt_kstats_doc_free(old);
        return WT_OK;
}

/* ---------------------------------------------------------- rendering */

typedef struct wt_kstats_out {
        wt_kstats_emit_cb *emit;
        void *opaque;
} wt_kstats_out_t;

__attribute__((format(printf, 2, 3)))
static void wt_kstats_printf(wt_kstats_out_t *o, const char *fmt, ...) {
        char buf[512], *p = buf;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        if ((size_t)n >= sizeof(buf)) { /* a very long topic name */
                if (!(p = malloc((size_t)n + 1)))
                        return;
                va_start(ap, fmt);
                vsnprintf(p, (size_t)n + 1, fmt, ap);
                va_end(ap);
        }
        o->emit(o->opaque, p, (size_t)n);
        if (p != buf)
                free(p);
}

typedef struct wt_kstats_family {
        const char *name, *type, *help;
} wt_kstats_family_t;

/* HELP and TYPE of f, before its first sample only. */
static void wt_kstats_head(wt_kstats_out_t *o, const wt_kstats_family_t *f,
                           int *done) {
        if (*done)
                return;
        *done = 1;
        wt_kstats_printf(o, "# HELP %s %s\n# TYPE %s %s\n", f->name, f->help,
                         f->name, f->type);
}

/* Families with one sample per client, in wt_kstats_doc_t.client order;
 * the producer's queue alone has no consumer counterpart. */
typedef struct wt_kstats_client_family {
        wt_kstats_family_t f;
        int producer_only;
} wt_kstats_client_family_t;

static const wt_kstats_client_family_t
        wt_kstats_client_families[WT_KSTATS__NCLIENT] = {
        [WT_KSTATS_TIME] = {
                {"wiretag_kafka_stats_timestamp_seconds", "gauge",
                 "When librdkafka last reported statistics (Unix time); "
                 "stale when wiretag stopped polling the client."},
                0},
        [WT_KSTATS_REPLYQ] = {
                {"wiretag_kafka_replyq", "gauge",
                 "Events (deliveries, rebalances, errors) librdkafka holds "
                 "for wiretag to poll."},
                0},
        [WT_KSTATS_BROKERS] = {
                {"wiretag_kafka_brokers", "gauge",
                 "Brokers of the cluster the client knows."},
                0},
        [WT_KSTATS_BROKERS_UP] = {
                {"wiretag_kafka_brokers_up", "gauge",
                 "Brokers of the cluster the client is connected to "
                 "(state UP)."},
                0},
        [WT_KSTATS_MSG_CNT] = {
                {"wiretag_producer_queue_messages", "gauge",
                 "Output records handed to the producer whose delivery "
                 "wiretag has not yet been told of."},
                1},
        [WT_KSTATS_MSG_SIZE] = {
                {"wiretag_producer_queue_bytes", "gauge",
                 "Bytes of the output records in the producer's queues."},
                1},
};

static const wt_kstats_family_t wt_kstats_lag = {
        "wiretag_consumer_lag_messages", "gauge",
        "Messages of an assigned input partition not yet committed by "
        "wiretag's group (end offset minus committed offset)."};
static const wt_kstats_family_t wt_kstats_committed = {
        "wiretag_consumer_committed_offset", "gauge",
        "Offset committed for an assigned input partition."};

/* Per output topic: one value each. */
enum { WT_KSTATS_TXMSGS, WT_KSTATS_TXBYTES, WT_KSTATS_BATCHES };
static const wt_kstats_family_t wt_kstats_topic_families[] = {
        [WT_KSTATS_TXMSGS] = {"wiretag_producer_records_sent_total",
                              "counter",
                              "Records sent to the brokers for an output "
                              "topic (a retried send counts again)."},
        [WT_KSTATS_TXBYTES] = {"wiretag_producer_bytes_sent_total",
                               "counter",
                               "Key and value bytes of the records sent for "
                               "an output topic."},
        [WT_KSTATS_BATCHES] = {"wiretag_producer_batches", "gauge",
                               "Record batches sent for an output topic over "
                               "the last statistics interval."},
};
static const wt_kstats_family_t wt_kstats_batch_bytes = {
        "wiretag_producer_batch_bytes", "gauge",
        "Size of the record batches sent for an output topic (after "
        "compression) over the last statistics interval."};
static const wt_kstats_family_t wt_kstats_batch_msgs = {
        "wiretag_producer_batch_messages", "gauge",
        "Records per batch sent for an output topic over the last "
        "statistics interval."};

static void wt_kstats_render_client(wt_kstats_out_t *o,
                                    wt_kstats_doc_t *const *docs, int k) {
        const wt_kstats_client_family_t *cf = &wt_kstats_client_families[k];
        int done = 0, r;
        for (r = 0; r < WT_KSTATS__CNT; r++) {
                int64_t v = docs[r] ? docs[r]->client[k] : -1;
                if (v < 0 || (cf->producer_only && r != WT_KSTATS_PRODUCER))
                        continue;
                wt_kstats_head(o, &cf->f, &done);
                if (cf->producer_only)
                        wt_kstats_printf(o, "%s %" PRId64 "\n", cf->f.name, v);
                else
                        wt_kstats_printf(o, "%s{client=\"%s\"} %" PRId64 "\n",
                                         cf->f.name, wt_kstats_role_names[r],
                                         v);
        }
}

/* Lag (committed 0) or committed offset (1) of each assigned partition. */
static void wt_kstats_render_parts(wt_kstats_out_t *o,
                                   const wt_kstats_doc_t *d, int committed) {
        const wt_kstats_family_t *f =
                committed ? &wt_kstats_committed : &wt_kstats_lag;
        int done = 0;
        size_t i;
        for (i = 0; i < d->nparts; i++) {
                const wt_kstats_part_t *pt = &d->parts[i];
                int64_t v = committed ? pt->committed : pt->lag;
                if (v < 0)
                        continue;
                wt_kstats_head(o, f, &done);
                wt_kstats_printf(o,
                                 "%s{topic=\"%s\",partition=\"%" PRId32
                                 "\"} %" PRId64 "\n",
                                 f->name, pt->topic, pt->partition, v);
        }
}

static void wt_kstats_render_topics(wt_kstats_out_t *o,
                                    const wt_kstats_doc_t *d, int k) {
        const wt_kstats_family_t *f = &wt_kstats_topic_families[k];
        int done = 0;
        size_t i;
        for (i = 0; i < d->ntopics; i++) {
                const wt_kstats_topic_t *t = &d->topics[i];
                uint64_t v = k == WT_KSTATS_TXMSGS    ? t->txmsgs
                             : k == WT_KSTATS_TXBYTES ? t->txbytes
                             : t->batch_bytes.cnt > 0
                                     ? (uint64_t)t->batch_bytes.cnt
                                     : 0;
                wt_kstats_head(o, f, &done);
                wt_kstats_printf(o, "%s{topic=\"%s\"} %" PRIu64 "\n", f->name,
                                 t->topic, v);
        }
}

/* The window stats of every topic that sent a batch this interval (an
 * empty window reads all zeros, which would look like tiny batches). */
static void wt_kstats_render_window(wt_kstats_out_t *o,
                                    const wt_kstats_doc_t *d, int msgs) {
        const wt_kstats_family_t *f =
                msgs ? &wt_kstats_batch_msgs : &wt_kstats_batch_bytes;
        int done = 0, k;
        size_t i;
        for (i = 0; i < d->ntopics; i++) {
                const wt_kstats_topic_t *t = &d->topics[i];
                const wt_kstats_window_t *w =
                        msgs ? &t->batch_msgs : &t->batch_bytes;
                if (w->cnt <= 0)
                        continue;
                wt_kstats_head(o, f, &done);
                for (k = 0; k < WT_KSTATS_NSTATS; k++)
                        wt_kstats_printf(o,
                                         "%s{topic=\"%s\",stat=\"%s\"} "
                                         "%" PRId64 "\n",
                                         f->name, t->topic,
                                         wt_kstats_stat_names[k], w->v[k]);
        }
}

void wt_kstats_render(wt_kstats_t *ks, wt_kstats_emit_cb *emit, void *opaque) {
        wt_kstats_out_t o = {emit, opaque};
        const wt_kstats_doc_t *c, *p;
        int k;

        pthread_mutex_lock(&ks->lock);
        c = ks->docs[WT_KSTATS_CONSUMER];
        p = ks->docs[WT_KSTATS_PRODUCER];
        for (k = 0; k < WT_KSTATS__NCLIENT; k++)
                wt_kstats_render_client(&o, ks->docs, k);
        if (c) {
                wt_kstats_render_parts(&o, c, 0);
                wt_kstats_render_parts(&o, c, 1);
        }
        if (p) {
                wt_kstats_render_topics(&o, p, WT_KSTATS_TXMSGS);
                wt_kstats_render_topics(&o, p, WT_KSTATS_TXBYTES);
                wt_kstats_render_topics(&o, p, WT_KSTATS_BATCHES);
                wt_kstats_render_window(&o, p, 0);
                wt_kstats_render_window(&o, p, 1);
        }
        pthread_mutex_unlock(&ks->lock);
}
