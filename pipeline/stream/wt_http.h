/*
 * wiretag - wt_http.h: the metrics and health endpoint of `wiretag run`.
 *
 * With metrics.listen=HOST:PORT, an HTTP server (libmicrohttpd, its own
 * thread) answers:
 *   GET /metrics  200, the stream's counters in Prometheus text format
 *   GET /healthz  200 "ok" while the stream serves, else 503 and why
 *   anything else 404 (405 for a method other than GET or HEAD).
 */
#ifndef WT_HTTP_H
#define WT_HTTP_H

#include <stddef.h>

#include "wt_err.h"
#include "wt_stream.h"

typedef struct wt_http_s wt_http_t;

/** Listen on "HOST:PORT" (an IPv4 address, or "localhost"; port 1..65535)
 *  and serve stream until wt_http_stop(). */
wt_err_t wt_http_start(const char *listen, wt_stream_t *stream,
                       wt_http_t **httpp, char *errstr, size_t errstr_size);

/** Stop serving and release everything; accepts NULL. */
void wt_http_stop(wt_http_t *http);

#endif /* WT_HTTP_H */
