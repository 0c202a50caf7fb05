/*
 * wiretag - wt_stream_worker.c: the workers' message path. See
 * wt_stream_int.h for the threads.
 *
 * A worker takes a job from its queue, parses the article, classifies it
 * with the serving model (held in its hazard slot until done), builds the
 * labeled record once and produces it to output.topic, to the topic of
 * every routed label it carries and to output.topic.unlabeled when it
 * carries none; bad input goes to dlq.topic. Each output counts as
 * pending in the job until its delivery report, which the delivery
 * thread serves; the last one finishes the job in its tracker.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wt_article.h"
#include "wt_log.h"
#include "wt_stream_int.h"

const uint64_t wt_hist_bounds[WT_HIST_NB] = {
        10000,  25000,  50000,   100000,  250000,
        500000, 1000000, 2500000, 10000000, 100000000};

/* A job's last output was acknowledged (or refused): hand its offset to
 * the partition's tracker, leave flight, wake the consumer thread. A
 * worker or the delivery thread. */
static void wt_job_finish(wt_job_t *job) {
        wt_part_t *pt = job->part;
        wt_stream_t *s = pt->s;
        int64_t stuck_at =
                wt_tracker_complete(pt->tracker, job->seq,
                                    atomic_load(&job->failed));
        /* exactly_once aborts and rewinds instead (quietly:
         * wt_worker_output_failed said why). */
        if (stuck_at >= 0 && !s->eos)
                wt_log_error("%s [%" PRId32 "] offset %" PRId64
                             ": an output was refused by the broker; this "
                             "partition commits no further until wiretag "
                             "restarts",
                             pt->topic, pt->partition, stuck_at);
        atomic_fetch_sub(&s->inflight, 1);
        atomic_fetch_sub(&s->inflight_bytes, job->bytes);
        pthread_mutex_lock(&s->lock);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        /* Kept until now: a refused output dead-letters the input. */
        rd_kafka_message_destroy(job->rkm);
        wt_job_put(s, job);
}

/* Drop one of job's pending counts (an output, or the worker's guard);
 * the last one finishes it. Any thread. */
static void wt_job_release(wt_job_t *job) {
        if (atomic_fetch_sub(&job->pending, 1) == 1)
                wt_job_finish(job);
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

static void wt_worker_dead_letter(wt_stream_t *s, wt_job_t *job, wt_err_t err,
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
static void wt_worker_output_failed(wt_stream_t *s, wt_job_t *job,
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
                        wt_tracker_poison(job->part->tracker, in->offset, ot, why);
                        atomic_store(&job->failed, 1);
                        if (!atomic_exchange(&s->txn_failed, 1))
                                wt_log_warn("%s [%" PRId32 "] offset %" PRId64
                                            ": %s; aborting the transaction, "
                                            "the input goes to dlq.topic in "
                                            "the next",
                                            job->part->topic, job->part->partition,
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
                               job->part->topic, job->part->partition, in->offset,
                               why,
                               first ? "; further refusals by this topic "
                                       "are logged at debug level"
                                     : "");
                        wt_worker_dead_letter(s, job, WT_ERR_OUTPUT_REFUSED, why, 0);
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
                                    job->part->topic, job->part->partition,
                                    in->offset, why);
                return;
        }
        if (s->eos)
                atomic_store(&s->txn_failed, 1);
        if (!atomic_exchange(&s->fatal, 1))
                wt_log_error("%s [%" PRId32 "] offset %" PRId64
                             ": %s; stopping (%s): no offset commits past "
                             "this input, a restart processes it again",
                             job->part->topic, job->part->partition, in->offset,
                             why,
                             dead_letter ? "dlq.topic refused the dead letter"
                             : permanent ? "output.error.policy=stop"
                                         : "an output could not be "
                                           "delivered");
        atomic_store(&s->stop, 1);
}

/* Delivery report: one output of a job acknowledged or refused. The
 * delivery thread (rd_kafka_poll of the producer). */
void wt_worker_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                     void *opaque) {
        wt_stream_t *s = opaque;
        wt_job_t *job = rkm->_private;
        wt_otopic_t *ot = rd_kafka_topic_opaque(rkm->rkt);
        (void)rk;
        if (rkm->err) {
                wt_worker_output_failed(s, job, ot, rkm->err);
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
static void wt_worker_produce(wt_stream_t *s, wt_job_t *job, wt_otopic_t *ot,
                              const void *value, size_t len,
                              rd_kafka_headers_t *hdrs, int may_wait) {
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
                wt_worker_output_failed(s, job, ot, err);
                wt_job_release(job);
        }
}

/* A copy of the input's headers to add ours to. @remark the caller owns
 * it. */
static rd_kafka_headers_t *wt_worker_headers(const rd_kafka_message_t *rkm) {
        rd_kafka_headers_t *in = NULL;
        if (rd_kafka_message_headers(rkm, &in) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            in)
                return rd_kafka_headers_copy(in);
        return rd_kafka_headers_new(4);
}

/* Publish the input to dlq.topic with its original bytes, key and
 * headers, plus why (wiretag-error, -error-message, -source-*). may_wait:
 * see wt_worker_produce. */
static void wt_worker_dead_letter(wt_stream_t *s, wt_job_t *job, wt_err_t err,
                                  const char *msg, int may_wait) {
        const rd_kafka_message_t *in = job->rkm;
        rd_kafka_headers_t *h = wt_worker_headers(in);
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
        wt_worker_produce(s, job, s->dlq, in->payload, in->len, h, may_wait);
}

/* Publish the labeled record to ot, with the input's headers plus ours;
 * unless the broker refused this input's record there before (exactly_once
 * after a rewind): then set *refused and why, for the dead letter. */
static void wt_worker_publish(wt_stream_t *s, wt_job_t *job, wt_otopic_t *ot,
                              const wt_recbuf_t *rec, const wt_binding_t *b,
                              const char *labels, int *refused, char *why,
                              size_t why_size) {
        rd_kafka_headers_t *h;
        if (wt_tracker_poisoned(job->part->tracker, job->rkm->offset, ot, why,
                                why_size)) {
                *refused = 1;
                return;
        }
        h = wt_worker_headers(job->rkm);
        rd_kafka_header_add(h, "wiretag-model", -1, wt_model_id(b->model), -1);
        rd_kafka_header_add(h, "wiretag-labels", -1, labels, -1);
        wt_worker_produce(s, job, ot, rec->data, rec->len, h, 1);
}

/* Classify the article's segments with b's model into *pred, timing it for the histogram
 * (wiretag_classify_seconds). The worker's own thread. */
static wt_err_t wt_worker_classify(wt_worker_t *w, const wt_binding_t *b,
                                   const wt_segments_t *segs,
                                   wt_prediction_t *pred) {
        struct timespec t0, t1;
        uint64_t ns;
        unsigned k = 0;
        wt_err_t err;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        err = wt_classify(b->model, w->scratch, segs, pred);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ns = (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
             (uint64_t)t1.tv_nsec - (uint64_t)t0.tv_nsec;
        while (k < WT_HIST_NB && ns > wt_hist_bounds[k])
                k++;
        atomic_fetch_add_explicit(&w->hist[k], 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&w->hist_sum_ns, ns, memory_order_relaxed);
        return err;
}

/* Count the article's tags and publish w->record (built) to output.topic,
 * to every routed label's topic and to output.topic.unlabeled; an output
 * the broker refused here before (exactly_once after a rewind) is skipped
 * and the input dead-lettered instead. The worker's own thread. */
static void wt_worker_publish_all(wt_stream_t *s, wt_worker_t *w,
                                  wt_job_t *job, wt_binding_t *b,
                                  const wt_prediction_t *pred) {
        char why[512], labels[4096];
        size_t i, r, off = 0;
        int refused = 0;

        labels[0] = '\0';
        for (i = 0; i < pred->ntags && off < sizeof(labels); i++)
                off += (size_t)snprintf(
                        labels + off, sizeof(labels) - off, "%s%s",
                        i ? "," : "",
                        wt_model_label(b->model, pred->tags[i].label));

        for (i = 0; i < pred->ntags; i++)
                atomic_fetch_add_explicit(&b->tags[pred->tags[i].label], 1,
                                          memory_order_relaxed);
        if (!pred->ntags)
                atomic_fetch_add_explicit(&b->untagged, 1,
                                          memory_order_relaxed);
        atomic_fetch_add(&s->classified, 1);
        wt_worker_publish(s, job, s->out, &w->record, b, labels, &refused,
                          why, sizeof(why));
        for (r = 0; r < s->nroutes; r++)
                for (i = 0; i < pred->ntags; i++)
                        if (pred->tags[i].label ==
                            (uint32_t)b->route_label[r])
                                wt_worker_publish(s, job, s->routes[r].topic,
                                                  &w->record, b, labels,
                                                  &refused, why, sizeof(why));
        if (pred->ntags == 0 && s->unlabeled)
                wt_worker_publish(s, job, s->unlabeled, &w->record, b, labels,
                                  &refused, why, sizeof(why));
        if (refused && !atomic_exchange(&job->dead_lettered, 1))
                wt_worker_dead_letter(s, job, WT_ERR_OUTPUT_REFUSED, why, 1);
}

/* A value that is not JSON but starts with the Confluent Schema Registry
 * framing (magic byte 0, a 4-byte big-endian schema id) and then looks
 * like JSON: say so, and how to read it, instead of jansson's words. */
static void wt_worker_confluent_hint(const rd_kafka_message_t *in,
                                     char *errstr, size_t errstr_size) {
        const unsigned char *p = in->payload;
        size_t i = 5;
        if (in->len < 6 || p[0] != 0)
                return;
        while (i < in->len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
                               p[i] == '\n'))
                i++;
        if (i == in->len || (p[i] != '{' && p[i] != '['))
                return;
        snprintf(errstr, errstr_size,
                 "looks like a Confluent Schema Registry payload (magic "
                 "byte 0, schema id %lu): set input.format=confluent-json",
                 (unsigned long)p[1] << 24 | (unsigned long)p[2] << 16 |
                         (unsigned long)p[3] << 8 | (unsigned long)p[4]);
}

/* One input message: scan, classify, publish (or dead-letter), with the
 * serving model held in w's hazard slot, the article read by w's scan
 * (no DOM; jansson, in w's arena, only for what the scanner hands it).
 * The job finishes when its last output is acknowledged. The worker's own
 * thread. */
static void wt_worker_process(wt_stream_t *s, wt_worker_t *w, wt_job_t *job) {
        const rd_kafka_message_t *in = job->rkm;
        wt_binding_t *b;
        wt_prediction_t pred;
        const char *text = in->payload;
        size_t len = in->len;
        char errstr[512];
        wt_err_t err;

        atomic_store(&job->pending, 1); /* the guard */
        b = wt_binding_hold(s, &w->hazard);
        wt_jsonmem_enter(w->json); /* until done: no malloc per message */
        if (!in->payload || in->len == 0) {
                wt_worker_dead_letter(s, job, WT_ERR_JSON, "empty message", 1);
                goto done;
        }
        if (s->cfg->input_format == WT_INPUT_FORMAT_CONFLUENT_JSON) {
                if (in->len < 5 || ((const char *)in->payload)[0] != 0) {
                        wt_worker_dead_letter(
                                s, job, WT_ERR_JSON,
                                "not a Confluent Schema Registry payload "
                                "(input.format=confluent-json expects magic "
                                "byte 0 and a 4-byte schema id before the "
                                "JSON)",
                                1);
                        goto done;
                }
                text = (const char *)in->payload + 5;
                len = in->len - 5;
        }
        err = wt_article_scan(text, len, &b->fconf, s->cfg->input_max_bytes,
                              &w->scan, errstr, sizeof(errstr));
        if (!err && (err = wt_worker_classify(w, b, &w->scan.segs, &pred)))
                snprintf(errstr, sizeof(errstr), "%s", wt_err_describe(err));
        if (err) {
                if (err == WT_ERR_JSON &&
                    s->cfg->input_format == WT_INPUT_FORMAT_JSON)
                        wt_worker_confluent_hint(in, errstr, sizeof(errstr));
                wt_worker_dead_letter(s, job, err, errstr, 1);
                goto done;
        }
        if ((err = wt_record_from_scan(text, len, &w->scan, &b->fconf,
                                       s->cfg->input_max_bytes, b->model,
                                       &pred, &w->record, errstr,
                                       sizeof(errstr)))) {
                wt_worker_dead_letter(s, job, err,
                                      "cannot build the labeled record", 1);
                goto done;
        }
        wt_worker_publish_all(s, w, job, b, &pred);
done:
        wt_article_scan_release(&w->scan);
        wt_jsonmem_leave(w->json);
        atomic_store(&w->hazard, NULL);
        wt_job_release(job); /* drop the guard */
}

/* A worker's thread (arg: its wt_worker_t): process queued jobs in order
 * until told to quit with an empty queue. */
void *wt_worker_main(void *arg) {
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
                wt_worker_process(w->s, w, job);
        }
        return NULL;
}

/* Queue job for w; the consumer thread. */
void wt_worker_push(wt_worker_t *w, wt_job_t *job) {
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

/* The delivery thread (arg: the stream): serves the producer's delivery
 * reports (wt_worker_dr_cb) until poller_quit. */
void *wt_worker_poller_main(void *arg) {
        wt_stream_t *s = arg;
        while (!atomic_load(&s->poller_quit))
                rd_kafka_poll(s->producer, 100);
        return NULL;
}

