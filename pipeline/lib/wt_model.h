/*
 * wiretag - wt_model.h: a trained model and the classify hot path.
 *
 * A model is immutable once loaded: any number of threads may classify with
 * one model at the same time, each with its own wt_scratch_t. A warm scratch
 * (one that has seen a document at least as large) makes wt_classify()
 * allocate nothing.
 *
 * A model holds one binary linear classifier per label (one-vs-rest), a
 * decision threshold per label tuned by cross-validation, and a pooling
 * mode per label: WT_POOL_DOC scores the whole article as one bag of
 * features; WT_POOL_SENTENCE_MAX scores each sentence and keeps the best,
 * for labels learnt from single sentences (e.g. CAMEO event classes).
 * A single-label model always tags its top-scoring label.
 */
#ifndef WT_MODEL_H
#define WT_MODEL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wt_err.h"
#include "wt_features.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_model_s wt_model_t;
typedef struct wt_scratch_s wt_scratch_t;

typedef enum wt_pooling {
        WT_POOL_DOC = 0,
        WT_POOL_SENTENCE_MAX = 1,
} wt_pooling_t;

typedef enum wt_score_kind {
        WT_SCORE_PROBABILITY = 0, /**< logistic regression: sigmoid(w.x+b) */
        WT_SCORE_MARGIN = 1,      /**< SVM: w.x+b */
} wt_score_kind_t;

/** Load and fully validate a model file. errstr names the file and what is
 *  wrong. @remark the caller owns *modelp (wt_model_destroy()). */
wt_err_t wt_model_load(const char *path, wt_model_t **modelp, char *errstr,
                       size_t errstr_size);

/** Same from a buffer (never read outside buf[0..len)). */
wt_err_t wt_model_load_buffer(const void *buf, size_t len,
                              wt_model_t **modelp, char *errstr,
                              size_t errstr_size);

/** Serialise to a malloc'd buffer (caller frees). */
wt_err_t wt_model_serialize(const wt_model_t *model, unsigned char **bufp,
                            size_t *lenp);

/** Write the model file atomically (temp file + rename). */
wt_err_t wt_model_save(const wt_model_t *model, const char *path,
                       char *errstr, size_t errstr_size);

/** Free a model. Accepts NULL. */
void wt_model_destroy(wt_model_t *model);

const char *wt_model_name(const wt_model_t *model);
/** 16 hex digits: the file checksum, identifying the exact weights. */
const char *wt_model_id(const wt_model_t *model);
size_t wt_model_nlabels(const wt_model_t *model);
const char *wt_model_label(const wt_model_t *model, size_t i);
/** Index of a label name, or -1. */
int wt_model_label_index(const wt_model_t *model, const char *name);
float wt_model_threshold(const wt_model_t *model, size_t i);
wt_pooling_t wt_model_pooling(const wt_model_t *model, size_t i);
int wt_model_is_multilabel(const wt_model_t *model);
wt_score_kind_t wt_model_score_kind(const wt_model_t *model);
size_t wt_model_nfeatures(const wt_model_t *model);
const wt_feature_conf_t *wt_model_feature_conf(const wt_model_t *model);
/** Training metadata (borrowed JSON object, never NULL). */
json_t *wt_model_meta(const wt_model_t *model);
/** Model card as one JSON object (new reference). */
json_t *wt_model_info_json(const wt_model_t *model);

/** Per-thread scratch for wt_classify(). Not tied to one model. */
wt_scratch_t *wt_scratch_new(void);
void wt_scratch_destroy(wt_scratch_t *scratch);

typedef struct wt_tag {
        uint32_t label;
        float score;
} wt_tag_t;

typedef struct wt_prediction {
        const float *scores;  /**< one per label, model's score kind */
        const wt_tag_t *tags; /**< labels passing their threshold (for a
                               *   single-label model: the top label),
                               *   highest score first, ties by index */
        size_t ntags;
        size_t ntokens;       /**< tokens in the document */
        size_t nsentences;
} wt_prediction_t;

/** Classify one document. Arrays in *pred belong to scratch and stay
 *  valid until its next use. Deterministic: the same model and input give
 *  bit-identical scores on every thread. */
wt_err_t wt_classify(const wt_model_t *model, wt_scratch_t *scratch,
                     const wt_segments_t *segs, wt_prediction_t *pred);

/** The "wiretag" object that classify adds to an article:
 *  {"labels": [{"label": L, "score": S}, ...], "model": NAME,
 *   "model_id": ID}. New reference. */
json_t *wt_prediction_json(const wt_model_t *model,
                           const wt_prediction_t *pred);

/** One n-gram's share of a label's score. */
typedef struct wt_contribution {
        char ngram[WT_NGRAM_MAX * (64 + 1)];
        float weight; /**< feature value x label weight */
} wt_contribution_t;

/** The n-grams that pushed `label` up the most (at most max, positive
 *  contributions only, largest first). For a sentence-pooled label the
 *  sentence that gave the score is explained. Slow path: allocates. */
wt_err_t wt_explain(const wt_model_t *model, const wt_segments_t *segs,
                    size_t label, wt_contribution_t *out, size_t max,
                    size_t *nout);

#ifdef __cplusplus
}
#endif

#endif /* WT_MODEL_H */
