/*
 * wiretag - wt_train_int.h: what the trainer (wt_train.c) and the
 * training spec loader (wt_train_spec.c) share, and nothing else sees.
 */
#ifndef WT_TRAIN_INT_H
#define WT_TRAIN_INT_H

#include "wt_train.h"

/** Append an empty source to o->sources; NULL when out of memory.
 *  @remark the source belongs to o (wt_train_opts_clear frees it). */
wt_source_t *wt_train_opts_new_source(wt_train_opts_t *o);

/** Append a copy of path to s->files; -1 when out of memory. */
int wt_source_add_file(wt_source_t *s, const char *path);

#endif /* WT_TRAIN_INT_H */
