/*
 * wiretag - wiretag.c: the `wiretag` command.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef WT_VERSION
#define WT_VERSION "0.0.0"
#endif

static void wt_usage(FILE *fp) {
        fprintf(fp,
                "wiretag %s - streaming news classification\n"
                "\n"
                "Usage: wiretag <command> [options]\n"
                "\n"
                "Commands:\n"
                "  run        the stream processor: Kafka in, labeled "
                "records out\n"
                "  classify   tag JSON articles with a model (JSON Lines out)\n"
                "  eval       score a model on labeled JSON Lines\n"
                "  train      train a model from labeled JSON Lines\n"
                "  model info describe a model file\n"
                "  version    print the version\n"
                "\n"
                "Run 'wiretag <command> --help' for a command's options.\n",
                WT_VERSION);
}

int main(int argc, char **argv) {
        const char *cmd;
        if (argc < 2) {
                wt_usage(stderr);
                return WT_EXIT_USAGE;
        }
        cmd = argv[1];
        if (!strcmp(cmd, "classify"))
                return wt_cmd_classify(argc - 1, argv + 1);
        if (!strcmp(cmd, "eval"))
                return wt_cmd_eval(argc - 1, argv + 1);
        if (!strcmp(cmd, "train"))
                return wt_cmd_train(argc - 1, argv + 1);
        if (!strcmp(cmd, "run"))
                return wt_cmd_run(argc - 1, argv + 1);
        if (!strcmp(cmd, "model"))
                return wt_cmd_model(argc - 1, argv + 1);
        if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
                printf("wiretag %s\n", WT_VERSION);
                return WT_EXIT_OK;
        }
        if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") ||
            !strcmp(cmd, "-h")) {
                wt_usage(stdout);
                return WT_EXIT_OK;
        }
        fprintf(stderr, "wiretag: unknown command \"%s\"\n\n", cmd);
        wt_usage(stderr);
        return WT_EXIT_USAGE;
}
