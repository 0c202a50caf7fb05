/*
 * wiretag - cli_common.c: what the sub-commands share.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

void wt_cli_error(const char *cmd, const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "wiretag: %s: ", cmd);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
}

wt_model_t *wt_cli_load_model(const char *cmd, const char *path) {
        wt_model_t *model;
        char errstr[512];
        if (wt_model_load(path, &model, errstr, sizeof(errstr))) {
                wt_cli_error(cmd, "cannot load model: %s", errstr);
                return NULL;
        }
        return model;
}

void wt_cli_progress(void *opaque, const char *stage, size_t done,
                     size_t total) {
        static const char *last_stage;
        static int last_pct = -1;
        int tty = isatty(STDERR_FILENO);
        int pct = total ? (int)(100 * done / total) : 100;
        (void)opaque;

        if (tty) {
                char bar[31];
                int i, fill = pct * 30 / 100;
                for (i = 0; i < 30; i++)
                        bar[i] = i < fill ? '#' : '.';
                bar[30] = '\0';
                fprintf(stderr, "\r%-18s [%s] %3d%% %zu/%zu", stage, bar, pct,
                        done, total);
                if (done == total)
                        fputc('\n', stderr);
                fflush(stderr);
                return;
        }
        /* Not a terminal (CI logs): a line when a stage starts and ends. */
        if (stage != last_stage) {
                last_stage = stage;
                last_pct = -1;
        }
        if ((done == 0 && last_pct < 0) || (done == total && last_pct < 100)) {
                fprintf(stderr, "wiretag: %s: %zu/%zu\n", stage, done, total);
                last_pct = done == total ? 100 : 0;
        }
}

int wt_cli_parse_uint(const char *cmd, const char *opt, const char *val,
                      unsigned long min, unsigned long max,
                      unsigned long *out) {
        char *end;
        unsigned long v;
        errno = 0;
        v = strtoul(val, &end, 10);
        if (errno || end == val || *end || val[0] == '-' || v < min ||
            v > max) {
                wt_cli_error(cmd, "%s: \"%s\" is not a number in %lu..%lu",
                             opt, val, min, max);
                return -1;
        }
        *out = v;
        return 0;
}

int wt_cli_parse_fields(const char *cmd, const char *val,
                        wt_feature_conf_t *conf) {
        char errstr[256];
        const char *p, *q;
        for (p = val; *p; p = q + (*q == ',')) {
                size_t len;
                q = p + strcspn(p, ",");
                len = (size_t)(q - p);
                /* Duplicates: a later name equal to this one. */
                {
                        const char *r = q;
                        while (*r == ',') {
                                const char *e = r + 1 + strcspn(r + 1, ",");
                                if ((size_t)(e - r - 1) == len &&
                                    !memcmp(r + 1, p, len) && len) {
                                        wt_cli_error(cmd,
                                                     "--fields: \"%.*s\" is "
                                                     "listed twice",
                                                     (int)len, p);
                                        return -1;
                                }
                                r = e;
                        }
                }
                if (!*q)
                        break;
        }
        if (wt_feature_conf_set_fields(conf, val, errstr, sizeof(errstr))) {
                wt_cli_error(cmd, "--fields: %s (expected a comma-separated "
                                  "list of JSON field names, e.g. "
                                  "title,text)",
                             errstr);
                return -1;
        }
        return 0;
}
