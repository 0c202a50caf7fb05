/*
 * wiretag - wt_jsonmem.h: jansson's memory from a per-thread arena.
 *
 * Parsing an article with jansson allocates a dozen small blocks (the
 * object, its hash table, every key and string) and frees them all when
 * the article is released. On the stream processor's hot path that was
 * a malloc and a free per block per message. A worker instead brackets
 * each message with wt_jsonmem_enter()/wt_jsonmem_leave(): in between,
 * every allocation jansson makes on that thread is carved from the
 * worker's arena, frees of arena blocks cost nothing, and leave() resets
 * the arena in one step. An arena that ran out grows at leave(), so a
 * worker stops allocating once it has parsed its largest message.
 *
 * wt_jsonmem_install() routes jansson's allocations through wiretag
 * (json_set_alloc_funcs); outside an enter/leave bracket they go to
 * malloc and free as before, so values made elsewhere are unaffected.
 * Contract: every JSON value made inside a bracket is released inside it,
 * on the same thread; text from json_dumps() inside a bracket is released
 * with wt_jsonmem_free().
 */
#ifndef WT_JSONMEM_H
#define WT_JSONMEM_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wt_jsonmem_arena wt_jsonmem_arena_t;

/** Route jansson's allocations through wiretag. Idempotent and
 *  thread-safe; call before the first wt_jsonmem_enter(). */
void wt_jsonmem_install(void);

/** An arena of initial capacity `bytes` (0: a default), or NULL. */
wt_jsonmem_arena_t *wt_jsonmem_arena_new(size_t bytes);
void wt_jsonmem_arena_destroy(wt_jsonmem_arena_t *arena);

/** This thread's jansson allocations come from arena until leave(). */
void wt_jsonmem_enter(wt_jsonmem_arena_t *arena);

/** End the bracket: the arena is empty again (and larger, if it ran out
 *  while in use). */
void wt_jsonmem_leave(wt_jsonmem_arena_t *arena);

/** Release a block jansson allocated (e.g. json_dumps() text). */
void wt_jsonmem_free(void *p);

/** Bytes currently reserved by arena (for tests and metrics). */
size_t wt_jsonmem_arena_capacity(const wt_jsonmem_arena_t *arena);

#ifdef __cplusplus
}
#endif

#endif /* WT_JSONMEM_H */
