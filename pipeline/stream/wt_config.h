/*
 * wiretag - wt_config.h: `wiretag run` configuration.
 *
 * A Kafka-style .properties file (key=value, '#' or '!' comments, blank
 * lines, surrounding whitespace trimmed) plus -X key=value overrides.
 * wiretag's own keys are one table (name, type, range, default,
 * description), validated in one place; that table also prints the
 * documented example config, so docs cannot drift. Every other key passes
 * through to librdkafka, as kcat does: "consumer.<key>" only to the
 * consumer, "producer.<key>" only to the producer, a bare key to both.
 * A key neither wiretag nor librdkafka knows stops start-up with a
 * message naming it.
 */
#ifndef WT_CONFIG_H
#define WT_CONFIG_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdio.h>

#include "wt_err.h"
#include "wt_log.h"

/** processing.guarantee */
typedef enum wt_guarantee {
        WT_AT_LEAST_ONCE = 0,
        WT_EXACTLY_ONCE = 1,
} wt_guarantee_t;

/** output.error.policy: where an input goes when the broker refuses one
 *  of its outputs for good. */
typedef enum wt_output_policy {
        WT_OUTPUT_POLICY_DLQ = 0,
        WT_OUTPUT_POLICY_STOP = 1,
} wt_output_policy_t;

/** input.format: what a message value is. */
typedef enum wt_input_format {
        WT_INPUT_FORMAT_JSON = 0,           /**< a JSON article */
        WT_INPUT_FORMAT_CONFLUENT_JSON = 1, /**< Schema Registry framing
                                             *   (magic byte 0, 4-byte
                                             *   schema id), then JSON */
} wt_input_format_t;

typedef struct wt_route {
        char *label;
        char *topic;
} wt_route_t;

typedef struct wt_kafka_prop {
        int scope;  /**< 0 both, 1 consumer only, 2 producer only */
        char *key;  /**< without the consumer./producer. prefix */
        char *value;
} wt_kafka_prop_t;

typedef struct wt_config {
        char *model_path;          /**< model.path (required) */
        int model_watch;           /**< model.watch: reload on change */
        char *input_fields;        /**< input.fields, NULL = model's */
        char **input_topics;       /**< input.topics (required, list) */
        size_t ninput_topics;
        char *output_topic;        /**< output.topic (required) */
        char *unlabeled_topic;     /**< output.topic.unlabeled, NULL off */
        char *dlq_topic;           /**< dlq.topic (required) */
        wt_route_t *routes;        /**< route.<label>=<topic> */
        size_t nroutes;
        unsigned workers;          /**< 0 = online CPUs */
        size_t input_max_bytes;    /**< input.max.bytes */
        size_t queue_max_messages; /**< in-flight messages bound */
        size_t queue_max_bytes;    /**< in-flight bytes bound */
        unsigned stats_interval_ms;    /**< log.stats.interval.ms, 0 off */
        unsigned shutdown_timeout_ms;  /**< shutdown.timeout.ms */
        wt_log_level_t log_level;  /**< log.level */
        char *metrics_listen;      /**< metrics.listen, NULL = off */
        wt_guarantee_t guarantee;  /**< processing.guarantee */
        unsigned commit_interval_ms; /**< processing.commit.interval.ms */
        char *instance_id;         /**< instance.id; finalize: host name */
        wt_output_policy_t output_policy; /**< output.error.policy */
        wt_kafka_prop_t *kafka;    /**< passthrough, in the order given */
        size_t nkafka;
        wt_log_format_t log_format; /**< log.format */
        wt_input_format_t input_format; /**< input.format */
        /** Keys whose value came through ${env:} or ${file:}, with the
         *  value as written (wt_config_providers.c). */
        struct wt_config_provided *provided;
        size_t nprovided;
} wt_config_t;

/** Defaults for every wiretag key; no Kafka properties. */
void wt_config_init(wt_config_t *cfg);

/** Release everything cfg owns. */
void wt_config_clear(wt_config_t *cfg);

/** Set one key (from the file or -X). wiretag keys are parsed and checked
 *  now; others are checked against librdkafka (consumer, producer or both)
 *  and kept. A later set of the same key replaces the earlier value. */
wt_err_t wt_config_set(wt_config_t *cfg, const char *key, const char *value,
                       char *errstr, size_t errstr_size);

/** wt_config_set() after expanding ${env:NAME} and ${file:/path} in
 *  value (wt_config_providers.c). An unset variable or unreadable file
 *  is an error naming key and the reference, never a value; an error
 *  about the expanded value shows the reference in its place. The key is
 *  remembered, so wt_config_summary() prints the reference, not the
 *  value. The file loader and `run -X` set every key through this. */
wt_err_t wt_config_set_expanded(wt_config_t *cfg, const char *key,
                                const char *value, char *errstr,
                                size_t errstr_size);

/** Expand the references in value: *outp is NULL when there is none
 *  (value stands as it is), else the expanded copy, which the caller owns
 *  (and should wipe: it may hold a secret). */
wt_err_t wt_config_expand(const char *key, const char *value, char **outp,
                          char *errstr, size_t errstr_size);

/** The value as written (references unexpanded) when key's value came
 *  through a reference, else NULL. */
const char *wt_config_provided(const wt_config_t *cfg, const char *key);

/** Forget the provided keys; wt_config_clear() calls it. */
void wt_config_providers_clear(wt_config_t *cfg);

/** Read a .properties file; errors name file:line and the key. */
wt_err_t wt_config_load(wt_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size);

/** The same from an open stream; path only names it in errors. */
wt_err_t wt_config_load_fp(wt_config_t *cfg, FILE *fp, const char *path,
                           char *errstr, size_t errstr_size);

/** Check required keys and combinations once everything is set. */
wt_err_t wt_config_finalize(wt_config_t *cfg, char *errstr,
                            size_t errstr_size);

/** A librdkafka configuration for the consumer (for_consumer=1) or the
 *  producer: wiretag's required settings, then the passthrough properties
 *  of that scope. @remark the caller owns the result. */
rd_kafka_conf_t *wt_config_kafka_conf(const wt_config_t *cfg,
                                      int for_consumer, char *errstr,
                                      size_t errstr_size);

/** Print every wiretag key with its default and description, as a
 *  documented .properties file. */
void wt_config_print_doc(FILE *fp);

/** One-line summary for the start-up log: key=value for every wiretag
 *  key (from the key table, unset optional ones left out), then the
 *  passthrough properties, with no secrets: values whose key contains
 *  "password", "secret", "jaas" or "sasl.oauthbearer" are masked, and a
 *  value that came through ${env:} or ${file:} shows as written (the
 *  reference). A cut line ends in "...". */
void wt_config_summary(const wt_config_t *cfg, char *buf, size_t size);

#endif /* WT_CONFIG_H */
