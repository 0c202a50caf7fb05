/*
 * wiretag - wt_config_kafka.c: the librdkafka half of `wiretag run`'s
 * configuration.
 *
 * The librdkafka properties wiretag sets itself are tables
 * (wt_rk_defaults[], wt_rk_controlled[], wt_rk_eos[]), read both by the
 * code that sets and refuses them and by the documentation. Every key
 * that is not wiretag's own is a librdkafka property; it is checked by
 * handing it to a throwaway rd_kafka_conf_t, the same call the real
 * clients get later, so a typo stops start-up with librdkafka's own
 * words instead of a warning in the log.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config_int.h"

#include <stdlib.h>
#include <string.h>

/* A librdkafka property wiretag sets on one client. */
typedef struct wt_rk_set {
        int client; /* WT_SCOPE_CONSUMER or WT_SCOPE_PRODUCER */
        const char *key, *value;
} wt_rk_set_t;

/* Set before the user's properties, so any may be overridden. */
static const wt_rk_set_t wt_rk_defaults[] = {
        {WT_SCOPE_CONSUMER, "enable.auto.commit", "true"},
        {WT_SCOPE_CONSUMER, "auto.commit.interval.ms", "1000"},
        {WT_SCOPE_CONSUMER, "partition.assignment.strategy",
         "cooperative-sticky"},
        {WT_SCOPE_CONSUMER, "auto.offset.reset", "earliest"},
        {WT_SCOPE_PRODUCER, "acks", "all"},
        {WT_SCOPE_PRODUCER, "linger.ms", "5"},
        /* Dead letters carry inputs of any size: let the broker's
         * max.message.bytes decide, not a client-side 1 MB. */
        {WT_SCOPE_PRODUCER, "message.max.bytes", "67108864"},
};

/* exactly_once: offsets commit inside the producer's transactions; the
 * input may itself come from transactions. (transactional.id is made
 * from group.id and instance.id.) */
static const wt_rk_set_t wt_rk_eos[] = {
        {WT_SCOPE_CONSUMER, "enable.auto.commit", "false"},
        {WT_SCOPE_CONSUMER, "isolation.level", "read_committed"},
};

/* A librdkafka property wiretag controls: wt_config_set refuses it, and
 * (forced) it is set again after the user's properties, since the struct
 * is public: at-least-once rests on these. */
typedef struct wt_rk_controlled {
        int scope;           /* where it is refused: WT_SCOPE_BOTH under
                              * any prefix; CONSUMER (PRODUCER): bare or
                              * with that client's prefix */
        const char *key;
        const char *refused; /* the value refused, as librdkafka reads it
                              * back; NULL: any value */
        int client;          /* the client forced is set on */
        const char *forced;  /* NULL: none */
        const char *why;     /* the error, after "<key>: " */
        const char *doc;     /* --print-config; '\n' continues the line */
} wt_rk_controlled_t;

static const wt_rk_controlled_t wt_rk_controlled[] = {
        {WT_SCOPE_BOTH, "enable.auto.offset.store", NULL, WT_SCOPE_CONSUMER,
         "false",
         "wiretag controls this: it stores each input offset itself, only "
         "once every output of the message is acknowledged "
         "(at-least-once), so it must stay false",
         "wiretag stores each offset once every\n"
         "output of its message is acknowledged (at-least-once)"},
        {WT_SCOPE_CONSUMER, "enable.partition.eof", NULL, WT_SCOPE_CONSUMER,
         "false",
         "wiretag controls this consumer property: the stream never ends "
         "at a partition's end, so it stays false",
         "the stream has no end"},
        {WT_SCOPE_PRODUCER, "enable.idempotence", "false", WT_SCOPE_PRODUCER,
         "true",
         "wiretag needs the idempotent producer: at-least-once delivery "
         "retries, and only idempotence keeps per-partition order (and no "
         "duplicates) across retries",
         "only idempotence keeps\nper-partition order across retries"},
        {WT_SCOPE_PRODUCER, "transactional.id", NULL, 0, NULL,
         "wiretag controls this: set processing.guarantee=exactly_once "
         "(and instance.id); the transactional.id is "
         "wiretag-<group.id>-<instance.id>",
         "set by exactly_once from group.id\nand instance.id"},
};

/** 1 when controlled property c is key, set in passthrough scope. */
static int wt_rk_refuses(const wt_rk_controlled_t *c, int scope,
                         const char *key) {
        if (strcmp(key, c->key))
                return 0;
        return c->scope == WT_SCOPE_BOTH || scope == WT_SCOPE_BOTH ||
               scope == c->scope;
}

/** Check one passthrough property (key without scope prefix) against
 *  librdkafka and against the keys wiretag controls. fullkey is the key
 *  as the user wrote it, for messages. */
wt_err_t wt_kafka_check(int scope, const char *fullkey,
                               const char *key, const char *value,
                               char *errstr, size_t errstr_size) {
        char rkerr[512], v[64];
        rd_kafka_conf_t *conf;
        rd_kafka_conf_res_t res;
        size_t i;

        for (i = 0; i < WT_ARRAY_CNT(wt_rk_controlled); i++) {
                const wt_rk_controlled_t *c = &wt_rk_controlled[i];
                if (!c->refused && wt_rk_refuses(c, scope, key))
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG, "%s: %s",
                                         fullkey, c->why);
        }

        if (!(conf = rd_kafka_conf_new()))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", fullkey);
        res = rd_kafka_conf_set(conf, key, value, rkerr, sizeof(rkerr));
        if (res == RD_KAFKA_CONF_UNKNOWN && scope == WT_SCOPE_BOTH &&
            wt_in_namespace(key)) {
                rd_kafka_conf_destroy(conf);
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: unknown wiretag key", fullkey);
        }
        if (res != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(conf);
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: %s", fullkey, rkerr);
        }
        /* Read the value back, so every spelling librdkafka takes for
         * false ("0", "FALSE", ...) is caught. */
        for (i = 0; i < WT_ARRAY_CNT(wt_rk_controlled); i++) {
                const wt_rk_controlled_t *c = &wt_rk_controlled[i];
                size_t vsize = sizeof(v);
                if (c->refused && wt_rk_refuses(c, scope, key) &&
                    rd_kafka_conf_get(conf, key, v, &vsize) ==
                            RD_KAFKA_CONF_OK &&
                    !strcmp(v, c->refused)) {
                        rd_kafka_conf_destroy(conf);
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG, "%s: %s",
                                         fullkey, c->why);
                }
        }
        rd_kafka_conf_destroy(conf);
        return WT_OK;
}

/** Append (scope, key, value) to the passthrough list, first removing an
 *  earlier entry of the same scope and key: the latest set also applies
 *  last, after bare keys set in between. */
wt_err_t wt_kafka_put(wt_config_t *cfg, int scope, const char *key,
                             const char *value, char *errstr,
                             size_t errstr_size) {
        wt_kafka_prop_t *p;
        char *k = strdup(key), *v = strdup(value);
        size_t i;

        p = (k && v) ? realloc(cfg->kafka, (cfg->nkafka + 1) * sizeof(*p))
                     : NULL;
        if (!p) {
                free(k);
                free(v);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        }
        cfg->kafka = p;
        for (i = 0; i < cfg->nkafka; i++) {
                if (p[i].scope == scope && !strcmp(p[i].key, key)) {
                        free(p[i].key);
                        free(p[i].value);
                        memmove(&p[i], &p[i + 1],
                                (cfg->nkafka - i - 1) * sizeof(*p));
                        cfg->nkafka--;
                        break;
                }
        }
        p[cfg->nkafka].scope = scope;
        p[cfg->nkafka].key = k;
        p[cfg->nkafka].value = v;
        cfg->nkafka++;
        return WT_OK;
}

/** The passthrough value of key in scope, or NULL. */
static const char *wt_kafka_find(const wt_config_t *cfg, int scope,
                                 const char *key) {
        size_t i;
        for (i = 0; i < cfg->nkafka; i++)
                if (cfg->kafka[i].scope == scope &&
                    !strcmp(cfg->kafka[i].key, key))
                        return cfg->kafka[i].value;
        return NULL;
}

/** 1 when key (or its librdkafka alias alt) reaches the client of scope
 *  (WT_SCOPE_CONSUMER or WT_SCOPE_PRODUCER) through the passthrough. */
int wt_kafka_has(const wt_config_t *cfg, int scope, const char *key,
                        const char *alt) {
        return wt_kafka_find(cfg, WT_SCOPE_BOTH, key) ||
               wt_kafka_find(cfg, scope, key) ||
               (alt && (wt_kafka_find(cfg, WT_SCOPE_BOTH, alt) ||
                        wt_kafka_find(cfg, scope, alt)));
}

/* Where librdkafka's property list says a property belongs. */
typedef enum wt_rk_scope {
        WT_RK_ANY,      /* both, or not found: pass to both */
        WT_RK_CONSUMER, /* "C" */
        WT_RK_PRODUCER, /* "P" */
} wt_rk_scope_t;

/** Look name up in librdkafka's own property table (the C/P column of
 *  rd_kafka_conf_properties_show()), so a bare consumer-only property
 *  such as group.id is not handed to the producer, where librdkafka
 *  would log a CONFWARN about it on every start. Any failure: both. */
static wt_rk_scope_t wt_rk_scope(const char *table, const char *name) {
        size_t nlen = strlen(name);
        const char *p = table;
        while (p && *p) {
                const char *e = strchr(p, '\n');
                if (!strncmp(p, name, nlen) && p[nlen] == ' ') {
                        const char *c = strchr(p, '|');
                        if (c) {
                                c++;
                                while (*c == ' ')
                                        c++;
                                if (*c == 'C' && c[1] == ' ')
                                        return WT_RK_CONSUMER;
                                if (*c == 'P' && c[1] == ' ')
                                        return WT_RK_PRODUCER;
                        }
                        return WT_RK_ANY;
                }
                p = e ? e + 1 : NULL;
        }
        return WT_RK_ANY;
}

/** librdkafka's property table as text; NULL when it cannot be had. */
static char *wt_rk_table(void) {
        char *buf = NULL;
        size_t size = 0;
        FILE *fp = open_memstream(&buf, &size);
        if (!fp)
                return NULL;
        rd_kafka_conf_properties_show(fp);
        if (fclose(fp) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

/** rd_kafka_conf_set, with the client and key in the message. */
static int wt_conf_set(rd_kafka_conf_t *conf, int for_consumer,
                       const char *key, const char *value, char *errstr,
                       size_t errstr_size) {
        char rkerr[512];
        if (rd_kafka_conf_set(conf, key, value, rkerr, sizeof(rkerr)) ==
            RD_KAFKA_CONF_OK)
                return 0;
        wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG, "%s %s: %s",
                  for_consumer ? "consumer" : "producer", key, rkerr);
        return -1;
}

rd_kafka_conf_t *wt_config_kafka_conf(const wt_config_t *cfg,
                                      int for_consumer, char *errstr,
                                      size_t errstr_size) {
        int scope = for_consumer ? WT_SCOPE_CONSUMER : WT_SCOPE_PRODUCER;
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char *table = NULL;
        size_t i;

        if (!conf) {
                wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                          "out of memory");
                return NULL;
        }
        for (i = 0; i < WT_ARRAY_CNT(wt_rk_defaults); i++)
                if (wt_rk_defaults[i].client == scope &&
                    wt_conf_set(conf, for_consumer, wt_rk_defaults[i].key,
                                wt_rk_defaults[i].value, errstr,
                                errstr_size))
                        goto fail;

        for (i = 0; i < cfg->nkafka; i++) {
                const wt_kafka_prop_t *p = &cfg->kafka[i];
                if (p->scope != WT_SCOPE_BOTH && p->scope != scope)
                        continue;
                if (p->scope == WT_SCOPE_BOTH) {
                        wt_rk_scope_t s;
                        if (!table)
                                table = wt_rk_table();
                        s = table ? wt_rk_scope(table, p->key) : WT_RK_ANY;
                        if ((s == WT_RK_CONSUMER && !for_consumer) ||
                            (s == WT_RK_PRODUCER && for_consumer))
                                continue;
                }
                if (wt_conf_set(conf, for_consumer, p->key, p->value, errstr,
                                errstr_size))
                        goto fail;
        }

        for (i = 0; i < WT_ARRAY_CNT(wt_rk_controlled); i++) {
                const wt_rk_controlled_t *c = &wt_rk_controlled[i];
                if (c->forced && c->client == scope &&
                    wt_conf_set(conf, for_consumer, c->key, c->forced,
                                errstr, errstr_size))
                        goto fail;
        }
        if (cfg->guarantee == WT_EXACTLY_ONCE) {
                for (i = 0; i < WT_ARRAY_CNT(wt_rk_eos); i++)
                        if (wt_rk_eos[i].client == scope &&
                            wt_conf_set(conf, for_consumer, wt_rk_eos[i].key,
                                        wt_rk_eos[i].value, errstr,
                                        errstr_size))
                                goto fail;
                if (!for_consumer) {
                        char tid[1024];
                        const char *group =
                                wt_kafka_find(cfg, WT_SCOPE_CONSUMER,
                                              "group.id");
                        if (!group)
                                group = wt_kafka_find(cfg, WT_SCOPE_BOTH,
                                                      "group.id");
                        snprintf(tid, sizeof(tid), "wiretag-%s-%s",
                                 group ? group : "",
                                 cfg->instance_id ? cfg->instance_id : "");
                        if (wt_conf_set(conf, 0, "transactional.id", tid,
                                        errstr, errstr_size))
                                goto fail;
                }
        }

        free(table);
        return conf;

fail:
        free(table);
        rd_kafka_conf_destroy(conf);
        return NULL;
}

/** The librdkafka properties wiretag sets, refuses and forces, from
 *  their tables. */
void wt_config_doc_rk(FILE *fp) {
        static const char *const clients[] = {"", "consumer", "producer"};
        char text[1024], first[128];
        size_t i, pos;
        int c;

        fprintf(fp, "# wiretag sets these first, so they may be "
                    "overridden:\n");
        for (c = WT_SCOPE_CONSUMER; c <= WT_SCOPE_PRODUCER; c++) {
                pos = 0;
                text[0] = '\0';
                for (i = 0; i < WT_ARRAY_CNT(wt_rk_defaults); i++)
                        if (wt_rk_defaults[i].client == c)
                                pos += (size_t)snprintf(
                                        text + pos, sizeof(text) - pos,
                                        "%s%s=%s", pos ? ", " : "",
                                        wt_rk_defaults[i].key,
                                        wt_rk_defaults[i].value);
                snprintf(first, sizeof(first), "#   %s: ", clients[c]);
                wt_doc_fill(fp, first, "#     ", text);
        }
        fprintf(fp, "# wiretag controls these, and refuses them:\n");
        for (i = 0; i < WT_ARRAY_CNT(wt_rk_controlled); i++) {
                const wt_rk_controlled_t *k = &wt_rk_controlled[i];
                snprintf(first, sizeof(first), "#   %s%s%s%s%s: ",
                         clients[k->scope], k->scope ? " " : "", k->key,
                         k->refused ? "=" : "", k->refused ? k->refused : "");
                wt_doc_fill(fp, first, "#     ", k->doc);
        }
        pos = (size_t)snprintf(text, sizeof(text), "exactly_once also sets");
        for (i = 0; i < WT_ARRAY_CNT(wt_rk_eos); i++) {
                const wt_rk_set_t *e = &wt_rk_eos[i];
                const char *sep = i == 0 ? " "
                                  : i + 1 == WT_ARRAY_CNT(wt_rk_eos) ? " and "
                                                                     : ", ";
                int named = i == 0 || e->client != wt_rk_eos[i - 1].client;
                pos += (size_t)snprintf(text + pos, sizeof(text) - pos,
                                        "%s%s%s%s=%s", sep,
                                        named ? clients[e->client] : "",
                                        named ? " " : "", e->key, e->value);
        }
        snprintf(text + pos, sizeof(text) - pos, ".");
        wt_doc_fill(fp, "# ", "# ", text);
}

