/*
 * wiretag - wt_train.c: one-vs-rest liblinear training with
 * cross-validated C and thresholds. See wt_train.h.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_train.h"

#include <errno.h>
#include <linear.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "wt_article.h"
#include "wt_metrics.h"
#include "wt_model_int.h"
#include "wt_train_int.h"
#include "wt_reader.h"

#ifndef WT_VERSION
#define WT_VERSION "0.0.0"
#endif

#define BAD(code, ...) wt_seterr(errstr, errstr_size, code, __VA_ARGS__)

static void wt_liblinear_quiet(const char *s) {
        (void)s;
}

static double wt_sigmoid_d(double z) {
        return 1.0 / (1.0 + exp(-z));
}

static void wt_iso_date(char *buf, size_t size) {
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        time_t now = sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Step 7: the model, weights transposed to feature-major floats and
 * thresholds in score space. Takes *vocabp (set to NULL). */
static wt_err_t wt_train_model(const wt_trainer_t *t, int multilabel,
                               const float *thr, wt_vocab_t **vocabp,
                               wt_model_t **mp) {
        const wt_train_opts_t *o = t->opts;
        const wt_dataset_t *ds = t->ds;
        wt_model_t *m;
        size_t l, si;

        if (!(*mp = m = wt_model_alloc((uint32_t)ds->nlabels)) ||
            !(m->name = strdup(o->name ? o->name : "wiretag-model")) ||
            !(m->weights = malloc(t->nfeatures * ds->nlabels *
                                  sizeof(*m->weights))))
                return WT_ERR_NOMEM;
        m->conf = o->conf;
        m->multilabel = multilabel;
        m->score_kind = o->solver == WT_SOLVER_SVM ? WT_SCORE_MARGIN
                                                   : WT_SCORE_PROBABILITY;
        m->vocab = *vocabp;
        *vocabp = NULL;
        for (l = 0; l < ds->nlabels; l++) {
                const double *w = t->final_w + l * (t->nfeatures + 1);
                size_t f;
                for (f = 0; f < t->nfeatures; f++)
                        m->weights[f * ds->nlabels + l] = (float)w[f];
                m->bias[l] = (float)w[t->nfeatures];
                /* Thresholds live in score space: probabilities for LR. */
                if (m->score_kind == WT_SCORE_PROBABILITY && thr[l] < 1e29f)
                        m->thresholds[l] = (float)wt_sigmoid_d(thr[l]);
                else
                        m->thresholds[l] = thr[l] < 1e29f ? thr[l] : 1e30f;
                if (!(m->labels[l] = strdup(ds->labels[l])))
                        return WT_ERR_NOMEM;
                for (si = 0; si < o->nsources; si++)
                        if (ds->knows[si * ds->nlabels + l] &&
                            o->sources[si].pooling == WT_POOL_SENTENCE_MAX)
                                m->pooling[l] = WT_POOL_SENTENCE_MAX;
                m->any_sentence_pool |= m->pooling[l] == WT_POOL_SENTENCE_MAX;
        }
        return WT_OK;
}

/* Step 8: the metadata (the model card's facts: data files with their
 * checksums, sources, settings, cross-validated scores), then the model
 * id. Takes *cvp (set to NULL). */
static wt_err_t wt_train_meta(const wt_trainer_t *t, json_t **cvp,
                              wt_model_t *m) {
        const wt_train_opts_t *o = t->opts;
        const wt_dataset_t *ds = t->ds;
        json_t *meta, *files = json_array(), *sources = json_array();
        unsigned char *buf;
        size_t fi, si, l, len;
        char date[32];
        int bad = !files || !sources;
        wt_err_t err;

        wt_iso_date(date, sizeof(date));
        for (fi = 0; fi < ds->nfiles && !bad; fi++)
                bad = json_array_append_new(
                        files,
                        json_pack("{s:s, s:s, s:s, s:I, s:I}", "path",
                                  ds->files[fi].path, "source",
                                  o->sources[ds->files[fi].source].name,
                                  "sha256", ds->files[fi].sha256, "docs",
                                  (json_int_t)ds->files[fi].docs, "bytes",
                                  (json_int_t)ds->files[fi].bytes));
        for (si = 0; si < o->nsources && !bad; si++) {
                json_t *known = json_array();
                bad = !known;
                for (l = 0; l < ds->nlabels && !bad; l++)
                        if (ds->knows[si * ds->nlabels + l])
                                bad = json_array_append_new(
                                        known, json_string(ds->labels[l]));
                if (bad) {
                        json_decref(known);
                        break;
                }
                bad = json_array_append_new(
                        sources,
                        json_pack("{s:s, s:s, s:o}", "name",
                                  o->sources[si].name, "pooling",
                                  o->sources[si].pooling ==
                                                  WT_POOL_SENTENCE_MAX
                                          ? "sentence_max"
                                          : "doc",
                                  "labels", known));
        }
        if (bad) {
                json_decref(files);
                json_decref(sources);
                return WT_ERR_NOMEM;
        }
        meta = json_pack("{s:s, s:s, s:o, s:o, s:I, s:I, s:s, s:I, s:i, "
                         "s:I, s:o}",
                         "tool", "wiretag " WT_VERSION, "created", date,
                         "data", files, "sources", sources, "docs",
                         (json_int_t)ds->ndocs, "features",
                         (json_int_t)t->nfeatures, "solver",
                         wt_solver_name(o->solver), "min_df",
                         (json_int_t)o->min_df, "folds", (int)o->folds,
                         "seed", (json_int_t)o->seed, "cv",
                         *cvp ? *cvp : json_null());
        *cvp = NULL;
        if (!meta)
                return WT_ERR_NOMEM;
        json_decref(m->meta);
        m->meta = meta;
        if ((err = wt_model_serialize(m, &buf, &len)))
                return err;
        wt_model_set_id(m, buf, len);
        free(buf);
        return WT_OK;
}

wt_err_t wt_train(const wt_train_opts_t *o, wt_model_t **modelp,
                  char *errstr, size_t errstr_size) {
        wt_dataset_t ds;
        wt_trainer_t t;
        wt_fscratch_t *fs = NULL;
        wt_vocab_t *vocab = NULL;
        wt_model_t *m = NULL;
        wt_scored_t *sbuf = NULL;
        float *thr = NULL;
        size_t l;
        int multilabel;
        wt_err_t err;
        json_t *cv = NULL;

        *modelp = NULL;
        if (errstr && errstr_size)
                errstr[0] = '\0';
        memset(&ds, 0, sizeof(ds));
        memset(&t, 0, sizeof(t));
        set_print_string_function(wt_liblinear_quiet);

        if ((err = wt_feature_conf_check(&o->conf, errstr, errstr_size)))
                return err;
        if (o->nsources == 0)
                return BAD(WT_ERR_INVALID_ARG, "no training data given");
        if (o->folds == 1 || o->folds > 100)
                return BAD(WT_ERR_INVALID_ARG,
                           "cross-validation needs 2..100 folds, not %u",
                           o->folds);
        if (!(o->C > 0) && o->nC == 0)
                return BAD(WT_ERR_INVALID_ARG, "no C value to train with");

        if (!(fs = wt_fscratch_new())) {
                err = WT_ERR_NOMEM;
                goto fail;
        }
        if ((err = wt_train_read(&ds, o, fs, errstr, errstr_size)))
                goto fail;
        multilabel = wt_train_multilabel(&ds, o);
        if ((err = wt_train_vectorize(&ds, o, fs, &vocab, errstr,
                                      errstr_size)) ||
            (err = wt_trainer_init(&t, o, &ds, wt_vocab_size(vocab))))
                goto fail;
        thr = calloc(ds.nlabels, sizeof(*thr));
        sbuf = malloc(ds.ndocs * sizeof(*sbuf));
        if (!thr || !sbuf) {
                err = WT_ERR_NOMEM;
                goto fail;
        }
        if (t.folds) {
                if ((err = wt_train_assign_folds(&t)) ||
                    (err = wt_train_cross_validate(&t, errstr,
                                                   errstr_size)) ||
                    (err = wt_train_choose(&t, multilabel, thr, sbuf)))
                        goto fail;
                cv = wt_cv_report(&t, multilabel, thr);
        } else {
                for (l = 0; l < ds.nlabels; l++)
                        thr[l] = 0.0f; /* margin 0 = probability 0.5 */
        }
        if ((err = wt_train_final(&t, errstr, errstr_size)) ||
            (err = wt_train_model(&t, multilabel, thr, &vocab, &m)) ||
            (err = wt_train_meta(&t, &cv, m)))
                goto fail;
        *modelp = m;
        m = NULL;
        err = WT_OK;
fail:
        if (err && errstr && !*errstr)
                BAD(err, "%s", wt_err_describe(err));
        json_decref(cv);
        wt_model_destroy(m);
        wt_vocab_destroy(vocab);
        wt_fscratch_destroy(fs);
        wt_trainer_clear(&t);
        free(thr);
        free(sbuf);
        wt_dataset_clear(&ds);
        return err;
}
