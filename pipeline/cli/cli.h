/*
 * wiretag - cli.h: the `wiretag` command's sub-commands and what they
 * share. The CLI is a thin client of libwiretag: it parses arguments,
 * prints, and calls the library for everything else.
 */
#ifndef WT_CLI_H
#define WT_CLI_H

#include <stddef.h>

#include "wt_model.h"

/* Exit codes shared by every sub-command. */
#define WT_EXIT_OK      0
#define WT_EXIT_PARTIAL 1 /* ran, but some input records failed */
#define WT_EXIT_USAGE   2 /* bad arguments */
#define WT_EXIT_FAIL    3 /* could not run (I/O, bad model, ...) */

int wt_cmd_classify(int argc, char **argv);
int wt_cmd_eval(int argc, char **argv);
int wt_cmd_train(int argc, char **argv);
int wt_cmd_model(int argc, char **argv);
int wt_cmd_run(int argc, char **argv);

/** Print "wiretag: <cmd>: message" to stderr. */
void wt_cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/** Load a model or print why not (returns NULL). */
wt_model_t *wt_cli_load_model(const char *cmd, const char *path);

/** Progress on stderr: a bar on a terminal, a line per stage otherwise. */
void wt_cli_progress(void *opaque, const char *stage, size_t done,
                     size_t total);

/** Parse an unsigned integer option in [min, max]; -1 on error. */
int wt_cli_parse_uint(const char *cmd, const char *opt, const char *val,
                      unsigned long min, unsigned long max,
                      unsigned long *out);

/** --fields A,B: the JSON string fields read as the article text, over
 *  the model's (conf, a copy of the model's, is changed), checked as
 *  `wiretag run` checks input.fields: names non-empty and distinct.
 *  Prints why not and returns -1. */
int wt_cli_parse_fields(const char *cmd, const char *val,
                        wt_feature_conf_t *conf);

#endif /* WT_CLI_H */
