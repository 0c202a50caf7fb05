/*
 * wiretag - test_train.c: unit tests for wt_train and the training spec.
 *
 * Fixtures (tests/fixtures, see README.md there):
 *   single3.jsonl      60 docs, one of sport/weather/markets
 *   multi.jsonl        60 docs, zero to two of economy/health/politics
 *   partial/spec.json  source A annotates x, y; source B annotates z
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

#include "wt_model.h"
#include "wt_model_int.h"
#include "wt_train.h"
#include "wt_test.h"

/* ------------------------------------------------------------ helpers */

static wt_model_t *train_file(const char *fixture, unsigned folds,
                              unsigned threads) {
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        char err[1024];
        wt_train_opts_init(&o);
        o.folds = folds;
        o.threads = threads;
        o.min_df = 1;
        assert_int_equal(wt_train_opts_add_file(&o, wt_test_fixture(fixture)),
                         WT_OK);
        err[0] = '\0';
        if (wt_train(&o, &m, err, sizeof(err)))
                fail_msg("training on %s: %s", fixture, err);
        wt_train_opts_clear(&o);
        assert_non_null(m);
        return m;
}

static wt_model_t *train_spec(const char *spec, unsigned threads,
                              int folds) {
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        char err[1024];
        wt_train_opts_init(&o);
        err[0] = '\0';
        if (wt_train_spec_load(&o, spec, err, sizeof(err)))
                fail_msg("spec %s: %s", spec, err);
        o.threads = threads;
        if (folds >= 0)
                o.folds = (unsigned)folds;
        if (wt_train(&o, &m, err, sizeof(err)))
                fail_msg("training on %s: %s", spec, err);
        wt_train_opts_clear(&o);
        return m;
}

static double cv_num(const wt_model_t *m, const char *key) {
        json_t *cv = json_object_get(wt_model_meta(m), "cv");
        json_t *v = json_object_get(cv, key);
        assert_true(json_is_object(cv));
        assert_true(json_is_number(v));
        return json_number_value(v);
}

static float score_of(const wt_model_t *m, const char *text,
                      const char *label) {
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        int l = wt_model_label_index(m, label);
        float v;
        assert_true(l >= 0);
        memset(&segs, 0, sizeof(segs));
        segs.n = 1;
        segs.text[0] = text;
        segs.len[0] = strlen(text);
        assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
        v = p.scores[l];
        wt_scratch_destroy(s);
        return v;
}

static int is_tagged(const wt_model_t *m, const char *text,
                     const char *label) {
        wt_scratch_t *s = wt_scratch_new();
        wt_segments_t segs;
        wt_prediction_t p;
        int l = wt_model_label_index(m, label), hit = 0;
        size_t i;
        memset(&segs, 0, sizeof(segs));
        segs.n = 1;
        segs.text[0] = text;
        segs.len[0] = strlen(text);
        assert_int_equal(wt_classify(m, s, &segs, &p), WT_OK);
        for (i = 0; i < p.ntags; i++)
                hit |= (int)p.tags[i].label == l;
        wt_scratch_destroy(s);
        return hit;
}

static int json_has_string(json_t *arr, const char *s) {
        size_t i;
        json_t *v;
        json_array_foreach(arr, i, v) if (json_is_string(v) &&
                                          !strcmp(json_string_value(v), s))
                return 1;
        return 0;
}

/** Copy tmpl into out, replacing each "@" by path. */
static void subst(char *out, size_t size, const char *tmpl, const char *path) {
        size_t n = 0, plen = strlen(path);
        for (; *tmpl && n + plen + 1 < size; tmpl++) {
                if (*tmpl == '@') {
                        memcpy(out + n, path, plen);
                        n += plen;
                } else {
                        out[n++] = *tmpl;
                }
        }
        out[n] = '\0';
}

static int setup_env(void **state) {
        (void)state;
        /* Reproducible metadata ("created"). */
        return setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
}

/* ------------------------------------------------------- single-label */

static void test_single_label(void **state) {
        wt_model_t *m = train_file("single3.jsonl", 3, 2);
        json_t *meta = wt_model_meta(m);
        (void)state;
        assert_int_equal(wt_model_is_multilabel(m), 0);
        assert_int_equal(wt_model_nlabels(m), 3);
        /* Labels are sorted by name. */
        assert_string_equal(wt_model_label(m, 0), "markets");
        assert_string_equal(wt_model_label(m, 1), "sport");
        assert_string_equal(wt_model_label(m, 2), "weather");
        assert_int_equal(wt_model_score_kind(m), WT_SCORE_PROBABILITY);
        assert_true(wt_model_nfeatures(m) > 50);
        assert_int_equal(strlen(wt_model_id(m)), 16);

        /* Separable data: cross-validated accuracy is high. */
        assert_true(cv_num(m, "accuracy") >= 0.9);
        assert_true(cv_num(m, "macro_f1") >= 0.9);
        assert_int_equal((int)cv_num(m, "folds"), 3);

        /* Metadata: documents, data files with sha256, sources. */
        assert_int_equal(json_integer_value(json_object_get(meta, "docs")),
                         60);
        assert_int_equal(json_integer_value(json_object_get(meta, "folds")),
                         3);
        assert_string_equal(json_string_value(json_object_get(meta,
                                                              "created")),
                            "2023-11-14T22:13:20Z");
        {
                json_t *data = json_object_get(meta, "data"), *f0;
                assert_int_equal(json_array_size(data), 1);
                f0 = json_array_get(data, 0);
                assert_int_equal(
                        json_integer_value(json_object_get(f0, "docs")), 60);
                assert_int_equal(strlen(json_string_value(
                                         json_object_get(f0, "sha256"))),
                                 64);
        }

        /* And it classifies unseen text sensibly. */
        assert_true(is_tagged(m, "The striker scored a penalty", "sport"));
        assert_true(is_tagged(m, "Heavy rain and thunder forecast",
                              "weather"));
        assert_true(is_tagged(m, "Shares rally as investors buy stocks",
                              "markets"));
        wt_model_destroy(m);
}

/* Forcing the kind overrides the data. */
static void test_force_multilabel(void **state) {
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        char err[1024];
        (void)state;
        wt_train_opts_init(&o);
        o.folds = 0;
        o.threads = 1;
        o.min_df = 1;
        o.multilabel = 1;
        assert_int_equal(wt_train_opts_add_file(
                                 &o, wt_test_fixture("single3.jsonl")),
                         WT_OK);
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)), WT_OK);
        assert_int_equal(wt_model_is_multilabel(m), 1);
        /* No CV: no cv scores, thresholds at probability 0.5. */
        assert_true(json_is_null(json_object_get(wt_model_meta(m), "cv")));
        assert_float_equal(wt_model_threshold(m, 0), 0.5, 1e-6);
        wt_model_destroy(m);
        wt_train_opts_clear(&o);
}

/* ------------------------------------------------------- multi-label */

static void test_multi_label(void **state) {
        wt_model_t *m = train_file("multi.jsonl", 3, 2);
        size_t l;
        (void)state;
        assert_int_equal(wt_model_is_multilabel(m), 1);
        assert_int_equal(wt_model_nlabels(m), 3);
        assert_int_equal(wt_model_label_index(m, "economy"), 0);
        assert_int_equal(wt_model_label_index(m, "health"), 1);
        assert_int_equal(wt_model_label_index(m, "politics"), 2);
        assert_int_equal(wt_model_label_index(m, "misc"), -1);
        /* Multi-label: no accuracy in the CV report, F1s are there. */
        assert_true(json_is_null(json_object_get(
                json_object_get(wt_model_meta(m), "cv"), "accuracy")));
        assert_true(cv_num(m, "micro_f1") >= 0.8);
        assert_true(cv_num(m, "example_f1") > 0.5);
        /* Tuned thresholds are probabilities. */
        for (l = 0; l < 3; l++) {
                float t = wt_model_threshold(m, l);
                assert_true(t > 0.0f && t < 1.0f);
        }
        assert_true(is_tagged(m, "vaccine patients in hospital", "health"));
        assert_true(is_tagged(m, "parliament vote on the election",
                              "politics"));
        assert_false(is_tagged(m, "parliament vote on the election",
                               "health"));
        wt_model_destroy(m);
}

/* ------------------------------------------------ partial label spaces */

static void test_spec_load(void **state) {
        wt_train_opts_t o;
        char err[1024];
        size_t i;
        const wt_source_t *a, *b;
        (void)state;
        wt_train_opts_init(&o);
        assert_int_equal(wt_train_spec_load(&o,
                                             wt_test_fixture(
                                                     "partial/spec.json"),
                                             err, sizeof(err)),
                         WT_OK);
        assert_string_equal(o.name, "partial-test");
        assert_int_equal(o.conf.ngram_max, 2);
        assert_int_equal(o.conf.bits, 18);
        assert_int_equal(o.min_df, 1);
        assert_int_equal(o.folds, 3);
        assert_int_equal(o.nC, 2);
        assert_true(o.C_grid[0] == 1.0 && o.C_grid[1] == 4.0);
        assert_int_equal(o.solver, WT_SOLVER_LR);
        assert_int_equal(o.nsources, 2);
        a = &o.sources[0];
        b = &o.sources[1];
        assert_string_equal(a->name, "A");
        assert_int_equal(a->nfiles, 1);
        /* Relative to the spec's folder. */
        assert_string_equal(a->files[0], wt_test_fixture("partial/a.jsonl"));
        assert_int_equal(a->pooling, WT_POOL_DOC);
        assert_int_equal(b->pooling, WT_POOL_SENTENCE_MAX);
        assert_int_equal(a->mapped, 1);
        assert_int_equal(a->nmap, 4);
        for (i = 0; i < a->nmap; i++) {
                const wt_label_map_t *lm = &a->map[i];
                if (!strcmp(lm->raw, "X")) { /* a string */
                        assert_int_equal(lm->ntargets, 1);
                        assert_string_equal(lm->targets[0], "x");
                } else if (!strcmp(lm->raw, "Y")) { /* a list of one */
                        assert_int_equal(lm->ntargets, 1);
                        assert_string_equal(lm->targets[0], "y");
                } else if (!strcmp(lm->raw, "XY")) { /* a list of two */
                        assert_int_equal(lm->ntargets, 2);
                        assert_string_equal(lm->targets[0], "x");
                        assert_string_equal(lm->targets[1], "y");
                } else { /* null */
                        assert_string_equal(lm->raw, "misc");
                        assert_int_equal(lm->ntargets, 0);
                }
        }
        assert_int_equal(b->nmap, 2);
        wt_train_opts_clear(&o);
        assert_int_equal(o.nsources, 0);
        wt_train_opts_clear(&o); /* twice is fine */
}

static void test_partial_label_spaces(void **state) {
        wt_model_t *m = train_spec(wt_test_fixture("partial/spec.json"), 2,
                                   -1);
        json_t *sources, *sa, *sb, *per;
        const char *volcano = "Volcano eruption: lava flows from the crater, "
                              "ash and magma";
        (void)state;
        assert_int_equal(wt_model_nlabels(m), 3);
        assert_int_equal(wt_model_label_index(m, "x"), 0);
        assert_int_equal(wt_model_label_index(m, "y"), 1);
        assert_int_equal(wt_model_label_index(m, "z"), 2);
        /* Not every source annotates every label: multi-label. */
        assert_int_equal(wt_model_is_multilabel(m), 1);
        /* Pooling follows the source that annotates the label. */
        assert_int_equal(wt_model_pooling(m, 0), WT_POOL_DOC);
        assert_int_equal(wt_model_pooling(m, 1), WT_POOL_DOC);
        assert_int_equal(wt_model_pooling(m, 2), WT_POOL_SENTENCE_MAX);

        /* Metadata: each source with the labels it annotates. */
        sources = json_object_get(wt_model_meta(m), "sources");
        assert_int_equal(json_array_size(sources), 2);
        sa = json_array_get(sources, 0);
        sb = json_array_get(sources, 1);
        assert_string_equal(json_string_value(json_object_get(sa, "name")),
                            "A");
        assert_int_equal(json_array_size(json_object_get(sa, "labels")), 2);
        assert_true(json_has_string(json_object_get(sa, "labels"), "x"));
        assert_true(json_has_string(json_object_get(sa, "labels"), "y"));
        assert_int_equal(json_array_size(json_object_get(sb, "labels")), 1);
        assert_true(json_has_string(json_object_get(sb, "labels"), "z"));
        assert_string_equal(json_string_value(json_object_get(sb, "pooling")),
                            "sentence_max");
        assert_int_equal(json_integer_value(json_object_get(
                                 wt_model_meta(m), "docs")),
                         41 + 46);

        /* CV support counts only documents of sources that annotate the
         * label: x has 15 X + 5 XY positives, all from A. */
        per = json_object_get(json_object_get(wt_model_meta(m), "cv"),
                              "per_label");
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(per, "x"), "support")),
                         20);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(per, "y"), "support")),
                         20);
        assert_int_equal(json_integer_value(json_object_get(
                                 json_object_get(per, "z"), "support")),
                         16);

        /* Behaviour: B's 30 volcano documents are not x-negatives, so a
         * volcano text still scores high for x (trained with them as
         * negatives, it scores under 0.5: 20 positives against 30
         * identical-looking negatives; see the next test). */
        assert_true(score_of(m, volcano, "x") > 0.6f);
        assert_true(is_tagged(m, volcano, "x"));
        /* And not for y; for z the volcano text is B's "other": low. */
        assert_false(is_tagged(m, volcano, "y"));
        assert_true(score_of(m, volcano, "z") < 0.3f);
        assert_true(is_tagged(m, "Football derby: kickoff, offside, then a "
                                 "goalkeeper dribble",
                              "z"));
        wt_model_destroy(m);
}

/* The counterfactual, to show the test above can fail: merge the two
 * sources into one whose label space covers x, y, z (B's volcano docs
 * become x-negatives) and the volcano score drops. */
static void test_partial_counterfactual(void **state) {
        char dir[256], spec[512], body[16384];
        wt_model_t *m;
        float x;
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        snprintf(spec, sizeof(spec), "%s/merged.json", dir);
        subst(body, sizeof(body),
              "{\"name\": \"merged\", \"features\": {\"bits\": 18, "
              "\"min_df\": 1}, \"train\": {\"cv\": 0, \"C\": 1},"
              " \"sources\": [{\"name\": \"AB\", \"files\": "
              "[\"@/a.jsonl\", \"@/b.jsonl\"], \"labels\": {\"X\": "
              "\"x\", \"Y\": \"y\", \"XY\": [\"x\", \"y\"], \"misc\": "
              "null, \"Z\": \"z\", \"other\": null}}]}",
              wt_test_fixture("partial"));
        wt_test_write_str(spec, body);
        m = train_spec(spec, 1, -1);
        x = score_of(m, "Volcano eruption: lava flows from the crater, ash "
                        "and magma",
                     "x");
        assert_true(x < 0.5f);
        assert_false(is_tagged(m, "Volcano eruption: lava flows from the "
                                  "crater, ash and magma",
                               "x"));
        wt_model_destroy(m);
        {
                static const char *const names[] = {"merged.json"};
                wt_test_rmdir(dir, names, 1);
        }
}

/* Two unmapped sources, every document with exactly one label, but not
 * every source annotates every label: multi-label, and each source knows
 * the labels seen in its files. */
static void test_partial_unmapped_sources(void **state) {
        char dir[256], p1[512], p2[512], line[4096];
        FILE *in, *o1, *o2;
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        char err[1024];
        json_t *sources;
        size_t n2 = 0;
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        snprintf(p1, sizeof(p1), "%s/sw.jsonl", dir);
        snprintf(p2, sizeof(p2), "%s/ms.jsonl", dir);
        in = fopen(wt_test_fixture("single3.jsonl"), "r");
        o1 = fopen(p1, "w");
        o2 = fopen(p2, "w");
        assert_true(in && o1 && o2);
        /* sw: sport and weather docs; ms: markets and a few sport docs. */
        while (fgets(line, sizeof(line), in)) {
                if (strstr(line, "\"markets\"") ||
                    (strstr(line, "\"sport\"") && n2++ % 3 == 0))
                        fputs(line, o2);
                else if (!strstr(line, "\"markets\""))
                        fputs(line, o1);
        }
        fclose(in);
        fclose(o1);
        fclose(o2);

        wt_train_opts_init(&o);
        o.folds = 0;
        o.threads = 1;
        o.min_df = 1;
        assert_int_equal(wt_train_opts_add_file(&o, p1), WT_OK);
        assert_int_equal(wt_train_opts_add_file(&o, p2), WT_OK);
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)), WT_OK);
        assert_int_equal(wt_model_is_multilabel(m), 1);
        sources = json_object_get(wt_model_meta(m), "sources");
        assert_int_equal(json_array_size(sources), 2);
        assert_string_equal(json_string_value(json_object_get(
                                    json_array_get(sources, 0), "name")),
                            "sw.jsonl");
        {
                json_t *l0 = json_object_get(json_array_get(sources, 0),
                                             "labels");
                json_t *l1 = json_object_get(json_array_get(sources, 1),
                                             "labels");
                assert_int_equal(json_array_size(l0), 2);
                assert_true(json_has_string(l0, "sport"));
                assert_true(json_has_string(l0, "weather"));
                assert_int_equal(json_array_size(l1), 2);
                assert_true(json_has_string(l1, "markets"));
                assert_true(json_has_string(l1, "sport"));
        }
        wt_model_destroy(m);
        wt_train_opts_clear(&o);
        {
                static const char *const names[] = {"sw.jsonl", "ms.jsonl"};
                wt_test_rmdir(dir, names, 2);
        }
}

/* The vocabulary: buckets in >= min_df documents, idf =
 * ln((1 + N) / (1 + df)) + 1. */
static void test_vocab_min_df_idf(void **state) {
        static const char *data =
                "{\"text\": \"apple banana\", \"labels\": [\"p\"]}\n"
                "{\"text\": \"Apple cherry apple\", \"labels\": [\"q\"]}\n"
                "{\"text\": \"apple banana durian\", \"labels\": [\"p\"]}\n"
                "{\"text\": \"elder fig\", \"labels\": [\"q\"]}\n";
        static const struct {
                unsigned min_df;
                size_t nfeatures;
        } cases[] = {{1, 6}, {2, 2}, {3, 1}};
        char dir[256], path[512], err[1024];
        size_t k;
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        snprintf(path, sizeof(path), "%s/tiny.jsonl", dir);
        wt_test_write_str(path, data);
        for (k = 0; k < 4; k++) {
                wt_train_opts_t o;
                wt_model_t *m = NULL;
                wt_err_t e;
                wt_train_opts_init(&o);
                o.folds = 0;
                o.threads = 1;
                o.conf.ngram_max = 1;
                o.min_df = k < 3 ? cases[k].min_df : 4;
                assert_int_equal(wt_train_opts_add_file(&o, path), WT_OK);
                e = wt_train(&o, &m, err, sizeof(err));
                wt_train_opts_clear(&o);
                if (k == 3) { /* df 4: nothing left */
                        assert_int_equal(e, WT_ERR_TRAIN);
                        continue;
                }
                assert_int_equal(e, WT_OK);
                assert_int_equal(wt_model_is_multilabel(m), 0);
                assert_int_equal(wt_model_nfeatures(m), cases[k].nfeatures);
                {
                        const wt_feature_conf_t *c = wt_model_feature_conf(m);
                        const char *apple = "apple", *banana = "banana";
                        size_t la = 5, lb = 6;
                        int sign;
                        int64_t ra = wt_vocab_lookup(
                                m->vocab,
                                wt_features_bucket_of(c, &apple, &la, 1,
                                                      &sign));
                        int64_t rb = wt_vocab_lookup(
                                m->vocab,
                                wt_features_bucket_of(c, &banana, &lb, 1,
                                                      &sign));
                        assert_true(ra >= 0);
                        /* df(apple) = 3 of N = 4 documents. */
                        assert_float_equal(wt_vocab_idf(m->vocab)[ra],
                                           log(5.0 / 4.0) + 1.0, 1e-6);
                        if (cases[k].min_df <= 2) {
                                assert_true(rb >= 0);
                                assert_float_equal(
                                        wt_vocab_idf(m->vocab)[rb],
                                        log(5.0 / 3.0) + 1.0, 1e-6);
                        } else {
                                assert_int_equal(rb, -1);
                        }
                }
                wt_model_destroy(m);
        }
        {
                static const char *const names[] = {"tiny.jsonl"};
                wt_test_rmdir(dir, names, 1);
        }
}

/* A mapped label that no document carries: it has no positive example,
 * so CV finds no threshold and the trainer stores its "never" threshold.
 * The model must still save and load (every trained model must). */
static void test_label_without_examples(void **state) {
        char dir[256], spec[512], body[8192], err[1024];
        wt_model_t *m, *m2 = NULL;
        unsigned char *buf;
        size_t len;
        int l;
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        snprintf(spec, sizeof(spec), "%s/unused.json", dir);
        subst(body, sizeof(body),
              "{\"features\": {\"min_df\": 1}, \"train\": {\"cv\": 2},"
              " \"sources\": [{\"name\": \"S\", \"files\": [\"@\"], "
              "\"labels\": {\"sport\": \"sport\", \"weather\": "
              "\"weather\", \"markets\": \"markets\", \"never\": "
              "\"unused\"}}]}",
              wt_test_fixture("single3.jsonl"));
        wt_test_write_str(spec, body);
        m = train_spec(spec, 1, -1);
        l = wt_model_label_index(m, "unused");
        assert_true(l >= 0);
        /* Never tagged. */
        assert_false(is_tagged(m, "", "unused"));
        assert_false(is_tagged(m, "match goal rain shares", "unused"));
        assert_int_equal(wt_model_serialize(m, &buf, &len), WT_OK);
        err[0] = '\0';
        if (wt_model_load_buffer(buf, len, &m2, err, sizeof(err)) != WT_OK)
                fail_msg("a trained model does not load back: %s", err);
        assert_true(wt_model_threshold(m2, (size_t)l) ==
                    wt_model_threshold(m, (size_t)l));
        wt_model_destroy(m2);
        wt_model_destroy(m);
        free(buf);
        {
                static const char *const names[] = {"unused.json"};
                wt_test_rmdir(dir, names, 1);
        }
}

/* ------------------------------------------------------ bad inputs */

/** Write a spec into dir and expect wt_train_spec_load to fail with a
 *  message naming the spec file (and containing `what` if given). */
static void expect_bad_spec(const char *dir, const char *body,
                            const char *what) {
        char spec[512], err[1024];
        wt_train_opts_t o;
        wt_err_t e;
        snprintf(spec, sizeof(spec), "%s/bad.json", dir);
        wt_test_write_str(spec, body);
        wt_train_opts_init(&o);
        err[0] = '\0';
        e = wt_train_spec_load(&o, spec, err, sizeof(err));
        if (e == WT_OK)
                fail_msg("bad spec accepted: %s", body);
        if (!strstr(err, spec))
                fail_msg("message \"%s\" does not name %s", err, spec);
        if (what && !strstr(err, what))
                fail_msg("message \"%s\" lacks \"%s\"", err, what);
        wt_train_opts_clear(&o);
        remove(spec);
}

static void test_bad_specs(void **state) {
        char dir[256];
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        expect_bad_spec(dir, "{not json", NULL);
        expect_bad_spec(dir, "", NULL);
        expect_bad_spec(dir, "[]", NULL);
        expect_bad_spec(dir, "{}", NULL); /* no sources */
        expect_bad_spec(dir, "{\"sources\": []}", "sources");
        expect_bad_spec(dir, "{\"sources\": {}}", "sources");
        expect_bad_spec(dir, "{\"sources\": [], \"bogus\": 1}", NULL);
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"]}],"
                        " \"sources\": []}",
                        NULL); /* duplicate key */
        expect_bad_spec(dir, "{\"sources\": [{\"files\": [\"f\"]}]}", NULL);
        expect_bad_spec(dir, "{\"sources\": [{\"name\": \"s\"}]}", NULL);
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": []}]}",
                        "files");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [3]}]}",
                        "files[0]");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"pooling\": \"max\"}]}",
                        "pooling");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"labels\": [\"a\"]}]}",
                        "labels");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"labels\": {\"A\": 5}}]}",
                        "\"A\"");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"labels\": {\"A\": [\"a\", 7]}}]}",
                        "target 2");
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"labels\": {\"A\": [\"\"]}}]}",
                        NULL);
        expect_bad_spec(dir,
                        "{\"sources\": [{\"name\": \"s\", \"files\": [\"f\"],"
                        " \"extra\": 1}]}",
                        NULL);
        expect_bad_spec(dir,
                        "{\"train\": {\"solver\": \"cnn\"}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        "solver");
        expect_bad_spec(dir,
                        "{\"train\": {\"C_grid\": [1, -2]}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        "C_grid");
        expect_bad_spec(dir,
                        "{\"train\": {\"C_grid\": []}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        "C_grid");
        expect_bad_spec(dir,
                        "{\"features\": {\"tf\": \"sqrt\"}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        "tf");
        expect_bad_spec(dir,
                        "{\"features\": {\"fields\": []}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        "fields");
        expect_bad_spec(dir,
                        "{\"features\": {\"ngram\": 2}, \"sources\": "
                        "[{\"name\": \"s\", \"files\": [\"f\"]}]}",
                        NULL); /* misspelt key */
        {
                /* A spec that is not there. */
                char err[1024], missing[600];
                wt_train_opts_t o;
                snprintf(missing, sizeof(missing), "%s/none.json", dir);
                wt_train_opts_init(&o);
                err[0] = '\0';
                assert_int_not_equal(wt_train_spec_load(&o, missing, err,
                                                        sizeof(err)),
                                     WT_OK);
                assert_non_null(strstr(err, missing));
                wt_train_opts_clear(&o);
        }
        assert_int_equal(rmdir(dir), 0);
}

/** Train on spec text (files given absolute) and expect failure with a
 *  message containing every string in `what`. */
static void expect_train_fails(const char *dir, const char *data,
                               const char *spec_body, const char *const *what,
                               size_t nwhat) {
        char spec[512], dpath[512], body[4096], err[1024];
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        wt_err_t e;
        size_t i;
        snprintf(dpath, sizeof(dpath), "%s/data.jsonl", dir);
        snprintf(spec, sizeof(spec), "%s/spec.json", dir);
        wt_test_write_str(dpath, data);
        subst(body, sizeof(body), spec_body, dpath);
        wt_test_write_str(spec, body);
        wt_train_opts_init(&o);
        assert_int_equal(wt_train_spec_load(&o, spec, err, sizeof(err)),
                         WT_OK);
        o.folds = 0;
        o.threads = 1;
        o.min_df = 1;
        err[0] = '\0';
        e = wt_train(&o, &m, err, sizeof(err));
        if (e == WT_OK)
                fail_msg("training accepted bad data:\n%s", data);
        assert_null(m);
        for (i = 0; i < nwhat; i++) {
                char w[600];
                subst(w, sizeof(w), what[i], dpath);
                if (!strstr(err, w))
                        fail_msg("message \"%s\" lacks \"%s\"", err, w);
        }
        wt_train_opts_clear(&o);
        remove(dpath);
        remove(spec);
}

static void test_bad_training_data(void **state) {
        char dir[256];
        static const char *mapped =
                "{\"sources\": [{\"name\": \"S\", \"files\": [\"@\"], "
                "\"labels\": {\"a\": \"A\", \"b\": [\"B\"], \"n\": null}}]}";
        static const char *plain =
                "{\"sources\": [{\"name\": \"S\", \"files\": [\"@\"]}]}";
        (void)state;
        wt_test_tmpdir(dir, sizeof(dir));
        {
                /* Label not in the mapping: file:line and the label. */
                static const char *const w[] = {"@:3", "\"w\"", "\"S\""};
                expect_train_fails(dir,
                                   "{\"text\": \"one two\", \"labels\": "
                                   "[\"a\"]}\n"
                                   "{\"text\": \"three four\", \"labels\": "
                                   "[\"b\", \"n\"]}\n"
                                   "{\"text\": \"five six\", \"labels\": "
                                   "[\"w\"]}\n",
                                   mapped, w, 3);
        }
        {
                /* Bad JSON on line 2 (after a blank line: line 3). */
                static const char *const w[] = {"@:3"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": [\"x\"]}\n"
                                   "\n"
                                   "{\"text\": \"c d\", \"labels\": [\"y\"]\n"
                                   "{\"text\": \"e f\", \"labels\": [\"y\"]}\n",
                                   plain, w, 1);
        }
        {
                /* labels missing. */
                static const char *const w[] = {"@:2", "labels"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": [\"x\"]}\n"
                                   "{\"text\": \"c d\"}\n",
                                   plain, w, 2);
        }
        {
                /* A label that is not a string. */
                static const char *const w[] = {"@:1", "labels[1]"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": [\"x\", "
                                   "3]}\n"
                                   "{\"text\": \"c d\", \"labels\": [\"y\"]}\n",
                                   plain, w, 2);
        }
        {
                /* No text field. */
                static const char *const w[] = {"@:2", "title"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": [\"x\"]}\n"
                                   "{\"body\": \"c d\", \"labels\": [\"y\"]}\n",
                                   plain, w, 2);
        }
        {
                /* No labels at all. */
                static const char *const w[] = {"no labels"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": []}\n"
                                   "{\"text\": \"c d\", \"labels\": []}\n",
                                   plain, w, 1);
        }
        {
                /* One document is not enough. */
                static const char *const w[] = {"at least 2"};
                expect_train_fails(dir,
                                   "{\"text\": \"a b\", \"labels\": [\"x\"]}\n",
                                   plain, w, 1);
        }
        assert_int_equal(rmdir(dir), 0);
}

static void test_bad_opts(void **state) {
        wt_train_opts_t o;
        wt_model_t *m = (wt_model_t *)1;
        char err[1024];
        (void)state;

        wt_train_opts_init(&o);
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)),
                         WT_ERR_INVALID_ARG); /* no sources */
        assert_null(m);
        assert_true(strlen(err) > 0);

        assert_int_equal(wt_train_opts_add_file(
                                 &o, wt_test_fixture("single3.jsonl")),
                         WT_OK);
        o.folds = 1;
        err[0] = '\0';
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)),
                         WT_ERR_INVALID_ARG);
        assert_non_null(strstr(err, "folds"));
        o.folds = 0;
        o.conf.bits = 3;
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)),
                         WT_ERR_INVALID_ARG);
        o.conf.bits = 16;
        o.nC = 0;
        o.C = 0;
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)),
                         WT_ERR_INVALID_ARG);
        wt_train_opts_clear(&o);

        /* A data file that is not there: I/O error naming it. */
        wt_train_opts_init(&o);
        assert_int_equal(wt_train_opts_add_file(&o, "/nonexistent/x.jsonl"),
                         WT_OK);
        err[0] = '\0';
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)), WT_ERR_IO);
        assert_non_null(strstr(err, "/nonexistent/x.jsonl"));
        wt_train_opts_clear(&o);

        /* min_df above every document frequency: no features. */
        wt_train_opts_init(&o);
        o.folds = 0;
        o.min_df = 1000;
        assert_int_equal(wt_train_opts_add_file(
                                 &o, wt_test_fixture("single3.jsonl")),
                         WT_OK);
        err[0] = '\0';
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)), WT_ERR_TRAIN);
        assert_non_null(strstr(err, "min_df"));
        wt_train_opts_clear(&o);

        /* Solver names. */
        {
                wt_solver_t s;
                assert_int_equal(wt_solver_parse("svm", &s), 0);
                assert_int_equal(s, WT_SOLVER_SVM);
                assert_string_equal(wt_solver_name(s), "svm");
                assert_int_equal(wt_solver_parse("l1lr", &s), 0);
                assert_int_equal(s, WT_SOLVER_L1LR);
                assert_int_equal(wt_solver_parse("lr", &s), 0);
                assert_string_equal(wt_solver_name(s), "lr");
                assert_int_equal(wt_solver_parse("LR", &s), -1);
                assert_int_equal(wt_solver_parse("", &s), -1);
        }
}

/* ---------------------------------------------------------- solvers */

static void test_solvers(void **state) {
        wt_solver_t solvers[] = {WT_SOLVER_SVM, WT_SOLVER_L1LR};
        size_t i;
        (void)state;
        for (i = 0; i < 2; i++) {
                wt_train_opts_t o;
                wt_model_t *m = NULL;
                char err[1024];
                wt_train_opts_init(&o);
                o.folds = 2;
                o.threads = 2;
                o.min_df = 1;
                o.solver = solvers[i];
                assert_int_equal(wt_train_opts_add_file(
                                         &o, wt_test_fixture("single3.jsonl")),
                                 WT_OK);
                if (wt_train(&o, &m, err, sizeof(err)))
                        fail_msg("%s: %s", wt_solver_name(solvers[i]), err);
                assert_int_equal(wt_model_score_kind(m),
                                 solvers[i] == WT_SOLVER_SVM
                                         ? WT_SCORE_MARGIN
                                         : WT_SCORE_PROBABILITY);
                assert_string_equal(json_string_value(json_object_get(
                                            wt_model_meta(m), "solver")),
                                    wt_solver_name(solvers[i]));
                assert_true(is_tagged(m, "rain storm forecast", "weather"));
                wt_model_destroy(m);
                wt_train_opts_clear(&o);
        }
}

/* ------------------------------------------------------ determinism */

static void serialize_model(const wt_model_t *m, unsigned char **buf,
                            size_t *len) {
        assert_int_equal(wt_model_serialize(m, buf, len), WT_OK);
}

static void test_determinism(void **state) {
        unsigned char *b1, *b2, *b3;
        size_t l1, l2, l3;
        wt_model_t *m1, *m2, *m3;
        (void)state;
        /* Same options, different thread counts: byte-identical files. */
        m1 = train_spec(wt_test_fixture("partial/spec.json"), 1, -1);
        m2 = train_spec(wt_test_fixture("partial/spec.json"), 3, -1);
        serialize_model(m1, &b1, &l1);
        serialize_model(m2, &b2, &l2);
        assert_int_equal(l1, l2);
        assert_memory_equal(b1, b2, l1);
        assert_string_equal(wt_model_id(m1), wt_model_id(m2));

        /* The date comes from SOURCE_DATE_EPOCH: another epoch, another
         * file (so the check above is not vacuous). */
        setenv("SOURCE_DATE_EPOCH", "1800000000", 1);
        m3 = train_spec(wt_test_fixture("partial/spec.json"), 2, -1);
        setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
        serialize_model(m3, &b3, &l3);
        assert_true(l3 != l1 || memcmp(b1, b3, l1) != 0);
        assert_string_not_equal(wt_model_id(m1), wt_model_id(m3));

        free(b1);
        free(b2);
        free(b3);
        wt_model_destroy(m1);
        wt_model_destroy(m2);
        wt_model_destroy(m3);
}

/* Progress callbacks come with sane numbers. */
typedef struct progress {
        size_t calls, bad;
        int saw_final;
} progress_t;

static void on_progress(void *opaque, const char *stage, size_t done,
                        size_t total) {
        progress_t *p = opaque;
        p->calls++;
        if (!stage || done > total)
                p->bad++;
        if (stage && !strcmp(stage, "final models") && done == total)
                p->saw_final = 1;
}

static void test_progress(void **state) {
        wt_train_opts_t o;
        wt_model_t *m = NULL;
        progress_t p = {0, 0, 0};
        char err[1024];
        (void)state;
        wt_train_opts_init(&o);
        o.folds = 2;
        o.threads = 2;
        o.min_df = 1;
        o.progress = on_progress;
        o.opaque = &p;
        assert_int_equal(wt_train_opts_add_file(
                                 &o, wt_test_fixture("single3.jsonl")),
                         WT_OK);
        assert_int_equal(wt_train(&o, &m, err, sizeof(err)), WT_OK);
        assert_true(p.calls > 0);
        assert_int_equal(p.bad, 0);
        assert_true(p.saw_final);
        wt_model_destroy(m);
        wt_train_opts_clear(&o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_single_label),
                cmocka_unit_test(test_force_multilabel),
                cmocka_unit_test(test_multi_label),
                cmocka_unit_test(test_spec_load),
                cmocka_unit_test(test_partial_label_spaces),
                cmocka_unit_test(test_partial_counterfactual),
                cmocka_unit_test(test_partial_unmapped_sources),
                cmocka_unit_test(test_vocab_min_df_idf),
                cmocka_unit_test(test_label_without_examples),
                cmocka_unit_test(test_bad_specs),
                cmocka_unit_test(test_bad_training_data),
                cmocka_unit_test(test_bad_opts),
                cmocka_unit_test(test_solvers),
                cmocka_unit_test(test_determinism),
                cmocka_unit_test(test_progress),
        };
        return cmocka_run_group_tests_name("train", tests, setup_env, NULL);
}
