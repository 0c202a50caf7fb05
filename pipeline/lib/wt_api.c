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

/* The text form of JSON value v for option d, as the command line would
 * give it, in buf[size]; NULL for a value of the wrong type (the option
 * then says what it expects). Integers are range-checked here, since
 * JSON stops at INT64_MAX. */
static wt_err_t wt_api_opt_text(const wt_train_optdef_t *d, json_t *v,
                                char *buf, size_t size, const char **textp,
                                char *errstr, size_t errstr_size) {
        unsigned long long u = 0;
        size_t i, len = 0;
        wt_err_t err;

        *textp = NULL;
        switch (d->kind) {
        case WT_TOPT_UINT:
        case WT_TOPT_FOLDS:
                if ((err = wt_api_uint(v, d->key, (json_int_t)d->min,
                                       d->max > INT64_MAX ? INT64_MAX
                                                          : (json_int_t)d->max,
                                       &u, errstr, errstr_size)))
                        return err;
                snprintf(buf, size, "%llu", u);
                break;
        case WT_TOPT_FLAG:
        case WT_TOPT_TRISTATE:
                if (json_is_boolean(v))
                        *textp = json_is_true(v) ? "true" : "false";
                return WT_OK;
        case WT_TOPT_POSITIVE:
                if (!json_is_number(v))
                        return WT_OK;
                snprintf(buf, size, "%.17g", json_number_value(v));
                break;
        case WT_TOPT_GRID:
                /* Not an array, or empty: left NULL, like a non-number. */
                for (i = 0; i < json_array_size(v); i++) {
                        json_t *c = json_array_get(v, i);
                        if (!json_is_number(c) || i == WT_CGRID_MAX ||
                            len >= size)
                                return WT_OK;
                        len += (size_t)snprintf(buf + len, size - len,
                                                "%s%.17g", i ? "," : "",
                                                json_number_value(c));
                }
                if (!i)
                        return WT_OK;
                break;
        case WT_TOPT_SOLVER:
                *textp = json_string_value(v); /* NULL if not a string */
                return WT_OK;
        case WT_TOPT_FIELDS:
                /* "a,b" or ["a", "b"]. */
                buf[0] = '\0';
                if (json_is_string(v)) {
                        snprintf(buf, size, "%s", json_string_value(v));
                } else if (json_is_array(v)) {
                        for (i = 0; i < json_array_size(v); i++) {
                                json_t *f = json_array_get(v, i);
                                if (!json_is_string(f))
                                        return wt_api_bad(
                                                errstr, errstr_size, d->key,
                                                "expected field names");
                                snprintf(buf + strlen(buf),
                                         size - strlen(buf), "%s%s",
                                         i ? "," : "", json_string_value(f));
                        }
                } else {
                        return wt_api_bad(errstr, errstr_size, d->key,
                                          "expected \"a,b\" or an array");
                }
                break;
        }
        *textp = buf;
        return WT_OK;
}

/* Every option of the table present in o, in the table's order, over
 * the spec's. */
static wt_err_t wt_api_train_optab(json_t *o, wt_train_opts_t *opts,
                                   char *errstr, size_t errstr_size) {
        /* Room for the longest field list, and 16 %.17g numbers. */
        char text[WT_FIELDS_MAX * (WT_FIELD_NAME_MAX + 1) + 1];
        const wt_train_optdef_t *d;
        const char *key, *value;
        char msg[256];
        wt_err_t err;
        json_t *v;

        /* As on the command line, "multilabel" and "threads" always
         * replace the spec's: unset means decide from the data and use
         * every core. Options apply in the object's order, so the first
         * bad one reported is the first the caller wrote, as on the
         * command line. */
        wt_train_opts_unset_run(opts);
        json_object_foreach(o, key, v) {
                if (!(d = wt_train_optdef_find(key)) ||
                    (d->kind == WT_TOPT_TRISTATE && json_is_null(v)))
                        continue; /* data, spec, name: applied already */
                if ((err = wt_api_opt_text(d, v, text, sizeof(text), &value,
                                           errstr, errstr_size)))
                        return err;
                if (wt_train_opts_set(opts, d, value, msg, sizeof(msg)))
                        return wt_api_bad(errstr, errstr_size, d->key, msg);
        }
        return WT_OK;
}

/* The data files and the spec: the spec first, then the files, as
 * `wiretag train` reads them. */
static wt_err_t wt_api_train_sources(json_t *o, wt_train_opts_t *opts,
                                     char *errstr, size_t errstr_size) {
        json_t *data = json_object_get(o, "data");
        json_t *spec = json_object_get(o, "spec");
        wt_err_t err;
        size_t i;

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
        return WT_OK;
}

/* Apply the options of `o` (a JSON object) to opts the way cmd_train.c
 * applies its command line: the spec first, then every other option over
 * it, each through the option table of wt_train.h. */
static wt_err_t wt_api_train_opts(json_t *o, const char *out,
                                  wt_train_opts_t *opts, char *errstr,
                                  size_t errstr_size) {
        const char *key, *name = NULL;
        wt_err_t err;
        json_t *v;

        if (!json_is_object(o))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train options: expected a JSON object");
        json_object_foreach(o, key, v) {
                if (strcmp(key, "data") && strcmp(key, "spec") &&
                    strcmp(key, "name") && !wt_train_optdef_find(key))
                        return wt_api_bad(errstr, errstr_size, key,
                                          "unknown option");
        }
        if (!out || !*out)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "train: no output file");
        if ((err = wt_api_train_sources(o, opts, errstr, errstr_size)))
                return err;
        if ((v = json_object_get(o, "name"))) {
                if (!json_is_string(v))
                        return wt_api_bad(errstr, errstr_size, "name",
                                          "expected a string");
                name = json_string_value(v);
        }
        if (wt_train_opts_name(opts, name, out))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "out of memory");
        return wt_api_train_optab(o, opts, errstr, errstr_size);
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
