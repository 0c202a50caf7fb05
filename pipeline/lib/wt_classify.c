/*
 * wiretag - wt_classify.c: model accessors and the classify hot path.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wt_model_int.h"
#include "wt_port.h"
#include "wt_tokenizer.h"

struct wt_scratch_s {
        wt_fscratch_t *fs;
        float *scores;    /* nlabels */
        float *sent;      /* nlabels: one sentence's scores */
        wt_tag_t *tags;   /* nlabels */
        size_t cap;       /* labels the arrays hold */
};

static int wt_cpu_has_avx(void);

wt_model_t *wt_model_alloc(uint32_t nlabels) {
        wt_model_t *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->nlabels = nlabels;
        m->labels = calloc(nlabels ? nlabels : 1, sizeof(*m->labels));
        m->thresholds = calloc(nlabels ? nlabels : 1, sizeof(*m->thresholds));
        m->pooling = calloc(nlabels ? nlabels : 1, sizeof(*m->pooling));
        m->bias = calloc(nlabels ? nlabels : 1, sizeof(*m->bias));
        m->meta = json_object();
        m->dot_avx = wt_cpu_has_avx();
        if (!m->labels || !m->thresholds || !m->pooling || !m->bias ||
            !m->meta) {
                wt_model_destroy(m);
                return NULL;
        }
        return m;
}

void wt_model_destroy(wt_model_t *m) {
        uint32_t i;
        if (!m)
                return;
        if (m->labels)
                for (i = 0; i < m->nlabels; i++)
                        free(m->labels[i]);
        free(m->labels);
        free(m->name);
        free(m->thresholds);
        free(m->pooling);
        wt_vocab_destroy(m->vocab);
        if (m->file_buf)
                free(m->file_buf); /* the weights lie inside it */
        else
                free(m->weights);
        free(m->bias);
        json_decref(m->meta);
        free(m);
}

const char *wt_model_name(const wt_model_t *m) {
        return m->name ? m->name : "";
}
const char *wt_model_id(const wt_model_t *m) {
        return m->id;
}
size_t wt_model_nlabels(const wt_model_t *m) {
        return m->nlabels;
}
const char *wt_model_label(const wt_model_t *m, size_t i) {
        return i < m->nlabels ? m->labels[i] : NULL;
}
int wt_model_label_index(const wt_model_t *m, const char *name) {
        uint32_t i;
        for (i = 0; i < m->nlabels; i++)
                if (!strcmp(m->labels[i], name))
                        return (int)i;
        return -1;
}
float wt_model_threshold(const wt_model_t *m, size_t i) {
        return m->thresholds[i];
}
wt_pooling_t wt_model_pooling(const wt_model_t *m, size_t i) {
        return (wt_pooling_t)m->pooling[i];
}
int wt_model_is_multilabel(const wt_model_t *m) {
        return m->multilabel;
}
wt_score_kind_t wt_model_score_kind(const wt_model_t *m) {
        return m->score_kind;
}
size_t wt_model_nfeatures(const wt_model_t *m) {
        return m->vocab ? wt_vocab_size(m->vocab) : 0;
}
const wt_feature_conf_t *wt_model_feature_conf(const wt_model_t *m) {
        return &m->conf;
}
json_t *wt_model_meta(const wt_model_t *m) {
        return m->meta;
}

wt_scratch_t *wt_scratch_new(void) {
        wt_scratch_t *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->fs = wt_fscratch_new();
        if (!s->fs) {
                free(s);
                return NULL;
        }
        return s;
}

void wt_scratch_destroy(wt_scratch_t *s) {
        if (!s)
                return;
        wt_fscratch_destroy(s->fs);
        free(s->scores);
        free(s->sent);
        free(s->tags);
        free(s);
}

static int wt_scratch_fit(wt_scratch_t *s, size_t nlabels) {
        float *scores, *sent;
        wt_tag_t *tags;
        if (nlabels <= s->cap)
                return 0;
        scores = realloc(s->scores, nlabels * sizeof(*scores));
        if (scores)
                s->scores = scores;
        sent = realloc(s->sent, nlabels * sizeof(*sent));
        if (sent)
                s->sent = sent;
        tags = realloc(s->tags, nlabels * sizeof(*tags));
        if (tags)
                s->tags = tags;
        if (!scores || !sent || !tags)
                return -1;
        s->cap = nlabels;
        return 0;
}

/* out[l] = b[l] + sum_f value_f * W[row_f][l]. Weights are feature-major,
 * so one feature's label weights are one contiguous row (liblinear's
 * predict_values layout): the inner loop streams a row. The rows were
 * prefetched when the document's features became known
 * (wt_prefetch_rows()).
 *
 * Labels are scored in blocks whose sums stay in vector registers across
 * all the features: WT_DOT_BLOCK(T, W, NV, l0, stride) sums labels
 * [l0, l0 + NV * W) in NV vectors of type T, W floats each, one vector
 * multiply and one add per W labels of a row (left to itself, the
 * compiler vectorised across features instead and gathered each row's
 * floats one by one). Every label's sum still runs over the features in
 * the same order, one multiply and one add at a time (ISO C mode never
 * fuses them), so scores are the same to the bit whatever the block or
 * vector width. */
typedef float wt_v4f __attribute__((vector_size(16)));

#define WT_DOT_BLOCK(T, W, NV, l0, stride)                                \
        do {                                                              \
                T acc[NV];                                                \
                memcpy(acc, m->bias + (l0), sizeof(acc));                 \
                for (f = 0; f < nfeats; f++) {                            \
                        const float *restrict w = m->weights +            \
                                (size_t)feats[f].row * (stride) + (l0);   \
                        const float v = feats[f].value;                   \
                        for (l = 0; l < (NV); l++) {                      \
                                T wl;                                     \
                                memcpy(&wl, w + (W) * l, sizeof(wl));     \
                                acc[l] += v * wl; /* v broadcast */       \
                        }                                                 \
                }                                                         \
                memcpy(out + (l0), acc, sizeof(acc));                     \
        } while (0)

/* A model of exactly N labels, N a multiple of 4 (4, 8, 16). */
#define WT_DOT_FIXED(N) WT_DOT_BLOCK(wt_v4f, 4, (N) / 4, 0, (N))

/* The same for a few labels, one float each (3 is the default model). */
#define WT_DOT_SCALAR(N, l0, stride)                                      \
        do {                                                              \
                float acc[N];                                             \
                memcpy(acc, m->bias + (l0), (N) * sizeof(*acc));          \
                for (f = 0; f < nfeats; f++) {                            \
                        const float *restrict w = m->weights +            \
                                (size_t)feats[f].row * (stride) + (l0);   \
                        const float v = feats[f].value;                   \
                        for (l = 0; l < (N); l++)                         \
                                acc[l] += v * w[l];                       \
                }                                                         \
                memcpy(out + (l0), acc, (N) * sizeof(*acc));              \
        } while (0)

#if WT_AVX_DISPATCH
/* Any label count of 5 or more, on a CPU with AVX: blocks of up to 64
 * labels in 8-wide vectors, then a 4-wide block and single floats for
 * the last 0-7. Measured on the 88-label Reuters model (bench/README.md):
 * 17% more articles/s than the SSE loop below, the same output. */
typedef float wt_v8f __attribute__((vector_size(32)));

/* One block of NV vectors of W labels at l0, if that many labels are
 * left. */
#define WT_DOT_STEP(T, W, NV)                                             \
        do {                                                              \
                if (l0 + (W) * (NV) <= L) {                               \
                        WT_DOT_BLOCK(T, W, NV, l0, L);                    \
                        l0 += (W) * (NV);                                 \
                }                                                         \
        } while (0)

WT_TARGET_AVX static void wt_dot_avx(const wt_model_t *m,
                                     const wt_feature_t *feats,
                                     size_t nfeats, float *restrict out) {
        const uint32_t L = m->nlabels;
        size_t f;
        uint32_t l, l0 = 0;
        while (l0 + 64 <= L)
                WT_DOT_STEP(wt_v8f, 8, 8);
        WT_DOT_STEP(wt_v8f, 8, 4);
        WT_DOT_STEP(wt_v8f, 8, 2);
        WT_DOT_STEP(wt_v8f, 8, 1);
        WT_DOT_STEP(wt_v4f, 4, 1);
        switch (L - l0) {
        case 3: WT_DOT_SCALAR(3, l0, L); break;
        case 2: WT_DOT_SCALAR(2, l0, L); break;
        case 1: WT_DOT_SCALAR(1, l0, L); break;
        default: break;
        }
}
#undef WT_DOT_STEP

static int wt_cpu_has_avx(void) {
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx");
}
#else
static int wt_cpu_has_avx(void) {
        return 0;
}
#endif

#define WT_DOT_AHEAD 4

static WT_INLINE void wt_dot(const wt_model_t *m, const wt_feature_t *feats,
                             size_t nfeats, float *restrict out) {
        const uint32_t L = m->nlabels;
        size_t f;
        uint32_t l;
        switch (L) {
        case 2: WT_DOT_SCALAR(2, 0, 2); return;
        case 3: WT_DOT_SCALAR(3, 0, 3); return;
        case 4: WT_DOT_FIXED(4); return;
        default: break;
        }
#if WT_AVX_DISPATCH
        if (m->dot_avx && L >= 5) {
                wt_dot_avx(m, feats, nfeats, out);
                return;
        }
#endif
        switch (L) {
        case 8: WT_DOT_FIXED(8); return;
        case 16: WT_DOT_FIXED(16); return;
        default: break;
        }
        memcpy(out, m->bias, L * sizeof(*out));
        for (f = 0; f < nfeats; f++) {
                const float *restrict w =
                        m->weights + (size_t)feats[f].row * L;
                const float v = feats[f].value;
                if (f + WT_DOT_AHEAD < nfeats) {
                        /* Every cache line of a row a few features
                         * ahead: rows of many labels, prefetched all at
                         * once, do not all stay in L1 until their turn,
                         * and one row ahead was too late to hide a
                         * miss. */
                        const char *next = (const char *)(
                                m->weights +
                                (size_t)feats[f + WT_DOT_AHEAD].row * L);
                        size_t b;
                        for (b = 0; b < L * sizeof(float); b += 64)
                                WT_PREFETCH(next + b);
                }
                for (l = 0; l < L; l++)
                        out[l] += v * w[l];
        }
}

static WT_INLINE float wt_sigmoid(float z) {
        return 1.0f / (1.0f + expf(-z));
}

/* Vector and scores of one range's counts. */
static wt_err_t wt_score_counts(const wt_model_t *m, wt_fscratch_t *fs,
                                const wt_bucket_count_t *counts,
                                size_t ncounts, float *out) {
        const wt_feature_t *feats;
        size_t nfeats;
        wt_err_t err;

        err = wt_vocab_vectorize_rows(&m->conf, m->vocab, fs, counts, ncounts,
                                      &feats, &nfeats);
        if (err)
                return err;
        wt_dot(m, feats, nfeats, out);
        return WT_OK;
}

/* Scores of sentences [first, last) of a scratch hashed with
 * wt_features_hash_rows() (ids are rows). */
static wt_err_t wt_score_range(const wt_model_t *m, wt_fscratch_t *fs,
                               size_t first, size_t last, float *out) {
        const wt_bucket_count_t *counts;
        size_t ncounts;
        wt_err_t err;

        err = wt_features_count(&m->conf, fs, first, last, &counts, &ncounts);
        if (err)
                return err;
        return wt_score_counts(m, fs, counts, ncounts, out);
}

/* The weight rows and idf of a document's features are scattered over
 * megabytes, so each was a cache miss in the dot product, one at a time.
 * Asking for all of them as soon as the document's features are known
 * lets the misses overlap each other and the vectorising. */
static WT_INLINE void wt_prefetch_rows(const wt_model_t *m,
                                       const wt_bucket_count_t *counts,
                                       size_t ncounts) {
        const size_t rowbytes = (size_t)m->nlabels * sizeof(float);
        const float *idf = wt_vocab_idf(m->vocab);
        size_t i, b;
        for (i = 0; i < ncounts; i++) {
                const char *w = (const char *)(m->weights +
                                               (size_t)counts[i].bucket *
                                                       m->nlabels);
                WT_PREFETCH(idf + counts[i].bucket);
                for (b = 0; b < rowbytes; b += 64)
                        WT_PREFETCH(w + b);
                if (rowbytes > 0) /* a row may end on one line more */
                        WT_PREFETCH(w + rowbytes - 1);
        }
}


wt_err_t wt_classify(const wt_model_t *m, wt_scratch_t *s,
                     const wt_segments_t *segs, wt_prediction_t *pred) {
        const uint32_t L = m->nlabels;
        const wt_bucket_count_t *counts;
        size_t nsent, i, ncounts, ntags = 0;
        uint32_t l;
        int pool;
        wt_err_t err;

        memset(pred, 0, sizeof(*pred));
        if (wt_scratch_fit(s, L))
                return WT_ERR_NOMEM;
        err = wt_features_hash_rows(&m->conf, m->vocab, segs, s->fs);
        if (err)
                return err;
        nsent = wt_features_nsentences(s->fs);

        /* Sentence pooling: a label learnt from single sentences fires on
         * an article when one of its sentences looks like an example; the
         * whole-article bag would dilute that sentence among the others.
         * The document and its sentences are counted in one pass. */
        pool = m->any_sentence_pool && nsent > 1;
        err = wt_features_count_doc(&m->conf, s->fs, pool, &counts,
                                    &ncounts);
        if (err)
                return err;
        wt_prefetch_rows(m, counts, ncounts);
        err = wt_score_counts(m, s->fs, counts, ncounts, s->scores);
        if (err)
                return err;

        if (pool) {
                for (l = 0; l < L; l++)
                        if (m->pooling[l] == WT_POOL_SENTENCE_MAX)
                                s->scores[l] = -INFINITY;
                for (i = 0; i < nsent; i++) {
                        wt_features_sentence_counts(s->fs, i, &counts,
                                                    &ncounts);
                        err = wt_score_counts(m, s->fs, counts, ncounts,
                                              s->sent);
                        if (err)
                                return err;
                        for (l = 0; l < L; l++)
                                if (m->pooling[l] == WT_POOL_SENTENCE_MAX &&
                                    s->sent[l] > s->scores[l])
                                        s->scores[l] = s->sent[l];
                }
        }

        if (m->score_kind == WT_SCORE_PROBABILITY)
                for (l = 0; l < L; l++)
                        s->scores[l] = wt_sigmoid(s->scores[l]);

        if (!m->multilabel) {
                uint32_t best = 0;
                for (l = 1; l < L; l++)
                        if (s->scores[l] > s->scores[best])
                                best = l;
                if (L > 0) {
                        s->tags[0].label = best;
                        s->tags[0].score = s->scores[best];
                        ntags = 1;
                }
        } else {
                for (l = 0; l < L; l++) {
                        size_t j;
                        if (!(s->scores[l] >= m->thresholds[l]))
                                continue;
                        /* Insertion sort: few tags pass. */
                        j = ntags++;
                        while (j > 0 && s->tags[j - 1].score < s->scores[l]) {
                                s->tags[j] = s->tags[j - 1];
                                j--;
                        }
                        s->tags[j].label = l;
                        s->tags[j].score = s->scores[l];
                }
        }

        pred->scores = s->scores;
        pred->tags = s->tags;
        pred->ntags = ntags;
        pred->ntokens = wt_features_ntokens(s->fs);
        pred->nsentences = nsent;
        return WT_OK;
}

json_t *wt_prediction_json(const wt_model_t *m, const wt_prediction_t *pred) {
        json_t *labels = json_array();
        size_t i;
        for (i = 0; i < pred->ntags; i++)
                json_array_append_new(
                        labels,
                        json_pack("{s:s, s:f}", "label",
                                  m->labels[pred->tags[i].label], "score",
                                  (double)pred->tags[i].score));
        return json_pack("{s:o, s:s, s:s}", "labels", labels, "model",
                         wt_model_name(m), "model_id", m->id);
}

/* Explanation: re-tokenize, rebuild each n-gram's text and bucket, and
 * rank the distinct features of the explained range by value x weight. */
static int wt_contrib_cmp(const void *a, const void *b) {
        const wt_contribution_t *x = a, *y = b;
        if (x->weight != y->weight)
                return x->weight < y->weight ? 1 : -1;
        return strcmp(x->ngram, y->ngram);
}

wt_err_t wt_explain(const wt_model_t *m, const wt_segments_t *segs,
                    size_t label, wt_contribution_t *out, size_t max,
                    size_t *nout) {
        wt_fscratch_t *fs = NULL;
        float *contrib = NULL, *tmp = NULL;
        wt_contribution_t *all = NULL;
        size_t nsent, first = 0, last, i, nall = 0, nrows;
        const uint32_t L = m->nlabels;
        wt_err_t err = WT_ERR_NOMEM;
        unsigned s;
        size_t sent_idx = (size_t)-1;

        *nout = 0;
        if (label >= L)
                return WT_ERR_INVALID_ARG;
        nrows = wt_model_nfeatures(m);
        fs = wt_fscratch_new();
        contrib = calloc(nrows ? nrows : 1, sizeof(*contrib));
        tmp = malloc((L ? L : 1) * sizeof(*tmp));
        if (!fs || !contrib || !tmp)
                goto done;
        if ((err = wt_features_hash_rows(&m->conf, m->vocab, segs, fs)))
                goto done;
        nsent = wt_features_nsentences(fs);
        last = nsent;

        if (m->pooling[label] == WT_POOL_SENTENCE_MAX && nsent > 1) {
                float best = -INFINITY;
                for (i = 0; i < nsent; i++) {
                        if ((err = wt_score_range(m, fs, i, i + 1, tmp)))
                                goto done;
                        if (tmp[label] > best) {
                                best = tmp[label];
                                first = i;
                        }
                }
                last = first + 1;
        }

        {
                const wt_bucket_count_t *counts;
                const wt_feature_t *feats;
                size_t ncounts, nfeats;
                if ((err = wt_features_count(&m->conf, fs, first, last,
                                             &counts, &ncounts)) ||
                    (err = wt_vocab_vectorize_rows(&m->conf, m->vocab, fs,
                                                   counts, ncounts, &feats,
                                                   &nfeats)))
                        goto done;
                for (i = 0; i < nfeats; i++)
                        contrib[feats[i].row] =
                                feats[i].value *
                                m->weights[(size_t)feats[i].row * L + label];
        }

        all = calloc(wt_features_ntokens(fs) * m->conf.ngram_max + 1,
                     sizeof(*all));
        if (!all) {
                err = WT_ERR_NOMEM;
                goto done;
        }
        for (s = 0; s < segs->n; s++) {
                wt_tokenizer_t tk;
                wt_token_t tok;
                char hist[WT_NGRAM_MAX][WT_TOKEN_MAX + 1];
                size_t hlen[WT_NGRAM_MAX];
                unsigned have = 0, n;

                wt_tokenizer_init(&tk, segs->text[s], segs->len[s],
                                  m->conf.tok_flags);
                while (wt_tokenizer_next(&tk, &tok)) {
                        if (tok.sentence_start) {
                                sent_idx++;
                                have = 0;
                        }
                        if (have == m->conf.ngram_max) {
                                memmove(hist, hist[1],
                                        (have - 1) * sizeof(hist[0]));
                                memmove(hlen, hlen + 1,
                                        (have - 1) * sizeof(hlen[0]));
                                have--;
                        }
                        memcpy(hist[have], tok.text, tok.len);
                        hist[have][tok.len] = '\0';
                        hlen[have++] = tok.len;
                        if (sent_idx < first || sent_idx >= last)
                                continue;
                        for (n = 1; n <= have; n++) {
                                const char *toks[WT_NGRAM_MAX];
                                size_t k, off = 0;
                                int sign;
                                uint32_t bucket;
                                int64_t row;
                                for (k = 0; k < n; k++)
                                        toks[k] = hist[have - n + k];
                                bucket = wt_features_bucket_of(
                                        &m->conf, toks, hlen + have - n, n,
                                        &sign);
                                row = wt_vocab_lookup(m->vocab, bucket);
                                if (row < 0 || !(contrib[row] > 0.0f))
                                        continue;
                                for (k = 0; k < n; k++)
                                        off += (size_t)snprintf(
                                                all[nall].ngram + off,
                                                sizeof(all[nall].ngram) - off,
                                                "%s%s", k ? " " : "", toks[k]);
                                all[nall].weight = contrib[row];
                                /* Count each feature once: the first
                                 * n-gram naming it stands for it. */
                                contrib[row] = -contrib[row];
                                nall++;
                        }
                }
        }
        qsort(all, nall, sizeof(*all), wt_contrib_cmp);
        for (i = 0; i < nall && i < max; i++)
                out[i] = all[i];
        *nout = i;
        err = WT_OK;
done:
        wt_fscratch_destroy(fs);
        free(contrib);
        free(tmp);
        free(all);
        return err;
}
