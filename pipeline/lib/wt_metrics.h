/*
 * wiretag - wt_metrics.h: classification quality scores.
 *
 * Accumulates per-document gold and predicted label sets and reports, per
 * label, precision, recall, F1 and support, plus:
 *  - micro-F1: F1 of the pooled label decisions;
 *  - macro-F1: mean per-label F1 over labels that occur in the gold data or
 *    are predicted at least once (a label neither seen nor predicted has
 *    no defined F1 and is left out);
 *  - example-based F1: mean over documents of 2|G n P| / (|G| + |P|),
 *    1 when both sets are empty;
 *  - subset accuracy: share of documents whose predicted set equals the
 *    gold set (top-1 accuracy for single-label data).
 * A document may be scored on a subset of labels only (`applicable`):
 * training data combining sources that annotate different label sets is
 * scored on each source's own labels.
 */
#ifndef WT_METRICS_H
#define WT_METRICS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_metrics_s wt_metrics_t;

typedef struct wt_label_score {
        uint64_t tp, fp, fn, support;
        double precision, recall, f1;
} wt_label_score_t;

wt_metrics_t *wt_metrics_new(size_t nlabels);
void wt_metrics_destroy(wt_metrics_t *m);

/** Add one document. gold and pred are nlabels 0/1 flags; applicable is
 *  NULL (all labels) or nlabels 0/1 flags. */
void wt_metrics_add(wt_metrics_t *m, const uint8_t *gold, const uint8_t *pred,
                    const uint8_t *applicable);

size_t wt_metrics_docs(const wt_metrics_t *m);
void wt_metrics_label(const wt_metrics_t *m, size_t label,
                      wt_label_score_t *out);
double wt_metrics_micro_f1(const wt_metrics_t *m);
double wt_metrics_macro_f1(const wt_metrics_t *m);
double wt_metrics_example_f1(const wt_metrics_t *m);
double wt_metrics_accuracy(const wt_metrics_t *m);

/** F1 from counts (0 when undefined). */
double wt_f1(uint64_t tp, uint64_t fp, uint64_t fn);

#ifdef __cplusplus
}
#endif

#endif /* WT_METRICS_H */
