/*
 * wiretag - wt_api.c: the embedding API (wt_api.h).
 */
#include "wt_api.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_article.h"
#include "wt_reader.h"
#include "wt_tokenizer.h"
#include "wt_train.h"

#ifndef WT_VERSION
#define WT_VERSION "0.0.0"
#endif

const char *wt_api_version(void) {
        return WT_VERSION;
}

void wt_api_free(void *p) {
        free(p);
}

/* One document's segments: the model's fields of a JSON article, or the
 * text itself. A JSON article is parsed into *art, which the caller
 * clears. */
static wt_err_t wt_api_segments(const wt_model_t *model, wt_input_t kind,
                                const char *doc, size_t len,
                                wt_article_t *art, wt_segments_t *text_segs,
                                const wt_segments_t **segsp, char *errstr,
                                size_t errstr_size) {
        size_t bad;
        if (kind == WT_INPUT_JSON) {
                wt_err_t err = wt_article_parse(doc, len,
                                                wt_model_feature_conf(model),
                                                0, art, errstr, errstr_size);
                *segsp = &art->segs;
                return err;
        }
        if (kind != WT_INPUT_TEXT)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "unknown input kind %d (0: JSON, 1: text)",
                                 (int)kind);
        if ((bad = wt_utf8_invalid_offset(doc, len)) != (size_t)-1)
                return wt_seterr(errstr, errstr_size, WT_ERR_UTF8,
                                 "invalid UTF-8 at byte %zu", bad);
        memset(text_segs, 0, sizeof(*text_segs));
        text_segs->n = 1;
        text_segs->text[0] = doc;
        text_segs->len[0] = len;
        *segsp = text_segs;
        return WT_OK;
}

wt_err_t wt_api_classify_batch(const wt_model_t *model, size_t ndocs,
                               const char *const *docs, const size_t *lens,
                               const unsigned char *kinds, uint32_t *labels,
                               float *scores, uint32_t *ntags, char *errstr,
                               size_t errstr_size) {
        size_t nlabels, i, t;
        wt_scratch_t *scratch;
        wt_err_t err = WT_OK;
        char msg[512];

        if (!model || (ndocs && (!docs || !lens || !labels || !scores ||
                                 !ntags)))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "wt_api_classify_batch: NULL argument");
        if (!ndocs)
                return WT_OK;
        if (!(scratch = wt_scratch_new()))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory");
        nlabels = wt_model_nlabels(model);
        for (i = 0; i < ndocs; i++) {
                wt_article_t art = {0};
                wt_segments_t text_segs;
                const wt_segments_t *segs = NULL;
                wt_prediction_t pred;

                ntags[i] = 0;
                msg[0] = '\0';
                err = wt_api_segments(model,
                                      kinds ? (wt_input_t)kinds[i]
                                            : WT_INPUT_JSON,
                                      docs[i], lens[i], &art, &text_segs,
                                      &segs, msg, sizeof(msg));
                if (!err && (err = wt_classify(model, scratch, segs, &pred)))
                        snprintf(msg, sizeof(msg), "%s",
                                 wt_err_describe(err));
                if (!err) {
                        for (t = 0; t < pred.ntags && t < nlabels; t++) {
                                labels[i * nlabels + t] = pred.tags[t].label;
                                scores[i * nlabels + t] = pred.tags[t].score;
                        }
                        ntags[i] = (uint32_t)t;
                }
                wt_article_clear(&art);
                if (err) {
                        wt_seterr(errstr, errstr_size, err,
                                  "document %zu: %s", i,
                                  msg[0] ? msg : wt_err_describe(err));
                        break;
                }
        }
        wt_scratch_destroy(scratch);
        return err;
}

/* --- training --------------------------------------------------------- */

static wt_err_t wt_api_bad(char *errstr, size_t errstr_size,
                           const char *key, const char *what) {
        return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                         "train option \"%s\": %s", key, what);
}

/* An integer option in [min, max]. */
static wt_err_t wt_api_uint(json_t *v, const char *key, json_int_t min,
                            json_int_t max, unsigned long long *out,
                            char *errstr, size_t errstr_size) {
        char what[128];
        if (!json_is_integer(v) || json_integer_value(v) < min ||
            json_integer_value(v) > max) {
                snprintf(what, sizeof(what), "expected an integer in %lld..%lld",
                         (long long)min, (long long)max);
                return wt_api_bad(errstr, errstr_size, key, what);
        }
        *out = (unsigned long long)json_integer_value(v);
        return WT_OK;
}

static wt_err_t wt_api_bool(json_t *v, const char *key, int *out,
                            char *errstr, size_t errstr_size) {
        if (!json_is_boolean(v))
                return wt_api_bad(errstr, errstr_size, key,
                                  "expected true or false");
        *out = json_is_true(v);
        return WT_OK;
}

/* Apply the options of `o` (a JSON object) to opts the way cmd_train.c
 * applies its command line: the spec first, then every other option over
 * it. */
static wt_err_t wt_api_train_opts(json_t *o, const char *out,
                                  wt_train_opts_t *opts, char *errstr,
                                  size_t errstr_size) {
        static const char *const known[] = {
                "data", "spec", "name", "fields", "ngrams", "bits",
                "min_df", "fold_digits", "signed", "no_idf", "solver", "C",
                "C_grid", "cv", "multilabel", "threads", "seed", NULL};
        const char *key, *name = NULL, *base;
        json_t *v, *data, *spec;
        unsigned long long u;
        wt_err_t err;
        size_t i;
        int b;

        if (!json_is_object(o))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train options: expected a JSON object");
        json_object_foreach(o, key, v) {
                for (i = 0; known[i] && strcmp(known[i], key); i++)
                        ;
                if (!known[i])
                        return wt_api_bad(errstr, errstr_size, key,
                                          "unknown option");
        }
        if (!out || !*out)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train: no output file");
        data = json_object_get(o, "data");
        spec = json_object_get(o, "spec");
        if (data && !json_is_array(data))
                return wt_api_bad(errstr, errstr_size, "data",
                                  "expected an array of file names");
        if (spec && !json_is_string(spec))
                return wt_api_bad(errstr, errstr_size, "spec",
                                  "expected a file name");
        if (!spec && !json_array_size(data))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train: \"data\" or \"spec\" is required");
        if (spec && (err = wt_train_spec_load(opts, json_string_value(spec),
                                              errstr, errstr_size)))
                return err;
        for (i = 0; i < json_array_size(data); i++) {
                json_t *f = json_array_get(data, i);
                if (!json_is_string(f))
                        return wt_api_bad(errstr, errstr_size, "data",
                                          "expected an array of file names");
                if (wt_train_opts_add_file(opts, json_string_value(f)))
                        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                         "out of memory");
        }
        if ((v = json_object_get(o, "name"))) {
                if (!json_is_string(v))
                        return wt_api_bad(errstr, errstr_size, "name",
                                          "expected a string");
                name = json_string_value(v);
        }
        if (name || !opts->name) {
                char *n, *dot;
                base = strrchr(out, '/');
                n = strdup(name ? name : base ? base + 1 : out);
                if (!n)
                        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                         "out of memory");
                if (!name && (dot = strrchr(n, '.')) && dot != n)
                        *dot = '\0';
                free(opts->name);
                opts->name = n;
        }
        if ((v = json_object_get(o, "fields"))) {
                char list[WT_FIELDS_MAX * (WT_FIELD_NAME_MAX + 1) + 1] = "";
                char msg[256];
                if (json_is_string(v)) {
                        snprintf(list, sizeof(list), "%s",
                                 json_string_value(v));
                } else if (json_is_array(v)) {
                        for (i = 0; i < json_array_size(v); i++) {
                                json_t *f = json_array_get(v, i);
                                if (!json_is_string(f))
                                        return wt_api_bad(
                                                errstr, errstr_size, "fields",
                                                "expected field names");
                                snprintf(list + strlen(list),
                                         sizeof(list) - strlen(list), "%s%s",
                                         i ? "," : "", json_string_value(f));
                        }
                } else {
                        return wt_api_bad(errstr, errstr_size, "fields",
                                          "expected \"a,b\" or an array");
                }
                if (wt_feature_conf_set_fields(&opts->conf, list, msg,
                                               sizeof(msg)))
                        return wt_api_bad(errstr, errstr_size, "fields", msg);
        }
        if ((v = json_object_get(o, "ngrams"))) {
                if ((err = wt_api_uint(v, "ngrams", 1, WT_NGRAM_MAX, &u,
                                       errstr, errstr_size)))
                        return err;
                opts->conf.ngram_max = (unsigned)u;
        }
        if ((v = json_object_get(o, "bits"))) {
                if ((err = wt_api_uint(v, "bits", WT_BITS_MIN, WT_BITS_MAX,
                                       &u, errstr, errstr_size)))
                        return err;
                opts->conf.bits = (unsigned)u;
        }
        if ((v = json_object_get(o, "min_df"))) {
                if ((err = wt_api_uint(v, "min_df", 1, 1000000, &u, errstr,
                                       errstr_size)))
                        return err;
                opts->min_df = (unsigned)u;
        }
        if ((v = json_object_get(o, "fold_digits"))) {
                if ((err = wt_api_bool(v, "fold_digits", &b, errstr,
                                       errstr_size)))
                        return err;
                if (b)
                        opts->conf.tok_flags |= WT_TOK_FOLD_DIGITS;
        }
        if ((v = json_object_get(o, "signed"))) {
                if ((err = wt_api_bool(v, "signed", &b, errstr, errstr_size)))
                        return err;
                if (b)
                        opts->conf.signed_hash = 1;
        }
        if ((v = json_object_get(o, "no_idf"))) {
                if ((err = wt_api_bool(v, "no_idf", &b, errstr, errstr_size)))
                        return err;
                if (b)
                        opts->conf.idf = 0;
        }
        if ((v = json_object_get(o, "solver")) &&
            (!json_is_string(v) ||
             wt_solver_parse(json_string_value(v), &opts->solver)))
                return wt_api_bad(errstr, errstr_size, "solver",
                                  "expected \"lr\", \"svm\" or \"l1lr\"");
        if ((v = json_object_get(o, "C"))) {
                if (!json_is_number(v) || !(json_number_value(v) > 0))
                        return wt_api_bad(errstr, errstr_size, "C",
                                          "expected a positive number");
                opts->C = json_number_value(v);
        }
        if ((v = json_object_get(o, "C_grid"))) {
                size_t n = json_array_size(v);
                if (!json_is_array(v) || !n || n > WT_CGRID_MAX)
                        return wt_api_bad(errstr, errstr_size, "C_grid",
                                          "expected 1..16 positive numbers");
                for (i = 0; i < n; i++) {
                        json_t *c = json_array_get(v, i);
                        if (!json_is_number(c) || !(json_number_value(c) > 0))
                                return wt_api_bad(errstr, errstr_size,
                                                  "C_grid",
                                                  "expected 1..16 positive "
                                                  "numbers");
                        opts->C_grid[i] = json_number_value(c);
                }
                opts->nC = n;
        }
        if ((v = json_object_get(o, "cv"))) {
                if ((err = wt_api_uint(v, "cv", 0, 100, &u, errstr,
                                       errstr_size)))
                        return err;
                if (u == 1)
                        return wt_api_bad(errstr, errstr_size, "cv",
                                          "1 fold is no cross-validation; "
                                          "use 0 or 2..100");
                opts->folds = (unsigned)u;
        }
        if ((v = json_object_get(o, "seed"))) {
                if ((err = wt_api_uint(v, "seed", 0, INT64_MAX, &u,
                                       errstr, errstr_size)))
                        return err;
                opts->seed = (uint64_t)u;
        }
        /* As on the command line, "multilabel" and "threads" always
         * replace the spec's: unset means decide from the data and use
         * every core. */
        opts->multilabel = -1;
        if ((v = json_object_get(o, "multilabel")) && !json_is_null(v)) {
                if ((err = wt_api_bool(v, "multilabel", &b, errstr,
                                       errstr_size)))
                        return err;
                opts->multilabel = b;
        }
        opts->threads = 0;
        if ((v = json_object_get(o, "threads"))) {
                if ((err = wt_api_uint(v, "threads", 1, 1024, &u, errstr,
                                       errstr_size)))
                        return err;
                opts->threads = (unsigned)u;
        }
        return WT_OK;
}

wt_err_t wt_api_train(const char *options_json, const char *out,
                      char *errstr, size_t errstr_size) {
        wt_train_opts_t opts;
        wt_model_t *model = NULL;
        json_error_t jerr;
        json_t *o;
        wt_err_t err;

        if (!options_json)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train: no options");
        if (!(o = json_loads(options_json, 0, &jerr)))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train options: %s (line %d, column %d)",
                                 jerr.text, jerr.line, jerr.column);
        wt_train_opts_init(&opts);
        if (!(err = wt_api_train_opts(o, out, &opts, errstr, errstr_size)) &&
            !(err = wt_train(&opts, &model, errstr, errstr_size)))
                err = wt_model_save(model, out, errstr, errstr_size);
        wt_model_destroy(model);
        wt_train_opts_clear(&opts);
        json_decref(o);
        return err;
}

/* --- evaluation ------------------------------------------------------- */

wt_err_t wt_api_eval(const wt_model_t *model, const char *path,
                     const wt_eval_opts_t *opts, char **reportp,
                     char *errstr, size_t errstr_size) {
        wt_eval_opts_t none = {0};
        wt_eval_t *ev = NULL;
        wt_reader_t rd;
        json_t *report;
        const char *text;
        size_t len;
        wt_err_t err;
        char msg[512];
        int r;

        if (!reportp || !model || !path)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "wt_api_eval: NULL argument");
        *reportp = NULL;
        if (opts && opts->group_by && !*opts->group_by)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "eval: group_by names no JSON field");
        if ((err = wt_eval_new(model, opts ? opts : &none, &ev, errstr,
                               errstr_size)))
                return err;
        if ((err = wt_reader_open(&rd, path, errstr, errstr_size))) {
                wt_eval_destroy(ev);
                return err;
        }
        /* A record that cannot be read is counted as failed and the
         * evaluation goes on, as `wiretag eval` does. */
        while ((r = wt_reader_next(&rd, &text, &len, errstr,
                                   errstr_size)) == 1) {
                if (wt_eval_add(ev, text, len, msg, sizeof(msg)) ==
                    WT_ERR_NOMEM) {
                        err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                        "%s", msg);
                        break;
                }
        }
        if (r < 0)
                err = WT_ERR_IO;
        wt_reader_close(&rd);
        if (!err) {
                if (!(report = wt_eval_report(ev)) ||
                    !(*reportp = json_dumps(report, JSON_INDENT(2) |
                                                            JSON_REAL_PRECISION(6))))
                        err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                        "out of memory writing the report");
                json_decref(report);
        }
        wt_eval_destroy(ev);
        return err;
}
