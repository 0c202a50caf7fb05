/*
 * wiretag - cmd_run.c: `wiretag run`, the stream processor.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "wt_config.h"
#include "wt_http.h"
#include "wt_log.h"
#include "wt_stream.h"

static wt_stream_t *volatile wt_running;
static volatile sig_atomic_t wt_signals;

/* SIGHUP: reload the model. First SIGINT/SIGTERM: stop cleanly. Second:
 * exit at once. */
static void wt_on_signal(int sig) {
        if (sig == SIGHUP) {
                if (wt_running)
                        wt_stream_request_reload(wt_running);
                return;
        }
        if (wt_signals++ > 0)
                _exit(130);
        if (wt_running)
                wt_stream_stop(wt_running);
}

static void wt_run_usage(FILE *fp) {
        fprintf(fp,
                "Usage: wiretag run -c CONFIG.properties [-X key=value ...]\n"
                "       wiretag run --print-config\n"
                "\n"
                "Consumes articles from Kafka, classifies them and publishes "
                "labeled\n"
                "records, per-label copies and dead letters (see "
                "config/wiretag.properties).\n"
                "\n"
                "Options:\n"
                "  -c, --config FILE   .properties file\n"
                "  -X key=value        set or override one property "
                "(repeatable); keys\n"
                "                      wiretag does not own go to "
                "librdkafka, prefixed\n"
                "                      consumer. or producer. for one "
                "client only\n"
                "      --print-config  print every wiretag key with its "
                "default\n"
                "  -h, --help          this help\n"
                "\n"
                "SIGINT or SIGTERM stops cleanly (finish in-flight work, "
                "commit, leave the\n"
                "group); a second signal exits at once. SIGHUP loads "
                "model.path again and\n"
                "swaps it in between messages (a model that fails to load "
                "is refused and\n"
                "the current one keeps serving). Exit status: 0 clean stop, "
                "1 stopped\n"
                "on a fatal Kafka error, 2 usage, 3 could not start.\n");
}

int wt_cmd_run(int argc, char **argv) {
        const char *path = NULL;
        wt_config_t cfg;
        wt_stream_t *stream = NULL;
        wt_http_t *http = NULL;
        struct sigaction sa;
        char errstr[1024] = "", summary[2048] = "";
        int i, rc = WT_EXIT_USAGE;
        wt_err_t err;

        wt_config_init(&cfg);
        /* Two passes: the file first, then -X in order, so -X wins. */
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
                        wt_run_usage(stdout);
                        rc = WT_EXIT_OK;
                        goto done;
                } else if (!strcmp(argv[i], "--print-config")) {
                        wt_config_print_doc(stdout);
                        rc = WT_EXIT_OK;
                        goto done;
                } else if (!strcmp(argv[i], "-c") ||
                           !strcmp(argv[i], "--config")) {
                        if (++i == argc) {
                                wt_cli_error("run", "%s needs a file",
                                             argv[i - 1]);
                                goto done;
                        }
                        path = argv[i];
                } else if (!strcmp(argv[i], "-X")) {
                        if (++i == argc || !strchr(argv[i], '=')) {
                                wt_cli_error("run", "-X needs key=value");
                                goto done;
                        }
                } else {
                        wt_cli_error("run", "unexpected argument \"%s\" (see "
                                            "--help)",
                                     argv[i]);
                        goto done;
                }
        }
        rc = WT_EXIT_FAIL;
        if (path && wt_config_load(&cfg, path, errstr, sizeof(errstr))) {
                wt_cli_error("run", "%s", errstr);
                goto done;
        }
        for (i = 1; i < argc; i++) {
                if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) {
                        i++;
                } else if (!strcmp(argv[i], "-X")) {
                        char *kv = strdup(argv[++i]), *eq;
                        if (!kv)
                                goto done;
                        eq = strchr(kv, '=');
                        *eq = '\0';
                        err = wt_config_set_expanded(&cfg, kv, eq + 1,
                                                     errstr, sizeof(errstr));
                        free(kv);
                        if (err) {
                                wt_cli_error("run", "-X %s: %s", argv[i],
                                             errstr);
                                goto done;
                        }
                }
        }
        if (wt_config_finalize(&cfg, errstr, sizeof(errstr))) {
                wt_cli_error("run", "%s%s%s", path ? path : "", path ? ": " : "",
                             errstr);
                goto done;
        }
        wt_log_set_level(cfg.log_level);
        wt_log_set_format(cfg.log_format);
        wt_config_summary(&cfg, summary, sizeof(summary));
        wt_log_info("wiretag run starting: %s", summary);
        /* The endpoint first: /healthz answers "starting" (503) while the
         * model loads and the Kafka checks run, which can take a while,
         * instead of refusing connections an orchestrator would read as
         * a dead process. */
        if (cfg.metrics_listen) {
                if (wt_http_start(cfg.metrics_listen, NULL, &http, errstr,
                                  sizeof(errstr))) {
                        wt_log_error("cannot start: %s", errstr);
                        goto done;
                }
                wt_log_info("metrics on http://%s/metrics, health on "
                            "/healthz",
                            cfg.metrics_listen);
        }
        if (wt_stream_new(&cfg, &stream, errstr, sizeof(errstr))) {
                wt_log_error("cannot start: %s", errstr);
                goto done;
        }
        wt_http_attach(http, stream);

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = wt_on_signal;
        sigemptyset(&sa.sa_mask);
        wt_running = stream;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);

        rc = wt_stream_run(stream) == WT_OK ? WT_EXIT_OK : WT_EXIT_PARTIAL;
        wt_running = NULL;
done:
        wt_http_stop(http);
        wt_stream_destroy(stream);
        wt_config_clear(&cfg);
        return rc;
}
