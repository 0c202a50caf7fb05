/*
 * wiretag - wt_config_int.h: what the files of `wiretag run`'s
 * configuration share, and nothing else sees:
 *   wt_config.c        wt_config_set (the dispatch), the .properties
 *                      reader and wt_config_finalize
 *   wt_config_keys.c   wiretag's own key table, wt_keys[], and the one
 *                      function that parses and stores a key's value
 *   wt_config_kafka.c  the librdkafka half: the properties wiretag sets,
 *                      refuses and forces, the passthrough list and
 *                      wt_config_kafka_conf
 *   wt_config_doc.c    --print-config and the start-up summary, printed
 *                      from the tables
 */
#ifndef WT_CONFIG_INT_H
#define WT_CONFIG_INT_H

#include "wt_config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* The key table, in documentation order (wt_config_keys.c). */
extern const wt_key_t wt_keys[];
extern const size_t wt_keys_cnt;
#define WT_KEYS_CNT wt_keys_cnt

#define WT_ARRAY_CNT(a) (sizeof(a) / sizeof((a)[0]))

/* --- wt_config_keys.c */

/** Narrow [*s, *s + *len) to its non-whitespace middle. */
void wt_trim(const char **s, size_t *len);

/**
 * The one validation function: parse value for table key k and store it.
 * key is the full key as given (differs from k->name for routes).
 * On error cfg is unchanged and the message names key and value.
 */
wt_err_t wt_key_set(wt_config_t *cfg, const wt_key_t *k, const char *key,
                    const char *value, char *errstr, size_t errstr_size);

/** The table entry for key, or NULL. */
const wt_key_t *wt_key_find(const char *key);

/** 1 when a bare key lies in a wiretag namespace (see the definition). */
int wt_in_namespace(const char *key);

/* --- wt_config_kafka.c */

/** Check one passthrough property (key without scope prefix) against
 *  librdkafka and against the keys wiretag controls. fullkey is the key
 *  as the user wrote it, for messages. */
wt_err_t wt_kafka_check(int scope, const char *fullkey, const char *key,
                        const char *value, char *errstr, size_t errstr_size);

/** Append (scope, key, value) to the passthrough list, replacing an
 *  earlier entry of the same scope and key. */
wt_err_t wt_kafka_put(wt_config_t *cfg, int scope, const char *key,
                      const char *value, char *errstr, size_t errstr_size);

/** 1 when key (or its librdkafka alias alt) reaches the client of scope
 *  (WT_SCOPE_CONSUMER or WT_SCOPE_PRODUCER) through the passthrough. */
int wt_kafka_has(const wt_config_t *cfg, int scope, const char *key,
                 const char *alt);

/** --print-config: the librdkafka properties wiretag sets, refuses and
 *  forces, from their tables. */
void wt_config_doc_rk(FILE *fp);

/* --- wt_config_doc.c */

/** Print text as comment lines filled to the documentation width, the
 *  first line starting with first, the others with cont; a '\n' in text
 *  starts a new line. */
void wt_doc_fill(FILE *fp, const char *first, const char *cont,
                 const char *text);

#endif /* WT_CONFIG_INT_H */
