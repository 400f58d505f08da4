/* Allocation that cannot fail: running out of memory in a terminal tool is
 * not recoverable in any useful way, so we say so and abort. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static void oom(size_t n)
{
    fprintf(stderr, "litecode: out of memory allocating %zu bytes\n", n);
    abort();
}

void *lc_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *lc_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *lc_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *lc_xstrdup(const char *s)
{
    if (!s)
        return NULL;
    return lc_xstrndup(s, strlen(s));
}

char *lc_xstrndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    size_t len = strnlen(s, n);
    char *p = lc_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *lc_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0)
        oom(0);
    return s;
}
