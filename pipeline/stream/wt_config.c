/*
 * wiretag - wt_config.c: `wiretag run` configuration.
 *
 * wt_config_set() sends a key to its place: one of wiretag's own keys
 * (the table in wt_config_keys.c) or a librdkafka property
 * (wt_config_kafka.c). This file also reads .properties files and holds
 * wt_config_finalize(), the checks of combinations once every key is
 * set. The documentation is printed by wt_config_doc.c.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

wt_err_t wt_config_set(wt_config_t *cfg, const char *key, const char *value,
                       char *errstr, size_t errstr_size) {
        const wt_key_t *k;
        const char *rkey = key;
        int scope = WT_SCOPE_BOTH;
        wt_err_t err;

        if (!*key)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "empty key (value \"%s\")", value);

        if (!strncmp(key, "consumer.", 9)) {
                scope = WT_SCOPE_CONSUMER;
                rkey = key + 9;
        } else if (!strncmp(key, "producer.", 9)) {
                scope = WT_SCOPE_PRODUCER;
                rkey = key + 9;
        } else if ((k = wt_key_find(key))) {
                return wt_key_set(cfg, k, key, value, errstr, errstr_size);
        }
        if (!*rkey)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: missing the librdkafka property name "
                                 "after the prefix",
                                 key);

        if ((err = wt_kafka_check(scope, key, rkey, value, errstr,
                                  errstr_size)))
                return err;
        return wt_kafka_put(cfg, scope, rkey, value, errstr, errstr_size);
}

/** 1 when line[0..len) ends in an odd number of backslashes, i.e. a
 *  continuation and not an escaped backslash. */
static int wt_continues(const char *line, size_t len) {
        size_t n = 0;
        while (n < len && line[len - 1 - n] == '\\')
                n++;
        return n & 1;
}

/** Parse one logical line (comments and blanks already skipped) and set
 *  its key. */
static wt_err_t wt_load_line(wt_config_t *cfg, const char *path,
                             size_t lineno, char *line, char *errstr,
                             size_t errstr_size) {
        char *sep = line + strcspn(line, "=:");
        const char *k = line, *v;
        size_t klen, vlen;
        char tmp[1024];
        wt_err_t err;

        if (!*sep)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s:%zu: \"%s\": expected key=value "
                                 "(or key: value)",
                                 path, lineno, line);
        klen = (size_t)(sep - line);
        wt_trim(&k, &klen);
        v = sep + 1;
        vlen = strlen(v);
        wt_trim(&v, &vlen);
        if (klen == 0)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s:%zu: empty key before '%c'", path,
                                 lineno, *sep);
        /* Both are slices of line: terminate them in place. */
        line[(size_t)(k - line) + klen] = '\0';
        ((char *)v)[vlen] = '\0';

        if (!(err = wt_config_set_expanded(cfg, k, v, tmp, sizeof(tmp))))
                return WT_OK;
        return wt_seterr(errstr, errstr_size, err, "%s:%zu: %s", path,
                         lineno, tmp);
}

wt_err_t wt_config_load(wt_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size) {
        FILE *fp;
        wt_err_t err;

        if (!(fp = fopen(path, "r")))
                return wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s",
                                 path, strerror(errno));
        err = wt_config_load_fp(cfg, fp, path, errstr, errstr_size);
        fclose(fp);
        return err;
}

wt_err_t wt_config_load_fp(wt_config_t *cfg, FILE *fp, const char *path,
                           char *errstr, size_t errstr_size) {
        char *buf = NULL, *logical = NULL;
        size_t cap = 0, llen = 0, lineno = 0, first = 0;
        ssize_t n;
        wt_err_t err = WT_OK;

        while ((n = getline(&buf, &cap, fp)) >= 0) {
                const char *s = buf;
                size_t len = (size_t)n;
                int more;
                char *nl;

                lineno++;
                if (lineno == 1 && len >= 3 &&
                    !memcmp(s, "\xEF\xBB\xBF", 3)) { /* UTF-8 BOM */
                        s += 3;
                        len -= 3;
                }
                /* Leading blanks go (also on a continued line, as in
                 * Java); trailing ones too, so "\ " still continues. */
                wt_trim(&s, &len);
                if (!logical) {
                        if (len == 0 || *s == '#' || *s == '!')
                                continue; /* comments never continue */
                        first = lineno;
                }
                more = wt_continues(s, len);
                if (more)
                        len--;

                nl = realloc(logical, llen + len + 1);
                if (!nl) {
                        err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                        "%s:%zu: out of memory", path,
                                        lineno);
                        goto done;
                }
                logical = nl;
                memcpy(logical + llen, s, len);
                llen += len;
                logical[llen] = '\0';
                if (more)
                        continue;

                err = wt_load_line(cfg, path, first, logical, errstr,
                                   errstr_size);
                free(logical);
                logical = NULL;
                llen = 0;
                if (err)
                        goto done;
        }
        if (ferror(fp)) {
                err = wt_seterr(errstr, errstr_size, WT_ERR_IO, "%s: %s",
                                path, strerror(errno));
                goto done;
        }
        /* A continuation on the last line just ends the value. */
        if (logical)
                err = wt_load_line(cfg, path, first, logical, errstr,
                                   errstr_size);
done:
        free(logical);
        free(buf);
        return err;
}

/** 1 when topic is one of the input topics. */
static int wt_is_input(const wt_config_t *cfg, const char *topic) {
        size_t i;
        for (i = 0; i < cfg->ninput_topics; i++)
                if (!strcmp(cfg->input_topics[i], topic))
                        return 1;
        return 0;
}

/** The error for an output topic that is also an input topic. */
static wt_err_t wt_loop_err(const char *key, const char *topic,
                            char *errstr, size_t errstr_size) {
        return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                         "%s: topic \"%s\" is also in input.topics: "
                         "wiretag would consume its own output forever",
                         key, topic);
}

wt_err_t wt_config_finalize(wt_config_t *cfg, char *errstr,
                            size_t errstr_size) {
        const char *const bs_alias = "metadata.broker.list";
        char *base = (char *)cfg;
        size_t i;

        for (i = 0; i < WT_KEYS_CNT; i++) {
                const wt_key_t *k = &wt_keys[i];
                int unset;
                if (!k->required)
                        continue;
                unset = k->type == WT_KT_TOPICS
                                ? *(size_t *)(base + k->cnt_off) == 0
                                : *(char **)(base + k->off) == NULL;
                if (unset)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "%s is required (e.g. %s=%s)",
                                         k->name, k->name, k->example);
        }

        if (!wt_kafka_has(cfg, WT_SCOPE_CONSUMER, "bootstrap.servers",
                          bs_alias) ||
            !wt_kafka_has(cfg, WT_SCOPE_PRODUCER, "bootstrap.servers",
                          bs_alias))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "bootstrap.servers is required for both "
                                 "the consumer and the producer (e.g. "
                                 "bootstrap.servers=localhost:9092)");
        if (!wt_kafka_has(cfg, WT_SCOPE_CONSUMER, "group.id", NULL))
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "group.id is required: the consumer group "
                                 "that shares the input partitions and "
                                 "keeps the committed offsets "
                                 "(e.g. group.id=wiretag)");

        if (wt_is_input(cfg, cfg->output_topic))
                return wt_loop_err("output.topic", cfg->output_topic, errstr,
                                   errstr_size);
        if (wt_is_input(cfg, cfg->dlq_topic))
                return wt_loop_err("dlq.topic", cfg->dlq_topic, errstr,
                                   errstr_size);
        if (cfg->unlabeled_topic && wt_is_input(cfg, cfg->unlabeled_topic))
                return wt_loop_err("output.topic.unlabeled",
                                   cfg->unlabeled_topic, errstr,
                                   errstr_size);
        for (i = 0; i < cfg->nroutes; i++) {
                if (wt_is_input(cfg, cfg->routes[i].topic)) {
                        char key[300];
                        snprintf(key, sizeof(key), "route.%s",
                                 cfg->routes[i].label);
                        return wt_loop_err(key, cfg->routes[i].topic, errstr,
                                           errstr_size);
                }
        }

        if (cfg->workers == 0) {
                long n = sysconf(_SC_NPROCESSORS_ONLN);
                cfg->workers = n < 1 ? 1 : n > 1024 ? 1024 : (unsigned)n;
        }
        if (cfg->guarantee == WT_EXACTLY_ONCE && !cfg->instance_id) {
                char host[256];
                if (gethostname(host, sizeof(host)) || !host[0])
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "instance.id is required with "
                                         "processing.guarantee=exactly_once "
                                         "here (the host name is unknown)");
                host[sizeof(host) - 1] = '\0';
                if (!(cfg->instance_id = strdup(host)))
                        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                         "out of memory");
        }
        return WT_OK;
}
