/*
 * wiretag - wt_train_opts.c: the training options: defaults, sources,
 * and the one table of options by name that `wiretag train` and
 * wt_api_train() both apply over a spec (see wt_train.h).
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_train.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wt_train_int.h"

/* ---------------------------------------------------------------- opts */

void wt_train_opts_init(wt_train_opts_t *o) {
        static const double grid[] = {1, 4, 16, 64, 256};
        memset(o, 0, sizeof(*o));
        wt_feature_conf_default(&o->conf);
        o->solver = WT_SOLVER_LR;
        memcpy(o->C_grid, grid, sizeof(grid));
        o->nC = sizeof(grid) / sizeof(grid[0]);
        o->folds = 5;
        o->min_df = 2;
        o->multilabel = -1;
        o->seed = 1;
}

static void wt_source_clear(wt_source_t *s) {
        size_t i, j;
        free(s->name);
        for (i = 0; i < s->nfiles; i++)
                free(s->files[i]);
        free(s->files);
        for (i = 0; i < s->nmap; i++) {
                free(s->map[i].raw);
                for (j = 0; j < s->map[i].ntargets; j++)
                        free(s->map[i].targets[j]);
                free(s->map[i].targets);
        }
        free(s->map);
        for (i = 0; i < s->nannotates; i++)
                free(s->annotates[i]);
        free(s->annotates);
        for (i = 0; i < s->nexclude; i++)
                free(s->exclude[i]);
        free(s->exclude);
        memset(s, 0, sizeof(*s));
}

void wt_train_opts_clear(wt_train_opts_t *o) {
        size_t i;
        for (i = 0; i < o->nsources; i++)
                wt_source_clear(&o->sources[i]);
        free(o->sources);
        free(o->name);
        o->sources = NULL;
        o->nsources = 0;
        o->name = NULL;
}

wt_source_t *wt_train_opts_new_source(wt_train_opts_t *o) {
        wt_source_t *s = realloc(o->sources,
                                 (o->nsources + 1) * sizeof(*o->sources));
        if (!s)
                return NULL;
        o->sources = s;
        s = &o->sources[o->nsources++];
        memset(s, 0, sizeof(*s));
        return s;
}

int wt_source_add_file(wt_source_t *s, const char *path) {
        char **f = realloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
        if (!f)
                return -1;
        s->files = f;
        if (!(s->files[s->nfiles] = strdup(path)))
                return -1;
        s->nfiles++;
        return 0;
}

wt_err_t wt_train_opts_add_file(wt_train_opts_t *o, const char *path) {
        wt_source_t *s = wt_train_opts_new_source(o);
        const char *base = strrchr(path, '/');
        if (!s || !(s->name = strdup(base ? base + 1 : path)) ||
            wt_source_add_file(s, path))
                return WT_ERR_NOMEM;
        return WT_OK;
}

int wt_solver_parse(const char *str, wt_solver_t *solver) {
        if (!strcmp(str, "lr"))
                *solver = WT_SOLVER_LR;
        else if (!strcmp(str, "svm"))
                *solver = WT_SOLVER_SVM;
        else if (!strcmp(str, "l1lr"))
                *solver = WT_SOLVER_L1LR;
        else
                return -1;
        return 0;
}

const char *wt_solver_name(wt_solver_t solver) {
        return solver == WT_SOLVER_SVM    ? "svm"
               : solver == WT_SOLVER_L1LR ? "l1lr"
                                          : "lr";
}

/* ------------------------------------------------------ options by name */

/* A parsed option value. */
typedef struct wt_topt_val {
        unsigned long long u; /* UINT, FOLDS; FLAG, TRISTATE: 0 or 1 */
        double d;             /* POSITIVE */
        double grid[WT_CGRID_MAX];
        size_t n;             /* GRID: values in grid[] */
        wt_solver_t solver;   /* SOLVER */
        const char *s;        /* FIELDS: the text */
} wt_topt_val_t;

/* A row: the public definition first, then where the value goes. */
typedef struct wt_topt_row {
        wt_train_optdef_t def;
        wt_err_t (*store)(wt_train_opts_t *o, const wt_topt_val_t *v,
                          char *errstr, size_t errstr_size);
} wt_topt_row_t;

static wt_err_t wt_store_fields(wt_train_opts_t *o, const wt_topt_val_t *v,
                                char *errstr, size_t errstr_size) {
        return wt_feature_conf_set_fields(&o->conf, v->s, errstr,
                                          errstr_size);
}

/* One setter per field: the value is already checked. */
#define WT_STORE(fn, stmt)                                                   \
        static wt_err_t fn(wt_train_opts_t *o, const wt_topt_val_t *v,      \
                           char *errstr, size_t errstr_size) {              \
                (void)errstr;                                                \
                (void)errstr_size;                                           \
                stmt;                                                        \
                return WT_OK;                                                \
        }
WT_STORE(wt_store_ngrams, o->conf.ngram_max = (unsigned)v->u)
WT_STORE(wt_store_bits, o->conf.bits = (unsigned)v->u)
WT_STORE(wt_store_min_df, o->min_df = (unsigned)v->u)
WT_STORE(wt_store_fold_digits,
         if (v->u) o->conf.tok_flags |= WT_TOK_FOLD_DIGITS)
WT_STORE(wt_store_signed, if (v->u) o->conf.signed_hash = 1)
WT_STORE(wt_store_no_idf, if (v->u) o->conf.idf = 0)
WT_STORE(wt_store_solver, o->solver = v->solver)
WT_STORE(wt_store_C, o->C = v->d)
WT_STORE(wt_store_C_grid,
         memcpy(o->C_grid, v->grid, v->n * sizeof(*v->grid));
         o->nC = v->n)
WT_STORE(wt_store_folds, o->folds = (unsigned)v->u)
WT_STORE(wt_store_multilabel, o->multilabel = (int)v->u)
WT_STORE(wt_store_threads, o->threads = (unsigned)v->u)
WT_STORE(wt_store_seed, o->seed = (uint64_t)v->u)
#undef WT_STORE

/* In the order they are applied (with several bad options, the first
 * row's is the one reported), which is also the order of `wiretag
 * train`'s long options in --help and in getopt's list of the matches of
 * an ambiguous abbreviation. */
static const wt_topt_row_t wt_topt_rows[] = {
        {{"fields", "fields", WT_TOPT_FIELDS, 0, 0, NULL, "A,B",
          "JSON text fields (default title,text)"},
         wt_store_fields},
        {{"ngrams", "ngrams", WT_TOPT_UINT, 1, WT_NGRAM_MAX, NULL, "N",
          "word n-grams 1..N (default 2)"},
         wt_store_ngrams},
        {{"bits", "bits", WT_TOPT_UINT, WT_BITS_MIN, WT_BITS_MAX, NULL, "B",
          "2^B hash buckets, 8..28 (default 20)"},
         wt_store_bits},
        {{"min_df", "min-df", WT_TOPT_UINT, 1, 1000000, NULL, "N",
          "keep features seen in >= N docs (default 2)"},
         wt_store_min_df},
        {{"fold_digits", "fold-digits", WT_TOPT_FLAG, 0, 0, NULL, NULL,
          "map digits to 0 before hashing"},
         wt_store_fold_digits},
        {{"signed", "signed", WT_TOPT_FLAG, 0, 0, NULL, NULL,
          "signed hashing"},
         wt_store_signed},
        {{"no_idf", "no-idf", WT_TOPT_FLAG, 0, 0, NULL, NULL,
          "no idf weighting"},
         wt_store_no_idf},
        {{"solver", "solver", WT_TOPT_SOLVER, 0, 0, NULL, "S",
          "lr (default), svm or l1lr"},
         wt_store_solver},
        {{"C", "C", WT_TOPT_POSITIVE, 0, 0, NULL, "X",
          "fixed C (no search)"},
         wt_store_C},
        {{"C_grid", "C-grid", WT_TOPT_GRID, 0, 0, NULL, "A,B,..",
          "C values tried by CV (default 1,4,16,64,256)"},
         wt_store_C_grid},
        {{"cv", "cv", WT_TOPT_FOLDS, 0, 100, NULL, "K",
          "K-fold cross-validation (default 5; 0 = none)"},
         wt_store_folds},
        {{"multilabel", "multilabel", WT_TOPT_TRISTATE, 0, 0, "single-label",
          NULL, "override the data-driven choice"},
         wt_store_multilabel},
        {{"threads", "threads", WT_TOPT_UINT, 1, 1024, NULL, "N",
          "training threads (default: all cores)"},
         wt_store_threads},
        {{"seed", "seed", WT_TOPT_UINT, 0, UINT64_MAX, NULL, "N",
          "fold assignment seed (default 1)"},
         wt_store_seed},
};

#define WT_TOPT_CNT (sizeof(wt_topt_rows) / sizeof(wt_topt_rows[0]))

const wt_train_optdef_t *wt_train_optdef(size_t i) {
        return i < WT_TOPT_CNT ? &wt_topt_rows[i].def : NULL;
}

const wt_train_optdef_t *wt_train_optdef_find(const char *key) {
        size_t i;
        for (i = 0; i < WT_TOPT_CNT; i++)
                if (!strcmp(wt_topt_rows[i].def.key, key))
                        return &wt_topt_rows[i].def;
        return NULL;
}

/** A plain unsigned decimal in [min, max], read as strtoull reads it
 *  (leading blanks pass; a leading '-' does not). 0 ok, -1 not. */
static int wt_topt_uint(const char *s, unsigned long long min,
                        unsigned long long max, unsigned long long *out) {
        char *end;
        unsigned long long v;
        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
                return -1;
        *out = v;
        return 0;
}

/** A comma list of 1..WT_CGRID_MAX numbers > 0 (empty items skipped).
 *  0 ok, -1 not. */
static int wt_topt_grid(const char *s, wt_topt_val_t *v) {
        char *copy = strdup(s), *tok, *save = NULL, *end;
        size_t n = 0;
        if (!copy)
                return -1;
        for (tok = strtok_r(copy, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
                double c = strtod(tok, &end);
                if (*end || !(c > 0) || n == WT_CGRID_MAX) {
                        free(copy);
                        return -1;
                }
                v->grid[n++] = c;
        }
        free(copy);
        v->n = n;
        return n ? 0 : -1;
}

/** Parse value for d into *v. @returns 0, or -1 with errstr saying what
 *  d expects. */
static int wt_topt_parse(const wt_train_optdef_t *d, const char *value,
                         wt_topt_val_t *v, char *errstr,
                         size_t errstr_size) {
        char *end;
        switch (d->kind) {
        case WT_TOPT_UINT:
        case WT_TOPT_FOLDS:
                if (!value || wt_topt_uint(value, d->min, d->max, &v->u)) {
                        wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                  "expected an integer in %llu..%llu",
                                  d->min, d->max);
                        return -1;
                }
                if (d->kind == WT_TOPT_FOLDS && v->u == 1) {
                        wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                  "1 fold is no cross-validation; use 0 or "
                                  "2..%llu",
                                  d->max);
                        return -1;
                }
                return 0;
        case WT_TOPT_FLAG:
        case WT_TOPT_TRISTATE:
                if (value && (!strcmp(value, "true") ||
                              !strcmp(value, "false"))) {
                        v->u = value[0] == 't';
                        return 0;
                }
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "expected true or false");
                return -1;
        case WT_TOPT_POSITIVE:
                if (value && (v->d = strtod(value, &end), !*end) &&
                    v->d > 0)
                        return 0;
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "expected a positive number");
                return -1;
        case WT_TOPT_GRID:
                if (value && !wt_topt_grid(value, v))
                        return 0;
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "expected 1..%d positive numbers", WT_CGRID_MAX);
                return -1;
        case WT_TOPT_SOLVER:
                if (value && !wt_solver_parse(value, &v->solver))
                        return 0;
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "expected \"lr\", \"svm\" or \"l1lr\"");
                return -1;
        case WT_TOPT_FIELDS:
                if (value) {
                        v->s = value;
                        return 0;
                }
                wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                          "expected field names");
                return -1;
        }
        wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                  "unhandled option kind");
        return -1;
}

wt_err_t wt_train_opts_set(wt_train_opts_t *o, const wt_train_optdef_t *d,
                           const char *value, char *errstr,
                           size_t errstr_size) {
        /* d is the first member of its row. */
        const wt_topt_row_t *row = (const wt_topt_row_t *)d;
        wt_topt_val_t v;

        memset(&v, 0, sizeof(v));
        if (wt_topt_parse(d, value, &v, errstr, errstr_size))
                return WT_ERR_INVALID_ARG;
        if (!o) {
                /* Checked; fields are checked by storing them. */
                wt_feature_conf_t conf;
                if (d->kind != WT_TOPT_FIELDS)
                        return WT_OK;
                wt_feature_conf_default(&conf);
                return wt_feature_conf_set_fields(&conf, v.s, errstr,
                                                  errstr_size);
        }
        return row->store(o, &v, errstr, errstr_size);
}

void wt_train_opts_unset_run(wt_train_opts_t *o) {
        o->multilabel = -1;
        o->threads = 0;
}

wt_err_t wt_train_opts_name(wt_train_opts_t *o, const char *name,
                            const char *out) {
        const char *base;
        char *n, *dot;

        if (!name && o->name)
                return WT_OK; /* the spec's */
        base = strrchr(out, '/');
        if (!(n = strdup(name ? name : base ? base + 1 : out)))
                return WT_ERR_NOMEM;
        if (!name && (dot = strrchr(n, '.')) && dot != n)
                *dot = '\0';
        free(o->name);
        o->name = n;
        return WT_OK;
}
