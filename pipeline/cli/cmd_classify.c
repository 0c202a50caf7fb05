/*
 * wiretag - cmd_classify.c: `wiretag classify`.
 *
 * JSON Lines (or one JSON document) in, JSON Lines out: each input object
 * unchanged plus a "wiretag" object. A bad record is reported on stderr as
 * a JSON error record with its line number; the others go on.
 */
#define _POSIX_C_SOURCE 200809L
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "wt_article.h"
#include "wt_jsonmem.h"
#include "wt_reader.h"
#include "wt_record.h"

static void wt_classify_usage(FILE *fp) {
        fprintf(fp,
                "Usage: wiretag classify -m MODEL [FILE|-] [options]\n"
                "\n"
                "Tags JSON articles (JSON Lines, or one JSON document) and "
                "prints each\n"
                "input object with a \"wiretag\" object added:\n"
                "  {\"labels\": [{\"label\": ..., \"score\": ...}], "
                "\"model\": ..., \"model_id\": ...}\n"
                "Labels are those above their threshold, highest score "
                "first.\n"
                "\n"
                "Options:\n"
                "  -m, --model FILE     model file (.wtm)\n"
                "      --explain N      add the N n-grams that raised each "
                "tag the most\n"
                "      --max-bytes N    reject records larger than N bytes\n"
                "      --all-scores     add \"scores\": every label's score and "
                "threshold\n"
                "      --fields A,B     JSON string fields read as the text, "
                "instead of the\n"
                "                       model's (as run's input.fields)\n"
                "FILE may be gzip-compressed (recognised by its first "
                "bytes).\n"
                "  -h, --help           this help\n"
                "\n"
                "Exit status: 0 all records classified, 1 some records "
                "failed (see\n"
                "stderr), 2 usage error, 3 could not run.\n");
}

static void wt_report_bad(const char *path, size_t lineno, wt_err_t err,
                          const char *msg) {
        json_t *rec = json_pack("{s:s, s:s, s:s, s:I}", "error",
                                wt_err_name(err), "message", msg, "file",
                                path, "line", (json_int_t)lineno);
        char *txt = rec ? json_dumps(rec, JSON_COMPACT) : NULL;
        fprintf(stderr, "%s\n", txt ? txt : msg);
        wt_jsonmem_free(txt); /* made by jansson, maybe in an arena */
        json_decref(rec);
}

int wt_cmd_classify(int argc, char **argv) {
        static const struct option longopts[] = {
                {"model", required_argument, NULL, 'm'},
                {"explain", required_argument, NULL, 'e'},
                {"max-bytes", required_argument, NULL, 'b'},
                {"all-scores", no_argument, NULL, 'a'},
                {"fields", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        const char *model_path = NULL, *path = "-", *fields = NULL;
        wt_feature_conf_t fconf;
        unsigned long explain = 0, max_bytes = 0;
        wt_model_t *model;
        wt_scratch_t *scratch;
        wt_jsonmem_arena_t *arena = NULL;
        wt_recbuf_t rec = {0};
        wt_article_scan_t scan = {0};
        wt_reader_t rd;
        wt_contribution_t *contrib = NULL;
        const char *text;
        size_t len, failed = 0, done = 0;
        char errstr[512];
        int c, r, rc, all_scores = 0;

        while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        model_path = optarg;
                        break;
                case 'e':
                        if (wt_cli_parse_uint("classify", "--explain", optarg,
                                              1, 1000, &explain))
                                return WT_EXIT_USAGE;
                        break;
                case 'b':
                        if (wt_cli_parse_uint("classify", "--max-bytes",
                                              optarg, 1, (unsigned long)-1,
                                              &max_bytes))
                                return WT_EXIT_USAGE;
                        break;
                case 'a':
                        all_scores = 1;
                        break;
                case 'f':
                        fields = optarg;
                        break;
                case 'h':
                        wt_classify_usage(stdout);
                        return WT_EXIT_OK;
                default:
                        wt_classify_usage(stderr);
                        return WT_EXIT_USAGE;
                }
        }
        if (!model_path) {
                wt_cli_error("classify", "a model is required (-m MODEL)");
                return WT_EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                wt_cli_error("classify", "one input file at most (or -)");
                return WT_EXIT_USAGE;
        }
        if (optind < argc)
                path = argv[optind];

        if (!(model = wt_cli_load_model("classify", model_path)))
                return WT_EXIT_FAIL;
        fconf = *wt_model_feature_conf(model);
        if (fields && wt_cli_parse_fields("classify", fields, &fconf)) {
                wt_model_destroy(model);
                return WT_EXIT_USAGE;
        }
        if (wt_reader_open(&rd, path, errstr, sizeof(errstr))) {
                wt_cli_error("classify", "%s", errstr);
                wt_model_destroy(model);
                return WT_EXIT_FAIL;
        }
        scratch = wt_scratch_new();
        wt_jsonmem_install();
        arena = wt_jsonmem_arena_new(0);
        if (explain)
                contrib = calloc(explain, sizeof(*contrib));
        if (!scratch || !arena || (explain && !contrib)) {
                wt_cli_error("classify", "out of memory");
                rc = WT_EXIT_FAIL;
                goto done;
        }

        /* Output to a file or pipe leaves in 1 MB blocks, not a write
         * per 4 KB (the buffer is static: stdout may flush it after we
         * return); a terminal keeps its line buffering. */
        if (!isatty(fileno(stdout))) {
                static char outbuf[(size_t)1 << 20];
                (void)setvbuf(stdout, outbuf, _IOFBF, sizeof(outbuf));
        }

        while ((r = wt_reader_next(&rd, &text, &len, errstr,
                                   sizeof(errstr))) == 1) {
                wt_article_t art;
                wt_prediction_t pred;
                json_t *out;
                char *line;
                wt_err_t err;
                size_t i, j, tlen = len;

                while (tlen > 0 && (text[tlen - 1] == '\n' ||
                                    text[tlen - 1] == '\r' ||
                                    text[tlen - 1] == ' ' ||
                                    text[tlen - 1] == '\t'))
                        tlen--; /* the line's end: JSON whitespace */
                if (!explain && !all_scores && !memchr(text, '\n', tlen)) {
                        /* The common case: the scanner finds the text
                         * fields without a DOM (jansson only for the odd
                         * article, and for every error, so messages are
                         * unchanged) and the record is spliced. */
                        wt_jsonmem_enter(arena);
                        err = wt_article_scan(text, len,
                                              &fconf,
                                              max_bytes, &scan, errstr,
                                              sizeof(errstr));
                        if (!err && (err = wt_classify(model, scratch,
                                                       &scan.segs, &pred)))
                                snprintf(errstr, sizeof(errstr), "%s",
                                         wt_err_describe(err));
                        if (!err) {
                                json_t *root = scan.root;
                                memset(&art, 0, sizeof(art));
                                /* A "wiretag" member to replace: that
                                 * takes jansson's object. */
                                if (!root && scan.has_wiretag &&
                                    !(err = wt_article_parse(
                                              text, len,
                                              &fconf,
                                              max_bytes, &art, errstr,
                                              sizeof(errstr))))
                                        root = art.root;
                                if (!err) {
                                        err = root ? wt_record_build(
                                                             text, tlen, root,
                                                             model, &pred,
                                                             &rec)
                                                   : wt_record_splice(
                                                             text, tlen,
                                                             scan.nonempty,
                                                             model, &pred,
                                                             &rec);
                                        if (err)
                                                snprintf(errstr,
                                                         sizeof(errstr),
                                                         "%s",
                                                         wt_err_describe(
                                                                 err));
                                }
                                wt_article_clear(&art);
                        }
                        wt_article_scan_release(&scan);
                        wt_jsonmem_leave(arena);
                        if (err) {
                                wt_report_bad(path, wt_reader_lineno(&rd),
                                              err, errstr);
                                failed++;
                                continue;
                        }
                        rec.data[rec.len] = '\n';
                        fwrite(rec.data, 1, rec.len + 1, stdout);
                        rec.data[rec.len] = '\0';
                        done++;
                        continue;
                }

                wt_jsonmem_enter(arena);
                err = wt_article_parse(text, len, &fconf,
                                       max_bytes, &art, errstr,
                                       sizeof(errstr));
                if (!err &&
                    (err = wt_classify(model, scratch, &art.segs, &pred)))
                        snprintf(errstr, sizeof(errstr), "%s",
                                 wt_err_describe(err));
                if (err) {
                        wt_report_bad(path, wt_reader_lineno(&rd), err,
                                      errstr);
                        wt_article_clear(&art);
                        wt_jsonmem_leave(arena);
                        failed++;
                        continue;
                }
                while (len > 0 && (text[len - 1] == '\n' ||
                                   text[len - 1] == '\r' ||
                                   text[len - 1] == ' ' ||
                                   text[len - 1] == '\t'))
                        len--; /* the line's end: JSON whitespace */
                if (!explain && !all_scores &&
                    !memchr(text, '\n', len)) {
                        /* The common case: splice the record (see
                         * wt_record.h) instead of re-serialising. */
                        err = wt_record_build(text, len, art.root, model,
                                              &pred, &rec);
                        wt_article_clear(&art);
                        wt_jsonmem_leave(arena);
                        if (err) {
                                wt_report_bad(path, wt_reader_lineno(&rd),
                                              err, wt_err_describe(err));
                                failed++;
                                continue;
                        }
                        rec.data[rec.len] = '\n';
                        fwrite(rec.data, 1, rec.len + 1, stdout);
                        rec.data[rec.len] = '\0';
                        done++;
                        continue;
                }
                out = wt_prediction_json(model, &pred);
                for (i = 0; explain && i < pred.ntags; i++) {
                        size_t n;
                        json_t *ex = json_array();
                        if (wt_explain(model, &art.segs, pred.tags[i].label,
                                       contrib, explain, &n))
                                n = 0;
                        for (j = 0; j < n; j++)
                                json_array_append_new(
                                        ex, json_pack("{s:s, s:f}", "ngram",
                                                      contrib[j].ngram,
                                                      "weight",
                                                      (double)contrib[j]
                                                              .weight));
                        json_object_set_new(
                                json_array_get(json_object_get(out, "labels"),
                                               i),
                                "explain", ex);
                }
                if (all_scores) {
                        json_t *sc = json_object();
                        for (i = 0; i < wt_model_nlabels(model); i++)
                                json_object_set_new(
                                        sc, wt_model_label(model, i),
                                        json_pack("{s:f, s:f}", "score",
                                                  (double)pred.scores[i],
                                                  "threshold",
                                                  (double)wt_model_threshold(
                                                          model, i)));
                        json_object_set_new(out, "scores", sc);
                }
                json_object_set_new(art.root, "wiretag", out);
                line = json_dumps(art.root,
                                  JSON_COMPACT | JSON_REAL_PRECISION(6));
                if (line) {
                        fputs(line, stdout);
                        fputc('\n', stdout);
                        wt_jsonmem_free(line);
                }
                wt_article_clear(&art);
                wt_jsonmem_leave(arena);
                done++;
        }
        if (r < 0) {
                wt_cli_error("classify", "%s", errstr);
                rc = WT_EXIT_FAIL;
        } else {
                rc = failed ? WT_EXIT_PARTIAL : WT_EXIT_OK;
        }
        if (failed)
                wt_cli_error("classify", "%zu of %zu records failed", failed,
                             failed + done);
done:
        if (fflush(stdout) != 0) {
                wt_cli_error("classify", "cannot write output");
                rc = WT_EXIT_FAIL;
        }
        free(contrib);
        wt_recbuf_free(&rec);
        wt_article_scan_free(&scan);
        wt_jsonmem_arena_destroy(arena);
        wt_scratch_destroy(scratch);
        wt_reader_close(&rd);
        wt_model_destroy(model);
        return rc;
}
