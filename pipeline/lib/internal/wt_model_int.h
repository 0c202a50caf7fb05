/*
 * wiretag - wt_model_int.h: model internals, shared by the classifier,
 * the file format and the trainer only.
 */
#ifndef WT_MODEL_INT_H
#define WT_MODEL_INT_H

#include "wt_model.h"

/* Format version written by this build; readers accept exactly it. */
#define WT_MODEL_FORMAT_VERSION 1

struct wt_model_s {
        char *name;
        wt_feature_conf_t conf;
        int multilabel;
        wt_score_kind_t score_kind;
        uint32_t nlabels;
        char **labels;
        float *thresholds;
        uint8_t *pooling;       /* wt_pooling_t per label */
        int any_sentence_pool;
        wt_vocab_t *vocab;
        float *weights;         /* nfeatures x nlabels, feature-major */
        void *file_buf;         /* the model file, when weights point
                                 * into it (wt_model_load()); else NULL */
        float *bias;            /* nlabels */
        json_t *meta;           /* training metadata, an object */
        int dot_avx;            /* score with the AVX dot product: set
                                 * from the CPU by wt_model_alloc();
                                 * tests clear it to run the other */
        char id[17];            /* hex checksum, set by load/serialize */
};

/** Allocate an empty model with nlabels label slots (names NULL,
 *  thresholds 0, pooling doc) and no vocabulary. */
wt_model_t *wt_model_alloc(uint32_t nlabels);

/** Set m->id from the serialized model file buf[0..len) (len >= 8): the
 *  file's trailing checksum as 16 hex digits. */
void wt_model_set_id(wt_model_t *m, const unsigned char *buf, size_t len);

#endif /* WT_MODEL_INT_H */
