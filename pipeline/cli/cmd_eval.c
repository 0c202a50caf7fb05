/*
 * wiretag - cmd_eval.c: `wiretag eval`, a model's scores on labeled data.
 * A thin client of wt_eval.h: reads records, prints the report.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wt_eval.h"
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
                "      --by FIELD        also report each value of this "
                "JSON field\n"
                "                        (e.g. source) on its own\n"
                "      --labels A,B,...  score only these model labels\n"
                "      --ignore-unknown  leave labels the model lacks out of "
                "the scores\n"
                "      --fields A,B      JSON string fields read as the text, "
                "instead of\n"
                "                        the model's (as run's input.fields)\n"
                "  -h, --help            this help\n"
                "FILE may be gzip-compressed (recognised by its first "
                "bytes).\n");
}

static double wt_eval_num(json_t *obj, const char *key) {
        return json_number_value(json_object_get(obj, key));
}

/* One report (overall or one group's) as a table. */
static void wt_eval_print_scores(json_t *scores, size_t failed) {
        json_t *per = json_object_get(scores, "per_label"), *s;
        const char *name;

        printf("%-24s %9s %9s %9s %9s\n", "label", "precision", "recall",
               "f1", "support");
        json_object_foreach(per, name, s) {
                printf("%-24s %9.4f %9.4f %9.4f %9lld%s\n", name,
                       wt_eval_num(s, "precision"), wt_eval_num(s, "recall"),
                       wt_eval_num(s, "f1"),
                       (long long)json_integer_value(
                               json_object_get(s, "support")),
                       json_is_false(json_object_get(s, "in_model"))
                               ? "  (not in model)"
                               : "");
        }
        printf("\ndocs %lld",
               (long long)json_integer_value(json_object_get(scores, "docs")));
        if (failed)
                printf(" (%zu unreadable)", failed);
        printf("\nmicro-F1   %.4f\nmacro-F1   %.4f\nexample-F1 %.4f\n",
               wt_eval_num(scores, "micro_f1"), wt_eval_num(scores, "macro_f1"),
               wt_eval_num(scores, "example_f1"));
        if (json_is_number(json_object_get(scores, "accuracy")))
                printf("accuracy   %.4f\n", wt_eval_num(scores, "accuracy"));
}

static void wt_eval_print(json_t *report, size_t failed) {
        json_t *groups = json_object_get(report, "groups"), *g;
        const char *by = json_string_value(json_object_get(report, "by"));
        const char *value;

        wt_eval_print_scores(report, failed);
        json_object_foreach(groups, value, g) {
                printf("\n== %s = %s ==\n", by, value);
                wt_eval_print_scores(g, 0);
        }
}

int wt_cmd_eval(int argc, char **argv) {
        static const struct option longopts[] = {
                {"model", required_argument, NULL, 'm'},
                {"json", no_argument, NULL, 'j'},
                {"by", required_argument, NULL, 'b'},
                {"labels", required_argument, NULL, 'l'},
                {"ignore-unknown", no_argument, NULL, 'i'},
                {"fields", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        const char *model_path = NULL, *fields = NULL;
        wt_eval_opts_t opts = {0};
        int as_json = 0, c, r, rc = WT_EXIT_OK;
        wt_model_t *model;
        wt_eval_t *ev = NULL;
        wt_reader_t rd;
        json_t *report = NULL, *unknown;
        const char *text;
        size_t len, i;
        char errstr[512] = "";

        while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        model_path = optarg;
                        break;
                case 'j':
                        as_json = 1;
                        break;
                case 'b':
                        opts.group_by = optarg;
                        break;
                case 'l':
                        opts.only = optarg;
                        break;
                case 'i':
                        opts.ignore_unknown = 1;
                        break;
                case 'f':
                        fields = optarg;
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
        if (opts.group_by && !*opts.group_by) {
                wt_cli_error("eval", "--by: name a JSON field");
                return WT_EXIT_USAGE;
        }
        if (!(model = wt_cli_load_model("eval", model_path)))
                return WT_EXIT_FAIL;
        switch (wt_eval_new(model, &opts, &ev, errstr, sizeof(errstr))) {
        case WT_OK:
                break;
        case WT_ERR_INVALID_ARG:
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_USAGE;
                goto done;
        default:
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_FAIL;
                goto done;
        }
        if (fields) {
                /* Checked as classify checks it, then handed over. */
                wt_feature_conf_t fconf = *wt_model_feature_conf(model);
                if (wt_cli_parse_fields("eval", fields, &fconf) ||
                    wt_eval_set_fields(ev, fields, errstr, sizeof(errstr))) {
                        rc = WT_EXIT_USAGE;
                        goto done;
                }
        }
        if (wt_reader_open(&rd, argv[optind], errstr, sizeof(errstr))) {
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_FAIL;
                goto done;
        }
        while ((r = wt_reader_next(&rd, &text, &len, errstr,
                                   sizeof(errstr))) == 1) {
                wt_err_t err = wt_eval_add(ev, text, len, errstr,
                                           sizeof(errstr));
                if (err == WT_ERR_NOMEM) {
                        wt_cli_error("eval", "%s", errstr);
                        rc = WT_EXIT_FAIL;
                        break;
                }
                if (err)
                        wt_cli_error("eval", "%s:%zu: %s", argv[optind],
                                     wt_reader_lineno(&rd), errstr);
        }
        if (r < 0) {
                wt_cli_error("eval", "%s", errstr);
                rc = WT_EXIT_FAIL;
        }
        wt_reader_close(&rd);
        if (rc != WT_EXIT_OK)
                goto done;
        if (!(report = wt_eval_report(ev))) {
                wt_cli_error("eval", "out of memory writing the report");
                rc = WT_EXIT_FAIL;
                goto done;
        }
        if (as_json) {
                char *txt = json_dumps(report,
                                       JSON_INDENT(2) | JSON_REAL_PRECISION(6));
                if (txt)
                        puts(txt);
                free(txt);
        } else {
                wt_eval_print(report, wt_eval_failed(ev));
        }
        unknown = json_object_get(report, "unknown_labels");
        if (json_array_size(unknown)) {
                fprintf(stderr,
                        "wiretag: eval: %zu label(s) in the data are not in "
                        "the model:",
                        json_array_size(unknown));
                for (i = 0; i < json_array_size(unknown); i++)
                        fprintf(stderr, " %s",
                                json_string_value(json_array_get(unknown, i)));
                fprintf(stderr, "%s\n",
                        opts.ignore_unknown ? " (ignored)"
                                            : " (counted as missed)");
        }
        if (wt_eval_failed(ev))
                rc = WT_EXIT_PARTIAL;
done:
        json_decref(report);
        wt_eval_destroy(ev);
        wt_model_destroy(model);
        return rc;
}
