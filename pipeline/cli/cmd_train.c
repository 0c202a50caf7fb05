/*
 * wiretag - cmd_train.c: `wiretag train`.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <limits.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wt_train.h"

/** One --help line per row of the library's option table. */
static void wt_train_usage_rows(FILE *fp) {
        const wt_train_optdef_t *d;
        size_t i;
        for (i = 0; (d = wt_train_optdef(i)); i++) {
                char opt[64];
                int len = snprintf(opt, sizeof(opt), "%s%s%s%s%s", d->flag,
                                   d->flag_off ? " | --" : "",
                                   d->flag_off ? d->flag_off : "",
                                   d->arg ? " " : "", d->arg ? d->arg : "");
                /* The text in the column of the lines around; a longer
                 * option keeps a gap of three. */
                fprintf(fp, "      --%-*s%s\n", len < 15 ? 15 : len + 3, opt,
                        d->doc);
        }
}

static void wt_train_usage(FILE *fp) {
        fprintf(fp,
                "Usage: wiretag train --data FILE.jsonl [--data ...] --out "
                "MODEL [options]\n"
                "       wiretag train --spec SPEC.json --out MODEL "
                "[options]\n"
                "\n"
                "Trains one liblinear classifier per label on labeled JSON "
                "Lines\n"
                "({\"title\", \"text\", \"labels\": [...]}). Each --data "
                "file is a source\n"
                "that annotates the labels seen in it; a spec combines "
                "sources with label\n"
                "mappings (see models/README.md). Options given here "
                "override the spec.\n"
                "\n"
                "Options:\n"
                "  -d, --data FILE      labeled JSON Lines (repeatable)\n"
                "  -s, --spec FILE      training spec (JSON)\n"
                "  -o, --out FILE       model file to write (.wtm)\n"
                "      --name NAME      model name (default: from spec or "
                "output file)\n");
        wt_train_usage_rows(fp);
        fprintf(fp, "  -q, --quiet          no progress or summary\n"
                    "  -h, --help           this help\n");
}

static void wt_print_summary(const wt_model_t *m, const char *out) {
        json_t *cv = json_object_get(wt_model_meta(m), "cv");
        json_t *per = json_object_get(cv, "per_label");
        size_t l;
        fprintf(stderr,
                "wiretag: train: wrote %s (%zu labels, %zu features, "
                "model_id %s)\n",
                out, wt_model_nlabels(m), wt_model_nfeatures(m),
                wt_model_id(m));
        if (!json_is_object(cv))
                return;
        fprintf(stderr, "%-24s %8s %8s %8s %8s %7s\n", "label", "C", "cv-P",
                "cv-R", "cv-F1", "support");
        for (l = 0; l < wt_model_nlabels(m); l++) {
                json_t *pl = json_object_get(per, wt_model_label(m, l));
                fprintf(stderr, "%-24s %8g %8.4f %8.4f %8.4f %7lld\n",
                        wt_model_label(m, l),
                        json_number_value(json_object_get(pl, "C")),
                        json_number_value(json_object_get(pl, "precision")),
                        json_number_value(json_object_get(pl, "recall")),
                        json_number_value(json_object_get(pl, "f1")),
                        (long long)json_integer_value(
                                json_object_get(pl, "support")));
        }
        fprintf(stderr,
                "cross-validated (%d folds): micro-F1 %.4f  macro-F1 %.4f  "
                "example-F1 %.4f",
                (int)json_integer_value(json_object_get(cv, "folds")),
                json_number_value(json_object_get(cv, "micro_f1")),
                json_number_value(json_object_get(cv, "macro_f1")),
                json_number_value(json_object_get(cv, "example_f1")));
        if (json_is_number(json_object_get(cv, "accuracy")))
                fprintf(stderr, "  accuracy %.4f",
                        json_number_value(json_object_get(cv, "accuracy")));
        fprintf(stderr, "\n");
}

/* What the command line asked for. Options of the library's table
 * (wt_train_optdef) are kept as given and applied after the spec, so the
 * command line wins. */
typedef struct wt_train_args {
        const char *spec, *out, *name;
        const char **data; /* argc slots */
        size_t ndata;
        const char **given; /* per table row: its value, or NULL */
        size_t nrows;
        int quiet;
} wt_train_args_t;

/* getopt values: `wiretag train`'s own long options, then two per table
 * row (the row's flag, and for a tristate its "false" flag). */
enum { O_NAME = 256, O_ROW = 512 };

/** The long options, in --help's order: -d -s -o --name, the table's,
 *  -q -h. NULL when out of memory. @remark the caller frees it. */
static struct option *wt_train_longopts(size_t nrows) {
        struct option *lo = calloc(6 + 2 * nrows + 1, sizeof(*lo));
        const wt_train_optdef_t *d;
        size_t n = 0, i;

        if (!lo)
                return NULL;
        lo[n++] = (struct option){"data", required_argument, NULL, 'd'};
        lo[n++] = (struct option){"spec", required_argument, NULL, 's'};
        lo[n++] = (struct option){"out", required_argument, NULL, 'o'};
        lo[n++] = (struct option){"name", required_argument, NULL, O_NAME};
        for (i = 0; i < nrows && (d = wt_train_optdef(i)); i++) {
                int flag = d->kind == WT_TOPT_FLAG ||
                           d->kind == WT_TOPT_TRISTATE;
                lo[n++] = (struct option){
                        d->flag, flag ? no_argument : required_argument,
                        NULL, O_ROW + 2 * (int)i};
                if (d->flag_off)
                        lo[n++] = (struct option){d->flag_off, no_argument,
                                                  NULL, O_ROW + 2 * (int)i + 1};
        }
        lo[n++] = (struct option){"quiet", no_argument, NULL, 'q'};
        lo[n++] = (struct option){"help", no_argument, NULL, 'h'};
        return lo;
}

/** Keep value for option d (row i). Numbers are checked now, as given;
 *  the rest once the spec is read (wt_train_apply). -1 when refused. */
static int wt_train_keep(wt_train_args_t *a, size_t i,
                         const wt_train_optdef_t *d, const char *value) {
        unsigned long u, max = d->max > ULONG_MAX ? ULONG_MAX
                                                   : (unsigned long)d->max;
        char flag[64], msg[256];

        snprintf(flag, sizeof(flag), "--%s", d->flag);
        switch (d->kind) {
        case WT_TOPT_UINT:
        case WT_TOPT_FOLDS:
                if (wt_cli_parse_uint("train", flag, value,
                                      (unsigned long)d->min, max, &u))
                        return -1;
                if (wt_train_opts_set(NULL, d, value, msg, sizeof(msg))) {
                        wt_cli_error("train", "%s: %s", flag, msg);
                        return -1;
                }
                break;
        case WT_TOPT_POSITIVE:
                if (wt_train_opts_set(NULL, d, value, msg, sizeof(msg))) {
                        wt_cli_error("train",
                                     "%s: \"%s\" is not a positive number",
                                     flag, value);
                        return -1;
                }
                break;
        default:
                break;
        }
        a->given[i] = value;
        return 0;
}

/** Read the command line into a. @returns -1 to go on, else the exit
 *  status (--help, or a usage error already reported). */
static int wt_train_getopt(wt_train_args_t *a, int argc, char **argv) {
        struct option *lo = wt_train_longopts(a->nrows);
        int c, rc = -1;

        if (!lo)
                return WT_EXIT_FAIL;
        while (rc < 0 &&
               (c = getopt_long(argc, argv, "d:s:o:qh", lo, NULL)) != -1) {
                switch (c) {
                case 'd':
                        a->data[a->ndata++] = optarg;
                        break;
                case 's':
                        a->spec = optarg;
                        break;
                case 'o':
                        a->out = optarg;
                        break;
                case O_NAME:
                        a->name = optarg;
                        break;
                case 'q':
                        a->quiet = 1;
                        break;
                case 'h':
                        wt_train_usage(stdout);
                        rc = WT_EXIT_OK;
                        break;
                default:
                        if (c >= O_ROW && (size_t)(c - O_ROW) / 2 < a->nrows) {
                                size_t i = (size_t)(c - O_ROW) / 2;
                                const wt_train_optdef_t *d = wt_train_optdef(i);
                                const char *v = (c - O_ROW) % 2 ? "false"
                                                : optarg     ? optarg
                                                             : "true";
                                if (wt_train_keep(a, i, d, v))
                                        rc = WT_EXIT_USAGE;
                                break;
                        }
                        wt_train_usage(stderr);
                        rc = WT_EXIT_USAGE;
                        break;
                }
        }
        free(lo);
        if (rc >= 0)
                return rc;
        if (optind < argc) {
                wt_cli_error("train", "unexpected argument \"%s\"",
                             argv[optind]);
                return WT_EXIT_USAGE;
        }
        if (!a->out || (!a->spec && !a->ndata)) {
                wt_cli_error("train", "--out and --data or --spec are "
                                      "required (see --help)");
                return WT_EXIT_USAGE;
        }
        return -1;
}

/** The spec, then the data files, the name and the table's options over
 *  it. @returns -1 to go on, else the exit status (error reported). */
static int wt_train_apply(const wt_train_args_t *a, wt_train_opts_t *opts) {
        const wt_train_optdef_t *d;
        char errstr[1024];
        size_t i;

        if (a->spec &&
            wt_train_spec_load(opts, a->spec, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                return WT_EXIT_FAIL;
        }
        for (i = 0; i < a->ndata; i++)
                if (wt_train_opts_add_file(opts, a->data[i])) {
                        wt_cli_error("train", "out of memory");
                        return WT_EXIT_FAIL;
                }
        if (wt_train_opts_name(opts, a->name, a->out)) {
                wt_cli_error("train", "out of memory");
                return WT_EXIT_FAIL;
        }
        wt_train_opts_unset_run(opts);
        for (i = 0; i < a->nrows && (d = wt_train_optdef(i)); i++) {
                const char *v = a->given[i];
                if (!v || !wt_train_opts_set(opts, d, v, errstr,
                                             sizeof(errstr)))
                        continue;
                if (d->kind == WT_TOPT_GRID)
                        wt_cli_error("train",
                                     "--%s: \"%s\" is not a list of 1..%d "
                                     "positive numbers",
                                     d->flag, v, WT_CGRID_MAX);
                else if (d->kind == WT_TOPT_SOLVER)
                        wt_cli_error("train",
                                     "--%s: \"%s\" is not lr, svm or l1lr",
                                     d->flag, v);
                else
                        wt_cli_error("train", "--%s: %s", d->flag, errstr);
                return WT_EXIT_USAGE;
        }
        if (!a->quiet)
                opts->progress = wt_cli_progress;
        return -1;
}

int wt_cmd_train(int argc, char **argv) {
        wt_train_args_t a;
        wt_train_opts_t opts;
        wt_model_t *model = NULL;
        char errstr[1024] = "";
        int rc;

        memset(&a, 0, sizeof(a));
        while (wt_train_optdef(a.nrows))
                a.nrows++;
        wt_train_opts_init(&opts);
        a.data = calloc((size_t)argc, sizeof(*a.data));
        a.given = calloc(a.nrows, sizeof(*a.given));
        if (!a.data || !a.given) {
                rc = WT_EXIT_FAIL;
                goto done;
        }
        if ((rc = wt_train_getopt(&a, argc, argv)) >= 0 ||
            (rc = wt_train_apply(&a, &opts)) >= 0)
                goto done;

        rc = WT_EXIT_FAIL;
        if (wt_train(&opts, &model, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                goto done;
        }
        if (wt_model_save(model, a.out, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                goto done;
        }
        if (!a.quiet)
                wt_print_summary(model, a.out);
        rc = WT_EXIT_OK;
done:
        wt_model_destroy(model);
        wt_train_opts_clear(&opts);
        free(a.data);
        free(a.given);
        return rc;
}
