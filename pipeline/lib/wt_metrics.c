/*
 * wiretag - wt_metrics.c: see wt_metrics.h.
 */
#include "wt_metrics.h"

#include <stdlib.h>

struct wt_metrics_s {
        size_t nlabels;
        uint64_t *tp, *fp, *fn;
        size_t docs, exact;
        double example_f1_sum;
};

wt_metrics_t *wt_metrics_new(size_t nlabels) {
        wt_metrics_t *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        m->nlabels = nlabels;
        m->tp = calloc(nlabels + 1, sizeof(*m->tp));
        m->fp = calloc(nlabels + 1, sizeof(*m->fp));
        m->fn = calloc(nlabels + 1, sizeof(*m->fn));
        if (!m->tp || !m->fp || !m->fn) {
                wt_metrics_destroy(m);
                return NULL;
        }
        return m;
}

void wt_metrics_destroy(wt_metrics_t *m) {
        if (!m)
                return;
        free(m->tp);
        free(m->fp);
        free(m->fn);
        free(m);
}

void wt_metrics_add(wt_metrics_t *m, const uint8_t *gold, const uint8_t *pred,
                    const uint8_t *applicable) {
        size_t l, inter = 0, ng = 0, np = 0;
        int exact = 1;
        for (l = 0; l < m->nlabels; l++) {
                int g = gold[l] != 0, p = pred[l] != 0;
                if (applicable && !applicable[l])
                        continue;
                m->tp[l] += g && p;
                m->fp[l] += !g && p;
                m->fn[l] += g && !p;
                inter += g && p;
                ng += g;
                np += p;
                exact &= g == p;
        }
        m->docs++;
        m->exact += exact;
        m->example_f1_sum +=
                ng + np == 0 ? 1.0 : 2.0 * (double)inter / (double)(ng + np);
}

size_t wt_metrics_docs(const wt_metrics_t *m) {
        return m->docs;
}

double wt_f1(uint64_t tp, uint64_t fp, uint64_t fn) {
        if (tp == 0)
                return 0.0;
        return 2.0 * (double)tp / (double)(2 * tp + fp + fn);
}

void wt_metrics_label(const wt_metrics_t *m, size_t l, wt_label_score_t *o) {
        o->tp = m->tp[l];
        o->fp = m->fp[l];
        o->fn = m->fn[l];
        o->support = o->tp + o->fn;
        o->precision = o->tp + o->fp ? (double)o->tp / (double)(o->tp + o->fp)
                                     : 0.0;
        o->recall = o->support ? (double)o->tp / (double)o->support : 0.0;
        o->f1 = wt_f1(o->tp, o->fp, o->fn);
}

double wt_metrics_micro_f1(const wt_metrics_t *m) {
        uint64_t tp = 0, fp = 0, fn = 0;
        size_t l;
        for (l = 0; l < m->nlabels; l++) {
                tp += m->tp[l];
                fp += m->fp[l];
                fn += m->fn[l];
        }
        return wt_f1(tp, fp, fn);
}

double wt_metrics_macro_f1(const wt_metrics_t *m) {
        double sum = 0.0;
        size_t l, n = 0;
        for (l = 0; l < m->nlabels; l++) {
                if (m->tp[l] + m->fp[l] + m->fn[l] == 0)
                        continue;
                sum += wt_f1(m->tp[l], m->fp[l], m->fn[l]);
                n++;
        }
        return n ? sum / (double)n : 0.0;
}

double wt_metrics_example_f1(const wt_metrics_t *m) {
        return m->docs ? m->example_f1_sum / (double)m->docs : 0.0;
}

double wt_metrics_accuracy(const wt_metrics_t *m) {
        return m->docs ? (double)m->exact / (double)m->docs : 0.0;
}
