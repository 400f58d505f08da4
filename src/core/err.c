/* Error values: a status code plus a message that says what failed and what
 * to do. Messages are truncated, never overflowed. A message is built from
 * untrusted names and replies as often as not and ends up on a terminal, so
 * it is sanitized here, once, when it is made (newlines and tabs kept). */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

static void append(lc_err *err, const char *s)
{
    size_t len = strnlen(err->msg, sizeof err->msg - 1);
    size_t n = strlen(s);
    if (n > sizeof err->msg - 1 - len) {
        n = sizeof err->msg - 1 - len;
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--; /* cut on a character boundary */
    }
    memcpy(err->msg + len, s, n);
    err->msg[len + n] = '\0';
}

/* Formats into dst (cap bytes) and sanitizes, cutting on a character
 * boundary when the sanitized text does not fit. */
static void format_safe(char *dst, size_t cap, const char *fmt, va_list ap)
{
    lc_buf raw = LC_BUF_INIT, safe = LC_BUF_INIT;
    lc_buf_vprintf(&raw, fmt, ap);
    if (raw.len > 4 * cap)
        raw.len = 4 * cap; /* more than can be kept: no need to sanitize it all */
    lc_text_sanitize(lc_buf_cstr(&raw), raw.len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, &safe);
    size_t n = safe.len;
    if (n > cap - 1) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)safe.data[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, safe.data, n);
    dst[n] = '\0';
    lc_buf_free(&raw);
    lc_buf_free(&safe);
}

int lc_err_set(lc_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        format_safe(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int lc_err_errno(lc_err *err, int code, int errnum, const char *fmt, ...)
{
    if (err) {
        /* The OS error is what tells the user what to fix: a long path may
         * be cut, the reason may not. */
        const char *reason = strerror(errnum);
        size_t rlen = strlen(reason) + 2;
        size_t room = rlen + 64 < sizeof err->msg ? sizeof err->msg - rlen : 64;
        va_list ap;
        va_start(ap, fmt);
        format_safe(err->msg, room, fmt, ap);
        va_end(ap);
        append(err, ": ");
        append(err, reason);
        err->code = code;
    }
    return code;
}

void lc_err_prefix(lc_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    char old[LC_ERR_MSG_MAX];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    va_list ap;
    va_start(ap, fmt);
    format_safe(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    append(err, ": ");
    append(err, old); /* made safe when it was set */
}

void lc_err_clear(lc_err *err)
{
    if (err) {
        err->code = LC_OK;
        err->msg[0] = '\0';
    }
}

const char *lc_status_name(int code)
{
    switch (code) {
    case LC_OK: return "ok";
    case LC_EINVAL: return "invalid";
    case LC_EIO: return "io";
    case LC_ENOTFOUND: return "not found";
    case LC_EENGINE: return "engine";
    case LC_ETIMEOUT: return "timeout";
    case LC_ESECURITY: return "security";
    case LC_ECONFLICT: return "conflict";
    case LC_EPROTO: return "protocol";
    case LC_ECANCEL: return "cancelled";
    case LC_ENET: return "network";
    case LC_EAUTH: return "auth";
    case LC_ERATE: return "rate limited";
    case LC_ESERVER: return "server";
    case LC_ESTATE: return "state";
    default: return "unknown";
    }
}
