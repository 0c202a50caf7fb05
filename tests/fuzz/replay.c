/*
 * wiretag fuzzing - replay.c: run a harness over files, without libFuzzer.
 *
 *   fuzz_X_replay FILE_OR_DIR...
 *
 * Every regular file named, or found directly in a folder named, is read
 * and given to LLVMFuzzerTestOneInput() once, in sorted order, so ctest
 * replays the seed corpus (and any reproducer added to it) under whatever
 * sanitizers the build has. Prints how many inputs ran; exits 1 when an
 * argument cannot be read.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int replay_file(const char *path, size_t *n) {
        FILE *fp = fopen(path, "rb");
        unsigned char *buf = NULL;
        size_t len = 0, cap = 0, got;
        if (!fp) {
                fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
                return -1;
        }
        do {
                if (len == cap) {
                        unsigned char *p;
                        cap = cap ? cap * 2 : 4096;
                        if (!(p = realloc(buf, cap))) {
                                free(buf);
                                fclose(fp);
                                fprintf(stderr, "replay: out of memory\n");
                                return -1;
                        }
                        buf = p;
                }
                got = fread(buf + len, 1, cap - len, fp);
                len += got;
        } while (got > 0);
        fclose(fp);
        /* An exact-size copy, so a read past the input is caught. */
        {
                unsigned char *exact = malloc(len ? len : 1);
                if (!exact) {
                        free(buf);
                        return -1;
                }
                memcpy(exact, buf, len);
                free(buf);
                LLVMFuzzerTestOneInput(exact, len);
                free(exact);
        }
        (*n)++;
        return 0;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir, size_t *n) {
        DIR *d = opendir(dir);
        struct dirent *e;
        char **names = NULL;
        size_t count = 0, i;
        int rc = 0;
        if (!d) {
                fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
                return -1;
        }
        while ((e = readdir(d))) {
                char **p;
                if (e->d_name[0] == '.')
                        continue;
                if (!(p = realloc(names, (count + 1) * sizeof(*names))))
                        break;
                names = p;
                if (!(names[count] = malloc(strlen(dir) + strlen(e->d_name) + 2)))
                        break;
                sprintf(names[count], "%s/%s", dir, e->d_name);
                count++;
        }
        closedir(d);
        qsort(names, count, sizeof(*names), cmp_names);
        for (i = 0; i < count; i++) {
                struct stat st;
                if (!stat(names[i], &st) && S_ISREG(st.st_mode) &&
                    replay_file(names[i], n))
                        rc = -1;
                free(names[i]);
        }
        free(names);
        return rc;
}

int main(int argc, char **argv) {
        size_t n = 0;
        int i, rc = 0;
        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
                return 2;
        }
        for (i = 1; i < argc; i++) {
                struct stat st;
                if (stat(argv[i], &st)) {
                        fprintf(stderr, "replay: %s: %s\n", argv[i],
                                strerror(errno));
                        rc = 1;
                } else if (S_ISDIR(st.st_mode) ? replay_dir(argv[i], &n)
                                               : replay_file(argv[i], &n)) {
                        rc = 1;
                }
        }
        printf("replayed %zu input(s)\n", n);
        return rc;
}
