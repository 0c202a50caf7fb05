/*
 * wiretag - wt_eval.h: a model's scores on labeled articles.
 *
 * An evaluation classifies labeled JSON articles ({"title", "text",
 * "labels": [...]}) with one model and scores the predictions against the
 * gold labels (wt_metrics.h): per label precision, recall, F1 and support,
 * micro-F1, macro-F1, example-based F1 and, for single-label models,
 * subset accuracy. The same report can also be broken down by the value
 * of one JSON field of each article (`group_by`, e.g. "source"), so a
 * model evaluated on mixed data shows how it does on each part.
 *
 * The label space is the model's labels followed by any label met in the
 * data that the model lacks ("unknown" labels); those count as missed
 * unless ignore_unknown is set. `only` restricts scoring to some model
 * labels; wt_eval_new() checks them before any article is read.
 *
 * The CLI's `eval` is a thin client of this module; the report is the
 * JSON object that `wiretag eval --json` prints.
 *
 * @locality An evaluation is used by one thread at a time; the model may
 *           be shared.
 */
#ifndef WT_EVAL_H
#define WT_EVAL_H

#include <jansson.h>
#include <stddef.h>

#include "wt_err.h"
#include "wt_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_eval_s wt_eval_t;

typedef struct wt_eval_opts {
        const char *only;     /**< comma-separated model labels to score,
                               *   or NULL for all */
        int ignore_unknown;   /**< leave labels the model lacks unscored */
        const char *group_by; /**< JSON field to group the report by, or
                               *   NULL */
} wt_eval_opts_t;

/** Name of the group of articles that lack the group_by field (or have it
 *  null). A string value is its own group name; any other JSON value is
 *  grouped by its compact JSON text. */
#define WT_EVAL_GROUP_NONE "(none)"

/** A new evaluation of `model` (borrowed: it must outlive the
 *  evaluation). Fails with WT_ERR_ARG, and a message naming the label,
 *  when `opts->only` names a label the model lacks. */
wt_err_t wt_eval_new(const wt_model_t *model, const wt_eval_opts_t *opts,
                     wt_eval_t **evalp, char *errstr, size_t errstr_size);

void wt_eval_destroy(wt_eval_t *ev);

/** Classify one labeled article (a JSON object as bytes) and record it.
 *  A record that cannot be read (wt_article.h's errors) or whose "labels"
 *  is not an array is counted as failed and returns its error with a
 *  message; the evaluation goes on. WT_ERR_NOMEM leaves the evaluation
 *  usable but the article unrecorded. */
wt_err_t wt_eval_add(wt_eval_t *ev, const char *buf, size_t len,
                     char *errstr, size_t errstr_size);

/** Records added, and records that failed. */
/** Read the JSON string fields in the comma list fields (e.g.
 *  "headline,body") as the article text instead of the model's, as
 *  `wiretag run`'s input.fields does. Call before wt_eval_add().
 *  @returns WT_ERR_INVALID_ARG (errstr says why) for an empty, too long
 *  or too many names; ev is then unchanged. */
wt_err_t wt_eval_set_fields(wt_eval_t *ev, const char *fields,
                            char *errstr, size_t errstr_size);

size_t wt_eval_docs(const wt_eval_t *ev);
size_t wt_eval_failed(const wt_eval_t *ev);

/** The report, a new reference (NULL when out of memory):
 *  {"model", "model_id", "docs", "failed", "micro_f1", "macro_f1",
 *   "example_f1", "accuracy" (null for multi-label models),
 *   "per_label": {LABEL: {"precision", "recall", "f1", "support",
 *                         "tp", "fp", "fn", "in_model"}},
 *   "unknown_labels": [...]}
 *  and with group_by also "by": FIELD and "groups": {VALUE: {"docs",
 *  "micro_f1", "macro_f1", "example_f1", "accuracy", "per_label"}}, the
 *  groups in order of first appearance. */
json_t *wt_eval_report(const wt_eval_t *ev);

#ifdef __cplusplus
}
#endif

#endif /* WT_EVAL_H */
