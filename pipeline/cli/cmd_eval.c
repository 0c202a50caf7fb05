/*
 * wiretag - cmd_eval.c: `wiretag eval`, a model's scores on labeled data.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wt_article.h"
#include "wt_metrics.h"
#include "wt_reader.h"

static void wt_eval_usage(FILE *fp) {
        fprintf(fp,
                "Usage: wiretag eval -m MODEL FILE.jsonl [options]\n"
                "\n"
                "Classifies labeled JSON Lines ({\"title\", \"text\", "
                "\"labels\": [...]}) and\n"
                "prints per-label precision, recall, F1 and support, then "
                "micro-F1,\n"
                "macro-F1, example-based F1 and (single-label models) "
                "accuracy.\n"
                "Labels in the data that the model does not know are "
                "listed, and count\n"
                "as missed (false negatives) unless --ignore-unknown is "
                "given.\n"
                "\n"
                "Options:\n"
                "  -m, --model FILE      model file (.wtm)\n"
                "      --json            print one JSON object instead of "
                "a table\n"
                "      --labels A,B,...  score only these model labels\n"
                "      --ignore-unknown  leave labels the model lacks out of "
                "the scores\n"
                "  -h, --help            this help\n");
}

/* Label space of an evaluation: the model's labels, then unknown ones. */
typedef struct wt_evlabels {
        size_t n, cap;
        char **names;
        size_t nmodel;
} wt_evlabels_t;

static int wt_evlabels_find(wt_evlabels_t *e, const char *name, int add) {
        size_t i;
        for (i = 0; i < e->n; i++)
                if (!strcmp(e->names[i], name))
                        return (int)i;
        if (!add)
                return -1;
        if (e->n == e->cap) {
                char **nn = realloc(e->names, (e->cap * 2 + 8) * sizeof(*nn));
                if (!nn)
                        return -1;
                e->names = nn;
                e->cap = e->cap * 2 + 8;
        }
        if (!(e->names[e->n] = strdup(name)))
                return -1;
        return (int)e->n++;
}

/* Labeled records are kept as flags per label; the label space may grow
 * as unknown labels appear, so flags are stored sparsely per document. */
typedef struct wt_evdoc {
        uint32_t ngold, npred;
        uint32_t *gold, *pred;
} wt_evdoc_t;

int wt_cmd_eval(int argc, char **argv) {
        static const struct option longopts[] = {
                {"model", required_argument, NULL, 'm'},
                {"json", no_argument, NULL, 'j'},
                {"labels", required_argument, NULL, 'l'},
                {"ignore-unknown", no_argument, NULL, 'i'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        const char *model_path = NULL, *only = NULL;
        int as_json = 0, ignore_unknown = 0, c, r, rc = WT_EXIT_OK;
        wt_model_t *model;
        wt_scratch_t *scratch = NULL;
        wt_reader_t rd;
        wt_evlabels_t ev = {0};
        wt_evdoc_t *docs = NULL;
        size_t ndocs = 0, cap = 0, failed = 0, i, l;
        wt_metrics_t *metrics = NULL;
        uint8_t *gold = NULL, *pred = NULL, *applicable = NULL;
        const char *text;
        size_t len;
        char errstr[512];

        while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        model_path = optarg;
                        break;
                case 'j':
                        as_json = 1;
                        break;
                case 'l':
                        only = optarg;
                        break;
                case 'i':
                        ignore_unknown = 1;
                        break;
                case 'h':
                        wt_eval_usage(stdout);
                        return WT_EXIT_OK;
                default:
                        wt_eval_usage(stderr);
                        return WT_EXIT_USAGE;
                }
        }
        if (!model_path || optind + 1 != argc) {
                wt_cli_error("eval", "usage: wiretag eval -m MODEL FILE.jsonl "
                                     "(see --help)");
                return WT_EXIT_USAGE;
        }
        if (!(model = wt_cli_load_model("eval", model_path)))
                return WT_EXIT_FAIL;
        for (l = 0; l < wt_model_nlabels(model); l++)
                wt_evlabels_find(&ev, wt_model_label(model, l), 1);
        ev.nmodel = ev.n;
        if (wt_reader_open(&rd, argv[optind], errstr, sizeof(errstr))) {
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_FAIL;
                goto done;
        }
        if (!(scratch = wt_scratch_new())) {
                wt_reader_close(&rd);
                rc = WT_EXIT_FAIL;
                goto done;
        }

        while ((r = wt_reader_next(&rd, &text, &len, errstr,
                                   sizeof(errstr))) == 1) {
                wt_article_t art;
                wt_prediction_t p;
                json_t *labels, *lv;
                wt_evdoc_t *d;
                wt_err_t err;
                size_t lineno = wt_reader_lineno(&rd);

                err = wt_article_parse(text, len, wt_model_feature_conf(model),
                                       0, &art, errstr, sizeof(errstr));
                if (err) {
                        wt_cli_error("eval", "%s:%zu: %s", argv[optind],
                                     lineno, errstr);
                        failed++;
                        continue;
                }
                labels = json_object_get(art.root, "labels");
                if (!json_is_array(labels)) {
                        wt_cli_error("eval", "%s:%zu: field \"labels\" %s",
                                     argv[optind], lineno,
                                     labels ? "is not an array"
                                            : "is missing");
                        wt_article_clear(&art);
                        failed++;
                        continue;
                }
                if (wt_classify(model, scratch, &art.segs, &p)) {
                        wt_cli_error("eval", "out of memory");
                        wt_article_clear(&art);
                        rc = WT_EXIT_FAIL;
                        break;
                }
                if (ndocs == cap) {
                        wt_evdoc_t *nd;
                        cap = cap ? cap * 2 : 1024;
                        if (!(nd = realloc(docs, cap * sizeof(*nd)))) {
                                wt_article_clear(&art);
                                rc = WT_EXIT_FAIL;
                                break;
                        }
                        docs = nd;
                }
                d = &docs[ndocs++];
                d->ngold = 0;
                d->npred = (uint32_t)p.ntags;
                d->gold = calloc(json_array_size(labels) + 1,
                                 sizeof(*d->gold));
                d->pred = calloc(p.ntags + 1, sizeof(*d->pred));
                if (!d->gold || !d->pred) {
                        wt_article_clear(&art);
                        rc = WT_EXIT_FAIL;
                        break;
                }
                for (i = 0; i < p.ntags; i++)
                        d->pred[i] = p.tags[i].label;
                json_array_foreach(labels, i, lv) {
                        int idx;
                        if (!json_is_string(lv))
                                continue;
                        idx = wt_evlabels_find(&ev, json_string_value(lv), 1);
                        if (idx >= 0)
                                d->gold[d->ngold++] = (uint32_t)idx;
                }
                wt_article_clear(&art);
        }
        if (r < 0) {
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_FAIL;
        }
        wt_reader_close(&rd);
        if (rc != WT_EXIT_OK)
                goto done;

        /* Score. */
        metrics = wt_metrics_new(ev.n);
        gold = calloc(ev.n + 1, 1);
        pred = calloc(ev.n + 1, 1);
        applicable = calloc(ev.n + 1, 1);
        if (!metrics || !gold || !pred || !applicable) {
                rc = WT_EXIT_FAIL;
                goto done;
        }
        for (l = 0; l < ev.n; l++) {
                applicable[l] = l < ev.nmodel || !ignore_unknown;
                if (only) {
                        const char *p = l < ev.nmodel ? only : NULL;
                        size_t nlen = strlen(ev.names[l]);
                        applicable[l] = 0;
                        while (p && *p) {
                                const char *comma = strchr(p, ',');
                                size_t plen = comma ? (size_t)(comma - p)
                                                    : strlen(p);
                                if (plen == nlen &&
                                    !strncmp(p, ev.names[l], nlen))
                                        applicable[l] = 1;
                                p = comma ? comma + 1 : NULL;
                        }
                }
        }
        if (only) { /* each named label must exist */
                char *copy = strdup(only), *tok, *save = NULL;
                for (tok = strtok_r(copy, ",", &save); tok;
                     tok = strtok_r(NULL, ",", &save))
                        if (wt_model_label_index(model, tok) < 0) {
                                wt_cli_error("eval",
                                             "--labels: the model has no "
                                             "label \"%s\"",
                                             tok);
                                rc = WT_EXIT_USAGE;
                        }
                free(copy);
                if (rc)
                        goto done;
        }
        for (i = 0; i < ndocs; i++) {
                memset(gold, 0, ev.n);
                memset(pred, 0, ev.n);
                for (l = 0; l < docs[i].ngold; l++)
                        gold[docs[i].gold[l]] = 1;
                for (l = 0; l < docs[i].npred; l++)
                        pred[docs[i].pred[l]] = 1;
                wt_metrics_add(metrics, gold, pred, applicable);
        }

        if (as_json) {
                json_t *per = json_object(), *unknown = json_array(), *out;
                char *txt;
                for (l = 0; l < ev.n; l++) {
                        wt_label_score_t s;
                        if (l >= ev.nmodel)
                                json_array_append_new(
                                        unknown, json_string(ev.names[l]));
                        if (!applicable[l])
                                continue;
                        wt_metrics_label(metrics, l, &s);
                        json_object_set_new(
                                per, ev.names[l],
                                json_pack("{s:f, s:f, s:f, s:I}", "precision",
                                          s.precision, "recall", s.recall,
                                          "f1", s.f1, "support",
                                          (json_int_t)s.support));
                }
                out = json_pack(
                        "{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:o, s:o, s:o}",
                        "model", wt_model_name(model), "model_id",
                        wt_model_id(model), "docs", (json_int_t)ndocs,
                        "failed", (json_int_t)failed, "micro_f1",
                        wt_metrics_micro_f1(metrics), "macro_f1",
                        wt_metrics_macro_f1(metrics), "example_f1",
                        wt_metrics_example_f1(metrics), "accuracy",
                        wt_model_is_multilabel(model)
                                ? json_null()
                                : json_real(wt_metrics_accuracy(metrics)),
                        "per_label", per, "unknown_labels", unknown);
                txt = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(6));
                if (txt)
                        puts(txt);
                free(txt);
                json_decref(out);
        } else {
                printf("%-24s %9s %9s %9s %9s\n", "label", "precision",
                       "recall", "f1", "support");
                for (l = 0; l < ev.n; l++) {
                        wt_label_score_t s;
                        if (!applicable[l])
                                continue;
                        wt_metrics_label(metrics, l, &s);
                        printf("%-24s %9.4f %9.4f %9.4f %9llu%s\n",
                               ev.names[l], s.precision, s.recall, s.f1,
                               (unsigned long long)s.support,
                               l >= ev.nmodel ? "  (not in model)" : "");
                }
                printf("\ndocs %zu", ndocs);
                if (failed)
                        printf(" (%zu unreadable)", failed);
                printf("\nmicro-F1   %.4f\nmacro-F1   %.4f\nexample-F1 "
                       "%.4f\n",
                       wt_metrics_micro_f1(metrics),
                       wt_metrics_macro_f1(metrics),
                       wt_metrics_example_f1(metrics));
                if (!wt_model_is_multilabel(model))
                        printf("accuracy   %.4f\n",
                               wt_metrics_accuracy(metrics));
        }
        if (ev.n > ev.nmodel) {
                fprintf(stderr, "wiretag: eval: %zu label(s) in the data are "
                                "not in the model:",
                        ev.n - ev.nmodel);
                for (l = ev.nmodel; l < ev.n; l++)
                        fprintf(stderr, " %s", ev.names[l]);
                fprintf(stderr, "%s\n",
                        ignore_unknown ? " (ignored)"
                                       : " (counted as missed)");
        }
        if (failed)
                rc = WT_EXIT_PARTIAL;
done:
        for (i = 0; i < ndocs; i++) {
                free(docs[i].gold);
                free(docs[i].pred);
        }
        free(docs);
        for (l = 0; l < ev.n; l++)
                free(ev.names[l]);
        free(ev.names);
        free(gold);
        free(pred);
        free(applicable);
        wt_metrics_destroy(metrics);
        wt_scratch_destroy(scratch);
        wt_model_destroy(model);
        return rc;
}
