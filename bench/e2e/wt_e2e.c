/*
 * wiretag bench - wt_e2e.c: the Kafka clients of the end-to-end benchmark
 * (bench/e2e.sh), with librdkafka: load a large corpus fast,
 * feed articles at a fixed rate, watch a consumer group's lag, and measure
 * the end-to-end latency of what wiretag publishes.
 *
 *   wt-e2e [-t SECONDS] -b BOOTSTRAP [-X key=value ...] COMMAND ...
 *
 *   load TOPIC N FILE...      produce N articles: the JSON Lines of the
 *                             FILEs, shuffled once (fixed seed) so the
 *                             sources mix, repeated with distinct ids
 *                             ("<id>-r<k>" for repetition k), keyed by id;
 *                             prints "ARTICLES BYTES SECONDS"
 *   rate TOPIC RATE SECONDS FILE...
 *                             produce RATE articles a second for SECONDS
 *                             (ids "<id>-l<k>"), each with header
 *                             bench-sent-ns (CLOCK_REALTIME when handed
 *                             to the producer); prints "ARTICLES BYTES
 *                             SECONDS"
 *   lag GROUP TOPIC INTERVAL_MS EXPECTED [OUTPUT_TOPIC]
 *                             every INTERVAL_MS, one line "EPOCH_MS
 *                             COMMITTED END LAG [OUTPUT]" (sums over the
 *                             partitions; LAG = END - COMMITTED; OUTPUT:
 *                             messages in OUTPUT_TOPIC) until GROUP has
 *                             committed EXPECTED messages or -t SECONDS
 *                             have passed (exit 1)
 *   latency TOPIC EXPECTED [SAMPLES_FILE [WARMUP_S]]
 *                             read TOPIC from the beginning until EXPECTED
 *                             records with bench-sent-ns have arrived (or
 *                             -t SECONDS: exit 1 with what it has); prints
 *                             "COUNT P50 P90 P99 P999 MAX" in ms over the
 *                             records sent WARMUP_S (default 0) or more
 *                             after the first; with SAMPLES_FILE (or "-":
 *                             none) also "SENT_S LATENCY_MS" per record
 *                             (SENT_S from the first send)
 *
 * -X sets a librdkafka property of the command's client (the producer of
 * load and rate, the consumer of lag and latency). -t bounds every wait
 * (default 600 s). Exit status: 0 ok, 1 failed, 2 usage.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <librdkafka/rdkafka.h>

#define WT_SENT_HEADER "bench-sent-ns"
#define WT_MAX_CONF 64

static int timeout_s = 600;
static const char *conf_keys[WT_MAX_CONF], *conf_vals[WT_MAX_CONF];
static int conf_n;
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static int64_t wt_now_ns(clockid_t clk) {
        struct timespec ts;
        clock_gettime(clk, &ts);
        return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double wt_mono_s(void) {
        return (double)wt_now_ns(CLOCK_MONOTONIC) / 1e9;
}

static void usage(void) {
        fprintf(stderr,
                "usage: wt-e2e [-t SECONDS] -b BOOTSTRAP [-X key=value ...] "
                "COMMAND ...\n"
                "  load TOPIC N FILE...\n"
                "  rate TOPIC RATE SECONDS FILE...\n"
                "  lag GROUP TOPIC INTERVAL_MS EXPECTED [OUTPUT_TOPIC]\n"
                "  latency TOPIC EXPECTED [SAMPLES_FILE [WARMUP_S]]\n");
}

static int set_conf(rd_kafka_conf_t *conf, const char *key, const char *val) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, key, val, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
                fprintf(stderr, "wt-e2e: %s=%s: %s\n", key, val, errstr);
                return -1;
        }
        return 0;
}

/* A client of the given type: bootstrap, the command's defaults (pairs,
 * NULL-terminated), then every -X, which may override them. */
static rd_kafka_t *client(rd_kafka_type_t type, const char *bootstrap,
                          const char *const *defaults,
                          void (*dr)(rd_kafka_t *, const rd_kafka_message_t *,
                                     void *),
                          void *opaque) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        int i;

        if (set_conf(conf, "bootstrap.servers", bootstrap) ||
            set_conf(conf, "log_level", "3"))
                goto fail;
        for (i = 0; defaults && defaults[i]; i += 2)
                if (set_conf(conf, defaults[i], defaults[i + 1]))
                        goto fail;
        for (i = 0; i < conf_n; i++)
                if (set_conf(conf, conf_keys[i], conf_vals[i]))
                        goto fail;
        if (dr)
                rd_kafka_conf_set_dr_msg_cb(conf, dr);
        rd_kafka_conf_set_opaque(conf, opaque);
        rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "wt-e2e: cannot create a Kafka client: %s\n",
                        errstr);
                goto fail;
        }
        return rk;
fail:
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/* The partition ids of TOPIC (caller frees), or -1. */
static int partitions_of(rd_kafka_t *rk, const char *topic, int32_t **ids) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err;
        int n, p;

        err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_s * 1000);
        rd_kafka_topic_destroy(rkt);
        if (!err && md->topic_cnt == 1 && md->topics[0].err)
                err = md->topics[0].err;
        if (err || md->topic_cnt != 1 || md->topics[0].partition_cnt < 1) {
                fprintf(stderr, "wt-e2e: metadata of topic %s: %s\n", topic,
                        err ? rd_kafka_err2str(err) : "no partitions");
                if (md)
                        rd_kafka_metadata_destroy(md);
                return -1;
        }
        n = md->topics[0].partition_cnt;
        *ids = malloc(sizeof(**ids) * (size_t)n);
        if (!*ids) {
                fprintf(stderr, "wt-e2e: out of memory\n");
                rd_kafka_metadata_destroy(md);
                return -1;
        }
        for (p = 0; p < n; p++)
                (*ids)[p] = md->topics[0].partitions[p].id;
        rd_kafka_metadata_destroy(md);
        return n;
}

/* Sum over TOPIC's partitions of the high watermark (and of high - low). */
static int end_offsets(rd_kafka_t *rk, const char *topic, const int32_t *ids,
                       int n, int64_t *high_sum, int64_t *count) {
        int p;
        *high_sum = 0;
        if (count)
                *count = 0;
        for (p = 0; p < n; p++) {
                int64_t lo, hi;
                rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
                        rk, topic, ids[p], &lo, &hi, timeout_s * 1000);
                if (err) {
                        fprintf(stderr, "wt-e2e: watermarks of %s [%d]: %s\n",
                                topic, ids[p], rd_kafka_err2str(err));
                        return -1;
                }
                *high_sum += hi;
                if (count)
                        *count += hi - lo;
        }
        return 0;
}

/* ------------------------------------------------------ the articles -- */

/* One article of the corpus, split around its id so that a repetition
 * is prefix + id + suffix + rest with the original bytes. */
typedef struct {
        char *line;       /* the whole line (owned) */
        size_t id_at;     /* where the id's characters start */
        size_t id_len;
        size_t len;
} wt_article_t;

typedef struct {
        wt_article_t *a;
        size_t n, cap;
} wt_corpus_t;

static void corpus_free(wt_corpus_t *c) {
        size_t i;
        for (i = 0; i < c->n; i++)
                free(c->a[i].line);
        free(c->a);
        c->a = NULL;
        c->n = c->cap = 0;
}

/* Finds "id" <ws> : <ws> "ID" in line; returns the offset of ID or -1. */
static long find_id(const char *line, size_t len, const char *id,
                    size_t id_len) {
        const char *p = line, *end = line + len;
        while ((p = memchr(p, '"', (size_t)(end - p))) && end - p > 4) {
                const char *q = p + 1;
                if (strncmp(q, "id\"", 3)) {
                        p++;
                        continue;
                }
                q += 3;
                while (q < end && (*q == ' ' || *q == '\t'))
                        q++;
                if (q < end && *q == ':') {
                        q++;
                        while (q < end && (*q == ' ' || *q == '\t'))
                                q++;
                        if ((size_t)(end - q) > id_len + 1 && *q == '"' &&
                            !memcmp(q + 1, id, id_len) && q[1 + id_len] == '"')
                                return (long)(q + 1 - line);
                }
                p++;
        }
        return -1;
}

/* Adds each line of path that is a JSON object with a string "id". A
 * line whose id is not written verbatim (escapes) is re-serialised. */
static int corpus_read(wt_corpus_t *c, const char *path, size_t *skipped) {
        FILE *f = fopen(path, "r");
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;

        if (!f) {
                fprintf(stderr, "wt-e2e: cannot open %s: %s\n", path,
                        strerror(errno));
                return -1;
        }
        while ((got = getline(&line, &cap, f)) > 0) {
                size_t len = (size_t)got;
                json_error_t jerr;
                json_t *doc, *id;
                const char *ids;
                char *text = NULL;
                long at;

                while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
                        len--;
                doc = json_loadb(line, len, 0, &jerr);
                id = json_is_object(doc) ? json_object_get(doc, "id") : NULL;
                if (!json_is_string(id)) {
                        (*skipped)++;
                        json_decref(doc);
                        continue;
                }
                ids = json_string_value(id);
                at = find_id(line, len, ids, strlen(ids));
                if (at >= 0) {
                        text = malloc(len + 1);
                        if (text) {
                                memcpy(text, line, len);
                                text[len] = '\0';
                        }
                } else {
                        text = json_dumps(doc, JSON_COMPACT |
                                                       JSON_PRESERVE_ORDER);
                        if (text) {
                                len = strlen(text);
                                at = find_id(text, len, ids, strlen(ids));
                        }
                }
                if (!text || at < 0) {
                        free(text);
                        json_decref(doc);
                        (*skipped)++;
                        continue;
                }
                if (c->n == c->cap) {
                        size_t ncap = c->cap ? c->cap * 2 : 4096;
                        wt_article_t *na = realloc(c->a, ncap * sizeof(*na));
                        if (!na) {
                                fprintf(stderr, "wt-e2e: out of memory\n");
                                free(text);
                                json_decref(doc);
                                free(line);
                                fclose(f);
                                return -1;
                        }
                        c->a = na;
                        c->cap = ncap;
                }
                c->a[c->n].line = text;
                c->a[c->n].id_at = (size_t)at;
                c->a[c->n].id_len = strlen(ids);
                c->a[c->n].len = len;
                c->n++;
                json_decref(doc);
        }
        free(line);
        fclose(f);
        return 0;
}

/* Reads every file and shuffles the articles with a fixed seed, so every
 * run produces the same mix in the same order. */
static int corpus_load(wt_corpus_t *c, int nfiles, char **files) {
        size_t skipped = 0, i;
        uint64_t x = 0x9e3779b97f4a7c15u;
        int k;

        for (k = 0; k < nfiles; k++)
                if (corpus_read(c, files[k], &skipped)) {
                        corpus_free(c);
                        return -1;
                }
        if (c->n == 0) {
                fprintf(stderr, "wt-e2e: no article with a string \"id\" in "
                                "the input files\n");
                return -1;
        }
        if (skipped)
                fprintf(stderr, "wt-e2e: skipped %zu line(s) that are not "
                                "JSON objects with a string \"id\"\n",
                        skipped);
        for (i = c->n - 1; i > 0; i--) {
                size_t j;
                wt_article_t t;
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                j = (size_t)(x % (i + 1));
                t = c->a[i];
                c->a[i] = c->a[j];
                c->a[j] = t;
        }
        return 0;
}

/* Article i of the endless repetition into buf (grown as needed): the
 * original with its id suffixed by tag and the repetition number. Sets
 * *key and *key_len to the new id inside buf. */
static int article_at(const wt_corpus_t *c, uint64_t i, char tag, char **buf,
                      size_t *cap, size_t *len, size_t *key_at,
                      size_t *key_len) {
        const wt_article_t *a = &c->a[i % c->n];
        char suffix[32];
        int sl = snprintf(suffix, sizeof(suffix), "-%c%" PRIu64, tag,
                          i / c->n);
        size_t need = a->len + (size_t)sl + 1;

        if (need > *cap) {
                char *nb = realloc(*buf, need);
                if (!nb) {
                        fprintf(stderr, "wt-e2e: out of memory\n");
                        return -1;
                }
                *buf = nb;
                *cap = need;
        }
        memcpy(*buf, a->line, a->id_at + a->id_len);
        memcpy(*buf + a->id_at + a->id_len, suffix, (size_t)sl);
        memcpy(*buf + a->id_at + a->id_len + sl, a->line + a->id_at + a->id_len,
               a->len - a->id_at - a->id_len);
        *len = a->len + (size_t)sl;
        *key_at = a->id_at;
        *key_len = a->id_len + (size_t)sl;
        return 0;
}

/* ------------------------------------------------------ load and rate -- */

typedef struct {
        uint64_t delivered, failed, bytes;
        rd_kafka_resp_err_t first_err;
} wt_dr_t;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                        void *opaque) {
        wt_dr_t *dr = opaque;
        (void)rk;
        if (m->err) {
                if (!dr->failed)
                        dr->first_err = m->err;
                dr->failed++;
        } else {
                dr->delivered++;
                dr->bytes += m->len;
        }
}

/* Produces one message, waiting (serving delivery reports) while the
 * local queue is full. hdrs is consumed. */
static int produce_one(rd_kafka_t *rk, const char *topic, const char *buf,
                       size_t len, const char *key, size_t key_len,
                       rd_kafka_headers_t *hdrs) {
        double deadline = wt_mono_s() + timeout_s;
        for (;;) {
                rd_kafka_resp_err_t err;
                if (hdrs)
                        err = rd_kafka_producev(
                                rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)buf, len),
                                RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
                else
                        err = rd_kafka_producev(
                                rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_VALUE((void *)buf, len),
                                RD_KAFKA_V_KEY(key, key_len), RD_KAFKA_V_END);
                if (!err)
                        return 0;
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
                    wt_mono_s() > deadline || stop_requested) {
                        fprintf(stderr, "wt-e2e: produce to %s: %s\n", topic,
                                rd_kafka_err2str(err));
                        if (hdrs)
                                rd_kafka_headers_destroy(hdrs);
                        return -1;
                }
                rd_kafka_poll(rk, 10);
        }
}

/* The end of a feed started at t0: unless interrupted, wait for every
 * delivery report, report failures, and print "ARTICLES BYTES SECONDS". */
static int finish_feed(rd_kafka_t *rk, const wt_dr_t *dr, const char *topic,
                       const char *what, double t0) {
        rd_kafka_resp_err_t err;
        if (stop_requested) {
                fprintf(stderr, "wt-e2e: %s interrupted\n", what);
                return -1;
        }
        err = rd_kafka_flush(rk, timeout_s * 1000);
        if (err) {
                fprintf(stderr, "wt-e2e: flush to %s: %d message(s) not "
                                "delivered in %d s: %s\n",
                        topic, rd_kafka_outq_len(rk), timeout_s,
                        rd_kafka_err2str(err));
                return -1;
        }
        if (dr->failed) {
                fprintf(stderr, "wt-e2e: %" PRIu64 " message(s) to %s "
                                "failed, first: %s\n",
                        dr->failed, topic, rd_kafka_err2str(dr->first_err));
                return -1;
        }
        printf("%" PRIu64 " %" PRIu64 " %.3f\n", dr->delivered, dr->bytes,
               wt_mono_s() - t0);
        return 0;
}

/* Bulk load: large batches, many messages in the local queue. */
static const char *const load_defaults[] = {
        "linger.ms", "50", "batch.size", "1000000",
        "queue.buffering.max.messages", "1000000",
        "queue.buffering.max.kbytes", "1048576", "acks", "all", NULL};

static int cmd_load(const char *bootstrap, const char *topic, const char *n_s,
                    int nfiles, char **files) {
        wt_corpus_t c = {0};
        wt_dr_t dr = {0};
        rd_kafka_t *rk = NULL;
        char *buf = NULL, *end;
        size_t cap = 0, len, key_at, key_len;
        unsigned long long n = strtoull(n_s, &end, 10);
        uint64_t i;
        double t0;
        int rc = 1;

        if (*end || n == 0) {
                fprintf(stderr, "wt-e2e: bad article count \"%s\"\n", n_s);
                return 2;
        }
        if (corpus_load(&c, nfiles, files))
                return 1;
        if (!(rk = client(RD_KAFKA_PRODUCER, bootstrap, load_defaults,
                          on_delivery, &dr)))
                goto out;
        t0 = wt_mono_s();
        for (i = 0; i < n && !stop_requested; i++) {
                if (article_at(&c, i, 'r', &buf, &cap, &len, &key_at,
                               &key_len) ||
                    produce_one(rk, topic, buf, len, buf + key_at, key_len,
                                NULL))
                        goto out;
                rd_kafka_poll(rk, 0);
        }
        if (finish_feed(rk, &dr, topic, "load", t0))
                goto out;
        rc = 0;
out:
        if (rk)
                rd_kafka_destroy(rk);
        free(buf);
        corpus_free(&c);
        return rc;
}

/* A steady feed with librdkafka's default batching (linger.ms=5, as
 * wiretag's producer), acknowledged by every replica. */
static const char *const rate_defaults[] = {"linger.ms", "5", "acks", "all",
                                            NULL};

static int cmd_rate(const char *bootstrap, const char *topic,
                    const char *rate_s, const char *secs_s, int nfiles,
                    char **files) {
        wt_corpus_t c = {0};
        wt_dr_t dr = {0};
        rd_kafka_t *rk = NULL;
        char *buf = NULL, *end1, *end2, sent[32];
        size_t cap = 0, len, key_at, key_len;
        double rate = strtod(rate_s, &end1), secs = strtod(secs_s, &end2);
        uint64_t i = 0, total;
        double t0;
        int rc = 1;

        if (*end1 || *end2 || !(rate > 0) || !(secs > 0)) {
                fprintf(stderr, "wt-e2e: bad rate \"%s\" or duration \"%s\"\n",
                        rate_s, secs_s);
                return 2;
        }
        total = (uint64_t)(rate * secs);
        if (corpus_load(&c, nfiles, files))
                return 1;
        if (!(rk = client(RD_KAFKA_PRODUCER, bootstrap, rate_defaults,
                          on_delivery, &dr)))
                goto out;
        t0 = wt_mono_s();
        while (i < total && !stop_requested) {
                /* Every message whose time has come, then a short sleep. */
                uint64_t due = (uint64_t)((wt_mono_s() - t0) * rate) + 1;
                if (due > total)
                        due = total;
                for (; i < due; i++) {
                        rd_kafka_headers_t *h = rd_kafka_headers_new(1);
                        if (article_at(&c, i, 'l', &buf, &cap, &len, &key_at,
                                       &key_len)) {
                                rd_kafka_headers_destroy(h);
                                goto out;
                        }
                        snprintf(sent, sizeof(sent), "%" PRId64,
                                 wt_now_ns(CLOCK_REALTIME));
                        rd_kafka_header_add(h, WT_SENT_HEADER, -1, sent, -1);
                        if (produce_one(rk, topic, buf, len, buf + key_at,
                                        key_len, h))
                                goto out;
                }
                rd_kafka_poll(rk, 0);
                if (i < total) {
                        struct timespec ts = {0, 200000}; /* 0.2 ms */
                        nanosleep(&ts, NULL);
                }
        }
        if (finish_feed(rk, &dr, topic, "rate feed", t0))
                goto out;
        rc = 0;
out:
        if (rk)
                rd_kafka_destroy(rk);
        free(buf);
        corpus_free(&c);
        return rc;
}

/* --------------------------------------------------------------- lag -- */

static int cmd_lag(const char *bootstrap, const char *group, const char *topic,
                   const char *interval_s, const char *expected_s,
                   const char *out_topic) {
        const char *defaults[] = {"group.id", group, NULL};
        rd_kafka_t *rk;
        rd_kafka_topic_partition_list_t *tpl = NULL;
        int32_t *ids = NULL, *out_ids = NULL;
        char *end1, *end2;
        long interval = strtol(interval_s, &end1, 10);
        long long expected = strtoll(expected_s, &end2, 10);
        double deadline = wt_mono_s() + timeout_s;
        int n, out_n = 0, p, rc = 1;

        if (*end1 || *end2 || interval < 10 || expected < 0) {
                fprintf(stderr, "wt-e2e: bad interval \"%s\" or count \"%s\"\n",
                        interval_s, expected_s);
                return 2;
        }
        /* A consumer that never subscribes: it only asks the group
         * coordinator for the group's committed offsets. */
        if (!(rk = client(RD_KAFKA_CONSUMER, bootstrap, defaults, NULL, NULL)))
                return 1;
        if ((n = partitions_of(rk, topic, &ids)) < 0 ||
            (out_topic && (out_n = partitions_of(rk, out_topic, &out_ids)) < 0))
                goto out;
        tpl = rd_kafka_topic_partition_list_new(n);
        for (p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(tpl, topic, ids[p]);
        while (!stop_requested) {
                double next = wt_mono_s() + (double)interval / 1000.0;
                int64_t committed = 0, high;
                int64_t at_ms = wt_now_ns(CLOCK_REALTIME) / 1000000;
                rd_kafka_resp_err_t err =
                        rd_kafka_committed(rk, tpl, timeout_s * 1000);
                if (err) {
                        fprintf(stderr, "wt-e2e: committed offsets of group "
                                        "%s: %s\n",
                                group, rd_kafka_err2str(err));
                        goto out;
                }
                for (p = 0; p < tpl->cnt; p++)
                        if (!tpl->elems[p].err && tpl->elems[p].offset > 0)
                                committed += tpl->elems[p].offset;
                if (end_offsets(rk, topic, ids, n, &high, NULL))
                        goto out;
                printf("%" PRId64 " %" PRId64 " %" PRId64 " %" PRId64, at_ms,
                       committed, high, high - committed);
                if (out_topic) {
                        int64_t out_high, out_count;
                        if (end_offsets(rk, out_topic, out_ids, out_n,
                                        &out_high, &out_count))
                                goto out;
                        printf(" %" PRId64, out_count);
                }
                printf("\n");
                fflush(stdout);
                if (committed >= expected) {
                        rc = 0;
                        break;
                }
                if (wt_mono_s() > deadline) {
                        fprintf(stderr, "wt-e2e: group %s committed %" PRId64
                                        " of %lld in %d s\n",
                                group, committed, expected, timeout_s);
                        break;
                }
                while (wt_mono_s() < next && !stop_requested) {
                        struct timespec ts = {0, 5000000}; /* 5 ms */
                        nanosleep(&ts, NULL);
                }
        }
out:
        if (tpl)
                rd_kafka_topic_partition_list_destroy(tpl);
        free(ids);
        free(out_ids);
        rd_kafka_destroy(rk);
        return rc;
}

/* ----------------------------------------------------------- latency -- */

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double pct(const double *v, size_t n, double q) {
        size_t i = (size_t)(q * (double)(n - 1) + 0.5);
        return v[i < n ? i : n - 1];
}

/* No offsets are committed; the group id only satisfies librdkafka. */
static const char *const latency_defaults[] = {
        "group.id", "wt-e2e-latency", "enable.auto.commit", "false", NULL};

static int cmd_latency(const char *bootstrap, const char *topic,
                       const char *expected_s, const char *samples_path,
                       const char *warmup_s) {
        rd_kafka_t *rk;
        rd_kafka_topic_partition_list_t *tpl = NULL;
        int32_t *ids = NULL;
        double *lat = NULL, *sent_s = NULL, deadline = wt_mono_s() + timeout_s;
        int64_t first_sent = -1;
        size_t cnt = 0, nolabel = 0;
        char *end, *end2;
        long long expected = strtoll(expected_s, &end, 10);
        double warmup = warmup_s ? strtod(warmup_s, &end2) : 0.0;
        FILE *samples = NULL;
        size_t i, kept;
        int n, p, rc = 1;

        if (*end || expected < 1 || (warmup_s && *end2) || !(warmup >= 0)) {
                fprintf(stderr, "wt-e2e: bad record count \"%s\" or warm-up "
                                "\"%s\"\n",
                        expected_s, warmup_s ? warmup_s : "");
                return 2;
        }
        if (samples_path && !strcmp(samples_path, "-"))
                samples_path = NULL;
        lat = malloc(sizeof(*lat) * (size_t)expected);
        sent_s = malloc(sizeof(*sent_s) * (size_t)expected);
        if (!lat || !sent_s) {
                fprintf(stderr, "wt-e2e: out of memory\n");
                free(lat);
                free(sent_s);
                return 1;
        }
        if (!(rk = client(RD_KAFKA_CONSUMER, bootstrap, latency_defaults, NULL,
                          NULL))) {
                free(lat);
                free(sent_s);
                return 1;
        }
        rd_kafka_poll_set_consumer(rk);
        if ((n = partitions_of(rk, topic, &ids)) < 0)
                goto out;
        tpl = rd_kafka_topic_partition_list_new(n);
        for (p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(tpl, topic, ids[p])->offset =
                        RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_assign(rk, tpl)) {
                fprintf(stderr, "wt-e2e: cannot assign %s\n", topic);
                goto out;
        }
        while ((long long)cnt < expected && !stop_requested &&
               wt_mono_s() < deadline) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
                int64_t now = wt_now_ns(CLOCK_REALTIME);
                rd_kafka_headers_t *h;
                const void *v;
                size_t vlen;
                char num[32];

                if (!m)
                        continue;
                if (m->err) {
                        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "wt-e2e: consume %s: %s\n",
                                        topic, rd_kafka_message_errstr(m));
                        rd_kafka_message_destroy(m);
                        continue;
                }
                if (rd_kafka_message_headers(m, &h) || !h ||
                    rd_kafka_header_get_last(h, WT_SENT_HEADER, &v, &vlen) ||
                    !v || vlen == 0 || vlen >= sizeof(num)) {
                        nolabel++;
                        rd_kafka_message_destroy(m);
                        continue;
                }
                memcpy(num, v, vlen);
                num[vlen] = '\0';
                {
                        int64_t sent = strtoll(num, NULL, 10);
                        if (first_sent < 0 || sent < first_sent)
                                first_sent = sent;
                        lat[cnt] = (double)(now - sent) / 1e6;
                        sent_s[cnt] = (double)sent / 1e9;
                        cnt++;
                }
                rd_kafka_message_destroy(m);
        }
        if (nolabel)
                fprintf(stderr, "wt-e2e: %zu record(s) of %s without %s\n",
                        nolabel, topic, WT_SENT_HEADER);
        if (samples_path && cnt) {
                if (!(samples = fopen(samples_path, "w"))) {
                        fprintf(stderr, "wt-e2e: cannot write %s: %s\n",
                                samples_path, strerror(errno));
                        goto out;
                }
                fprintf(samples, "# sent_s latency_ms\n");
                for (i = 0; i < cnt; i++)
                        fprintf(samples, "%.6f %.3f\n",
                                sent_s[i] - (double)first_sent / 1e9, lat[i]);
                if (fclose(samples)) {
                        fprintf(stderr, "wt-e2e: cannot write %s: %s\n",
                                samples_path, strerror(errno));
                        samples = NULL;
                        goto out;
                }
                samples = NULL;
        }
        if (cnt == 0) {
                fprintf(stderr, "wt-e2e: no record with %s in %s within %d s\n",
                        WT_SENT_HEADER, topic, timeout_s);
                goto out;
        }
        /* The warm-up (connections, metadata, the producer id, a cold
         * JVM) is left out of the percentiles. */
        for (i = kept = 0; i < cnt; i++)
                if (sent_s[i] - (double)first_sent / 1e9 >= warmup)
                        lat[kept++] = lat[i];
        if (kept == 0) {
                fprintf(stderr, "wt-e2e: no record after the %.1f s warm-up\n",
                        warmup);
                goto out;
        }
        qsort(lat, kept, sizeof(*lat), cmp_double);
        printf("%zu %.3f %.3f %.3f %.3f %.3f\n", kept, pct(lat, kept, 0.50),
               pct(lat, kept, 0.90), pct(lat, kept, 0.99),
               pct(lat, kept, 0.999), lat[kept - 1]);
        if ((long long)cnt < expected)
                fprintf(stderr, "wt-e2e: %zu of %lld records in %s within "
                                "%d s\n",
                        cnt, expected, topic, timeout_s);
        else
                rc = 0;
out:
        if (tpl)
                rd_kafka_topic_partition_list_destroy(tpl);
        free(ids);
        free(lat);
        free(sent_s);
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        return rc;
}

/* -------------------------------------------------------------- main -- */

int main(int argc, char **argv) {
        const char *bootstrap = NULL, *cmd;
        struct sigaction sa;
        int i = 1, rest;

        while (i < argc && argv[i][0] == '-') {
                if (!strcmp(argv[i], "-b") && i + 1 < argc) {
                        bootstrap = argv[i + 1];
                        i += 2;
                } else if (!strcmp(argv[i], "-t") && i + 1 < argc) {
                        timeout_s = atoi(argv[i + 1]);
                        if (timeout_s <= 0) {
                                usage();
                                return 2;
                        }
                        i += 2;
                } else if (!strcmp(argv[i], "-X") && i + 1 < argc) {
                        char *eq = strchr(argv[i + 1], '=');
                        if (!eq || eq == argv[i + 1] || conf_n == WT_MAX_CONF) {
                                fprintf(stderr, "wt-e2e: -X wants key=value, "
                                                "not \"%s\"\n",
                                        argv[i + 1]);
                                return 2;
                        }
                        *eq = '\0';
                        conf_keys[conf_n] = argv[i + 1];
                        conf_vals[conf_n++] = eq + 1;
                        i += 2;
                } else {
                        usage();
                        return 2;
                }
        }
        if (!bootstrap || i >= argc) {
                usage();
                return 2;
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        cmd = argv[i++];
        rest = argc - i;
        if (!strcmp(cmd, "load") && rest >= 3)
                return cmd_load(bootstrap, argv[i], argv[i + 1], rest - 2,
                                argv + i + 2);
        if (!strcmp(cmd, "rate") && rest >= 4)
                return cmd_rate(bootstrap, argv[i], argv[i + 1], argv[i + 2],
                                rest - 3, argv + i + 3);
        if (!strcmp(cmd, "lag") && (rest == 4 || rest == 5))
                return cmd_lag(bootstrap, argv[i], argv[i + 1], argv[i + 2],
                               argv[i + 3], rest == 5 ? argv[i + 4] : NULL);
        if (!strcmp(cmd, "latency") && rest >= 2 && rest <= 4)
                return cmd_latency(bootstrap, argv[i], argv[i + 1],
                                   rest >= 3 ? argv[i + 2] : NULL,
                                   rest == 4 ? argv[i + 3] : NULL);
        usage();
        return 2;
}
