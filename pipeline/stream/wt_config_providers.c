/*
 * wiretag - wt_config_providers.c: values from the environment and from
 * files, as Kafka's config providers do:
 *
 *   sasl.password=${file:/etc/wiretag/sasl-password}
 *   ssl.key.password=${env:WIRETAG_SSL_KEY_PASSWORD}
 *
 * so that passwords and keys stay out of the properties file (and out of
 * a package's conffile). A value may hold any number of references,
 * among other text; "${" not followed by "env:" or "file:" is kept as it
 * is. A file's content loses one trailing newline ("\n" or "\r\n"), as
 * `echo secret > file` writes one.
 *
 * Why a file of its own: the expansion is one step before
 * wt_config_set(), and what it knows (which keys came from a provider,
 * and through which reference) is only used to keep those values out of
 * the log: the start-up summary prints the reference, never the value,
 * and an error about an expanded value shows the reference in its
 * place.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A file read by ${file:} may be at most this large: a secret, a key or
 * a certificate, not a data set. */
#define WT_PROVIDER_FILE_MAX (1024 * 1024)

/* One key whose value came through a reference. */
struct wt_config_provided {
        char *key; /* as written, e.g. "consumer.sasl.password" */
        char *raw; /* the value as written, references unexpanded */
};

/* A growing string. */
typedef struct wt_sbuf {
        char *s;
        size_t len, cap;
} wt_sbuf_t;

static int wt_sbuf_add(wt_sbuf_t *b, const char *s, size_t len) {
        if (b->len + len + 1 > b->cap) {
                size_t cap = (b->len + len + 1) * 2;
                char *n = realloc(b->s, cap);
                if (!n)
                        return -1;
                b->s = n;
                b->cap = cap;
        }
        memcpy(b->s + b->len, s, len);
        b->len += len;
        b->s[b->len] = '\0';
        return 0;
}

/* Append the content of path (one trailing newline dropped). */
static wt_err_t wt_provider_file(wt_sbuf_t *b, const char *key,
                                 const char *path, char *errstr,
                                 size_t errstr_size) {
        FILE *fp = fopen(path, "rb");
        struct stat st;
        char *data;
        size_t len;
        int e;

        if (!fp)
                return wt_seterr(errstr, errstr_size, WT_ERR_IO,
                                 "%s: ${file:%s}: cannot read it: %s", key,
                                 path, strerror(errno));
        /* A FIFO or a device (/dev/stdin) could block start-up, or never
         * end: secrets and keys are regular files (systemd credentials
         * and Kubernetes secrets too). */
        if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
                fclose(fp);
                return wt_seterr(errstr, errstr_size, WT_ERR_IO,
                                 "%s: ${file:%s}: not a regular file", key,
                                 path);
        }
        if (!(data = malloc(WT_PROVIDER_FILE_MAX + 1))) {
                fclose(fp);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        }
        len = fread(data, 1, WT_PROVIDER_FILE_MAX + 1, fp);
        e = ferror(fp) ? errno : 0;
        fclose(fp);
        if (e || len > WT_PROVIDER_FILE_MAX || memchr(data, '\0', len)) {
                free(data);
                return wt_seterr(
                        errstr, errstr_size, WT_ERR_IO,
                        "%s: ${file:%s}: %s", key, path,
                        e ? strerror(e)
                        : len > WT_PROVIDER_FILE_MAX
                                ? "larger than 1 MiB: not a secret or a key"
                                : "holds a NUL byte: not text");
        }
        if (len > 0 && data[len - 1] == '\n') {
                len--;
                if (len > 0 && data[len - 1] == '\r')
                        len--;
        }
        if (wt_sbuf_add(b, data, len)) {
                free(data);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        }
        free(data);
        return WT_OK;
}

wt_err_t wt_config_expand(const char *key, const char *value, char **outp,
                          char *errstr, size_t errstr_size) {
        wt_sbuf_t b = {NULL, 0, 0};
        const char *p = value, *ref;
        wt_err_t err;

        *outp = NULL;
        while ((ref = strstr(p, "${"))) {
                const char *arg, *end;
                int is_env = !strncmp(ref + 2, "env:", 4);
                char name[4096];
                size_t len;

                if (!is_env && strncmp(ref + 2, "file:", 5)) {
                        /* Not ours: kept as written. */
                        if (wt_sbuf_add(&b, p, (size_t)(ref + 2 - p)))
                                goto nomem;
                        p = ref + 2;
                        continue;
                }
                arg = ref + (is_env ? 6 : 7);
                if (!(end = strchr(arg, '}'))) {
                        err = wt_seterr(errstr, errstr_size,
                                        WT_ERR_INVALID_ARG,
                                        "%s: \"%.*s...\": a reference "
                                        "without its closing '}'",
                                        key, (int)(arg - ref), ref);
                        goto fail;
                }
                len = (size_t)(end - arg);
                if (len == 0 || len >= sizeof(name)) {
                        err = wt_seterr(errstr, errstr_size,
                                        WT_ERR_INVALID_ARG,
                                        "%s: ${%s%.*s}: %s", key,
                                        is_env ? "env:" : "file:",
                                        (int)(len > 300 ? 300 : len), arg,
                                        len ? "name too long"
                                            : is_env ? "no variable named"
                                                     : "no file named");
                        goto fail;
                }
                memcpy(name, arg, len);
                name[len] = '\0';
                if (wt_sbuf_add(&b, p, (size_t)(ref - p)))
                        goto nomem;
                if (is_env) {
                        const char *v = getenv(name);
                        if (!v) {
                                err = wt_seterr(errstr, errstr_size,
                                                WT_ERR_INVALID_ARG,
                                                "%s: ${env:%s}: environment "
                                                "variable %s is not set",
                                                key, name, name);
                                goto fail;
                        }
                        if (wt_sbuf_add(&b, v, strlen(v)))
                                goto nomem;
                } else if ((err = wt_provider_file(&b, key, name, errstr,
                                                   errstr_size))) {
                        goto fail;
                }
                p = end + 1;
        }
        if (!b.s)
                return WT_OK; /* no reference: value as it is */
        if (wt_sbuf_add(&b, p, strlen(p)))
                goto nomem;
        *outp = b.s;
        return WT_OK;

nomem:
        err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                        "%s: out of memory", key);
fail:
        if (b.s) /* it may hold a secret */
                memset(b.s, 0, b.cap);
        free(b.s);
        return err;
}

/* The record of key, or NULL. */
static struct wt_config_provided *wt_provided_find(const wt_config_t *cfg,
                                                   const char *key) {
        size_t i;
        for (i = 0; i < cfg->nprovided; i++)
                if (!strcmp(cfg->provided[i].key, key))
                        return &cfg->provided[i];
        return NULL;
}

const char *wt_config_provided(const wt_config_t *cfg, const char *key) {
        const struct wt_config_provided *p = wt_provided_find(cfg, key);
        return p ? p->raw : NULL;
}

/* Remember (raw != NULL) or forget that key's value came through
 * references. -1 when out of memory. */
static int wt_provided_note(wt_config_t *cfg, const char *key,
                            const char *raw) {
        struct wt_config_provided *p = wt_provided_find(cfg, key), *n;
        char *k, *r;

        if (!raw) {
                if (p) {
                        free(p->key);
                        free(p->raw);
                        *p = cfg->provided[--cfg->nprovided];
                }
                return 0;
        }
        if (!(r = strdup(raw)))
                return -1;
        if (p) {
                free(p->raw);
                p->raw = r;
                return 0;
        }
        k = strdup(key);
        n = k ? realloc(cfg->provided,
                        (cfg->nprovided + 1) * sizeof(*cfg->provided))
              : NULL;
        if (!n) {
                free(k);
                free(r);
                return -1;
        }
        cfg->provided = n;
        n[cfg->nprovided].key = k;
        n[cfg->nprovided].raw = r;
        cfg->nprovided++;
        return 0;
}

/* Replace every occurrence of secret in msg with raw, in place (msg is
 * NUL-terminated, size bytes). */
static void wt_redact(char *msg, size_t size, const char *secret,
                      const char *raw) {
        size_t slen = strlen(secret), rlen = strlen(raw);
        char *hit;
        if (!slen)
                return;
        while ((hit = strstr(msg, secret))) {
                size_t tail = strlen(hit + slen);
                if ((size_t)(hit - msg) + rlen + tail + 1 > size) {
                        /* No room for the reference: cut the message. */
                        snprintf(hit, size - (size_t)(hit - msg), "%s",
                                 "(value not shown)");
                        return;
                }
                memmove(hit + rlen, hit + slen, tail + 1);
                memcpy(hit, raw, rlen);
                {
                        size_t adv = (size_t)(hit - msg) + rlen;
                        msg += adv; /* raw itself is never searched */
                        size -= adv;
                }
        }
}

wt_err_t wt_config_set_expanded(wt_config_t *cfg, const char *key,
                                const char *value, char *errstr,
                                size_t errstr_size) {
        char *x = NULL;
        wt_err_t err;

        if ((err = wt_config_expand(key, value, &x, errstr, errstr_size)))
                return err;
        err = wt_config_set(cfg, key, x ? x : value, errstr, errstr_size);
        if (err && x && errstr)
                wt_redact(errstr, errstr_size, x, value);
        if (!err && wt_provided_note(cfg, key, x ? value : NULL))
                err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                "%s: out of memory", key);
        if (x) {
                memset(x, 0, strlen(x));
                free(x);
        }
        return err;
}

void wt_config_providers_clear(wt_config_t *cfg) {
        size_t i;
        for (i = 0; i < cfg->nprovided; i++) {
                free(cfg->provided[i].key);
                free(cfg->provided[i].raw);
        }
        free(cfg->provided);
        cfg->provided = NULL;
        cfg->nprovided = 0;
}
