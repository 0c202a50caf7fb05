/*
 * wiretag - wt_stream.c: the stream processor's life: create it (model,
 * Kafka clients, output topics, workers), stop it, read its counters and
 * health, destroy it. See wt_stream.h; how the parts fit together:
 * wt_stream_int.h.
 */
#include "wt_stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wt_log.h"
#include "wt_stream_int.h"

#define BAD(code, ...) wt_seterr(errstr, errstr_size, code, __VA_ARGS__)

/* ------------------------------------------------------------ helpers */

uint64_t wt_stream_now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void wt_stream_wait(wt_stream_t *s, unsigned ms) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += ms / 1000;
        ts.tv_nsec += (long)(ms % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&s->lock);
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------ Kafka clients */

/* librdkafka's log lines, through wt_log at the matching level. */
static void wt_kafka_log_cb(const rd_kafka_t *rk, int level, const char *fac,
                            const char *buf) {
        wt_log_level_t l = level <= 3   ? WT_LOG_ERROR
                           : level <= 4 ? WT_LOG_WARN
                           : level <= 6 ? WT_LOG_INFO
                                        : WT_LOG_DEBUG;
        const char *fields[] = {"component", "librdkafka", "client",
                                rd_kafka_name(rk), "facility", fac, NULL};
        wt_log_kv(l, fields, "librdkafka %s %s: %s", rd_kafka_name(rk), fac,
                  buf);
}

/* librdkafka's errors: a fatal one stops wiretag; others it recovers
 * from by itself. */
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
static int wt_stream_stats_interval(const wt_config_t *cfg,
                                    rd_kafka_conf_t *conf, char *errstr,
                                    size_t errstr_size) {
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

/* A Kafka client of wiretag's (type: RD_KAFKA_PRODUCER or _CONSUMER):
 * cfg's properties for it, wiretag's callbacks (delivery reports or
 * rebalances, statistics, logs, errors), s as opaque. Returns NULL with
 * errstr filled. @remark the caller owns the handle. */
static rd_kafka_t *wt_stream_client_new(wt_stream_t *s, rd_kafka_type_t type,
                                        char *errstr, size_t errstr_size) {
        int consumer = type == RD_KAFKA_CONSUMER;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        char kerr[512];

        conf = wt_config_kafka_conf(s->cfg, consumer, errstr, errstr_size);
        if (!conf)
                return NULL;
        rd_kafka_conf_set_opaque(conf, s);
        if (consumer)
                rd_kafka_conf_set_rebalance_cb(conf, wt_rebalance_cb);
        else
                rd_kafka_conf_set_dr_msg_cb(conf, wt_worker_dr_cb);
        rd_kafka_conf_set_stats_cb(conf, wt_kafka_stats_cb);
        if (wt_stream_stats_interval(s->cfg, conf, errstr, errstr_size)) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(conf, wt_kafka_log_cb);
        rd_kafka_conf_set_error_cb(conf, wt_kafka_error_cb);
        rk = rd_kafka_new(type, conf, kerr, sizeof(kerr));
        if (!rk) {
                rd_kafka_conf_destroy(conf);
                BAD(WT_ERR_INVALID_ARG, "%s: %s",
                    consumer ? "consumer" : "producer", kerr);
                return NULL;
        }
        if (consumer)
                rd_kafka_poll_set_consumer(rk);
        return rk;
}

/* ------------------------------------------------------ output topics */

/* The output topic named name, or NULL. */
static wt_otopic_t *wt_otopic_find(wt_stream_t *s, const char *name) {
        size_t i;
        for (i = 0; i < s->notopics; i++)
                if (!strcmp(s->otopics[i].name, name))
                        return &s->otopics[i];
        return NULL;
}

/* The output topic named name, added when new (s->otopics has room for
 * every configured one). */
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
static wt_err_t wt_stream_check_topics(wt_stream_t *s, char *errstr,
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

/* ----------------------------------------------------------- creation */

/* Output topics and routes: check that every configured topic exists,
 * learn the outputs' partition counts, open their handles. */
static wt_err_t wt_stream_open_outputs(wt_stream_t *s, char *errstr,
                                       size_t errstr_size) {
        const wt_config_t *cfg = s->cfg;
        wt_err_t err;
        size_t i;

        s->out = wt_otopic_add(s, cfg->output_topic);
        s->dlq = wt_otopic_add(s, cfg->dlq_topic);
        if (cfg->unlabeled_topic)
                s->unlabeled = wt_otopic_add(s, cfg->unlabeled_topic);
        for (i = 0; i < cfg->nroutes; i++)
                s->routes[i].topic = wt_otopic_add(s, cfg->routes[i].topic);
        if ((err = wt_stream_check_topics(s, errstr, errstr_size)))
                return err;
        for (i = 0; i < s->notopics; i++) {
                rd_kafka_topic_conf_t *tconf = rd_kafka_topic_conf_new();
                rd_kafka_topic_conf_set_opaque(tconf, &s->otopics[i]);
                s->otopics[i].rkt = rd_kafka_topic_new(
                        s->producer, s->otopics[i].name, tconf);
                if (!s->otopics[i].rkt)
                        return BAD(WT_ERR_INVALID_ARG, "topic %s: %s",
                                   s->otopics[i].name,
                                   rd_kafka_err2str(rd_kafka_last_error()));
        }
        return WT_OK;
}

/* The workers, each with its queue, scratch and JSON arena (not started:
 * wt_stream_run starts them). */
static wt_err_t wt_stream_workers_new(wt_stream_t *s, char *errstr,
                                      size_t errstr_size) {
        unsigned w;

        s->nworkers = s->cfg->workers ? s->cfg->workers : 1;
        s->workers = calloc(s->nworkers, sizeof(*s->workers));
        if (!s->workers)
                return BAD(WT_ERR_NOMEM, "out of memory for %u workers",
                           s->nworkers);
        for (w = 0; w < s->nworkers; w++) {
                s->workers[w].s = s;
                s->workers[w].id = w;
                pthread_mutex_init(&s->workers[w].lock, NULL);
                pthread_cond_init(&s->workers[w].cond, NULL);
                if (!(s->workers[w].scratch = wt_scratch_new()) ||
                    !(s->workers[w].json = wt_jsonmem_arena_new(0)))
                        return BAD(WT_ERR_NOMEM,
                                   "out of memory for worker %u's scratch",
                                   w);
        }
        return WT_OK;
}

/* Every failure fills errstr: the caller prints it. */
wt_err_t wt_stream_new(const wt_config_t *cfg, wt_stream_t **streamp,
                       char *errstr, size_t errstr_size) {
        wt_stream_t *s;
        wt_binding_t *b;
        wt_err_t err;

        *streamp = NULL;
        if (!(s = calloc(1, sizeof(*s))))
                return BAD(WT_ERR_NOMEM, "out of memory for the stream");
        s->cfg = cfg;
        pthread_mutex_init(&s->lock, NULL);
        pthread_cond_init(&s->cond, NULL);
        pthread_mutex_init(&s->scrape_lock, NULL);
        wt_log_set_level(cfg->log_level);
        if (!(s->kstats = wt_kstats_new())) {
                err = BAD(WT_ERR_NOMEM, "out of memory for the metrics");
                goto fail;
        }
        if ((err = wt_binding_load(cfg, &b, errstr, errstr_size)))
                goto fail;
        atomic_store(&s->binding, b);

        s->otopics = calloc(3 + cfg->nroutes, sizeof(*s->otopics));
        s->routes = calloc(cfg->nroutes + 1, sizeof(*s->routes));
        if (!s->otopics || !s->routes) {
                err = BAD(WT_ERR_NOMEM, "out of memory for the output topics");
                goto fail;
        }
        s->nroutes = cfg->nroutes;
        if (!(s->producer = wt_stream_client_new(s, RD_KAFKA_PRODUCER, errstr,
                                                 errstr_size)) ||
            !(s->consumer = wt_stream_client_new(s, RD_KAFKA_CONSUMER, errstr,
                                                 errstr_size))) {
                err = WT_ERR_INVALID_ARG;
                goto fail;
        }
        if ((err = wt_stream_open_outputs(s, errstr, errstr_size)))
                goto fail;

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
        if ((err = wt_stream_workers_new(s, errstr, errstr_size)))
                goto fail;
        wt_jsonmem_install();
        *streamp = s;
        return WT_OK;
fail:
        wt_stream_destroy(s);
        return err;
}

/* ------------------------------------------------------- control, state */

/* Async-signal-safe: one atomic store. */
void wt_stream_stop(wt_stream_t *s) {
        atomic_store(&s->stop, 1);
}

/* Any thread. */
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

/* Any thread (the HTTP thread asks). */
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
                *why = "starting"; /* not subscribed yet */
                return 0;
        }
        *why = "ok";
        return 1;
}

/* Stop the threads, purge what the broker never acknowledged, free
 * everything. Accepts NULL; the thread that ran wt_stream_run (or none). */
void wt_stream_destroy(wt_stream_t *s) {
        unsigned w;
        size_t i;
        wt_part_t *pt, *next;

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
                wt_admit_drop_held(s, pt);
        for (pt = s->retired; pt; pt = pt->next)
                wt_admit_drop_held(s, pt);
        if (s->consumer)
                rd_kafka_destroy(s->consumer);
        for (w = 0; s->workers && w < s->nworkers; w++) {
                wt_job_t *job = s->workers[w].head;
                while (job) { /* never started: drop without committing */
                        wt_job_t *nj = job->next;
                        rd_kafka_message_destroy(job->rkm);
                        wt_job_put(s, job);
                        job = nj;
                }
                wt_scratch_destroy(s->workers[w].scratch);
                wt_recbuf_free(&s->workers[w].record);
                wt_article_scan_free(&s->workers[w].scan);
                wt_jsonmem_arena_destroy(s->workers[w].json);
                pthread_mutex_destroy(&s->workers[w].lock);
                pthread_cond_destroy(&s->workers[w].cond);
        }
        free(s->workers);
        for (pt = s->assigned; pt; pt = next) {
                next = pt->next;
                wt_part_destroy(pt);
        }
        for (pt = s->retired; pt; pt = next) {
                next = pt->next;
                wt_part_destroy(pt);
        }
        wt_job_pool_free(s); /* after everything that gives jobs back */
        free(s->otopics);
        free(s->routes);
        wt_binding_free(atomic_load(&s->binding));
        wt_kstats_destroy(s->kstats);
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->cond);
        free(s);
}
