/*
 * wiretag - wt_stream.c: consume, classify, publish. See wt_stream.h.
 *
 * Threads:
 *  - the caller of wt_stream_run() polls the consumer, admits messages
 *    within the in-flight bounds and hands each to the worker that owns
 *    its partition; rebalance callbacks run here too;
 *  - N workers parse, classify and produce, each with its own scratch;
 *  - one thread serves the producer's delivery reports, which complete
 *    jobs and store offsets.
 *
 * A job is one input message in flight. It counts its unacknowledged
 * outputs; the count starts at 1 (a guard the worker drops once it has
 * produced everything), so a job cannot complete while still producing.
 * Each assigned partition has a tracker: a ring of its in-flight offsets
 * in consume order. A completed job marks its slot; the tracker then
 * stores (rd_kafka_offsets_store) the offset after the longest completed
 * prefix, so an offset is committed only when every earlier message of
 * the partition is fully published. A job whose output the broker refused
 * leaves its slot failed: the partition stops committing there, loudly
 * (see wt_output_failed for what happens to the input).
 *
 * processing.guarantee=exactly_once keeps all of that, but completed
 * offsets go into the producer's open transaction instead of the offset
 * store: every commit interval, and before partitions are revoked, the
 * consumer thread stops admitting, waits until nothing is in flight, and
 * commits the transaction with the offsets (rd_kafka_send_offsets_to_
 * transaction with the group's metadata), so outputs and offsets become
 * visible together. An output refused inside the transaction, or a commit
 * the broker wants aborted, aborts it and rewinds every partition to its
 * last committed offset: the inputs are processed again in the next one.
 */
#include "wt_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "wt_article.h"
#include "wt_kstats.h"
#include "wt_log.h"
#include "wt_model.h"
#include "wt_jsonmem.h"
#include "wt_record.h"

#define BAD(code, ...) wt_seterr(errstr, errstr_size, code, __VA_ARGS__)

typedef struct wt_ptrack wt_ptrack_t;
typedef struct wt_job wt_job_t;
typedef struct wt_worker wt_worker_t;
typedef struct wt_binding wt_binding_t;

/* Upper bounds (ns) of the classification-time histogram's buckets. */
#define WT_HIST_NB 10
static const uint64_t wt_hist_bounds[WT_HIST_NB] = {
        10000,  25000,  50000,   100000,  250000,
        500000, 1000000, 2500000, 10000000, 100000000};

struct wt_ptrack {
        wt_stream_t *s;
        char *topic;
        int32_t partition;
        unsigned worker;
        pthread_mutex_t lock;
        uint64_t base_seq, next_seq; /* jobs [base, next) in flight */
        size_t cap;
        int64_t *offsets;            /* ring, indexed seq % cap */
        uint8_t *state;              /* 0 pending, 1 done, 2 failed */
        int revoked;
        int stuck;
        int leaving;                 /* being revoked (main thread) */
        /* exactly_once: the offset to commit with the open transaction
         * (-1: none new) and how many inputs it covers; the offset the
         * last transaction committed and the first one admitted in this
         * assignment (-1: none), which a rewind seeks back to. */
        int64_t txn_offset;
        uint64_t txn_count;
        int64_t committed_offset, first_offset;
        /* exactly_once with output.error.policy=dlq: inputs whose output
         * to a topic the broker refused; after the rewind that output is
         * skipped and the input goes to dlq.topic as well. */
        struct wt_poison {
                int64_t offset;
                const struct wt_otopic *topic;
                char why[256];
        } *poison;
        size_t npoison, cappoison;
        atomic_int has_poison;
        /* Messages consumed while the window was full, in order, and
         * whether the partition is paused for them. Main thread only. */
        wt_job_t *held_head, *held_tail;
        int paused;
        wt_ptrack_t *next;           /* in the stream's list */
};

struct wt_job {
        wt_job_t *next; /* worker queue */
        rd_kafka_message_t *rkm;
        wt_ptrack_t *pt;
        uint64_t seq;
        size_t bytes;
        atomic_int pending;
        atomic_int failed;
        atomic_int dead_lettered; /* one dead letter per input at most */
};

struct wt_worker {
        wt_stream_t *s;
        unsigned id;
        pthread_t thread;
        int started;
        pthread_mutex_t lock;
        pthread_cond_t cond;
        wt_job_t *head, *tail;
        int quit;
        wt_scratch_t *scratch;
        wt_recbuf_t record;     /* the labeled record being published */
        wt_jsonmem_arena_t *json; /* the parsed article's memory */
        _Atomic(wt_binding_t *) hazard; /* the binding in use, or NULL */
        /* Classification time per article: buckets of wt_hist_bounds,
         * written by this worker only (relaxed), read by a scrape. */
        atomic_uint_fast64_t hist[WT_HIST_NB + 1];
        atomic_uint_fast64_t hist_sum_ns;
};

/* An output topic: its handle and partition count. */
typedef struct wt_otopic {
        const char *name;
        rd_kafka_topic_t *rkt;  /* its opaque is this struct */
        int32_t partitions;
        atomic_uint_fast64_t produced; /* records the broker acknowledged */
        atomic_int refusal_logged;     /* first refusal logged (WARN) */
} wt_otopic_t;

typedef struct wt_oroute {
        wt_otopic_t *topic;
} wt_oroute_t;

/* A model with what depends on it: the feature configuration articles are
 * read with and the label of every route. Immutable once published; a
 * reload publishes a new one and frees the old when no worker holds it. */
struct wt_binding {
        wt_model_t *model;
        wt_feature_conf_t fconf; /* model's, with input.fields applied */
        int *route_label;        /* per route: the label index */
        atomic_uint_fast64_t *tags; /* per label: articles tagged */
        atomic_uint_fast64_t untagged;
        double loaded_at;        /* Unix time of the load */
};

struct wt_stream_s {
        const wt_config_t *cfg;
        /* The serving model. Workers read it once per message and publish
         * what they read in their hazard slot; wt_stream_reload() swaps it
         * and waits for the slots to let go of the old one. */
        _Atomic(wt_binding_t *) binding;
        atomic_int reload_requested;
        atomic_uint_fast64_t reloads, reload_failures;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        int cooperative;
        /* exactly_once: the open transaction. Main thread only, but for
         * txn_failed (set by any thread when an output of the open
         * transaction failed) and the counters. */
        int eos;
        uint64_t txn_begun_ms;
        atomic_int txn_failed;
        atomic_uint_fast64_t txn_commits, txn_aborts;

        wt_otopic_t *otopics;    /* output, dlq, unlabeled, routes */
        size_t notopics;
        wt_otopic_t *out, *dlq, *unlabeled;
        wt_oroute_t *routes;
        size_t nroutes;

        unsigned nworkers;
        wt_worker_t *workers;
        pthread_t poller;
        int poller_started;
        atomic_int poller_quit;

        pthread_mutex_t lock;    /* trackers list; admission and drains */
        pthread_cond_t cond;
        wt_ptrack_t *assigned;
        wt_ptrack_t *retired;
        size_t npaused;          /* trackers holding messages (main) */

        atomic_int stop;
        atomic_int fatal;
        atomic_uint_fast64_t inflight, inflight_bytes;
        atomic_uint_fast64_t consumed, consumed_bytes, classified,
                dead_lettered, produced, produce_failed, committed;
        /* For metrics (wt_stream_metrics). */
        atomic_uint_fast64_t dlq_by_err[WT_ERR__CNT];
        atomic_uint_fast64_t rebalances;
        atomic_int subscribed;
        wt_kstats_t *kstats; /* librdkafka statistics, for metrics */
        _Atomic(wt_binding_t *) scrape_hazard; /* a metrics scrape's */
        pthread_mutex_t scrape_lock;           /* one scrape at a time */
};

/* ------------------------------------------------------------ helpers */

static uint64_t wt_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void wt_deadline(struct timespec *ts, unsigned ms) {
        clock_gettime(CLOCK_REALTIME, ts);
        ts->tv_sec += ms / 1000;
        ts->tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts->tv_nsec >= 1000000000L) {
                ts->tv_sec++;
                ts->tv_nsec -= 1000000000L;
        }
}

static unsigned wt_partition_worker(const char *topic, int32_t partition,
                                    unsigned n) {
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        const char *p;
        for (p = topic; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ (uint32_t)partition) * 1099511628211ull;
        return (unsigned)(h % n);
}

/* ------------------------------------------------------------ trackers */

static wt_ptrack_t *wt_ptrack_new(wt_stream_t *s, const char *topic,
                                  int32_t partition) {
        wt_ptrack_t *pt = calloc(1, sizeof(*pt));
        if (!pt)
                return NULL;
        pt->s = s;
        pt->partition = partition;
        /* In-flight messages of one partition never exceed the global
         * bound, so the ring never wraps onto a live slot. */
        pt->cap = s->cfg->queue_max_messages + 1;
        pt->topic = strdup(topic);
        pt->offsets = malloc(pt->cap * sizeof(*pt->offsets));
        pt->state = calloc(pt->cap, 1);
        if (!pt->topic || !pt->offsets || !pt->state) {
                free(pt->topic);
                free(pt->offsets);
                free(pt->state);
                free(pt);
                return NULL;
        }
        pt->worker = wt_partition_worker(topic, partition, s->nworkers);
        pt->txn_offset = pt->committed_offset = pt->first_offset = -1;
        pthread_mutex_init(&pt->lock, NULL);
        return pt;
}

static void wt_ptrack_destroy(wt_ptrack_t *pt) {
        pthread_mutex_destroy(&pt->lock);
        free(pt->poison);
        free(pt->topic);
        free(pt->offsets);
        free(pt->state);
        free(pt);
}

/* Caller holds s->lock. */
static wt_ptrack_t *wt_ptrack_find(wt_stream_t *s, const char *topic,
                                   int32_t partition) {
        wt_ptrack_t *pt;
        for (pt = s->assigned; pt; pt = pt->next)
                if (pt->partition == partition && !strcmp(pt->topic, topic))
                        return pt;
        return NULL;
}

static uint64_t wt_ptrack_inflight(wt_ptrack_t *pt) {
        uint64_t n;
        pthread_mutex_lock(&pt->lock);
        n = pt->next_seq - pt->base_seq;
        pthread_mutex_unlock(&pt->lock);
        return n;
}

/* A job finished: mark it and store the offset after the completed
 * prefix. Called from a worker or the delivery-report thread. */
static void wt_ptrack_complete(wt_ptrack_t *pt, uint64_t seq, int failed) {
        wt_stream_t *s = pt->s;
        int64_t store = -1;
        uint64_t advanced = 0, committed = 0;

        pthread_mutex_lock(&pt->lock);
        pt->state[seq % pt->cap] = failed ? 2 : 1;
        while (pt->base_seq < pt->next_seq &&
               pt->state[pt->base_seq % pt->cap] == 1) {
                store = pt->offsets[pt->base_seq % pt->cap] + 1;
                pt->state[pt->base_seq % pt->cap] = 0;
                pt->base_seq++;
                advanced++;
        }
        /* Store the completed prefix first: it is good even if a failed
         * message follows it. exactly_once hands it to the open
         * transaction instead. */
        if (store >= 0 && !pt->revoked && !pt->stuck && s->eos) {
                pt->txn_offset = store;
                pt->txn_count += advanced;
        } else if (store >= 0 && !pt->revoked && !pt->stuck) {
                rd_kafka_topic_partition_list_t *tpl =
                        rd_kafka_topic_partition_list_new(1);
                rd_kafka_resp_err_t err;
                rd_kafka_topic_partition_list_add(tpl, pt->topic,
                                                  pt->partition)
                        ->offset = store;
                err = rd_kafka_offsets_store(s->consumer, tpl);
                if (err)
                        wt_log_warn("%s [%" PRId32 "]: storing offset %" PRId64
                                    " failed: %s",
                                    pt->topic, pt->partition, store,
                                    rd_kafka_err2str(err));
                rd_kafka_topic_partition_list_destroy(tpl);
                committed = advanced;
        }
        if (pt->base_seq < pt->next_seq &&
            pt->state[pt->base_seq % pt->cap] == 2) {
                /* Nothing past a failed message may commit: on restart
                 * (or when the partition moves) it is processed again.
                 * exactly_once aborts and rewinds instead (quietly:
                 * wt_output_failed said why). */
                if (!pt->stuck && !s->eos)
                        wt_log_error("%s [%" PRId32 "] offset %" PRId64
                                     ": an output was refused by the "
                                     "broker; this partition commits no "
                                     "further until wiretag restarts",
                                     pt->topic, pt->partition,
                                     pt->offsets[pt->base_seq % pt->cap]);
                pt->stuck = 1;
        }
        if (pt->stuck) {
                /* Finished messages of a stuck partition (the failed one
                 * included) leave flight, so that shutdown and revocation
                 * do not wait for them, but are never stored; pending
                 * ones leave as they finish. */
                while (pt->base_seq < pt->next_seq &&
                       pt->state[pt->base_seq % pt->cap] != 0) {
                        pt->state[pt->base_seq % pt->cap] = 0;
                        pt->base_seq++;
                }
        }
        pthread_mutex_unlock(&pt->lock);
        if (committed)
                atomic_fetch_add(&s->committed, committed);
}

/* ---------------------------------------------------------------- jobs */

static void wt_job_finish(wt_job_t *job) {
        wt_stream_t *s = job->pt->s;
        wt_ptrack_complete(job->pt, job->seq, atomic_load(&job->failed));
        atomic_fetch_sub(&s->inflight, 1);
        atomic_fetch_sub(&s->inflight_bytes, job->bytes);
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        /* Kept until now: a refused output dead-letters the input. */
        rd_kafka_message_destroy(job->rkm);
        free(job);
}

static void wt_job_release(wt_job_t *job) {
        if (atomic_fetch_sub(&job->pending, 1) == 1)
                wt_job_finish(job);
}

/* exactly_once: remember that the broker refused this input's output to
 * topic, so that after the rewind it is skipped and the input goes to
 * dlq.topic as well. Any thread. */
static void wt_ptrack_poison(wt_ptrack_t *pt, int64_t offset,
                             const struct wt_otopic *topic, const char *why) {
        size_t i;
        pthread_mutex_lock(&pt->lock);
        for (i = 0; i < pt->npoison; i++)
                if (pt->poison[i].offset == offset &&
                    pt->poison[i].topic == topic)
                        break;
        if (i == pt->npoison) {
                if (pt->npoison == pt->cappoison) {
                        size_t cap = pt->cappoison ? pt->cappoison * 2 : 8;
                        struct wt_poison *p =
                                realloc(pt->poison, cap * sizeof(*p));
                        if (!p) { /* the input is processed again, as if
                                   * the failure were transient */
                                pthread_mutex_unlock(&pt->lock);
                                return;
                        }
                        pt->poison = p;
                        pt->cappoison = cap;
                }
                pt->poison[i].offset = offset;
                pt->poison[i].topic = topic;
                snprintf(pt->poison[i].why, sizeof(pt->poison[i].why), "%s",
                         why);
                pt->npoison++;
                atomic_store(&pt->has_poison, 1);
        }
        pthread_mutex_unlock(&pt->lock);
}

/* 1 (and why) when the input at offset had its output to topic refused
 * before. */
static int wt_ptrack_poisoned(wt_ptrack_t *pt, int64_t offset,
                              const struct wt_otopic *topic, char *why,
                              size_t size) {
        size_t i;
        int found = 0;
        if (!atomic_load(&pt->has_poison))
                return 0;
        pthread_mutex_lock(&pt->lock);
        for (i = 0; i < pt->npoison && !found; i++)
                if (pt->poison[i].offset == offset &&
                    pt->poison[i].topic == topic) {
                        snprintf(why, size, "%s", pt->poison[i].why);
                        found = 1;
                }
        pthread_mutex_unlock(&pt->lock);
        return found;
}

/* A refusal that publishing the same record again cannot fix. */
static int wt_err_permanent(rd_kafka_resp_err_t err) {
        switch (err) {
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        case RD_KAFKA_RESP_ERR_INVALID_MSG:
        case RD_KAFKA_RESP_ERR_INVALID_RECORD:
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
        case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
        case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
                return 1;
        default:
                return 0;
        }
}

static void wt_dead_letter(wt_stream_t *s, wt_job_t *job, wt_err_t err,
                           const char *msg, int may_wait);

/* An output of job was refused (its delivery report, or producev at
 * once). What happens to the input, per output.error.policy:
 *  - refused for good (wt_err_permanent), policy dlq: the input goes to
 *    dlq.topic (output_refused) and the job completes when that is
 *    acknowledged; exactly_once cannot publish inside a transaction the
 *    refusal has doomed, so it remembers the input and topic, aborts,
 *    rewinds, and when the input comes again publishes its other outputs
 *    and the dead letter (the same records as at_least_once);
 *  - exactly_once, any failure not for good (a timeout, or the
 *    transaction already doomed): abort, rewind and process it again;
 *  - otherwise stop wiretag; the job stays failed, so its offset never
 *    commits and a restart processes it again.
 * Purges (an abort, or shutdown) are no verdict on the record: the job
 * just fails. */
static void wt_output_failed(wt_stream_t *s, wt_job_t *job,
                             wt_otopic_t *ot, rd_kafka_resp_err_t err) {
        const rd_kafka_message_t *in = job->rkm;
        const char *topic = ot->name;
        int permanent = wt_err_permanent(err);
        int dead_letter = ot == s->dlq;
        char why[256];

        atomic_fetch_add(&s->produce_failed, 1);
        if (err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
            err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
                atomic_store(&job->failed, 1);
                /* exactly_once: librdkafka also purges a transaction that
                 * needs an epoch bump; it must be aborted. */
                if (s->eos)
                        atomic_store(&s->txn_failed, 1);
                return;
        }
        snprintf(why, sizeof(why), "publishing to %s: %s", topic,
                 rd_kafka_err2str(err));
        if (permanent && !dead_letter &&
            s->cfg->output_policy == WT_OUTPUT_POLICY_DLQ) {
                if (s->eos) {
                        wt_ptrack_poison(job->pt, in->offset, ot, why);
                        atomic_store(&job->failed, 1);
                        if (!atomic_exchange(&s->txn_failed, 1))
                                wt_log_warn("%s [%" PRId32 "] offset %" PRId64
                                            ": %s; aborting the transaction, "
                                            "the input goes to dlq.topic in "
                                            "the next",
                                            job->pt->topic, job->pt->partition,
                                            in->offset, why);
                        return;
                }
                if (!atomic_exchange(&job->dead_lettered, 1)) {
                        /* Once per topic at WARN: a topic that refuses
                         * everything would flood the log (the metrics
                         * count every one). */
                        int first = !atomic_exchange(&ot->refusal_logged, 1);
                        wt_log(first ? WT_LOG_WARN : WT_LOG_DEBUG,
                               "%s [%" PRId32 "] offset %" PRId64
                               ": %s; input published to dlq.topic "
                               "(output.error.policy=dlq)%s",
                               job->pt->topic, job->pt->partition, in->offset,
                               why,
                               first ? "; further refusals by this topic "
                                       "are logged at debug level"
                                     : "");
                        wt_dead_letter(s, job, WT_ERR_OUTPUT_REFUSED, why, 0);
                }
                return;
        }
        atomic_store(&job->failed, 1);
        if (s->eos && !permanent) {
                /* Also what every output gets once the transaction is
                 * doomed (Local: Erroneous state). */
                if (!atomic_exchange(&s->txn_failed, 1))
                        wt_log_warn("%s [%" PRId32 "] offset %" PRId64
                                    ": %s; aborting the transaction, the "
                                    "input is processed again",
                                    job->pt->topic, job->pt->partition,
                                    in->offset, why);
                return;
        }
        if (s->eos)
                atomic_store(&s->txn_failed, 1);
        if (!atomic_exchange(&s->fatal, 1))
                wt_log_error("%s [%" PRId32 "] offset %" PRId64
                             ": %s; stopping (%s): no offset commits past "
                             "this input, a restart processes it again",
                             job->pt->topic, job->pt->partition, in->offset,
                             why,
                             dead_letter ? "dlq.topic refused the dead letter"
                             : permanent ? "output.error.policy=stop"
                                         : "an output could not be "
                                           "delivered");
        atomic_store(&s->stop, 1);
}

/* Delivery report: one output of a job acknowledged or refused. */
static void wt_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                     void *opaque) {
        wt_stream_t *s = opaque;
        wt_job_t *job = rkm->_private;
        wt_otopic_t *ot = rd_kafka_topic_opaque(rkm->rkt);
        (void)rk;
        if (rkm->err) {
                wt_output_failed(s, job, ot, rkm->err);
        } else {
                atomic_fetch_add(&s->produced, 1);
                atomic_fetch_add_explicit(&ot->produced, 1,
                                          memory_order_relaxed);
        }
        wt_job_release(job);
}

/* Produce one record for job; counts it as pending first. Retries while
 * the local queue is full when may_wait (not on the delivery-report
 * thread, which is what empties it). hdrs is consumed in every case. */
static void wt_produce(wt_stream_t *s, wt_job_t *job, wt_otopic_t *ot,
                       const void *value, size_t len, rd_kafka_headers_t *hdrs,
                       int may_wait) {
        const rd_kafka_message_t *in = job->rkm;
        int32_t partition = in->partition % ot->partitions;
        rd_kafka_resp_err_t err;

        atomic_fetch_add(&job->pending, 1);
        for (;;) {
                err = rd_kafka_producev(
                        s->producer, RD_KAFKA_V_RKT(ot->rkt),
                        RD_KAFKA_V_PARTITION(partition),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_VALUE((void *)value, len),
                        RD_KAFKA_V_KEY(in->key, in->key_len),
                        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(job),
                        RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || !may_wait ||
                    atomic_load(&s->fatal))
                        break;
                /* The delivery thread drains the queue. */
                {
                        struct timespec ts = {0, 5 * 1000 * 1000};
                        nanosleep(&ts, NULL);
                }
        }
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                wt_output_failed(s, job, ot, err);
                wt_job_release(job);
        }
}

static rd_kafka_headers_t *wt_input_headers(const rd_kafka_message_t *rkm) {
        rd_kafka_headers_t *in = NULL;
        if (rd_kafka_message_headers(rkm, &in) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            in)
                return rd_kafka_headers_copy(in);
        return rd_kafka_headers_new(4);
}

static void wt_dead_letter(wt_stream_t *s, wt_job_t *job, wt_err_t err,
                           const char *msg, int may_wait) {
        const rd_kafka_message_t *in = job->rkm;
        rd_kafka_headers_t *h = wt_input_headers(in);
        char num[32];

        rd_kafka_header_add(h, "wiretag-error", -1, wt_err_name(err), -1);
        rd_kafka_header_add(h, "wiretag-error-message", -1, msg, -1);
        rd_kafka_header_add(h, "wiretag-source-topic", -1,
                            rd_kafka_topic_name(in->rkt), -1);
        snprintf(num, sizeof(num), "%" PRId32, in->partition);
        rd_kafka_header_add(h, "wiretag-source-partition", -1, num, -1);
        snprintf(num, sizeof(num), "%" PRId64, in->offset);
        rd_kafka_header_add(h, "wiretag-source-offset", -1, num, -1);
        wt_log_debug("%s [%" PRId32 "] offset %" PRId64 " -> %s: %s: %s",
                     rd_kafka_topic_name(in->rkt), in->partition, in->offset,
                     s->dlq->name, wt_err_name(err), msg);
        atomic_fetch_add(&s->dead_lettered, 1);
        if ((unsigned)err < WT_ERR__CNT)
                atomic_fetch_add(&s->dlq_by_err[err], 1);
        wt_produce(s, job, s->dlq, in->payload, in->len, h, may_wait);
}

/* The serving binding, published in a hazard slot (a worker's, or the
 * metrics scrape's) until the holder is done: store the slot, then check
 * the binding is still the serving one (a reload in between is retried),
 * so a reloader that no longer sees it in any slot knows nobody can start
 * using it. */
static wt_binding_t *wt_binding_hold(wt_stream_t *s,
                                     _Atomic(wt_binding_t *) *slot) {
        wt_binding_t *b = atomic_load(&s->binding), *now;
        for (;;) {
                atomic_store(slot, b);
                now = atomic_load(&s->binding);
                if (now == b)
                        return b;
                b = now;
        }
}

/* Publish the labeled record to ot, with the input's headers plus ours;
 * unless the broker refused this input's record there before (exactly_once
 * after a rewind): then set *refused and why, for the dead letter. */
static void wt_publish(wt_stream_t *s, wt_job_t *job, wt_otopic_t *ot,
                       const wt_recbuf_t *rec, const wt_binding_t *b,
                       const char *labels, int *refused, char *why,
                       size_t why_size) {
        rd_kafka_headers_t *h;
        if (wt_ptrack_poisoned(job->pt, job->rkm->offset, ot, why,
                               why_size)) {
                *refused = 1;
                return;
        }
        h = wt_input_headers(job->rkm);
        rd_kafka_header_add(h, "wiretag-model", -1, wt_model_id(b->model), -1);
        rd_kafka_header_add(h, "wiretag-labels", -1, labels, -1);
        wt_produce(s, job, ot, rec->data, rec->len, h, 1);
}

static void wt_process(wt_stream_t *s, wt_worker_t *w, wt_job_t *job) {
        const rd_kafka_message_t *in = job->rkm;
        wt_binding_t *b;
        wt_article_t art;
        wt_prediction_t pred;
        char errstr[512], labels[4096];
        wt_err_t err;
        size_t i, r, off = 0;
        int refused;

        atomic_store(&job->pending, 1); /* the guard */
        b = wt_binding_hold(s, &w->hazard);
        wt_jsonmem_enter(w->json); /* until done: no malloc per message */
        if (!in->payload || in->len == 0) {
                wt_dead_letter(s, job, WT_ERR_JSON, "empty message", 1);
                goto done;
        }
        err = wt_article_parse(in->payload, in->len, &b->fconf,
                               s->cfg->input_max_bytes, &art, errstr,
                               sizeof(errstr));
        if (!err) {
                struct timespec t0, t1;
                uint64_t ns;
                unsigned k = 0;
                clock_gettime(CLOCK_MONOTONIC, &t0);
                err = wt_classify(b->model, w->scratch, &art.segs, &pred);
                clock_gettime(CLOCK_MONOTONIC, &t1);
                ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
                     (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
                while (k < WT_HIST_NB && ns > wt_hist_bounds[k])
                        k++;
                atomic_fetch_add_explicit(&w->hist[k], 1,
                                          memory_order_relaxed);
                atomic_fetch_add_explicit(&w->hist_sum_ns, ns,
                                          memory_order_relaxed);
                if (err)
                        snprintf(errstr, sizeof(errstr), "%s",
                                 wt_err_describe(err));
        }
        if (err) {
                wt_article_clear(&art);
                wt_dead_letter(s, job, err, errstr, 1);
                goto done;
        }

        err = wt_record_build(in->payload, in->len, art.root, b->model,
                              &pred, &w->record);
        wt_article_clear(&art);
        if (err) {
                wt_dead_letter(s, job, err, "cannot build the labeled record",
                               1);
                goto done;
        }
        labels[0] = '\0';
        for (i = 0; i < pred.ntags && off < sizeof(labels); i++)
                off += (size_t)snprintf(
                        labels + off, sizeof(labels) - off, "%s%s",
                        i ? "," : "",
                        wt_model_label(b->model, pred.tags[i].label));

        for (i = 0; i < pred.ntags; i++)
                atomic_fetch_add_explicit(&b->tags[pred.tags[i].label], 1,
                                          memory_order_relaxed);
        if (!pred.ntags)
                atomic_fetch_add_explicit(&b->untagged, 1,
                                          memory_order_relaxed);
        atomic_fetch_add(&s->classified, 1);
        refused = 0;
        wt_publish(s, job, s->out, &w->record, b, labels, &refused, errstr,
                   sizeof(errstr));
        for (r = 0; r < s->nroutes; r++)
                for (i = 0; i < pred.ntags; i++)
                        if (pred.tags[i].label == (uint32_t)b->route_label[r])
                                wt_publish(s, job, s->routes[r].topic,
                                           &w->record, b, labels, &refused,
                                           errstr, sizeof(errstr));
        if (pred.ntags == 0 && s->unlabeled)
                wt_publish(s, job, s->unlabeled, &w->record, b, labels,
                           &refused, errstr, sizeof(errstr));
        if (refused && !atomic_exchange(&job->dead_lettered, 1))
                wt_dead_letter(s, job, WT_ERR_OUTPUT_REFUSED, errstr, 1);
done:
        wt_jsonmem_leave(w->json);
        atomic_store(&w->hazard, NULL);
        wt_job_release(job); /* drop the guard */
}

/* ------------------------------------------------------------- threads */

static void *wt_worker_main(void *arg) {
        wt_worker_t *w = arg;
        for (;;) {
                wt_job_t *job;
                pthread_mutex_lock(&w->lock);
                while (!w->head && !w->quit)
                        pthread_cond_wait(&w->cond, &w->lock);
                job = w->head;
                if (job) {
                        w->head = job->next;
                        if (!w->head)
                                w->tail = NULL;
                }
                pthread_mutex_unlock(&w->lock);
                if (!job)
                        break; /* quit with an empty queue */
                wt_process(w->s, w, job);
        }
        return NULL;
}

static void wt_worker_push(wt_worker_t *w, wt_job_t *job) {
        job->next = NULL;
        pthread_mutex_lock(&w->lock);
        if (w->tail)
                w->tail->next = job;
        else
                w->head = job;
        w->tail = job;
        pthread_cond_signal(&w->cond);
        pthread_mutex_unlock(&w->lock);
}

static void *wt_poller_main(void *arg) {
        wt_stream_t *s = arg;
        while (!atomic_load(&s->poller_quit))
                rd_kafka_poll(s->producer, 100);
        return NULL;
}

/* ------------------------------------------------------------ admission */

/* Register job in its partition's ring and hand it to the partition's
 * worker. Main thread. */
static void wt_admit(wt_stream_t *s, wt_ptrack_t *pt, wt_job_t *job) {
        rd_kafka_message_t *rkm = job->rkm;
        job->pt = pt;
        job->bytes = rkm->len;
        pthread_mutex_lock(&pt->lock);
        job->seq = pt->next_seq++;
        pt->offsets[job->seq % pt->cap] = rkm->offset;
        if (pt->first_offset < 0)
                pt->first_offset = rkm->offset;
        pt->state[job->seq % pt->cap] = 0;
        pthread_mutex_unlock(&pt->lock);
        atomic_fetch_add(&s->inflight, 1);
        atomic_fetch_add(&s->inflight_bytes, job->bytes);
        atomic_fetch_add(&s->consumed, 1);
        atomic_fetch_add(&s->consumed_bytes, rkm->len);
        wt_worker_push(&s->workers[pt->worker], job);
}

/* The ring holds cap - 1 messages from the oldest unfinished one to the
 * newest. Jobs finish out of order (delivery reports of different output
 * topics arrive at different times), so a slow message can fill a
 * partition's window while the global bound still has room. */
static int wt_window_full(wt_ptrack_t *pt) {
        return wt_ptrack_inflight(pt) >= pt->cap - 1;
}

static void wt_pause(wt_stream_t *s, wt_ptrack_t *pt, int pause) {
        rd_kafka_topic_partition_list_t *tpl =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_add(tpl, pt->topic, pt->partition);
        err = pause ? rd_kafka_pause_partitions(s->consumer, tpl)
                    : rd_kafka_resume_partitions(s->consumer, tpl);
        if (err)
                wt_log_warn("%s %s [%" PRId32 "]: %s",
                            pause ? "pausing" : "resuming", pt->topic,
                            pt->partition, rd_kafka_err2str(err));
        else
                wt_log_debug("%s %s [%" PRId32 "]",
                             pause ? "paused" : "resumed", pt->topic,
                             pt->partition);
        rd_kafka_topic_partition_list_destroy(tpl);
}

/* Window full: keep the message, in order, and pause only this
 * partition, so the others keep flowing (no head-of-line blocking). */
static void wt_hold(wt_stream_t *s, wt_ptrack_t *pt, wt_job_t *job) {
        job->next = NULL;
        if (pt->held_tail)
                pt->held_tail->next = job;
        else
                pt->held_head = job;
        pt->held_tail = job;
        if (!pt->paused) {
                wt_pause(s, pt, 1);
                pt->paused = 1;
                s->npaused++;
        }
}

/* Admit held messages whose window has room; resume emptied partitions.
 * Main thread (which alone changes the assigned list). */
static void wt_release_held(wt_stream_t *s) {
        wt_ptrack_t *pt;
        for (pt = s->assigned; pt; pt = pt->next) {
                if (!pt->paused)
                        continue;
                while (pt->held_head && !wt_window_full(pt)) {
                        wt_job_t *job = pt->held_head;
                        pt->held_head = job->next;
                        if (!pt->held_head)
                                pt->held_tail = NULL;
                        wt_admit(s, pt, job);
                }
                if (!pt->held_head) {
                        wt_pause(s, pt, 0);
                        pt->paused = 0;
                        s->npaused--;
                }
        }
}

/* Drop held messages: never registered, so never committed; the next
 * owner (or a restart) consumes them again. */
static void wt_drop_held(wt_stream_t *s, wt_ptrack_t *pt) {
        while (pt->held_head) {
                wt_job_t *job = pt->held_head;
                pt->held_head = job->next;
                rd_kafka_message_destroy(job->rkm);
                free(job);
        }
        pt->held_tail = NULL;
        if (pt->paused) {
                pt->paused = 0;
                s->npaused--;
        }
}

/* ----------------------------------------------------------- rebalance */

static void wt_describe_parts(const rd_kafka_topic_partition_list_t *parts,
                              char *buf, size_t size) {
        size_t off = 0;
        int i;
        buf[0] = '\0';
        for (i = 0; i < parts->cnt && off < size; i++)
                off += (size_t)snprintf(buf + off, size - off, "%s%s[%" PRId32
                                        "]",
                                        i ? " " : "", parts->elems[i].topic,
                                        parts->elems[i].partition);
}

/* Wait (bounded) until no job of these partitions (pts NULL: of any) is
 * in flight: 0, or -1 at the deadline; with doomed (exactly_once), 1 as
 * soon as the open transaction has failed: its queued outputs get no
 * delivery report before the abort purges them. */
static int wt_drain(wt_stream_t *s, wt_ptrack_t **pts, int n,
                    unsigned timeout_ms, int doomed) {
        uint64_t until = wt_now_ms() + timeout_ms;
        for (;;) {
                uint64_t left = 0;
                int i;
                struct timespec ts;
                if (!pts)
                        left = atomic_load(&s->inflight);
                for (i = 0; pts && i < n; i++)
                        if (pts[i])
                                left += wt_ptrack_inflight(pts[i]);
                if (left == 0)
                        return 0;
                if (doomed && atomic_load(&s->txn_failed))
                        return 1;
                if (wt_now_ms() >= until)
                        return -1;
                wt_deadline(&ts, 100);
                pthread_mutex_lock(&s->lock);
                pthread_cond_timedwait(&s->cond, &s->lock, &ts);
                pthread_mutex_unlock(&s->lock);
        }
}

/* -------------------------------------------------------- transactions */

/* Each transactional call blocks at most this long; a retriable error
 * (e.g. the coordinator moving) is retried this many times. */
#define WT_TXN_TIMEOUT_MS 30000
#define WT_TXN_RETRIES 6

/* A transactional call failed for good: the producer is fenced (another
 * process with this transactional.id, or the group moved on without it)
 * or in a state no abort fixes. */
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

static void wt_txn_begin(wt_stream_t *s) {
        rd_kafka_error_t *error = rd_kafka_begin_transaction(s->producer);
        s->txn_begun_ms = wt_now_ms();
        if (error) {
                wt_txn_fatal(s, "beginning a transaction", error);
                rd_kafka_error_destroy(error);
        }
}

/* Resume a partition held for a full window, dropping what it held. */
static void wt_unhold(wt_stream_t *s, wt_ptrack_t *pt) {
        int paused = pt->paused;
        wt_drop_held(s, pt);
        if (paused)
                wt_pause(s, pt, 0);
}

/* Abort the open transaction and, with rewind, seek every assigned
 * partition back to what the last transaction committed (or, when none
 * did, to the first message admitted), forgetting what came after: it is
 * consumed and processed again in the next transaction. Main thread. */
static void wt_txn_abort(wt_stream_t *s, int rewind, const char *why) {
        rd_kafka_topic_partition_list_t *seek;
        rd_kafka_error_t *error = NULL;
        wt_ptrack_t *pt;
        int i;

        /* Abort at once: a failed transaction's queued outputs get their
         * delivery reports only when the abort purges them. A worker still
         * producing meanwhile gets an error, which its input (rewound
         * below) does not mind. */
        for (i = 0; i < WT_TXN_RETRIES; i++) {
                if (error)
                        rd_kafka_error_destroy(error);
                error = rd_kafka_abort_transaction(s->producer,
                                                   WT_TXN_TIMEOUT_MS);
                /* An abort whose own EndTxn fails abortably is simply
                 * tried again. */
                if (!error || !(rd_kafka_error_is_retriable(error) ||
                                rd_kafka_error_txn_requires_abort(error)))
                        break;
        }
        if (error) {
                wt_txn_fatal(s, "aborting the transaction", error);
                rd_kafka_error_destroy(error);
                return;
        }
        /* Purged, and the workers' stragglers failed: nothing of the
         * aborted transaction is left in flight. */
        if (wt_drain(s, NULL, 0, s->cfg->shutdown_timeout_ms, 0))
                wt_log_warn("after the abort, %" PRIu64 " message(s) still "
                            "in flight after %u ms",
                            (uint64_t)atomic_load(&s->inflight),
                            s->cfg->shutdown_timeout_ms);
        atomic_fetch_add(&s->txn_aborts, 1);
        atomic_store(&s->txn_failed, 0);

        seek = rd_kafka_topic_partition_list_new(8);
        for (pt = s->assigned; pt; pt = pt->next) {
                int64_t to = pt->committed_offset >= 0 ? pt->committed_offset
                                                       : pt->first_offset;
                if (rewind)
                        wt_unhold(s, pt);
                pthread_mutex_lock(&pt->lock);
                while (pt->base_seq < pt->next_seq)
                        pt->state[pt->base_seq++ % pt->cap] = 0;
                pt->stuck = 0;
                pt->txn_offset = -1;
                pt->txn_count = 0;
                pthread_mutex_unlock(&pt->lock);
                if (rewind && to >= 0 && !pt->leaving)
                        rd_kafka_topic_partition_list_add(seek, pt->topic,
                                                          pt->partition)
                                ->offset = to;
        }
        if (seek->cnt) {
                error = rd_kafka_seek_partitions(s->consumer, seek,
                                                 WT_TXN_TIMEOUT_MS);
                if (error) {
                        /* Without the rewind, committing later would skip
                         * what the abort threw away. */
                        wt_txn_fatal(s, "rewinding after an abort", error);
                        rd_kafka_error_destroy(error);
                        rd_kafka_topic_partition_list_destroy(seek);
                        return;
                }
                for (i = 0; i < seek->cnt; i++)
                        if (seek->elems[i].err) {
                                if (!atomic_exchange(&s->fatal, 1))
                                        wt_log_error(
                                                "rewinding %s [%" PRId32
                                                "] to %" PRId64 ": %s; "
                                                "stopping",
                                                seek->elems[i].topic,
                                                seek->elems[i].partition,
                                                seek->elems[i].offset,
                                                rd_kafka_err2str(
                                                        seek->elems[i].err));
                                atomic_store(&s->stop, 1);
                        }
        }
        wt_log_warn("transaction aborted (%s)%s", why,
                    rewind ? "; its inputs are processed again" : "");
        rd_kafka_topic_partition_list_destroy(seek);
        if (!atomic_load(&s->stop))
                wt_txn_begin(s);
}

/* Commit the open transaction: wait until nothing is in flight, then
 * commit every partition's completed offset with the outputs. When an
 * output failed, or the broker asks for it, abort and rewind instead.
 * Nothing to commit: the transaction stays open. Main thread. */
static void wt_txn_commit(wt_stream_t *s, const char *why) {
        rd_kafka_topic_partition_list_t *offsets;
        rd_kafka_consumer_group_metadata_t *cgmd;
        rd_kafka_error_t *error = NULL;
        const char *what = "sending offsets to the transaction";
        uint64_t count = 0;
        wt_ptrack_t *pt;
        int i;

        if (atomic_load(&s->fatal))
                return;
        switch (wt_drain(s, NULL, 0, s->cfg->shutdown_timeout_ms, 1)) {
        case 0:
                break;
        case 1:
                wt_txn_abort(s, 1, "an output failed");
                return;
        default:
                wt_txn_abort(s, 1, "outputs not acknowledged within "
                                   "shutdown.timeout.ms");
                return;
        }
        for (pt = s->assigned; pt; pt = pt->next)
                if (pt->stuck) /* a failed job: never commit past it */
                        atomic_store(&s->txn_failed, 1);
        if (atomic_load(&s->txn_failed)) {
                wt_txn_abort(s, 1, "an output failed");
                return;
        }
        offsets = rd_kafka_topic_partition_list_new(8);
        for (pt = s->assigned; pt; pt = pt->next)
                if (pt->txn_offset >= 0)
                        rd_kafka_topic_partition_list_add(offsets, pt->topic,
                                                          pt->partition)
                                ->offset = pt->txn_offset;
        if (!offsets->cnt) {
                rd_kafka_topic_partition_list_destroy(offsets);
                s->txn_begun_ms = wt_now_ms();
                return;
        }
        cgmd = rd_kafka_consumer_group_metadata(s->consumer);
        for (i = 0; i < WT_TXN_RETRIES; i++) {
                if (error)
                        rd_kafka_error_destroy(error);
                error = rd_kafka_send_offsets_to_transaction(
                        s->producer, offsets, cgmd, WT_TXN_TIMEOUT_MS);
                if (!error || !rd_kafka_error_is_retriable(error))
                        break;
        }
        rd_kafka_consumer_group_metadata_destroy(cgmd);
        if (!error) {
                what = "committing the transaction";
                for (i = 0; i < WT_TXN_RETRIES; i++) {
                        if (error)
                                rd_kafka_error_destroy(error);
                        error = rd_kafka_commit_transaction(
                                s->producer, WT_TXN_TIMEOUT_MS);
                        if (!error || !rd_kafka_error_is_retriable(error))
                                break;
                }
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
        for (pt = s->assigned; pt; pt = pt->next) {
                if (pt->txn_offset < 0)
                        continue;
                pt->committed_offset = pt->txn_offset;
                pt->txn_offset = -1;
                count += pt->txn_count;
                pt->txn_count = 0;
        }
        atomic_fetch_add(&s->committed, count);
        atomic_fetch_add(&s->txn_commits, 1);
        wt_log_debug("transaction committed (%s): %" PRIu64 " input(s)", why,
                     count);
        if (!atomic_load(&s->stop))
                wt_txn_begin(s);
}

static void wt_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t *parts,
                            void *opaque) {
        wt_stream_t *s = opaque;
        char desc[1024];
        rd_kafka_error_t *error = NULL;
        int i;

        /* The protocol is known only once the group is joined. */
        s->cooperative =
                !strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE");
        wt_describe_parts(parts, desc, sizeof(desc));
        atomic_fetch_add(&s->rebalances, 1);
        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                pthread_mutex_lock(&s->lock);
                for (i = 0; i < parts->cnt; i++) {
                        wt_ptrack_t *pt = wt_ptrack_new(
                                s, parts->elems[i].topic,
                                parts->elems[i].partition);
                        if (!pt) {
                                wt_log_error("out of memory on assignment");
                                atomic_store(&s->fatal, 1);
                                atomic_store(&s->stop, 1);
                                break;
                        }
                        pt->next = s->assigned;
                        s->assigned = pt;
                }
                pthread_mutex_unlock(&s->lock);
                wt_log_info("assigned %d partition(s): %s", parts->cnt, desc);
                if (s->cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
        } else if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
                wt_ptrack_t **pts = calloc((size_t)parts->cnt + 1,
                                           sizeof(*pts));
                int lost = rd_kafka_assignment_lost(rk);
                rd_kafka_resp_err_t cerr;

                pthread_mutex_lock(&s->lock);
                for (i = 0; pts && i < parts->cnt; i++)
                        pts[i] = wt_ptrack_find(s, parts->elems[i].topic,
                                                parts->elems[i].partition);
                pthread_mutex_unlock(&s->lock);
                for (i = 0; pts && i < parts->cnt; i++)
                        if (pts[i]) {
                                wt_drop_held(s, pts[i]);
                                pts[i]->leaving = 1;
                        }

                /* exactly_once: commit the open transaction, whose
                 * offsets include the revoked partitions', so the new
                 * owner starts right after what is published; a lost
                 * assignment may be owned elsewhere already: abort, and
                 * rewind the partitions kept. */
                if (s->eos && !atomic_load(&s->fatal)) {
                        if (lost)
                                wt_txn_abort(s, 1, "partitions lost");
                        else
                                wt_txn_commit(s, "revocation");
                }
                /* Finish what is in flight, so that the new owner starts
                 * right after it, then commit. A lost assignment may
                 * already be owned elsewhere: commit nothing. */
                if (!s->eos && !lost && pts &&
                    wt_drain(s, pts, parts->cnt,
                             s->cfg->shutdown_timeout_ms, 0))
                        wt_log_warn("revoking %s: in-flight messages did "
                                    "not finish within %u ms; they will be "
                                    "processed again by the next owner",
                                    desc, s->cfg->shutdown_timeout_ms);
                if (!s->eos && !lost) {
                        cerr = rd_kafka_commit(rk, NULL, 0);
                        if (cerr && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET)
                                wt_log_warn("commit on revocation: %s",
                                            rd_kafka_err2str(cerr));
                }
                pthread_mutex_lock(&s->lock);
                for (i = 0; pts && i < parts->cnt; i++) {
                        wt_ptrack_t **pp;
                        if (!pts[i])
                                continue;
                        pthread_mutex_lock(&pts[i]->lock);
                        pts[i]->revoked = 1;
                        pthread_mutex_unlock(&pts[i]->lock);
                        for (pp = &s->assigned; *pp; pp = &(*pp)->next)
                                if (*pp == pts[i]) {
                                        *pp = pts[i]->next;
                                        break;
                                }
                        /* Late delivery reports may still touch it. */
                        pts[i]->next = s->retired;
                        s->retired = pts[i];
                }
                pthread_mutex_unlock(&s->lock);
                free(pts);
                wt_log_info("%s %d partition(s): %s",
                            lost ? "lost" : "revoked", parts->cnt, desc);
                if (s->cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
        } else {
                wt_log_error("rebalance failed: %s", rd_kafka_err2str(err));
                if (s->cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
        }
        if (error) {
                wt_log_error("incremental rebalance: %s",
                             rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
        }
}

/* ------------------------------------------------------ librdkafka logs */

static void wt_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                            const char *buf) {
        wt_log_level_t l = level <= 3   ? WT_LOG_ERROR
                           : level <= 4 ? WT_LOG_WARN
                           : level <= 6 ? WT_LOG_INFO
                                        : WT_LOG_DEBUG;
        wt_log(l, "librdkafka %s %s: %s", rd_kafka_name(rk), fac, buf);
}

static void wt_kafka_error_cb(rd_kafka_t *rk, int err, const char *reason,
                              void *opaque) {
        wt_stream_t *s = opaque;
        char fatal[512];
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
                wt_log_error("%s: fatal error: %s; stopping",
                             rd_kafka_name(rk), fatal);
                atomic_store(&s->fatal, 1);
                atomic_store(&s->stop, 1);
                return;
        }
        /* Transient: librdkafka reconnects and retries by itself. */
        wt_log_warn("%s: %s: %s", rd_kafka_name(rk),
                    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* librdkafka's statistics (statistics.interval.ms): kept for /metrics
 * (consumer lag per partition, producer batches). */
static int wt_kafka_stats_cb(rd_kafka_t *rk, char *json, size_t len,
                             void *opaque) {
        wt_stream_t *s = opaque;
        char errstr[256];
        if (wt_kstats_update(s->kstats,
                             rd_kafka_type(rk) == RD_KAFKA_CONSUMER
                                     ? WT_KSTATS_CONSUMER
                                     : WT_KSTATS_PRODUCER,
                             json, len, errstr, sizeof(errstr)))
                wt_log_warn("%s statistics: %s", rd_kafka_name(rk), errstr);
        return 0; /* librdkafka frees json */
}

/* With metrics.listen, statistics every 5 s unless the configuration
 * asks for another interval. */
static int wt_stats_interval(const wt_config_t *cfg, rd_kafka_conf_t *conf,
                             char *errstr, size_t errstr_size) {
        char v[32], kerr[256];
        size_t size = sizeof(v);
        if (!cfg->metrics_listen)
                return 0;
        if (rd_kafka_conf_get(conf, "statistics.interval.ms", v, &size) ==
                    RD_KAFKA_CONF_OK &&
            strcmp(v, "0"))
                return 0;
        if (rd_kafka_conf_set(conf, "statistics.interval.ms", "5000", kerr,
                              sizeof(kerr)) != RD_KAFKA_CONF_OK) {
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "statistics.interval.ms: %s", kerr);
                return -1;
        }
        return 0;
}

/* ------------------------------------------------------------ lifecycle */

static wt_otopic_t *wt_otopic_find(wt_stream_t *s, const char *name) {
        size_t i;
        for (i = 0; i < s->notopics; i++)
                if (!strcmp(s->otopics[i].name, name))
                        return &s->otopics[i];
        return NULL;
}

static wt_otopic_t *wt_otopic_add(wt_stream_t *s, const char *name) {
        wt_otopic_t *ot = wt_otopic_find(s, name);
        if (ot)
                return ot;
        ot = &s->otopics[s->notopics++];
        ot->name = name;
        return ot;
}

/* Check that every configured topic exists; learn output partition
 * counts. */
static wt_err_t wt_check_topics(wt_stream_t *s, char *errstr,
                                size_t errstr_size) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        char missing[2048];
        size_t off = 0, i;
        int t;

        err = rd_kafka_metadata(s->producer, 1, NULL, &md, 10000);
        if (err)
                return BAD(WT_ERR_IO,
                           "cannot reach the Kafka cluster within 10 s "
                           "(bootstrap.servers): %s",
                           rd_kafka_err2str(err));
        missing[0] = '\0';
        for (i = 0; i < s->cfg->ninput_topics + s->notopics; i++) {
                const char *name = i < s->cfg->ninput_topics
                                           ? s->cfg->input_topics[i]
                                           : s->otopics[i - s->cfg->ninput_topics]
                                                     .name;
                int found = 0;
                for (t = 0; t < md->topic_cnt; t++) {
                        if (strcmp(md->topics[t].topic, name) ||
                            md->topics[t].err)
                                continue;
                        found = 1;
                        if (i >= s->cfg->ninput_topics)
                                s->otopics[i - s->cfg->ninput_topics]
                                        .partitions =
                                        md->topics[t].partition_cnt;
                }
                if (!found && off < sizeof(missing))
                        off += (size_t)snprintf(missing + off,
                                                sizeof(missing) - off, "%s%s",
                                                off ? ", " : "", name);
        }
        rd_kafka_metadata_destroy(md);
        if (off)
                return BAD(WT_ERR_INVALID_ARG,
                           "topic(s) named in the configuration do not "
                           "exist: %s (create them, e.g. tests/kafka/"
                           "broker.sh topic NAME PARTITIONS)",
                           missing);
        for (i = 0; i < s->notopics; i++)
                if (s->otopics[i].partitions < 1)
                        return BAD(WT_ERR_INVALID_ARG,
                                   "topic %s has no partitions",
                                   s->otopics[i].name);
        return WT_OK;
}

static void wt_binding_free(wt_binding_t *b) {
        if (!b)
                return;
        wt_model_destroy(b->model);
        free(b->route_label);
        free((void *)b->tags);
        free(b);
}

/* Load cfg's model.path and check it serves this configuration: the text
 * fields parse and every route names one of its labels. */
static wt_err_t wt_binding_load(const wt_config_t *cfg, wt_binding_t **bp,
                                char *errstr, size_t errstr_size) {
        wt_binding_t *b = calloc(1, sizeof(*b));
        wt_err_t err;
        size_t i;

        *bp = NULL;
        if (!b || !(b->route_label = calloc(cfg->nroutes + 1, sizeof(int)))) {
                free(b);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory");
        }
        if ((err = wt_model_load(cfg->model_path, &b->model, errstr,
                                 errstr_size)))
                goto fail;
        if (!(b->tags = calloc(wt_model_nlabels(b->model) + 1,
                               sizeof(*b->tags)))) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                "out of memory");
                goto fail;
        }
        {
                struct timespec now;
                clock_gettime(CLOCK_REALTIME, &now);
                b->loaded_at = (double)now.tv_sec + now.tv_nsec * 1e-9;
        }
        b->fconf = *wt_model_feature_conf(b->model);
        if (cfg->input_fields &&
            (err = wt_feature_conf_set_fields(&b->fconf, cfg->input_fields,
                                              errstr, errstr_size)))
                goto fail;
        for (i = 0; i < cfg->nroutes; i++) {
                b->route_label[i] =
                        wt_model_label_index(b->model, cfg->routes[i].label);
                if (b->route_label[i] < 0) {
                        err = wt_seterr(errstr, errstr_size,
                                        WT_ERR_INVALID_ARG,
                                        "route.%s: model %s has no label "
                                        "\"%s\"",
                                        cfg->routes[i].label,
                                        wt_model_name(b->model),
                                        cfg->routes[i].label);
                        goto fail;
                }
        }
        *bp = b;
        return WT_OK;
fail:
        wt_binding_free(b);
        return err;
}

void wt_stream_request_reload(wt_stream_t *s) {
        atomic_store(&s->reload_requested, 1);
}

/* Load and check the model file again, then swap it in between messages.
 * Runs on the consumer thread, never on a worker: workers keep classifying
 * with the old model meanwhile and never wait. The old model is freed once
 * no worker's hazard slot holds it. A model that fails to load or check
 * is refused and the old one keeps serving. */
static void wt_stream_reload(wt_stream_t *s) {
        wt_binding_t *nb, *old;
        char errstr[512];
        unsigned w;

        if (wt_binding_load(s->cfg, &nb, errstr, sizeof(errstr))) {
                old = atomic_load(&s->binding);
                atomic_fetch_add(&s->reload_failures, 1);
                wt_log_error("model reload refused: %s; still serving %s "
                             "(%s)",
                             errstr, wt_model_name(old->model),
                             wt_model_id(old->model));
                return;
        }
        old = atomic_exchange(&s->binding, nb);
        for (w = 0; w <= s->nworkers; w++)
                while (atomic_load(w < s->nworkers ? &s->workers[w].hazard
                                                   : &s->scrape_hazard) ==
                       old) {
                        struct timespec ts = {0, 200 * 1000};
                        nanosleep(&ts, NULL);
                }
        atomic_fetch_add(&s->reloads, 1);
        wt_log_info("model reloaded: %s (%s), %zu labels, %zu features; "
                    "was %s (%s)",
                    wt_model_name(nb->model), wt_model_id(nb->model),
                    wt_model_nlabels(nb->model), wt_model_nfeatures(nb->model),
                    wt_model_name(old->model), wt_model_id(old->model));
        wt_binding_free(old);
}

wt_err_t wt_stream_new(const wt_config_t *cfg, wt_stream_t **streamp,
                       char *errstr, size_t errstr_size) {
        wt_stream_t *s;
        rd_kafka_conf_t *conf;
        char kerr[512];
        wt_err_t err;
        size_t i;
        unsigned w;

        *streamp = NULL;
        if (!(s = calloc(1, sizeof(*s))))
                return WT_ERR_NOMEM;
        s->cfg = cfg;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        pthread_mutex_init(&s->scrape_lock, NULL);
        wt_log_set_level(cfg->log_level);
        if (!(s->kstats = wt_kstats_new())) {
                err = WT_ERR_NOMEM;
                goto fail;
        }

        {
                wt_binding_t *b;
                if ((err = wt_binding_load(cfg, &b, errstr, errstr_size)))
                        goto fail;
                atomic_store(&s->binding, b);
        }

        /* Output topics and routes. */
        s->otopics = calloc(3 + cfg->nroutes, sizeof(*s->otopics));
        s->routes = calloc(cfg->nroutes + 1, sizeof(*s->routes));
        if (!s->otopics || !s->routes) {
                err = WT_ERR_NOMEM;
                goto fail;
        }
        s->nroutes = cfg->nroutes;

        /* Producer. */
        conf = wt_config_kafka_conf(cfg, 0, errstr, errstr_size);
        if (!conf) {
                err = WT_ERR_INVALID_ARG;
                goto fail;
        }
        rd_kafka_conf_set_opaque(conf, s);
        rd_kafka_conf_set_dr_msg_cb(conf, wt_dr_cb);
        rd_kafka_conf_set_stats_cb(conf, wt_kafka_stats_cb);
        if (wt_stats_interval(cfg, conf, errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                err = WT_ERR_INVALID_ARG;
                goto fail;
        }
        rd_kafka_conf_set_log_cb(conf, wt_kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, wt_kafka_error_cb);
        s->producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, kerr, sizeof(kerr));
        if (!s->producer) {
                rd_kafka_conf_destroy(conf);
                err = BAD(WT_ERR_INVALID_ARG, "producer: %s", kerr);
                goto fail;
        }

        /* Consumer. */
        conf = wt_config_kafka_conf(cfg, 1, errstr, errstr_size);
        if (!conf) {
                err = WT_ERR_INVALID_ARG;
                goto fail;
        }
        rd_kafka_conf_set_opaque(conf, s);
        rd_kafka_conf_set_rebalance_cb(conf, wt_rebalance_cb);
        rd_kafka_conf_set_stats_cb(conf, wt_kafka_stats_cb);
        if (wt_stats_interval(cfg, conf, errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                err = WT_ERR_INVALID_ARG;
                goto fail;
        }
        rd_kafka_conf_set_log_cb(conf, wt_kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, wt_kafka_error_cb);
        s->consumer = rd_kafka_new(RD_KAFKA_CONSUMER, conf, kerr, sizeof(kerr));
        if (!s->consumer) {
                rd_kafka_conf_destroy(conf);
                err = BAD(WT_ERR_INVALID_ARG, "consumer: %s", kerr);
                goto fail;
        }
        rd_kafka_poll_set_consumer(s->consumer);

        s->out = wt_otopic_add(s, cfg->output_topic);
        s->dlq = wt_otopic_add(s, cfg->dlq_topic);
        if (cfg->unlabeled_topic)
                s->unlabeled = wt_otopic_add(s, cfg->unlabeled_topic);
        for (i = 0; i < cfg->nroutes; i++)
                s->routes[i].topic = wt_otopic_add(s, cfg->routes[i].topic);
        if ((err = wt_check_topics(s, errstr, errstr_size)))
                goto fail;
        for (i = 0; i < s->notopics; i++) {
                rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
                rd_kafka_topic_conf_set_opaque(tconf, &s->otopics[i]);
                s->otopics[i].rkt = rd_kafka_topic_new(
                        s->producer, s->otopics[i].name, tconf);
                if (!s->otopics[i].rkt) {
                        err = BAD(WT_ERR_INVALID_ARG, "topic %s: %s",
                                  s->otopics[i].name,
                                  rd_kafka_err2str(rd_kafka_last_error()));
                        goto fail;
                }
        }

        /* exactly_once: register the transactional.id, which also aborts
         * whatever this instance's previous life left open. */
        s->eos = cfg->guarantee == WT_EXACTLY_ONCE;
        if (s->eos) {
                rd_kafka_error_t *error =
                        rd_kafka_init_transactions(s->producer, 30000);
                if (error) {
                        err = BAD(WT_ERR_IO,
                                  "exactly_once: initialising transactions "
                                  "failed: %s (the brokers must support "
                                  "transactions, and the transaction state "
                                  "topic must be creatable)",
                                  rd_kafka_error_string(error));
                        rd_kafka_error_destroy(error);
                        goto fail;
                }
        }

        s->nworkers = cfg->workers ? cfg->workers : 1;
        s->workers = calloc(s->nworkers, sizeof(*s->workers));
        if (!s->workers) {
                err = WT_ERR_NOMEM;
                goto fail;
        }
        for (w = 0; w < s->nworkers; w++) {
                s->workers[w].s = s;
                s->workers[w].id = w;
                pthread_mutex_init(&s->workers[w].lock, NULL);
                pthread_cond_init(&s->workers[w].cond, NULL);
                if (!(s->workers[w].scratch = wt_scratch_new()) ||
                    !(s->workers[w].json = wt_jsonmem_arena_new(0))) {
                        err = WT_ERR_NOMEM;
                        goto fail;
                }
        }
        wt_jsonmem_install();
        *streamp = s;
        return WT_OK;
fail:
        wt_stream_destroy(s);
        return err;
}

void wt_stream_stop(wt_stream_t *s) {
        atomic_store(&s->stop, 1);
}

void wt_stream_get_stats(wt_stream_t *s, wt_stream_stats_t *st) {
        st->consumed = atomic_load(&s->consumed);
        st->consumed_bytes = atomic_load(&s->consumed_bytes);
        st->classified = atomic_load(&s->classified);
        st->dead_lettered = atomic_load(&s->dead_lettered);
        st->produced = atomic_load(&s->produced);
        st->produce_failed = atomic_load(&s->produce_failed);
        st->committed = atomic_load(&s->committed);
        st->inflight = atomic_load(&s->inflight);
}

static void wt_log_stats(wt_stream_t *s, uint64_t *last_ms,
                         uint64_t *last_consumed, uint64_t *last_bytes) {
        wt_stream_stats_t st;
        uint64_t now = wt_now_ms();
        double dt = (double)(now - *last_ms) / 1000.0;
        wt_stream_get_stats(s, &st);
        wt_log_info("consumed %" PRIu64 " (%.0f/s, %.2f MB/s), classified %"
                    PRIu64 ", dead-lettered %" PRIu64 ", produced %" PRIu64
                    ", produce failures %" PRIu64 ", committed %" PRIu64
                    ", in flight %" PRIu64,
                    st.consumed,
                    dt > 0 ? (double)(st.consumed - *last_consumed) / dt : 0.0,
                    dt > 0 ? (double)(st.consumed_bytes - *last_bytes) / dt /
                                     1e6
                           : 0.0,
                    st.classified, st.dead_lettered, st.produced,
                    st.produce_failed, st.committed, st.inflight);
        *last_ms = now;
        *last_consumed = st.consumed;
        *last_bytes = st.consumed_bytes;
}

/* What model.watch compares: a replaced file (rename) has a new inode; a
 * rewritten one a new size or time. */
typedef struct wt_file_id {
        int known;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
} wt_file_id_t;

/* 1 when path is not the file *id last saw (and remember it); a missing
 * file is no change: the serving model stays until a new one appears. */
static int wt_model_file_changed(const char *path, wt_file_id_t *id) {
        struct stat st;
        int changed;
        if (stat(path, &st))
                return 0;
        changed = id->known &&
                  (st.st_dev != id->dev || st.st_ino != id->ino ||
                   st.st_size != id->size ||
                   st.st_mtim.tv_sec != id->mtime.tv_sec ||
                   st.st_mtim.tv_nsec != id->mtime.tv_nsec);
        id->known = 1;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->size = st.st_size;
        id->mtime = st.st_mtim;
        return changed;
}

wt_err_t wt_stream_run(wt_stream_t *s) {
        const wt_config_t *cfg = s->cfg;
        wt_file_id_t watched = {0};
        uint64_t watch_ms = wt_now_ms();
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;
        uint64_t last_ms = wt_now_ms(), last_consumed = 0, last_bytes = 0;
        unsigned w;
        size_t i;
        int drained;

        {
                const wt_binding_t *b = atomic_load(&s->binding);
                wt_log_info("model %s (%s): %zu labels, %zu features; "
                            "%u worker(s)",
                            wt_model_name(b->model), wt_model_id(b->model),
                            wt_model_nlabels(b->model),
                            wt_model_nfeatures(b->model), s->nworkers);
        }
        for (w = 0; w < s->nworkers; w++) {
                if (pthread_create(&s->workers[w].thread, NULL, wt_worker_main,
                                   &s->workers[w])) {
                        wt_log_error("cannot start worker %u", w);
                        atomic_store(&s->stop, 1);
                        atomic_store(&s->fatal, 1);
                        break;
                }
                s->workers[w].started = 1;
        }
        if (!atomic_load(&s->stop)) {
                if (pthread_create(&s->poller, NULL, wt_poller_main, s)) {
                        wt_log_error("cannot start the delivery thread");
                        atomic_store(&s->stop, 1);
                        atomic_store(&s->fatal, 1);
                } else {
                        s->poller_started = 1;
                }
        }

        if (cfg->model_watch) /* the file as loaded: the baseline */
                (void)wt_model_file_changed(cfg->model_path, &watched);
        topics = rd_kafka_topic_partition_list_new((int)cfg->ninput_topics);
        for (i = 0; i < cfg->ninput_topics; i++)
                rd_kafka_topic_partition_list_add(topics, cfg->input_topics[i],
                                                  RD_KAFKA_PARTITION_UA);
        if (!atomic_load(&s->stop) &&
            (err = rd_kafka_subscribe(s->consumer, topics))) {
                wt_log_error("subscribe: %s", rd_kafka_err2str(err));
                atomic_store(&s->stop, 1);
                atomic_store(&s->fatal, 1);
        }
        rd_kafka_topic_partition_list_destroy(topics);
        if (!atomic_load(&s->stop) && s->eos)
                wt_txn_begin(s);
        if (!atomic_load(&s->stop))
                atomic_store(&s->subscribed, 1);
        if (!atomic_load(&s->stop))
                wt_log_info("subscribed to %zu input topic(s), first %s; "
                            "waiting for an assignment",
                            cfg->ninput_topics, cfg->input_topics[0]);

        while (!atomic_load(&s->stop)) {
                rd_kafka_message_t *rkm;
                wt_ptrack_t *pt;
                wt_job_t *job;

                /* A reload (SIGHUP, or model.watch seeing the file
                 * change) waits for no message, not even under
                 * backpressure. */
                if (cfg->model_watch && wt_now_ms() - watch_ms >= 1000) {
                        watch_ms = wt_now_ms();
                        if (wt_model_file_changed(cfg->model_path, &watched))
                                wt_stream_request_reload(s);
                }
                if (atomic_exchange(&s->reload_requested, 0))
                        wt_stream_reload(s);
                /* exactly_once: commit on the interval; abort at once
                 * when an output of the transaction failed. */
                if (s->eos && atomic_load(&s->txn_failed))
                        wt_txn_abort(s, 1, "an output failed");
                else if (s->eos && wt_now_ms() - s->txn_begun_ms >=
                                           cfg->commit_interval_ms)
                        wt_txn_commit(s, "interval");
                if (atomic_load(&s->stop))
                        break;
                if (cfg->stats_interval_ms &&
                    wt_now_ms() - last_ms >= cfg->stats_interval_ms)
                        wt_log_stats(s, &last_ms, &last_consumed, &last_bytes);
                /* Backpressure: admit nothing past the in-flight bounds. */
                if (atomic_load(&s->inflight) >= cfg->queue_max_messages ||
                    atomic_load(&s->inflight_bytes) >= cfg->queue_max_bytes) {
                        struct timespec ts;
                        wt_deadline(&ts, 100);
                        pthread_mutex_lock(&s->lock);
                        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
                        pthread_mutex_unlock(&s->lock);
                        continue;
                }
                if (s->npaused)
                        wt_release_held(s);

                rkm = rd_kafka_consumer_poll(s->consumer, 100);
                if (!rkm)
                        continue;
                if (rkm->err) {
                        if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                wt_log_warn("consumer: %s",
                                            rd_kafka_message_errstr(rkm));
                        rd_kafka_message_destroy(rkm);
                        continue;
                }
                pthread_mutex_lock(&s->lock);
                pt = wt_ptrack_find(s, rd_kafka_topic_name(rkm->rkt),
                                    rkm->partition);
                pthread_mutex_unlock(&s->lock);
                if (!pt || !(job = calloc(1, sizeof(*job)))) {
                        wt_log_error("%s [%" PRId32 "] offset %" PRId64
                                     ": %s; not processed, not committed",
                                     rd_kafka_topic_name(rkm->rkt),
                                     rkm->partition, rkm->offset,
                                     pt ? "out of memory"
                                        : "partition not assigned");
                        rd_kafka_message_destroy(rkm);
                        continue;
                }
                job->rkm = rkm;
                if (pt->held_head || wt_window_full(pt))
                        wt_hold(s, pt, job);
                else
                        wt_admit(s, pt, job);
        }
        {
                wt_ptrack_t *hpt;
                for (hpt = s->assigned; hpt; hpt = hpt->next)
                        wt_drop_held(s, hpt);
        }

        /* Shutdown: finish what is in flight (bounded), flush, commit,
         * leave the group. */
        wt_log_info("stopping: %" PRIu64 " message(s) in flight",
                    (uint64_t)atomic_load(&s->inflight));
        {
                uint64_t until = wt_now_ms() + cfg->shutdown_timeout_ms;
                /* (A failed transaction's outputs wait for the abort.) */
                while (atomic_load(&s->inflight) > 0 && wt_now_ms() < until &&
                       !atomic_load(&s->fatal) &&
                       !(s->eos && atomic_load(&s->txn_failed))) {
                        struct timespec ts;
                        wt_deadline(&ts, 100);
                        pthread_mutex_lock(&s->lock);
                        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
                        pthread_mutex_unlock(&s->lock);
                }
                drained = atomic_load(&s->inflight) == 0;
        }
        if (!drained)
                wt_log_warn("%" PRIu64 " message(s) still in flight after %u "
                            "ms: abandoned, their offsets are not committed",
                            (uint64_t)atomic_load(&s->inflight),
                            cfg->shutdown_timeout_ms);
        if (s->eos) {
                /* Commit what finished; a failed or unfinished transaction
                 * is aborted: its inputs come again after a restart. */
                if (drained && !atomic_load(&s->fatal) &&
                    !atomic_load(&s->txn_failed))
                        wt_txn_commit(s, "shutdown");
                else
                        wt_txn_abort(s, 0, "shutdown");
        } else {
                rd_kafka_flush(s->producer, 5000);
                err = rd_kafka_commit(s->consumer, NULL, 0);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        wt_log_warn("final commit: %s", rd_kafka_err2str(err));
        }
        err = rd_kafka_consumer_close(s->consumer);
        if (err)
                wt_log_warn("leaving the group: %s", rd_kafka_err2str(err));
        wt_log_stats(s, &last_ms, &last_consumed, &last_bytes);
        wt_log_info("stopped%s", atomic_load(&s->fatal) ? " on error" : "");
        return atomic_load(&s->fatal) ? WT_ERR_IO : WT_OK;
}

/* ------------------------------------------------------------ metrics */

typedef struct wt_text {
        char *buf;
        size_t len, cap;
        int oom;
} wt_text_t;

__attribute__((format(printf, 2, 3)))
static void wt_text_add(wt_text_t *t, const char *fmt, ...) {
        va_list ap;
        int n;
        if (t->oom)
                return;
        for (;;) {
                va_start(ap, fmt);
                n = vsnprintf(t->buf ? t->buf + t->len : NULL,
                              t->buf ? t->cap - t->len : 0, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        t->oom = 1;
                        return;
                }
                if (t->buf && t->len + (size_t)n < t->cap) {
                        t->len += (size_t)n;
                        return;
                }
                {
                        size_t cap = t->cap ? t->cap * 2 : 8192;
                        char *p;
                        while (cap < t->len + (size_t)n + 1)
                                cap *= 2;
                        if (!(p = realloc(t->buf, cap))) {
                                t->oom = 1;
                                return;
                        }
                        t->buf = p;
                        t->cap = cap;
                }
        }
}


static void wt_kstats_emit(void *opaque, const char *text, size_t len) {
        wt_text_add(opaque, "%.*s", (int)len, text);
}

#define WT_COUNTER(t, name, help, v)                                           \
        wt_text_add(t, "# HELP " name " " help "\n# TYPE " name               \
                       " counter\n" name " %" PRIu64 "\n",                    \
                    (uint64_t)(v))
#define WT_GAUGE(t, name, help, fmt, v)                                        \
        wt_text_add(t, "# HELP " name " " help "\n# TYPE " name               \
                       " gauge\n" name " " fmt "\n",                          \
                    v)

char *wt_stream_metrics(wt_stream_t *s, size_t *lenp) {
        wt_text_t t = {0};
        wt_binding_t *b;
        uint64_t hist[WT_HIST_NB + 1] = {0}, sum_ns = 0, cum = 0;
        char name[256], id[64], lab[256];
        unsigned w, k;
        size_t l;

        pthread_mutex_lock(&s->scrape_lock);
        b = wt_binding_hold(s, &s->scrape_hazard); /* reloads wait for it */

        WT_COUNTER(&t, "wiretag_messages_consumed_total",
                   "Input messages taken in.", atomic_load(&s->consumed));
        WT_COUNTER(&t, "wiretag_consumed_bytes_total",
                   "Bytes of input messages taken in.",
                   atomic_load(&s->consumed_bytes));
        WT_COUNTER(&t, "wiretag_messages_classified_total",
                   "Articles classified and published to output.topic.",
                   atomic_load(&s->classified));
        wt_text_add(&t, "# HELP wiretag_dead_letters_total Input messages "
                        "published to dlq.topic, by error code.\n"
                        "# TYPE wiretag_dead_letters_total counter\n");
        for (k = 0; k < WT_ERR__CNT; k++) {
                uint64_t v = atomic_load(&s->dlq_by_err[k]);
                if (v || k == WT_ERR_JSON)
                        wt_text_add(&t,
                                    "wiretag_dead_letters_total{error=\"%s\"}"
                                    " %" PRIu64 "\n",
                                    wt_err_name((wt_err_t)k), v);
        }
        WT_COUNTER(&t, "wiretag_records_produced_total",
                   "Output records (labeled, per-label, unlabeled, dead "
                   "letters) the broker acknowledged.",
                   atomic_load(&s->produced));
        wt_text_add(&t, "# HELP wiretag_topic_records_produced_total Output "
                        "records the broker acknowledged, per topic.\n"
                        "# TYPE wiretag_topic_records_produced_total "
                        "counter\n");
        for (l = 0; l < s->notopics; l++)
                wt_text_add(&t,
                            "wiretag_topic_records_produced_total{topic=\"%s\"}"
                            " %" PRIu64 "\n",
                            wt_prom_label(s->otopics[l].name, lab, sizeof(lab)),
                            (uint64_t)atomic_load(&s->otopics[l].produced));
        WT_COUNTER(&t, "wiretag_produce_failures_total",
                   "Output records the broker refused (or an abort purged).",
                   atomic_load(&s->produce_failed));
        WT_COUNTER(&t, "wiretag_transactions_committed_total",
                   "exactly_once: transactions committed with their offsets.",
                   atomic_load(&s->txn_commits));
        WT_COUNTER(&t, "wiretag_transactions_aborted_total",
                   "exactly_once: transactions aborted (their inputs were "
                   "processed again).",
                   atomic_load(&s->txn_aborts));
        WT_COUNTER(&t, "wiretag_messages_committed_total",
                   "Input messages whose offset is stored for commit.",
                   atomic_load(&s->committed));
        WT_GAUGE(&t, "wiretag_in_flight_messages",
                 "Input messages taken in and not yet committed.",
                 "%" PRIu64, (uint64_t)atomic_load(&s->inflight));
        WT_GAUGE(&t, "wiretag_in_flight_bytes",
                 "Bytes of the input messages in flight.", "%" PRIu64,
                 (uint64_t)atomic_load(&s->inflight_bytes));
        WT_COUNTER(&t, "wiretag_rebalances_total",
                   "Consumer group rebalances (assignments and revocations).",
                   atomic_load(&s->rebalances));
        WT_COUNTER(&t, "wiretag_model_reloads_total",
                   "Models loaded again and swapped in (SIGHUP, model.watch).",
                   atomic_load(&s->reloads));
        WT_COUNTER(&t, "wiretag_model_reload_failures_total",
                   "Model reloads refused; the previous model kept serving.",
                   atomic_load(&s->reload_failures));

        wt_prom_label(wt_model_name(b->model), name, sizeof(name));
        wt_prom_label(wt_model_id(b->model), id, sizeof(id));
        wt_text_add(&t, "# HELP wiretag_model_info The model serving now.\n"
                        "# TYPE wiretag_model_info gauge\n"
                        "wiretag_model_info{model=\"%s\",model_id=\"%s\"} 1\n",
                    name, id);
        WT_GAUGE(&t, "wiretag_model_loaded_timestamp_seconds",
                 "When the serving model was loaded (Unix time).", "%.3f",
                 b->loaded_at);
        wt_text_add(&t, "# HELP wiretag_tags_total Articles tagged with a "
                        "label by the serving model (since it was loaded).\n"
                        "# TYPE wiretag_tags_total counter\n");
        for (l = 0; l < wt_model_nlabels(b->model); l++)
                wt_text_add(&t,
                            "wiretag_tags_total{model_id=\"%s\",label=\"%s\"}"
                            " %" PRIu64 "\n",
                            id,
                            wt_prom_label(wt_model_label(b->model, l), lab,
                                          sizeof(lab)),
                            (uint64_t)atomic_load(&b->tags[l]));
        wt_text_add(&t,
                    "wiretag_tags_total{model_id=\"%s\",label=\"\"} %" PRIu64
                    "\n",
                    id, (uint64_t)atomic_load(&b->untagged));
        atomic_store(&s->scrape_hazard, NULL);

        for (w = 0; w < s->nworkers; w++) {
                for (k = 0; k <= WT_HIST_NB; k++)
                        hist[k] += atomic_load_explicit(
                                &s->workers[w].hist[k], memory_order_relaxed);
                sum_ns += atomic_load_explicit(&s->workers[w].hist_sum_ns,
                                               memory_order_relaxed);
        }
        wt_text_add(&t, "# HELP wiretag_classify_seconds Time to classify one "
                        "article (tokenize, hash, score).\n"
                        "# TYPE wiretag_classify_seconds histogram\n");
        for (k = 0; k < WT_HIST_NB; k++) {
                cum += hist[k];
                wt_text_add(&t,
                            "wiretag_classify_seconds_bucket{le=\"%g\"} %" PRIu64
                            "\n",
                            (double)wt_hist_bounds[k] / 1e9, cum);
        }
        cum += hist[WT_HIST_NB];
        wt_text_add(&t,
                    "wiretag_classify_seconds_bucket{le=\"+Inf\"} %" PRIu64
                    "\nwiretag_classify_seconds_sum %.9f\n"
                    "wiretag_classify_seconds_count %" PRIu64 "\n",
                    cum, (double)sum_ns / 1e9, cum);
        wt_kstats_render(s->kstats, wt_kstats_emit, &t);
        pthread_mutex_unlock(&s->scrape_lock);
        if (t.oom) {
                free(t.buf);
                return NULL;
        }
        *lenp = t.len;
        return t.buf;
}

int wt_stream_healthy(wt_stream_t *s, const char **why) {
        if (atomic_load(&s->fatal)) {
                *why = "stopped on a fatal error";
                return 0;
        }
        if (atomic_load(&s->stop)) {
                *why = "stopping";
                return 0;
        }
        if (!atomic_load(&s->subscribed)) {
                *why = "not subscribed yet";
                return 0;
        }
        *why = "ok";
        return 1;
}

void wt_stream_destroy(wt_stream_t *s) {
        unsigned w;
        size_t i;
        wt_ptrack_t *pt, *next;

        if (!s)
                return;
        /* Workers first: they may still hold jobs when shutdown gave up. */
        for (w = 0; s->workers && w < s->nworkers; w++) {
                pthread_mutex_lock(&s->workers[w].lock);
                s->workers[w].quit = 1;
                pthread_cond_signal(&s->workers[w].cond);
                pthread_mutex_unlock(&s->workers[w].lock);
        }
        for (w = 0; s->workers && w < s->nworkers; w++)
                if (s->workers[w].started)
                        pthread_join(s->workers[w].thread, NULL);
        if (s->producer)
                rd_kafka_flush(s->producer, 1000);
        atomic_store(&s->poller_quit, 1);
        if (s->poller_started)
                pthread_join(s->poller, NULL);
        for (i = 0; s->otopics && i < s->notopics; i++)
                if (s->otopics[i].rkt)
                        rd_kafka_topic_destroy(s->otopics[i].rkt);
        /* Purge what the broker never acknowledged: their delivery
         * reports fire here and release the jobs. */
        if (s->producer) {
                rd_kafka_purge(s->producer,
                               RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
                rd_kafka_flush(s->producer, 1000);
                rd_kafka_destroy(s->producer);
        }
        for (pt = s->assigned; pt; pt = pt->next)
                wt_drop_held(s, pt);
        for (pt = s->retired; pt; pt = pt->next)
                wt_drop_held(s, pt);
        if (s->consumer)
                rd_kafka_destroy(s->consumer);
        for (w = 0; s->workers && w < s->nworkers; w++) {
                wt_job_t *job = s->workers[w].head;
                while (job) { /* never started: drop without committing */
                        wt_job_t *nj = job->next;
                        rd_kafka_message_destroy(job->rkm);
                        free(job);
                        job = nj;
                }
                wt_scratch_destroy(s->workers[w].scratch);
                wt_recbuf_free(&s->workers[w].record);
                wt_jsonmem_arena_destroy(s->workers[w].json);
                pthread_mutex_destroy(&s->workers[w].lock);
                pthread_cond_destroy(&s->workers[w].cond);
        }
        free(s->workers);
        for (pt = s->assigned; pt; pt = next) {
                next = pt->next;
                wt_ptrack_destroy(pt);
        }
        for (pt = s->retired; pt; pt = next) {
                next = pt->next;
                wt_ptrack_destroy(pt);
        }
        free(s->otopics);
        free(s->routes);
        wt_binding_free(atomic_load(&s->binding));
        wt_kstats_destroy(s->kstats);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
}
