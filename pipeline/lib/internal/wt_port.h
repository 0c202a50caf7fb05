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

#endif /* WT_PORT_H */
