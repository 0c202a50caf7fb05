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

/* ---------------------------------------------------------------- opts */

void wt_train_opts_init(wt_train_opts_t *o) {
        static const double grid[] = {1, 4, 16, 64, 256};
        memset(o, 0, sizeof(*o));
        wt_feature_conf_default(&o->conf);
        o->solver = WT_SOLVER_LR;
        memcpy(o->C_grid, grid, sizeof(grid));
        o->nC = sizeof(grid) / sizeof(grid[0]);
        o->folds = 5;
        o->min_df = 2;
        o->multilabel = -1;
        o->seed = 1;
}

static void wt_source_clear(wt_source_t *s) {
        size_t i, j;
        free(s->name);
        for (i = 0; i < s->nfiles; i++)
                free(s->files[i]);
        free(s->files);
        for (i = 0; i < s->nmap; i++) {
                free(s->map[i].raw);
                for (j = 0; j < s->map[i].ntargets; j++)
                        free(s->map[i].targets[j]);
                free(s->map[i].targets);
        }
        free(s->map);
        for (i = 0; i < s->nannotates; i++)
                free(s->annotates[i]);
        free(s->annotates);
        for (i = 0; i < s->nexclude; i++)
                free(s->exclude[i]);
        free(s->exclude);
        memset(s, 0, sizeof(*s));
}

void wt_train_opts_clear(wt_train_opts_t *o) {
        size_t i;
        for (i = 0; i < o->nsources; i++)
                wt_source_clear(&o->sources[i]);
        free(o->sources);
        free(o->name);
        o->sources = NULL;
        o->nsources = 0;
        o->name = NULL;
}

wt_source_t *wt_train_opts_new_source(wt_train_opts_t *o) {
        wt_source_t *s = realloc(o->sources,
                                 (o->nsources + 1) * sizeof(*o->sources));
        if (!s)
                return NULL;
        o->sources = s;
        s = &o->sources[o->nsources++];
        memset(s, 0, sizeof(*s));
        return s;
}

int wt_source_add_file(wt_source_t *s, const char *path) {
        char **f = realloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
        if (!f)
                return -1;
        s->files = f;
        if (!(s->files[s->nfiles] = strdup(path)))
                return -1;
        s->nfiles++;
        return 0;
}

wt_err_t wt_train_opts_add_file(wt_train_opts_t *o, const char *path) {
        wt_source_t *s = wt_train_opts_new_source(o);
        const char *base = strrchr(path, '/');
        if (!s || !(s->name = strdup(base ? base + 1 : path)) ||
            wt_source_add_file(s, path))
                return WT_ERR_NOMEM;
        return WT_OK;
}

int wt_solver_parse(const char *str, wt_solver_t *solver) {
        if (!strcmp(str, "lr"))
                *solver = WT_SOLVER_LR;
        else if (!strcmp(str, "svm"))
                *solver = WT_SOLVER_SVM;
        else if (!strcmp(str, "l1lr"))
                *solver = WT_SOLVER_L1LR;
        else
                return -1;
        return 0;
}

const char *wt_solver_name(wt_solver_t solver) {
        return solver == WT_SOLVER_SVM    ? "svm"
               : solver == WT_SOLVER_L1LR ? "l1lr"
                                          : "lr";
}

/* ------------------------------------------------------------- dataset */

typedef struct wt_tdoc {
        uint32_t source;
        uint32_t nlab;
        uint32_t *lab;              /* model label indexes */
        uint32_t ncounts;
        wt_bucket_count_t *counts;  /* step 2 of wt_features.h */
        struct feature_node *x;     /* liblinear vector, bias included */
} wt_tdoc_t;

typedef struct wt_tfile {
        const char *path;
        size_t source, docs, bytes;
        char sha256[65];
} wt_tfile_t;

typedef struct wt_dataset {
        size_t nlabels;
        char **labels;              /* sorted model label names */
        uint8_t *knows;             /* nsources x nlabels */
        size_t ndocs, cap;
        wt_tdoc_t *docs;
        size_t nfiles;
        wt_tfile_t *files;
} wt_dataset_t;

static void wt_dataset_clear(wt_dataset_t *ds) {
        size_t i;
        for (i = 0; i < ds->ndocs; i++) {
                free(ds->docs[i].lab);
                free(ds->docs[i].counts);
                free(ds->docs[i].x);
        }
        free(ds->docs);
        for (i = 0; i < ds->nlabels; i++)
                free(ds->labels[i]);
        free(ds->labels);
        free(ds->knows);
        free(ds->files);
        memset(ds, 0, sizeof(*ds));
}

static int wt_strcmp_p(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int wt_label_find(const wt_dataset_t *ds, const char *name) {
        char *const *hit = bsearch(&name, ds->labels, ds->nlabels,
                                   sizeof(char *), wt_strcmp_p);
        return hit ? (int)(hit - ds->labels) : -1;
}

static int wt_names_add(char ***names, size_t *n, const char *name) {
        size_t i;
        char **nn;
        for (i = 0; i < *n; i++)
                if (!strcmp((*names)[i], name))
                        return 0;
        nn = realloc(*names, (*n + 1) * sizeof(char *));
        if (!nn)
                return -1;
        *names = nn;
        if (!(nn[*n] = strdup(name)))
                return -1;
        (*n)++;
        return 0;
}

static wt_err_t wt_sha256_file(const char *path, char hex[65]) {
        unsigned char buf[65536], md[32];
        unsigned int mdlen = 0;
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        FILE *fp = fopen(path, "rb");
        size_t n, i;
        wt_err_t err = WT_OK;
        if (!ctx || !fp || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
                err = fp ? WT_ERR_NOMEM : WT_ERR_IO;
                goto done;
        }
        while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
                EVP_DigestUpdate(ctx, buf, n);
        if (ferror(fp) || !EVP_DigestFinal_ex(ctx, md, &mdlen)) {
                err = WT_ERR_IO;
                goto done;
        }
        for (i = 0; i < 32; i++)
                snprintf(hex + 2 * i, 3, "%02x", md[i]);
done:
        if (fp)
                fclose(fp);
        EVP_MD_CTX_free(ctx);
        return err;
}

/* Map a raw label of source s to model labels; appends to *lab. */
static wt_err_t wt_map_label(const wt_dataset_t *ds, const wt_source_t *s,
                             const char *raw, uint32_t **lab, uint32_t *nlab,
                             size_t *cap) {
        const char *one[1];
        char *const *targets;
        size_t n, i, k;
        if (s->mapped) {
                for (i = 0; i < s->nmap; i++)
                        if (!strcmp(s->map[i].raw, raw))
                                break;
                if (i == s->nmap)
                        return s->drop_unmapped ? WT_OK : WT_ERR_LABELS;
                targets = s->map[i].targets;
                n = s->map[i].ntargets;
        } else {
                one[0] = raw;
                targets = (char *const *)one;
                n = 1;
        }
        for (i = 0; i < n; i++) {
                int idx = wt_label_find(ds, targets[i]);
                if (idx < 0)
                        return WT_ERR_LABELS;
                for (k = 0; k < *nlab; k++)
                        if ((*lab)[k] == (uint32_t)idx)
                                break;
                if (k < *nlab)
                        continue;
                if (*nlab == *cap) {
                        uint32_t *nl;
                        *cap = *cap ? *cap * 2 : 4;
                        if (!(nl = realloc(*lab, *cap * sizeof(**lab))))
                                return WT_ERR_NOMEM;
                        *lab = nl;
                }
                (*lab)[(*nlab)++] = (uint32_t)idx;
        }
        return WT_OK;
}

static int wt_str_in(const char *str, char *const *set, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                if (!strcmp(set[i], str))
                        return 1;
        return 0;
}

/* Append one training document (copies labels and counts). */
static wt_err_t wt_dataset_push(wt_dataset_t *ds, size_t si,
                                const uint32_t *lab, uint32_t nlab,
                                const wt_bucket_count_t *counts,
                                size_t ncounts) {
        wt_tdoc_t *d;
        if (ds->ndocs == ds->cap) {
                size_t ncap = ds->cap ? ds->cap * 2 : 1024;
                wt_tdoc_t *nd = realloc(ds->docs, ncap * sizeof(*nd));
                if (!nd)
                        return WT_ERR_NOMEM;
                ds->docs = nd;
                ds->cap = ncap;
        }
        d = &ds->docs[ds->ndocs];
        memset(d, 0, sizeof(*d));
        d->source = (uint32_t)si;
        if (nlab) {
                if (!(d->lab = malloc(nlab * sizeof(*lab))))
                        return WT_ERR_NOMEM;
                memcpy(d->lab, lab, nlab * sizeof(*lab));
        }
        d->nlab = nlab;
        if (ncounts) {
                if (!(d->counts = malloc(ncounts * sizeof(*counts)))) {
                        free(d->lab);
                        return WT_ERR_NOMEM;
                }
                memcpy(d->counts, counts, ncounts * sizeof(*counts));
        }
        d->ncounts = (uint32_t)ncounts;
        ds->ndocs++;
        return WT_OK;
}

/* Read one file of source si: every line becomes a document with its
 * label indexes and bucket counts. Errors name file, line and field. */
static wt_err_t wt_dataset_read(wt_dataset_t *ds, const wt_train_opts_t *o,
                                size_t si, const char *path,
                                wt_fscratch_t *fs, char *errstr,
                                size_t errstr_size) {
        const wt_source_t *s = &o->sources[si];
        wt_reader_t rd;
        const char *text;
        size_t len, docs = 0, bytes = 0;
        wt_err_t err;
        int r;
        char msg[512];
        wt_tfile_t *tf;

        if ((err = wt_reader_open(&rd, path, errstr, errstr_size)))
                return err;
        while ((r = wt_reader_next(&rd, &text, &len, errstr, errstr_size)) ==
               1) {
                json_error_t jerr;
                json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &jerr);
                json_t *labels, *lv;
                wt_segments_t segs;
                const wt_bucket_count_t *counts;
                size_t ncounts, i, cap = 0;
                size_t lineno = wt_reader_lineno(&rd);

                if (!root) {
                        err = BAD(WT_ERR_JSON, "%s:%zu: %s", path, lineno,
                                  jerr.text);
                        goto fail;
                }
                if ((err = wt_article_from_json(root, &o->conf, &segs, msg,
                                                sizeof(msg)))) {
                        json_decref(root);
                        err = BAD(err, "%s:%zu: %s", path, lineno, msg);
                        goto fail;
                }
                labels = json_object_get(root, "labels");
                if (!json_is_array(labels)) {
                        json_decref(root);
                        err = BAD(WT_ERR_LABELS,
                                  "%s:%zu: field \"labels\" %s", path, lineno,
                                  labels ? "is not an array" : "is missing");
                        goto fail;
                }
                {
                        uint32_t *lab = NULL, nlab = 0;
                        int skip = 0;
                        size_t nsent, first, last, k;
                        json_array_foreach(labels, i, lv) {
                                const char *raw = json_string_value(lv);
                                if (!raw) {
                                        err = BAD(WT_ERR_LABELS,
                                                  "%s:%zu: labels[%zu] is not "
                                                  "a string",
                                                  path, lineno, i);
                                } else if (wt_str_in(raw, s->exclude,
                                                     s->nexclude)) {
                                        skip = 1;
                                } else if ((err = wt_map_label(ds, s, raw,
                                                               &lab, &nlab,
                                                               &cap))) {
                                        if (err == WT_ERR_LABELS)
                                                BAD(err,
                                                    "%s:%zu: label \"%s\" is "
                                                    "not in the mapping of "
                                                    "source \"%s\"",
                                                    path, lineno, raw,
                                                    s->name);
                                }
                                if (err) {
                                        free(lab);
                                        json_decref(root);
                                        goto fail;
                                }
                        }
                        if (skip) {
                                free(lab);
                                json_decref(root);
                                continue;
                        }
                        err = wt_features_hash(&o->conf, &segs, fs);
                        json_decref(root);
                        nsent = wt_features_nsentences(fs);
                        /* A sentence-unit source gives one training
                         * document per sentence, as sentence pooling
                         * will score it. */
                        for (k = 0; !err && k < (s->sentence_unit ? nsent : 1);
                             k++) {
                                first = s->sentence_unit ? k : 0;
                                last = s->sentence_unit ? k + 1 : nsent;
                                err = wt_features_count(&o->conf, fs, first,
                                                        last, &counts,
                                                        &ncounts);
                                if (!err)
                                        err = wt_dataset_push(ds, si, lab,
                                                              nlab, counts,
                                                              ncounts);
                        }
                        free(lab);
                        if (err)
                                goto fail;
                        docs++;
                        bytes += len;
                }
        }
        if (r < 0) {
                err = WT_ERR_IO;
                goto fail;
        }
        wt_reader_close(&rd);

        tf = realloc(ds->files, (ds->nfiles + 1) * sizeof(*tf));
        if (!tf)
                return WT_ERR_NOMEM;
        ds->files = tf;
        tf = &ds->files[ds->nfiles++];
        tf->path = path;
        tf->source = si;
        tf->docs = docs;
        tf->bytes = bytes;
        if ((err = wt_sha256_file(path, tf->sha256)))
                return BAD(err, "%s: cannot compute sha256", path);
        return WT_OK;
fail:
        wt_reader_close(&rd);
        return err;
}

/* Collect the model label space: mapping targets of mapped sources, and
 * every label seen in unmapped sources' files (one quick pass). */
static wt_err_t wt_dataset_labels(wt_dataset_t *ds, const wt_train_opts_t *o,
                                  char *errstr, size_t errstr_size) {
        char **names = NULL;
        size_t n = 0, si, i, j;
        wt_err_t err = WT_OK;

        for (si = 0; si < o->nsources; si++) {
                const wt_source_t *s = &o->sources[si];
                for (i = 0; i < s->nannotates; i++)
                        if (wt_names_add(&names, &n, s->annotates[i]))
                                goto nomem;
                if (s->mapped) {
                        for (i = 0; i < s->nmap; i++)
                                for (j = 0; j < s->map[i].ntargets; j++)
                                        if (wt_names_add(&names, &n,
                                                         s->map[i].targets[j]))
                                                goto nomem;
                        continue;
                }
                for (j = 0; j < s->nfiles; j++) {
                        wt_reader_t rd;
                        const char *text;
                        size_t len;
                        int r;
                        if ((err = wt_reader_open(&rd, s->files[j], errstr,
                                                  errstr_size)))
                                goto fail;
                        while ((r = wt_reader_next(&rd, &text, &len, errstr,
                                                   errstr_size)) == 1) {
                                json_t *root = json_loadb(text, len,
                                                          JSON_ALLOW_NUL,
                                                          NULL);
                                json_t *labels = json_object_get(root,
                                                                 "labels");
                                json_t *lv;
                                size_t k;
                                json_array_foreach(labels, k, lv) {
                                        if (json_is_string(lv) &&
                                            wt_names_add(
                                                    &names, &n,
                                                    json_string_value(lv))) {
                                                json_decref(root);
                                                wt_reader_close(&rd);
                                                goto nomem;
                                        }
                                }
                                json_decref(root);
                        }
                        wt_reader_close(&rd);
                        if (r < 0) {
                                err = WT_ERR_IO;
                                goto fail;
                        }
                }
        }
        if (n == 0) {
                err = BAD(WT_ERR_TRAIN,
                          "the training data has no labels to learn");
                goto fail;
        }
        qsort(names, n, sizeof(char *), wt_strcmp_p);
        ds->labels = names;
        ds->nlabels = n;
        ds->knows = calloc(o->nsources * n, 1);
        if (!ds->knows)
                return WT_ERR_NOMEM;
        return WT_OK;
nomem:
        err = WT_ERR_NOMEM;
fail:
        for (i = 0; i < n; i++)
                free(names[i]);
        free(names);
        return err;
}

/* ---------------------------------------------------------- vocabulary */

static int wt_u32_cmp(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
        return x < y ? -1 : x > y;
}

static wt_err_t wt_build_vocab(wt_dataset_t *ds, unsigned min_df,
                               wt_vocab_t **vocabp) {
        size_t total = 0, i, j, n = 0, run;
        uint32_t *all, *buckets;
        float *idf;
        wt_err_t err;

        for (i = 0; i < ds->ndocs; i++)
                total += ds->docs[i].ncounts;
        all = malloc((total ? total : 1) * sizeof(*all));
        if (!all)
                return WT_ERR_NOMEM;
        for (i = 0, j = 0; i < ds->ndocs; i++) {
                uint32_t k;
                for (k = 0; k < ds->docs[i].ncounts; k++)
                        all[j++] = ds->docs[i].counts[k].bucket;
        }
        qsort(all, total, sizeof(*all), wt_u32_cmp);
        buckets = all; /* compacted in place: n <= i always */
        idf = malloc((total ? total : 1) * sizeof(*idf));
        if (!idf) {
                free(all);
                return WT_ERR_NOMEM;
        }
        for (i = 0; i < total; i += run) {
                uint32_t b = all[i];
                for (run = 1; i + run < total && all[i + run] == b; run++)
                        ;
                if (run < min_df)
                        continue;
                buckets[n] = b;
                idf[n] = (float)(log((1.0 + (double)ds->ndocs) /
                                     (1.0 + (double)run)) +
                                 1.0);
                n++;
        }
        err = wt_vocab_new(buckets, idf, n, vocabp);
        free(all);
        free(idf);
        return err;
}

/* ------------------------------------------------------------ training */

typedef struct wt_task {
        uint32_t label;
        int32_t fold;   /* -1: final model on all data */
        uint32_t ci;    /* index into the C grid */
} wt_task_t;

typedef struct wt_trainer {
        const wt_train_opts_t *opts;
        wt_dataset_t *ds;
        size_t nfeatures;
        double *Cs;
        size_t nC;
        unsigned folds;
        uint32_t *fold_of;      /* per doc */
        float *oof;             /* [ci][label][doc] out-of-fold scores */
        double *final_w;        /* [label][nfeatures + 1] */
        uint32_t *final_ci;     /* chosen C per label */
        uint8_t *trivial;       /* label with no positive or no negative */
        wt_task_t *tasks;
        size_t ntasks;
        atomic_size_t next, done;
        atomic_int failed;
} wt_trainer_t;

static void wt_liblinear_quiet(const char *s) {
        (void)s;
}

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

typedef struct wt_scored {
        float score;
        uint8_t pos;
} wt_scored_t;

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

static double wt_sigmoid_d(double z) {
        return 1.0 / (1.0 + exp(-z));
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

static json_t *wt_cv_report(const wt_trainer_t *t, int multilabel,
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

static void wt_iso_date(char *buf, size_t size) {
        const char *sde = getenv("SOURCE_DATE_EPOCH");
        time_t now = sde ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Step 1: the label space, which sources know which labels, then the
 * documents. */
static wt_err_t wt_train_read(wt_dataset_t *ds, const wt_train_opts_t *o,
                              wt_fscratch_t *fs, char *errstr,
                              size_t errstr_size) {
        size_t si, fi, i, d, l;
        wt_err_t err;

        if ((err = wt_dataset_labels(ds, o, errstr, errstr_size)))
                return err;
        for (si = 0; si < o->nsources; si++) {
                const wt_source_t *s = &o->sources[si];
                uint8_t *knows = ds->knows + si * ds->nlabels;
                for (i = 0; i < s->nannotates; i++)
                        knows[wt_label_find(ds, s->annotates[i])] = 1;
                if (s->mapped)
                        for (i = 0; i < s->nmap; i++)
                                for (fi = 0; fi < s->map[i].ntargets; fi++)
                                        knows[wt_label_find(
                                                ds, s->map[i].targets[fi])] =
                                                1;
        }
        for (si = 0; si < o->nsources; si++) {
                size_t first = ds->ndocs;
                for (fi = 0; fi < o->sources[si].nfiles; fi++) {
                        if (o->progress)
                                o->progress(o->opaque, "reading", si,
                                            o->nsources);
                        if ((err = wt_dataset_read(ds, o, si,
                                                   o->sources[si].files[fi],
                                                   fs, errstr, errstr_size)))
                                return err;
                }
                /* Unmapped sources know the labels they carry. */
                if (!o->sources[si].mapped)
                        for (d = first; d < ds->ndocs; d++)
                                for (l = 0; l < ds->docs[d].nlab; l++)
                                        ds->knows[si * ds->nlabels +
                                                  ds->docs[d].lab[l]] = 1;
        }
        if (ds->ndocs < 2)
                return BAD(WT_ERR_TRAIN,
                           "%zu training documents: need at least 2",
                           ds->ndocs);
        return WT_OK;
}

/* Multi-label unless every document has exactly one label and every
 * source annotates every label (or the options say). */
static int wt_train_multilabel(const wt_dataset_t *ds,
                               const wt_train_opts_t *o) {
        size_t d, si, l;
        int single_ok = 1;
        if (o->multilabel >= 0)
                return o->multilabel;
        for (d = 0; d < ds->ndocs && single_ok; d++)
                single_ok = ds->docs[d].nlab == 1;
        for (si = 0; si < o->nsources && single_ok; si++)
                for (l = 0; l < ds->nlabels; l++)
                        single_ok &= ds->knows[si * ds->nlabels + l];
        return !single_ok;
}

/* Step 2: the vocabulary and each document's liblinear vector, computed
 * by the same wt_vocab_vectorize() that classification uses. The bag of
 * counts of each document is freed once vectorized. */
static wt_err_t wt_train_vectorize(wt_dataset_t *ds, const wt_train_opts_t *o,
                                   wt_fscratch_t *fs, wt_vocab_t **vocabp,
                                   char *errstr, size_t errstr_size) {
        size_t d, nfeatures;
        wt_err_t err;

        if ((err = wt_build_vocab(ds, o->min_df, vocabp)))
                return err;
        nfeatures = wt_vocab_size(*vocabp);
        if (nfeatures == 0)
                return BAD(WT_ERR_TRAIN,
                           "no feature occurs in %u or more documents "
                           "(lower min_df)",
                           o->min_df);
        for (d = 0; d < ds->ndocs; d++) {
                const wt_feature_t *feats;
                size_t nfeats, k;
                wt_tdoc_t *doc = &ds->docs[d];
                if ((err = wt_vocab_vectorize(&o->conf, *vocabp, fs,
                                              doc->counts, doc->ncounts,
                                              &feats, &nfeats)))
                        return err;
                if (!(doc->x = malloc((nfeats + 2) * sizeof(*doc->x))))
                        return WT_ERR_NOMEM;
                /* liblinear wants ascending 1-based indexes. */
                for (k = 0; k < nfeats; k++) {
                        doc->x[k].index = (int)feats[k].row + 1;
                        doc->x[k].value = feats[k].value;
                }
                for (k = 1; k < nfeats; k++) { /* insertion sort: short */
                        struct feature_node v = doc->x[k];
                        size_t j = k;
                        while (j > 0 && doc->x[j - 1].index > v.index) {
                                doc->x[j] = doc->x[j - 1];
                                j--;
                        }
                        doc->x[j] = v;
                }
                doc->x[nfeats].index = (int)nfeatures + 1; /* bias */
                doc->x[nfeats].value = 1.0;
                doc->x[nfeats + 1].index = -1;
                free(doc->counts);
                doc->counts = NULL;
        }
        return WT_OK;
}

/* The C values to train with, and the trainer's buffers. */
static wt_err_t wt_trainer_init(wt_trainer_t *t, const wt_train_opts_t *o,
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

static void wt_trainer_clear(wt_trainer_t *t) {
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
static wt_err_t wt_train_assign_folds(wt_trainer_t *t) {
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
static wt_err_t wt_train_cross_validate(wt_trainer_t *t, char *errstr,
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
static wt_err_t wt_train_choose(wt_trainer_t *t, int multilabel, float *thr,
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
static wt_err_t wt_train_final(wt_trainer_t *t, char *errstr,
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
