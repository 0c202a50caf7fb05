/*
 * wiretag - wt_features.h: feature hashing and vectorisation.
 *
 * Text becomes a sparse vector in three steps, and training and
 * classification run exactly these functions (no train/serve skew):
 *
 *  1. wt_features_hash(): tokenize every text segment (wt_tokenizer) and
 *     emit one hashed id per unigram and per word n-gram up to ngram_max.
 *     Each token is hashed once with XXH3-64 (seeded); an n-gram's hash is
 *     XXH3-64 over the little-endian array of its token hashes, seeded with
 *     seed + n, so n-grams are built from token hashes, never from text.
 *     The top `bits` bits of a hash pick the bucket; bit 0 gives the sign
 *     when signed hashing is on. N-grams never cross a sentence boundary,
 *     and every segment starts a sentence.
 *  2. wt_features_count(): sum the ids of a range (a document or one
 *     sentence) per bucket, giving (bucket, tf) pairs in first-seen order.
 *  3. wt_vocab_vectorize(): keep buckets the model's vocabulary knows,
 *     weight them (tf: raw | 1+ln(tf) | binary; times idf if enabled) and
 *     L2-normalise, giving (row, value) pairs a linear model consumes.
 *
 * All buffers live in a wt_fscratch_t owned by one thread; they grow to fit
 * the largest document seen and are reused, so a warm scratch allocates
 * nothing per document.
 */
#ifndef WT_FEATURES_H
#define WT_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "wt_err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define WT_NGRAM_MAX      4
#define WT_BITS_MIN       8
#define WT_BITS_MAX       28
#define WT_FIELDS_MAX     8
#define WT_FIELD_NAME_MAX 64

typedef enum wt_tf {
        WT_TF_RAW = 0,    /**< term count */
        WT_TF_LOG = 1,    /**< 1 + ln(count): sublinear */
        WT_TF_BINARY = 2, /**< 1 if present */
} wt_tf_t;

/** Everything that decides how text becomes features. Stored in the model
 *  file in full, so a model always computes its own features. */
typedef struct wt_feature_conf {
        unsigned tok_flags;   /**< WT_TOK_* */
        unsigned ngram_max;   /**< 1..WT_NGRAM_MAX */
        unsigned bits;        /**< WT_BITS_MIN..WT_BITS_MAX */
        uint64_t seed;        /**< hash seed */
        int signed_hash;      /**< 1: hash bit 0 signs the count */
        wt_tf_t tf;
        int idf;              /**< 1: multiply by idf (stored per feature) */
        int l2norm;           /**< 1: L2-normalise the vector */
        unsigned nfields;     /**< text fields read from a JSON article */
        char fields[WT_FIELDS_MAX][WT_FIELD_NAME_MAX];
} wt_feature_conf_t;

/** Fill conf with wiretag's defaults: case folding, n-grams up to 2,
 *  2^20 buckets, unsigned, sublinear tf, idf, L2, fields title,text. */
void wt_feature_conf_default(wt_feature_conf_t *conf);

/** Validate conf (ranges, field names). */
wt_err_t wt_feature_conf_check(const wt_feature_conf_t *conf, char *errstr,
                               size_t errstr_size);

/** Parse a comma-separated field list ("headline,body") into conf. */
wt_err_t wt_feature_conf_set_fields(wt_feature_conf_t *conf,
                                    const char *list, char *errstr,
                                    size_t errstr_size);

/** One (bucket, tf) pair after counting. */
typedef struct wt_bucket_count {
        uint32_t bucket;
        float tf; /**< summed count (signed when signed hashing is on) */
} wt_bucket_count_t;

/** One (row, value) entry of a vectorised document. */
typedef struct wt_feature {
        uint32_t row;
        float value;
} wt_feature_t;

/** A vocabulary: the buckets a model knows, with their row and idf.
 *  Immutable once built; shared by any number of threads. */
typedef struct wt_vocab_s wt_vocab_t;

/** Per-thread scratch for the three steps. Opaque. */
typedef struct wt_fscratch_s wt_fscratch_t;

wt_fscratch_t *wt_fscratch_new(void);
void wt_fscratch_destroy(wt_fscratch_t *fs);

/** Text segments of one document (e.g. title and text). Pointers are
 *  borrowed; segments need not be NUL-terminated. */
typedef struct wt_segments {
        unsigned n;
        const char *text[WT_FIELDS_MAX];
        size_t len[WT_FIELDS_MAX];
} wt_segments_t;

/** Step 1: hash all segments into fs. Returns WT_ERR_NOMEM only. */
wt_err_t wt_features_hash(const wt_feature_conf_t *conf,
                          const wt_segments_t *segs, wt_fscratch_t *fs);

/** Step 1 for classification: as wt_features_hash(), but each id is the
 *  row vocab gives its bucket, and features vocab lacks are dropped here,
 *  before counting. Step 2 then counts rows, and step 3 is
 *  wt_vocab_vectorize_rows(); the vectors are the same as through
 *  wt_features_hash() and wt_vocab_vectorize(). */
wt_err_t wt_features_hash_rows(const wt_feature_conf_t *conf,
                               const wt_vocab_t *vocab,
                               const wt_segments_t *segs, wt_fscratch_t *fs);

/** After step 1: number of sentences found (>= 1 unless no tokens). */
size_t wt_features_nsentences(const wt_fscratch_t *fs);

/** After step 1: number of tokens seen (unigrams). */
size_t wt_features_ntokens(const wt_fscratch_t *fs);

/** Step 2: count ids of sentence range [first, last) (use 0 and
 *  wt_features_nsentences() for the whole document). The returned array
 *  belongs to fs and is valid until the next call on fs. */
wt_err_t wt_features_count(const wt_feature_conf_t *conf, wt_fscratch_t *fs,
                           size_t first, size_t last,
                           const wt_bucket_count_t **counts, size_t *ncounts);

/** Step 2 for classification: the counts of the whole document and, when
 *  per_sentence is set, of each of its sentences, in one pass over the
 *  ids (instead of one wt_features_count() per range). Each list is in
 *  first-seen order within its range, so the vectors and scores are those
 *  wt_features_count() gives range by range. The document's counts come
 *  back in *counts; a sentence's from wt_features_sentence_counts(). All
 *  arrays belong to fs and stay valid until the next count on fs. */
wt_err_t wt_features_count_doc(const wt_feature_conf_t *conf,
                               wt_fscratch_t *fs, int per_sentence,
                               const wt_bucket_count_t **counts,
                               size_t *ncounts);

/** After wt_features_count_doc(..., per_sentence = 1, ...): the counts of
 *  sentence i (< wt_features_nsentences()). */
void wt_features_sentence_counts(const wt_fscratch_t *fs, size_t i,
                                 const wt_bucket_count_t **counts,
                                 size_t *ncounts);

/** Build a vocabulary from sorted, unique buckets and their idf (copied).
 *  idf may be NULL (all 1). */
wt_err_t wt_vocab_new(const uint32_t *buckets, const float *idf, size_t n,
                      wt_vocab_t **vocabp);
void wt_vocab_destroy(wt_vocab_t *vocab);
size_t wt_vocab_size(const wt_vocab_t *vocab);
const uint32_t *wt_vocab_buckets(const wt_vocab_t *vocab);
const float *wt_vocab_idf(const wt_vocab_t *vocab);

/** Row of bucket, or -1 when the vocabulary lacks it. */
int64_t wt_vocab_lookup(const wt_vocab_t *vocab, uint32_t bucket);

/** Step 3: weight and normalise counts against vocab. Output array
 *  belongs to fs (valid until the next vectorize on fs). */
wt_err_t wt_vocab_vectorize(const wt_feature_conf_t *conf,
                            const wt_vocab_t *vocab, wt_fscratch_t *fs,
                            const wt_bucket_count_t *counts, size_t ncounts,
                            const wt_feature_t **feats, size_t *nfeats);

/** Step 3 for counts of rows (after wt_features_hash_rows()). */
wt_err_t wt_vocab_vectorize_rows(const wt_feature_conf_t *conf,
                                 const wt_vocab_t *vocab, wt_fscratch_t *fs,
                                 const wt_bucket_count_t *counts,
                                 size_t ncounts, const wt_feature_t **feats,
                                 size_t *nfeats);

/** The bucket of an n-gram given as token strings, for tools that explain
 *  scores (slow path: hashes the strings). tokens must already be folded
 *  the way the tokenizer folds them. *sign gets +1 or -1. */
uint32_t wt_features_bucket_of(const wt_feature_conf_t *conf,
                               const char *const *tokens,
                               const size_t *lens, unsigned n, int *sign);

#ifdef __cplusplus
}
#endif

#endif /* WT_FEATURES_H */
