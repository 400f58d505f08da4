/* Growable byte buffers and NULL-terminated string vectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

void lc_buf_reserve(lc_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        lc_xmalloc(SIZE_MAX); /* aborts with a message */
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = lc_xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = '\0'; /* a fresh buffer must read as "" too */
}

void lc_buf_append(lc_buf *b, const void *data, size_t len)
{
    lc_buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void lc_buf_puts(lc_buf *b, const char *s)
{
    lc_buf_append(b, s, strlen(s));
}

void lc_buf_putc(lc_buf *b, char c)
{
    lc_buf_append(b, &c, 1);
}

void lc_buf_vprintf(lc_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return;
    if ((size_t)n < sizeof small) {
        lc_buf_append(b, small, (size_t)n);
        return;
    }
    lc_buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void lc_buf_printf(lc_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lc_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

void lc_buf_reset(lc_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

void lc_buf_free(lc_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

const char *lc_buf_cstr(const lc_buf *b)
{
    return b->data ? b->data : "";
}

char *lc_buf_detach(lc_buf *b)
{
    char *s = b->data ? b->data : lc_xstrdup("");
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

/* ---- strv ---- */

void lc_strv_push_owned(lc_strv *sv, char *s)
{
    if (sv->n + 2 > sv->cap) {
        size_t cap = sv->cap ? sv->cap * 2 : 8;
        sv->v = lc_xrealloc(sv->v, cap * sizeof *sv->v);
        sv->cap = cap;
    }
    sv->v[sv->n++] = s;
    sv->v[sv->n] = NULL;
}

void lc_strv_push(lc_strv *sv, const char *s)
{
    lc_strv_push_owned(sv, lc_xstrdup(s ? s : ""));
}

void lc_strv_pushf(lc_strv *sv, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lc_buf b = LC_BUF_INIT;
    lc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    lc_strv_push_owned(sv, lc_buf_detach(&b));
}

bool lc_strv_contains(const lc_strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

void lc_strv_copy(lc_strv *dst, const lc_strv *src)
{
    for (size_t i = 0; i < src->n; i++)
        lc_strv_push(dst, src->v[i]);
}

void lc_strv_clear(lc_strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    sv->n = 0;
    if (sv->v)
        sv->v[0] = NULL;
}

void lc_strv_free(lc_strv *sv)
{
    lc_strv_clear(sv);
    free(sv->v);
    sv->v = NULL;
    sv->cap = 0;
}

char *lc_strv_join(const lc_strv *sv, const char *sep)
{
    lc_buf b = LC_BUF_INIT;
    for (size_t i = 0; i < sv->n; i++) {
        if (i)
            lc_buf_puts(&b, sep);
        lc_buf_puts(&b, sv->v[i]);
    }
    return lc_buf_detach(&b);
}
