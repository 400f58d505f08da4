/* Line models: the panes' text kept as arrays of sanitized lines so a frame
 * only touches the lines it shows, whatever the scrollback holds. Bytes are
 * made safe once, when they arrive. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* One line is capped so a megabyte without a newline cannot make a single
 * draw slow; the rest goes on the next line. */
#define UI_LINE_MAX 16384

/* The first line says how many lines were dropped, so a bounded pane never
 * hides that it lost something. */
static void drop_oldest(ui_lines *l)
{
    size_t first = l->dropped ? 1 : 0; /* the marker stays */
    size_t drop = l->max / 10 ? l->max / 10 : 1; /* a tenth at once, so the shift is rare */
    if (drop > l->n - first)
        drop = l->n - first;
    for (size_t i = first; i < first + drop; i++)
        free(l->v[i].s);
    memmove(l->v + first, l->v + first + drop, (l->n - first - drop) * sizeof *l->v);
    l->n -= drop;
    l->dropped += drop;
    l->shifted += drop;
    if (!first) { /* room for the marker at the top */
        memmove(l->v + 1, l->v, l->n * sizeof *l->v);
        l->n++;
        l->shifted--;
        l->v[0].s = NULL;
        l->v[0].len = 0;
    }
    char note[160];
    int n = snprintf(note, sizeof note, "[%llu earlier line%s dropped: the last %zu are kept%s%s]",
                     (unsigned long long)l->dropped, l->dropped == 1 ? "" : "s", l->max,
                     l->limit_name ? ", see " : "", l->limit_name ? l->limit_name : "");
    free(l->v[0].s);
    l->v[0].s = lc_xstrndup(note, n > 0 && (size_t)n < sizeof note ? (size_t)n : sizeof note - 1);
    l->v[0].len = (uint32_t)strlen(l->v[0].s);
    l->v[0].role = UI_R_NOTICE;
}

static void push(ui_lines *l, uint8_t role, const char *s, size_t len)
{
    if (l->max && l->n >= l->max + (l->dropped ? 1 : 0))
        drop_oldest(l);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = lc_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    ui_line *ln = &l->v[l->n++];
    ln->s = lc_xstrndup(s, len);
    ln->len = (uint32_t)len;
    ln->role = role;
}

static void extend(ui_line *ln, const char *s, size_t len)
{
    ln->s = lc_xrealloc(ln->s, ln->len + len + 1);
    memcpy(ln->s + ln->len, s, len);
    ln->len += (uint32_t)len;
    ln->s[ln->len] = '\0';
}

/* Adds sanitized text (tabs and newlines kept) line by line. */
static void add_clean(ui_lines *l, uint8_t role, const char *s, size_t len)
{
    size_t i = 0;
    for (;;) {
        const char *nl = memchr(s + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - s) : len;
        size_t seg = end - i;
        if (l->open && l->n && l->v[l->n - 1].role == role &&
            l->v[l->n - 1].len + seg <= UI_LINE_MAX) {
            extend(&l->v[l->n - 1], s + i, seg);
        } else if (seg > 0 || nl) {
            /* Over the cap: cut into several lines, never inside a UTF-8 sequence. */
            size_t off = i;
            while (end - off > UI_LINE_MAX) {
                size_t k = off + UI_LINE_MAX;
                while (k > off + 1 && ((unsigned char)s[k] & 0xC0) == 0x80)
                    k--;
                push(l, role, s + off, k - off);
                off = k;
            }
            push(l, role, s + off, end - off);
        }
        if (!nl) {
            if (seg > 0)
                l->open = true;
            break;
        }
        l->open = false;
        i = end + 1;
        if (i >= len)
            break;
    }
}

void ui_lines_add(ui_lines *l, uint8_t role, const char *raw, size_t len)
{
    if (!raw || !len)
        return;
    lc_buf b = LC_BUF_INIT;
    /* A lone '\r' (progress bars) would otherwise show as ^M on every line. */
    lc_buf tmp = LC_BUF_INIT;
    for (size_t i = 0; i < len; i++) {
        if (raw[i] == '\r' && i + 1 < len && raw[i + 1] == '\n')
            continue;
        lc_buf_putc(&tmp, raw[i]);
    }
    lc_text_sanitize(tmp.data, tmp.len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, &b);
    add_clean(l, role, b.data, b.len);
    lc_buf_free(&tmp);
    lc_buf_free(&b);
}

void ui_lines_addf(ui_lines *l, uint8_t role, const char *fmt, ...)
{
    ui_lines_close(l);
    lc_buf raw = LC_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    lc_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    if (raw.len == 0)
        push(l, role, "", 0);
    else
        ui_lines_add(l, role, raw.data, raw.len);
    ui_lines_close(l);
    lc_buf_free(&raw);
}

void ui_lines_close(ui_lines *l)
{
    l->open = false;
}

void ui_lines_clear(ui_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].s);
    l->n = 0;
    l->open = false;
    l->dropped = 0;
}

void ui_lines_free(ui_lines *l)
{
    ui_lines_clear(l);
    free(l->v);
    l->v = NULL;
    l->cap = 0;
}
