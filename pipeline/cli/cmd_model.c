/*
 * wiretag - cmd_model.c: `wiretag model info`, the model card.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void wt_model_usage(FILE *fp) {
        fprintf(fp, "Usage: wiretag model info MODEL [--json]\n"
                    "\n"
                    "Prints the model card: name, id, feature configuration, "
                    "labels with\n"
                    "thresholds and pooling, training data (with sha256), "
                    "cross-validated\n"
                    "scores. --json prints it as one JSON object.\n");
}

static const char *wt_jstr(json_t *o, const char *key) {
        const char *s = json_string_value(json_object_get(o, key));
        return s ? s : "-";
}

static void wt_print_card(const wt_model_t *m, json_t *info) {
        json_t *f = json_object_get(info, "features");
        json_t *meta = wt_model_meta(m), *cv = json_object_get(meta, "cv");
        json_t *per = json_object_get(cv, "per_label"), *v, *fields;
        size_t i;

        printf("model        %s\n", wt_model_name(m));
        printf("model_id     %s\n", wt_model_id(m));
        printf("format       wtm version %lld\n",
               (long long)json_integer_value(
                       json_object_get(info, "format_version")));
        printf("kind         %s, %s scores\n",
               wt_model_is_multilabel(m)
                       ? "multi-label (every label above its threshold)"
                       : "single-label (top label)",
               wt_model_score_kind(m) == WT_SCORE_MARGIN ? "SVM margin"
                                                         : "probability");
        printf("features     %zu kept of 2^%lld hash buckets; n-grams 1..%lld; "
               "tf %s%s%s%s\n",
               wt_model_nfeatures(m),
               (long long)json_integer_value(json_object_get(f, "bits")),
               (long long)json_integer_value(json_object_get(f, "ngrams")),
               wt_jstr(f, "tf"),
               json_is_true(json_object_get(f, "idf")) ? " x idf" : "",
               json_is_true(json_object_get(f, "l2norm")) ? ", L2-normalised"
                                                          : "",
               json_is_true(json_object_get(f, "signed")) ? ", signed" : "");
        printf("tokenizer    %s%s; hash XXH3-64 seed %s\n",
               json_is_true(json_object_get(f, "fold_case")) ? "case-folded"
                                                             : "case kept",
               json_is_true(json_object_get(f, "fold_digits"))
                       ? ", digits folded"
                       : "",
               wt_jstr(f, "seed"));
        fields = json_object_get(f, "fields");
        printf("text fields ");
        json_array_foreach(fields, i, v) printf(" %s", json_string_value(v));
        printf("\n");
        printf("trained      %s by %s, solver %s, %lld docs, %lld-fold CV\n",
               wt_jstr(meta, "created"), wt_jstr(meta, "tool"),
               wt_jstr(meta, "solver"),
               (long long)json_integer_value(json_object_get(meta, "docs")),
               (long long)json_integer_value(json_object_get(meta, "folds")));
        json_array_foreach(json_object_get(meta, "data"), i, v) {
                printf("data         %s (%s, %lld docs, sha256 %s)\n",
                       wt_jstr(v, "path"), wt_jstr(v, "source"),
                       (long long)json_integer_value(
                               json_object_get(v, "docs")),
                       wt_jstr(v, "sha256"));
        }
        printf("\n%-24s %-12s %9s %8s %8s %8s %8s %7s\n", "label", "pooling",
               "threshold", "C", "cv-P", "cv-R", "cv-F1", "support");
        for (i = 0; i < wt_model_nlabels(m); i++) {
                json_t *pl = json_object_get(per, wt_model_label(m, i));
                printf("%-24s %-12s %9.4f", wt_model_label(m, i),
                       wt_model_pooling(m, i) == WT_POOL_SENTENCE_MAX
                               ? "sentence_max"
                               : "doc",
                       (double)wt_model_threshold(m, i));
                if (pl)
                        printf(" %8g %8.4f %8.4f %8.4f %7lld\n",
                               json_number_value(json_object_get(pl, "C")),
                               json_number_value(
                                       json_object_get(pl, "precision")),
                               json_number_value(
                                       json_object_get(pl, "recall")),
                               json_number_value(json_object_get(pl, "f1")),
                               (long long)json_integer_value(
                                       json_object_get(pl, "support")));
                else
                        printf("\n");
        }
        if (json_is_object(cv)) {
                printf("\ncross-validated: micro-F1 %.4f, macro-F1 %.4f, "
                       "example-F1 %.4f",
                       json_number_value(json_object_get(cv, "micro_f1")),
                       json_number_value(json_object_get(cv, "macro_f1")),
                       json_number_value(json_object_get(cv, "example_f1")));
                if (json_is_number(json_object_get(cv, "accuracy")))
                        printf(", accuracy %.4f",
                               json_number_value(
                                       json_object_get(cv, "accuracy")));
                printf("\n");
        }
}

int wt_cmd_model(int argc, char **argv) {
        const char *path = NULL;
        int as_json = 0, i;
        wt_model_t *m;
        json_t *info;

        if (argc < 2 || strcmp(argv[1], "info")) {
                if (argc >= 2 && (!strcmp(argv[1], "--help") ||
                                  !strcmp(argv[1], "-h"))) {
                        wt_model_usage(stdout);
                        return WT_EXIT_OK;
                }
                wt_model_usage(stderr);
                return WT_EXIT_USAGE;
        }
        for (i = 2; i < argc; i++) {
                if (!strcmp(argv[i], "--json"))
                        as_json = 1;
                else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
                        wt_model_usage(stdout);
                        return WT_EXIT_OK;
                } else if (!path && argv[i][0] != '-')
                        path = argv[i];
                else {
                        wt_model_usage(stderr);
                        return WT_EXIT_USAGE;
                }
        }
        if (!path) {
                wt_model_usage(stderr);
                return WT_EXIT_USAGE;
        }
        if (!(m = wt_cli_load_model("model info", path)))
                return WT_EXIT_FAIL;
        info = wt_model_info_json(m);
        if (as_json) {
                char *txt = json_dumps(info, JSON_INDENT(2) |
                                                     JSON_REAL_PRECISION(6));
                if (txt)
                        puts(txt);
                free(txt);
        } else {
                wt_print_card(m, info);
        }
        json_decref(info);
        wt_model_destroy(m);
        return WT_EXIT_OK;
}
