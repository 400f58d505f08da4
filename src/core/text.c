/* Strings and text: prefixes, sizes, UTF-8, and making untrusted bytes safe
 * to draw. Everything the model or a container prints passes through
 * lc_text_sanitize before it reaches a terminal. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/core.h"

bool lc_str_starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool lc_str_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* ---- sizes ---- */

int lc_parse_size(const char *s, int64_t *out)
{
    if (!s || !isdigit((unsigned char)s[0]))
        return LC_EINVAL;
    uint64_t v = 0;
    const char *p = s;
    while (isdigit((unsigned char)*p)) {
        unsigned d = (unsigned)(*p - '0');
        if (v > (uint64_t)(INT64_MAX - d) / 10)
            return LC_EINVAL;
        v = v * 10 + d;
        p++;
    }
    int shift = 0;
    switch (tolower((unsigned char)*p)) {
    case '\0': break;
    case 'b': shift = 0; p++; break;
    case 'k': shift = 10; p++; break;
    case 'm': shift = 20; p++; break;
    case 'g': shift = 30; p++; break;
    case 't': shift = 40; p++; break;
    default: return LC_EINVAL;
    }
    /* "1g", "1gb", "1GiB" all mean the same binary unit, as in docker. */
    if (shift && (*p == 'i' || *p == 'I'))
        p++;
    if (shift && (*p == 'b' || *p == 'B'))
        p++;
    if (*p != '\0')
        return LC_EINVAL;
    if (shift && v > ((uint64_t)INT64_MAX >> shift))
        return LC_EINVAL;
    *out = (int64_t)(v << shift);
    return LC_OK;
}

void lc_format_size(int64_t bytes, char *out, size_t outsz)
{
    static const struct { int shift; char unit; } units[] = {
        {40, 't'}, {30, 'g'}, {20, 'm'}, {10, 'k'}};
    if (bytes > 0) {
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            int64_t u = (int64_t)1 << units[i].shift;
            if (bytes % u == 0) {
                snprintf(out, outsz, "%" PRId64 "%c", bytes / u, units[i].unit);
                return;
            }
        }
    }
    snprintf(out, outsz, "%" PRId64, bytes);
}

void lc_format_bytes_human(uint64_t bytes, char *out, size_t outsz)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(out, outsz, "%" PRIu64 " B", bytes);
        return;
    }
    double v = (double)bytes / 1024.0;
    size_t i = 0;
    /* 1023.96 KiB would print as "1024.0 KiB": move up a unit first. */
    while (v >= 1023.95 && i + 1 < sizeof units / sizeof units[0]) {
        v /= 1024.0;
        i++;
    }
    snprintf(out, outsz, "%.1f %s", v, units[i]);
}

/* ---- UTF-8 ---- */

size_t lc_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    if (len == 0)
        return 0;
    uint32_t c = u[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((u[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (u[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n;
}

bool lc_utf8_valid(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t cp;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Invisible code points that reorder text: shown escaped so that code the
 * user approves reads the way it runs ("trojan source"). */
static bool is_bidi_control(uint32_t cp)
{
    return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* Code points that break or hide text without being controls: the line and
 * paragraph separators (a new line to some terminals and viewers, so a name
 * could forge a line) and the tag characters (invisible text that a model
 * reads but a user does not see). */
static bool is_hidden_format(uint32_t cp)
{
    return cp == 0x2028 || cp == 0x2029 || (cp >= 0xE0000 && cp <= 0xE007F);
}

void lc_text_sanitize(const char *in, size_t len, unsigned flags, lc_buf *out)
{
    static const char hex[] = "0123456789abcdef";
    lc_buf_reserve(out, len);
    size_t i = 0;
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        if (c >= 0x20 && c < 0x7F) {
            /* Copy the run of plain printable ASCII in one go. */
            size_t j = i + 1;
            while (j < len && (unsigned char)in[j] >= 0x20 && (unsigned char)in[j] < 0x7F)
                j++;
            lc_buf_append(out, in + i, j - i);
            i = j;
            continue;
        }
        if (c == '\n' && (flags & LC_SAN_KEEP_NEWLINE)) {
            lc_buf_putc(out, '\n');
            i++;
            continue;
        }
        if (c == '\t' && (flags & LC_SAN_KEEP_TAB)) {
            lc_buf_putc(out, '\t');
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            char caret[2] = {'^', c == 0x7F ? '?' : (char)(c + 0x40)};
            lc_buf_append(out, caret, 2);
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = lc_utf8_decode(in + i, len - i, &cp);
        if (n == 0) {
            char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
            lc_buf_append(out, esc, 4);
            i++;
            continue;
        }
        if ((cp >= 0x80 && cp <= 0x9F) || is_bidi_control(cp) || is_hidden_format(cp)) {
            lc_buf_printf(out, cp > 0xFFFF ? "\\U%08" PRIx32 : "\\u%04" PRIx32, cp);
        } else {
            lc_buf_append(out, in + i, n);
        }
        i += n;
    }
}

static bool is_cont(const char *in, size_t i)
{
    return ((unsigned char)in[i] & 0xC0) == 0x80;
}

void lc_text_head_tail(const char *in, size_t len, size_t head, size_t tail, lc_buf *out)
{
    if (len <= head || len - head <= tail) {
        lc_buf_append(out, in, len);
        return;
    }
    size_t h = head;
    for (int k = 0; k < 3 && h > 0 && is_cont(in, h); k++)
        h--;
    size_t t = len - tail;
    for (int k = 0; k < 3 && t < len && is_cont(in, t); k++)
        t++;
    lc_buf_append(out, in, h);
    lc_buf_printf(out, "\n[... %zu bytes omitted ...]\n", t - h);
    lc_buf_append(out, in + t, len - t);
}

/* ---- printing to a terminal ---- */

void lc_text_fwrite(FILE *f, const char *s, size_t len)
{
    lc_buf b = LC_BUF_INIT;
    lc_text_sanitize(s, len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, &b);
    if (b.len)
        fwrite(b.data, 1, b.len, f);
    lc_buf_free(&b);
}

void lc_text_fputs(FILE *f, const char *s)
{
    if (s)
        lc_text_fwrite(f, s, strlen(s));
}

void lc_text_vfprintf(FILE *f, const char *fmt, va_list ap)
{
    lc_buf raw = LC_BUF_INIT;
    lc_buf_vprintf(&raw, fmt, ap);
    lc_text_fputs(f, lc_buf_cstr(&raw));
    lc_buf_free(&raw);
}

void lc_text_fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lc_text_vfprintf(f, fmt, ap);
    va_end(ap);
}

char *lc_text_line(const char *s)
{
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "");
    if (s)
        lc_text_sanitize(s, strlen(s), 0, &b);
    return lc_buf_detach(&b);
}
