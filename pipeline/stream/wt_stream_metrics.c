/*
 * wiretag - wt_stream_metrics.c: the stream's metrics in Prometheus text
 * format (version 0.0.4), for GET /metrics (wt_http).
 *
 * wiretag's own counters (messages, dead letters by code, records per
 * output topic, transactions, rebalances, reloads), the serving model and
 * its tags per label, the classification-time histogram summed over the
 * workers, then librdkafka's statistics (wt_kstats). The metric names are
 * an interface: dashboards and tests/stream/run_metrics.sh read them.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "wt_stream_int.h"

/* A growing text buffer; oom once an allocation failed (then nothing
 * more is added). */
typedef struct wt_text {
        char *buf;
        size_t len, cap;
        int oom;
} wt_text_t;

/* Append printf-style text to t. */
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

/* wt_kstats_render's emit: append to a wt_text_t. */
static void wt_metrics_kstats_emit(void *opaque, const char *text, size_t len) {
        wt_text_add(opaque, "%.*s", (int)len, text);
}

#define WT_GAUGE(t, name, help, fmt, v)                                        \
        wt_text_add(t, "# HELP " name " " help "\n# TYPE " name               \
                       " gauge\n" name " " fmt "\n",                          \
                    v)

/* Families with more than one sample, between the counters: dead
 * letters by error code (json always shown, others once seen). */
static void wt_metrics_dead_letters(wt_stream_t *s, wt_text_t *t) {
        unsigned k;
        wt_text_add(t, "# HELP wiretag_dead_letters_total Input messages "
                       "published to dlq.topic, by error code.\n"
                       "# TYPE wiretag_dead_letters_total counter\n");
        for (k = 0; k < WT_ERR__CNT; k++) {
                uint64_t v = atomic_load(&s->dlq_by_err[k]);
                if (v || k == WT_ERR_JSON)
                        wt_text_add(t,
                                    "wiretag_dead_letters_total{error=\"%s\"}"
                                    " %" PRIu64 "\n",
                                    wt_err_name((wt_err_t)k), v);
        }
}

/* Records the broker acknowledged, per output topic. */
static void wt_metrics_topics(wt_stream_t *s, wt_text_t *t) {
        char lab[256];
        size_t l;
        wt_text_add(t, "# HELP wiretag_topic_records_produced_total Output "
                       "records the broker acknowledged, per topic.\n"
                       "# TYPE wiretag_topic_records_produced_total "
                       "counter\n");
        for (l = 0; l < s->notopics; l++)
                wt_text_add(t,
                            "wiretag_topic_records_produced_total{topic=\"%s\"}"
                            " %" PRIu64 "\n",
                            wt_prom_label(s->otopics[l].name, lab, sizeof(lab)),
                            (uint64_t)atomic_load(&s->otopics[l].produced));
}

/* wiretag's own counters and gauges, in this order: one row each, the
 * value a counter of wt_stream_s (at off), or a family of its own. */
static const struct wt_metric_row {
        const char *name, *type, *help;
        size_t off;
        void (*family)(wt_stream_t *s, wt_text_t *t);
} wt_metric_rows[] = {
#define WT_ROW(name, type, help, field)                                        \
        {name, type, help, offsetof(struct wt_stream_s, field), NULL}
        WT_ROW("wiretag_messages_consumed_total", "counter",
               "Input messages taken in.", consumed),
        WT_ROW("wiretag_consumed_bytes_total", "counter",
               "Bytes of input messages taken in.", consumed_bytes),
        WT_ROW("wiretag_messages_classified_total", "counter",
               "Articles classified and published to output.topic.",
               classified),
        {NULL, NULL, NULL, 0, wt_metrics_dead_letters},
        WT_ROW("wiretag_records_produced_total", "counter",
               "Output records (labeled, per-label, unlabeled, dead "
               "letters) the broker acknowledged.",
               produced),
        {NULL, NULL, NULL, 0, wt_metrics_topics},
        WT_ROW("wiretag_produce_failures_total", "counter",
               "Output records the broker refused (or an abort purged).",
               produce_failed),
        WT_ROW("wiretag_transactions_committed_total", "counter",
               "exactly_once: transactions committed with their offsets.",
               txn_commits),
        WT_ROW("wiretag_transactions_aborted_total", "counter",
               "exactly_once: transactions aborted (their inputs were "
               "processed again).",
               txn_aborts),
        WT_ROW("wiretag_messages_committed_total", "counter",
               "Input messages whose offset is stored for commit.",
               committed),
        WT_ROW("wiretag_in_flight_messages", "gauge",
               "Input messages taken in and not yet committed.", inflight),
        WT_ROW("wiretag_in_flight_bytes", "gauge",
               "Bytes of the input messages in flight.", inflight_bytes),
        WT_ROW("wiretag_rebalances_total", "counter",
               "Consumer group rebalances (assignments and revocations).",
               rebalances),
        WT_ROW("wiretag_model_reloads_total", "counter",
               "Models loaded again and swapped in (SIGHUP, model.watch).",
               reloads),
        WT_ROW("wiretag_model_reload_failures_total", "counter",
               "Model reloads refused; the previous model kept serving.",
               reload_failures),
#undef WT_ROW
};

/* Render wt_metric_rows; the caller holds the scrape lock. */
static void wt_metrics_counters(wt_stream_t *s, wt_text_t *t) {
        size_t i;
        for (i = 0; i < sizeof(wt_metric_rows) / sizeof(wt_metric_rows[0]);
             i++) {
                const struct wt_metric_row *r = &wt_metric_rows[i];
                if (r->family) {
                        r->family(s, t);
                        continue;
                }
                wt_text_add(t, "# HELP %s %s\n# TYPE %s %s\n%s %" PRIu64 "\n",
                            r->name, r->help, r->name, r->type, r->name,
                            (uint64_t)atomic_load(
                                    (atomic_uint_fast64_t *)((char *)s +
                                                             r->off)));
        }
}

/* The serving model (b, held by the caller) and its tags per label. */
static void wt_metrics_model(wt_text_t *t, const wt_binding_t *b) {
        char name[256], id[64], lab[256];
        size_t l;

        wt_prom_label(wt_model_name(b->model), name, sizeof(name));
        wt_prom_label(wt_model_id(b->model), id, sizeof(id));
        wt_text_add(t, "# HELP wiretag_model_info The model serving now.\n"
                        "# TYPE wiretag_model_info gauge\n"
                        "wiretag_model_info{model=\"%s\",model_id=\"%s\"} 1\n",
                    name, id);
        WT_GAUGE(t, "wiretag_model_loaded_timestamp_seconds",
                 "When the serving model was loaded (Unix time).", "%.3f",
                 b->loaded_at);
        wt_text_add(t, "# HELP wiretag_tags_total Articles tagged with a "
                        "label by the serving model (since it was loaded).\n"
                        "# TYPE wiretag_tags_total counter\n");
        for (l = 0; l < wt_model_nlabels(b->model); l++)
                wt_text_add(t,
                            "wiretag_tags_total{model_id=\"%s\",label=\"%s\"}"
                            " %" PRIu64 "\n",
                            id,
                            wt_prom_label(wt_model_label(b->model, l), lab,
                                          sizeof(lab)),
                            (uint64_t)atomic_load(&b->tags[l]));
        wt_text_add(t,
                    "wiretag_tags_total{model_id=\"%s\",label=\"\"} %" PRIu64
                    "\n",
                    id, (uint64_t)atomic_load(&b->untagged));
}

/* The classification-time histogram, summed over the workers. */
static void wt_metrics_histogram(wt_stream_t *s, wt_text_t *t) {
        uint64_t hist[WT_HIST_NB + 1] = {0}, sum_ns = 0, cum = 0;
        unsigned w, k;

        for (w = 0; w < s->nworkers; w++) {
                for (k = 0; k <= WT_HIST_NB; k++)
                        hist[k] += atomic_load_explicit(
                                &s->workers[w].hist[k], memory_order_relaxed);
                sum_ns += atomic_load_explicit(&s->workers[w].hist_sum_ns,
                                               memory_order_relaxed);
        }
        wt_text_add(t, "# HELP wiretag_classify_seconds Time to classify one "
                        "article (tokenize, hash, score).\n"
                        "# TYPE wiretag_classify_seconds histogram\n");
        for (k = 0; k < WT_HIST_NB; k++) {
                cum += hist[k];
                wt_text_add(t,
                            "wiretag_classify_seconds_bucket{le=\"%g\"} %" PRIu64
                            "\n",
                            (double)wt_hist_bounds[k] / 1e9, cum);
        }
        cum += hist[WT_HIST_NB];
        wt_text_add(t,
                    "wiretag_classify_seconds_bucket{le=\"+Inf\"} %" PRIu64
                    "\nwiretag_classify_seconds_sum %.9f\n"
                    "wiretag_classify_seconds_count %" PRIu64 "\n",
                    cum, (double)sum_ns / 1e9, cum);
}

/* Safe from any thread while the stream exists; one scrape at a time,
 * and a reload waits for the scrape to let go of the model. */
char *wt_stream_metrics(wt_stream_t *s, size_t *lenp) {
        wt_text_t t = {0};
        wt_binding_t *b;
        const char *why;

        pthread_mutex_lock(&s->scrape_lock);
        /* What /healthz says, as a number an alert can watch. */
        WT_GAUGE(&t, "wiretag_healthy",
                 "1 while wiretag serves (GET /healthz answers 200), else 0.",
                 "%d", wt_stream_healthy(s, &why));
        b = wt_binding_hold(s, &s->scrape_hazard); /* reloads wait for it */
        wt_metrics_counters(s, &t);
        wt_metrics_model(&t, b);
        atomic_store(&s->scrape_hazard, NULL);
        wt_metrics_histogram(s, &t);
        wt_kstats_render(s->kstats, wt_metrics_kstats_emit, &t);
        pthread_mutex_unlock(&s->scrape_lock);
        if (t.oom) {
                free(t.buf);
                return NULL;
        }
        *lenp = t.len;
        return t.buf;
}

