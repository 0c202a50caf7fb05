/*
 * wiretag - wt_stream_run.c: the consumer thread, from start to stop.
 *
 * wt_stream_run() starts the workers and the delivery thread, subscribes,
 * and loops: reload the model when asked, commit the open transaction on
 * the interval (exactly_once), log statistics, wait while the in-flight
 * bounds are reached, release held messages, poll one message and admit
 * it. When asked to stop, or on a fatal error, it finishes the in-flight
 * work (within shutdown.timeout.ms), flushes, commits and leaves the
 * group.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "wt_log.h"
#include "wt_stream_int.h"

/* What the loop remembers between turns. */
typedef struct wt_run_state {
        wt_file_id_t watched;   /* model.watch: the file last seen */
        uint64_t watch_ms;      /* when it was last looked at */
        uint64_t last_ms, last_consumed, last_bytes; /* the last stats line */
} wt_run_state_t;

/* Starting failed (the message: a printf format): stop at once, and
 * run() returns an error. */
__attribute__((format(printf, 2, 3)))
static void wt_run_fail(wt_stream_t *s, const char *fmt, ...) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        wt_log_error("%s", msg);
        atomic_store(&s->stop, 1);
        atomic_store(&s->fatal, 1);
}

/* One line of counters and rates since the last one. */
static void wt_run_log_stats(wt_stream_t *s, wt_run_state_t *rs) {
        wt_stream_stats_t st;
        uint64_t now = wt_stream_now_ms();
        double dt = (double)(now - rs->last_ms) / 1000.0;
        wt_stream_get_stats(s, &st);
        wt_log_info("consumed %" PRIu64 " (%.0f/s, %.2f MB/s), classified %"
                    PRIu64 ", dead-lettered %" PRIu64 ", produced %" PRIu64
                    ", produce failures %" PRIu64 ", committed %" PRIu64
                    ", in flight %" PRIu64,
                    st.consumed,
                    dt > 0 ? (double)(st.consumed - rs->last_consumed) / dt
                           : 0.0,
                    dt > 0 ? (double)(st.consumed_bytes - rs->last_bytes) /
                                     dt / 1e6
                           : 0.0,
                    st.classified, st.dead_lettered, st.produced,
                    st.produce_failed, st.committed, st.inflight);
        rs->last_ms = now;
        rs->last_consumed = st.consumed;
        rs->last_bytes = st.consumed_bytes;
}

/* Start the workers and the delivery thread; subscribe; exactly_once:
 * begin the first transaction. A failure sets stop and fatal. */
static void wt_run_start(wt_stream_t *s, wt_run_state_t *rs) {
        const wt_config_t *cfg = s->cfg;
        const wt_binding_t *b = atomic_load(&s->binding);
        rd_kafka_topic_partition_list_t *topics;
        rd_kafka_resp_err_t err;
        unsigned w;
        size_t i;

        wt_log_info("model %s (%s): %zu labels, %zu features; %u worker(s)",
                    wt_model_name(b->model), wt_model_id(b->model),
                    wt_model_nlabels(b->model), wt_model_nfeatures(b->model),
                    s->nworkers);
        for (w = 0; w < s->nworkers; w++) {
                if (pthread_create(&s->workers[w].thread, NULL, wt_worker_main,
                                   &s->workers[w])) {
                        wt_run_fail(s, "cannot start worker %u", w);
                        break;
                }
                s->workers[w].started = 1;
        }
        if (!atomic_load(&s->stop)) {
                if (pthread_create(&s->poller, NULL, wt_worker_poller_main, s))
                        wt_run_fail(s, "cannot start the delivery thread");
                else
                        s->poller_started = 1;
        }

        if (cfg->model_watch) /* the file as loaded: the baseline */
                (void)wt_reload_file_changed(cfg->model_path, &rs->watched);
        topics = rd_kafka_topic_partition_list_new((int)cfg->ninput_topics);
        for (i = 0; i < cfg->ninput_topics; i++)
                rd_kafka_topic_partition_list_add(topics, cfg->input_topics[i],
                                                  RD_KAFKA_PARTITION_UA);
        if (!atomic_load(&s->stop) &&
            (err = rd_kafka_subscribe(s->consumer, topics)))
                wt_run_fail(s, "subscribe: %s", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(topics);
        if (!atomic_load(&s->stop) && s->eos)
                wt_txn_begin(s);
        if (!atomic_load(&s->stop))
                atomic_store(&s->subscribed, 1);
        if (!atomic_load(&s->stop))
                wt_log_info("subscribed to %zu input topic(s), first %s; "
                            "waiting for an assignment",
                            cfg->ninput_topics, cfg->input_topics[0]);
}

/* What the loop does each turn before polling: a reload (SIGHUP, or
 * model.watch seeing the file change), which waits for no message, not
 * even under backpressure; exactly_once: commit on the interval, or abort
 * at once when an output of the transaction failed; the stats line. */
static void wt_run_housekeeping(wt_stream_t *s, wt_run_state_t *rs) {
        const wt_config_t *cfg = s->cfg;

        if (cfg->model_watch && wt_stream_now_ms() - rs->watch_ms >= 1000) {
                rs->watch_ms = wt_stream_now_ms();
                if (wt_reload_file_changed(cfg->model_path, &rs->watched))
                        wt_stream_request_reload(s);
        }
        if (atomic_exchange(&s->reload_requested, 0))
                wt_stream_reload(s);
        if (s->eos && atomic_load(&s->txn_failed))
                wt_txn_abort(s, 1, "an output failed");
        else if (s->eos && wt_stream_now_ms() - s->txn_begun_ms >=
                                   cfg->commit_interval_ms)
                wt_txn_commit(s, "interval");
        if (atomic_load(&s->stop))
                return;
        if (cfg->stats_interval_ms &&
            wt_stream_now_ms() - rs->last_ms >= cfg->stats_interval_ms)
                wt_run_log_stats(s, rs);
}

/* Consume until stop: admit messages within the in-flight bounds. */
static void wt_run_loop(wt_stream_t *s, wt_run_state_t *rs) {
        const wt_config_t *cfg = s->cfg;

        while (!atomic_load(&s->stop)) {
                rd_kafka_message_t *rkm;

                wt_run_housekeeping(s, rs);
                if (atomic_load(&s->stop))
                        break;
                /* Backpressure: admit nothing past the in-flight bounds. */
                if (atomic_load(&s->inflight) >= cfg->queue_max_messages ||
                    atomic_load(&s->inflight_bytes) >= cfg->queue_max_bytes) {
                        wt_stream_wait(s, 100);
                        continue;
                }
                if (s->npaused)
                        wt_admit_release_held(s);

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
                wt_admit_message(s, rkm);
        }
}

/* Finish what is in flight (bounded), flush, commit, leave the group. */
static void wt_run_shutdown(wt_stream_t *s, wt_run_state_t *rs) {
        const wt_config_t *cfg = s->cfg;
        rd_kafka_resp_err_t err;
        wt_part_t *pt;
        uint64_t until;
        int drained;

        for (pt = s->assigned; pt; pt = pt->next)
                wt_admit_drop_held(s, pt);
        wt_log_info("stopping: %" PRIu64 " message(s) in flight",
                    (uint64_t)atomic_load(&s->inflight));
        until = wt_stream_now_ms() + cfg->shutdown_timeout_ms;
        /* (A failed transaction's outputs wait for the abort.) */
        while (atomic_load(&s->inflight) > 0 && wt_stream_now_ms() < until &&
               !atomic_load(&s->fatal) &&
               !(s->eos && atomic_load(&s->txn_failed)))
                wt_stream_wait(s, 100);
        drained = atomic_load(&s->inflight) == 0;
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
        wt_run_log_stats(s, rs);
}

/* The consumer thread: the caller's. */
wt_err_t wt_stream_run(wt_stream_t *s) {
        wt_run_state_t rs = {0};

        rs.watch_ms = rs.last_ms = wt_stream_now_ms();
        wt_run_start(s, &rs);
        wt_run_loop(s, &rs);
        wt_run_shutdown(s, &rs);
        wt_log_info("stopped%s", atomic_load(&s->fatal) ? " on error" : "");
        return atomic_load(&s->fatal) ? WT_ERR_IO : WT_OK;
}
