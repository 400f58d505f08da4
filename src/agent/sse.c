/* sse: an incremental Server-Sent Events parser. Bytes arrive from the
 * network cut anywhere; events come out whole. Follows the WHATWG event
 * stream rules (LF, CRLF or CR line ends, ':' comments, multi-line data),
 * plus the non-standard "error:" line some servers (llama.cpp) send. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

struct lc_sse {
    lc_sse_fn fn;
    void *ctx;
    size_t max_line;
    lc_buf carry;  /* a line whose end has not arrived yet */
    lc_buf data;   /* data lines of the current event, each followed by '\n' */
    lc_buf name;   /* event name of the current event */
    bool have_data;
    bool skip_lf;  /* the last chunk ended in CR: a leading LF belongs to it */
    size_t bom;    /* bytes of a leading UTF-8 BOM seen so far (the spec drops it) */
    bool begun;    /* past the point where a BOM could be */
    int failed;    /* sticky status once the callback or a limit stopped us */
};

lc_sse *lc_sse_new(size_t max_line, lc_sse_fn fn, void *ctx)
{
    lc_sse *p = lc_xcalloc(1, sizeof *p);
    p->fn = fn;
    p->ctx = ctx;
    p->max_line = max_line ? max_line : (size_t)1 << 20;
    return p;
}

void lc_sse_free(lc_sse *p)
{
    if (!p)
        return;
    lc_buf_free(&p->carry);
    lc_buf_free(&p->data);
    lc_buf_free(&p->name);
    free(p);
}

static int dispatch(lc_sse *p)
{
    int rc = LC_OK;
    if (p->have_data) {
        size_t len = p->data.len;
        if (len > 0 && p->data.data[len - 1] == '\n')
            len--; /* the spec drops the last line feed */
        p->data.data[len] = '\0';
        lc_sse_event ev = {LC_SSE_EVENT, p->name.len ? p->name.data : "message", p->data.data, len};
        rc = p->fn(p->ctx, &ev);
    }
    lc_buf_reset(&p->data);
    lc_buf_reset(&p->name);
    p->have_data = false;
    return rc;
}

static bool field_is(const char *f, size_t n, const char *name, size_t nlen)
{
    return n == nlen && memcmp(f, name, n) == 0;
}

static int process_line(lc_sse *p, const char *l, size_t n)
{
    if (n == 0)
        return dispatch(p);
    if (l[0] == ':')
        return LC_OK; /* comment / keep-alive */
    const char *colon = memchr(l, ':', n);
    size_t flen = colon ? (size_t)(colon - l) : n;
    const char *v = colon ? colon + 1 : l + n;
    size_t vlen = (size_t)(l + n - v);
    if (vlen > 0 && v[0] == ' ') {
        v++;
        vlen--;
    }
    if (field_is(l, flen, "data", 4)) {
        if (p->data.len + vlen + 1 > p->max_line)
            return LC_EPROTO;
        lc_buf_append(&p->data, v, vlen);
        lc_buf_putc(&p->data, '\n');
        p->have_data = true;
    } else if (field_is(l, flen, "event", 5)) {
        lc_buf_reset(&p->name);
        lc_buf_append(&p->name, v, vlen > 128 ? 128 : vlen);
    } else if (field_is(l, flen, "error", 5)) {
        lc_buf tmp = LC_BUF_INIT;
        lc_buf_append(&tmp, v, vlen);
        lc_sse_event ev = {LC_SSE_ERROR_LINE, "error", lc_buf_cstr(&tmp), vlen};
        int rc = p->fn(p->ctx, &ev);
        lc_buf_free(&tmp);
        return rc;
    }
    /* id, retry and unknown fields do not matter to a one-shot stream. */
    return LC_OK;
}

/* Finds the first CR or LF in [s, s+n). memchr for LF first (the common
 * case), then CR only inside that span, keeps the scan at memchr speed. */
static const char *find_eol(const char *s, size_t n)
{
    const char *lf = memchr(s, '\n', n);
    size_t span = lf ? (size_t)(lf - s) : n;
    const char *cr = memchr(s, '\r', span);
    return cr ? cr : lf;
}

int lc_sse_feed(lc_sse *p, const char *data, size_t len)
{
    if (p->failed)
        return p->failed;
    const char *s = data, *end = data + len;
    static const char BOM[] = "\xEF\xBB\xBF";
    while (!p->begun && s < end) {
        if (*s != BOM[p->bom]) {
            if (p->bom) { /* a BOM prefix that was not one: it was data */
                lc_buf_append(&p->carry, BOM, p->bom);
                p->bom = 0;
            }
            p->begun = true;
            break;
        }
        s++;
        if (++p->bom == 3) {
            p->begun = true;
            p->bom = 0;
        }
    }
    if (p->skip_lf && s < end) {
        if (*s == '\n')
            s++;
        p->skip_lf = false;
    }
    while (s < end) {
        const char *eol = find_eol(s, (size_t)(end - s));
        if (!eol) {
            if (p->carry.len + (size_t)(end - s) > p->max_line)
                return p->failed = LC_EPROTO;
            lc_buf_append(&p->carry, s, (size_t)(end - s));
            break;
        }
        size_t n = (size_t)(eol - s);
        int rc;
        if (p->carry.len) {
            if (p->carry.len + n > p->max_line)
                return p->failed = LC_EPROTO;
            lc_buf_append(&p->carry, s, n);
            rc = process_line(p, p->carry.data, p->carry.len);
            lc_buf_reset(&p->carry);
        } else {
            if (n > p->max_line)
                return p->failed = LC_EPROTO;
            rc = process_line(p, s, n);
        }
        if (rc < 0)
            return p->failed = rc;
        s = eol + 1;
        if (*eol == '\r') {
            if (s < end) {
                if (*s == '\n')
                    s++;
            } else {
                p->skip_lf = true;
            }
        }
    }
    return LC_OK;
}

int lc_sse_finish(lc_sse *p)
{
    if (p->failed)
        return p->failed;
    /* An unterminated last line is a cut line: dropped, so a half JSON
     * object never reaches the provider; the provider notices the missing
     * end of stream instead. */
    lc_buf_reset(&p->carry);
    int rc = dispatch(p);
    if (rc < 0)
        p->failed = rc;
    return rc;
}
