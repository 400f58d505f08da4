/* Drawing text safely. Everything drawn went through lc_text_sanitize first
 * (no byte can start an escape sequence); here the columns are counted with
 * wcwidth so wide characters take two cells, combining characters join the
 * cell before them, and nothing spills past a pane's edge. */
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define UI_TAB 4

/* The next code point of sanitized text and its width in cells. */
static size_t next_cp(const char *s, size_t len, wchar_t *wc, int *width, int col)
{
    uint32_t cp = 0;
    size_t n = lc_utf8_decode(s, len, &cp);
    if (n == 0) { /* cannot happen after sanitizing; be safe anyway */
        *wc = L'?';
        *width = 1;
        return 1;
    }
    if (cp == '\t') {
        *wc = L' ';
        *width = UI_TAB - col % UI_TAB;
        return n;
    }
    *wc = (wchar_t)cp;
    int w = wcwidth(*wc);
    if (w < 0) { /* unassigned or unprintable in this locale */
        *wc = L'?';
        w = 1;
    }
    *width = w;
    return n;
}

size_t ui_text_fit(const char *s, size_t len, int w, int *cols)
{
    size_t i = 0;
    int col = 0;
    while (i < len) {
        wchar_t wc;
        int cw;
        size_t n = next_cp(s + i, len - i, &wc, &cw, col);
        if (col + cw > w)
            break;
        col += cw;
        i += n;
    }
    /* Combining characters after the last base belong to it. */
    while (i < len) {
        wchar_t wc;
        int cw;
        size_t n = next_cp(s + i, len - i, &wc, &cw, col);
        if (cw != 0)
            break;
        i += n;
    }
    if (cols)
        *cols = col;
    return i;
}

static void put_cell(int y, int x, const wchar_t *cell, int n, attr_t attr)
{
    cchar_t cc;
    wchar_t tmp[CCHARW_MAX + 1];
    if (n > CCHARW_MAX)
        n = CCHARW_MAX;
    memcpy(tmp, cell, (size_t)n * sizeof *tmp);
    tmp[n] = L'\0';
    short pair = (short)PAIR_NUMBER(attr);
    setcchar(&cc, tmp, attr & ~A_COLOR, pair, NULL);
    mvadd_wch(y, x, &cc);
}

/* Walks sanitized text in the line's own columns (tabs stop every UI_TAB
 * from its start) and, when draw is set, puts the cells of columns
 * [from, from + w) at x. A wide character or tab cut by the left edge shows
 * as spaces; one that does not fit at the right edge is left out and sets
 * *more, as does any later character with a width. Returns the line's
 * column where the walk stopped. */
static int walk(int y, int x, int w, const char *s, size_t len, int from, attr_t attr, bool draw, bool *more)
{
    wchar_t cell[CCHARW_MAX + 1];
    int ncell = 0, cellx = 0, col = 0, end = from + w;
    bool hidden = false; /* the last base is left of the view, and so are its marks */
    size_t i = 0;
    *more = false;
    while (i < len) {
        wchar_t wc;
        int cw;
        size_t n = next_cp(s + i, len - i, &wc, &cw, col);
        if (cw == 0 && (ncell > 0 || hidden)) { /* a combining mark joins its base */
            if (ncell > 0 && ncell < CCHARW_MAX)
                cell[ncell++] = wc;
            i += n;
            continue;
        }
        /* A mark with no base (at the start, after a tab) gets a space of
         * its own; the mark itself is taken on the next turn. */
        bool orphan = cw == 0, tab = s[i] == '\t';
        wchar_t base = orphan ? L' ' : wc;
        int bw = orphan ? 1 : cw;
        if (col + bw > end) {
            *more = true;
            break;
        }
        if (ncell && draw)
            put_cell(y, x + cellx - from, cell, ncell, attr);
        ncell = 0;
        hidden = false;
        if (col + bw <= from) {
            hidden = !tab;
        } else if (col < from || tab) { /* cut by the left edge, or a tab: blank cells */
            for (int c = col < from ? from : col; draw && c < col + bw; c++)
                put_cell(y, x + c - from, L" ", 1, attr);
            hidden = !tab;
        } else {
            cell[ncell++] = base;
            cellx = col;
        }
        col += bw;
        if (!orphan)
            i += n;
    }
    if (ncell && draw)
        put_cell(y, x + cellx - from, cell, ncell, attr);
    return col;
}

int ui_draw_text_at(lc_app *app, int y, int x, int w, const char *s, size_t len, int from, attr_t attr,
                    bool *more)
{
    (void)app;
    bool rest = false;
    int col = 0;
    if (w > 0 && y >= 0 && from >= 0)
        col = walk(y, x, w, s, len, from, attr, true, &rest);
    if (more)
        *more = rest;
    return col > from ? col - from : 0;
}

int ui_draw_text(lc_app *app, int y, int x, int w, const char *s, size_t len, attr_t attr)
{
    return ui_draw_text_at(app, y, x, w, s, len, 0, attr, NULL);
}

int ui_text_width(const char *s, size_t len)
{
    bool more;
    return walk(0, 0, INT_MAX, s, len, 0, 0, false, &more);
}

void ui_fill(lc_app *app, int y, int x, int w, attr_t attr)
{
    (void)app;
    for (int i = 0; i < w; i++)
        put_cell(y, x + i, L" ", 1, attr);
}

int ui_draw_fmt(lc_app *app, int y, int x, int w, attr_t attr, const char *fmt, ...)
{
    lc_buf raw = LC_BUF_INIT, clean = LC_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    lc_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    lc_text_sanitize(raw.data ? raw.data : "", raw.len, 0, &clean);
    int used = ui_draw_text(app, y, x, w, clean.data ? clean.data : "", clean.len, attr);
    lc_buf_free(&raw);
    lc_buf_free(&clean);
    return used;
}

/* Bytes of s for one wrapped row of w columns: cut after the last space
 * when a word would be split, unless the word alone is wider than w. */
size_t ui_wrap_fit(const char *s, size_t len, int w)
{
    size_t n = ui_text_fit(s, len, w, NULL);
    if (n == 0 && len > 0)
        return 1; /* a wide character in a one-column pane: skip it */
    if (n >= len || s[n] == ' ')
        return n;
    size_t k = n;
    while (k > 0 && s[k - 1] != ' ')
        k--;
    return k > 0 ? k : n;
}

void ui_text_shorten_middle(const char *s, size_t len, int w, lc_buf *out)
{
    int total = ui_text_width(s, len);
    if (total <= w || w < 5) {
        lc_buf_append(out, s, len);
        return;
    }
    int head = (w - 1) / 2, tail = w - 1 - head;
    size_t h = ui_text_fit(s, len, head, NULL), k = h;
    /* The tail starts at the first character after which at most tail columns remain. */
    for (int cols = ui_text_width(s, h); k < len && total - cols > tail;) {
        uint32_t cp;
        size_t n = lc_utf8_decode(s + k, len - k, &cp);
        n = n ? n : 1;
        cols += ui_text_width(s + k, n);
        k += n;
    }
    lc_buf_append(out, s, h);
    lc_buf_puts(out, "\u2026");
    lc_buf_append(out, s + k, len - k);
}

/* Continuation rows of a wrapped line start under its text, not at the
 * pane's edge (an indented observation, a traceback), unless the indent
 * would leave too little room. */
static int wrap_indent(const ui_line *ln, int w)
{
    int n = 0;
    while ((uint32_t)n < ln->len && ln->s[n] == ' ')
        n++;
    return n * 3 > w ? 0 : n;
}

/* Rows a line takes when wrapped into w columns. */
int ui_line_rows(const ui_line *ln, int w, bool wrap)
{
    if (!wrap || w <= 0)
        return 1;
    int rows = 0, ind = wrap_indent(ln, w);
    size_t i = 0;
    do {
        size_t n = ui_wrap_fit(ln->s + i, ln->len - i, rows ? w - ind : w);
        i += n;
        if (i < ln->len && ln->s[i] == ' ')
            i++; /* the space a row was cut at starts no row */
        rows++;
    } while (i < ln->len);
    return rows;
}

/* The search's matches in one drawn row, over the text drawn there. */
static void draw_matches(lc_app *app, int y, int x, int w, const char *s, size_t n)
{
    size_t plen = strlen(app->search);
    const char *p = s, *m;
    while ((m = ui_text_find(p, n - (size_t)(p - s), app->search)) != NULL) {
        int col = ui_text_width(s, (size_t)(m - s));
        if (col >= w)
            break;
        ui_draw_text(app, y, x + col, w - col, m, plen, app->theme.attr[UI_R_MATCH]);
        p = m + plen;
    }
}

void ui_draw_lines(lc_app *app, ui_rect r, const ui_lines *l, ui_scroll *sc, bool wrap)
{
    sc->height = r.h;
    sc->width = wrap ? r.w : 0;
    if (sc->shifted != l->shifted) { /* old lines were dropped: keep the view on the same text */
        uint64_t d = l->shifted - sc->shifted;
        sc->top = sc->top > d ? sc->top - (size_t)d : 0;
        sc->shifted = l->shifted;
    }
    if (r.h <= 0 || r.w <= 0)
        return;
    if (l->n == 0) {
        sc->top = sc->row = 0;
        return;
    }
    if (sc->top >= l->n)
        sc->top = l->n - 1, sc->row = 0;
    int skip = (int)sc->row; /* wrapped rows of the top line left out */
    if (skip >= ui_line_rows(&l->v[sc->top], r.w, wrap))
        skip = sc->row = 0;
    if (sc->follow) {
        /* Walk back from the end over only as many lines as fit. */
        int used = 0;
        size_t top = l->n;
        while (top > 0 && used < r.h) {
            used += ui_line_rows(&l->v[top - 1], r.w, wrap);
            top--;
        }
        sc->top = top;
        skip = used > r.h ? used - r.h : 0; /* the top line only partly fits: show its end */
        sc->row = (size_t)skip;             /* where scrolling up starts from */
    }
    int y = -skip;
    for (size_t li = sc->top; li < l->n && y < r.h; li++) {
        const ui_line *ln = &l->v[li];
        attr_t attr = app->theme.attr[ln->role < UI_R_COUNT ? ln->role : UI_R_NORMAL];
        size_t i = 0;
        int ind = wrap ? wrap_indent(ln, r.w) : 0;
        do {
            int x = i ? r.x + ind : r.x, w = i ? r.w - ind : r.w;
            size_t n = wrap ? ui_wrap_fit(ln->s + i, ln->len - i, w) : ln->len - i;
            if (y >= 0) {
                ui_draw_text(app, r.y + y, x, w, ln->s + i, n, attr);
                if (app->search[0])
                    draw_matches(app, r.y + y, x, w, ln->s + i, n);
            }
            i += n;
            if (wrap && i < ln->len && ln->s[i] == ' ')
                i++;
            y++;
        } while (wrap && i < ln->len && y < r.h);
    }
}

unsigned ui_scroll_key(ui_scroll *sc, size_t nlines, ui_action a)
{
    size_t page = sc->height > 1 ? (size_t)sc->height - 1 : 1;
    size_t last = nlines ? nlines - 1 : 0;
    switch (a) {
    case UI_A_UP:
        sc->follow = false;
        if (sc->top > 0)
            sc->top--;
        break;
    case UI_A_PAGE_UP:
        sc->follow = false;
        sc->top = sc->top > page ? sc->top - page : 0;
        break;
    case UI_A_DOWN:
    case UI_A_PAGE_DOWN:
        sc->top += a == UI_A_DOWN ? 1 : page;
        if (sc->top + (size_t)(sc->height > 0 ? sc->height : 1) > nlines) {
            sc->follow = true; /* reached the end: follow new lines again */
            if (sc->top > last)
                sc->top = last;
        }
        break;
    case UI_A_TOP:
        sc->follow = false;
        sc->top = 0;
        break;
    case UI_A_BOTTOM:
        sc->follow = true;
        break;
    default:
        return UI_IGNORED;
    }
    return UI_HANDLED | UI_REDRAW;
}

/* ---- scrolling wrapped lines by rows ---------------------------------------- */

typedef struct rows_src {
    size_t n;
    ui_rows_fn rows;
    const void *ctx;
} rows_src;

static bool step_down(ui_scroll *sc, const rows_src *r)
{
    if (sc->row + 1 < r->rows(r->ctx, sc->top))
        sc->row++;
    else if (sc->top + 1 < r->n)
        sc->top++, sc->row = 0;
    else
        return false;
    return true;
}

static bool step_up(ui_scroll *sc, const rows_src *r)
{
    if (sc->row > 0)
        sc->row--;
    else if (sc->top > 0)
        sc->top--, sc->row = r->rows(r->ctx, sc->top) - 1;
    else
        return false;
    return true;
}

/* Rows from the top of the view to the end, counted up to limit. */
static size_t rows_to_end(const ui_scroll *sc, const rows_src *r, size_t limit)
{
    size_t n = r->rows(r->ctx, sc->top) - sc->row;
    for (size_t li = sc->top + 1; li < r->n && n < limit; li++)
        n += r->rows(r->ctx, li);
    return n;
}

unsigned ui_scroll_rows(ui_scroll *sc, size_t n, ui_rows_fn rows, const void *ctx, bool follows, ui_action a)
{
    size_t h = sc->height > 0 ? (size_t)sc->height : 1, page = h > 1 ? h - 1 : 1;
    if (n == 0)
        return ui_scroll_key(sc, 0, a);
    rows_src r = {n, rows, ctx};
    if (sc->top >= n)
        sc->top = n - 1, sc->row = 0;
    size_t steps = 0;
    switch (a) {
    case UI_A_UP:
    case UI_A_PAGE_UP:
        sc->follow = false; /* top and row hold where the follow view was */
        for (size_t i = 0; i < (a == UI_A_UP ? 1 : page) && step_up(sc, &r); i++)
            ;
        return UI_HANDLED | UI_REDRAW;
    case UI_A_TOP:
        sc->follow = false;
        sc->top = sc->row = 0;
        return UI_HANDLED | UI_REDRAW;
    case UI_A_DOWN: steps = 1; break;
    case UI_A_PAGE_DOWN: steps = page; break;
    case UI_A_BOTTOM: steps = follows ? 0 : (size_t)-1; break;
    default: return UI_IGNORED;
    }
    if (!sc->follow) /* never past the position that shows the last row at the bottom */
        for (size_t i = 0; i < steps && rows_to_end(sc, &r, h + 1) > h && step_down(sc, &r); i++)
            ;
    sc->follow = follows && (a == UI_A_BOTTOM || rows_to_end(sc, &r, h + 1) <= h);
    return UI_HANDLED | UI_REDRAW;
}

typedef struct wrapped {
    const ui_lines *l;
    int width;
} wrapped;

static size_t wrapped_rows(const void *ctx, size_t li)
{
    const wrapped *w = ctx;
    return (size_t)ui_line_rows(&w->l->v[li], w->width, w->width > 0);
}

unsigned ui_scroll_rows_key(ui_scroll *sc, const ui_lines *l, ui_action a)
{
    wrapped w = {l, sc->width};
    return ui_scroll_rows(sc, l->n, wrapped_rows, &w, true, a);
}
