/*
 * wiretag - test_features.c: unit tests for wt_features (hashing, counting,
 * vectorising) and the feature configuration.
 *
 * The hashing scheme is part of the model file format: a model trained
 * today must compute the same buckets tomorrow. So the XXH3 primitive is
 * checked against xxHash's own published vectors, and wiretag's buckets
 * for a unigram and a bigram are pinned, re-derived independently from
 * the scheme described in wt_features.h.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <xxhash.h>

#include "wt_features.h"
#include "wt_tokenizer.h"
#include "wt_test.h"

/* ------------------------------------------------------------ helpers */

/** One segment, copied to an exact-size buffer (caller frees seg text). */
static void one_segment(wt_segments_t *segs, const char *text) {
        size_t len = strlen(text);
        memset(segs, 0, sizeof(*segs));
        segs->n = 1;
        segs->text[0] = wt_test_dup_exact(text, len);
        segs->len[0] = len;
}

static void free_segments(wt_segments_t *segs) {
        unsigned i;
        for (i = 0; i < segs->n; i++)
                free((void *)segs->text[i]);
}

/** The scheme, re-derived from wt_features.h: token hash = XXH3-64 of the
 *  folded bytes with seed; an n-gram's hash = XXH3-64 of the LE array of
 *  its token hashes with seed + n; bucket = top `bits` bits. */
static uint64_t ref_token_hash(const wt_feature_conf_t *c, const char *tok) {
        return XXH3_64bits_withSeed(tok, strlen(tok), c->seed);
}

static uint64_t ref_ngram_hash(const wt_feature_conf_t *c,
                               const char *const *toks, unsigned n) {
        unsigned char buf[8 * WT_NGRAM_MAX];
        unsigned i, b;
        if (n == 1)
                return ref_token_hash(c, toks[0]);
        for (i = 0; i < n; i++) {
                uint64_t h = ref_token_hash(c, toks[i]);
                for (b = 0; b < 8; b++)
                        buf[i * 8 + b] = (unsigned char)(h >> (8 * b));
        }
        return XXH3_64bits_withSeed(buf, n * 8, c->seed + n);
}

static uint32_t ref_bucket(const wt_feature_conf_t *c,
                           const char *const *toks, unsigned n) {
        return (uint32_t)(ref_ngram_hash(c, toks, n) >> (64 - c->bits));
}

/** Bucket of an n-gram given as one space-separated string. */
static uint32_t bucket_of_str(const wt_feature_conf_t *c, const char *ngram,
                              int *sign) {
        char copy[256];
        const char *toks[WT_NGRAM_MAX];
        size_t lens[WT_NGRAM_MAX];
        unsigned n = 0;
        char *p, *save = NULL;
        int dummy;
        snprintf(copy, sizeof(copy), "%s", ngram);
        for (p = strtok_r(copy, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
                assert_true(n < WT_NGRAM_MAX);
                toks[n] = p;
                lens[n] = strlen(p);
                n++;
        }
        assert_true(n >= 1);
        return wt_features_bucket_of(c, toks, lens, n, sign ? sign : &dummy);
}

/** Hash + count text (one segment) over sentence range [first, last);
 *  last == (size_t)-1 means all sentences. */
static size_t hash_count(const wt_feature_conf_t *c, wt_fscratch_t *fs,
                         const char *text, size_t first, size_t last,
                         const wt_bucket_count_t **counts) {
        wt_segments_t segs;
        size_t n;
        one_segment(&segs, text);
        assert_int_equal(wt_features_hash(c, &segs, fs), WT_OK);
        if (last == (size_t)-1)
                last = wt_features_nsentences(fs);
        assert_int_equal(wt_features_count(c, fs, first, last, counts, &n),
                         WT_OK);
        free_segments(&segs);
        return n;
}

/** tf of a bucket in counts, or NAN when absent. */
static float tf_of(const wt_bucket_count_t *counts, size_t n,
                   uint32_t bucket) {
        size_t i;
        for (i = 0; i < n; i++)
                if (counts[i].bucket == bucket)
                        return counts[i].tf;
        return NAN;
}

static void conf_plain(wt_feature_conf_t *c, unsigned ngram_max) {
        wt_feature_conf_default(c);
        c->ngram_max = ngram_max;
}

/* -------------------------------------------------------- XXH3 vectors */

/* xxHash's sanity buffer (xxhsum tests/sanity_test_vectors.h). */
#define SANITY_PRIME32 2654435761U
#define SANITY_PRIME64 11400714785074694797ULL

static void test_xxh3_known_answers(void **state) {
        static const struct {
                size_t len;
                uint64_t seed, hash;
        } v[] = {
                /* XSUM_XXH3_testdata: one vector per length class. */
                {0, 0, 0x2D06800538D394C2ULL},
                {0, SANITY_PRIME64, 0xA8A6B918B2F0364AULL},
                {1, 0, 0xC44BDFF4074EECDBULL},
                {1, SANITY_PRIME64, 0x032BE332DD766EF8ULL},
                {6, 0, 0x27B56A84CD2D7325ULL},
                {6, SANITY_PRIME64, 0x84589C116AB59AB9ULL},
                {12, 0, 0xA713DAF0DFBB77E7ULL},
                {12, SANITY_PRIME64, 0xE7303E1B2336DE0EULL},
                {24, 0, 0xA3FE70BF9D3510EBULL},
                {240, 0, 0x81C3C2B67F568CCFULL},
                {241, 0, 0xC5A639ECD2030E5EULL},
                {512, 0, 0x617E49599013CB6BULL},
        };
        unsigned char buf[512];
        uint64_t gen = SANITY_PRIME32;
        size_t i;
        (void)state;
        for (i = 0; i < sizeof(buf); i++) {
                buf[i] = (unsigned char)(gen >> 56);
                gen *= SANITY_PRIME64;
        }
        for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
                uint64_t h = XXH3_64bits_withSeed(buf, v[i].len, v[i].seed);
                if (h != v[i].hash)
                        fail_msg("XXH3_64bits_withSeed(len %zu, seed %llx) = "
                                 "%016llx, expected %016llx",
                                 v[i].len, (unsigned long long)v[i].seed,
                                 (unsigned long long)h,
                                 (unsigned long long)v[i].hash);
        }
        /* The unseeded entry point agrees with seed 0. */
        assert_true(XXH3_64bits("", 0) == 0x2D06800538D394C2ULL);
}

/* ------------------------------------------------------ pinned buckets */

static void test_default_conf(void **state) {
        wt_feature_conf_t c;
        char err[256];
        (void)state;
        wt_feature_conf_default(&c);
        assert_int_equal(c.tok_flags, WT_TOK_FOLD_CASE);
        assert_int_equal(c.ngram_max, 2);
        assert_int_equal(c.bits, 20);
        assert_true(c.seed == 0x77697265746167ull); /* "wiretag" */
        assert_int_equal(c.signed_hash, 0);
        assert_int_equal(c.tf, WT_TF_LOG);
        assert_int_equal(c.idf, 1);
        assert_int_equal(c.l2norm, 1);
        assert_int_equal(c.nfields, 2);
        assert_string_equal(c.fields[0], "title");
        assert_string_equal(c.fields[1], "text");
        assert_int_equal(wt_feature_conf_check(&c, err, sizeof(err)), WT_OK);
}

static void test_bucket_pinned(void **state) {
        wt_feature_conf_t c;
        const char *uni[] = {"news"};
        const char *bi[] = {"breaking", "news"};
        int sign = 0;
        (void)state;
        wt_feature_conf_default(&c);

        /* Pinned: these values are in every trained model. A change here
         * silently invalidates all model files. */
        assert_int_equal(bucket_of_str(&c, "news", &sign), 827480);
        assert_int_equal(sign, 1);
        assert_int_equal(bucket_of_str(&c, "breaking news", &sign), 914436);
        assert_int_equal(sign, 1);
        assert_int_equal(bucket_of_str(&c, "a b c", &sign), 34611);

        /* Independently re-derived from the documented scheme. */
        assert_int_equal(ref_bucket(&c, uni, 1), 827480);
        assert_int_equal(ref_bucket(&c, bi, 2), 914436);
        assert_true(ref_token_hash(&c, "news") == 0xca05878020bb3d18ULL);

        /* Order matters; the bigram is not its unigrams' bucket. */
        assert_int_not_equal(bucket_of_str(&c, "news breaking", NULL),
                             bucket_of_str(&c, "breaking news", NULL));

        /* Fewer bits keep the top bits of the same hash. */
        c.bits = 8;
        assert_int_equal(bucket_of_str(&c, "news", NULL), 827480 >> 12);
        c.bits = 28;
        assert_int_equal(bucket_of_str(&c, "news", NULL) >> 8, 827480);

        /* Another seed gives another bucket. */
        wt_feature_conf_default(&c);
        c.seed++;
        assert_int_not_equal(bucket_of_str(&c, "news", NULL), 827480);
}

/* The hot path and the slow path (bucket_of) must agree for every order,
 * since wt_explain maps features back to text through bucket_of. */
static void test_hash_matches_bucket_of(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        size_t n;
        (void)state;
        conf_plain(&c, 4);
        c.bits = 28; /* no collisions among a few ids */
        n = hash_count(&c, fs, "Alpha beta GAMMA delta", 0, (size_t)-1,
                       &counts);
        /* 4 unigrams + 3 bigrams + 2 trigrams + 1 4-gram. */
        assert_int_equal(n, 10);
        assert_int_equal(wt_features_ntokens(fs), 4);
        assert_false(isnan(tf_of(counts, n, bucket_of_str(&c, "alpha", 0))));
        assert_false(isnan(tf_of(counts, n, bucket_of_str(&c, "gamma", 0))));
        assert_false(isnan(
                tf_of(counts, n, bucket_of_str(&c, "alpha beta", 0))));
        assert_false(isnan(
                tf_of(counts, n, bucket_of_str(&c, "beta gamma delta", 0))));
        assert_false(isnan(tf_of(counts, n,
                                 bucket_of_str(&c, "alpha beta gamma delta",
                                               0))));
        /* Case folding happened before hashing. */
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "GAMMA", 0))));
        wt_fscratch_destroy(fs);
}

/* ----------------------------------------------------------- n-grams */

static void test_abc_five_ids(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        const char *expect[] = {"a", "b", "a b", "c", "b c"};
        size_t n, i;
        (void)state;
        assert_non_null(fs);
        conf_plain(&c, 2);
        n = hash_count(&c, fs, "a b c", 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_ntokens(fs), 3);
        assert_int_equal(wt_features_nsentences(fs), 1);
        assert_int_equal(n, 5);
        /* First-seen order: a, b, "a b", c, "b c"; each once. */
        for (i = 0; i < 5; i++) {
                assert_int_equal(counts[i].bucket,
                                 bucket_of_str(&c, expect[i], NULL));
                assert_true(counts[i].tf == 1.0f);
        }
        /* No trigram with ngram_max 2. */
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "a b c", 0))));

        /* ngram_max 1: unigrams only. */
        conf_plain(&c, 1);
        n = hash_count(&c, fs, "a b c", 0, (size_t)-1, &counts);
        assert_int_equal(n, 3);

        /* ngram_max 3: 3 + 2 + 1. */
        conf_plain(&c, 3);
        n = hash_count(&c, fs, "a b c", 0, (size_t)-1, &counts);
        assert_int_equal(n, 6);
        assert_false(isnan(tf_of(counts, n, bucket_of_str(&c, "a b c", 0))));
        wt_fscratch_destroy(fs);
}

static void test_sentence_boundary(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        size_t n;
        (void)state;
        conf_plain(&c, 2);
        n = hash_count(&c, fs, "a b. C d", 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_nsentences(fs), 2);
        assert_int_equal(wt_features_ntokens(fs), 4);
        assert_int_equal(n, 6); /* a b "a b" c d "c d" */
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "b c", 0))));
        assert_true(tf_of(counts, n, bucket_of_str(&c, "a b", 0)) == 1.0f);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "c d", 0)) == 1.0f);

        /* One sentence at a time. */
        n = hash_count(&c, fs, "a b. C d", 0, 1, &counts);
        assert_int_equal(n, 3);
        assert_false(isnan(tf_of(counts, n, bucket_of_str(&c, "a b", 0))));
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "c", 0))));
        n = hash_count(&c, fs, "a b. C d", 1, 2, &counts);
        assert_int_equal(n, 3);
        assert_false(isnan(tf_of(counts, n, bucket_of_str(&c, "c d", 0))));
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "a", 0))));

        /* Empty and out-of-range ranges give nothing. */
        n = hash_count(&c, fs, "a b. C d", 1, 1, &counts);
        assert_int_equal(n, 0);
        n = hash_count(&c, fs, "a b. C d", 0, 3, &counts);
        assert_int_equal(n, 0);

        /* A newline also ends a sentence; a dot inside a number does not
         * (no whitespace after it). */
        n = hash_count(&c, fs, "x y\nz w", 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_nsentences(fs), 2);
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "y z", 0))));
        n = hash_count(&c, fs, "pi is 3.14 today", 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_nsentences(fs), 1);
        wt_fscratch_destroy(fs);
}

static void test_segments_start_sentences(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        wt_segments_t segs;
        size_t n;
        (void)state;
        conf_plain(&c, 2);
        memset(&segs, 0, sizeof(segs));
        segs.n = 2;
        segs.text[0] = wt_test_dup_exact("title words", 11);
        segs.len[0] = 11;
        segs.text[1] = wt_test_dup_exact("body text", 9);
        segs.len[1] = 9;
        assert_int_equal(wt_features_hash(&c, &segs, fs), WT_OK);
        assert_int_equal(wt_features_nsentences(fs), 2);
        assert_int_equal(wt_features_ntokens(fs), 4);
        assert_int_equal(wt_features_count(&c, fs, 0, 2, &counts, &n), WT_OK);
        assert_int_equal(n, 6);
        /* No bigram across the segment boundary. */
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "words body",
                                                         0))));
        free_segments(&segs);

        /* Empty and token-less segments: no sentence, no token. */
        memset(&segs, 0, sizeof(segs));
        segs.n = 2;
        segs.text[0] = wt_test_dup_exact("", 0);
        segs.len[0] = 0;
        segs.text[1] = wt_test_dup_exact(" ... !!", 7);
        segs.len[1] = 7;
        assert_int_equal(wt_features_hash(&c, &segs, fs), WT_OK);
        assert_int_equal(wt_features_nsentences(fs), 0);
        assert_int_equal(wt_features_ntokens(fs), 0);
        assert_int_equal(wt_features_count(&c, fs, 0, 0, &counts, &n), WT_OK);
        assert_int_equal(n, 0);
        free_segments(&segs);

        /* No segments at all. */
        memset(&segs, 0, sizeof(segs));
        assert_int_equal(wt_features_hash(&c, &segs, fs), WT_OK);
        assert_int_equal(wt_features_ntokens(fs), 0);
        wt_fscratch_destroy(fs);
}

/* ----------------------------------------------------------- counting */

static void test_counts_aggregate(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        size_t n;
        (void)state;
        conf_plain(&c, 1);
        n = hash_count(&c, fs, "x y X x", 0, (size_t)-1, &counts);
        assert_int_equal(n, 2);
        assert_int_equal(counts[0].bucket, bucket_of_str(&c, "x", NULL));
        assert_true(counts[0].tf == 3.0f);
        assert_int_equal(counts[1].bucket, bucket_of_str(&c, "y", NULL));
        assert_true(counts[1].tf == 1.0f);

        conf_plain(&c, 2);
        n = hash_count(&c, fs, "x x x", 0, (size_t)-1, &counts);
        assert_int_equal(n, 2);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "x", 0)) == 3.0f);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "x x", 0)) == 2.0f);

        /* Counts add up across sentences of the range. */
        n = hash_count(&c, fs, "x y. x y. x", 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_nsentences(fs), 3);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "x", 0)) == 3.0f);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "x y", 0)) == 2.0f);
        assert_true(isnan(tf_of(counts, n, bucket_of_str(&c, "y x", 0))));

        /* Digit folding maps 1984 and 2024 to the same token. */
        c.tok_flags |= WT_TOK_FOLD_DIGITS;
        n = hash_count(&c, fs, "1984 2024", 0, (size_t)-1, &counts);
        assert_true(tf_of(counts, n, bucket_of_str(&c, "0000", 0)) == 2.0f);
        wt_fscratch_destroy(fs);
}

/* A large document: the counting table and scratch buffers grow, and the
 * result does not depend on what the scratch saw before. */
static void test_counts_large_and_reuse(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new(), *fresh = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        wt_bucket_count_t *copy;
        size_t n, n2, i, len = 0;
        char *big = malloc(200000);
        (void)state;
        assert_non_null(big);
        conf_plain(&c, 2);
        for (i = 0; i < 20000; i++)
                len += (size_t)sprintf(big + len, "w%zu ", i % 5000);
        n = hash_count(&c, fs, big, 0, (size_t)-1, &counts);
        assert_int_equal(wt_features_ntokens(fs), 20000);
        /* 5000 unigrams seen 4 times; 5000 bigrams "wi wi+1" (the
         * wrap-around "w4999 w0" 3 times). Distinct buckets, computed
         * through bucket_of, some colliding at 2^20. */
        {
                uint32_t *b = malloc(10000 * sizeof(*b));
                size_t nb = 0, k, distinct = 0;
                double total = 0;
                char g[64];
                assert_non_null(b);
                for (i = 0; i < 5000; i++) {
                        snprintf(g, sizeof(g), "w%zu", i);
                        b[nb++] = bucket_of_str(&c, g, NULL);
                        snprintf(g, sizeof(g), "w%zu w%zu", i,
                                 (i + 1) % 5000);
                        b[nb++] = bucket_of_str(&c, g, NULL);
                }
                for (i = 0; i < nb; i++) { /* count distinct, O(n^2) ok */
                        for (k = 0; k < i; k++)
                                if (b[k] == b[i])
                                        break;
                        distinct += k == i;
                }
                assert_int_equal(n, distinct);
                for (i = 0; i < n; i++)
                        total += counts[i].tf;
                assert_true(total == 20000.0 + 19999.0); /* every id */
                free(b);
        }
        assert_true(tf_of(counts, n, bucket_of_str(&c, "w17", 0)) >= 4.0f);

        /* Re-counting a small document after the big one. */
        n = hash_count(&c, fs, "p q r", 0, (size_t)-1, &counts);
        copy = malloc(n * sizeof(*copy));
        assert_non_null(copy);
        memcpy(copy, counts, n * sizeof(*copy));
        n2 = hash_count(&c, fresh, "p q r", 0, (size_t)-1, &counts);
        assert_int_equal(n, n2);
        assert_memory_equal(copy, counts, n * sizeof(*copy));
        free(copy);
        free(big);
        wt_fscratch_destroy(fs);
        wt_fscratch_destroy(fresh);
}

/* ------------------------------------------------------- vectorising */

/* Build a vocab of the given n-grams (sorted by bucket) with idf. */
static wt_vocab_t *make_vocab(const wt_feature_conf_t *c,
                              const char *const *ngrams, const float *idf,
                              size_t n, uint32_t *buckets_out) {
        uint32_t b[16];
        float f[16];
        size_t i, j;
        wt_vocab_t *v;
        assert_true(n <= 16);
        for (i = 0; i < n; i++) {
                b[i] = bucket_of_str(c, ngrams[i], NULL);
                f[i] = idf ? idf[i] : 1.0f;
        }
        for (i = 1; i < n; i++) /* insertion sort by bucket */
                for (j = i; j > 0 && b[j - 1] > b[j]; j--) {
                        uint32_t tb = b[j];
                        float tf = f[j];
                        b[j] = b[j - 1];
                        f[j] = f[j - 1];
                        b[j - 1] = tb;
                        f[j - 1] = tf;
                }
        assert_int_equal(wt_vocab_new(b, f, n, &v), WT_OK);
        if (buckets_out)
                memcpy(buckets_out, b, n * sizeof(*b));
        return v;
}

static float value_of(const wt_feature_t *f, size_t n, int64_t row) {
        size_t i;
        for (i = 0; i < n; i++)
                if ((int64_t)f[i].row == row)
                        return f[i].value;
        return NAN;
}

static void test_tfidf_l2_arithmetic(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        const wt_feature_t *feats;
        const char *grams[] = {"x", "y", "z"};
        const float idf[] = {2.0f, 0.5f, 3.0f};
        wt_vocab_t *v;
        size_t n, nf;
        int64_t rx, ry;
        double ex, ey, norm;
        (void)state;
        conf_plain(&c, 1); /* log tf, idf, L2 */
        v = make_vocab(&c, grams, idf, 3, NULL);
        assert_int_equal(wt_vocab_size(v), 3);
        rx = wt_vocab_lookup(v, bucket_of_str(&c, "x", NULL));
        ry = wt_vocab_lookup(v, bucket_of_str(&c, "y", NULL));
        assert_true(rx >= 0 && ry >= 0 && rx != ry);
        assert_true(wt_vocab_idf(v)[rx] == 2.0f);
        assert_true(wt_vocab_idf(v)[ry] == 0.5f);

        /* "x x x y w": w is not in the vocabulary and is dropped. */
        n = hash_count(&c, fs, "x x x y w", 0, (size_t)-1, &counts);
        assert_int_equal(n, 3);
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_int_equal(nf, 2);
        ex = (1.0 + log(3.0)) * 2.0; /* 4.19722458 */
        ey = 1.0 * 0.5;
        norm = sqrt(ex * ex + ey * ey);
        assert_float_equal(value_of(feats, nf, rx), ex / norm, 1e-6);
        assert_float_equal(value_of(feats, nf, ry), ey / norm, 1e-6);
        assert_float_equal(value_of(feats, nf, rx), 0.99297910, 1e-6);
        assert_float_equal(value_of(feats, nf, ry), 0.11828996, 1e-6);

        /* Without L2: the raw products. */
        c.l2norm = 0;
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_float_equal(value_of(feats, nf, rx), ex, 1e-6);
        assert_float_equal(value_of(feats, nf, ry), ey, 1e-6);

        /* Raw tf, no idf. */
        c.tf = WT_TF_RAW;
        c.idf = 0;
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_float_equal(value_of(feats, nf, rx), 3.0, 1e-6);
        assert_float_equal(value_of(feats, nf, ry), 1.0, 1e-6);

        /* Binary tf with idf and L2: (2, 0.5) / sqrt(4.25). */
        c.tf = WT_TF_BINARY;
        c.idf = 1;
        c.l2norm = 1;
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_float_equal(value_of(feats, nf, rx), 2.0 / sqrt(4.25), 1e-6);
        assert_float_equal(value_of(feats, nf, ry), 0.5 / sqrt(4.25), 1e-6);

        /* Binary tf without L2: idf alone. */
        c.l2norm = 0;
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_float_equal(value_of(feats, nf, rx), 2.0, 1e-6);
        assert_float_equal(value_of(feats, nf, ry), 0.5, 1e-6);

        /* A document with no known feature: empty vector, no NaN. */
        conf_plain(&c, 1);
        n = hash_count(&c, fs, "unknown words only", 0, (size_t)-1, &counts);
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_int_equal(nf, 0);
        wt_vocab_destroy(v);
        wt_fscratch_destroy(fs);
}

static void test_signed_hashing(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        const wt_feature_t *feats;
        char pos[16] = "", neg[16] = "", text[64];
        const char *grams[2];
        wt_vocab_t *v;
        size_t n, nf, i;
        int sign;
        (void)state;
        conf_plain(&c, 1);
        c.signed_hash = 1;
        /* Find a token of each sign; the sign is bit 0 of its hash. */
        for (i = 0; i < 64; i++) {
                char tok[16];
                uint64_t h;
                snprintf(tok, sizeof(tok), "tok%zu", i);
                h = XXH3_64bits_withSeed(tok, strlen(tok), c.seed);
                (void)bucket_of_str(&c, tok, &sign);
                assert_int_equal(sign, (h & 1) ? -1 : 1);
                /* The hot path signs the count the same way. */
                {
                        char twice[40];
                        snprintf(twice, sizeof(twice), "%s %s", tok, tok);
                        n = hash_count(&c, fs, twice, 0, (size_t)-1,
                                       &counts);
                        assert_int_equal(n, 1);
                        assert_true(counts[0].tf == 2.0f * (float)sign);
                }
                if (sign < 0 && !*neg)
                        strcpy(neg, tok);
                if (sign > 0 && !*pos)
                        strcpy(pos, tok);
        }
        assert_true(*pos && *neg);

        snprintf(text, sizeof(text), "%s %s %s", neg, pos, neg);
        n = hash_count(&c, fs, text, 0, (size_t)-1, &counts);
        assert_int_equal(n, 2);
        assert_true(tf_of(counts, n, bucket_of_str(&c, neg, 0)) == -2.0f);
        assert_true(tf_of(counts, n, bucket_of_str(&c, pos, 0)) == 1.0f);

        grams[0] = neg;
        grams[1] = pos;
        v = make_vocab(&c, grams, NULL, 2, NULL);
        c.idf = 0;
        c.l2norm = 0;
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_int_equal(nf, 2);
        /* Sublinear tf keeps the sign: -(1 + ln 2). */
        assert_float_equal(
                value_of(feats, nf,
                         wt_vocab_lookup(v, bucket_of_str(&c, neg, 0))),
                -(1.0 + log(2.0)), 1e-6);
        assert_float_equal(
                value_of(feats, nf,
                         wt_vocab_lookup(v, bucket_of_str(&c, pos, 0))),
                1.0, 1e-6);

        /* Unsigned hashing: the same token always counts +1. */
        c.signed_hash = 0;
        (void)bucket_of_str(&c, neg, &sign);
        assert_int_equal(sign, 1);
        n = hash_count(&c, fs, text, 0, (size_t)-1, &counts);
        assert_true(tf_of(counts, n, bucket_of_str(&c, neg, 0)) == 2.0f);

        wt_vocab_destroy(v);
        wt_fscratch_destroy(fs);
}

/* Signed hashing: two tokens sharing a bucket with opposite signs cancel,
 * and a bucket whose count is 0 is no feature (not a 0 value, and never
 * 1 + ln 0). */
static void test_signed_cancel(void **state) {
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        const wt_bucket_count_t *counts;
        const wt_feature_t *feats;
        uint32_t bucket[512];
        int sign[512];
        char a[16] = "", b[16] = "", text[64];
        size_t i, j, n, nf;
        wt_vocab_t *v;
        (void)state;
        conf_plain(&c, 1);
        c.signed_hash = 1;
        c.bits = 8; /* 256 buckets: collisions are easy to find */
        for (i = 0; i < 512 && !*a; i++) {
                char tok[16];
                snprintf(tok, sizeof(tok), "t%zu", i);
                bucket[i] = bucket_of_str(&c, tok, &sign[i]);
                for (j = 0; j < i; j++)
                        if (bucket[j] == bucket[i] && sign[j] != sign[i]) {
                                snprintf(a, sizeof(a), "t%zu", j);
                                snprintf(b, sizeof(b), "t%zu", i);
                                break;
                        }
        }
        assert_true(*a && *b);
        snprintf(text, sizeof(text), "%s %s", a, b);
        n = hash_count(&c, fs, text, 0, (size_t)-1, &counts);
        assert_int_equal(n, 1);
        assert_true(counts[0].tf == 0.0f);
        assert_int_equal(wt_vocab_new(&counts[0].bucket, NULL, 1, &v), WT_OK);
        assert_int_equal(wt_vocab_vectorize(&c, v, fs, counts, n, &feats,
                                            &nf),
                         WT_OK);
        assert_int_equal(nf, 0);
        wt_vocab_destroy(v);
        wt_fscratch_destroy(fs);
}

static void test_vocab(void **state) {
        const uint32_t b[] = {3, 10, 11, 1000, 1048575};
        const float idf[] = {1.5f, 2.5f, 3.5f, 4.5f, 5.5f};
        const uint32_t unsorted[] = {3, 2};
        const uint32_t dup[] = {3, 3};
        wt_vocab_t *v;
        size_t i;
        (void)state;
        assert_int_equal(wt_vocab_new(b, idf, 5, &v), WT_OK);
        assert_int_equal(wt_vocab_size(v), 5);
        for (i = 0; i < 5; i++) {
                assert_int_equal(wt_vocab_lookup(v, b[i]), (int64_t)i);
                assert_true(wt_vocab_idf(v)[i] == idf[i]);
                assert_int_equal(wt_vocab_buckets(v)[i], b[i]);
        }
        /* Misses, including bucket 0 (the table's empty key is 0). */
        assert_int_equal(wt_vocab_lookup(v, 0), -1);
        assert_int_equal(wt_vocab_lookup(v, 4), -1);
        assert_int_equal(wt_vocab_lookup(v, 999), -1);
        assert_int_equal(wt_vocab_lookup(v, 1048574), -1);
        wt_vocab_destroy(v);

        /* idf NULL means 1. */
        assert_int_equal(wt_vocab_new(b, NULL, 5, &v), WT_OK);
        assert_true(wt_vocab_idf(v)[2] == 1.0f);
        wt_vocab_destroy(v);

        /* Empty vocabulary: every lookup misses. */
        assert_int_equal(wt_vocab_new(NULL, NULL, 0, &v), WT_OK);
        assert_int_equal(wt_vocab_size(v), 0);
        assert_int_equal(wt_vocab_lookup(v, 0), -1);
        assert_int_equal(wt_vocab_lookup(v, 12345), -1);
        wt_vocab_destroy(v);

        /* Buckets must be strictly increasing. */
        v = (wt_vocab_t *)1;
        assert_int_equal(wt_vocab_new(unsorted, NULL, 2, &v),
                         WT_ERR_INVALID_ARG);
        assert_null(v);
        v = (wt_vocab_t *)1;
        assert_int_equal(wt_vocab_new(dup, NULL, 2, &v), WT_ERR_INVALID_ARG);
        assert_null(v);

        /* A larger vocabulary: every bucket found, neighbours missed. */
        {
                uint32_t *big = malloc(5000 * sizeof(*big));
                assert_non_null(big);
                for (i = 0; i < 5000; i++)
                        big[i] = (uint32_t)(i * 7 + 1);
                assert_int_equal(wt_vocab_new(big, NULL, 5000, &v), WT_OK);
                for (i = 0; i < 5000; i++) {
                        assert_int_equal(wt_vocab_lookup(v, big[i]),
                                         (int64_t)i);
                        assert_int_equal(wt_vocab_lookup(v, big[i] + 1), -1);
                }
                wt_vocab_destroy(v);
                free(big);
        }
        wt_vocab_destroy(NULL); /* accepted */
}

/* wt_features_count_doc() against wt_features_count() range by range:
 * the same lists in the same order, for the document and each sentence.
 * copy: the document's counts are copied out before the sentence counts
 * (the next wt_features_count() reuses the same array). */
static void expect_count_doc_matches(const wt_feature_conf_t *c,
                                     wt_fscratch_t *fs) {
        const wt_bucket_count_t *doc, *ref, *sc;
        wt_bucket_count_t *copy;
        size_t ndoc, nref, nsc, ns = wt_features_nsentences(fs), i, k;

        assert_int_equal(wt_features_count_doc(c, fs, 1, &doc, &ndoc), WT_OK);
        copy = malloc((ndoc ? ndoc : 1) * sizeof(*copy));
        assert_non_null(copy);
        memcpy(copy, doc, ndoc * sizeof(*copy));
        for (i = 0; i < ns; i++) {
                wt_bucket_count_t *want;
                wt_features_sentence_counts(fs, i, &sc, &nsc);
                want = malloc((nsc ? nsc : 1) * sizeof(*want));
                assert_non_null(want);
                memcpy(want, sc, nsc * sizeof(*want));
                assert_int_equal(wt_features_count(c, fs, i, i + 1, &ref,
                                                   &nref),
                                 WT_OK);
                assert_int_equal(nsc, nref);
                for (k = 0; k < nref; k++) {
                        assert_int_equal(want[k].bucket, ref[k].bucket);
                        assert_true(want[k].tf == ref[k].tf);
                }
                free(want);
        }
        assert_int_equal(wt_features_count(c, fs, 0, ns, &ref, &nref), WT_OK);
        assert_int_equal(ndoc, nref);
        for (k = 0; k < nref; k++) {
                assert_int_equal(copy[k].bucket, ref[k].bucket);
                assert_true(copy[k].tf == ref[k].tf);
        }
        free(copy);
        /* Without sentences: the same document counts. */
        assert_int_equal(wt_features_count_doc(c, fs, 0, &doc, &ndoc), WT_OK);
        assert_int_equal(ndoc, nref);
}

/* Counting a document: rows of a vocabulary go through a direct map,
 * buckets through a hash table; both give what counting range by range
 * gives, document after document on one scratch (so the map is left
 * clear), with repeated, signed and cancelling features. */
static void test_count_doc(void **state) {
        static const char *const docs[] = {
                ("Troops shelled the town. The town fell! Talks began in "
                 "Geneva; the town was quiet."),
                "a b a b a b. b a b a. a",
                "", /* nothing to count */
                "Peace talks. Peace talks again. Talks, talks, talks.",
                "one",
        };
        wt_feature_conf_t c;
        wt_fscratch_t *fs = wt_fscratch_new();
        uint32_t *buckets = NULL;
        size_t nb = 0, cap = 0, d, i, k;
        wt_vocab_t *v;
        (void)state;
        assert_non_null(fs);
        for (int sgn = 0; sgn < 2; sgn++) {
                conf_plain(&c, 2);
                c.signed_hash = sgn;
                c.bits = 6; /* collisions, so signs cancel in places */
                /* A vocabulary of every other bucket the texts use. */
                nb = 0;
                for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                        wt_segments_t segs;
                        const wt_bucket_count_t *counts;
                        size_t n;
                        one_segment(&segs, docs[d]);
                        assert_int_equal(wt_features_hash(&c, &segs, fs),
                                         WT_OK);
                        free_segments(&segs);
                        expect_count_doc_matches(&c, fs); /* the table */
                        assert_int_equal(
                                wt_features_count(&c, fs, 0,
                                                  wt_features_nsentences(fs),
                                                  &counts, &n),
                                WT_OK);
                        for (k = 0; k < n; k++) {
                                if (nb == cap) {
                                        cap = cap ? 2 * cap : 64;
                                        buckets = realloc(
                                                buckets,
                                                cap * sizeof(*buckets));
                                        assert_non_null(buckets);
                                }
                                buckets[nb++] = counts[k].bucket;
                        }
                }
                /* Sort, unique, keep every other. */
                for (i = 1; i < nb; i++)
                        for (k = i; k > 0 && buckets[k - 1] > buckets[k]; k--) {
                                uint32_t t = buckets[k];
                                buckets[k] = buckets[k - 1];
                                buckets[k - 1] = t;
                        }
                for (i = k = 0; i < nb; i++)
                        if (!k || buckets[k - 1] != buckets[i])
                                buckets[k++] = buckets[i];
                for (i = nb = 0; i < k; i += 2)
                        buckets[nb++] = buckets[i];
                assert_true(nb > 3);
                assert_int_equal(wt_vocab_new(buckets, NULL, nb, &v), WT_OK);
                for (int round = 0; round < 2; round++)
                        for (d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
                                wt_segments_t segs;
                                one_segment(&segs, docs[d]);
                                assert_int_equal(wt_features_hash_rows(
                                                         &c, v, &segs, fs),
                                                 WT_OK);
                                free_segments(&segs);
                                expect_count_doc_matches(&c, fs);
                        }
                wt_vocab_destroy(v);
        }
        free(buckets);
        wt_fscratch_destroy(fs);
}

/* -------------------------------------------------------- conf checks */

static void expect_conf_bad(const wt_feature_conf_t *c) {
        char err[256];
        err[0] = '\0';
        assert_int_equal(wt_feature_conf_check(c, err, sizeof(err)),
                         WT_ERR_INVALID_ARG);
        assert_true(strlen(err) > 0);
}

static void test_conf_check(void **state) {
        wt_feature_conf_t c;
        char err[256];
        (void)state;

#define BAD_CONF(stmt)                                                         \
        do {                                                                   \
                wt_feature_conf_default(&c);                                   \
                stmt;                                                          \
                expect_conf_bad(&c);                                           \
        } while (0)
#define GOOD_CONF(stmt)                                                        \
        do {                                                                   \
                wt_feature_conf_default(&c);                                   \
                stmt;                                                          \
                assert_int_equal(wt_feature_conf_check(&c, err, sizeof(err)),  \
                                 WT_OK);                                       \
        } while (0)

        BAD_CONF(c.tok_flags = 0x4);
        BAD_CONF(c.ngram_max = 0);
        BAD_CONF(c.ngram_max = WT_NGRAM_MAX + 1);
        BAD_CONF(c.bits = WT_BITS_MIN - 1);
        BAD_CONF(c.bits = WT_BITS_MAX + 1);
        BAD_CONF(c.bits = 0);
        BAD_CONF(c.tf = (wt_tf_t)3);
        BAD_CONF(c.nfields = 0);
        BAD_CONF(c.nfields = WT_FIELDS_MAX + 1);
        BAD_CONF(c.fields[1][0] = '\0');
        BAD_CONF(memset(c.fields[0], 'a', WT_FIELD_NAME_MAX)); /* no NUL */

        GOOD_CONF((void)0);
        GOOD_CONF(c.tok_flags = WT_TOK_FOLD_CASE | WT_TOK_FOLD_DIGITS);
        GOOD_CONF(c.tok_flags = 0);
        GOOD_CONF(c.ngram_max = 1);
        GOOD_CONF(c.ngram_max = WT_NGRAM_MAX);
        GOOD_CONF(c.bits = WT_BITS_MIN);
        GOOD_CONF(c.bits = WT_BITS_MAX);
        GOOD_CONF(c.tf = WT_TF_BINARY);
        GOOD_CONF(c.nfields = 1);
        GOOD_CONF((memset(c.fields[0], 'a', WT_FIELD_NAME_MAX - 1),
                   c.fields[0][WT_FIELD_NAME_MAX - 1] = '\0'));
#undef BAD_CONF
#undef GOOD_CONF

        /* errstr may be NULL. */
        wt_feature_conf_default(&c);
        c.bits = 99;
        assert_int_equal(wt_feature_conf_check(&c, NULL, 0),
                         WT_ERR_INVALID_ARG);
}

static void test_conf_set_fields(void **state) {
        wt_feature_conf_t c;
        char err[256], list[1024];
        size_t i;
        (void)state;

        wt_feature_conf_default(&c);
        assert_int_equal(wt_feature_conf_set_fields(&c, "headline,body", err,
                                                    sizeof(err)),
                         WT_OK);
        assert_int_equal(c.nfields, 2);
        assert_string_equal(c.fields[0], "headline");
        assert_string_equal(c.fields[1], "body");
        assert_int_equal(wt_feature_conf_check(&c, err, sizeof(err)), WT_OK);

        assert_int_equal(wt_feature_conf_set_fields(&c, "text", err,
                                                    sizeof(err)),
                         WT_OK);
        assert_int_equal(c.nfields, 1);
        assert_string_equal(c.fields[0], "text");

        /* Exactly WT_FIELDS_MAX names, and the longest legal name. */
        list[0] = '\0';
        for (i = 0; i < WT_FIELDS_MAX; i++)
                sprintf(list + strlen(list), "%sf%zu", i ? "," : "", i);
        assert_int_equal(wt_feature_conf_set_fields(&c, list, err,
                                                    sizeof(err)),
                         WT_OK);
        assert_int_equal(c.nfields, WT_FIELDS_MAX);
        assert_string_equal(c.fields[WT_FIELDS_MAX - 1], "f7");
        memset(list, 'n', WT_FIELD_NAME_MAX - 1);
        list[WT_FIELD_NAME_MAX - 1] = '\0';
        assert_int_equal(wt_feature_conf_set_fields(&c, list, err,
                                                    sizeof(err)),
                         WT_OK);
        assert_int_equal(strlen(c.fields[0]), WT_FIELD_NAME_MAX - 1);

        /* Errors, each with a message quoting the list. */
        {
                static const char *bad[] = {"", ",", "a,", ",a", "a,,b"};
                for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                        err[0] = '\0';
                        wt_feature_conf_default(&c);
                        if (wt_feature_conf_set_fields(&c, bad[i], err,
                                                       sizeof(err)) !=
                            WT_ERR_INVALID_ARG)
                                fail_msg("field list \"%s\" accepted",
                                         bad[i]);
                        assert_true(strlen(err) > 0);
                        assert_non_null(strstr(err, "empty"));
                }
        }
        /* Too long a name. */
        memset(list, 'n', WT_FIELD_NAME_MAX);
        list[WT_FIELD_NAME_MAX] = '\0';
        err[0] = '\0';
        assert_int_equal(wt_feature_conf_set_fields(&c, list, err,
                                                    sizeof(err)),
                         WT_ERR_INVALID_ARG);
        assert_non_null(strstr(err, "too long"));
        /* Too many names. */
        list[0] = '\0';
        for (i = 0; i <= WT_FIELDS_MAX; i++)
                sprintf(list + strlen(list), "%sf%zu", i ? "," : "", i);
        err[0] = '\0';
        assert_int_equal(wt_feature_conf_set_fields(&c, list, err,
                                                    sizeof(err)),
                         WT_ERR_INVALID_ARG);
        assert_true(strlen(err) > 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_xxh3_known_answers),
                cmocka_unit_test(test_default_conf),
                cmocka_unit_test(test_bucket_pinned),
                cmocka_unit_test(test_hash_matches_bucket_of),
                cmocka_unit_test(test_abc_five_ids),
                cmocka_unit_test(test_sentence_boundary),
                cmocka_unit_test(test_segments_start_sentences),
                cmocka_unit_test(test_counts_aggregate),
                cmocka_unit_test(test_counts_large_and_reuse),
                cmocka_unit_test(test_tfidf_l2_arithmetic),
                cmocka_unit_test(test_signed_hashing),
                cmocka_unit_test(test_signed_cancel),
                cmocka_unit_test(test_vocab),
                cmocka_unit_test(test_count_doc),
                cmocka_unit_test(test_conf_check),
                cmocka_unit_test(test_conf_set_fields),
        };
        return cmocka_run_group_tests_name("features", tests, NULL, NULL);
}
