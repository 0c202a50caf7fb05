/*
 * wiretag - test_model.c: unit tests for the .wtm model file format
 * (wt_model_serialize / save / load / load_buffer).
 *
 * A small model is built by hand through wt_model_int.h, so every field
 * has a known value. Then:
 *  - round trips (buffer and file) preserve every field and every score;
 *  - every truncation is rejected;
 *  - every bit of the header and section table matters: flipped with the
 *    stored checksum kept, the checksum catches it; flipped with the
 *    checksum recomputed (a hostile or "repaired" file), the loader's own
 *    checks reject it, or the model loaded is the same model;
 *  - random body corruption with a recomputed checksum never crashes;
 *  - semantically impossible values are rejected with messages.
 * Every buffer handed to the loader is an exact-size heap copy, so an ASan
 * build catches any read outside it.
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
#include <dirent.h>
#include <xxhash.h>

#include "wt_model.h"
#include "wt_model_int.h"
#include "wt_tokenizer.h"
#include "wt_test.h"

#define HDR_SIZE 24
#define SEC_SIZE 24
#define NSEC     4
#define TABLE_END (HDR_SIZE + NSEC * SEC_SIZE)

/* --------------------------------------------------------- the model */

static const char *const hand_grams[] = {
        "quake", "storm", "market", "shares", "quake hit",
        "rain",  "stocks", "the",   "strong", "heavy rain",
};
#define NGRAMS (sizeof(hand_grams) / sizeof(hand_grams[0]))

static uint32_t gram_bucket(const wt_feature_conf_t *c, const char *ngram) {
        char copy[128];
        const char *toks[WT_NGRAM_MAX];
        size_t lens[WT_NGRAM_MAX];
        unsigned n = 0;
        char *p, *save = NULL;
        int sign;
        snprintf(copy, sizeof(copy), "%s", ngram);
        for (p = strtok_r(copy, " ", &save); p && n < WT_NGRAM_MAX;
             p = strtok_r(NULL, " ", &save)) {
                toks[n] = p;
                lens[n] = strlen(p);
                n++;
        }
        return wt_features_bucket_of(c, toks, lens, n, &sign);
}

static int u32cmp(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

/** A 3-label multi-label model with 10 features and mixed pooling. */
static wt_model_t *hand_model(void) {
        wt_model_t *m = wt_model_alloc(3);
        uint32_t buckets[NGRAMS];
        float idf[NGRAMS];
        size_t i, l, nf = NGRAMS;
        assert_non_null(m);
        m->name = strdup("handmade");
        wt_feature_conf_default(&m->conf);
        m->conf.bits = 16;
        m->multilabel = 1;
        m->score_kind = WT_SCORE_PROBABILITY;
        m->labels[0] = strdup("alpha");
        m->labels[1] = strdup("beta");
        m->labels[2] = strdup("gamma");
        m->thresholds[0] = 0.5f;
        m->thresholds[1] = 0.25f;
        m->thresholds[2] = 0.75f;
        m->pooling[1] = WT_POOL_SENTENCE_MAX;
        m->any_sentence_pool = 1;
        for (i = 0; i < nf; i++)
                buckets[i] = gram_bucket(&m->conf, hand_grams[i]);
        qsort(buckets, nf, sizeof(*buckets), u32cmp);
        for (i = 1; i < nf; i++)
                assert_true(buckets[i] > buckets[i - 1]); /* no collision */
        for (i = 0; i < nf; i++)
                idf[i] = 1.0f + 0.25f * (float)i;
        assert_int_equal(wt_vocab_new(buckets, idf, nf, &m->vocab), WT_OK);
        m->weights = malloc(nf * 3 * sizeof(*m->weights));
        assert_non_null(m->weights);
        for (i = 0; i < nf; i++)
                for (l = 0; l < 3; l++)
                        m->weights[i * 3 + l] =
                                (float)((int)((i * 7 + l * 3) % 11) - 5) *
                                0.375f;
        m->bias[0] = -0.5f;
        m->bias[1] = 0.125f;
        m->bias[2] = -1.75f;
        json_object_set_new(m->meta, "note", json_string("made by hand"));
        json_object_set_new(m->meta, "docs", json_integer(42));
        assert_true(m->name && m->labels[0] && m->labels[1] && m->labels[2]);
        return m;
}

static void serialize(const wt_model_t *m, unsigned char **buf,
                      size_t *len) {
        assert_int_equal(wt_model_serialize(m, buf, len), WT_OK);
        assert_non_null(*buf);
        assert_true(*len > TABLE_END + 8);
}

static uint64_t rd64(const unsigned char *p) {
        uint64_t v = 0;
        int i;
        for (i = 7; i >= 0; i--)
                v = v << 8 | p[i];
        return v;
}

static void wr64(unsigned char *p, uint64_t v) {
        int i;
        for (i = 0; i < 8; i++)
                p[i] = (unsigned char)(v >> (8 * i));
}

/** Make the trailer match the content again. */
static void fix_checksum(unsigned char *buf, size_t len) {
        wr64(buf + len - 8, XXH3_64bits(buf, len - 8));
}

/** Load from an exact-size copy. */
static wt_err_t load_copy(const unsigned char *buf, size_t len,
                          wt_model_t **m, char *err, size_t errsize) {
        char *copy = wt_test_dup_exact(buf, len);
        wt_err_t e;
        err[0] = '\0';
        e = wt_model_load_buffer(copy, len, m, err, errsize);
        free(copy);
        return e;
}

/** Everything that decides a score is the same. */
static void assert_core_equal(const wt_model_t *a, const wt_model_t *b) {
        size_t i, nf, L;
        const wt_feature_conf_t *ca = wt_model_feature_conf(a),
                                *cb = wt_model_feature_conf(b);
        assert_string_equal(wt_model_name(a), wt_model_name(b));
        assert_int_equal(wt_model_nlabels(a), wt_model_nlabels(b));
        L = wt_model_nlabels(a);
        for (i = 0; i < L; i++) {
                float ta = wt_model_threshold(a, i),
                      tb = wt_model_threshold(b, i);
                assert_string_equal(wt_model_label(a, i), wt_model_label(b, i));
                assert_memory_equal(&ta, &tb, sizeof(ta));
                assert_int_equal(wt_model_pooling(a, i), wt_model_pooling(b, i));
                assert_int_equal(wt_model_label_index(b, wt_model_label(a, i)),
                                 (int)i);
        }
        assert_int_equal(wt_model_is_multilabel(a), wt_model_is_multilabel(b));
        assert_int_equal(wt_model_score_kind(a), wt_model_score_kind(b));
        assert_int_equal(ca->tok_flags, cb->tok_flags);
        assert_int_equal(ca->ngram_max, cb->ngram_max);
        assert_int_equal(ca->bits, cb->bits);
        assert_true(ca->seed == cb->seed);
        assert_int_equal(ca->signed_hash, cb->signed_hash);
        assert_int_equal(ca->tf, cb->tf);
        assert_int_equal(ca->idf, cb->idf);
        assert_int_equal(ca->l2norm, cb->l2norm);
        assert_int_equal(ca->nfields, cb->nfields);
        for (i = 0; i < ca->nfields; i++)
                assert_string_equal(ca->fields[i], cb->fields[i]);
        assert_int_equal(wt_model_nfeatures(a), wt_model_nfeatures(b));
        nf = wt_model_nfeatures(a);
        assert_int_equal(a->any_sentence_pool, b->any_sentence_pool);
        if (nf) {
                assert_memory_equal(wt_vocab_buckets(a->vocab),
                                    wt_vocab_buckets(b->vocab),
                                    nf * sizeof(uint32_t));
                assert_memory_equal(wt_vocab_idf(a->vocab),
                                    wt_vocab_idf(b->vocab), nf * sizeof(float));
                assert_memory_equal(a->weights, b->weights,
                                    nf * L * sizeof(float));
        }
        assert_memory_equal(a->bias, b->bias, L * sizeof(float));
}

static const char *const probe_docs[] = {
        "A strong quake hit the city. Heavy rain followed.",
        "Stocks and shares: the market fell",
        "storm storm storm. rain! quake hit quake hit",
        "nothing known here",
        "",
        "The. The. The.",
};
#define NPROBES (sizeof(probe_docs) / sizeof(probe_docs[0]))

/** Scores of the probe documents, L floats per doc, into out. */
static void probe_scores(const wt_model_t *m, float *out) {
        wt_scratch_t *s = wt_scratch_new();
        size_t d, L = wt_model_nlabels(m);
        assert_non_null(s);
        for (d = 0; d < NPROBES; d++) {
                wt_segments_t segs;
                wt_prediction_t p;
                memset(&segs, 0, sizeof(segs));
                segs.n = 1;
                segs.text[0] = probe_docs[d];
                segs.len[0] = strlen(probe_docs[d]);
                assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
                memcpy(out + d * L, p.scores, L * sizeof(float));
        }
        wt_scratch_destroy(s);
}

static void assert_same_scores(const wt_model_t *a, const wt_model_t *b) {
        size_t L = wt_model_nlabels(a);
        float *sa = calloc(NPROBES * L, sizeof(float)),
              *sb = calloc(NPROBES * L, sizeof(float));
        assert_true(sa && sb);
        probe_scores(a, sa);
        probe_scores(b, sb);
        assert_memory_equal(sa, sb, NPROBES * L * sizeof(float));
        free(sa);
        free(sb);
}

/* ------------------------------------------------------- round trips */

static void test_roundtrip_buffer(void **state) {
        wt_model_t *m = hand_model(), *m2 = NULL, *m3 = NULL;
        unsigned char *buf, *buf2;
        size_t len, len2;
        char err[512], id[17];
        (void)state;
        serialize(m, &buf, &len);

        /* Layout: magic, version, 4 sections, size, checksum. */
        assert_memory_equal(buf, "WIRETAG\0", 8);
        assert_int_equal(buf[8], WT_MODEL_FORMAT_VERSION);
        assert_int_equal(buf[12], NSEC);
        assert_true(rd64(buf + 16) == len);
        assert_true(rd64(buf + len - 8) == XXH3_64bits(buf, len - 8));
        assert_memory_equal(buf + HDR_SIZE, "CONF", 4);
        assert_memory_equal(buf + HDR_SIZE + SEC_SIZE, "META", 4);
        assert_memory_equal(buf + HDR_SIZE + 2 * SEC_SIZE, "VOCB", 4);
        assert_memory_equal(buf + HDR_SIZE + 3 * SEC_SIZE, "WGHT", 4);

        assert_int_equal(load_copy(buf, len, &m2, err, sizeof(err)), WT_OK);
        assert_non_null(m2);
        assert_core_equal(m, m2);
        assert_true(json_equal(wt_model_meta(m), wt_model_meta(m2)));
        assert_same_scores(m, m2);

        /* The model id is the checksum, 16 hex digits. */
        snprintf(id, sizeof(id), "%016llx",
                 (unsigned long long)rd64(buf + len - 8));
        assert_string_equal(wt_model_id(m2), id);

        /* Serialising the loaded model gives the same bytes. */
        serialize(m2, &buf2, &len2);
        assert_int_equal(len, len2);
        assert_memory_equal(buf, buf2, len);

        /* Loading needs no errstr. */
        assert_int_equal(wt_model_load_buffer(buf, len, &m3, NULL, 0), WT_OK);
        assert_core_equal(m, m3);

        /* The model card. */
        {
                json_t *info = wt_model_info_json(m2);
                json_t *labels = json_object_get(info, "labels");
                assert_non_null(info);
                assert_string_equal(
                        json_string_value(json_object_get(info, "name")),
                        "handmade");
                assert_string_equal(
                        json_string_value(json_object_get(info, "model_id")),
                        id);
                assert_int_equal(json_integer_value(json_object_get(
                                         info, "nfeatures")),
                                 NGRAMS);
                assert_int_equal(json_array_size(labels), 3);
                assert_string_equal(
                        json_string_value(json_object_get(
                                json_array_get(labels, 1), "pooling")),
                        "sentence_max");
                assert_true(json_equal(json_object_get(info, "training"),
                                       wt_model_meta(m)));
                json_decref(info);
        }
        free(buf);
        free(buf2);
        wt_model_destroy(m);
        wt_model_destroy(m2);
        wt_model_destroy(m3);
        wt_model_destroy(NULL); /* accepted */
}

/* Every configuration knob survives the trip. */
static void test_roundtrip_variants(void **state) {
        int v;
        (void)state;
        for (v = 0; v < 5; v++) {
                wt_model_t *m = hand_model(), *m2;
                unsigned char *buf;
                size_t len;
                char err[512];
                switch (v) {
                case 0:
                        m->conf.tok_flags = WT_TOK_FOLD_DIGITS;
                        m->conf.signed_hash = 1;
                        break;
                case 1:
                        m->conf.tf = WT_TF_RAW;
                        m->conf.idf = 0;
                        m->conf.l2norm = 0;
                        break;
                case 2:
                        m->conf.tf = WT_TF_BINARY;
                        m->conf.ngram_max = 4;
                        m->conf.seed = 0xFFFFFFFFFFFFFFFFull;
                        break;
                case 3:
                        m->multilabel = 0;
                        m->score_kind = WT_SCORE_MARGIN;
                        m->thresholds[2] = -3.5f;
                        break;
                case 4:
                        assert_int_equal(wt_feature_conf_set_fields(
                                                 &m->conf, "headline,body,x",
                                                 err, sizeof(err)),
                                         WT_OK);
                        m->pooling[0] = WT_POOL_SENTENCE_MAX;
                        m->pooling[2] = WT_POOL_SENTENCE_MAX;
                        free(m->name);
                        m->name = strdup("n\xc3\xa4me \"quoted\" \\ / \t");
                        break;
                }
                serialize(m, &buf, &len);
                if (load_copy(buf, len, &m2, err, sizeof(err)) != WT_OK)
                        fail_msg("variant %d: %s", v, err);
                assert_core_equal(m, m2);
                assert_same_scores(m, m2);
                free(buf);
                wt_model_destroy(m);
                wt_model_destroy(m2);
        }
}

/* The trainer's "never tag" threshold (1e30f, for a label CV found no
 * positive example of; see wt_train.c) must survive the trip: every model
 * the trainer writes must load. */
static void test_roundtrip_never_threshold(void **state) {
        wt_model_t *m = hand_model(), *m2 = NULL;
        unsigned char *buf;
        size_t len;
        char err[512];
        (void)state;
        m->thresholds[1] = 1e30f;
        serialize(m, &buf, &len);
        if (load_copy(buf, len, &m2, err, sizeof(err)) != WT_OK)
                fail_msg("threshold 1e30f: %s", err);
        assert_core_equal(m, m2);
        free(buf);
        wt_model_destroy(m);
        wt_model_destroy(m2);
}

/* A model with no features (every document scores its bias). */
static void test_roundtrip_empty_vocab(void **state) {
        wt_model_t *m = wt_model_alloc(1), *m2;
        unsigned char *buf;
        size_t len;
        char err[512];
        (void)state;
        assert_non_null(m);
        m->name = strdup("empty");
        wt_feature_conf_default(&m->conf);
        m->labels[0] = strdup("only");
        m->bias[0] = 2.0f;
        assert_int_equal(wt_vocab_new(NULL, NULL, 0, &m->vocab), WT_OK);
        serialize(m, &buf, &len);
        assert_int_equal(load_copy(buf, len, &m2, err, sizeof(err)), WT_OK);
        assert_int_equal(wt_model_nfeatures(m2), 0);
        assert_core_equal(m, m2);
        {
                float s[NPROBES];
                probe_scores(m2, s);
                assert_float_equal(s[0], 1.0 / (1.0 + exp(-2.0)), 1e-6);
        }
        free(buf);
        wt_model_destroy(m);
        wt_model_destroy(m2);
}

static void test_save_load_file(void **state) {
        wt_model_t *m = hand_model(), *m2 = NULL;
        unsigned char *buf, *fbuf;
        size_t len, flen;
        char dir[256], path[512], err[1024];
        FILE *fp;
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/model.wtm", dir);

        assert_int_equal(wt_model_save(m, path, err, sizeof(err)), WT_OK);
        assert_int_equal(wt_model_load(path, &m2, err, sizeof(err)), WT_OK);
        assert_core_equal(m, m2);
        assert_true(json_equal(wt_model_meta(m), wt_model_meta(m2)));
        assert_same_scores(m, m2);

        /* The file holds exactly the serialised bytes. */
        serialize(m, &buf, &len);
        fp = fopen(path, "rb");
        assert_non_null(fp);
        fbuf = malloc(len + 16);
        assert_non_null(fbuf);
        flen = fread(fbuf, 1, len + 16, fp);
        fclose(fp);
        assert_int_equal(flen, len);
        assert_memory_equal(buf, fbuf, len);

        /* Saving over an existing file replaces it. */
        assert_int_equal(wt_model_save(m2, path, err, sizeof(err)), WT_OK);
        wt_model_destroy(m2);
        m2 = NULL;
        assert_int_equal(wt_model_load(path, &m2, err, sizeof(err)), WT_OK);
        assert_core_equal(m, m2);
        wt_model_destroy(m2);

        /* A file that is not there: I/O error naming it. */
        {
                char missing[600];
                snprintf(missing, sizeof(missing), "%s/nope.wtm", dir);
                err[0] = '\0';
                m2 = (wt_model_t *)1;
                assert_int_equal(wt_model_load(missing, &m2, err, sizeof(err)),
                                 WT_ERR_IO);
                assert_null(m2);
                assert_non_null(strstr(err, missing));
        }
        /* A folder that is not there: saving fails, naming the path. */
        {
                char bad[600];
                snprintf(bad, sizeof(bad), "%s/no/such/dir/m.wtm", dir);
                err[0] = '\0';
                assert_int_equal(wt_model_save(m, bad, err, sizeof(err)),
                                 WT_ERR_IO);
                assert_non_null(strstr(err, "no/such/dir"));
        }
        /* A corrupt file: the error names the file. */
        {
                buf[len / 2] ^= 0x40;
                wt_test_write_file(path, buf, len);
                err[0] = '\0';
                assert_int_equal(wt_model_load(path, &m2, err, sizeof(err)),
                                 WT_ERR_MODEL_CHECKSUM);
                assert_null(m2);
                assert_non_null(strstr(err, path));
                assert_non_null(strstr(err, "checksum"));
        }
        /* An empty file. */
        {
                wt_test_write_file(path, "", 0);
                err[0] = '\0';
                assert_int_equal(wt_model_load(path, &m2, err, sizeof(err)),
                                 WT_ERR_MODEL_TRUNCATED);
                assert_non_null(strstr(err, path));
        }
        {
                /* Saving is atomic (temp file + rename): only model.wtm
                 * is left in the folder. */
                DIR *d = opendir(dir);
                struct dirent *e;
                size_t entries = 0;
                assert_non_null(d);
                while ((e = readdir(d))) {
                        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                                continue;
                        if (strcmp(e->d_name, "model.wtm"))
                                fail_msg("left behind: %s/%s", dir, e->d_name);
                        entries++;
                }
                closedir(d);
                assert_int_equal(entries, 1);
                assert_int_equal(remove(path), 0);
                assert_int_equal(rmdir(dir), 0);
        }
        free(buf);
        free(fbuf);
        wt_model_destroy(m);
}

/* ------------------------------------------------------- corruption */

/* (a) Every truncation is rejected as truncated, with a message. */
static void test_truncation(void **state) {
        wt_model_t *m = hand_model(), *m2;
        unsigned char *buf;
        size_t len, n;
        char err[512];
        (void)state;
        serialize(m, &buf, &len);
        for (n = 0; n < len; n++) {
                wt_err_t e = load_copy(buf, n, &m2, err, sizeof(err));
                if (e != WT_ERR_MODEL_TRUNCATED)
                        fail_msg("truncated to %zu of %zu bytes: got %s (%s)",
                                 n, len, wt_err_name(e), err);
                assert_null(m2);
                assert_true(strlen(err) > 0);
        }
        free(buf);
        wt_model_destroy(m);
}

/* Section table entry k spans [24 + 24k, 48 + 24k): tag, reserved,
 * offset, size. */
static int in_meta_tag(size_t pos) {
        return pos >= HDR_SIZE + SEC_SIZE && pos < HDR_SIZE + SEC_SIZE + 4;
}

static int in_size_field(size_t pos) {
        return pos >= HDR_SIZE && pos < TABLE_END &&
               (pos - HDR_SIZE) % SEC_SIZE >= 16;
}

static wt_err_t expected_code(size_t pos) {
        if (pos < 8)
                return WT_ERR_MODEL_MAGIC;
        if (pos < 12)
                return WT_ERR_MODEL_VERSION;
        return WT_ERR_MODEL_CORRUPT; /* see the file size case below */
}

/* (b) and (c): every bit, and every whole byte, of the header and the
 * section table. */
static void test_header_flips(void **state) {
        wt_model_t *m = hand_model(), *m2;
        unsigned char *buf, *mut;
        size_t len, pos;
        char err[512];
        int bit, accepted_meta_tag = 0;
        (void)state;
        serialize(m, &buf, &len);
        mut = malloc(len);
        assert_non_null(mut);
        for (pos = 0; pos < TABLE_END; pos++) {
                for (bit = 0; bit <= 8; bit++) {
                        unsigned char x = bit == 8 ? 0xFF
                                                   : (unsigned char)(1u << bit);
                        wt_err_t e;

                        /* (b) checksum kept: always rejected. The magic
                         * and version are checked before the checksum,
                         * so they get their own codes. */
                        memcpy(mut, buf, len);
                        mut[pos] ^= x;
                        e = load_copy(mut, len, &m2, err, sizeof(err));
                        if (e == WT_OK)
                                fail_msg("byte %zu ^ 0x%02x accepted", pos, x);
                        assert_null(m2);
                        assert_true(strlen(err) > 0);
                        if (pos < 12)
                                assert_int_equal(e, expected_code(pos));

                        /* (c) checksum recomputed. */
                        fix_checksum(mut, len);
                        e = load_copy(mut, len, &m2, err, sizeof(err));
                        if (e != WT_OK) {
                                assert_null(m2);
                                assert_true(strlen(err) > 0);
                                if (pos >= 16 && pos < 24) {
                                        /* File size: too big is
                                         * truncation, too small leaves
                                         * trailing bytes. */
                                        uint64_t fs = rd64(mut + 16);
                                        assert_int_equal(
                                                e, fs > len
                                                           ? WT_ERR_MODEL_TRUNCATED
                                                           : WT_ERR_MODEL_CORRUPT);
                                } else if (e != expected_code(pos)) {
                                        fail_msg("byte %zu ^ 0x%02x with "
                                                 "checksum fixed: %s (%s), "
                                                 "expected %s",
                                                 pos, x, wt_err_name(e), err,
                                                 wt_err_name(
                                                         expected_code(pos)));
                                }
                                if (pos >= HDR_SIZE && (pos - HDR_SIZE) %
                                                                   SEC_SIZE >=
                                                           4 &&
                                    (pos - HDR_SIZE) % SEC_SIZE < 8)
                                        assert_non_null(
                                                strstr(err, "reserved"));
                                continue;
                        }
                        /* Accepted: only where the format allows it,
                         * and then the same model. Renaming META (any
                         * flip of its tag) makes it a section this
                         * version skips: the model loses its metadata,
                         * nothing else. A JSON section's size grown over
                         * its NUL padding still parses to the same JSON.
                         * Everything else (reserved fields included) must
                         * be rejected. */
                        assert_non_null(m2);
                        if (!in_meta_tag(pos) && !in_size_field(pos))
                                fail_msg("byte %zu ^ 0x%02x with checksum "
                                         "fixed was accepted",
                                         pos, x);
                        assert_core_equal(m, m2);
                        if (in_meta_tag(pos)) {
                                assert_int_equal(
                                        json_object_size(wt_model_meta(m2)), 0);
                                accepted_meta_tag++;
                        } else if (!json_equal(wt_model_meta(m),
                                               wt_model_meta(m2))) {
                                fail_msg("byte %zu ^ 0x%02x (checksum fixed) "
                                         "accepted with different metadata",
                                         pos, x);
                        }
                        assert_same_scores(m, m2);
                        wt_model_destroy(m2);
                }
        }
        /* META is optional: all 4 x 9 flips of its tag are accepted. */
        assert_int_equal(accepted_meta_tag, 36);
        free(mut);
        free(buf);
        wt_model_destroy(m);
}

/* (d) Random corruption of the sections, checksum recomputed: never a
 * crash (nor, under ASan, a bad read); rejections have messages; an
 * accepted model still classifies. */
static void test_random_body_flips(void **state) {
        wt_model_t *m = hand_model(), *m2;
        unsigned char *buf, *mut;
        size_t len, it, rejected = 0, accepted = 0;
        uint64_t rng = 0x9E3779B97F4A7C15ull;
        char err[512];
        (void)state;
        serialize(m, &buf, &len);
        mut = malloc(len);
        assert_non_null(mut);
        for (it = 0; it < 2000; it++) {
                unsigned nflips = 1 + (unsigned)(wt_test_rand(&rng) % 3), f;
                wt_err_t e;
                memcpy(mut, buf, len);
                for (f = 0; f < nflips; f++) {
                        size_t pos = TABLE_END +
                                     (size_t)(wt_test_rand(&rng) %
                                              (len - 8 - TABLE_END));
                        unsigned r = (unsigned)(wt_test_rand(&rng) % 4);
                        mut[pos] = r == 0   ? (unsigned char)(wt_test_rand(
                                                      &rng))
                                   : r == 1 ? (unsigned char)(mut[pos] ^ 0x01)
                                   : r == 2 ? (unsigned char)(mut[pos] ^ 0x80)
                                            : (unsigned char)(mut[pos] + 1);
                }
                fix_checksum(mut, len);
                e = load_copy(mut, len, &m2, err, sizeof(err));
                if (e != WT_OK) {
                        if (!strlen(err))
                                fail_msg("iteration %zu: %s with no message",
                                         it, wt_err_name(e));
                        assert_null(m2);
                        rejected++;
                        continue;
                }
                accepted++;
                /* Still a working model. */
                {
                        unsigned char *b2;
                        size_t l2, L = wt_model_nlabels(m2);
                        float *s = calloc(NPROBES * (L ? L : 1),
                                          sizeof(float));
                        assert_non_null(s);
                        assert_true(L >= 1);
                        probe_scores(m2, s);
                        free(s);
                        assert_int_equal(wt_model_serialize(m2, &b2, &l2),
                                         WT_OK);
                        free(b2);
                }
                wt_model_destroy(m2);
        }
        /* Both outcomes happen: weights can take any finite value,
         * JSON and vocabularies break. */
        assert_true(rejected > 100);
        assert_true(accepted > 100);
        free(mut);
        free(buf);
        wt_model_destroy(m);
}

/* (e) Specific errors. */
static void test_specific_errors(void **state) {
        wt_model_t *m = hand_model(), *m2;
        unsigned char *buf, *mut;
        size_t len;
        char err[512];
        (void)state;
        serialize(m, &buf, &len);
        mut = malloc(len + 64);
        assert_non_null(mut);

        /* Wrong magic, checksum valid. */
        memcpy(mut, buf, len);
        memcpy(mut, "WIRETAX\0", 8);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_MAGIC);
        assert_non_null(strstr(err, "magic"));
        /* Something else entirely. */
        assert_int_equal(load_copy((const unsigned char *)"{\"not\": \"a "
                                                           "model\"}\n",
                                   17, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_MAGIC);

        /* Wrong version: the next one, and 0. */
        memcpy(mut, buf, len);
        mut[8] = WT_MODEL_FORMAT_VERSION + 1;
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_VERSION);
        assert_non_null(strstr(err, "version"));
        memcpy(mut, buf, len);
        mut[8] = 0;
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_VERSION);
        /* A future version is reported as such even if the rest of the
         * file is a different layout (the checksum is not checked). */
        memcpy(mut, buf, len);
        mut[11] = 1;
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_VERSION);

        /* Trailing garbage. */
        memcpy(mut, buf, len);
        memset(mut + len, 0, 64);
        assert_int_equal(load_copy(mut, len + 1, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        assert_non_null(strstr(err, "after the end"));
        memcpy(mut + len, "garbage!", 8);
        assert_int_equal(load_copy(mut, len + 8, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        /* Two models back to back. */
        memcpy(mut, buf, len);
        {
                unsigned char *two = malloc(2 * len);
                assert_non_null(two);
                memcpy(two, buf, len);
                memcpy(two + len, buf, len);
                assert_int_equal(load_copy(two, 2 * len, &m2, err,
                                           sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                free(two);
        }

        /* Checksum: one body bit. */
        memcpy(mut, buf, len);
        mut[TABLE_END + 3] ^= 0x20;
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CHECKSUM);
        assert_non_null(strstr(err, "checksum"));
        /* ... or one bit of the checksum itself. */
        memcpy(mut, buf, len);
        mut[len - 1] ^= 0x01;
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CHECKSUM);

        /* Section count out of range. */
        memcpy(mut, buf, len);
        mut[12] = 0;
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        memcpy(mut, buf, len);
        mut[12] = 17;
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        memcpy(mut, buf, len);
        mut[15] = 0x80; /* 2^31 sections: the table cannot fit */
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);

        /* A section offset pointing far outside the file. */
        memcpy(mut, buf, len);
        wr64(mut + HDR_SIZE + 2 * SEC_SIZE + 8, (uint64_t)-16);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        assert_non_null(strstr(err, "outside"));
        /* A section size that wraps around. */
        memcpy(mut, buf, len);
        wr64(mut + HDR_SIZE + 3 * SEC_SIZE + 16, (uint64_t)-1);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        /* A section inside the header/table. */
        memcpy(mut, buf, len);
        wr64(mut + HDR_SIZE + 8, 0);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);

        /* Two sections with the same tag. */
        memcpy(mut, buf, len);
        memcpy(mut + HDR_SIZE + 3 * SEC_SIZE, "VOCB", 4);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        assert_non_null(strstr(err, "twice"));
        /* A required section missing (renamed). */
        memcpy(mut, buf, len);
        memcpy(mut + HDR_SIZE + 2 * SEC_SIZE, "vocb", 4);
        fix_checksum(mut, len);
        assert_int_equal(load_copy(mut, len, &m2, err, sizeof(err)),
                         WT_ERR_MODEL_CORRUPT);
        assert_non_null(strstr(err, "VOCB"));

        free(mut);
        free(buf);
        wt_model_destroy(m);
}


/* ------------------------------------------------ files built by hand */

typedef struct sec {
        const char *tag;
        const void *data;
        size_t size;
} sec_t;

/** Lay out sections as the format says (header, table, 8-aligned
 *  sections, checksum). The caller frees. */
static unsigned char *build_file(const sec_t *secs, unsigned n,
                                 size_t *lenp) {
        size_t off = HDR_SIZE + (size_t)n * SEC_SIZE, total = off, i;
        unsigned char *buf;
        for (i = 0; i < n; i++)
                total = ((total + 7) & ~(size_t)7) + secs[i].size;
        total = ((total + 7) & ~(size_t)7) + 8;
        buf = calloc(1, total);
        assert_non_null(buf);
        memcpy(buf, "WIRETAG\0", 8);
        buf[8] = WT_MODEL_FORMAT_VERSION;
        buf[12] = (unsigned char)n;
        wr64(buf + 16, total);
        for (i = 0; i < n; i++) {
                unsigned char *ent = buf + HDR_SIZE + i * SEC_SIZE;
                off = (off + 7) & ~(size_t)7;
                memcpy(ent, secs[i].tag, 4);
                wr64(ent + 8, off);
                wr64(ent + 16, secs[i].size);
                if (secs[i].size)
                        memcpy(buf + off, secs[i].data, secs[i].size);
                off += secs[i].size;
        }
        fix_checksum(buf, total);
        *lenp = total;
        return buf;
}

/** The sections of a serialised file, in table order. */
static unsigned get_sections(const unsigned char *buf, sec_t *out) {
        unsigned n = buf[12], i;
        for (i = 0; i < n; i++) {
                const unsigned char *ent = buf + HDR_SIZE + i * SEC_SIZE;
                static char tags[16][5];
                memcpy(tags[i], ent, 4);
                tags[i][4] = '\0';
                out[i].tag = tags[i];
                out[i].data = buf + rd64(ent + 8);
                out[i].size = (size_t)rd64(ent + 16);
        }
        return n;
}

/** The hand model's four sections, copied (CONF and META as JSON). */
typedef struct parts {
        unsigned char *file;
        size_t len;
        json_t *conf, *meta;
        unsigned char *vocb, *wght;
        size_t vocb_size, wght_size;
} parts_t;

static void parts_get(parts_t *p) {
        wt_model_t *m = hand_model();
        sec_t s[4];
        memset(p, 0, sizeof(*p));
        serialize(m, &p->file, &p->len);
        wt_model_destroy(m);
        assert_int_equal(get_sections(p->file, s), 4);
        p->conf = json_loadb(s[0].data, s[0].size, 0, NULL);
        p->meta = json_loadb(s[1].data, s[1].size, 0, NULL);
        assert_true(p->conf && p->meta);
        p->vocb_size = s[2].size;
        p->wght_size = s[3].size;
        p->vocb = (unsigned char *)wt_test_dup_exact(s[2].data, s[2].size);
        p->wght = (unsigned char *)wt_test_dup_exact(s[3].data, s[3].size);
}

static void parts_free(parts_t *p) {
        free(p->file);
        json_decref(p->conf);
        json_decref(p->meta);
        free(p->vocb);
        free(p->wght);
}

/** Build CONF, META, VOCB, WGHT from parts, CONF given as text. */
static wt_err_t load_parts_text(const parts_t *p, const char *conf_txt,
                                wt_model_t **m, char *err, size_t errsize) {
        char *meta_txt = json_dumps(p->meta, JSON_COMPACT);
        sec_t s[4] = {{"CONF", conf_txt, strlen(conf_txt)},
                      {"META", meta_txt, strlen(meta_txt)},
                      {"VOCB", p->vocb, p->vocb_size},
                      {"WGHT", p->wght, p->wght_size}};
        size_t len;
        unsigned char *buf = build_file(s, 4, &len);
        wt_err_t e = load_copy(buf, len, m, err, errsize);
        free(buf);
        free(meta_txt);
        return e;
}

static wt_err_t load_parts(const parts_t *p, json_t *conf, wt_model_t **m,
                           char *err, size_t errsize) {
        char *txt = json_dumps(conf, JSON_COMPACT);
        wt_err_t e;
        assert_non_null(txt);
        e = load_parts_text(p, txt, m, err, errsize);
        free(txt);
        return e;
}

/** Expect CONF (as modified by the caller) to be rejected as corrupt with
 *  a message containing `what`. */
static void expect_conf_rejected(const parts_t *p, json_t *conf,
                                 const char *what) {
        wt_model_t *m = NULL;
        char err[512];
        wt_err_t e = load_parts(p, conf, &m, err, sizeof(err));
        if (e != WT_ERR_MODEL_CORRUPT)
                fail_msg("CONF %s: got %s (%s), expected model_corrupt",
                         what, wt_err_name(e), err);
        assert_null(m);
        if (!strstr(err, what))
                fail_msg("message \"%s\" lacks \"%s\"", err, what);
}

/* The builder above makes what the writer makes. */
static void test_build_file_matches_writer(void **state) {
        parts_t p;
        sec_t s[4];
        unsigned char *buf;
        size_t len;
        (void)state;
        parts_get(&p);
        get_sections(p.file, s);
        buf = build_file(s, 4, &len);
        assert_int_equal(len, p.len);
        assert_memory_equal(buf, p.file, len);
        free(buf);
        parts_free(&p);
}

/* Every rule of the CONF section. */
static void test_conf_section_checks(void **state) {
        parts_t p;
        json_t *c, *f, *l0;
        wt_model_t *m = NULL;
        char err[512];
        (void)state;
        parts_get(&p);

        /* Baseline: the parts as they are load. */
        assert_int_equal(load_parts(&p, p.conf, &m, err, sizeof(err)), WT_OK);
        wt_model_destroy(m);

#define MUTATE(stmt, what)                                                     \
        do {                                                                   \
                c = json_deep_copy(p.conf);                                    \
                f = json_object_get(c, "features");                            \
                l0 = json_array_get(json_object_get(c, "labels"), 0);          \
                (void)f;                                                       \
                (void)l0;                                                      \
                stmt;                                                          \
                expect_conf_rejected(&p, c, what);                             \
                json_decref(c);                                                \
        } while (0)

        MUTATE(json_object_del(c, "score"), "CONF section");
        MUTATE(json_object_set_new(c, "bogus", json_true()), "CONF section");
        MUTATE(json_object_set_new(c, "multilabel", json_string("yes")),
               "CONF section");
        MUTATE(json_object_set_new(c, "score", json_string("logit")),
               "score kind");
        MUTATE(json_object_set_new(f, "ngrams", json_integer(0)), "ngrams");
        MUTATE(json_object_set_new(f, "ngrams", json_integer(9)), "ngrams");
        MUTATE(json_object_set_new(f, "ngrams", json_integer(-1)), "ngrams");
        MUTATE(json_object_set_new(f, "bits", json_integer(40)), "bits");
        MUTATE(json_object_set_new(f, "bits", json_integer(-20)), "bits");
        MUTATE(json_object_set_new(f, "seed", json_string("123")), "seed");
        MUTATE(json_object_set_new(f, "seed", json_string("0xZZ")), "seed");
        MUTATE(json_object_set_new(f, "seed",
                                   json_string("0x1ffffffffffffffff")),
               "seed");
        MUTATE(json_object_set_new(f, "tf", json_string("sqrt")), "tf");
        MUTATE(json_object_set_new(f, "fields", json_array()), "fields");
        MUTATE(json_object_set_new(f, "fields", json_pack("[s]", "")),
               "field 1");
        MUTATE(json_object_set_new(f, "fields", json_pack("[s, i]", "a", 5)),
               "field 2");
        MUTATE(json_object_set_new(
                       f, "fields",
                       json_pack("[s,s,s,s,s,s,s,s,s]", "a", "b", "c", "d",
                                 "e", "f", "g", "h", "i")),
               "fields");
        MUTATE(json_object_del(f, "idf"), "CONF section");
        MUTATE(json_object_set_new(f, "extra", json_integer(1)),
               "CONF section");
        MUTATE(json_object_set_new(c, "labels", json_array()), "labels");
        MUTATE(json_object_set_new(c, "labels", json_string("a")), "labels");
        MUTATE(json_object_set_new(l0, "threshold", json_real(1e31)),
               "threshold");
        MUTATE(json_object_set_new(l0, "threshold", json_string("0.5")),
               "label 1");
        MUTATE(json_object_set_new(l0, "pooling", json_string("max")),
               "pooling");
        MUTATE(json_object_set_new(l0, "name", json_integer(5)), "label 1");
        MUTATE(json_object_set_new(l0, "extra", json_true()), "label 1");
        /* One label fewer than the weights have. */
        MUTATE(json_array_remove(json_object_get(c, "labels"), 2), "WGHT");
#undef MUTATE

        /* Text-level faults. */
        {
                char *txt = json_dumps(p.conf, JSON_COMPACT), *dup;
                size_t n = strlen(txt);
                /* A duplicate key. */
                dup = malloc(n + 32);
                assert_non_null(dup);
                snprintf(dup, n + 32, "{\"name\":\"dup\",%s", txt + 1);
                assert_int_equal(load_parts_text(&p, dup, &m, err,
                                                 sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                assert_non_null(strstr(err, "CONF"));
                /* Not JSON, or not an object. */
                assert_int_equal(load_parts_text(&p, "{", &m, err,
                                                 sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                assert_int_equal(load_parts_text(&p, "[]", &m, err,
                                                 sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                assert_int_equal(load_parts_text(&p, "", &m, err,
                                                 sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                free(dup);
                free(txt);
        }
        parts_free(&p);
}

static void expect_bin_rejected(const parts_t *p, const void *vocb,
                                size_t vsize, const void *wght, size_t wsize,
                                const char *meta, const char *what) {
        char *conf = json_dumps(p->conf, JSON_COMPACT);
        sec_t s[4] = {{"CONF", conf, strlen(conf)},
                      {"META", meta, strlen(meta)},
                      {"VOCB", vocb, vsize},
                      {"WGHT", wght, wsize}};
        size_t len;
        unsigned char *buf = build_file(s, 4, &len);
        wt_model_t *m = NULL;
        char err[512];
        wt_err_t e = load_copy(buf, len, &m, err, sizeof(err));
        if (e != WT_ERR_MODEL_CORRUPT)
                fail_msg("%s: got %s (%s), expected model_corrupt", what,
                         wt_err_name(e), err);
        if (!strstr(err, what))
                fail_msg("message \"%s\" lacks \"%s\"", err, what);
        free(buf);
        free(conf);
}

/* Every rule of VOCB, WGHT and META. */
static void test_binary_section_checks(void **state) {
        parts_t p;
        unsigned char *v, *w;
        char *meta;
        size_t nf;
        (void)state;
        parts_get(&p);
        meta = json_dumps(p.meta, JSON_COMPACT);
        nf = NGRAMS;
        v = malloc(p.vocb_size + 8);
        w = malloc(p.wght_size + 8);
        assert_true(v && w);

        /* VOCB: a count that does not match the size. */
        memcpy(v, p.vocb, p.vocb_size);
        v[0]++;
        expect_bin_rejected(&p, v, p.vocb_size, p.wght, p.wght_size, meta,
                            "VOCB");
        memcpy(v, p.vocb, p.vocb_size);
        memset(v + p.vocb_size, 0, 4);
        expect_bin_rejected(&p, v, p.vocb_size + 4, p.wght, p.wght_size,
                            meta, "VOCB");
        expect_bin_rejected(&p, p.vocb, 2, p.wght, p.wght_size, meta,
                            "VOCB");
        /* VOCB: buckets out of order, or repeated. */
        memcpy(v, p.vocb, p.vocb_size);
        memcpy(v + 4, p.vocb + 8, 4);
        memcpy(v + 8, p.vocb + 4, 4);
        expect_bin_rejected(&p, v, p.vocb_size, p.wght, p.wght_size, meta,
                            "increasing");
        memcpy(v, p.vocb, p.vocb_size);
        memcpy(v + 8, p.vocb + 4, 4);
        expect_bin_rejected(&p, v, p.vocb_size, p.wght, p.wght_size, meta,
                            "increasing");
        /* VOCB: idf not a positive number (NaN, -1, +inf). */
        {
                static const uint32_t bad[] = {0x7FC00000u, 0xBF800000u,
                                               0x7F800000u};
                size_t k, b;
                for (k = 0; k < 3; k++) {
                        memcpy(v, p.vocb, p.vocb_size);
                        for (b = 0; b < 4; b++)
                                v[4 + nf * 4 + 3 * 4 + b] =
                                        (unsigned char)(bad[k] >> (8 * b));
                        expect_bin_rejected(&p, v, p.vocb_size, p.wght,
                                            p.wght_size, meta, "idf");
                }
        }

        /* WGHT: shape and size. */
        memcpy(w, p.wght, p.wght_size);
        w[0]++;
        expect_bin_rejected(&p, p.vocb, p.vocb_size, w, p.wght_size, meta,
                            "WGHT");
        memcpy(w, p.wght, p.wght_size);
        w[4]++;
        expect_bin_rejected(&p, p.vocb, p.vocb_size, w, p.wght_size, meta,
                            "WGHT");
        memcpy(w, p.wght, p.wght_size);
        memset(w + p.wght_size, 0, 4);
        expect_bin_rejected(&p, p.vocb, p.vocb_size, w, p.wght_size + 4, meta,
                            "WGHT");
        expect_bin_rejected(&p, p.vocb, p.vocb_size, w, p.wght_size - 4, meta,
                            "WGHT");
        expect_bin_rejected(&p, p.vocb, p.vocb_size, w, 4, meta, "WGHT");

        /* META: must be a JSON object. */
        expect_bin_rejected(&p, p.vocb, p.vocb_size, p.wght, p.wght_size,
                            "[1, 2]", "META");
        expect_bin_rejected(&p, p.vocb, p.vocb_size, p.wght, p.wght_size,
                            "{\"a\":", "META");
        free(v);
        free(w);
        free(meta);
        parts_free(&p);
}

/* What the format allows: unknown sections are skipped, META is optional,
 * sections may come in any order. */
static void test_format_freedom(void **state) {
        parts_t p;
        sec_t s[4], r[6];
        wt_model_t *ref = hand_model(), *m = NULL;
        unsigned char *buf;
        size_t len;
        char err[512];
        (void)state;
        parts_get(&p);
        get_sections(p.file, s);

        /* Reversed order plus two unknown sections. */
        r[0] = (sec_t){"XTRA", "whatever", 8};
        r[1] = s[3];
        r[2] = s[2];
        r[3] = (sec_t){"\x01\xff\x00z", "", 0};
        r[4] = s[1];
        r[5] = s[0];
        buf = build_file(r, 6, &len);
        if (load_copy(buf, len, &m, err, sizeof(err)) != WT_OK)
                fail_msg("reordered file: %s", err);
        assert_core_equal(ref, m);
        assert_true(json_equal(wt_model_meta(ref), wt_model_meta(m)));
        assert_same_scores(ref, m);
        wt_model_destroy(m);
        free(buf);

        /* No META: an empty metadata object. */
        r[0] = s[0];
        r[1] = s[2];
        r[2] = s[3];
        buf = build_file(r, 3, &len);
        assert_int_equal(load_copy(buf, len, &m, err, sizeof(err)), WT_OK);
        assert_core_equal(ref, m);
        assert_true(json_is_object(wt_model_meta(m)));
        assert_int_equal(json_object_size(wt_model_meta(m)), 0);
        wt_model_destroy(m);
        free(buf);

        /* No CONF, VOCB or WGHT: rejected, naming the section. */
        {
                static const char *const need[] = {"CONF", "VOCB", "WGHT"};
                size_t k, i, n;
                for (k = 0; k < 3; k++) {
                        for (i = 0, n = 0; i < 4; i++)
                                if (strcmp(s[i].tag, need[k]))
                                        r[n++] = s[i];
                        buf = build_file(r, (unsigned)n, &len);
                        assert_int_equal(load_copy(buf, len, &m, err,
                                                   sizeof(err)),
                                         WT_ERR_MODEL_CORRUPT);
                        assert_non_null(strstr(err, need[k]));
                        free(buf);
                }
        }
        /* 16 sections is the limit. */
        {
                sec_t many[17];
                size_t i;
                for (i = 0; i < 4; i++)
                        many[i] = s[i];
                for (; i < 17; i++)
                        many[i] = (sec_t){"PAD0", "", 0};
                buf = build_file(many, 16, &len);
                assert_int_equal(load_copy(buf, len, &m, err, sizeof(err)),
                                 WT_OK);
                wt_model_destroy(m);
                free(buf);
                buf = build_file(many, 17, &len);
                assert_int_equal(load_copy(buf, len, &m, err, sizeof(err)),
                                 WT_ERR_MODEL_CORRUPT);
                free(buf);
        }
        wt_model_destroy(ref);
        parts_free(&p);
}

/* A version-1 file made when these tests were written
 * (tests/fixtures/model-v1.wtm, the hand model) still loads, to the same
 * model, and today's writer still writes exactly its bytes. Regenerate
 * with WT_REGEN_GOLDEN=1 only for a deliberate format change (and bump
 * WT_MODEL_FORMAT_VERSION then). */
static void test_golden_file(void **state) {
        wt_model_t *m = hand_model(), *g = NULL;
        unsigned char *buf, *gold;
        size_t len, glen;
        char err[1024];
        const char *path = wt_test_fixture("model-v1.wtm");
        FILE *fp;
        (void)state;
        serialize(m, &buf, &len);
        if (getenv("WT_REGEN_GOLDEN")) {
                wt_test_write_file(path, buf, len);
                print_message("wrote %s\n", path);
        }
        if (wt_model_load(path, &g, err, sizeof(err)) != WT_OK)
                fail_msg("golden model: %s", err);
        assert_core_equal(m, g);
        assert_true(json_equal(wt_model_meta(m), wt_model_meta(g)));
        assert_same_scores(m, g);

        fp = fopen(path, "rb");
        assert_non_null(fp);
        gold = malloc(len + 1);
        assert_non_null(gold);
        glen = fread(gold, 1, len + 1, fp);
        fclose(fp);
        assert_int_equal(glen, len);
        assert_memory_equal(gold, buf, len);
        free(gold);
        free(buf);
        wt_model_destroy(g);
        wt_model_destroy(m);
}

/** Serialise m (consumed) and expect the loader to reject it as corrupt
 *  with a message containing `what`. */
static void expect_corrupt_model(wt_model_t *m, const char *what) {
        unsigned char *buf;
        size_t len;
        char err[512];
        wt_model_t *m2;
        wt_err_t e;
        assert_int_equal(wt_model_serialize(m, &buf, &len), WT_OK);
        e = load_copy(buf, len, &m2, err, sizeof(err));
        if (e != WT_ERR_MODEL_CORRUPT)
                fail_msg("expected model_corrupt (%s), got %s: %s", what,
                         wt_err_name(e), err);
        assert_null(m2);
        if (!strstr(err, what))
                fail_msg("message \"%s\" lacks \"%s\"", err, what);
        free(buf);
        wt_model_destroy(m);
}

/* Values the writer would never produce, each rejected by the loader. */
static void test_semantic_checks(void **state) {
        wt_model_t *m;
        (void)state;

        m = hand_model();
        m->weights[4] = INFINITY;
        expect_corrupt_model(m, "not finite");

        m = hand_model();
        m->bias[2] = NAN;
        expect_corrupt_model(m, "not finite");

        m = hand_model();
        free(m->labels[2]);
        m->labels[2] = strdup("alpha");
        expect_corrupt_model(m, "twice");

        m = hand_model();
        free(m->labels[1]);
        m->labels[1] = strdup("");
        expect_corrupt_model(m, "label 2");

        m = hand_model();
        free(m->labels[1]);
        m->labels[1] = malloc(300);
        memset(m->labels[1], 'l', 299);
        m->labels[1][299] = '\0';
        expect_corrupt_model(m, "label 2");

        /* Buckets that do not fit the configured bits. */
        m = hand_model();
        m->conf.bits = 8;
        expect_corrupt_model(m, "does not fit");

        /* Configuration out of range. */
        m = hand_model();
        m->conf.ngram_max = 7;
        expect_corrupt_model(m, "ngrams");

        /* idf must be positive. */
        {
                uint32_t b[2] = {1, 2};
                float idf[2] = {1.0f, 0.0f};
                m = hand_model();
                wt_vocab_destroy(m->vocab);
                assert_int_equal(wt_vocab_new(b, idf, 2, &m->vocab), WT_OK);
                expect_corrupt_model(m, "idf");
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_roundtrip_buffer),
                cmocka_unit_test(test_roundtrip_variants),
                cmocka_unit_test(test_roundtrip_never_threshold),
                cmocka_unit_test(test_roundtrip_empty_vocab),
                cmocka_unit_test(test_save_load_file),
                cmocka_unit_test(test_truncation),
                cmocka_unit_test(test_header_flips),
                cmocka_unit_test(test_random_body_flips),
                cmocka_unit_test(test_specific_errors),
                cmocka_unit_test(test_semantic_checks),
                cmocka_unit_test(test_build_file_matches_writer),
                cmocka_unit_test(test_conf_section_checks),
                cmocka_unit_test(test_binary_section_checks),
                cmocka_unit_test(test_format_freedom),
                cmocka_unit_test(test_golden_file),
        };
        return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
