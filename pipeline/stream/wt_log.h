/*
 * wiretag - wt_log.h: one line per event, to stderr, with a level.
 *
 * "2026-11-27T21:40:12.345Z INFO  assigned articles[0..5]"
 * @locality any thread; lines are written whole (one fprintf each).
 */
#ifndef WT_LOG_H
#define WT_LOG_H

/** log.level: a line is written when its level is at most the set one. */
typedef enum wt_log_level {
        WT_LOG_ERROR = 0,
        WT_LOG_WARN = 1,
        WT_LOG_INFO = 2,
        WT_LOG_DEBUG = 3,
} wt_log_level_t;

/** Lines below this level are dropped. */
void wt_log_set_level(wt_log_level_t level);
wt_log_level_t wt_log_get_level(void);

void wt_log(wt_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 2, 3)))
#endif
        ;

#define wt_log_error(...) wt_log(WT_LOG_ERROR, __VA_ARGS__)
#define wt_log_warn(...)  wt_log(WT_LOG_WARN, __VA_ARGS__)
#define wt_log_info(...)  wt_log(WT_LOG_INFO, __VA_ARGS__)
#define wt_log_debug(...) wt_log(WT_LOG_DEBUG, __VA_ARGS__)

#endif /* WT_LOG_H */
