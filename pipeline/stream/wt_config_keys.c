/*
 * wiretag - wt_config_keys.c: wiretag's own `wiretag run` keys.
 *
 * Every key is one row of wt_keys[]: defaults, parsing, range checks,
 * the required-key check, clearing, the namespaces of bare keys, the
 * start-up summary and the printed documentation all read it, so they
 * cannot disagree: a new key is one row. wt_key_set() is the one place a
 * value is parsed and checked.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Kafka's own limit on topic names (kafka.common.internals.Topic). */
#define WT_TOPIC_MAX 249

#define WT_FIELD(f) offsetof(wt_config_t, f), sizeof(((wt_config_t *)0)->f)

/* Indexed by wt_log_level_t. */
static const char *const wt_log_level_names[] = {"error", "warn", "info",
                                                 "debug", NULL};
/* Indexed by wt_guarantee_t and wt_output_policy_t. */
static const char *const wt_guarantee_names[] = {"at_least_once",
                                                 "exactly_once", NULL};
static const char *const wt_policy_names[] = {"dlq", "stop", NULL};
/* Indexed by wt_log_format_t and wt_input_format_t. */
static const char *const wt_log_format_names[] = {"text", "json", NULL};
static const char *const wt_input_format_names[] = {"json", "confluent-json",
                                                    NULL};

const wt_key_t wt_keys[] = {
        {"model.path", WT_KT_STR, 1, 0, 0, NULL, "models/model.wtm",
         "Model file (made by `wiretag train`) to classify with. SIGHUP\n"
         "loads it again and swaps it in between messages; a model that\n"
         "fails to load is refused and the current one keeps serving.\n"
         "Replace the file by rename, never by writing it in place.",
         WT_FIELD(model_path), 0, NULL},
        {"model.watch", WT_KT_BOOL, 0, 0, 0, "false", NULL,
         "true: also reload model.path when the file changes (checked\n"
         "every second: its inode, size or modification time), as on\n"
         "SIGHUP.",
         WT_FIELD(model_watch), 0, NULL},
        {"input.fields", WT_KT_FIELDS, 0, 0, 0, NULL, "title,text",
         "JSON string fields of each article whose text is classified, in\n"
         "order, comma separated. Unset or empty: the fields the model was\n"
         "trained on (usually what you want).",
         WT_FIELD(input_fields), 0, NULL},
        {"input.format", WT_KT_ENUM, 0, 0, 0, "json", NULL,
         "json: each message value is a JSON article. confluent-json: the\n"
         "Confluent Schema Registry framing (magic byte 0, 4-byte schema\n"
         "id), then the JSON article; the framing is dropped from the\n"
         "outputs. With json, a framed message is dead-lettered with an\n"
         "error that says so.",
         WT_FIELD(input_format), 0, wt_input_format_names},
        {"input.topics", WT_KT_TOPICS, 1, 0, 0, NULL, "articles",
         "Topics to consume articles from, comma separated; each message\n"
         "value is one JSON article.",
         WT_FIELD(input_topics), offsetof(wt_config_t, ninput_topics), NULL},
        {"output.topic", WT_KT_TOPIC, 1, 0, 0, NULL, "articles.labeled",
         "Topic every classified article is published to, with a\n"
         "\"wiretag\" object (its labels) added.",
         WT_FIELD(output_topic), 0, NULL},
        {"output.topic.unlabeled", WT_KT_TOPIC, 0, 0, 0, NULL,
         "articles.unlabeled",
         "Topic that also gets every article that carries no label. Unset or\n"
         "empty: off.",
         WT_FIELD(unlabeled_topic), 0, NULL},
        {"dlq.topic", WT_KT_TOPIC, 1, 0, 0, NULL, "articles.dlq",
         "Dead-letter topic: the original bytes of every input that cannot\n"
         "be classified (not JSON, no text field, bad UTF-8, too large),\n"
         "with the reason in its headers, so one bad message never stops\n"
         "the stream.",
         WT_FIELD(dlq_topic), 0, NULL},
        {"route.", WT_KT_ROUTE, 0, 0, 0, NULL,
         "military_action=articles.military_action",
         "route.<label>=<topic>: also publish every article carrying <label>\n"
         "to <topic>. Any number of routes; each label must be one of the\n"
         "model's labels (checked at start-up). Setting a route again\n"
         "replaces it; an empty topic removes it.",
         WT_FIELD(routes), offsetof(wt_config_t, nroutes), NULL},
        {"workers", WT_KT_UINT, 0, 0, 1024, "0", NULL,
         "Worker threads classifying articles; 0: one per online CPU.",
         WT_FIELD(workers), 0, NULL},
        {"input.max.bytes", WT_KT_UINT, 0, 1, 1073741824, "1000000", NULL,
         "Largest input message, in bytes; larger ones go to dlq.topic\n"
         "unparsed, which bounds the memory one article can take. The\n"
         "default leaves room for the wiretag object under the broker's\n"
         "default max.message.bytes (1048588); dlq.topic must accept\n"
         "records as large as the largest input: a dead letter it refuses\n"
         "stops wiretag, before that input's offset commits.",
         WT_FIELD(input_max_bytes), 0, NULL},
        {"queue.max.messages", WT_KT_UINT, 0, 1, 10000000, "10000", NULL,
         "Most input messages in flight (consumed, offset not yet stored).\n"
         "Consuming waits at this bound, so a slow broker or model cannot\n"
         "make wiretag buffer without limit.",
         WT_FIELD(queue_max_messages), 0, NULL},
        {"queue.max.bytes", WT_KT_UINT, 0, 1024, 17179869184ULL, "67108864",
         NULL,
         "Most input bytes in flight; consuming waits at this bound too.",
         WT_FIELD(queue_max_bytes), 0, NULL},
        {"log.stats.interval.ms", WT_KT_UINT, 0, 0, 86400000, "10000", NULL,
         "Log a line of stream counters (consumed, classified, dead-lettered,\n"
         "in flight...) this often; 0: never.",
         WT_FIELD(stats_interval_ms), 0, NULL},
        {"shutdown.timeout.ms", WT_KT_UINT, 0, 100, 600000, "30000", NULL,
         "On SIGINT/SIGTERM, how long to finish in-flight articles and flush\n"
         "the producer before the rest is abandoned uncommitted (it is\n"
         "consumed again after a restart: at-least-once).",
         WT_FIELD(shutdown_timeout_ms), 0, NULL},
        {"log.level", WT_KT_ENUM, 0, 0, 0, "info", NULL,
         "Least severe log lines written to stderr.",
         WT_FIELD(log_level), 0, wt_log_level_names},
        {"log.format", WT_KT_ENUM, 0, 0, 0, "text", NULL,
         "text: one line per event, \"TIME LEVEL message\". json: one JSON\n"
         "object per line, {\"time\", \"level\", \"message\"} and the\n"
         "event's fields (e.g. librdkafka's \"client\" and \"facility\"),\n"
         "for log shippers. Secrets are masked either way.",
         WT_FIELD(log_format), 0, wt_log_format_names},
        {"processing.guarantee", WT_KT_ENUM, 0, 0, 0, "at_least_once", NULL,
         "at_least_once: an input offset commits once every output of the\n"
         "message is acknowledged; a crash can publish a message's outputs\n"
         "twice, never lose them.\n"
         "exactly_once: outputs (labeled, per-label, unlabeled and dead\n"
         "letters) and input offsets commit together in Kafka transactions,\n"
         "every processing.commit.interval.ms and when partitions move, so\n"
         "a read_committed consumer sees each input's outputs once, across\n"
         "crashes and rebalances. Needs brokers with transactions (Kafka\n"
         "2.5+) and a distinct instance.id per running instance.",
         WT_FIELD(guarantee), 0, wt_guarantee_names},
        {"processing.commit.interval.ms", WT_KT_UINT, 0, 10, 600000, "1000",
         NULL,
         "exactly_once: how often the open transaction commits. Records\n"
         "become visible to read_committed consumers when it does, so this\n"
         "bounds their latency; shorter costs throughput (each commit waits\n"
         "for every output in flight).",
         WT_FIELD(commit_interval_ms), 0, NULL},
        {"instance.id", WT_KT_STR, 0, 0, 0, NULL, "wiretag-1",
         "exactly_once: this instance's name, unique in the group and\n"
         "stable across its restarts: transactional.id is\n"
         "wiretag-<group.id>-<instance.id>, so a restarted instance aborts\n"
         "what its previous life left open, and a second process with the\n"
         "same id fences (stops) the first. Unset: the host name.",
         WT_FIELD(instance_id), 0, NULL},
        {"output.error.policy", WT_KT_ENUM, 0, 0, 0, "dlq", NULL,
         "When the broker refuses an output record for good (too large for\n"
         "the topic, topic deleted or unknown, not authorized, invalid):\n"
         "dlq: publish the input to dlq.topic instead (wiretag-error\n"
         "output_refused, naming the topic and the broker's error) and go\n"
         "on; stop: stop wiretag (exit status 1). Either way the input's\n"
         "offset never commits before its dead letter or outputs are\n"
         "acknowledged. Any other produce failure (e.g. message.timeout.ms\n"
         "spent while the broker was unreachable) stops wiretag; with\n"
         "exactly_once it aborts the transaction instead, and its inputs\n"
         "are processed again.",
         WT_FIELD(output_policy), 0, wt_policy_names},
        {"metrics.listen", WT_KT_STR, 0, 0, 0, NULL, "127.0.0.1:9464",
         "Serve GET /metrics (Prometheus text format: messages consumed,\n"
         "classified, dead-lettered by error code, produced, committed, in\n"
         "flight, records per output topic, tags per label,\n"
         "classification time, rebalances, model and reloads, transactions,\n"
         "consumer lag per partition and producer batch sizes) and\n"
         "GET /healthz (200 while serving, else 503) on\n"
         "this IPv4 HOST:PORT. Unset: no HTTP server.",
         WT_FIELD(metrics_listen), 0, NULL},
};

const size_t wt_keys_cnt = sizeof(wt_keys) / sizeof(wt_keys[0]);

/** Copy of s[0..len), NUL-terminated; NULL when out of memory. */
static char *wt_strndup(const char *s, size_t len) {
        char *d = malloc(len + 1);
        if (!d)
                return NULL;
        memcpy(d, s, len);
        d[len] = '\0';
        return d;
}

/** Whitespace as .properties files mean it (no locale). */
static int wt_isspace(int c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' ||
               c == '\f' || c == '\v';
}

/** Narrow [*s, *s + *len) to its non-whitespace middle. */
void wt_trim(const char **s, size_t *len) {
        while (*len > 0 && wt_isspace((unsigned char)**s)) {
                (*s)++;
                (*len)--;
        }
        while (*len > 0 && wt_isspace((unsigned char)(*s)[*len - 1]))
                (*len)--;
}

/** 1 when s[0..len) is a name Kafka accepts for a topic. */
static int wt_topic_valid(const char *s, size_t len) {
        size_t i;
        if (len < 1 || len > WT_TOPIC_MAX)
                return 0;
        if ((len == 1 && s[0] == '.') ||
            (len == 2 && s[0] == '.' && s[1] == '.'))
                return 0;
        for (i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                      c == '-'))
                        return 0;
        }
        return 1;
}

/** The error for a bad topic name: key, value (cut at 300) and rule. */
static wt_err_t wt_bad_topic(const char *key, const char *s, size_t len,
                             char *errstr, size_t errstr_size) {
        return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                         "%s: \"%.*s\" is not a valid Kafka topic name "
                         "(1..%d characters from [A-Za-z0-9._-], "
                         "not \".\" or \"..\")",
                         key, (int)(len > 300 ? 300 : len), s, WT_TOPIC_MAX);
}

/** Parse a plain decimal integer: digits only, so "-1", "1k", " 1" and
 *  "" fail (strtoull would wrap "-1" and skip blanks).
 *  @returns 0 ok, -1 not a number, -2 too large for 64 bits. */
static int wt_parse_u64(const char *s, uint64_t *out) {
        uint64_t v = 0;
        if (!*s)
                return -1;
        for (; *s; s++) {
                unsigned d;
                if (*s < '0' || *s > '9')
                        return -1;
                d = (unsigned)(*s - '0');
                if (v > (UINT64_MAX - d) / 10) {
                        /* Keep scanning: junk after the digits is the
                         * better message. */
                        while (*s >= '0' && *s <= '9')
                                s++;
                        return *s ? -1 : -2;
                }
                v = v * 10 + d;
        }
        *out = v;
        return 0;
}

/** Free a list of n strings and the array. */
static void wt_strv_free(char **v, size_t n) {
        size_t i;
        for (i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

/** Split a comma list into trimmed, non-empty, distinct elements; topics
 *  are also checked as topic names. On success *vp owns the copies. */
static wt_err_t wt_split_list(const char *key, const char *value,
                              int topics, char ***vp, size_t *np,
                              char *errstr, size_t errstr_size) {
        char **v;
        size_t n = 0, cap = 1, i;
        const char *p;
        wt_err_t err;

        for (p = value; *p; p++)
                cap += *p == ',';
        if (!(v = calloc(cap, sizeof(*v))))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);

        for (p = value;;) {
                const char *e = strchr(p, ',');
                const char *s = p;
                size_t len = e ? (size_t)(e - p) : strlen(p);
                wt_trim(&s, &len);
                if (len == 0) {
                        err = wt_seterr(errstr, errstr_size,
                                        WT_ERR_INVALID_ARG,
                                        "%s: \"%s\" has an empty element "
                                        "(expected a comma-separated list)",
                                        key, value);
                        goto fail;
                }
                if (topics && !wt_topic_valid(s, len)) {
                        err = wt_bad_topic(key, s, len, errstr, errstr_size);
                        goto fail;
                }
                for (i = 0; i < n; i++) {
                        if (strlen(v[i]) == len && !memcmp(v[i], s, len)) {
                                err = wt_seterr(errstr, errstr_size,
                                                WT_ERR_INVALID_ARG,
                                                "%s: \"%.*s\" is listed "
                                                "twice",
                                                key, (int)len, s);
                                goto fail;
                        }
                }
                if (!(v[n] = wt_strndup(s, len))) {
                        err = wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                        "%s: out of memory", key);
                        goto fail;
                }
                n++;
                if (!e)
                        break;
                p = e + 1;
        }
        *vp = v;
        *np = n;
        return WT_OK;

fail:
        wt_strv_free(v, n);
        return err;
}

/** Join v[0..n) with commas into a new string; NULL when out of memory. */
static char *wt_strv_join(char **v, size_t n) {
        size_t i, len = 0;
        char *s, *p;
        for (i = 0; i < n; i++)
                len += strlen(v[i]) + 1;
        if (!(s = malloc(len ? len : 1)))
                return NULL;
        p = s;
        *p = '\0';
        for (i = 0; i < n; i++) {
                size_t l = strlen(v[i]);
                if (i > 0)
                        *p++ = ',';
                memcpy(p, v[i], l + 1);
                p += l;
        }
        return s;
}

/** Replace the string field *fieldp with a copy of value (NULL: unset). */
static wt_err_t wt_set_str(const char *key, char **fieldp, const char *value,
                           char *errstr, size_t errstr_size) {
        char *d = NULL;
        if (value && !(d = strdup(value)))
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        free(*fieldp);
        *fieldp = d;
        return WT_OK;
}

/** Set, replace or (empty topic) remove route.<label>. */
static wt_err_t wt_set_route(wt_config_t *cfg, const char *key,
                             const char *label, const char *topic,
                             char *errstr, size_t errstr_size) {
        size_t i;
        char *l, *t;
        wt_route_t *r;

        if (!*label)
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: route needs a label "
                                 "(route.<label>=<topic>)",
                                 key);

        for (i = 0; i < cfg->nroutes; i++)
                if (!strcmp(cfg->routes[i].label, label))
                        break;

        if (!*topic) {
                if (i < cfg->nroutes) {
                        free(cfg->routes[i].label);
                        free(cfg->routes[i].topic);
                        memmove(&cfg->routes[i], &cfg->routes[i + 1],
                                (cfg->nroutes - i - 1) *
                                        sizeof(*cfg->routes));
                        cfg->nroutes--;
                }
                return WT_OK;
        }
        if (!wt_topic_valid(topic, strlen(topic)))
                return wt_bad_topic(key, topic, strlen(topic), errstr,
                                    errstr_size);

        if (i < cfg->nroutes)
                return wt_set_str(key, &cfg->routes[i].topic, topic, errstr,
                                  errstr_size);

        r = realloc(cfg->routes, (cfg->nroutes + 1) * sizeof(*r));
        if (!r)
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        cfg->routes = r;
        l = strdup(label);
        t = strdup(topic);
        if (!l || !t) {
                free(l);
                free(t);
                return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                 "%s: out of memory", key);
        }
        r[cfg->nroutes].label = l;
        r[cfg->nroutes].topic = t;
        cfg->nroutes++;
        return WT_OK;
}

/**
 * The one validation function: parse value for table key k and store it.
 * key is the full key as given (differs from k->name for routes).
 * On error cfg is unchanged and the message names key and value.
 */
wt_err_t wt_key_set(wt_config_t *cfg, const wt_key_t *k,
                           const char *key, const char *value, char *errstr,
                           size_t errstr_size) {
        char *base = (char *)cfg;
        wt_err_t err;

        switch (k->type) {
        case WT_KT_STR:
                if (!*value)
                        return wt_seterr(errstr, errstr_size,
                                         WT_ERR_INVALID_ARG,
                                         "%s: must not be empty", key);
                return wt_set_str(key, (char **)(base + k->off), value,
                                  errstr, errstr_size);

        case WT_KT_TOPIC:
                if (!*value && !k->required) /* empty: back to unset */
                        return wt_set_str(key, (char **)(base + k->off),
                                          NULL, errstr, errstr_size);
                if (!wt_topic_valid(value, strlen(value)))
                        return wt_bad_topic(key, value, strlen(value), errstr,
                                            errstr_size);
                return wt_set_str(key, (char **)(base + k->off), value,
                                  errstr, errstr_size);

        case WT_KT_FIELDS:
        case WT_KT_TOPICS: {
                char **v = NULL, *joined;
                size_t n = 0;
                if (!*value && !k->required)
                        return wt_set_str(key, (char **)(base + k->off),
                                          NULL, errstr, errstr_size);
                if ((err = wt_split_list(key, value, k->type == WT_KT_TOPICS,
                                         &v, &n, errstr, errstr_size)))
                        return err;
                if (k->type == WT_KT_TOPICS) {
                        char ***vp = (char ***)(base + k->off);
                        size_t *np = (size_t *)(base + k->cnt_off);
                        wt_strv_free(*vp, *np);
                        *vp = v;
                        *np = n;
                        return WT_OK;
                }
                /* Stored normalised ("a,b"), so readers split on ','
                 * without trimming. */
                joined = wt_strv_join(v, n);
                wt_strv_free(v, n);
                if (!joined)
                        return wt_seterr(errstr, errstr_size, WT_ERR_NOMEM,
                                         "%s: out of memory", key);
                free(*(char **)(base + k->off));
                *(char **)(base + k->off) = joined;
                return WT_OK;
        }

        case WT_KT_UINT: {
                uint64_t v, max = k->max;
                int r;
                /* A 32-bit size_t cannot hold every range. */
                if (k->size == sizeof(unsigned) && max > UINT_MAX)
                        max = UINT_MAX;
                if (k->size == sizeof(size_t) && max > SIZE_MAX)
                        max = SIZE_MAX;
                r = wt_parse_u64(value, &v);
                if (r == -1)
                        return wt_seterr(
                                errstr, errstr_size, WT_ERR_INVALID_ARG,
                                "%s: \"%s\" is not a plain decimal integer "
                                "in %llu..%llu",
                                key, value, (unsigned long long)k->min,
                                (unsigned long long)max);
                if (r == -2 || v < k->min || v > max)
                        return wt_seterr(
                                errstr, errstr_size, WT_ERR_INVALID_ARG,
                                "%s: %s is out of range %llu..%llu", key,
                                value, (unsigned long long)k->min,
                                (unsigned long long)max);
                if (k->size == sizeof(size_t))
                        *(size_t *)(base + k->off) = (size_t)v;
                else
                        *(unsigned *)(base + k->off) = (unsigned)v;
                return WT_OK;
        }

        case WT_KT_ENUM: {
                char list[256];
                size_t off = 0;
                int i;
                for (i = 0; k->names[i]; i++) {
                        if (!strcmp(value, k->names[i])) {
                                *(int *)(base + k->off) = i;
                                return WT_OK;
                        }
                }
                list[0] = '\0';
                for (i = 0; k->names[i] && off < sizeof(list); i++)
                        off += (size_t)snprintf(list + off, sizeof(list) - off,
                                                "%s%s", i ? ", " : "",
                                                k->names[i]);
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: \"%s\" is not one of %s", key, value,
                                 list);
        }

        case WT_KT_BOOL:
                if (!strcmp(value, "true") || !strcmp(value, "false")) {
                        *(int *)(base + k->off) = value[0] == 't';
                        return WT_OK;
                }
                return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                                 "%s: \"%s\" is not true or false", key,
                                 value);

        case WT_KT_ROUTE:
                return wt_set_route(cfg, key, key + strlen(k->name), value,
                                    errstr, errstr_size);
        }
        return wt_seterr(errstr, errstr_size, WT_ERR_INVALID_ARG,
                         "%s: unhandled key type", key);
}

/** The table entry for key, or NULL. */
const wt_key_t *wt_key_find(const char *key) {
        size_t i;
        for (i = 0; i < WT_KEYS_CNT; i++) {
                const wt_key_t *k = &wt_keys[i];
                if (k->type == WT_KT_ROUTE
                        ? !strncmp(key, k->name, strlen(k->name))
                        : !strcmp(key, k->name))
                        return k;
        }
        return NULL;
}

/** 1 when a bare key lies in a wiretag namespace: the first component
 *  of a table key, dot included ("queue."), or a whole one-word key
 *  ("workers"). A typo there ("queue.max.msgs") is reported as an unknown
 *  wiretag key, not as a librdkafka property; librdkafka's own properties
 *  that share a prefix (queue.buffering.max.messages) still pass, since
 *  librdkafka is asked first. */
int wt_in_namespace(const char *key) {
        size_t i;
        for (i = 0; i < WT_KEYS_CNT; i++) {
                const char *name = wt_keys[i].name;
                const char *dot = strchr(name, '.');
                size_t len = dot ? (size_t)(dot - name) + 1 : strlen(name);
                if (!strncmp(key, name, len))
                        return 1;
        }
        return 0;
}

void wt_config_init(wt_config_t *cfg) {
        size_t i;
        memset(cfg, 0, sizeof(*cfg));
        /* Defaults go through the parser, so the documented default text
         * is by construction the value applied. None allocates or can
         * fail (a test checks the doc's defaults load). */
        for (i = 0; i < WT_KEYS_CNT; i++)
                if (wt_keys[i].def)
                        (void)wt_key_set(cfg, &wt_keys[i], wt_keys[i].name,
                                         wt_keys[i].def, NULL, 0);
}

void wt_config_clear(wt_config_t *cfg) {
        char *base = (char *)cfg;
        size_t i, j;
        for (i = 0; i < WT_KEYS_CNT; i++) {
                const wt_key_t *k = &wt_keys[i];
                switch (k->type) {
                case WT_KT_STR:
                case WT_KT_FIELDS:
                case WT_KT_TOPIC:
                        free(*(char **)(base + k->off));
                        break;
                case WT_KT_TOPICS:
                        wt_strv_free(*(char ***)(base + k->off),
                                     *(size_t *)(base + k->cnt_off));
                        break;
                case WT_KT_ROUTE: {
                        wt_route_t *r = *(wt_route_t **)(base + k->off);
                        size_t n = *(size_t *)(base + k->cnt_off);
                        for (j = 0; j < n; j++) {
                                free(r[j].label);
                                free(r[j].topic);
                        }
                        free(r);
                        break;
                }
                case WT_KT_UINT:
                case WT_KT_ENUM:
                case WT_KT_BOOL:
                        break;
                }
        }
        for (i = 0; i < cfg->nkafka; i++) {
                free(cfg->kafka[i].key);
                free(cfg->kafka[i].value);
        }
        free(cfg->kafka);
        wt_config_providers_clear(cfg);
        memset(cfg, 0, sizeof(*cfg));
}
