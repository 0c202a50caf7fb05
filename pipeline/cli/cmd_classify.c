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

/* What one `wiretag classify` run holds while it reads its input. */
typedef struct wt_classify_run {
        const char *path;
        wt_model_t *model;
        wt_feature_conf_t fconf; /* the model's, or --fields */
        unsigned long explain, max_bytes;
        int all_scores;
        wt_scratch_t *scratch;
        wt_jsonmem_arena_t *arena;
        wt_recbuf_t rec;
        wt_article_scan_t scan;
        wt_contribution_t *contrib;
} wt_classify_run_t;

/* Length of text without the line's end (JSON whitespace). */
static size_t wt_trim_line(const char *text, size_t len) {
        while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
                           text[len - 1] == ' ' || text[len - 1] == '\t'))
                len--;
        return len;
}

/* The common case, one article on one line and no --explain or
 * --all-scores: the scanner finds the text fields without a DOM (jansson
 * only for the odd article, and for every error, so messages are
 * unchanged) and the record is spliced into run->rec. */
static wt_err_t wt_classify_line(wt_classify_run_t *run, const char *text,
                                 size_t len, size_t tlen, char *errstr,
                                 size_t errstr_size) {
        wt_prediction_t pred;
        wt_err_t err;

        wt_jsonmem_enter(run->arena);
        err = wt_article_scan(text, len, &run->fconf, run->max_bytes,
                              &run->scan, errstr, errstr_size);
        if (!err && (err = wt_classify(run->model, run->scratch,
                                       &run->scan.segs, &pred)))
                snprintf(errstr, errstr_size, "%s", wt_err_describe(err));
        if (!err)
                err = wt_record_from_scan(text, tlen, &run->scan, &run->fconf,
                                          run->max_bytes, run->model, &pred,
                                          &run->rec, errstr, errstr_size);
        wt_article_scan_release(&run->scan);
        wt_jsonmem_leave(run->arena);
        return err;
}

/* The "wiretag" object with --explain's n-grams and --all-scores' scores
 * (a new reference). */
static json_t *wt_classify_annotated(wt_classify_run_t *run,
                                     const wt_article_t *art,
                                     const wt_prediction_t *pred) {
        json_t *out = wt_prediction_json(run->model, pred);
        size_t i, j;

        for (i = 0; run->explain && i < pred->ntags; i++) {
                size_t n;
                json_t *ex = json_array();
                if (wt_explain(run->model, &art->segs, pred->tags[i].label,
                               run->contrib, run->explain, &n))
                        n = 0;
                for (j = 0; j < n; j++)
                        json_array_append_new(
                                ex, json_pack("{s:s, s:f}", "ngram",
                                              run->contrib[j].ngram, "weight",
                                              (double)run->contrib[j].weight));
                json_object_set_new(
                        json_array_get(json_object_get(out, "labels"), i),
                        "explain", ex);
        }
        if (run->all_scores) {
                json_t *sc = json_object();
                for (i = 0; i < wt_model_nlabels(run->model); i++)
                        json_object_set_new(
                                sc, wt_model_label(run->model, i),
                                json_pack("{s:f, s:f}", "score",
                                          (double)pred->scores[i],
                                          "threshold",
                                          (double)wt_model_threshold(
                                                  run->model, i)));
                json_object_set_new(out, "scores", sc);
        }
        return out;
}

/* Everything else (a document over several lines, --explain,
 * --all-scores): parsed by jansson and re-serialised on one line. */
static wt_err_t wt_classify_document(wt_classify_run_t *run, const char *text,
                                     size_t len, char *errstr,
                                     size_t errstr_size) {
        wt_article_t art;
        wt_prediction_t pred;
        wt_err_t err;
        char *line;

        wt_jsonmem_enter(run->arena);
        err = wt_article_parse(text, len, &run->fconf, run->max_bytes, &art,
                               errstr, errstr_size);
        if (!err && (err = wt_classify(run->model, run->scratch, &art.segs,
                                       &pred)))
                snprintf(errstr, errstr_size, "%s", wt_err_describe(err));
        if (!err) {
                json_object_set_new(art.root, "wiretag",
                                    wt_classify_annotated(run, &art, &pred));
                line = json_dumps(art.root,
                                  JSON_COMPACT | JSON_REAL_PRECISION(6));
                if (line) {
                        fputs(line, stdout);
                        fputc('\n', stdout);
                        wt_jsonmem_free(line);
                }
        }
        wt_article_clear(&art);
        wt_jsonmem_leave(run->arena);
        return err;
}

/* Options into run (and *path); a WT_EXIT_* status to return at once, or
 * -1 to go on. */
static int wt_classify_options(int argc, char **argv, wt_classify_run_t *run,
                               const char **model_path, const char **fields) {
        static const struct option longopts[] = {
                {"model", required_argument, NULL, 'm'},
                {"explain", required_argument, NULL, 'e'},
                {"max-bytes", required_argument, NULL, 'b'},
                {"all-scores", no_argument, NULL, 'a'},
                {"fields", required_argument, NULL, 'f'},
                {"help", no_argument, NULL, 'h'},
                {NULL, 0, NULL, 0}};
        int c;

        while ((c = getopt_long(argc, argv, "m:h", longopts, NULL)) != -1) {
                switch (c) {
                case 'm':
                        *model_path = optarg;
                        break;
                case 'e':
                        if (wt_cli_parse_uint("classify", "--explain", optarg,
                                              1, 1000, &run->explain))
                                return WT_EXIT_USAGE;
                        break;
                case 'b':
                        if (wt_cli_parse_uint("classify", "--max-bytes",
                                              optarg, 1, (unsigned long)-1,
                                              &run->max_bytes))
                                return WT_EXIT_USAGE;
                        break;
                case 'a':
                        run->all_scores = 1;
                        break;
                case 'f':
                        *fields = optarg;
                        break;
                case 'h':
                        wt_classify_usage(stdout);
                        return WT_EXIT_OK;
                default:
                        wt_classify_usage(stderr);
                        return WT_EXIT_USAGE;
                }
        }
        if (!*model_path) {
                wt_cli_error("classify", "a model is required (-m MODEL)");
                return WT_EXIT_USAGE;
        }
        if (optind + 1 < argc) {
                wt_cli_error("classify", "one input file at most (or -)");
                return WT_EXIT_USAGE;
        }
        if (optind < argc)
                run->path = argv[optind];
        return -1;
}

int wt_cmd_classify(int argc, char **argv) {
        const char *model_path = NULL, *fields = NULL, *text;
        wt_classify_run_t run;
        wt_reader_t rd;
        size_t len, failed = 0, done = 0;
        char errstr[512] = "";
        int r, rc;

        memset(&run, 0, sizeof(run));
        run.path = "-";
        if ((rc = wt_classify_options(argc, argv, &run, &model_path,
                                      &fields)) >= 0)
                return rc;
        if (!(run.model = wt_cli_load_model("classify", model_path)))
                return WT_EXIT_FAIL;
        run.fconf = *wt_model_feature_conf(run.model);
        if (fields && wt_cli_parse_fields("classify", fields, &run.fconf)) {
                wt_model_destroy(run.model);
                return WT_EXIT_USAGE;
        }
        if (wt_reader_open(&rd, run.path, errstr, sizeof(errstr))) {
                wt_cli_error("classify", "%s", errstr);
                wt_model_destroy(run.model);
                return WT_EXIT_FAIL;
        }
        run.scratch = wt_scratch_new();
        wt_jsonmem_install();
        run.arena = wt_jsonmem_arena_new(0);
        if (run.explain)
                run.contrib = calloc(run.explain, sizeof(*run.contrib));
        if (!run.scratch || !run.arena || (run.explain && !run.contrib)) {
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
                size_t tlen = wt_trim_line(text, len);
                wt_err_t err;
                if (!run.explain && !run.all_scores &&
                    !memchr(text, '\n', tlen)) {
                        err = wt_classify_line(&run, text, len, tlen, errstr,
                                               sizeof(errstr));
                        if (!err) {
                                run.rec.data[run.rec.len] = '\n';
                                fwrite(run.rec.data, 1, run.rec.len + 1,
                                       stdout);
                                run.rec.data[run.rec.len] = '\0';
                        }
                } else {
                        err = wt_classify_document(&run, text, len, errstr,
                                                   sizeof(errstr));
                }
                if (err) {
                        wt_report_bad(run.path, wt_reader_lineno(&rd), err,
                                      errstr);
                        failed++;
                } else {
                        done++;
                }
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
        free(run.contrib);
        wt_recbuf_free(&run.rec);
        wt_article_scan_free(&run.scan);
        wt_jsonmem_arena_destroy(run.arena);
        wt_scratch_destroy(run.scratch);
        wt_reader_close(&rd);
        wt_model_destroy(run.model);
        return rc;
}
