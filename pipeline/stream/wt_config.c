/*
 * wiretag - wt_config.c: `wiretag run` configuration.
 *
 * wiretag's own keys live in one table, wt_keys[]: defaults, parsing,
 * range checks, the required-key check, clearing, the namespaces of bare
 * keys, the start-up summary and the printed documentation all read it,
 * so they cannot disagree: a new key is one row. The librdkafka
 * properties wiretag sets itself are tables too (wt_rk_defaults[],
 * wt_rk_controlled[], wt_rk_eos[]), read both by the code that sets and
 * refuses them and by the documentation. Every other key is a librdkafka
 * property; it is checked by handing it to a throwaway rd_kafka_conf_t,
 * the same call the real clients get later, so a typo stops start-up
 * with librdkafka's own words instead of a warning in the log.
 */
#define _POSIX_C_SOURCE 200809L
#include "wt_config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Kafka's own limit on topic names (kafka.common.internals.Topic). */
#define WT_TOPIC_MAX 249

/* Passthrough scopes, as in wt_kafka_prop_t.scope. */
#define WT_SCOPE_BOTH     0
#define WT_SCOPE_CONSUMER 1
#define WT_SCOPE_PRODUCER 2

typedef enum wt_ktype {
        WT_KT_STR,    /* non-empty string */
        WT_KT_FIELDS, /* comma list of JSON field names, stored joined */
        WT_KT_TOPIC,  /* one Kafka topic name */
        WT_KT_TOPICS, /* comma list of Kafka topic names */
        WT_KT_UINT,   /* decimal integer in [min, max] */
        WT_KT_ENUM,   /* one of the key's names[], stored as its index */
        WT_KT_BOOL,   /* true or false */
        WT_KT_ROUTE,  /* route.<label>=<topic>: name is the prefix */
} wt_ktype_t;

/* One wiretag key. */
typedef struct wt_key {
        const char *name;    /* the key; for WT_KT_ROUTE its prefix */
        wt_ktype_t type;
        int required;        /* wt_config_finalize() fails when unset */
        uint64_t min, max;   /* WT_KT_UINT range, inclusive */
        const char *def;     /* default as text; NULL: unset */
        const char *example; /* doc value when there is no default */
        const char *desc;    /* doc text; '\n' starts a new comment line */
        size_t off;          /* the field in wt_config_t */
        size_t size;         /* sizeof that field (WT_KT_UINT) */
        size_t cnt_off;      /* WT_KT_TOPICS, WT_KT_ROUTE: the count field */
        const char *const *names; /* WT_KT_ENUM: the values, NULL-ended */
} wt_key_t;

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

static const wt_key_t wt_keys[] = {
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

#define WT_KEYS_CNT (sizeof(wt_keys) / sizeof(wt_keys[0]))

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

#define WT_ARRAY_CNT(a) (sizeof(a) / sizeof((a)[0]))

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
static void wt_trim(const char **s, size_t *len) {
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
static wt_err_t wt_key_set(wt_config_t *cfg, const wt_key_t *k,
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
static const wt_key_t *wt_key_find(const char *key) {
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
static int wt_in_namespace(const char *key) {
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
static wt_err_t wt_kafka_check(int scope, const char *fullkey,
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
static wt_err_t wt_kafka_put(wt_config_t *cfg, int scope, const char *key,
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
static int wt_kafka_has(const wt_config_t *cfg, int scope, const char *key,
                        const char *alt) {
        return wt_kafka_find(cfg, WT_SCOPE_BOTH, key) ||
               wt_kafka_find(cfg, scope, key) ||
               (alt && (wt_kafka_find(cfg, WT_SCOPE_BOTH, alt) ||
                        wt_kafka_find(cfg, scope, alt)));
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

/** Print text as "# " comment lines, one per '\n'-separated line. */
static void wt_doc_comment(FILE *fp, const char *text) {
        while (*text) {
                size_t len = strcspn(text, "\n");
                fprintf(fp, "# %.*s\n", (int)len, text);
                text += len;
                if (*text == '\n')
                        text++;
        }
}

/** Print one table key: description, type and default, then the key
 *  line, commented out unless the key is required. */
static void wt_doc_key(FILE *fp, const wt_key_t *k) {
        wt_doc_comment(fp, k->desc);
        switch (k->type) {
        case WT_KT_STR:
                fprintf(fp, "# Type: string.");
                break;
        case WT_KT_FIELDS:
                fprintf(fp, "# Type: comma-separated JSON field names.");
                break;
        case WT_KT_TOPIC:
        case WT_KT_ROUTE:
                fprintf(fp, "# Type: Kafka topic name.");
                break;
        case WT_KT_TOPICS:
                fprintf(fp, "# Type: comma-separated Kafka topic names.");
                break;
        case WT_KT_UINT:
                fprintf(fp, "# Type: integer, %llu .. %llu.",
                        (unsigned long long)k->min,
                        (unsigned long long)k->max);
                break;
        case WT_KT_BOOL:
                fprintf(fp, "# Type: true or false.");
                break;
        case WT_KT_ENUM: {
                int i;
                fprintf(fp, "# Type: one of");
                for (i = 0; k->names[i]; i++)
                        fprintf(fp, "%s %s", i ? "," : "", k->names[i]);
                fprintf(fp, ".");
                break;
        }
        }
        if (k->required)
                fprintf(fp, " Required.\n");
        else if (k->def)
                fprintf(fp, " Default: %s.\n", k->def);
        else
                fprintf(fp, " Default: unset.\n");

        if (k->type == WT_KT_ROUTE)
                fprintf(fp, "#%s%s\n", k->name, k->example);
        else
                fprintf(fp, "%s%s=%s\n", k->required ? "" : "#", k->name,
                        k->def ? k->def : k->example);
        fprintf(fp, "\n");
}

/* Comment lines are cut before this many characters. */
#define WT_DOC_WIDTH 73

/** Print text as comment lines: words (split at blanks) filled up to
 *  WT_DOC_WIDTH, the first line starting with first, the others with
 *  cont; a '\n' in text starts a new line. */
static void wt_doc_fill(FILE *fp, const char *first, const char *cont,
                        const char *text) {
        size_t col = (size_t)fprintf(fp, "%s", first);
        int start = 1;
        while (*text) {
                size_t len = strcspn(text, " \n");
                if (len) {
                        if (!start && col + 1 + len >= WT_DOC_WIDTH) {
                                col = (size_t)fprintf(fp, "\n%s", cont) - 1;
                                start = 1;
                        }
                        col += (size_t)fprintf(fp, "%s%.*s", start ? "" : " ",
                                               (int)len, text);
                        start = 0;
                }
                text += len;
                if (*text == '\n') {
                        col = (size_t)fprintf(fp, "\n%s", cont) - 1;
                        start = 1;
                }
                if (*text)
                        text++;
        }
        fprintf(fp, "\n");
}

/** The librdkafka properties wiretag sets, refuses and forces, from
 *  their tables. */
static void wt_doc_rk(FILE *fp) {
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

void wt_config_print_doc(FILE *fp) {
        size_t i;

        fprintf(fp,
                "# wiretag run configuration\n"
                "#\n"
                "# A line is key=value (or key: value); blank lines and lines "
                "starting\n"
                "# with '#' or '!' are skipped, whitespace around keys and "
                "values is\n"
                "# trimmed, and a line ending in a backslash continues on "
                "the next.\n"
                "# -X key=value on the command line sets or replaces any "
                "key.\n"
                "#\n"
                "# Printed from wiretag's key table, so every key and "
                "default here is\n"
                "# the one the code uses. Commented-out keys are optional "
                "and show\n"
                "# their default (or, without one, an example).\n"
                "\n"
                "## wiretag\n"
                "\n");
        for (i = 0; i < WT_KEYS_CNT; i++)
                wt_doc_key(fp, &wt_keys[i]);

        fprintf(fp,
                "## Kafka clients\n"
                "#\n"
                "# Every other key is a librdkafka property (librdkafka's\n"
                "# CONFIGURATION.md), passed through as kcat does:\n"
                "#   consumer.<property>  to the consumer only\n"
                "#   producer.<property>  to the producer only\n"
                "#   <property>           to both (a consumer-only or\n"
                "#                        producer-only one to that client\n"
                "#                        alone)\n"
                "# A property librdkafka does not know, or a bad value, "
                "stops start-up.\n"
                "#\n");
        wt_doc_rk(fp);
        fprintf(fp,
                "\n"
                "# Brokers. Required: bare, or both consumer. and "
                "producer.\n"
                "#bootstrap.servers=localhost:9092\n"
                "\n"
                "# Consumer group sharing the input partitions. Required: "
                "bare or\n"
                "# consumer.\n"
                "#group.id=wiretag\n"
                "\n"
                "# Examples.\n"
                "#security.protocol=plaintext\n"
                "#producer.compression.type=lz4\n"
                "#consumer.fetch.min.bytes=1\n");
}

/** Append printf output at *pos in buf[size), never past its end. */
static void wt_sum_add(char *buf, size_t size, size_t *pos,
                       const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;

static void wt_sum_add(char *buf, size_t size, size_t *pos,
                       const char *fmt, ...) {
        va_list ap;
        int n;
        if (*pos >= size)
                return;
        va_start(ap, fmt);
        n = vsnprintf(buf + *pos, size - *pos, fmt, ap);
        va_end(ap);
        if (n > 0)
                *pos += (size_t)n;
}

/** 1 when a property's value must not reach the log. */
static int wt_secret_key(const char *key) {
        return strstr(key, "password") || strstr(key, "secret") ||
               strstr(key, "jaas") || strstr(key, "sasl.oauthbearer");
}

/** Append " name=value" for table key k to the summary: every key, in
 *  table order; an unset optional one is left out, an unset required one
 *  shows "(unset)". */
static void wt_sum_key(char *buf, size_t size, size_t *pos,
                       const wt_config_t *cfg, const wt_key_t *k) {
        const char *base = (const char *)cfg;
        size_t i;

        if (k->type != WT_KT_ROUTE && wt_config_provided(cfg, k->name)) {
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           wt_config_provided(cfg, k->name));
                return;
        }
        switch (k->type) {
        case WT_KT_STR:
        case WT_KT_FIELDS:
        case WT_KT_TOPIC: {
                const char *v = *(char *const *)(base + k->off);
                if (v || k->required)
                        wt_sum_add(buf, size, pos, " %s=%s", k->name,
                                   v ? v : "(unset)");
                break;
        }
        case WT_KT_TOPICS: {
                char *const *v = *(char **const *)(base + k->off);
                size_t n = *(const size_t *)(base + k->cnt_off);
                if (!n && !k->required)
                        break;
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           n ? "" : "(unset)");
                for (i = 0; i < n; i++)
                        wt_sum_add(buf, size, pos, "%s%s", i ? "," : "",
                                   v[i]);
                break;
        }
        case WT_KT_ROUTE: {
                const wt_route_t *r = *(wt_route_t *const *)(base + k->off);
                size_t n = *(const size_t *)(base + k->cnt_off);
                for (i = 0; i < n; i++)
                        wt_sum_add(buf, size, pos, " %s%s=%s", k->name,
                                   r[i].label, r[i].topic);
                break;
        }
        case WT_KT_UINT:
                wt_sum_add(buf, size, pos, " %s=%llu", k->name,
                           k->size == sizeof(size_t)
                                   ? (unsigned long long)*(const size_t *)(
                                             base + k->off)
                                   : (unsigned long long)*(const unsigned *)(
                                             base + k->off));
                break;
        case WT_KT_ENUM: {
                int v = *(const int *)(base + k->off), n = 0;
                while (k->names[n])
                        n++;
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           v >= 0 && v < n ? k->names[v] : "?");
                break;
        }
        case WT_KT_BOOL:
                wt_sum_add(buf, size, pos, " %s=%s", k->name,
                           *(const int *)(base + k->off) ? "true" : "false");
                break;
        }
}

void wt_config_summary(const wt_config_t *cfg, char *buf, size_t size) {
        static const char *const scopes[] = {"", "consumer.", "producer."};
        size_t pos = 0, i;

        if (!buf || size == 0)
                return;
        buf[0] = '\0';
        for (i = 0; i < WT_KEYS_CNT; i++)
                wt_sum_key(buf, size, &pos, cfg, &wt_keys[i]);
        for (i = 0; i < cfg->nkafka; i++) {
                const wt_kafka_prop_t *p = &cfg->kafka[i];
                const char *sc = scopes[p->scope >= 0 && p->scope <= 2
                                                ? p->scope
                                                : 0];
                char full[512];
                snprintf(full, sizeof(full), "%s%s", sc, p->key);
                wt_sum_add(buf, size, &pos, " %s%s=%s", sc, p->key,
                           wt_secret_key(p->key)          ? "***"
                           : wt_config_provided(cfg, full) ? wt_config_provided(
                                                                     cfg, full)
                                                           : p->value);
        }
        /* No leading blank; mark a cut line, so a truncated summary is
         * not taken as whole. */
        if (pos > 0 && pos < size)
                memmove(buf, buf + 1, pos);
        else if (pos >= size && size > 4) {
                memmove(buf, buf + 1, size - 1);
                memcpy(buf + size - 4, "...", 4);
        }
}
