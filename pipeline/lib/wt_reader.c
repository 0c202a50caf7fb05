/*
 * wiretag - wt_reader.c: JSON Lines / JSON document reader.
 */
#define _GNU_SOURCE /* fopencookie */
#include "wt_reader.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define WT_READER_IOBUF ((size_t)1 << 20)

static int wt_blank(const char *s, size_t len) {
        size_t i;
        for (i = 0; i < len; i++)
                if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' &&
                    s[i] != '\n')
                        return 0;
        return 1;
}

/* Read one line into r->line; returns its length or -1 at EOF. */
static ssize_t wt_read_line(wt_reader_t *r) {
        ssize_t n = getline(&r->line, &r->line_cap, r->fp);
        if (n < 0)
                return -1;
        r->lineno++;
        return n;
}

/* fopencookie read: gzread, with a truncated stream (which gzread ends
 * like a clean one) made an error, so it never passes for the end. */
static ssize_t wt_gz_read(void *cookie, char *buf, size_t size) {
        gzFile gz = cookie;
        int n, zerr;
        n = gzread(gz, buf, size > INT_MAX ? INT_MAX : (unsigned)size);
        if (n == 0) {
                (void)gzerror(gz, &zerr);
                if (zerr != Z_OK) {
                        errno = EIO;
                        return -1;
                }
        }
        return n;
}

static int wt_gz_close(void *cookie) {
        return gzclose_r((gzFile)cookie) == Z_OK ? 0 : EOF;
}

/* Put zlib under r->fp when the input is gzip (or a pipe, which cannot be
 * peeked at: zlib passes plain input through). Returns 0, or -1 with
 * errno set. */
static int wt_reader_gz(wt_reader_t *r) {
        static const cookie_io_functions_t io = {wt_gz_read, NULL, NULL,
                                                 wt_gz_close};
        unsigned char magic[2];
        int fd = fileno(r->fp), dupfd;
        off_t pos = lseek(fd, 0, SEEK_CUR);
        gzFile gz;
        FILE *fp;

        if (pos >= 0 && (pread(fd, magic, 2, pos) != 2 || magic[0] != 0x1f ||
                         magic[1] != 0x8b))
                return 0; /* a plain file: stdio reads it directly */
        if ((dupfd = dup(fd)) < 0)
                return -1;
        if (!(gz = gzdopen(dupfd, "rb"))) {
                close(dupfd);
                errno = ENOMEM;
                return -1;
        }
        (void)gzbuffer(gz, 1U << 17);
        if (!(fp = fopencookie(gz, "r", io))) {
                gzclose_r(gz);
                return -1;
        }
        if (r->own_fp)
                fclose(r->fp);
        r->fp = fp;
        r->own_fp = 1;
        r->gz = gz;
        return 0;
}

/* The error of a failed read: zlib's words for a gzip stream. */
static void wt_reader_ioerr(const wt_reader_t *r, char *errstr,
                            size_t errstr_size) {
        int zerr = Z_OK;
        const char *zmsg = r->gz ? gzerror((gzFile)r->gz, &zerr) : NULL;
        /* zlib names a gzdopen'ed stream "<fd:N>: ": ours is r->path. */
        if (zmsg && !strncmp(zmsg, "<fd:", 4) && strstr(zmsg, ": "))
                zmsg = strstr(zmsg, ": ") + 2;
        if (zmsg && zerr != Z_OK)
                wt_seterr(errstr, errstr_size, WT_ERR_IO,
                          "%s: read error after line %zu: not a valid gzip "
                          "stream (%s: %s)",
                          r->path, r->lineno,
                          zerr == Z_BUF_ERROR ? "truncated" : "corrupt",
                          zmsg);
        else
                wt_seterr(errstr, errstr_size, WT_ERR_IO,
                          "%s: read error after line %zu: %s", r->path,
                          r->lineno, strerror(errno ? errno : EIO));
}

wt_err_t wt_reader_open(wt_reader_t *r, const char *path, char *errstr,
                        size_t errstr_size) {
        ssize_t n;
        memset(r, 0, sizeof(*r));
        if (!strcmp(path, "-")) {
                r->fp = stdin;
        } else {
                r->fp = fopen(path, "rb");
                r->own_fp = 1;
                if (!r->fp)
                        return wt_seterr(errstr, errstr_size, WT_ERR_IO,
                                         "%s: %s", path, strerror(errno));
        }
        if (wt_reader_gz(r)) {
                wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s", path,
                          strerror(errno));
                wt_reader_close(r);
                return WT_ERR_IO;
        }
        /* Large reads: stdio's default buffer is one 4 KB page, a read
         * call per few records. getline() then reuses r->line, so no
         * record allocates. Only for a file the reader opened, as the
         * buffer must outlive the stream (stdin keeps its own). Without
         * the memory, the default buffer does. */
        if (r->own_fp && (r->iobuf = malloc(WT_READER_IOBUF)))
                (void)setvbuf(r->fp, r->iobuf, _IOFBF, WT_READER_IOBUF);
        r->path = strdup(path);
        if (!r->path) {
                wt_reader_close(r);
                return WT_ERR_NOMEM;
        }

        /* Find the first non-blank line and pick the mode from it. */
        while ((n = wt_read_line(r)) >= 0 && wt_blank(r->line, (size_t)n))
                ;
        if (n < 0 && ferror(r->fp)) {
                wt_reader_ioerr(r, errstr, errstr_size);
                wt_reader_close(r);
                return WT_ERR_IO;
        }
        if (n < 0)
                return WT_OK; /* empty input: no records */
        {
                json_error_t jerr;
                json_t *v = json_loadb(r->line, (size_t)n,
                                       JSON_ALLOW_NUL | JSON_DECODE_ANY,
                                       &jerr);
                if (v || json_error_code(&jerr) !=
                                 json_error_premature_end_of_input) {
                        json_decref(v);
                        r->pending_set = 1;
                        r->pending_len = (size_t)n;
                        return WT_OK;
                }
        }

        /* Document mode: keep the first line and slurp the rest. */
        r->doc_mode = 1;
        r->doc_line = r->lineno;
        {
                size_t cap = (size_t)n + 65536, len = (size_t)n, got;
                char *buf = malloc(cap);
                if (!buf) {
                        wt_reader_close(r);
                        return WT_ERR_NOMEM;
                }
                memcpy(buf, r->line, (size_t)n);
                while ((got = fread(buf + len, 1, cap - len, r->fp)) > 0) {
                        len += got;
                        if (len == cap) {
                                char *nb = realloc(buf, cap * 2);
                                if (!nb) {
                                        free(buf);
                                        wt_reader_close(r);
                                        return WT_ERR_NOMEM;
                                }
                                buf = nb;
                                cap *= 2;
                        }
                }
                if (ferror(r->fp)) {
                        free(buf);
                        wt_reader_ioerr(r, errstr, errstr_size);
                        wt_reader_close(r);
                        return WT_ERR_IO;
                }
                r->doc = buf;
                r->doc_len = len;
                r->doc_pos = 0;
        }
        return WT_OK;
}

int wt_reader_next(wt_reader_t *r, const char **text, size_t *len,
                   char *errstr, size_t errstr_size) {
        if (!r->fp && !r->doc)
                return 0;
        if (!r->doc_mode) {
                ssize_t n;
                if (r->pending_set) {
                        r->pending_set = 0;
                        *text = r->line;
                        *len = r->pending_len;
                        return 1;
                }
                while ((n = wt_read_line(r)) >= 0) {
                        if (wt_blank(r->line, (size_t)n))
                                continue;
                        *text = r->line;
                        *len = (size_t)n;
                        return 1;
                }
                if (ferror(r->fp)) {
                        wt_reader_ioerr(r, errstr, errstr_size);
                        return -1;
                }
                return 0;
        }

        /* Document mode: skip blanks, then take one JSON value. */
        while (r->doc_pos < r->doc_len &&
               wt_blank(r->doc + r->doc_pos, 1)) {
                if (r->doc[r->doc_pos] == '\n')
                        r->doc_line++;
                r->doc_pos++;
        }
        if (r->doc_pos >= r->doc_len)
                return 0;
        {
                json_error_t jerr;
                size_t start = r->doc_pos, i, used;
                json_t *v = json_loadb(r->doc + start, r->doc_len - start,
                                       JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL,
                                       &jerr);
                json_decref(v);
                /* On error the rest cannot be resynchronised: hand it all
                 * to the caller, whose parse reports where it broke. */
                used = v ? (size_t)jerr.position : r->doc_len - start;
                if (used == 0 || used > r->doc_len - start)
                        used = r->doc_len - start;
                r->lineno = r->doc_line;
                for (i = start; i < start + used; i++)
                        if (r->doc[i] == '\n')
                                r->doc_line++;
                r->doc_pos = start + used;
                *text = r->doc + start;
                *len = used;
                return 1;
        }
}

size_t wt_reader_lineno(const wt_reader_t *r) {
        return r->lineno;
}

void wt_reader_close(wt_reader_t *r) {
        if (r->fp && r->own_fp)
                fclose(r->fp); /* through zlib: gzclose_r too */
        free(r->iobuf); /* after fclose: the stream used it */
        free(r->line);
        free(r->doc);
        free(r->path);
        memset(r, 0, sizeof(*r));
}
