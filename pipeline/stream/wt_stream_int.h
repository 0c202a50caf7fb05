/*
 * wiretag - wt_stream_int.h: the stream processor's internals, shared by
 * its files (never included outside pipeline/stream).
 *
 *   wt_stream.c            lifecycle: new (Kafka clients, output topics,
 *                          workers), destroy, stats, health
 *   wt_stream_run.c        the consumer thread's loop and shutdown
 *   wt_stream_admit.c      assigned partitions, admission within the
 *                          in-flight bounds, pausing a full partition
 *   wt_stream_worker.c     the workers' message path: parse, classify,
 *                          publish, dead letters, delivery reports
 *   wt_stream_txn.c        exactly_once transactions
 *   wt_stream_rebalance.c  assignment and revocation
 *   wt_stream_reload.c     the serving model (binding) and its reload
 *   wt_stream_metrics.c    /metrics in Prometheus text format
 *   wt_tracker.c           what of a partition may be committed
 *
 * Threads:
 *  - the caller of wt_stream_run() (the consumer thread) polls the
 *    consumer, admits messages within the in-flight bounds and hands each
 *    to the worker that owns its partition; rebalance callbacks,
 *    transactions and reloads run here too;
 *  - N workers parse, classify and produce, each with its own scratch;
 *  - one thread serves the producer's delivery reports, which complete
 *    jobs and store offsets.
 *
 * A job is one input message in flight. It counts its unacknowledged
 * outputs; the count starts at 1 (a guard the worker drops once it has
 * produced everything), so a job cannot complete while still producing.
 * Each assigned partition has a tracker (wt_tracker.h), which decides
 * which offset may be committed: the one after the longest completed
 * prefix, so an offset is committed only when every earlier message of
 * the partition is fully published. A job whose output the broker refused
 * leaves its slot failed: the partition stops committing there, loudly
 * (see wt_worker_output_failed for what happens to the input).
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
#ifndef WT_STREAM_INT_H
#define WT_STREAM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "wt_jsonmem.h"
#include "wt_kstats.h"
#include "wt_model.h"
#include "wt_record.h"
#include "wt_stream.h"
#include "wt_tracker.h"

typedef struct wt_part wt_part_t;
typedef struct wt_job wt_job_t;
typedef struct wt_worker wt_worker_t;
typedef struct wt_binding wt_binding_t;

/* Upper bounds (ns) of the classification-time histogram's buckets. */
#define WT_HIST_NB 10
extern const uint64_t wt_hist_bounds[WT_HIST_NB];

/* An assigned input partition. */
struct wt_part {
        wt_stream_t *s;
        char *topic;
        int32_t partition;
        unsigned worker;      /* the worker that processes it */
        wt_tracker_t *tracker;
        /* Consumer thread only: being revoked; messages consumed while
         * the window was full, in order, and whether the partition is
         * paused for them. */
        int leaving;
        wt_job_t *held_head, *held_tail;
        int paused;
        wt_part_t *next;      /* in the stream's list */
};

/* One input message in flight. */
struct wt_job {
        wt_job_t *next; /* worker queue, or a partition's held list */
        rd_kafka_message_t *rkm;
        wt_part_t *part;
        uint64_t seq;   /* in part's tracker */
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
        wt_article_scan_t scan; /* the article being read (its buffer reused) */
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
        /* exactly_once: the open transaction. Consumer thread only, but
         * for txn_failed (set by any thread when an output of the open
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

        pthread_mutex_t lock;    /* partition lists; admission and drains */
        pthread_cond_t cond;     /* a job finished */
        wt_part_t *assigned;
        wt_part_t *retired;
        size_t npaused;          /* partitions holding messages (consumer
                                    thread) */

        /* Jobs are reused, not allocated per message: finished ones are
         * pushed onto job_free by whichever thread finishes them, and the
         * consumer thread takes the whole stack at once into job_spare
         * when that runs out (wt_job_get), so the stack is never popped
         * one by one from two sides and needs no ABA guard. */
        _Atomic(wt_job_t *) job_free;
        wt_job_t *job_spare;     /* consumer thread only */

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

/* ------------------------------------------------- wt_stream.c, shared */

/** Monotonic milliseconds. Any thread. */
uint64_t wt_stream_now_ms(void);

/** Wait up to ms for a job to finish (s->cond), or less. Any thread but
 *  a worker's or the delivery thread's, whose progress it waits for. */
void wt_stream_wait(wt_stream_t *s, unsigned ms);

/* ------------------------------------------------------ wt_stream_admit.c */

/** A cleared job, reused or else allocated; NULL when out of memory.
 *  Consumer thread. */
wt_job_t *wt_job_get(wt_stream_t *s);

/** Give job back for reuse (its message already destroyed). Any thread. */
void wt_job_put(wt_stream_t *s, wt_job_t *job);

/** Free every job given back. Destroy only, once no thread can put one. */
void wt_job_pool_free(wt_stream_t *s);

/** A tracker and bookkeeping for an assigned partition, or NULL when out
 *  of memory. @remark the caller owns it (wt_part_destroy). Consumer
 *  thread. */
wt_part_t *wt_part_new(wt_stream_t *s, const char *topic, int32_t partition);

/** Free pt and its tracker; accepts NULL. Its held messages are dropped
 *  first (wt_admit_drop_held); no delivery report may touch it any more. */
void wt_part_destroy(wt_part_t *pt);

/** The assigned partition, or NULL. Caller holds s->lock. */
wt_part_t *wt_part_find(wt_stream_t *s, const char *topic,
                        int32_t partition);

/** Take in a consumed message: admit it, or hold it (pausing the
 *  partition) when the partition's window is full. Takes ownership of
 *  rkm in every case. Consumer thread. */
void wt_admit_message(wt_stream_t *s, rd_kafka_message_t *rkm);

/** Admit held messages whose window has room; resume emptied
 *  partitions. Consumer thread. */
void wt_admit_release_held(wt_stream_t *s);

/** Drop pt's held messages (never registered, so never committed) and
 *  forget the pause, without resuming. Consumer thread (or destroy). */
void wt_admit_drop_held(wt_stream_t *s, wt_part_t *pt);

/** Drop pt's held messages and resume it if it was paused. Consumer
 *  thread. */
void wt_admit_unhold(wt_stream_t *s, wt_part_t *pt);

/** Wait (bounded) until no job of these partitions (pts NULL: of any) is
 *  in flight: 0, or -1 at the deadline; with doomed (exactly_once), 1 as
 *  soon as the open transaction has failed. Consumer thread. */
int wt_admit_drain(wt_stream_t *s, wt_part_t **pts, int n,
                   unsigned timeout_ms, int doomed);

/* ----------------------------------------------------- wt_stream_worker.c */

/** A worker's thread: process its queue until told to quit. */
void *wt_worker_main(void *arg);

/** Queue job for worker w. Consumer thread. */
void wt_worker_push(wt_worker_t *w, wt_job_t *job);

/** The delivery-report thread: polls the producer until poller_quit. */
void *wt_worker_poller_main(void *arg);

/** The producer's delivery-report callback (dr_msg_cb). */
void wt_worker_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                     void *opaque);

/* -------------------------------------------------------- wt_stream_txn.c */

/** Begin a transaction (exactly_once). Consumer thread. */
void wt_txn_begin(wt_stream_t *s);

/** Abort the open transaction; with rewind, seek every assigned partition
 *  back to what the last transaction committed. Consumer thread. */
void wt_txn_abort(wt_stream_t *s, int rewind, const char *why);

/** Commit the open transaction with every partition's finished offset,
 *  once nothing is in flight; abort and rewind when an output failed.
 *  Consumer thread. */
void wt_txn_commit(wt_stream_t *s, const char *why);

/* -------------------------------------------------- wt_stream_rebalance.c */

/** The consumer's rebalance callback (rebalance_cb). Consumer thread. */
void wt_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                     rd_kafka_topic_partition_list_t *parts, void *opaque);

/* ----------------------------------------------------- wt_stream_reload.c */

/** Load cfg's model.path and check it serves cfg. @remark the caller owns
 *  *bp (wt_binding_free). Any thread. */
wt_err_t wt_binding_load(const wt_config_t *cfg, wt_binding_t **bp,
                         char *errstr, size_t errstr_size);

/** Free b; accepts NULL. No hazard slot may hold it. */
void wt_binding_free(wt_binding_t *b);

/** The serving binding, published in slot until the holder stores NULL
 *  there. Workers and the metrics scrape. */
wt_binding_t *wt_binding_hold(wt_stream_t *s, _Atomic(wt_binding_t *) *slot);

/** Load the model again and swap it in (a reload was requested).
 *  Consumer thread. */
void wt_stream_reload(wt_stream_t *s);

/** What model.watch compares: a replaced file (rename) has a new inode;
 *  a rewritten one a new size or time. */
typedef struct wt_file_id {
        int known;
        dev_t dev;
        ino_t ino;
        off_t size;
        struct timespec mtime;
} wt_file_id_t;

/** 1 when path is not the file *id last saw (and remember it). */
int wt_reload_file_changed(const char *path, wt_file_id_t *id);

#endif /* WT_STREAM_INT_H */
