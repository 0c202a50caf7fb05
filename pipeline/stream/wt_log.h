/*
 * wiretag - wt_log.h: one line per event, to stderr, with a level.
 *
 * log.format=text (the default):
 *   "2026-11-27T21:40:12.345Z INFO  assigned articles[0..5]"
 * log.format=json: one JSON object per line, for log shippers:
 *   {"time":"2026-11-27T21:40:12.345Z","level":"info",
 *    "message":"assigned articles[0..5]"}
 * plus the structured fields a call site has (wt_log_kv), e.g.
 * "client" and "facility" for librdkafka's lines.
 * @locality any thread; lines are written whole (one fwrite each).
 */
#ifndef WT_LOG_H
#define WT_LOG_H

#include <stdio.h>

/** log.level: a line is written when its level is at most the set one. */
typedef enum wt_log_level {
        WT_LOG_ERROR = 0,
        WT_LOG_WARN = 1,
        WT_LOG_INFO = 2,
        WT_LOG_DEBUG = 3,
} wt_log_level_t;

/** log.format */
typedef enum wt_log_format {
        WT_LOG_FORMAT_TEXT = 0,
        WT_LOG_FORMAT_JSON = 1,
} wt_log_format_t;

/** Lines below this level are dropped. */
void wt_log_set_level(wt_log_level_t level);
wt_log_level_t wt_log_get_level(void);

/** Text lines or JSON objects, from now on. */
void wt_log_set_format(wt_log_format_t format);

/** Where lines go (default, and NULL: stderr); for tests.
 *  @locality call before other threads log. */
void wt_log_set_stream(FILE *fp);

void wt_log(wt_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

/** As wt_log, with structured fields: fields is NULL or name, value, ...,
 *  NULL (strings). JSON lines carry them as members; text lines show the
 *  message alone, so the message should say the same in words. */
void wt_log_kv(wt_log_level_t level, const char *const *fields,
               const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

#define wt_log_error(...) wt_log(WT_LOG_ERROR, __VA_ARGS__)
#define wt_log_warn(...)  wt_log(WT_LOG_WARN, __VA_ARGS__)
#define wt_log_info(...)  wt_log(WT_LOG_INFO, __VA_ARGS__)
#define wt_log_debug(...) wt_log(WT_LOG_DEBUG, __VA_ARGS__)

#endif /* WT_LOG_H */
