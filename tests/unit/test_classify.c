/*
 * wiretag - test_classify.c: unit tests for wt_classify, wt_explain and
 * wt_prediction_json.
 *
 *  - known answers on a hand-built model (scores computed here from the
 *    documented arithmetic, doc and sentence pooling, probability and
 *    margin scores);
 *  - the tag rules: single-label models tag exactly their top label,
 *    multi-label models tag every label at or above its threshold,
 *    highest first;
 *  - determinism: 4 threads, each with its own scratch, sharing one
 *    trained model, give bit-identical scores to one thread;
 *  - explanations and the "wiretag" JSON object.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wt_model.h"
#include "wt_model_int.h"
#include "wt_train.h"
#include "wt_test.h"

/* ------------------------------------------------------------ helpers */

static void segs1(wt_segments_t *segs, const char *text) {
        memset(segs, 0, sizeof(*segs));
        segs->n = 1;
        segs->text[0] = text;
        segs->len[0] = strlen(text);
}

static uint32_t tok_bucket(const wt_feature_conf_t *c, const char *tok) {
        size_t len = strlen(tok);
        int sign;
        return wt_features_bucket_of(c, &tok, &len, 1, &sign);
}

/* The buckets of n words, sorted (as wt_vocab_new() takes them). */
static void sorted_buckets(const wt_feature_conf_t *c,
                           const char *const *words, size_t n, uint32_t *b) {
        size_t i, j;
        for (i = 0; i < n; i++)
                b[i] = tok_bucket(c, words[i]);
        for (i = 1; i < n; i++)
                for (j = i; j > 0 && b[j - 1] > b[j]; j--) {
                        uint32_t t = b[j];
                        b[j] = b[j - 1];
                        b[j - 1] = t;
                }
}

static double sigmoid(double z) {
        return 1.0 / (1.0 + exp(-z));
}

/*
 * Hand model: unigrams only, raw tf, idf 1, L2. Vocabulary {quake,
 * storm, market}; labels:
 *   0 "disaster"  doc pooling       w = (quake 2, storm 1, market -1), b -1
 *   1 "weather"   sentence_max      w = (quake -1, storm 3, market 0), b -2
 *   2 "finance"   doc pooling       w = (quake 0, storm -1, market 4), b -0.5
 */
static const char *const hm_words[3] = {"quake", "storm", "market"};
static const float hm_w[3][3] = {/* [word][label] */
                                 {2.0f, -1.0f, 0.0f},
                                 {1.0f, 3.0f, -1.0f},
                                 {-1.0f, 0.0f, 4.0f}};
static const float hm_b[3] = {-1.0f, -2.0f, -0.5f};

static wt_model_t *hand_model(int multilabel, wt_score_kind_t kind) {
        wt_model_t *m = wt_model_alloc(3);
        uint32_t b[3];
        size_t i, row, l;
        assert_non_null(m);
        m->name = strdup("hand");
        strcpy(m->id, "0123456789abcdef");
        wt_feature_conf_default(&m->conf);
        m->conf.ngram_max = 1;
        m->conf.tf = WT_TF_RAW;
        m->conf.idf = 0;
        m->multilabel = multilabel;
        m->score_kind = kind;
        m->labels[0] = strdup("disaster");
        m->labels[1] = strdup("weather");
        m->labels[2] = strdup("finance");
        m->pooling[1] = WT_POOL_SENTENCE_MAX;
        m->any_sentence_pool = 1;
        for (l = 0; l < 3; l++) {
                m->thresholds[l] = kind == WT_SCORE_MARGIN ? 0.0f : 0.5f;
                m->bias[l] = hm_b[l];
        }
        sorted_buckets(&m->conf, hm_words, 3, b);
        assert_int_equal(wt_vocab_new(b, NULL, 3, &m->vocab), WT_OK);
        m->weights = calloc(9, sizeof(float));
        assert_non_null(m->weights);
        for (i = 0; i < 3; i++) {
                row = (size_t)wt_vocab_lookup(
                        m->vocab, tok_bucket(&m->conf, hm_words[i]));
                for (l = 0; l < 3; l++)
                        m->weights[row * 3 + l] = hm_w[i][l];
        }
        return m;
}

/** Raw score (before the sigmoid) of counts c[word] for label l. */
static double raw_score(const double *c, size_t l) {
        double norm = 0, s = hm_b[l];
        size_t i;
        for (i = 0; i < 3; i++)
                norm += c[i] * c[i];
        if (norm == 0)
                return s;
        norm = sqrt(norm);
        for (i = 0; i < 3; i++)
                s += c[i] / norm * hm_w[i][l];
        return s;
}

/* --------------------------------------------------- known answers */

static void test_hand_scores(void **state) {
        wt_model_t *m = hand_model(1, WT_SCORE_PROBABILITY);
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        (void)state;
        assert_non_null(s);

        /* One sentence: "quake quake storm" -> counts (2, 1, 0). */
        {
                const double c[3] = {2, 1, 0};
                segs1(&segs, "Quake, quake; STORM and nothing else");
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                assert_int_equal(p.ntokens, 6);
                assert_int_equal(p.nsentences, 1);
                assert_float_equal(p.scores[0], sigmoid(raw_score(c, 0)),
                                   1e-6);
                assert_float_equal(p.scores[1], sigmoid(raw_score(c, 1)),
                                   1e-6);
                assert_float_equal(p.scores[2], sigmoid(raw_score(c, 2)),
                                   1e-6);
                /* 2/sqrt5*2 + 1/sqrt5 - 1 = 1.236 -> 0.775 */
                assert_float_equal(p.scores[0], 0.77491, 1e-4);
        }

        /* Two sentences: doc-pooled labels see the bag, the
         * sentence-pooled one its best sentence. */
        {
                const double all[3] = {1, 1, 1}, s1[3] = {1, 0, 1},
                             s2[3] = {0, 1, 0};
                double best = fmax(raw_score(s1, 1), raw_score(s2, 1));
                segs1(&segs, "Quake hits market. Storm follows");
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                assert_int_equal(p.nsentences, 2);
                assert_float_equal(p.scores[0], sigmoid(raw_score(all, 0)),
                                   1e-6);
                assert_float_equal(p.scores[1], sigmoid(best), 1e-6);
                assert_float_equal(p.scores[2], sigmoid(raw_score(all, 2)),
                                   1e-6);
                /* The sentence "Storm follows" alone: 3 - 2 = 1. */
                assert_float_equal(p.scores[1], sigmoid(1.0), 1e-6);
                /* The bag would have given less. */
                assert_true(p.scores[1] > sigmoid(raw_score(all, 1)) + 0.1);
        }

        /* Segments are sentences too (title, text). */
        {
                segs.n = 2;
                segs.text[0] = "storm";
                segs.len[0] = 5;
                segs.text[1] = "quake market";
                segs.len[1] = 12;
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                assert_int_equal(p.nsentences, 2);
                assert_float_equal(p.scores[1], sigmoid(1.0), 1e-6);
        }
        wt_scratch_destroy(s);
        wt_model_destroy(m);
}

static void test_margin_scores(void **state) {
        wt_model_t *m = hand_model(1, WT_SCORE_MARGIN);
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        const double c[3] = {0, 0, 1};
        (void)state;
        segs1(&segs, "market");
        assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
        assert_float_equal(p.scores[0], raw_score(c, 0), 1e-6); /* -2 */
        assert_float_equal(p.scores[1], raw_score(c, 1), 1e-6); /* -2 */
        assert_float_equal(p.scores[2], raw_score(c, 2), 1e-6); /* 3.5 */
        /* Threshold 0 on margins: only finance. */
        assert_int_equal(p.ntags, 1);
        assert_int_equal(p.tags[0].label, 2);
        assert_float_equal(p.tags[0].score, 3.5, 1e-6);
        wt_scratch_destroy(s);
        wt_model_destroy(m);
}

/* The dot product has loops of its own for 2, 3, 4, 8 and 16 labels, and
 * blocks of 64, 32, 16, 8 and 4 labels with single floats after them for
 * the rest (AVX, where the CPU has it): every width, those and others
 * around them, scores to the bit as the plain float sum over the
 * document's features does (same rows, same labels, same bias, same
 * order), with the AVX loops and without. */
static void test_dot_widths(void **state) {
        static const char *const words[] = {"quake", "storm", "market",
                                            "troops", "talks", "rain"};
        static const size_t widths[] = {1,  2,  3,  4,  5,  7,  8,
                                        9,  12, 16, 17, 24, 33, 40,
                                        64, 65, 88, 90, 97, 130};
        static const char *const docs[] = {
                "quake storm market troops talks rain",
                "talks talks talks. rain", "market", "nothing known",
                "troops quake troops storm rain market talks quake",
        };
        const size_t nw = sizeof(words) / sizeof(words[0]);
        size_t wi, d, i, l, f;
        (void)state;

        for (wi = 0; wi < sizeof(widths) / sizeof(widths[0]); wi++) {
                const size_t L = widths[wi];
                wt_model_t *m = wt_model_alloc((uint32_t)L);
                wt_scratch_t *s = wt_scratch_new();
                wt_fscratch_t *fs = wt_fscratch_new();
                uint32_t b[6];
                uint32_t x = 12345u;
                char name[32];
                assert_non_null(m);
                assert_non_null(s);
                assert_non_null(fs);
                m->name = strdup("widths");
                strcpy(m->id, "0123456789abcdef");
                wt_feature_conf_default(&m->conf);
                m->conf.ngram_max = 1;
                m->multilabel = 1;
                m->score_kind = WT_SCORE_MARGIN;
                for (l = 0; l < L; l++) {
                        snprintf(name, sizeof(name), "l%u", (unsigned)l);
                        m->labels[l] = strdup(name);
                        m->bias[l] = (float)l * 0.125f - 1.0f;
                }
                sorted_buckets(&m->conf, words, nw, b);
                assert_int_equal(wt_vocab_new(b, NULL, nw, &m->vocab), WT_OK);
                m->weights = malloc(nw * L * sizeof(float));
                assert_non_null(m->weights);
                for (i = 0; i < nw * L; i++) {
                        x = x * 1103515245u + 12345u;
                        m->weights[i] = (float)((x >> 8) % 2001) / 500.0f -
                                        2.0f;
                }

                for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                        wt_segments_t segs;
                        wt_prediction_t p;
                        const wt_bucket_count_t *counts;
                        const wt_feature_t *feats;
                        size_t ncounts, nfeats;
                        int avx, path;
                        segs1(&segs, docs[d]);
                        /* The reference: the features, summed by hand. */
                        assert_int_equal(wt_features_hash_rows(&m->conf,
                                                               m->vocab,
                                                               &segs, fs),
                                         WT_OK);
                        assert_int_equal(wt_features_count_doc(&m->conf, fs,
                                                               0, &counts,
                                                               &ncounts),
                                         WT_OK);
                        assert_int_equal(wt_vocab_vectorize_rows(
                                                 &m->conf, m->vocab, fs,
                                                 counts, ncounts, &feats,
                                                 &nfeats),
                                         WT_OK);
                        /* Both paths: the one this CPU takes, and the
                         * SSE one (the same twice where there is no AVX). */
                        avx = m->dot_avx;
                        for (path = 0; path < 2; path++) {
                                m->dot_avx = path ? 0 : avx;
                                assert_int_equal(wt_classify(m, s, &segs, &p),
                                                 WT_OK);
                                for (l = 0; l < L; l++) {
                                        float want = m->bias[l];
                                        for (f = 0; f < nfeats; f++)
                                                want += feats[f].value *
                                                        m->weights
                                                                [(size_t)feats[f]
                                                                         .row *
                                                                         L +
                                                                 l];
                                        assert_true(p.scores[l] == want);
                                }
                        }
                        m->dot_avx = avx;
                }
                wt_fscratch_destroy(fs);
                wt_scratch_destroy(s);
                wt_model_destroy(m);
        }
}

/* ----------------------------------------------------------- tag rules */

static void check_multilabel_tags(const wt_model_t *m,
                                  const wt_prediction_t *p) {
        size_t L = wt_model_nlabels(m), l, t, n = 0;
        for (t = 0; t < p->ntags; t++) {
                uint32_t lab = p->tags[t].label;
                assert_true(lab < L);
                assert_true(p->tags[t].score == p->scores[lab]);
                assert_true(p->tags[t].score >= wt_model_threshold(m, lab));
                if (t > 0) {
                        assert_true(p->tags[t - 1].score >= p->tags[t].score);
                        if (p->tags[t - 1].score == p->tags[t].score)
                                assert_true(p->tags[t - 1].label < lab);
                }
        }
        /* Every label at or above its threshold is tagged. */
        for (l = 0; l < L; l++)
                n += p->scores[l] >= wt_model_threshold(m, l);
        assert_int_equal(n, p->ntags);
}

static void test_tag_rules(void **state) {
        wt_model_t *ml = hand_model(1, WT_SCORE_PROBABILITY);
        wt_model_t *sl = hand_model(0, WT_SCORE_PROBABILITY);
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        static const char *const docs[] = {
                "quake storm market", "quake quake quake. storm",
                "market market", "storm", "", "nothing at all",
                "Market. Quake. Storm. Market!",
        };
        size_t d, l;
        (void)state;

        for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                segs1(&segs, docs[d]);
                assert_int_equal(wt_classify(ml, s, &segs, &p), WT_OK);
                check_multilabel_tags(ml, &p);

                /* Single-label: always exactly the top label. */
                assert_int_equal(wt_classify(sl, s, &segs, &p), WT_OK);
                assert_int_equal(p.ntags, 1);
                for (l = 0; l < 3; l++)
                        assert_true(p.scores[l] <= p.tags[0].score);
                assert_true(p.tags[0].score == p.scores[p.tags[0].label]);
        }

        /* Several tags, in score order: with thresholds 0 every label
         * passes. */
        ml->thresholds[0] = ml->thresholds[1] = ml->thresholds[2] = 0.0f;
        segs1(&segs, "market storm");
        assert_int_equal(wt_classify(ml, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntags, 3);
        check_multilabel_tags(ml, &p);
        assert_int_equal(p.tags[0].label, 2); /* finance: 3/sqrt2 - .5 */
        /* Thresholds out of reach: no tag at all (multi-label only). */
        ml->thresholds[0] = ml->thresholds[1] = ml->thresholds[2] = 2.0f;
        assert_int_equal(wt_classify(ml, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntags, 0);
        sl->thresholds[0] = sl->thresholds[1] = sl->thresholds[2] = 2.0f;
        assert_int_equal(wt_classify(sl, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntags, 1);

        /* Ties are broken by label index. */
        ml->thresholds[0] = ml->thresholds[1] = ml->thresholds[2] = 0.0f;
        ml->bias[0] = ml->bias[1] = ml->bias[2] = 0.25f;
        segs1(&segs, "");
        assert_int_equal(wt_classify(ml, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntags, 3);
        assert_int_equal(p.tags[0].label, 0);
        assert_int_equal(p.tags[1].label, 1);
        assert_int_equal(p.tags[2].label, 2);
        sl->bias[0] = sl->bias[1] = sl->bias[2] = 0.25f;
        assert_int_equal(wt_classify(sl, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntags, 1);
        assert_int_equal(p.tags[0].label, 0);

        wt_scratch_destroy(s);
        wt_model_destroy(ml);
        wt_model_destroy(sl);
}

static void test_empty_text(void **state) {
        wt_model_t *m = hand_model(1, WT_SCORE_PROBABILITY);
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        static const char *const empties[] = {"", " ", "...", "\n\n", "!?",
                                              "\xe2\x80\x94"};
        size_t i, l;
        (void)state;
        for (i = 0; i < sizeof(empties) / sizeof(empties[0]); i++) {
                segs1(&segs, empties[i]);
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                assert_int_equal(p.ntokens, 0);
                assert_int_equal(p.nsentences, 0);
                for (l = 0; l < 3; l++)
                        assert_float_equal(p.scores[l], sigmoid(hm_b[l]),
                                           1e-6);
        }
        /* No segments at all. */
        memset(&segs, 0, sizeof(segs));
        assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntokens, 0);
        /* Unknown words only: tokens, but no features. */
        segs1(&segs, "zebra giraffe. okapi");
        assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
        assert_int_equal(p.ntokens, 3);
        for (l = 0; l < 3; l++)
                assert_float_equal(p.scores[l], sigmoid(hm_b[l]), 1e-6);
        wt_scratch_destroy(s);
        wt_model_destroy(m);
}

/* A scratch is not tied to one model: reuse it across models with
 * different label counts. */
static void test_scratch_reuse(void **state) {
        wt_model_t *m3 = hand_model(1, WT_SCORE_PROBABILITY);
        wt_model_t *m1 = wt_model_alloc(1);
        wt_scratch_t *s = wt_scratch_new(), *fresh = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        float a[3];
        (void)state;
        assert_non_null(m1);
        m1->name = strdup("one");
        m1->labels[0] = strdup("only");
        wt_feature_conf_default(&m1->conf);
        m1->bias[0] = 1.0f;
        assert_int_equal(wt_vocab_new(NULL, NULL, 0, &m1->vocab), WT_OK);

        segs1(&segs, "quake storm");
        assert_int_equal(wt_classify(m1, s, &segs, &p), WT_OK);
        assert_float_equal(p.scores[0], sigmoid(1.0), 1e-6);
        assert_int_equal(wt_classify(m3, s, &segs, &p), WT_OK);
        memcpy(a, p.scores, sizeof(a));
        assert_int_equal(wt_classify(m3, fresh, &segs, &p), WT_OK);
        assert_memory_equal(a, p.scores, sizeof(a));
        assert_int_equal(wt_classify(m1, s, &segs, &p), WT_OK);
        assert_float_equal(p.scores[0], sigmoid(1.0), 1e-6);
        wt_scratch_destroy(s);
        wt_scratch_destroy(fresh);
        wt_scratch_destroy(NULL);
        wt_model_destroy(m3);
        wt_model_destroy(m1);
}

/* --------------------------------------------------------- explain */

static void test_explain(void **state) {
        wt_model_t *m = hand_model(1, WT_SCORE_PROBABILITY);
        wt_segments_t segs;
        wt_contribution_t out[8];
        size_t n;
        (void)state;

        /* "quake quake storm market": counts (2,1,1), norm sqrt6.
         * disaster: quake 2/sqrt6*2 = 1.633, storm 1/sqrt6 = 0.408,
         * market -0.408 (negative: left out). */
        segs1(&segs, "quake quake storm market");
        assert_int_equal(wt_explain(m, &segs, 0, out, 8, &n), WT_OK);
        assert_int_equal(n, 2);
        assert_string_equal(out[0].ngram, "quake");
        assert_float_equal(out[0].weight, 4.0 / sqrt(6.0), 1e-6);
        assert_string_equal(out[1].ngram, "storm");
        assert_float_equal(out[1].weight, 1.0 / sqrt(6.0), 1e-6);

        /* max limits the list, keeping the largest. */
        assert_int_equal(wt_explain(m, &segs, 0, out, 1, &n), WT_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].ngram, "quake");

        /* finance: market 4/sqrt6 only. */
        assert_int_equal(wt_explain(m, &segs, 2, out, 8, &n), WT_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].ngram, "market");
        assert_float_equal(out[0].weight, 4.0 / sqrt(6.0), 1e-6);

        /* Sentence-pooled label: the best sentence is explained. For
         * "weather", "Market storm" scores 3/sqrt2 - 2 > -2 ("Quake"). */
        segs1(&segs, "Quake. Market storm.");
        assert_int_equal(wt_explain(m, &segs, 1, out, 8, &n), WT_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].ngram, "storm");
        assert_float_equal(out[0].weight, 3.0 / sqrt(2.0), 1e-6);

        /* Case-folded text comes back folded. */
        segs1(&segs, "QUAKE");
        assert_int_equal(wt_explain(m, &segs, 0, out, 8, &n), WT_OK);
        assert_int_equal(n, 1);
        assert_string_equal(out[0].ngram, "quake");

        /* Nothing to explain. */
        segs1(&segs, "");
        assert_int_equal(wt_explain(m, &segs, 0, out, 8, &n), WT_OK);
        assert_int_equal(n, 0);
        /* No such label. */
        segs1(&segs, "quake");
        assert_int_equal(wt_explain(m, &segs, 3, out, 8, &n),
                         WT_ERR_INVALID_ARG);
        assert_int_equal(n, 0);
        wt_model_destroy(m);
}

/* ------------------------------------------------------ trained model */

typedef struct trained {
        wt_model_t *single; /* single3.jsonl */
        wt_model_t *multi;  /* partial/spec.json: multi-label, mixed pooling */
} trained_t;

static int setup_trained(void **state) {
        trained_t *t = calloc(1, sizeof(*t));
        wt_train_opts_t o;
        char err[1024];
        if (!t)
                return -1;
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1);

        wt_train_opts_init(&o);
        o.folds = 0;
        o.threads = 1;
        o.min_df = 1;
        if (wt_train_opts_add_file(&o, wt_test_fixture("single3.jsonl")) ||
            wt_train(&o, &t->single, err, sizeof(err))) {
                fprintf(stderr, "training single3: %s\n", err);
                wt_train_opts_clear(&o);
                return -1;
        }
        wt_train_opts_clear(&o);

        wt_train_opts_init(&o);
        if (wt_train_spec_load(&o, wt_test_fixture("partial/spec.json"), err,
                               sizeof(err))) {
                fprintf(stderr, "spec: %s\n", err);
                return -1;
        }
        o.folds = 0;
        o.threads = 1;
        if (wt_train(&o, &t->multi, err, sizeof(err))) {
                fprintf(stderr, "training partial: %s\n", err);
                wt_train_opts_clear(&o);
                return -1;
        }
        wt_train_opts_clear(&o);
        *state = t;
        return 0;
}

static int teardown_trained(void **state) {
        trained_t *t = *state;
        if (t) {
                wt_model_destroy(t->single);
                wt_model_destroy(t->multi);
                free(t);
        }
        return 0;
}

#define NDOCS 300

static const char *const gen_words[] = {
        "match",   "goal",     "striker", "rain",    "storm",  "forecast",
        "shares",  "stocks",   "index",   "volcano", "lava",   "eruption",
        "harvest", "wheat",    "football", "derby",  "the",    "of",
        "city",    "reported", "Ünïcode", "\xe0\xa6\x95\xe0\xa6\xbe",
        "2024",    "people",   "officials", "crater", "farmers", "kickoff",
};

/** Deterministic synthetic documents, 0 to ~600 words, with sentence
 *  breaks, newlines and Unicode. */
static char **gen_docs(void) {
        char **docs = calloc(NDOCS, sizeof(char *));
        uint64_t rng = 42;
        size_t d;
        assert_non_null(docs);
        for (d = 0; d < NDOCS; d++) {
                size_t nw = (size_t)(wt_test_rand(&rng) % (d % 10 == 0 ? 600
                                                                       : 60)),
                       w, len = 0, cap = nw * 24 + 16;
                char *s = malloc(cap);
                assert_non_null(s);
                s[0] = '\0';
                for (w = 0; w < nw; w++) {
                        const char *word =
                                gen_words[wt_test_rand(&rng) %
                                          (sizeof(gen_words) /
                                           sizeof(gen_words[0]))];
                        uint64_t r = wt_test_rand(&rng) % 10;
                        len += (size_t)snprintf(s + len, cap - len, "%s%s",
                                                word,
                                                r == 0   ? ". "
                                                : r == 1 ? "\n"
                                                : r == 2 ? ", "
                                                         : " ");
                }
                docs[d] = s;
        }
        return docs;
}

typedef struct job {
        const wt_model_t *model;
        char **docs;
        size_t start;       /* first doc: each thread its own order */
        float *scores;      /* NDOCS x L */
        size_t *ntags;
        wt_tag_t *tags;     /* NDOCS x L */
        int failed;
} job_t;

static void *run_job(void *arg) {
        job_t *j = arg;
        wt_scratch_t *s = wt_scratch_new();
        size_t L = wt_model_nlabels(j->model), k;
        if (!s) {
                j->failed = 1;
                return NULL;
        }
        for (k = 0; k < NDOCS; k++) {
                size_t d = (j->start + k * 7) % NDOCS; /* 7 is coprime */
                wt_segments_t segs;
                wt_prediction_t p;
                memset(&segs, 0, sizeof(segs));
                segs.n = 2;
                segs.text[0] = "Title words here";
                segs.len[0] = 16;
                segs.text[1] = j->docs[d];
                segs.len[1] = strlen(j->docs[d]);
                if (wt_classify(j->model, s, &segs, &p)) {
                        j->failed = 1;
                        break;
                }
                memcpy(j->scores + d * L, p.scores, L * sizeof(float));
                memcpy(j->tags + d * L, p.tags, p.ntags * sizeof(wt_tag_t));
                j->ntags[d] = p.ntags;
        }
        wt_scratch_destroy(s);
        return NULL;
}

static void job_init(job_t *j, const wt_model_t *m, char **docs,
                     size_t start) {
        size_t L = wt_model_nlabels(m);
        memset(j, 0, sizeof(*j));
        j->model = m;
        j->docs = docs;
        j->start = start;
        j->scores = calloc(NDOCS * L, sizeof(float));
        j->tags = calloc(NDOCS * L, sizeof(wt_tag_t));
        j->ntags = calloc(NDOCS, sizeof(size_t));
        assert_true(j->scores && j->tags && j->ntags);
}

static void job_free(job_t *j) {
        free(j->scores);
        free(j->tags);
        free(j->ntags);
}

static void determinism(const wt_model_t *m) {
        char **docs = gen_docs();
        size_t L = wt_model_nlabels(m), t, d;
        job_t base, jobs[4];
        pthread_t th[4];

        job_init(&base, m, docs, 0);
        run_job(&base);
        assert_false(base.failed);

        for (t = 0; t < 4; t++)
                job_init(&jobs[t], m, docs, t * 75 + 1);
        for (t = 0; t < 4; t++)
                assert_int_equal(pthread_create(&th[t], NULL, run_job,
                                                &jobs[t]),
                                 0);
        for (t = 0; t < 4; t++)
                assert_int_equal(pthread_join(th[t], NULL), 0);
        for (t = 0; t < 4; t++) {
                assert_false(jobs[t].failed);
                if (memcmp(base.scores, jobs[t].scores,
                           NDOCS * L * sizeof(float)))
                        fail_msg("thread %zu: scores differ from the "
                                 "single-threaded run",
                                 t);
                assert_memory_equal(base.ntags, jobs[t].ntags,
                                    NDOCS * sizeof(size_t));
                for (d = 0; d < NDOCS; d++)
                        assert_memory_equal(base.tags + d * L,
                                            jobs[t].tags + d * L,
                                            base.ntags[d] * sizeof(wt_tag_t));
        }
        /* The run was not trivial: scores vary across documents. */
        {
                size_t differ = 0;
                for (d = 1; d < NDOCS; d++)
                        differ += base.scores[d * L] != base.scores[0];
                assert_true(differ > NDOCS / 2);
        }
        job_free(&base);
        for (t = 0; t < 4; t++)
                job_free(&jobs[t]);
        for (d = 0; d < NDOCS; d++)
                free(docs[d]);
        free(docs);
}

static void test_threads_single(void **state) {
        trained_t *t = *state;
        assert_int_equal(wt_model_is_multilabel(t->single), 0);
        determinism(t->single);
}

static void test_threads_multi(void **state) {
        trained_t *t = *state;
        int z = wt_model_label_index(t->multi, "z");
        assert_int_equal(wt_model_is_multilabel(t->multi), 1);
        /* Source B is sentence-pooled: the sentence path is exercised. */
        assert_true(z >= 0);
        assert_int_equal(wt_model_pooling(t->multi, (size_t)z),
                         WT_POOL_SENTENCE_MAX);
        determinism(t->multi);
}

/** For an ASCII n-gram: its first word occurs in text (ASCII case
 *  folded). Non-ASCII n-grams pass (folding them needs Unicode tables). */
static int ascii_word_in(const char *ngram, const char *text) {
        char word[80], *low;
        size_t i, n = strcspn(ngram, " ");
        int found;
        for (i = 0; ngram[i]; i++)
                if ((unsigned char)ngram[i] >= 0x80)
                        return 1;
        if (n >= sizeof(word))
                return 0;
        memcpy(word, ngram, n);
        word[n] = '\0';
        low = strdup(text);
        if (!low)
                return 0;
        for (i = 0; low[i]; i++)
                if (low[i] >= 'A' && low[i] <= 'Z')
                        low[i] = (char)(low[i] - 'A' + 'a');
        found = strstr(low, word) != NULL;
        free(low);
        return found;
}

/* Tag rules and explanations on trained models, over many documents. */
static void test_trained_rules(void **state) {
        trained_t *t = *state;
        char **docs = gen_docs();
        wt_scratch_t *s = wt_scratch_new();
        size_t d, with_tags = 0;
        wt_contribution_t ex[10];
        size_t nex, i;
        for (d = 0; d < NDOCS; d++) {
                wt_segments_t segs;
                wt_prediction_t p;
                segs1(&segs, docs[d]);
                assert_int_equal(wt_classify(t->single, s, &segs, &p), WT_OK);
                assert_int_equal(p.ntags, 1);
                assert_int_equal(wt_classify(t->multi, s, &segs, &p), WT_OK);
                check_multilabel_tags(t->multi, &p);
                with_tags += p.ntags > 0;
                for (i = 0; i < p.ntags; i++) {
                        size_t k;
                        assert_int_equal(wt_explain(t->multi, &segs,
                                                    p.tags[i].label, ex, 10,
                                                    &nex),
                                         WT_OK);
                        for (k = 0; k < nex; k++) {
                                assert_true(ex[k].weight > 0.0f);
                                if (k)
                                        assert_true(ex[k - 1].weight >=
                                                    ex[k].weight);
                                /* An n-gram of the document: its first
                                 * word (folded) occurs in the text. */
                                assert_true(strlen(ex[k].ngram) > 0);
                                assert_true(ascii_word_in(ex[k].ngram,
                                                          docs[d]));
                        }
                }
                free(docs[d]);
        }
        assert_true(with_tags > 10);
        free(docs);
        wt_scratch_destroy(s);
}

/* Explanations point at the words that make the label. */
static void test_trained_explain(void **state) {
        trained_t *t = *state;
        wt_segments_t segs;
        wt_contribution_t ex[5];
        size_t n, i;
        int sport = wt_model_label_index(t->single, "sport");
        int found = 0;
        assert_true(sport >= 0);
        segs1(&segs, "The striker scored a late goal in the derby match");
        assert_int_equal(wt_explain(t->single, &segs, (size_t)sport, ex, 5,
                                    &n),
                         WT_OK);
        assert_true(n >= 1);
        for (i = 0; i < n; i++)
                found |= !strcmp(ex[i].ngram, "striker") ||
                         !strcmp(ex[i].ngram, "goal") ||
                         !strcmp(ex[i].ngram, "match");
        assert_true(found);
}

static void test_prediction_json(void **state) {
        trained_t *t = *state;
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        json_t *j, *labels, *v;
        size_t i;
        const char *id;

        segs1(&segs, "Volcano eruption: lava and ash. Football derby kickoff");
        assert_int_equal(wt_classify(t->multi, s, &segs, &p), WT_OK);
        assert_true(p.ntags >= 1);
        j = wt_prediction_json(t->multi, &p);
        assert_non_null(j);
        assert_true(json_is_object(j));
        assert_int_equal(json_object_size(j), 3);
        assert_string_equal(json_string_value(json_object_get(j, "model")),
                            "partial-test");
        id = json_string_value(json_object_get(j, "model_id"));
        assert_non_null(id);
        assert_string_equal(id, wt_model_id(t->multi));
        assert_int_equal(strlen(id), 16);
        assert_int_equal(strspn(id, "0123456789abcdef"), 16);
        labels = json_object_get(j, "labels");
        assert_true(json_is_array(labels));
        assert_int_equal(json_array_size(labels), p.ntags);
        json_array_foreach(labels, i, v) {
                assert_int_equal(json_object_size(v), 2);
                assert_string_equal(
                        json_string_value(json_object_get(v, "label")),
                        wt_model_label(t->multi, p.tags[i].label));
                assert_true(json_is_real(json_object_get(v, "score")));
                assert_float_equal(json_real_value(json_object_get(v, "score")),
                                   p.tags[i].score, 1e-6);
        }
        json_decref(j);

        /* No tags: an empty list, not a missing one. */
        segs1(&segs, "");
        {
                wt_model_t *m = hand_model(1, WT_SCORE_PROBABILITY);
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                assert_int_equal(p.ntags, 0);
                j = wt_prediction_json(m, &p);
                assert_true(json_is_array(json_object_get(j, "labels")));
                assert_int_equal(json_array_size(json_object_get(j, "labels")),
                                 0);
                assert_string_equal(
                        json_string_value(json_object_get(j, "model_id")),
                        "0123456789abcdef");
                json_decref(j);
                wt_model_destroy(m);
        }
        wt_scratch_destroy(s);
}

int main(void) {
        const struct CMUnitTest hand[] = {
                cmocka_unit_test(test_hand_scores),
                cmocka_unit_test(test_margin_scores),
                cmocka_unit_test(test_dot_widths),
                cmocka_unit_test(test_tag_rules),
                cmocka_unit_test(test_empty_text),
                cmocka_unit_test(test_scratch_reuse),
                cmocka_unit_test(test_explain),
        };
        const struct CMUnitTest trained[] = {
                cmocka_unit_test(test_threads_single),
                cmocka_unit_test(test_threads_multi),
                cmocka_unit_test(test_trained_rules),
                cmocka_unit_test(test_trained_explain),
                cmocka_unit_test(test_prediction_json),
        };
        int rc = cmocka_run_group_tests_name("classify (hand-built model)",
                                             hand, NULL, NULL);
        rc += cmocka_run_group_tests_name("classify (trained models)",
                                          trained, setup_trained,
                                          teardown_trained);
        return rc;
}
