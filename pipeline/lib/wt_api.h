/*
 * wiretag - wt_api.h: the embedding API.
 *
 * A few coarse calls for programs and foreign-function interfaces (the
 * Python package in pipeline/python calls them through ctypes): each one
 * does a whole job, takes plain C types (byte buffers, arrays, a JSON
 * string of options), reports failure as a wt_err_t plus a message in the
 * caller's errstr, and never makes the caller mirror a library struct.
 * They are built from the same functions as the CLI and the stream
 * processor (wt_article, wt_classify, wt_train, wt_eval), so an embedded
 * caller gets the same tags, models and reports as `wiretag classify`,
 * `train` and `eval --json`.
 *
 * @locality Every function here may be called from any thread at the same
 *           time; a model is shared read-only.
 */
#ifndef WT_API_H
#define WT_API_H

#include <stddef.h>
#include <stdint.h>

#include "wt_err.h"
#include "wt_eval.h"
#include "wt_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What a document buffer holds. */
typedef enum wt_input {
        WT_INPUT_JSON = 0, /**< a JSON article: the model's text fields are
                            *   read from it (wt_article.h's rules) */
        WT_INPUT_TEXT = 1, /**< plain UTF-8 text, classified as it is */
} wt_input_t;

/** The library's version, e.g. "0.1.0". Never NULL. */
const char *wt_api_version(void);

/** Classify ndocs documents in one call: docs[i] is lens[i] bytes (need
 *  not be NUL-terminated), of kind kinds[i] (a wt_input_t; kinds NULL:
 *  all JSON). Doc i's tags (labels passing their threshold, highest score
 *  first; a single-label model's top label) go to
 *  labels[i * L .. i * L + ntags[i]) and scores[...] likewise, where L is
 *  wt_model_nlabels(model); labels and scores hold ndocs * L entries and
 *  ntags ndocs, all the caller's.
 *  Stops at the first document that cannot be classified and returns its
 *  error (wt_article.h's codes, WT_ERR_UTF8 for invalid text) with
 *  errstr naming its index; the tags of the documents before it are
 *  filled. */
wt_err_t wt_api_classify_batch(const wt_model_t *model, size_t ndocs,
                               const char *const *docs, const size_t *lens,
                               const unsigned char *kinds, uint32_t *labels,
                               float *scores, uint32_t *ntags, char *errstr,
                               size_t errstr_size);

/** Train a model and write it to `out`, as `wiretag train` does.
 *  options_json is one JSON object whose keys are the command's options:
 *  "data" (array of file names: one source each), "spec" (a training spec
 *  file; the other options override it), "name", "fields" ("a,b" or an
 *  array), "ngrams", "bits", "min_df", "fold_digits", "signed", "no_idf"
 *  (booleans), "solver" ("lr", "svm", "l1lr"), "C", "C_grid" (array),
 *  "cv" (0 or 2..100), "multilabel" (true, false or null: from the data),
 *  "threads", "seed". An unknown key or a bad value fails with
 *  WT_ERR_INVALID_ARG and a message naming it. The model name defaults to
 *  the spec's, else out's file name without its extension. The same
 *  options and SOURCE_DATE_EPOCH give the file `wiretag train` writes,
 *  byte for byte. */
wt_err_t wt_api_train(const char *options_json, const char *out,
                      char *errstr, size_t errstr_size);

/** Evaluate `model` on the labeled JSON Lines (or JSON) file `path` ("-":
 *  stdin) and return the report of wt_eval_report() as JSON text in
 *  *reportp, formatted as `wiretag eval --json` prints it.
 *  @remark the caller owns *reportp: release it with wt_api_free().
 *  Records that cannot be read are counted in the report's "failed", as
 *  the CLI counts them; a file that cannot be read, a bad opts->only, or
 *  running out of memory fails with a message. */
wt_err_t wt_api_eval(const wt_model_t *model, const char *path,
                     const wt_eval_opts_t *opts, char **reportp,
                     char *errstr, size_t errstr_size);

/** Release memory a wt_api_*() call handed to the caller. Accepts NULL. */
void wt_api_free(void *p);

#ifdef __cplusplus
}
#endif

#endif /* WT_API_H */
