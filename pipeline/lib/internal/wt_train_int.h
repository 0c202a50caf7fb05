/*
 * wiretag - wt_train_int.h: what the files of the trainer share, and
 * nothing else sees:
 *   wt_train.c        the steps of wt_train() in order, and the model
 *                     and its metadata at the end
 *   wt_train_opts.c   the options: defaults, sources, and the table of
 *                     options by name (wt_train.h)
 *   wt_train_data.c   the dataset: reading the sources' files, the label
 *                     space, the vocabulary and each document's vector
 *   wt_train_cv.c     liblinear runs on worker threads, the folds,
 *                     cross-validation, thresholds and the choice of C
 *   wt_train_spec.c   the JSON training spec
 */
#ifndef WT_TRAIN_INT_H
#define WT_TRAIN_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "wt_train.h"

/** Append an empty source to o->sources; NULL when out of memory.
 *  @remark the source belongs to o (wt_train_opts_clear frees it). */
wt_source_t *wt_train_opts_new_source(wt_train_opts_t *o);

/** Append a copy of path to s->files; -1 when out of memory. */
int wt_source_add_file(wt_source_t *s, const char *path);

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

/** Free everything ds holds; ds may be all zeros. */
void wt_dataset_clear(wt_dataset_t *ds);

/* Step 1: the label space, which sources know which labels, then the
 * documents. */
wt_err_t wt_train_read(wt_dataset_t *ds, const wt_train_opts_t *o,
                       wt_fscratch_t *fs, char *errstr, size_t errstr_size);

/* Multi-label unless every document has exactly one label and every
 * source annotates every label (or the options say). */
int wt_train_multilabel(const wt_dataset_t *ds, const wt_train_opts_t *o);

/* Step 2: the vocabulary and each document's liblinear vector, computed
 * by the same wt_vocab_vectorize() that classification uses. The bag of
 * counts of each document is freed once vectorized. */
wt_err_t wt_train_vectorize(wt_dataset_t *ds, const wt_train_opts_t *o,
                            wt_fscratch_t *fs, wt_vocab_t **vocabp,
                            char *errstr, size_t errstr_size);

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

typedef struct wt_scored {
        float score;
        uint8_t pos;
} wt_scored_t;

/** The C values to train with, and the trainer's buffers. */
wt_err_t wt_trainer_init(wt_trainer_t *t, const wt_train_opts_t *o,
                         wt_dataset_t *ds, size_t nfeatures);

/** Free the trainer's buffers (not its dataset). */
void wt_trainer_clear(wt_trainer_t *t);

/** Step 3: stratified, contiguous folds (see the definition for why). */
wt_err_t wt_train_assign_folds(wt_trainer_t *t);

/** Step 4: cross-validation, every label and fold for every C. */
wt_err_t wt_train_cross_validate(wt_trainer_t *t, char *errstr,
                                 size_t errstr_size);

/** Step 5: choose C, then each label's threshold (a margin) at its C.
 *  sbuf has room for one wt_scored_t per document. */
wt_err_t wt_train_choose(wt_trainer_t *t, int multilabel, float *thr,
                         wt_scored_t *sbuf);

/** The out-of-fold scores as the model card's "cv" object; NULL when out
 *  of memory. @remark the caller owns the result. */
json_t *wt_cv_report(const wt_trainer_t *t, int multilabel,
                     const float *thr);

/** Step 6: the final model of each label, on all documents. */
wt_err_t wt_train_final(wt_trainer_t *t, char *errstr, size_t errstr_size);

#endif /* WT_TRAIN_INT_H */
