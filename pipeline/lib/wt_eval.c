/*
 * wiretag - wt_eval.c: see wt_eval.h.
 *
 * Articles are classified as they are added and kept as sparse label
 * lists (gold and predicted label indices), because the label space may
 * still grow: a label the model lacks becomes known only when an article
 * carries it. Scoring happens once, in wt_eval_report(), over the final
 * label space, for all articles and for each group.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_eval.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wt_article.h"
#include "wt_metrics.h"

typedef struct wt_evdoc {
        uint32_t ngold, npred, group;
        uint32_t *gold, *pred;
} wt_evdoc_t;

/* A growable list of owned names, looked up linearly: label spaces and
 * group counts are small (tens), and lookups happen once per article. */
typedef struct wt_namelist {
        char **names;
        size_t n, cap;
} wt_namelist_t;

struct wt_eval_s {
        const wt_model_t *model;
        wt_feature_conf_t fconf; /* the model's; wt_eval_set_fields */
        wt_scratch_t *scratch;
        char *only;
        char *group_by;
        int ignore_unknown;
        wt_namelist_t labels; /* the model's labels, then unknown ones */
        size_t nmodel;
        wt_namelist_t groups;
        wt_evdoc_t *docs;
        size_t ndocs, cap, failed;
};

/* Index of name in list, adding it when absent; -1 when out of memory. */
static long wt_namelist_intern(wt_namelist_t *nl, const char *name) {
        size_t i;
        for (i = 0; i < nl->n; i++)
                if (!strcmp(nl->names[i], name))
                        return (long)i;
        if (nl->n == nl->cap) {
                size_t cap = nl->cap ? nl->cap * 2 : 8;
                char **nn = realloc(nl->names, cap * sizeof(*nn));
                if (!nn)
                        return -1;
                nl->names = nn;
                nl->cap = cap;
        }
        if (!(nl->names[nl->n] = strdup(name)))
                return -1;
        return (long)nl->n++;
}

static void wt_namelist_clear(wt_namelist_t *nl) {
        size_t i;
        for (i = 0; i < nl->n; i++)
                free(nl->names[i]);
        free(nl->names);
        memset(nl, 0, sizeof(*nl));
}

/* Whether `name` is one of the comma-separated names in `list`. */
static int wt_list_has(const char *list, const char *name) {
        size_t nlen = strlen(name);
        const char *p = list;
        while (p && *p) {
                const char *comma = strchr(p, ',');
                size_t plen = comma ? (size_t)(comma - p) : strlen(p);
                if (plen == nlen && !strncmp(p, name, nlen))
                        return 1;
                p = comma ? comma + 1 : NULL;
        }
        return 0;
}

/* Every name of `list` must be a model label. */
static wt_err_t wt_eval_check_only(const wt_model_t *model, const char *list,
                                   char *errstr, size_t errstr_size) {
        const char *p = list;
        if (!*list)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "--labels: no label named");
        while (p) {
                const char *comma = strchr(p, ',');
                size_t plen = comma ? (size_t)(comma - p) : strlen(p);
                char name[256];
                if (plen == 0 || plen >= sizeof(name))
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "--labels: empty or overlong label "
                                         "name in \"%s\"",
                                         list);
                memcpy(name, p, plen);
                name[plen] = '\0';
                if (wt_model_label_index(model, name) < 0)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "--labels: the model has no label "
                                         "\"%s\"",
                                         name);
                p = comma ? comma + 1 : NULL;
        }
        return WT_OK;
}

wt_err_t wt_eval_new(const wt_model_t *model, const wt_eval_opts_t *opts,
                     wt_eval_t **evalp, char *errstr, size_t errstr_size) {
        static const wt_eval_opts_t defaults = {0};
        wt_eval_t *ev;
        wt_err_t err;
        size_t l;

        *evalp = NULL;
        if (!opts)
                opts = &defaults;
        if (opts->only &&
            (err = wt_eval_check_only(model, opts->only, errstr, errstr_size)))
                return err;
        if (!(ev = calloc(1, sizeof(*ev))))
                goto nomem;
        ev->model = model;
        ev->fconf = *wt_model_feature_conf(model);
        ev->ignore_unknown = opts->ignore_unknown;
        if ((opts->only && !(ev->only = strdup(opts->only))) ||
            (opts->group_by && !(ev->group_by = strdup(opts->group_by))) ||
            !(ev->scratch = wt_scratch_new()))
                goto nomem;
        for (l = 0; l < wt_model_nlabels(model); l++)
                if (wt_namelist_intern(&ev->labels, wt_model_label(model, l)) <
                    0)
                        goto nomem;
        ev->nmodel = ev->labels.n;
        *evalp = ev;
        return WT_OK;
nomem:
        wt_eval_destroy(ev);
        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                         "out of memory starting an evaluation");
}

void wt_eval_destroy(wt_eval_t *ev) {
        size_t i;
        if (!ev)
                return;
        for (i = 0; i < ev->ndocs; i++) {
                free(ev->docs[i].gold);
                free(ev->docs[i].pred);
        }
        free(ev->docs);
        wt_namelist_clear(&ev->labels);
        wt_namelist_clear(&ev->groups);
        wt_scratch_destroy(ev->scratch);
        free(ev->only);
        free(ev->group_by);
        free(ev);
}

/* The group an article belongs to (index into ev->groups), -1 when out
 * of memory. */
static long wt_eval_group(wt_eval_t *ev, json_t *root) {
        json_t *v = json_object_get(root, ev->group_by);
        char *txt;
        long idx;
        if (!v || json_is_null(v))
                return wt_namelist_intern(&ev->groups, WT_EVAL_GROUP_NONE);
        if (json_is_string(v))
                return wt_namelist_intern(&ev->groups, json_string_value(v));
        if (!(txt = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY)))
                return -1;
        idx = wt_namelist_intern(&ev->groups, txt);
        free(txt);
        return idx;
}

wt_err_t wt_eval_add(wt_eval_t *ev, const char *buf, size_t len,
                     char *errstr, size_t errstr_size) {
        wt_article_t art;
        wt_prediction_t p;
        json_t *labels, *lv;
        wt_evdoc_t *d;
        wt_err_t err;
        long group = 0;
        size_t i;

        err = wt_article_parse(buf, len, &ev->fconf, 0,
                               &art, errstr, errstr_size);
        if (err) {
                ev->failed++;
                return err;
        }
        labels = json_object_get(art.root, "labels");
        if (!json_is_array(labels)) {
                wt_seterr(errstr, errstr_size, WT_ERR_LABELS,
                          "field \"labels\" %s",
                          labels ? "is not an array" : "is missing");
                wt_article_clear(&art);
                ev->failed++;
                return WT_ERR_LABELS;
        }
        if ((err = wt_classify(ev->model, ev->scratch, &art.segs, &p)))
                goto fail;
        if (ev->group_by && (group = wt_eval_group(ev, art.root)) < 0) {
                err = WT_ERR_NOMEM;
                goto fail;
        }
        if (ev->ndocs == ev->cap) {
                size_t cap = ev->cap ? ev->cap * 2 : 1024;
                wt_evdoc_t *nd = realloc(ev->docs, cap * sizeof(*nd));
                if (!nd) {
                        err = WT_ERR_NOMEM;
                        goto fail;
                }
                ev->docs = nd;
                ev->cap = cap;
        }
        d = &ev->docs[ev->ndocs];
        memset(d, 0, sizeof(*d));
        d->group = (uint32_t)group;
        d->gold = calloc(json_array_size(labels) + 1, sizeof(*d->gold));
        d->pred = calloc(p.ntags + 1, sizeof(*d->pred));
        if (!d->gold || !d->pred) {
                free(d->gold);
                free(d->pred);
                err = WT_ERR_NOMEM;
                goto fail;
        }
        for (i = 0; i < p.ntags; i++)
                d->pred[d->npred++] = p.tags[i].label;
        json_array_foreach(labels, i, lv) {
                long idx;
                if (!json_is_string(lv))
                        continue;
                idx = wt_namelist_intern(&ev->labels, json_string_value(lv));
                if (idx < 0) {
                        free(d->gold);
                        free(d->pred);
                        err = WT_ERR_NOMEM;
                        goto fail;
                }
                d->gold[d->ngold++] = (uint32_t)idx;
        }
        ev->ndocs++;
        wt_article_clear(&art);
        return WT_OK;
fail:
        wt_article_clear(&art);
        return wt_seterr(errstr, errstr_size, err, "%s while evaluating",
                         wt_err_describe(err));
}

wt_err_t wt_eval_set_fields(wt_eval_t *ev, const char *fields,
                            char *errstr, size_t errstr_size) {
        return wt_feature_conf_set_fields(&ev->fconf, fields, errstr,
                                          errstr_size);
}

size_t wt_eval_docs(const wt_eval_t *ev) {
        return ev->ndocs;
}

size_t wt_eval_failed(const wt_eval_t *ev) {
        return ev->failed;
}

/* Scores of the articles of one group (all of them when group < 0) as a
 * JSON object: docs, the F1 figures and per_label. */
static json_t *wt_eval_scores(const wt_eval_t *ev, const uint8_t *applicable,
                              long group, uint8_t *gold, uint8_t *pred) {
        size_t nl = ev->labels.n, i, l, docs = 0;
        wt_metrics_t *m = wt_metrics_new(nl);
        json_t *per = json_object(), *out = NULL;

        if (!m || !per)
                goto done;
        for (i = 0; i < ev->ndocs; i++) {
                const wt_evdoc_t *d = &ev->docs[i];
                if (group >= 0 && d->group != (uint32_t)group)
                        continue;
                memset(gold, 0, nl);
                memset(pred, 0, nl);
                for (l = 0; l < d->ngold; l++)
                        gold[d->gold[l]] = 1;
                for (l = 0; l < d->npred; l++)
                        pred[d->pred[l]] = 1;
                wt_metrics_add(m, gold, pred, applicable);
                docs++;
        }
        for (l = 0; l < nl; l++) {
                wt_label_score_t s;
                if (!applicable[l])
                        continue;
                wt_metrics_label(m, l, &s);
                if (json_object_set_new(
                            per, ev->labels.names[l],
                            json_pack("{s:f, s:f, s:f, s:I, s:I, s:I, s:I, "
                                      "s:b}",
                                      "precision", s.precision, "recall",
                                      s.recall, "f1", s.f1, "support",
                                      (json_int_t)s.support, "tp",
                                      (json_int_t)s.tp, "fp",
                                      (json_int_t)s.fp, "fn",
                                      (json_int_t)s.fn, "in_model",
                                      l < ev->nmodel)))
                        goto done;
        }
        out = json_pack("{s:I, s:f, s:f, s:f, s:o, s:O}", "docs",
                        (json_int_t)docs, "micro_f1", wt_metrics_micro_f1(m),
                        "macro_f1", wt_metrics_macro_f1(m), "example_f1",
                        wt_metrics_example_f1(m), "accuracy",
                        wt_model_is_multilabel(ev->model)
                                ? json_null()
                                : json_real(wt_metrics_accuracy(m)),
                        "per_label", per);
done:
        json_decref(per);
        wt_metrics_destroy(m);
        return out;
}

json_t *wt_eval_report(const wt_eval_t *ev) {
        size_t nl = ev->labels.n, l, g;
        uint8_t *applicable = calloc(nl + 1, 1), *gold = calloc(nl + 1, 1),
                *pred = calloc(nl + 1, 1);
        json_t *out = NULL, *unknown = NULL, *groups = NULL, *s;

        if (!applicable || !gold || !pred)
                goto done;
        for (l = 0; l < nl; l++) {
                if (ev->only)
                        applicable[l] = l < ev->nmodel &&
                                        wt_list_has(ev->only,
                                                    ev->labels.names[l]);
                else
                        applicable[l] = l < ev->nmodel || !ev->ignore_unknown;
        }
        if (!(out = wt_eval_scores(ev, applicable, -1, gold, pred)) ||
            !(unknown = json_array()))
                goto fail;
        for (l = ev->nmodel; l < nl; l++)
                if (json_array_append_new(unknown,
                                          json_string(ev->labels.names[l])))
                        goto fail;
        if (json_object_set_new(out, "model",
                                json_string(wt_model_name(ev->model))) ||
            json_object_set_new(out, "model_id",
                                json_string(wt_model_id(ev->model))) ||
            json_object_set_new(out, "failed",
                                json_integer((json_int_t)ev->failed)) ||
            json_object_set(out, "unknown_labels", unknown))
                goto fail;
        if (ev->group_by) {
                if (!(groups = json_object()))
                        goto fail;
                for (g = 0; g < ev->groups.n; g++) {
                        if (!(s = wt_eval_scores(ev, applicable, (long)g,
                                                 gold, pred)) ||
                            json_object_set_new(groups, ev->groups.names[g],
                                                s))
                                goto fail;
                }
                if (json_object_set_new(out, "by",
                                        json_string(ev->group_by)) ||
                    json_object_set(out, "groups", groups))
                        goto fail;
        }
        goto done;
fail:
        json_decref(out);
        out = NULL;
done:
        json_decref(unknown);
        json_decref(groups);
        free(applicable);
        free(gold);
        free(pred);
        return out;
}
