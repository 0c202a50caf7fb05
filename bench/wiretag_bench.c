/*
 * wiretag - wiretag_bench.c: throughput of the classification hot loop.
 *
 *   wiretag-bench --model M.wtm --data A.jsonl [--data B.jsonl ...]
 *                 [--threads 1,2,4] [--reps 5] [--seconds 1] [--csv F]
 *
 * Loads each model and each corpus into memory (JSON parsed once, before
 * any timing), warms every thread's scratch with a full pass, then times
 * wt_classify() over the corpus: the same calls `wiretag classify` and
 * `wiretag run` make per article, without the JSON parsing and output.
 *
 * One repetition classifies the corpus `passes` times; passes is chosen so
 * that a single-threaded repetition lasts at least --seconds. With T
 * threads the same work is shared out in chunks of 16 articles (an atomic
 * cursor), so the time of a repetition shrinks as threads are added. Each
 * figure is the median over --reps repetitions; "spread" is (max - min) /
 * median of the repetitions' times.
 *
 * Allocations are counted by wrapping malloc/calloc/realloc at link time
 * (-Wl,--wrap): every allocation libwiretag makes during the timed
 * repetitions is counted, so "allocs/article" shows the steady state.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "wt_article.h"
#include "wt_model.h"
#include "wt_reader.h"

/* ------------------------------------------------------ allocation count */

#include "wt_test_wrap.h"

static atomic_ulong bench_allocs;

void *__wrap_malloc(size_t size) {
        atomic_fetch_add_explicit(&bench_allocs, 1, memory_order_relaxed);
        return __real_malloc(size);
}
void *__wrap_calloc(size_t n, size_t size) {
        atomic_fetch_add_explicit(&bench_allocs, 1, memory_order_relaxed);
        return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size) {
        atomic_fetch_add_explicit(&bench_allocs, 1, memory_order_relaxed);
        return __real_realloc(p, size);
}

/* ----------------------------------------------------------------- setup */

#define BENCH_MAX_INPUTS 16
#define BENCH_MAX_THREADS 256
#define BENCH_CHUNK 16
#define BENCH_WARMUP_REPS 1

typedef struct bench_corpus {
        const char *path;
        const char *name;    /* folder/file, e.g. reuters21578/train.jsonl */
        wt_article_t *arts;
        size_t n;
        size_t skipped;      /* records that are not articles */
        uint64_t bytes;      /* text bytes of the classified fields */
} bench_corpus_t;

typedef struct bench_opts {
        const char *models[BENCH_MAX_INPUTS];
        size_t nmodels;
        const char *data[BENCH_MAX_INPUTS];
        size_t ndata;
        unsigned threads[64];
        size_t nthreads;
        unsigned reps;
        double seconds;
        const char *csv;
        int quiet;
} bench_opts_t;

/* What the threads of one run share. */
typedef struct bench_run {
        const wt_model_t *model;
        const bench_corpus_t *corpus;
        unsigned nthreads;
        unsigned passes;
        uint64_t total;                 /* articles per repetition */
        atomic_uint_fast64_t cursor;    /* next article index to take */
        pthread_barrier_t start, done;
        int stop;
} bench_run_t;

typedef struct bench_worker {
        bench_run_t *run;
        pthread_t tid;
        wt_scratch_t *scratch;
        uint32_t *lat_ns;               /* per-article latency, this rep */
        size_t nlat, lat_cap;
        uint64_t tags, tokens;
        int failed;
} bench_worker_t;

static double bench_now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t bench_now_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double bench_peak_rss_mb(void) {
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru))
                return 0.0;
        return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

/* The last two components of path: data sets name their folder and
 * share file names (train.jsonl). */
static const char *bench_short_name(const char *path) {
        const char *p = path + strlen(path), *cut = path;
        int slashes = 0;
        while (p > path) {
                p--;
                if (*p == '/' && ++slashes == 2) {
                        cut = p + 1;
                        break;
                }
        }
        return cut;
}

static int bench_load_corpus(const char *path, const wt_model_t *model,
                             bench_corpus_t *c) {
        wt_reader_t r;
        const char *text;
        size_t len, cap = 0;
        char errstr[512];
        int rc;

        memset(c, 0, sizeof(*c));
        c->path = path;
        c->name = bench_short_name(path);
        if (wt_reader_open(&r, path, errstr, sizeof(errstr))) {
                fprintf(stderr, "wiretag-bench: %s\n", errstr);
                return -1;
        }
        while ((rc = wt_reader_next(&r, &text, &len, errstr,
                                    sizeof(errstr))) == 1) {
                wt_article_t art;
                unsigned s;
                if (wt_article_parse(text, len, wt_model_feature_conf(model),
                                     0, &art, errstr, sizeof(errstr))) {
                        c->skipped++;
                        continue;
                }
                if (c->n == cap) {
                        wt_article_t *p;
                        cap = cap ? cap * 2 : 1024;
                        p = realloc(c->arts, cap * sizeof(*p));
                        if (!p) {
                                wt_article_clear(&art);
                                rc = -1;
                                snprintf(errstr, sizeof(errstr),
                                         "out of memory");
                                break;
                        }
                        c->arts = p;
                }
                for (s = 0; s < art.segs.n; s++)
                        c->bytes += art.segs.len[s];
                c->arts[c->n++] = art;
        }
        wt_reader_close(&r);
        if (rc < 0) {
                fprintf(stderr, "wiretag-bench: %s: %s\n", path, errstr);
                return -1;
        }
        if (!c->n) {
                fprintf(stderr, "wiretag-bench: %s: no articles\n", path);
                return -1;
        }
        return 0;
}

static void bench_free_corpus(bench_corpus_t *c) {
        size_t i;
        for (i = 0; i < c->n; i++)
                wt_article_clear(&c->arts[i]);
        free(c->arts);
        memset(c, 0, sizeof(*c));
}

/* ------------------------------------------------------------- the loop */

static void bench_classify_one(bench_worker_t *w, size_t idx, int timed) {
        const bench_run_t *run = w->run;
        wt_prediction_t pred;
        uint64_t t0 = timed ? bench_now_ns() : 0;
        if (wt_classify(run->model, w->scratch, &run->corpus->arts[idx].segs,
                        &pred)) {
                w->failed = 1;
                return;
        }
        if (timed) {
                uint64_t dt = bench_now_ns() - t0;
                if (w->nlat < w->lat_cap)
                        w->lat_ns[w->nlat++] =
                                dt > UINT32_MAX ? UINT32_MAX : (uint32_t)dt;
                w->tags += pred.ntags;
                w->tokens += pred.ntokens;
        }
}

static void *bench_worker_main(void *arg) {
        bench_worker_t *w = arg;
        bench_run_t *run = w->run;
        const size_t n = run->corpus->n;
        size_t i;

        /* Warm-up, untimed: this thread's scratch sees every article, so
         * the timed repetitions run at steady state. */
        for (i = 0; i < n; i++)
                bench_classify_one(w, i, 0);
        pthread_barrier_wait(&run->done); /* warm: ready to be timed */

        for (;;) {
                pthread_barrier_wait(&run->start);
                if (run->stop)
                        break;
                w->nlat = 0;
                for (;;) {
                        uint64_t first = atomic_fetch_add_explicit(
                                &run->cursor, BENCH_CHUNK,
                                memory_order_relaxed);
                        uint64_t k, last = first + BENCH_CHUNK;
                        if (first >= run->total)
                                break;
                        if (last > run->total)
                                last = run->total;
                        for (k = first; k < last; k++)
                                bench_classify_one(w, (size_t)(k % n), 1);
                }
                pthread_barrier_wait(&run->done);
        }
        return NULL;
}

typedef struct bench_result {
        double articles_per_s, mb_per_s, ns_per_article, ns_per_token;
        double p50_us, p99_us, spread_pct, peak_rss_mb, allocs_per_article;
        uint64_t tags_per_pass, tokens_per_pass;
} bench_result_t;

static int bench_cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return (x > y) - (x < y);
}
static int bench_cmp_double(const void *a, const void *b) {
        double x = *(const double *)a, y = *(const double *)b;
        return (x > y) - (x < y);
}

/* Time `reps` repetitions of `passes` passes with T threads. */
static int bench_measure(const wt_model_t *model, const bench_corpus_t *c,
                         unsigned T, unsigned passes, unsigned reps,
                         bench_result_t *res) {
        bench_run_t run;
        bench_worker_t *w;
        double *secs, med;
        uint32_t *lat = NULL;
        size_t nlat = 0, started = 0, t;
        unsigned r;
        unsigned long allocs0, allocs = 0;
        int rc = -1;

        memset(&run, 0, sizeof(run));
        memset(res, 0, sizeof(*res));
        run.model = model;
        run.corpus = c;
        run.nthreads = T;
        run.passes = passes;
        run.total = (uint64_t)c->n * passes;
        w = calloc(T, sizeof(*w));
        secs = calloc(reps, sizeof(*secs));
        if (!w || !secs)
                goto out_free;
        for (t = 0; t < T; t++) {
                w[t].run = &run;
                w[t].scratch = wt_scratch_new();
                /* A thread can take every chunk; leave room for all. */
                w[t].lat_cap = (size_t)run.total;
                w[t].lat_ns = malloc(w[t].lat_cap * sizeof(*w[t].lat_ns));
                if (!w[t].scratch || !w[t].lat_ns)
                        goto out_free;
        }
        pthread_barrier_init(&run.start, NULL, T + 1);
        pthread_barrier_init(&run.done, NULL, T + 1);
        for (t = 0; t < T; t++) {
                if (pthread_create(&w[t].tid, NULL, bench_worker_main, &w[t]))
                        break;
                started++;
        }
        if (started < T) {
                /* Threads already started wait at the barrier: a barrier
                 * of T + 1 cannot release them now; exit hard. */
                fprintf(stderr, "wiretag-bench: cannot start %u threads\n", T);
                exit(1);
        }
        pthread_barrier_wait(&run.done); /* every thread is warm */

        /* One untimed repetition first: page faults, caches and clock
         * ramp-up of a new thread count stay out of the figures. */
        for (r = 0; r < BENCH_WARMUP_REPS; r++) {
                atomic_store(&run.cursor, 0);
                pthread_barrier_wait(&run.start);
                pthread_barrier_wait(&run.done);
        }
        for (r = 0; r < reps; r++) {
                double t0;
                uint64_t tokens = 0, tags = 0;
                atomic_store(&run.cursor, 0);
                for (t = 0; t < T; t++)
                        w[t].tags = w[t].tokens = 0;
                allocs0 = atomic_load(&bench_allocs);
                t0 = bench_now();
                pthread_barrier_wait(&run.start);
                pthread_barrier_wait(&run.done);
                secs[r] = bench_now() - t0;
                allocs += atomic_load(&bench_allocs) - allocs0;
                for (t = 0; t < T; t++) {
                        tokens += w[t].tokens;
                        tags += w[t].tags;
                }
                res->tokens_per_pass = tokens / passes;
                res->tags_per_pass = tags / passes;
        }
        /* Latencies of the last repetition, all threads together. */
        for (t = 0; t < T; t++)
                nlat += w[t].nlat;
        lat = malloc((nlat ? nlat : 1) * sizeof(*lat));
        if (lat) {
                nlat = 0;
                for (t = 0; t < T; t++) {
                        memcpy(lat + nlat, w[t].lat_ns,
                               w[t].nlat * sizeof(*lat));
                        nlat += w[t].nlat;
                }
                qsort(lat, nlat, sizeof(*lat), bench_cmp_u32);
        }

        run.stop = 1;
        pthread_barrier_wait(&run.start);
        for (t = 0; t < T; t++)
                pthread_join(w[t].tid, NULL);
        pthread_barrier_destroy(&run.start);
        pthread_barrier_destroy(&run.done);

        for (t = 0; t < T; t++)
                if (w[t].failed) {
                        fprintf(stderr, "wiretag-bench: classify failed\n");
                        goto out_free;
                }

        {
                double lo = secs[0], hi = secs[0];
                for (r = 1; r < reps; r++) {
                        lo = secs[r] < lo ? secs[r] : lo;
                        hi = secs[r] > hi ? secs[r] : hi;
                }
                qsort(secs, reps, sizeof(*secs), bench_cmp_double);
                med = reps % 2 ? secs[reps / 2]
                               : (secs[reps / 2 - 1] + secs[reps / 2]) / 2;
                res->spread_pct = 100.0 * (hi - lo) / med;
        }
        res->articles_per_s = (double)run.total / med;
        res->mb_per_s = (double)c->bytes * passes / med / 1e6;
        res->ns_per_article = med * 1e9 / (double)run.total;
        res->ns_per_token =
                res->tokens_per_pass
                        ? med * 1e9 / ((double)res->tokens_per_pass * passes)
                        : 0.0;
        if (lat && nlat) {
                res->p50_us = lat[(nlat - 1) / 2] / 1e3;
                res->p99_us = lat[(size_t)((double)(nlat - 1) * 0.99)] / 1e3;
        }
        res->peak_rss_mb = bench_peak_rss_mb();
        res->allocs_per_article = (double)allocs / ((double)run.total * reps);
        rc = 0;

out_free:
        if (w)
                for (t = 0; t < T; t++) {
                        wt_scratch_destroy(w[t].scratch);
                        free(w[t].lat_ns);
                }
        free(w);
        free(secs);
        free(lat);
        return rc;
}

/* Passes per repetition so one thread takes at least `seconds`. */
static unsigned bench_calibrate(const wt_model_t *model,
                                const bench_corpus_t *c, double seconds) {
        wt_scratch_t *s = wt_scratch_new();
        wt_prediction_t pred;
        double t0, dt;
        size_t i;
        unsigned passes;
        if (!s)
                return 1;
        for (i = 0; i < c->n; i++) /* warm */
                wt_classify(model, s, &c->arts[i].segs, &pred);
        t0 = bench_now();
        for (i = 0; i < c->n; i++)
                wt_classify(model, s, &c->arts[i].segs, &pred);
        dt = bench_now() - t0;
        wt_scratch_destroy(s);
        passes = dt > 0 ? (unsigned)ceil(seconds / dt) : 1;
        return passes < 1 ? 1 : passes;
}

/* ------------------------------------------------------------------- CLI */

static void bench_usage(FILE *fp) {
        fprintf(fp,
                "Usage: wiretag-bench --model M.wtm --data FILE.jsonl "
                "[options]\n"
                "\n"
                "Times wt_classify() over articles held in memory (JSON "
                "parsing excluded),\nwith 1..N threads, and reports "
                "articles/s, MB/s of article text, ns per\narticle and per "
                "token, p50/p99 latency per article, peak RSS and\n"
                "allocations per article.\n"
                "\n"
                "Options:\n"
                "  -m, --model FILE    model (repeatable)\n"
                "  -d, --data FILE     JSON Lines corpus (repeatable)\n"
                "  -t, --threads LIST  thread counts, e.g. 1,2,4 "
                "(default 1,<cores>)\n"
                "  -r, --reps N        repetitions, median reported "
                "(default 5)\n"
                "  -s, --seconds S     least single-thread time of one "
                "repetition (default 1)\n"
                "      --csv FILE      also write the results as CSV\n"
                "  -q, --quiet         no progress lines\n"
                "  -h, --help          this help\n");
}

static int bench_parse_threads(const char *s, bench_opts_t *o) {
        char *end;
        o->nthreads = 0;
        while (*s) {
                long v = strtol(s, &end, 10);
                if (end == s || v < 1 || v > BENCH_MAX_THREADS ||
                    o->nthreads == sizeof(o->threads) / sizeof(o->threads[0]))
                        return -1;
                o->threads[o->nthreads++] = (unsigned)v;
                s = end;
                if (*s == ',')
                        s++;
                else if (*s)
                        return -1;
        }
        return o->nthreads ? 0 : -1;
}

static int bench_parse_args(int argc, char **argv, bench_opts_t *o) {
        int i;
        memset(o, 0, sizeof(*o));
        o->reps = 5;
        o->seconds = 1.0;
        for (i = 1; i < argc; i++) {
                const char *a = argv[i];
                const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define BENCH_IS(s, l) (!strcmp(a, s) || !strcmp(a, l))
                if (BENCH_IS("-h", "--help")) {
                        bench_usage(stdout);
                        exit(0);
                } else if (BENCH_IS("-q", "--quiet")) {
                        o->quiet = 1;
                        continue;
                }
                if (!v) {
                        fprintf(stderr, "wiretag-bench: %s needs a value\n",
                                a);
                        return -1;
                }
                i++;
                if (BENCH_IS("-m", "--model")) {
                        if (o->nmodels == BENCH_MAX_INPUTS)
                                return -1;
                        o->models[o->nmodels++] = v;
                } else if (BENCH_IS("-d", "--data")) {
                        if (o->ndata == BENCH_MAX_INPUTS)
                                return -1;
                        o->data[o->ndata++] = v;
                } else if (BENCH_IS("-t", "--threads")) {
                        if (bench_parse_threads(v, o)) {
                                fprintf(stderr,
                                        "wiretag-bench: bad thread list "
                                        "\"%s\" (1..%d, comma-separated)\n",
                                        v, BENCH_MAX_THREADS);
                                return -1;
                        }
                } else if (BENCH_IS("-r", "--reps")) {
                        o->reps = (unsigned)atoi(v);
                        if (o->reps < 1 || o->reps > 1000) {
                                fprintf(stderr, "wiretag-bench: --reps "
                                                "must be 1..1000\n");
                                return -1;
                        }
                } else if (BENCH_IS("-s", "--seconds")) {
                        o->seconds = atof(v);
                        if (!(o->seconds > 0 && o->seconds <= 3600)) {
                                fprintf(stderr, "wiretag-bench: --seconds "
                                                "must be in (0, 3600]\n");
                                return -1;
                        }
                } else if (!strcmp(a, "--csv")) {
                        o->csv = v;
                } else {
                        fprintf(stderr, "wiretag-bench: unknown option %s\n",
                                a);
                        return -1;
                }
#undef BENCH_IS
        }
        if (!o->nmodels || !o->ndata) {
                fprintf(stderr, "wiretag-bench: --model and --data are "
                                "required (see --help)\n");
                return -1;
        }
        if (!o->nthreads) {
                long cores = sysconf(_SC_NPROCESSORS_ONLN);
                o->threads[o->nthreads++] = 1;
                if (cores > 1)
                        o->threads[o->nthreads++] =
                                cores > BENCH_MAX_THREADS ? BENCH_MAX_THREADS
                                                          : (unsigned)cores;
        }
        return 0;
}

static const char *bench_model_label(const char *path) {
        const char *b = strrchr(path, '/');
        return b ? b + 1 : path;
}

int main(int argc, char **argv) {
        bench_opts_t o;
        FILE *csv = NULL;
        size_t mi, di, ti;
        int rc = 0;

        if (bench_parse_args(argc, argv, &o)) {
                bench_usage(stderr);
                return 2;
        }
        if (o.csv && !(csv = fopen(o.csv, "w"))) {
                fprintf(stderr, "wiretag-bench: %s: %s\n", o.csv,
                        strerror(errno));
                return 1;
        }
        if (csv)
                fprintf(csv, "model,labels,corpus,articles,bytes,tokens,"
                             "threads,reps,articles_per_s,mb_per_s,"
                             "ns_per_article,ns_per_token,p50_us,p99_us,"
                             "spread_pct,peak_rss_mb,allocs_per_article,"
                             "speedup,tags\n");
        printf("%-16s %-28s %7s %5s %11s %8s %9s %8s %8s %8s %7s %8s %7s "
               "%7s\n",
               "model", "corpus", "threads", "reps", "articles/s", "MB/s",
               "ns/art", "ns/tok", "p50 us", "p99 us", "spread", "RSS MB",
               "alloc/a", "speedup");

        for (mi = 0; mi < o.nmodels && !rc; mi++) {
                wt_model_t *model = NULL;
                char errstr[512];
                if (wt_model_load(o.models[mi], &model, errstr,
                                  sizeof(errstr))) {
                        fprintf(stderr, "wiretag-bench: %s\n", errstr);
                        rc = 1;
                        break;
                }
                for (di = 0; di < o.ndata && !rc; di++) {
                        bench_corpus_t c;
                        unsigned passes;
                        double single = 0.0;
                        if (bench_load_corpus(o.data[di], model, &c)) {
                                rc = 1;
                                break;
                        }
                        passes = bench_calibrate(model, &c, o.seconds);
                        if (!o.quiet)
                                fprintf(stderr,
                                        "wiretag-bench: %s on %s: %zu "
                                        "articles (%zu skipped), %.1f MB, "
                                        "%u pass(es) a repetition\n",
                                        wt_model_name(model), c.name, c.n,
                                        c.skipped, (double)c.bytes / 1e6,
                                        passes);
                        for (ti = 0; ti < o.nthreads; ti++) {
                                bench_result_t r;
                                double speedup;
                                if (bench_measure(model, &c, o.threads[ti],
                                                  passes, o.reps, &r)) {
                                        rc = 1;
                                        break;
                                }
                                if (o.threads[ti] == 1)
                                        single = r.articles_per_s;
                                speedup = single > 0
                                                  ? r.articles_per_s / single
                                                  : 0.0;
                                printf("%-16s %-28s %7u %5u %11.0f %8.1f "
                                       "%9.0f %8.1f %8.1f %8.1f %6.1f%% "
                                       "%8.1f %7.3f %7.2f\n",
                                       wt_model_name(model), c.name,
                                       o.threads[ti], o.reps,
                                       r.articles_per_s, r.mb_per_s,
                                       r.ns_per_article, r.ns_per_token,
                                       r.p50_us, r.p99_us, r.spread_pct,
                                       r.peak_rss_mb, r.allocs_per_article,
                                       speedup);
                                fflush(stdout);
                                if (csv)
                                        fprintf(csv,
                                                "%s,%zu,%s,%zu,%" PRIu64
                                                ",%" PRIu64 ",%u,%u,%.1f,"
                                                "%.2f,%.1f,%.2f,%.2f,%.2f,"
                                                "%.2f,%.1f,%.4f,%.3f,%" PRIu64
                                                "\n",
                                                bench_model_label(
                                                        o.models[mi]),
                                                wt_model_nlabels(model),
                                                c.name, c.n, c.bytes,
                                                r.tokens_per_pass,
                                                o.threads[ti], o.reps,
                                                r.articles_per_s, r.mb_per_s,
                                                r.ns_per_article,
                                                r.ns_per_token, r.p50_us,
                                                r.p99_us, r.spread_pct,
                                                r.peak_rss_mb,
                                                r.allocs_per_article,
                                                speedup, r.tags_per_pass);
                        }
                        bench_free_corpus(&c);
                }
                wt_model_destroy(model);
        }
        if (csv && fclose(csv)) {
                fprintf(stderr, "wiretag-bench: %s: %s\n", o.csv,
                        strerror(errno));
                rc = 1;
        }
        return rc;
}
