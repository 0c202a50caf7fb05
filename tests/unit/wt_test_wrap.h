/*
 * wiretag - wt_test_wrap.h: the allocator hooks of a program linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc: the allocation tests
 * and wiretag-bench, which counts allocations per article.
 *
 * The linker sends every call to malloc, calloc and realloc made by the
 * objects it links statically (the test and libwiretag's static
 * libraries) to __wrap_*; __real_* reach libc (or the sanitizer's
 * allocator). Shared libraries (librdkafka, jansson) and libc's own
 * allocations (strdup) are not wrapped. The program defines the __wrap_*
 * functions.
 */
#ifndef WT_TEST_WRAP_H
#define WT_TEST_WRAP_H

#include <stddef.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);

#endif /* WT_TEST_WRAP_H */
