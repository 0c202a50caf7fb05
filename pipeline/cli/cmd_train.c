/*
 * wiretag - cmd_train.c: `wiretag train`.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "wt_train.h"

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
                "output file)\n"
                "      --fields A,B     JSON text fields (default "
                "title,text)\n"
                "      --ngrams N       word n-grams 1..N (default 2)\n"
                "      --bits B         2^B hash buckets, 8..28 (default "
                "20)\n"
                "      --min-df N       keep features seen in >= N docs "
                "(default 2)\n"
                "      --fold-digits    map digits to 0 before hashing\n"
                "      --signed         signed hashing\n"
                "      --no-idf         no idf weighting\n"
                "      --solver S       lr (default), svm or l1lr\n"
                "      --C X            fixed C (no search)\n"
                "      --C-grid A,B,..  C values tried by CV (default "
                "1,4,16,64,256)\n"
                "      --cv K           K-fold cross-validation (default "
                "5; 0 = none)\n"
                "      --multilabel | --single-label   override the "
                "data-driven choice\n"
                "      --threads N      training threads (default: all "
                "cores)\n"
                "      --seed N         fold assignment seed (default 1)\n"
                "  -q, --quiet          no progress or summary\n"
                "  -h, --help           this help\n");
}

static int wt_parse_grid(const char *s, wt_train_opts_t *o) {
        char *copy = strdup(s), *tok, *save = NULL, *end;
        size_t n = 0;
        if (!copy)
                return -1;
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                double v = strtod(tok, &end);
                if (*end || !(v > 0) || n == WT_CGRID_MAX) {
                        free(copy);
                        return -1;
                }
                o->C_grid[n++] = v;
        }
        free(copy);
        if (!n)
                return -1;
        o->nC = n;
        return 0;
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

int wt_cmd_train(int argc, char **argv) {
        enum {
                O_NAME = 256, O_FIELDS, O_NGRAMS, O_BITS, O_MINDF, O_FOLDDIG,
                O_SIGNED, O_NOIDF, O_SOLVER, O_C, O_CGRID, O_CV, O_MULTI,
                O_SINGLE, O_THREADS, O_SEED
        };
        static const struct option longopts[] = {
                {"data", required_argument, NULL, 'd'},
                {"spec", required_argument, NULL, 's'},
                {"out", required_argument, NULL, 'o'},
                {"name", required_argument, NULL, O_NAME},
                {"fields", required_argument, NULL, O_FIELDS},
                {"ngrams", required_argument, NULL, O_NGRAMS},
                {"bits", required_argument, NULL, O_BITS},
                {"min-df", required_argument, NULL, O_MINDF},
                {"fold-digits", no_argument, NULL, O_FOLDDIG},
                {"signed", no_argument, NULL, O_SIGNED},
                {"no-idf", no_argument, NULL, O_NOIDF},
                {"solver", required_argument, NULL, O_SOLVER},
                {"C", required_argument, NULL, O_C},
                {"C-grid", required_argument, NULL, O_CGRID},
                {"cv", required_argument, NULL, O_CV},
                {"multilabel", no_argument, NULL, O_MULTI},
                {"single-label", no_argument, NULL, O_SINGLE},
                {"threads", required_argument, NULL, O_THREADS},
                {"seed", required_argument, NULL, O_SEED},
                {"quiet", no_argument, NULL, 'q'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        /* Options are applied after the spec, so the command line wins:
         * collect them first. */
        const char *spec = NULL, *out = NULL, *name = NULL, *fields = NULL,
                   *solver = NULL, *grid = NULL;
        const char **data = calloc((size_t)argc, sizeof(char *));
        size_t ndata = 0, i;
        unsigned long ngrams = 0, bits = 0, min_df = 0, cv = 0, threads = 0,
                      seed = 0;
        int have_mindf = 0, have_cv = 0, have_seed = 0, fold_digits = 0,
            sgn = 0, noidf = 0, multi = -1, quiet = 0, c, rc = WT_EXIT_USAGE;
        double C = 0;
        wt_train_opts_t opts;
        wt_model_t *model = NULL;
        char errstr[1024] = "", *end;

        wt_train_opts_init(&opts);
        if (!data)
                return WT_EXIT_FAIL;
        while ((c = getopt_long(argc, argv, "d:s:o:qh", longopts, NULL)) !=
               -1) {
                switch (c) {
                case 'd':
                        data[ndata++] = optarg;
                        break;
                case 's':
                        spec = optarg;
                        break;
                case 'o':
                        out = optarg;
                        break;
                case O_NAME:
                        name = optarg;
                        break;
                case O_FIELDS:
                        fields = optarg;
                        break;
                case O_NGRAMS:
                        if (wt_cli_parse_uint("train", "--ngrams", optarg, 1,
                                              WT_NGRAM_MAX, &ngrams))
                                goto done;
                        break;
                case O_BITS:
                        if (wt_cli_parse_uint("train", "--bits", optarg,
                                              WT_BITS_MIN, WT_BITS_MAX, &bits))
                                goto done;
                        break;
                case O_MINDF:
                        if (wt_cli_parse_uint("train", "--min-df", optarg, 1,
                                              1000000, &min_df))
                                goto done;
                        have_mindf = 1;
                        break;
                case O_FOLDDIG:
                        fold_digits = 1;
                        break;
                case O_SIGNED:
                        sgn = 1;
                        break;
                case O_NOIDF:
                        noidf = 1;
                        break;
                case O_SOLVER:
                        solver = optarg;
                        break;
                case O_C:
                        C = strtod(optarg, &end);
                        if (*end || !(C > 0)) {
                                wt_cli_error("train",
                                             "--C: \"%s\" is not a positive "
                                             "number",
                                             optarg);
                                goto done;
                        }
                        break;
                case O_CGRID:
                        grid = optarg;
                        break;
                case O_CV:
                        if (wt_cli_parse_uint("train", "--cv", optarg, 0, 100,
                                              &cv))
                                goto done;
                        if (cv == 1) {
                                wt_cli_error("train", "--cv: 1 fold is no "
                                                      "cross-validation; "
                                                      "use 0 or 2..100");
                                goto done;
                        }
                        have_cv = 1;
                        break;
                case O_MULTI:
                        multi = 1;
                        break;
                case O_SINGLE:
                        multi = 0;
                        break;
                case O_THREADS:
                        if (wt_cli_parse_uint("train", "--threads", optarg, 1,
                                              1024, &threads))
                                goto done;
                        break;
                case O_SEED:
                        if (wt_cli_parse_uint("train", "--seed", optarg, 0,
                                              (unsigned long)-1, &seed))
                                goto done;
                        have_seed = 1;
                        break;
                case 'q':
                        quiet = 1;
                        break;
                case 'h':
                        wt_train_usage(stdout);
                        rc = WT_EXIT_OK;
                        goto done;
                default:
                        wt_train_usage(stderr);
                        goto done;
                }
        }
        if (optind < argc) {
                wt_cli_error("train", "unexpected argument \"%s\"",
                             argv[optind]);
                goto done;
        }
        if (!out || (!spec && !ndata)) {
                wt_cli_error("train", "--out and --data or --spec are "
                                      "required (see --help)");
                goto done;
        }

        rc = WT_EXIT_FAIL;
        if (spec && wt_train_spec_load(&opts, spec, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                goto done;
        }
        for (i = 0; i < ndata; i++)
                if (wt_train_opts_add_file(&opts, data[i])) {
                        wt_cli_error("train", "out of memory");
                        goto done;
                }
        rc = WT_EXIT_USAGE;
        if (name || !opts.name) {
                const char *base = strrchr(out, '/');
                char *n = strdup(name ? name : base ? base + 1 : out), *dot;
                if (!name && n && (dot = strrchr(n, '.')) && dot != n)
                        *dot = '\0';
                free(opts.name);
                opts.name = n;
        }
        if (fields && wt_feature_conf_set_fields(&opts.conf, fields, errstr,
                                                 sizeof(errstr))) {
                wt_cli_error("train", "--fields: %s", errstr);
                goto done;
        }
        if (ngrams)
                opts.conf.ngram_max = (unsigned)ngrams;
        if (bits)
                opts.conf.bits = (unsigned)bits;
        if (have_mindf)
                opts.min_df = (unsigned)min_df;
        if (fold_digits)
                opts.conf.tok_flags |= WT_TOK_FOLD_DIGITS;
        if (sgn)
                opts.conf.signed_hash = 1;
        if (noidf)
                opts.conf.idf = 0;
        if (solver && wt_solver_parse(solver, &opts.solver)) {
                wt_cli_error("train", "--solver: \"%s\" is not lr, svm or "
                                      "l1lr",
                             solver);
                goto done;
        }
        if (C > 0)
                opts.C = C;
        if (grid && wt_parse_grid(grid, &opts)) {
                wt_cli_error("train", "--C-grid: \"%s\" is not a list of "
                                      "1..%d positive numbers",
                             grid, WT_CGRID_MAX);
                goto done;
        }
        if (have_cv)
                opts.folds = (unsigned)cv;
        if (have_seed)
                opts.seed = seed;
        opts.multilabel = multi;
        opts.threads = (unsigned)threads;
        if (!quiet) {
                opts.progress = wt_cli_progress;
        }

        rc = WT_EXIT_FAIL;
        if (wt_train(&opts, &model, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                goto done;
        }
        if (wt_model_save(model, out, errstr, sizeof(errstr))) {
                wt_cli_error("train", "%s", errstr);
                goto done;
        }
        if (!quiet)
                wt_print_summary(model, out);
        rc = WT_EXIT_OK;
done:
        wt_model_destroy(model);
        wt_train_opts_clear(&opts);
        free(data);
        return rc;
}
