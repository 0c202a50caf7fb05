/*
 * wiretag - wt_stream_admit.c: assigned partitions, and admission of
 * consumed messages within the in-flight bounds.
 *
 * Every assigned partition has a tracker (wt_tracker.h) sized to the
 * global bound (queue.max.messages). Jobs finish out of order (delivery
 * reports of different output topics arrive at different times), so a
 * slow message can fill a partition's window while the global bound still
 * has room: then that partition alone is paused and its messages held, in
 * order, while the others keep flowing (no head-of-line blocking).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "wt_log.h"
#include "wt_stream_int.h"

/* Which worker owns a partition: all its messages go there, in order. */
static unsigned wt_part_worker(const char *topic, int32_t partition,
                               unsigned n) {
        uint64_t h = 1469598103934665603ull; /* FNV-1a */
        const char *p;
        for (p = topic; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ (uint32_t)partition) * 1099511628211ull;
        return (unsigned)(h % n);
}

/* at_least_once: the tracker's prefix grew; store its offset for the
 * consumer's next commit. Called with the tracker locked, so stored
 * offsets never go backwards; from a worker or the delivery thread. */
static void wt_part_store(void *opaque, int64_t offset, uint64_t count) {
        wt_part_t *pt = opaque;
        rd_kafka_topic_partition_list_t *tpl =
                rd_kafka_topic_partition_list_new(1);
        rd_kafka_resp_err_t err;
        rd_kafka_topic_partition_list_add(tpl, pt->topic, pt->partition)
                ->offset = offset;
        err = rd_kafka_offsets_store(pt->s->consumer, tpl);
        if (err)
                wt_log_warn("%s [%" PRId32 "]: storing offset %" PRId64
                            " failed: %s",
                            pt->topic, pt->partition, offset,
                            rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(tpl);
        atomic_fetch_add(&pt->s->committed, count);
}

wt_part_t *wt_part_new(wt_stream_t *s, const char *topic, int32_t partition) {
        wt_part_t *pt = calloc(1, sizeof(*pt));
        if (!pt)
                return NULL;
        pt->s = s;
        pt->partition = partition;
        pt->topic = strdup(topic);
        /* In-flight messages of one partition never exceed the global
         * bound, so the ring never wraps onto a live slot. */
        pt->tracker = wt_tracker_new(s->cfg->queue_max_messages,
                                     s->eos ? NULL : wt_part_store, pt);
        if (!pt->topic || !pt->tracker) {
                wt_part_destroy(pt);
                return NULL;
        }
        pt->worker = wt_part_worker(topic, partition, s->nworkers);
        return pt;
}

void wt_part_destroy(wt_part_t *pt) {
        if (!pt)
                return;
        wt_tracker_destroy(pt->tracker);
        free(pt->topic);
        free(pt);
}

wt_part_t *wt_part_find(wt_stream_t *s, const char *topic,
                        int32_t partition) {
        wt_part_t *pt;
        for (pt = s->assigned; pt; pt = pt->next)
                if (pt->partition == partition && !strcmp(pt->topic, topic))
                        return pt;
        return NULL;
}

/* Register job in its partition's tracker and hand it to the partition's
 * worker. Consumer thread. */
static void wt_admit(wt_stream_t *s, wt_part_t *pt, wt_job_t *job) {
        rd_kafka_message_t *rkm = job->rkm;
        job->part = pt;
        job->bytes = rkm->len;
        job->seq = wt_tracker_admit(pt->tracker, rkm->offset);
        atomic_fetch_add(&s->inflight, 1);
        atomic_fetch_add(&s->inflight_bytes, job->bytes);
        atomic_fetch_add(&s->consumed, 1);
        atomic_fetch_add(&s->consumed_bytes, rkm->len);
        wt_worker_push(&s->workers[pt->worker], job);
}

/* Pause (pause = 1) or resume one partition's fetching. */
static void wt_admit_pause(wt_stream_t *s, wt_part_t *pt, int pause) {
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

/* Under AddressSanitizer jobs are freed, not reused, so that a job
 * touched after it was given back stays a use after free ASan reports;
 * every other build (ThreadSanitizer's included) reuses them. */
#if defined(__SANITIZE_ADDRESS__)
#define WT_JOB_REUSE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WT_JOB_REUSE 0
#endif
#endif
#ifndef WT_JOB_REUSE
#define WT_JOB_REUSE 1
#endif

wt_job_t *wt_job_get(wt_stream_t *s) {
        wt_job_t *job;
        if (!s->job_spare)
                s->job_spare = atomic_exchange_explicit(
                        &s->job_free, NULL, memory_order_acquire);
        job = s->job_spare;
        if (!job)
                return calloc(1, sizeof(*job));
        s->job_spare = job->next;
        memset(job, 0, sizeof(*job)); /* as calloc leaves a new one */
        return job;
}

void wt_job_put(wt_stream_t *s, wt_job_t *job) {
        wt_job_t *head;
        if (!WT_JOB_REUSE) {
                free(job);
                return;
        }
        head = atomic_load_explicit(&s->job_free, memory_order_relaxed);
        do
                job->next = head;
        while (!atomic_compare_exchange_weak_explicit(
                &s->job_free, &head, job, memory_order_release,
                memory_order_relaxed));
}

void wt_job_pool_free(wt_stream_t *s) {
        wt_job_t *lists[2], *job;
        int i;
        lists[0] = s->job_spare;
        lists[1] = atomic_exchange(&s->job_free, NULL);
        s->job_spare = NULL;
        for (i = 0; i < 2; i++)
                while ((job = lists[i])) {
                        lists[i] = job->next;
                        free(job);
                }
}

/* Window full: keep the message, in order, and pause only this
 * partition, so the others keep flowing. */
static void wt_admit_hold(wt_stream_t *s, wt_part_t *pt, wt_job_t *job) {
        job->next = NULL;
        if (pt->held_tail)
                pt->held_tail->next = job;
        else
                pt->held_head = job;
        pt->held_tail = job;
        if (!pt->paused) {
                wt_admit_pause(s, pt, 1);
                pt->paused = 1;
                s->npaused++;
        }
}

void wt_admit_message(wt_stream_t *s, rd_kafka_message_t *rkm) {
        wt_part_t *pt;
        wt_job_t *job = NULL;

        pthread_mutex_lock(&s->lock);
        pt = wt_part_find(s, rd_kafka_topic_name(rkm->rkt), rkm->partition);
        pthread_mutex_unlock(&s->lock);
        if (!pt || !(job = wt_job_get(s))) {
                wt_log_error("%s [%" PRId32 "] offset %" PRId64
                             ": %s; not processed, not committed",
                             rd_kafka_topic_name(rkm->rkt), rkm->partition,
                             rkm->offset,
                             pt ? "out of memory" : "partition not assigned");
                rd_kafka_message_destroy(rkm);
                return;
        }
        job->rkm = rkm;
        if (pt->held_head || wt_tracker_full(pt->tracker))
                wt_admit_hold(s, pt, job);
        else
                wt_admit(s, pt, job);
}

void wt_admit_release_held(wt_stream_t *s) {
        wt_part_t *pt;
        for (pt = s->assigned; pt; pt = pt->next) {
                if (!pt->paused)
                        continue;
                while (pt->held_head && !wt_tracker_full(pt->tracker)) {
                        wt_job_t *job = pt->held_head;
                        pt->held_head = job->next;
                        if (!pt->held_head)
                                pt->held_tail = NULL;
                        wt_admit(s, pt, job);
                }
                if (!pt->held_head) {
                        wt_admit_pause(s, pt, 0);
                        pt->paused = 0;
                        s->npaused--;
                }
        }
}

void wt_admit_drop_held(wt_stream_t *s, wt_part_t *pt) {
        while (pt->held_head) {
                wt_job_t *job = pt->held_head;
                pt->held_head = job->next;
                rd_kafka_message_destroy(job->rkm);
                wt_job_put(s, job);
        }
        pt->held_tail = NULL;
        if (pt->paused) {
                pt->paused = 0;
                s->npaused--;
        }
}

void wt_admit_unhold(wt_stream_t *s, wt_part_t *pt) {
        int paused = pt->paused;
        wt_admit_drop_held(s, pt);
        if (paused)
                wt_admit_pause(s, pt, 0);
}

int wt_admit_drain(wt_stream_t *s, wt_part_t **pts, int n,
                   unsigned timeout_ms, int doomed) {
        uint64_t until = wt_stream_now_ms() + timeout_ms;
        for (;;) {
                uint64_t left = 0;
                int i;
                if (!pts)
                        left = atomic_load(&s->inflight);
                for (i = 0; pts && i < n; i++)
                        if (pts[i])
                                left += wt_tracker_inflight(pts[i]->tracker);
                if (left == 0)
                        return 0;
                /* A failed transaction's queued outputs get no delivery
                 * report before the abort purges them. */
                if (doomed && atomic_load(&s->txn_failed))
                        return 1;
                if (wt_stream_now_ms() >= until)
                        return -1;
                wt_stream_wait(s, 100);
        }
}
