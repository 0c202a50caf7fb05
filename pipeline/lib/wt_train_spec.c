/*
 * wiretag - wt_train_spec.c: the training spec (JSON, see
 * models/README.md) read into wt_train_opts_t. See wt_train.h.
 *
 * Every failure names the spec file and the key it is about, out of
 * memory included; on failure opts hold what was read so far, which
 * wt_train_opts_clear() releases.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_train.h"
#include "wt_train_int.h"

#define BAD(code, ...) wt_seterr(errstr, errstr_size, code, __VA_ARGS__)

/* dir/rel, with "x/.." pairs folded lexically so that the paths recorded
 * in a model card read "../shared/data/..." rather than
 * "models/../../shared/data/...". */
static char *wt_path_join(const char *dir, const char *rel) {
        size_t n = strlen(dir) + strlen(rel) + 2, len = 0, keep = 0;
        char *joined, *out, *seg, *save = NULL;
        if (rel[0] == '/' || !dir[0])
                return strdup(rel);
        if (!(joined = malloc(n)) || !(out = malloc(n))) {
                free(joined);
                return NULL;
        }
        snprintf(joined, n, "%s/%s", dir, rel);
        out[0] = '\0';
        if (joined[0] == '/') {
                out[len++] = '/';
                out[len] = '\0';
                keep = 1;
        }
        for (seg = strtok_r(joined, "/", &save); seg;
             seg = strtok_r(NULL, "/", &save)) {
                if (!strcmp(seg, "."))
                        continue;
                if (!strcmp(seg, "..") && len > keep) {
                        /* Drop the last segment unless it is "..". */
                        char *last = strrchr(out, '/');
                        const char *lastseg = last ? last + 1 : out;
                        if (strcmp(lastseg, "..")) {
                                len = last ? (size_t)(last - out) : 0;
                                if (len == 0 && keep)
                                        len = 1;
                                out[len] = '\0';
                                continue;
                        }
                }
                len += (size_t)snprintf(out + len, n - len, "%s%s",
                                        len > keep ? "/" : "", seg);
        }
        free(joined);
        if (!out[0])
                strcpy(out, ".");
        return out;
}

/* The model labels raw label lm->raw maps to: a label, a list of labels
 * or null (none). */
static wt_err_t wt_spec_targets(wt_label_map_t *lm, json_t *v,
                                const char *spec, const char *src,
                                char *errstr, size_t errstr_size) {
        size_t i, n;
        if (json_is_null(v))
                return WT_OK;
        if (json_is_string(v)) {
                lm->targets = malloc(sizeof(char *));
                if (!lm->targets ||
                    !(lm->targets[0] = strdup(json_string_value(v))))
                        return BAD(WT_ERR_NOMEM,
                                   "%s: source \"%s\": labels.%s: out of "
                                   "memory",
                                   spec, src, lm->raw);
                lm->ntargets = 1;
                return WT_OK;
        }
        if (!json_is_array(v))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": label \"%s\" must map to a "
                           "label, a list of labels or null",
                           spec, src, lm->raw);
        n = json_array_size(v);
        lm->targets = calloc(n ? n : 1, sizeof(char *));
        if (!lm->targets)
                return BAD(WT_ERR_NOMEM,
                           "%s: source \"%s\": labels.%s: out of memory",
                           spec, src, lm->raw);
        for (i = 0; i < n; i++) {
                const char *t = json_string_value(json_array_get(v, i));
                if (!t || !*t)
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: source \"%s\": label \"%s\": target "
                                   "%zu is not a label name",
                                   spec, src, lm->raw, i + 1);
                if (!(lm->targets[i] = strdup(t)))
                        return BAD(WT_ERR_NOMEM,
                                   "%s: source \"%s\": labels.%s: out of "
                                   "memory",
                                   spec, src, lm->raw);
                lm->ntargets++;
        }
        return WT_OK;
}

/* A JSON array of non-empty strings into a string list (the source's
 * "exclude" or "annotates", named by key). */
static wt_err_t wt_spec_names(json_t *arr, char ***out, size_t *n,
                              const char *spec, const char *src,
                              const char *key, char *errstr,
                              size_t errstr_size) {
        size_t i;
        json_t *v;
        if (!json_is_array(arr))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": \"%s\" must be an array of "
                           "labels",
                           spec, src, key);
        *out = calloc(json_array_size(arr) + 1, sizeof(char *));
        if (!*out)
                return BAD(WT_ERR_NOMEM,
                           "%s: source \"%s\": %s: out of memory", spec, src,
                           key);
        json_array_foreach(arr, i, v) {
                if (!json_is_string(v) || !*json_string_value(v))
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: source \"%s\": %s[%zu] is not a "
                                   "label",
                                   spec, src, key, i);
                if (!((*out)[*n] = strdup(json_string_value(v))))
                        return BAD(WT_ERR_NOMEM,
                                   "%s: source \"%s\": %s[%zu]: out of "
                                   "memory",
                                   spec, src, key, i);
                (*n)++;
        }
        return WT_OK;
}

/* The "features" object. */
static wt_err_t wt_spec_features(wt_train_opts_t *o, json_t *features,
                                 const char *path, char *errstr,
                                 size_t errstr_size) {
        int ngrams = -1, bits = -1, min_df = -1, sgn = -1, idf = -1,
            fold_digits = -1;
        const char *tf = NULL;
        json_t *fields = NULL;
        json_error_t jerr;
        size_t i;

        if (json_unpack_ex(features, &jerr, JSON_STRICT,
                           "{s?i, s?i, s?i, s?b, s?b, s?b, s?s, s?o}",
                           "ngrams", &ngrams, "bits", &bits, "min_df",
                           &min_df, "signed", &sgn, "idf", &idf,
                           "fold_digits", &fold_digits, "tf", &tf, "fields",
                           &fields))
                return BAD(WT_ERR_INVALID_ARG, "%s: features: %s", path,
                           jerr.text);
        if (ngrams >= 0)
                o->conf.ngram_max = (unsigned)ngrams;
        if (bits >= 0)
                o->conf.bits = (unsigned)bits;
        if (min_df >= 0)
                o->min_df = (unsigned)min_df;
        if (sgn >= 0)
                o->conf.signed_hash = sgn;
        if (idf >= 0)
                o->conf.idf = idf;
        if (fold_digits >= 0)
                o->conf.tok_flags = (o->conf.tok_flags & ~WT_TOK_FOLD_DIGITS) |
                                    (fold_digits ? WT_TOK_FOLD_DIGITS : 0);
        if (tf) {
                if (!strcmp(tf, "log"))
                        o->conf.tf = WT_TF_LOG;
                else if (!strcmp(tf, "raw"))
                        o->conf.tf = WT_TF_RAW;
                else if (!strcmp(tf, "binary"))
                        o->conf.tf = WT_TF_BINARY;
                else
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: features.tf: \"%s\" is not log, raw "
                                   "or binary",
                                   path, tf);
        }
        if (!fields)
                return WT_OK;
        if (!json_is_array(fields) || json_array_size(fields) < 1 ||
            json_array_size(fields) > WT_FIELDS_MAX)
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: features.fields: 1..%d names expected", path,
                           WT_FIELDS_MAX);
        o->conf.nfields = (unsigned)json_array_size(fields);
        for (i = 0; i < o->conf.nfields; i++) {
                const char *f = json_string_value(json_array_get(fields, i));
                if (!f || !*f || strlen(f) >= WT_FIELD_NAME_MAX)
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: features.fields[%zu]: not a field "
                                   "name",
                                   path, i);
                strcpy(o->conf.fields[i], f);
        }
        return WT_OK;
}

/* The "train" object. */
static wt_err_t wt_spec_train(wt_train_opts_t *o, json_t *train,
                              const char *path, char *errstr,
                              size_t errstr_size) {
        const char *solver = NULL;
        int folds = -1, seed = -1;
        double C = 0;
        json_t *grid = NULL;
        json_error_t jerr;
        size_t i;

        if (json_unpack_ex(train, &jerr, JSON_STRICT,
                           "{s?s, s?i, s?F, s?o, s?i}", "solver", &solver,
                           "cv", &folds, "C", &C, "C_grid", &grid, "seed",
                           &seed))
                return BAD(WT_ERR_INVALID_ARG, "%s: train: %s", path,
                           jerr.text);
        if (solver && wt_solver_parse(solver, &o->solver))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: train.solver: \"%s\" is not lr, svm or l1lr",
                           path, solver);
        if (folds >= 0)
                o->folds = (unsigned)folds;
        if (seed >= 0)
                o->seed = (uint64_t)seed;
        if (C > 0)
                o->C = C;
        if (!grid)
                return WT_OK;
        if (!json_is_array(grid) || json_array_size(grid) < 1 ||
            json_array_size(grid) > WT_CGRID_MAX)
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: train.C_grid: 1..%d numbers expected", path,
                           WT_CGRID_MAX);
        o->nC = json_array_size(grid);
        for (i = 0; i < o->nC; i++) {
                o->C_grid[i] = json_number_value(json_array_get(grid, i));
                if (!(o->C_grid[i] > 0))
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: train.C_grid[%zu]: not a positive "
                                   "number",
                                   path, i);
        }
        return WT_OK;
}

/* A source's "files", each taken relative to the spec's folder dir. */
static wt_err_t wt_spec_files(wt_source_t *s, json_t *files, const char *dir,
                              const char *path, char *errstr,
                              size_t errstr_size) {
        size_t j;
        json_t *f;

        if (!json_is_array(files) || json_array_size(files) == 0)
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": \"files\" must be a non-empty "
                           "array",
                           path, s->name);
        json_array_foreach(files, j, f) {
                char *full;
                if (!json_is_string(f))
                        return BAD(WT_ERR_INVALID_ARG,
                                   "%s: source \"%s\": files[%zu] is not a "
                                   "path",
                                   path, s->name, j);
                full = wt_path_join(dir, json_string_value(f));
                if (!full || wt_source_add_file(s, full)) {
                        free(full);
                        return BAD(WT_ERR_NOMEM,
                                   "%s: source \"%s\": files[%zu]: out of "
                                   "memory",
                                   path, s->name, j);
                }
                free(full);
        }
        return WT_OK;
}

/* A source's "labels": raw label -> model labels. */
static wt_err_t wt_spec_label_map(wt_source_t *s, json_t *labels,
                                  const char *path, char *errstr,
                                  size_t errstr_size) {
        const char *key;
        json_t *t;
        wt_err_t err;

        if (!json_is_object(labels))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": \"labels\" must map raw "
                           "labels to model labels",
                           path, s->name);
        s->mapped = 1;
        s->map = calloc(json_object_size(labels) + 1, sizeof(*s->map));
        if (!s->map)
                return BAD(WT_ERR_NOMEM,
                           "%s: source \"%s\": labels: out of memory", path,
                           s->name);
        json_object_foreach(labels, key, t) {
                wt_label_map_t *lm = &s->map[s->nmap++];
                if (!(lm->raw = strdup(key)))
                        return BAD(WT_ERR_NOMEM,
                                   "%s: source \"%s\": labels.%s: out of "
                                   "memory",
                                   path, s->name, key);
                if ((err = wt_spec_targets(lm, t, path, s->name, errstr,
                                           errstr_size)))
                        return err;
        }
        return WT_OK;
}

/* sources[i], appended to o->sources. */
static wt_err_t wt_spec_source(wt_train_opts_t *o, json_t *v, size_t i,
                               const char *dir, const char *path,
                               char *errstr, size_t errstr_size) {
        const char *sname = NULL, *pooling = NULL, *unmapped = NULL,
                   *unit = NULL;
        json_t *files = NULL, *labels = NULL, *annot = NULL, *excl = NULL;
        json_error_t jerr;
        wt_source_t *s;
        wt_err_t err;

        if (json_unpack_ex(v, &jerr, JSON_STRICT,
                           "{s:s, s:o, s?s, s?o, s?s, s?o, s?o, s?s}", "name",
                           &sname, "files", &files, "pooling", &pooling,
                           "labels", &labels, "unmapped", &unmapped,
                           "annotates", &annot, "exclude", &excl, "unit",
                           &unit))
                return BAD(WT_ERR_INVALID_ARG, "%s: sources[%zu]: %s", path,
                           i, jerr.text);
        if (!(s = wt_train_opts_new_source(o)) || !(s->name = strdup(sname)))
                return BAD(WT_ERR_NOMEM,
                           "%s: source \"%s\": out of memory", path, sname);
        if (pooling && !strcmp(pooling, "sentence_max"))
                s->pooling = WT_POOL_SENTENCE_MAX;
        else if (pooling && strcmp(pooling, "doc"))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": pooling \"%s\" is not doc or "
                           "sentence_max",
                           path, sname, pooling);
        if ((err = wt_spec_files(s, files, dir, path, errstr, errstr_size)))
                return err;
        if (unmapped && !strcmp(unmapped, "drop"))
                s->drop_unmapped = 1;
        else if (unmapped && strcmp(unmapped, "error"))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": unmapped \"%s\" is not error "
                           "or drop",
                           path, sname, unmapped);
        if (unit && !strcmp(unit, "sentence"))
                s->sentence_unit = 1;
        else if (unit && strcmp(unit, "doc"))
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": unit \"%s\" is not doc or "
                           "sentence",
                           path, sname, unit);
        if (excl && (err = wt_spec_names(excl, &s->exclude, &s->nexclude,
                                         path, sname, "exclude", errstr,
                                         errstr_size)))
                return err;
        if (annot && (err = wt_spec_names(annot, &s->annotates,
                                          &s->nannotates, path, sname,
                                          "annotates", errstr, errstr_size)))
                return err;
        if (labels)
                return wt_spec_label_map(s, labels, path, errstr,
                                         errstr_size);
        if (s->drop_unmapped) {
                s->mapped = 1; /* every raw label dropped */
                return WT_OK;
        }
        if (s->nannotates)
                return BAD(WT_ERR_INVALID_ARG,
                           "%s: source \"%s\": \"annotates\" needs "
                           "\"labels\" or \"unmapped\": \"drop\"",
                           path, sname);
        return WT_OK;
}

wt_err_t wt_train_spec_load(wt_train_opts_t *o, const char *path,
                            char *errstr, size_t errstr_size) {
        json_error_t jerr;
        json_t *root, *features = NULL, *train = NULL, *sources = NULL, *v;
        const char *name = NULL, *slash;
        char dir[4096];
        size_t i;
        wt_err_t err = WT_OK;

        slash = strrchr(path, '/');
        snprintf(dir, sizeof(dir), "%.*s",
                 slash ? (int)(slash - path) : 0, path);
        root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!root)
                return BAD(WT_ERR_INVALID_ARG, "%s:%d:%d: %s", path, jerr.line,
                           jerr.column, jerr.text);
        if (json_unpack_ex(root, &jerr, JSON_STRICT, "{s?s, s?o, s?o, s:o}",
                           "name", &name, "features", &features, "train",
                           &train, "sources", &sources)) {
                err = BAD(WT_ERR_INVALID_ARG, "%s: %s", path, jerr.text);
                goto done;
        }
        if (name) {
                free(o->name);
                if (!(o->name = strdup(name))) {
                        err = BAD(WT_ERR_NOMEM, "%s: name: out of memory",
                                  path);
                        goto done;
                }
        }
        if (features && (err = wt_spec_features(o, features, path, errstr,
                                                errstr_size)))
                goto done;
        if (train &&
            (err = wt_spec_train(o, train, path, errstr, errstr_size)))
                goto done;
        if (!json_is_array(sources) || json_array_size(sources) == 0) {
                err = BAD(WT_ERR_INVALID_ARG,
                          "%s: \"sources\" must be a non-empty array", path);
                goto done;
        }
        json_array_foreach(sources, i, v) {
                if ((err = wt_spec_source(o, v, i, dir, path, errstr,
                                          errstr_size)))
                        goto done;
        }
done:
        json_decref(root);
        return err;
}
