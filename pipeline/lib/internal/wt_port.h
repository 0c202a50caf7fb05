/*
 * wiretag - wt_port.h: compiler hints gathered in one place (the xxHash
 * habit), so hot loops read as plain C.
 */
#ifndef WT_PORT_H
#define WT_PORT_H

#if defined(__GNUC__) || defined(__clang__)
#define WT_LIKELY(x)   __builtin_expect(!!(x), 1)
#define WT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define WT_INLINE      inline __attribute__((always_inline))
#define WT_PREFETCH(p) __builtin_prefetch((p), 0, 1)
#else
#define WT_LIKELY(x)   (x)
#define WT_UNLIKELY(x) (x)
#define WT_INLINE      inline
#define WT_PREFETCH(p) ((void)(p))
#endif

/* WT_AVX_DISPATCH: x86-64 GCC or clang, where a function can be compiled
 * for AVX with target("avx") inside a baseline (x86-64-v2) build and
 * chosen at run time from the CPU (__builtin_cpu_supports). */
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define WT_AVX_DISPATCH 1
#define WT_TARGET_AVX  __attribute__((target("avx")))
#else
#define WT_AVX_DISPATCH 0
#endif

#endif /* WT_PORT_H */
