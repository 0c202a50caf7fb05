/*
 * wiretag - wt_train.h: training models with liblinear.
 *
 * A training run reads labeled JSON Lines from one or more sources. A
 * source is a set of files that annotate the same label set; its raw
 * labels may be mapped to model labels (one raw label to zero, one or
 * several model labels). A model label is learnt only from the documents
 * of sources that annotate it: a document from a source that does not know
 * a label is neither a positive nor a negative example for it.
 *
 * Per label, a binary liblinear classifier (one-vs-rest) is trained. With
 * K-fold cross-validation the trainer picks C from a grid and a decision
 * threshold that maximises the label's out-of-fold F1 (for a single-label
 * model: the C that maximises out-of-fold accuracy). Cross-validated
 * scores are stored in the model's metadata.
 *
 * Features are computed with wt_features_hash/count and
 * wt_vocab_vectorize, exactly as wt_classify() computes them. The
 * vocabulary keeps buckets seen in at least min_df training documents; idf
 * is ln((1 + N) / (1 + df)) + 1. (The vocabulary and idf are computed once
 * from all training documents, so cross-validation folds see the other
 * folds' unlabeled term statistics, never their labels.)
 */
#ifndef WT_TRAIN_H
#define WT_TRAIN_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "wt_err.h"
#include "wt_features.h"
#include "wt_model.h"
#include "wt_tokenizer.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wt_solver {
        WT_SOLVER_LR = 0,   /**< L2-regularised logistic regression */
        WT_SOLVER_SVM = 1,  /**< L2-regularised L2-loss linear SVM */
        WT_SOLVER_L1LR = 2, /**< L1-regularised logistic regression (sparse) */
} wt_solver_t;

#define WT_CGRID_MAX 16

/** One raw label of a source and the model labels it stands for. */
typedef struct wt_label_map {
        char *raw;
        size_t ntargets;
        char **targets;
} wt_label_map_t;

typedef struct wt_source {
        char *name;
        size_t nfiles;
        char **files;
        wt_pooling_t pooling; /**< how its labels score whole articles */
        int mapped;           /**< 0: raw labels are model labels */
        size_t nmap;
        wt_label_map_t *map;
        int drop_unmapped;    /**< 1: raw labels not in map mean nothing;
                               *   0: they are an error */
        size_t nannotates;    /**< extra model labels this source
                               *   annotates (its documents are negatives
                               *   for them unless mapped to them) */
        char **annotates;
        size_t nexclude;      /**< documents carrying one of these raw
                               *   labels are left out */
        char **exclude;
        int sentence_unit;    /**< 1: each sentence is a training doc */
} wt_source_t;

typedef struct wt_train_opts {
        char *name;               /**< model name */
        wt_feature_conf_t conf;
        wt_solver_t solver;
        double C;                 /**< > 0: fixed C, no search */
        double C_grid[WT_CGRID_MAX];
        size_t nC;
        unsigned folds;           /**< 0: no cross-validation, else >= 2 */
        unsigned min_df;
        int multilabel;           /**< -1: decide from the data */
        unsigned threads;         /**< 0: number of online CPUs */
        uint64_t seed;            /**< fold assignment */
        size_t nsources;
        wt_source_t *sources;
        /** Progress report, called from the training threads' master
         *  (one thread) with work done and total. May be NULL. */
        void (*progress)(void *opaque, const char *stage, size_t done,
                         size_t total);
        void *opaque;
} wt_train_opts_t;

/** Defaults: wt_feature_conf_default, LR, C grid {1,4,16,64,256}, 5 folds,
 *  min_df 2, multilabel auto. No sources. */
void wt_train_opts_init(wt_train_opts_t *opts);

/** Release what the options own (name, sources). */
void wt_train_opts_clear(wt_train_opts_t *opts);

/** Add one source of plain files with identity label mapping. */
wt_err_t wt_train_opts_add_file(wt_train_opts_t *opts, const char *path);

/** Read a training spec (JSON, see models/README.md) into opts; relative
 *  file paths are taken relative to the spec's folder. */
wt_err_t wt_train_spec_load(wt_train_opts_t *opts, const char *path,
                            char *errstr, size_t errstr_size);

/** Train. On success *modelp is the new model (caller owns) with its
 *  metadata, cross-validated scores included. */
wt_err_t wt_train(const wt_train_opts_t *opts, wt_model_t **modelp,
                  char *errstr, size_t errstr_size);

/* --- options by name ---------------------------------------------------
 * Every option that `wiretag train` and wt_api_train() take over a spec
 * is one row of one table (wt_train_opts.c), in the order they are
 * applied: the command line maps its long options onto the rows, wt_api
 * its JSON keys, and both store through wt_train_opts_set(), so a new
 * option is one row. Values are text, as on the command line. */

/** What a train option's value is. */
typedef enum wt_train_optkind {
        WT_TOPT_UINT,     /**< decimal integer in [min, max] */
        WT_TOPT_FOLDS,    /**< WT_TOPT_UINT, but 1 fold is refused */
        WT_TOPT_FLAG,     /**< "true" turns it on; "false" leaves it */
        WT_TOPT_TRISTATE, /**< "true" or "false"; not given: automatic */
        WT_TOPT_POSITIVE, /**< a number > 0 */
        WT_TOPT_GRID,     /**< 1..WT_CGRID_MAX numbers > 0, comma separated */
        WT_TOPT_SOLVER,   /**< "lr", "svm" or "l1lr" */
        WT_TOPT_FIELDS,   /**< JSON field names, comma separated */
} wt_train_optkind_t;

/** One train option. */
typedef struct wt_train_optdef {
        const char *key;             /**< wt_api_train's JSON key: "min_df" */
        const char *flag;            /**< `wiretag train`'s: "min-df" */
        wt_train_optkind_t kind;
        unsigned long long min, max; /**< WT_TOPT_UINT, WT_TOPT_FOLDS */
        const char *flag_off;        /**< WT_TOPT_TRISTATE: the command
                                      *   line's flag for "false" */
        const char *arg;             /**< --help: the value's name, or NULL */
        const char *doc;             /**< --help: one line */
} wt_train_optdef_t;

/** Row i of the option table, in the order options are applied; NULL
 *  past the end. The rows are static: never freed. */
const wt_train_optdef_t *wt_train_optdef(size_t i);

/** The row whose JSON key is key; NULL when there is none. */
const wt_train_optdef_t *wt_train_optdef_find(const char *key);

/** Parse value (text, as on the command line) for option d and store it
 *  in opts; opts NULL: only check it. value NULL stands for a value of
 *  the wrong type (from JSON).
 *  @returns WT_OK, or WT_ERR_INVALID_ARG with errstr saying what d
 *  expects ("expected an integer in 1..4"), without the option's name;
 *  opts is then unchanged. */
wt_err_t wt_train_opts_set(wt_train_opts_t *opts, const wt_train_optdef_t *d,
                           const char *value, char *errstr,
                           size_t errstr_size);

/** Reset what only the caller decides, never a spec: multilabel back to
 *  automatic, threads to every core. Call before wt_train_opts_set. */
void wt_train_opts_unset_run(wt_train_opts_t *opts);

/** Name the model: name, or else, when neither name nor the spec gives
 *  one, out's file name without its extension.
 *  @returns WT_OK or WT_ERR_NOMEM. */
wt_err_t wt_train_opts_name(wt_train_opts_t *opts, const char *name,
                            const char *out);

/** Parse "lr", "svm", "l1lr". */
int wt_solver_parse(const char *s, wt_solver_t *solver);
const char *wt_solver_name(wt_solver_t solver);

#ifdef __cplusplus
}
#endif

#endif /* WT_TRAIN_H */
