/*
 * wiretag - wt_reader.h: read JSON records from a file or stdin.
 *
 * Accepts JSON Lines (one object per line, blank lines skipped) and a
 * single JSON document spread over many lines (or several concatenated
 * documents). The mode is chosen from the first non-blank line: if it is
 * a complete JSON value, or fails for any reason other than ending early,
 * the input is JSON Lines; otherwise the rest of the input is read as a
 * sequence of JSON values. In JSON Lines mode a bad line is returned like
 * any other (the caller's parse reports it) and reading resumes at the
 * next line, so one bad line never hides the others.
 *
 * gzip-compressed input is read transparently: a file is recognised by
 * its first two bytes (1f 8b), not by its name; stdin or another pipe,
 * which cannot be peeked at, always goes through zlib, which passes
 * input that is not gzip through unchanged. A corrupt or truncated
 * gzip stream is a read error whose message says so.
 */
#ifndef WT_READER_H
#define WT_READER_H

#include <stdio.h>

#include "wt_err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_reader {
        FILE *fp;
        int own_fp;
        char *iobuf;        /* stdio buffer of an opened file */
        char *path;
        char *line;         /* current line (JSON Lines mode) */
        size_t line_cap;
        size_t lineno;      /* line of the current record's start */
        int doc_mode;
        char *doc;          /* document mode: the whole input */
        size_t doc_len, doc_pos, doc_line;
        char *pending;      /* first line, read to pick the mode */
        size_t pending_len;
        int pending_set;
        void *gz;           /* gzFile under fp when read through zlib */
} wt_reader_t;

/** Open path ("-" for stdin). */
wt_err_t wt_reader_open(wt_reader_t *r, const char *path, char *errstr,
                        size_t errstr_size);

/** Next record: 1 with text and len set (valid until the next call), 0 at
 *  the end, -1 on a read error (errstr set). */
int wt_reader_next(wt_reader_t *r, const char **text, size_t *len,
                   char *errstr, size_t errstr_size);

/** Line number (1-based) where the current record starts. */
size_t wt_reader_lineno(const wt_reader_t *r);

void wt_reader_close(wt_reader_t *r);

#ifdef __cplusplus
}
#endif

#endif /* WT_READER_H */
