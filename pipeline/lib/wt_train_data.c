/*
 * wiretag - wt_train_data.c: the trainer's dataset: the label space of
 * the sources, their documents read and counted, the vocabulary and
 * each document's liblinear vector. See wt_train_int.h.
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


void wt_dataset_clear(wt_dataset_t *ds) {
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

/* Step 1: the label space, which sources know which labels, then the
 * documents. */
wt_err_t wt_train_read(wt_dataset_t *ds, const wt_train_opts_t *o,
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
int wt_train_multilabel(const wt_dataset_t *ds,
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
wt_err_t wt_train_vectorize(wt_dataset_t *ds, const wt_train_opts_t *o,
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
