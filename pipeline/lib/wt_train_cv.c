/*
 * wiretag - wt_train_cv.c: liblinear training runs spread over worker
 * threads, stratified blocked folds, cross-validation, best-F1
 * thresholds and the choice of C. See wt_train_int.h.
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


static int wt_solver_type(wt_solver_t s) {
        return s == WT_SOLVER_SVM    ? L2R_L2LOSS_SVC
               : s == WT_SOLVER_L1LR ? L1R_LR
                                     : L2R_LR;
}

/* Does label l apply to doc d (its source annotates l)? */

static int wt_applies(const wt_trainer_t *t, size_t d, uint32_t l) {
        return t->ds->knows[t->ds->docs[d].source * t->ds->nlabels + l];
}

static int wt_has_label(const wt_tdoc_t *d, uint32_t l) {
        uint32_t k;
        for (k = 0; k < d->nlab; k++)
                if (d->lab[k] == l)
                        return 1;
        return 0;
}

static int wt_run_task(wt_trainer_t *t, const wt_task_t *task) {
        const wt_dataset_t *ds = t->ds;
        struct problem prob;
        struct parameter param;
        struct model *mdl;
        size_t d, n = 0, npos = 0;
        double sign;

        memset(&prob, 0, sizeof(prob));
        prob.x = malloc((ds->ndocs ? ds->ndocs : 1) * sizeof(*prob.x));
        prob.y = malloc((ds->ndocs ? ds->ndocs : 1) * sizeof(*prob.y));
        if (!prob.x || !prob.y) {
                free(prob.x);
                free(prob.y);
                return -1;
        }
        for (d = 0; d < ds->ndocs; d++) {
                int pos;
                if (!wt_applies(t, d, task->label))
                        continue;
                if (task->fold >= 0 && t->fold_of[d] == (uint32_t)task->fold)
                        continue;
                pos = wt_has_label(&ds->docs[d], task->label);
                prob.x[n] = ds->docs[d].x;
                prob.y[n] = pos ? 1.0 : -1.0;
                npos += pos;
                n++;
        }
        prob.l = (int)n;
        prob.n = (int)t->nfeatures + 1;
        prob.bias = 1.0;

        memset(&param, 0, sizeof(param));
        param.solver_type = wt_solver_type(t->opts->solver);
        param.C = t->Cs[task->ci];
        param.eps = 0.01; /* liblinear's default for all three solvers */

        if (npos == 0 || npos == n) {
                /* Nothing to separate: a constant scorer. */
                double bias = npos ? 10.0 : -10.0;
                /* Out of fold, a constant scorer knows nothing: rank its
                 * documents below every real score. */
                float oof_score = npos ? 1e4f : -1e4f;
                if (task->fold < 0) {
                        double *w = t->final_w +
                                    (size_t)task->label * (t->nfeatures + 1);
                        memset(w, 0, t->nfeatures * sizeof(*w));
                        w[t->nfeatures] = bias;
                } else {
                        float *oof = t->oof + ((size_t)task->ci *
                                                       ds->nlabels +
                                               task->label) *
                                                      ds->ndocs;
                        for (d = 0; d < ds->ndocs; d++)
                                if (t->fold_of[d] == (uint32_t)task->fold)
                                        oof[d] = oof_score;
                }
                free(prob.x);
                free(prob.y);
                return 0;
        }

        if (param.solver_type == L1R_LR)
                srand((unsigned)t->opts->seed); /* its shuffles use rand() */
        mdl = train(&prob, &param);
        free(prob.x);
        free(prob.y);
        if (!mdl)
                return -1;
        /* liblinear's decision value is positive for model->label[0]. */
        sign = mdl->label[0] == 1 ? 1.0 : -1.0;

        if (task->fold < 0) {
                double *w = t->final_w +
                            (size_t)task->label * (t->nfeatures + 1);
                size_t f;
                for (f = 0; f <= t->nfeatures; f++)
                        w[f] = sign * mdl->w[f];
        } else {
                float *oof = t->oof +
                             ((size_t)task->ci * ds->nlabels + task->label) *
                                     ds->ndocs;
                for (d = 0; d < ds->ndocs; d++) {
                        double dec;
                        if (t->fold_of[d] != (uint32_t)task->fold ||
                            !wt_applies(t, d, task->label))
                                continue;
                        predict_values(mdl, ds->docs[d].x, &dec);
                        oof[d] = (float)(sign * dec);
                }
        }
        free_and_destroy_model(&mdl);
        return 0;
}

static void *wt_worker(void *arg) {
        wt_trainer_t *t = arg;
        size_t i;
        while ((i = atomic_fetch_add(&t->next, 1)) < t->ntasks) {
                if (atomic_load(&t->failed))
                        break;
                if (wt_run_task(t, &t->tasks[i]))
                        atomic_store(&t->failed, 1);
                atomic_fetch_add(&t->done, 1);
        }
        return NULL;
}

/* Run t->tasks on the configured threads; the calling thread reports
 * progress. */
static int wt_run_tasks(wt_trainer_t *t, const char *stage) {
        unsigned nthreads = t->opts->threads, i;
        pthread_t *th;
        size_t started = 0;

        if (nthreads == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                nthreads = n > 0 ? (unsigned)n : 1;
        }
        if (t->opts->solver == WT_SOLVER_L1LR)
                nthreads = 1; /* rand() is process-wide: stay deterministic */
        if (nthreads > t->ntasks)
                nthreads = t->ntasks ? (unsigned)t->ntasks : 1;
        atomic_store(&t->next, 0);
        atomic_store(&t->done, 0);
        th = calloc(nthreads, sizeof(*th));
        if (!th)
                return -1;
        for (i = 0; i < nthreads; i++) {
                if (pthread_create(&th[i], NULL, wt_worker, t)) {
                        atomic_store(&t->failed, 1);
                        break;
                }
                started++;
        }
        while (atomic_load(&t->done) < t->ntasks && !atomic_load(&t->failed) &&
               started) {
                struct timespec ts = {0, 100 * 1000 * 1000};
                if (t->opts->progress)
                        t->opts->progress(t->opts->opaque, stage,
                                          atomic_load(&t->done), t->ntasks);
                nanosleep(&ts, NULL);
        }
        for (i = 0; i < started; i++)
                pthread_join(th[i], NULL);
        free(th);
        if (t->opts->progress)
                t->opts->progress(t->opts->opaque, stage,
                                  atomic_load(&t->done), t->ntasks);
        return atomic_load(&t->failed) ? -1 : 0;
}

/* Below this out-of-fold F1 a tuned threshold is not trusted. */
#define WT_FBR 0.3

static int wt_scored_cmp(const void *a, const void *b) {
        const wt_scored_t *x = a, *y = b;
        if (x->score != y->score)
                return x->score < y->score ? 1 : -1;
        return (int)x->pos - (int)y->pos; /* negatives first on ties */
}

/* Best-F1 threshold over out-of-fold decision values of label l. */
static double wt_best_threshold(const wt_trainer_t *t, uint32_t ci,
                                uint32_t l, double *f1_out,
                                wt_scored_t *buf) {
        const wt_dataset_t *ds = t->ds;
        const float *oof = t->oof + ((size_t)ci * ds->nlabels + l) * ds->ndocs;
        size_t d, n = 0, k, P = 0, tp = 0, fp = 0;
        double best_f1 = -1.0, thr = 1e30;

        for (d = 0; d < ds->ndocs; d++) {
                if (!wt_applies(t, d, l))
                        continue;
                buf[n].score = oof[d];
                buf[n].pos = (uint8_t)wt_has_label(&ds->docs[d], l);
                P += buf[n].pos;
                n++;
        }
        *f1_out = 0.0;
        if (P == 0 || n == 0)
                return 1e30;
        qsort(buf, n, sizeof(*buf), wt_scored_cmp);
        for (k = 0; k < n; k++) {
                double f1;
                tp += buf[k].pos;
                fp += !buf[k].pos;
                if (k + 1 < n && buf[k + 1].score == buf[k].score)
                        continue; /* cut only between distinct scores */
                f1 = 2.0 * (double)tp / (double)(tp + fp + P);
                if (f1 > best_f1) {
                        best_f1 = f1;
                        thr = k + 1 < n ? 0.5 * ((double)buf[k].score +
                                                 (double)buf[k + 1].score)
                                        : (double)buf[k].score - 1.0;
                }
        }
        *f1_out = best_f1;
        /* SCut.FBR (Yang, 2001): a label whose best out-of-fold F1 is poor
         * (typically one seen in one or two documents) keeps the neutral
         * threshold, margin 0, rather than a cut tuned on noise that could
         * fire on every article. */
        if (best_f1 < WT_FBR)
                thr = thr > 0.0 ? thr : 0.0;
        return thr;
}

/* Out-of-fold predictions of doc d under the chosen C's, into pred[]. */
static void wt_oof_predict(const wt_trainer_t *t, size_t d, int multilabel,
                           const float *thr, uint8_t *pred) {
        const wt_dataset_t *ds = t->ds;
        uint32_t l, best = UINT32_MAX;
        float best_s = 0;
        for (l = 0; l < ds->nlabels; l++) {
                float s = t->oof[((size_t)t->final_ci[l] * ds->nlabels + l) *
                                         ds->ndocs +
                                 d];
                pred[l] = 0;
                if (!wt_applies(t, d, l))
                        continue;
                if (multilabel)
                        pred[l] = s >= thr[l];
                else if (best == UINT32_MAX || s > best_s) {
                        best = l;
                        best_s = s;
                }
        }
        if (!multilabel && best != UINT32_MAX)
                pred[best] = 1;
}

json_t *wt_cv_report(const wt_trainer_t *t, int multilabel,
                            const float *thr) {
        const wt_dataset_t *ds = t->ds;
        wt_metrics_t *m = wt_metrics_new(ds->nlabels);
        uint8_t *gold = calloc(ds->nlabels, 1), *pred = calloc(ds->nlabels, 1);
        json_t *per = json_object(), *rep = NULL;
        size_t d, l;

        if (!m || !gold || !pred || !per)
                goto done;
        for (d = 0; d < ds->ndocs; d++) {
                memset(gold, 0, ds->nlabels);
                for (l = 0; l < ds->docs[d].nlab; l++)
                        gold[ds->docs[d].lab[l]] = 1;
                wt_oof_predict(t, d, multilabel, thr, pred);
                wt_metrics_add(m, gold, pred,
                               ds->knows + ds->docs[d].source * ds->nlabels);
        }
        for (l = 0; l < ds->nlabels; l++) {
                wt_label_score_t s;
                wt_metrics_label(m, l, &s);
                json_object_set_new(
                        per, ds->labels[l],
                        json_pack("{s:f, s:f, s:f, s:I, s:f}", "precision",
                                  s.precision, "recall", s.recall, "f1", s.f1,
                                  "support", (json_int_t)s.support, "C",
                                  t->Cs[t->final_ci[l]]));
        }
        rep = json_pack("{s:i, s:f, s:f, s:f, s:o, s:o, s:s}", "folds",
                        (int)t->folds, "micro_f1", wt_metrics_micro_f1(m),
                        "macro_f1", wt_metrics_macro_f1(m), "example_f1",
                        wt_metrics_example_f1(m), "accuracy",
                        multilabel ? json_null()
                                   : json_real(wt_metrics_accuracy(m)),
                        "per_label", per, "note",
                        "out-of-fold predictions; C and thresholds were "
                        "tuned on the same folds, so scores are slightly "
                        "optimistic");
        per = NULL;
done:
        json_decref(per);
        wt_metrics_destroy(m);
        free(gold);
        free(pred);
        return rep;
}
/* The C values to train with, and the trainer's buffers. */
wt_err_t wt_trainer_init(wt_trainer_t *t, const wt_train_opts_t *o,
                                wt_dataset_t *ds, size_t nfeatures) {
        t->opts = o;
        t->ds = ds;
        t->nfeatures = nfeatures;
        t->folds = o->folds;
        if (o->C > 0) {
                t->Cs = (double *)&o->C;
                t->nC = 1;
        } else {
                t->Cs = (double *)o->C_grid;
                t->nC = o->nC;
        }
        if (!t->folds && t->nC > 1) {
                /* No CV to choose with: take the middle of the grid. */
                t->Cs = (double *)&o->C_grid[o->nC / 2];
                t->nC = 1;
        }
        t->fold_of = calloc(ds->ndocs, sizeof(*t->fold_of));
        t->final_w = calloc(ds->nlabels * (nfeatures + 1), sizeof(double));
        t->final_ci = calloc(ds->nlabels, sizeof(*t->final_ci));
        t->tasks = malloc(ds->nlabels * (t->nC * (t->folds + 1) + 1) *
                          sizeof(*t->tasks));
        if (t->folds)
                t->oof = calloc(t->nC * ds->nlabels * ds->ndocs,
                                sizeof(float));
        if (!t->fold_of || !t->final_w || !t->final_ci || !t->tasks ||
            (t->folds && !t->oof))
                return WT_ERR_NOMEM;
        return WT_OK;
}

void wt_trainer_clear(wt_trainer_t *t) {
        free(t->fold_of);
        free(t->oof);
        free(t->final_w);
        free(t->final_ci);
        free(t->tasks);
}

/* Step 3: folds. They are stratified, contiguous blocks: documents are
 * grouped by source and first label, and each group is cut in file order
 * into K consecutive blocks. News datasets keep sentences or updates of
 * one story next to each other; shuffled folds would put near-duplicates
 * on both sides of a split and overstate every score (on CAMEO, shuffled
 * 5-fold macro-F1 is about 0.85, blocked about 0.55, the held-out test set
 * nearer the latter). The seed only rotates which block is which fold. */
wt_err_t wt_train_assign_folds(wt_trainer_t *t) {
        const wt_dataset_t *ds = t->ds;
        size_t d, g, ngroups = t->opts->nsources * (ds->nlabels + 1);
        uint32_t *group = malloc((ds->ndocs ? ds->ndocs : 1) *
                                 sizeof(*group));
        size_t *gsize = calloc(ngroups, sizeof(*gsize));
        size_t *gpos = calloc(ngroups, sizeof(*gpos));

        if (!group || !gsize || !gpos) {
                free(group);
                free(gsize);
                free(gpos);
                return WT_ERR_NOMEM;
        }
        for (d = 0; d < ds->ndocs; d++) {
                const wt_tdoc_t *doc = &ds->docs[d];
                g = doc->source * (ds->nlabels + 1) +
                    (doc->nlab ? doc->lab[0] + 1 : 0);
                group[d] = (uint32_t)g;
                gsize[g]++;
        }
        for (d = 0; d < ds->ndocs; d++) {
                g = group[d];
                t->fold_of[d] = (uint32_t)(
                        (gpos[g]++ * t->folds / gsize[g] + t->opts->seed) %
                        t->folds);
        }
        free(group);
        free(gsize);
        free(gpos);
        return WT_OK;
}

/* Step 4: cross-validation, every label and fold for every C of the
 * grid. */
wt_err_t wt_train_cross_validate(wt_trainer_t *t, char *errstr,
                                        size_t errstr_size) {
        size_t i, l, fi;
        t->ntasks = 0;
        for (i = 0; i < t->nC; i++)
                for (l = 0; l < t->ds->nlabels; l++)
                        for (fi = 0; fi < t->folds; fi++)
                                t->tasks[t->ntasks++] = (wt_task_t){
                                        (uint32_t)l, (int32_t)fi,
                                        (uint32_t)i};
        if (wt_run_tasks(t, "cross-validation"))
                return BAD(WT_ERR_TRAIN,
                           "liblinear training failed (out of memory?)");
        return WT_OK;
}

/* Step 5: choose C, per label by best out-of-fold F1, or for a
 * single-label model one C by out-of-fold accuracy; then each label's
 * threshold (a margin) at its C. */
wt_err_t wt_train_choose(wt_trainer_t *t, int multilabel, float *thr,
                                wt_scored_t *sbuf) {
        const wt_dataset_t *ds = t->ds;
        size_t i, l, d;
        double f1;

        if (multilabel) {
                for (l = 0; l < ds->nlabels; l++) {
                        double best = -1.0;
                        for (i = 0; i < t->nC; i++) {
                                wt_best_threshold(t, (uint32_t)i, (uint32_t)l,
                                                  &f1, sbuf);
                                if (f1 > best + 1e-12) {
                                        best = f1;
                                        t->final_ci[l] = (uint32_t)i;
                                }
                        }
                }
        } else {
                double best = -1.0;
                uint32_t best_i = 0;
                uint8_t *pred = calloc(ds->nlabels, 1);
                if (!pred)
                        return WT_ERR_NOMEM;
                for (i = 0; i < t->nC; i++) {
                        size_t correct = 0;
                        for (l = 0; l < ds->nlabels; l++)
                                t->final_ci[l] = (uint32_t)i;
                        for (d = 0; d < ds->ndocs; d++) {
                                wt_oof_predict(t, d, 0, thr, pred);
                                correct += pred[ds->docs[d].lab[0]];
                        }
                        if ((double)correct > best) {
                                best = (double)correct;
                                best_i = (uint32_t)i;
                        }
                }
                free(pred);
                for (l = 0; l < ds->nlabels; l++)
                        t->final_ci[l] = best_i;
        }
        for (l = 0; l < ds->nlabels; l++)
                thr[l] = (float)wt_best_threshold(t, t->final_ci[l],
                                                  (uint32_t)l, &f1, sbuf);
        return WT_OK;
}

/* Step 6: the final model of each label, on all documents. */
wt_err_t wt_train_final(wt_trainer_t *t, char *errstr,
                               size_t errstr_size) {
        size_t l;
        t->ntasks = 0;
        for (l = 0; l < t->ds->nlabels; l++)
                t->tasks[t->ntasks++] =
                        (wt_task_t){(uint32_t)l, -1, t->final_ci[l]};
        if (wt_run_tasks(t, "final models"))
                return BAD(WT_ERR_TRAIN, "liblinear training failed");
        return WT_OK;
}
