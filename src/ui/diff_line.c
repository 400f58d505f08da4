/* One line of a hunk in the Diffs pane: its line number and +/- mark stay
 * put while the text scrolls sideways. Diff lines are cut, not wrapped, so
 * columns stay aligned; a dim '‹' says the start is scrolled off, a dim '›'
 * in the last column that the line goes on past the right edge. */
#include <string.h>

#include "ui/ui_int.h"

#define NO_NEWLINE "  \\ No newline at end of file"

/* Digits of the file's largest line number (its last hunk's), at least 4,
 * so every line of a file has the same gutter. */
static int number_width(const lc_diff_file *f)
{
    int max = 0, w = 1;
    if (f->nhunks > 0) {
        const lc_diff_hunk *h = &f->hunks[f->nhunks - 1];
        int o = h->old_start + h->old_lines, n = h->new_start + h->new_lines;
        max = o > n ? o : n;
    }
    for (; max >= 10; max /= 10)
        w++;
    return w < 4 ? 4 : w;
}

int ui_diff_gutter(const lc_diff_file *f) { return number_width(f) + 2; }

/* Sanitizes the line's text into clean; returns the columns of the text
 * and sets *note to those of the no-newline note after it. */
static int text_width(const lc_diff_line *ln, lc_buf *clean, int *note)
{
    lc_text_sanitize(ln->text, ln->len, LC_SAN_KEEP_TAB, clean);
    *note = ln->no_newline ? (int)strlen(NO_NEWLINE) : 0;
    return ui_text_width(lc_buf_cstr(clean), clean->len);
}

int ui_diff_line_end_left(const lc_diff_file *f, const lc_diff_line *ln, int w)
{
    lc_buf clean = LC_BUF_INIT;
    int note, width = text_width(ln, &clean, &note) + note;
    lc_buf_free(&clean);
    int room = w - ui_diff_gutter(f); /* columns for the text at offset 0 */
    if (width <= room)
        return 0;
    return width - (room - 1); /* scrolled, the '‹' takes a column */
}

const lc_diff_line *ui_diff_line_pair(const lc_diff_hunk *h, size_t i)
{
    char o = h->lines[i].origin;
    if (o != '-' && o != '+')
        return NULL;
    /* The run of '-' lines and the run of '+' lines after it, around i. */
    size_t a = i;
    while (a > 0 && h->lines[a - 1].origin == o)
        a--;
    size_t dels, adds, del0, add0;
    if (o == '-') {
        del0 = a;
        for (dels = 0; a + dels < h->nlines && h->lines[a + dels].origin == '-'; dels++)
            ;
        add0 = a + dels;
    } else {
        add0 = a;
        del0 = a;
        while (del0 > 0 && h->lines[del0 - 1].origin == '-')
            del0--;
        dels = a - del0;
    }
    for (adds = 0; add0 + adds < h->nlines && h->lines[add0 + adds].origin == '+'; adds++)
        ;
    size_t nth = o == '-' ? i - del0 : i - add0;
    if (nth >= dels || nth >= adds)
        return NULL;
    return o == '-' ? &h->lines[add0 + nth] : &h->lines[del0 + nth];
}

static bool word_byte(unsigned char c)
{
    return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* The bytes [*a, *b) of s that differ from t: what is left between their
 * common start and common end, widened to whole words. false: nothing in
 * common at either end (the lines are simply different). */
static bool changed_span(const char *s, size_t sn, const char *t, size_t tn, size_t *a, size_t *b)
{
    size_t p = 0;
    while (p < sn && p < tn && s[p] == t[p])
        p++;
    size_t q = 0;
    while (q < sn - p && q < tn - p && s[sn - 1 - q] == t[tn - 1 - q])
        q++;
    if (p == 0 && q == 0)
        return false;
    size_t x = p, y = sn - q;
    while (x > 0 && word_byte((unsigned char)s[x - 1]) && (x == y || word_byte((unsigned char)s[x])))
        x--;
    while (y < sn && word_byte((unsigned char)s[y]) && (y == x || word_byte((unsigned char)s[y - 1])))
        y++;
    while (x > 0 && ((unsigned char)s[x] & 0xC0) == 0x80) /* never inside a character */
        x--;
    while (y < sn && ((unsigned char)s[y] & 0xC0) == 0x80)
        y++;
    *a = x;
    *b = y;
    return true;
}

void ui_diff_line_draw(lc_app *app, int y, ui_rect r, const lc_diff_file *f, const lc_diff_line *ln, int left,
                       const lc_diff_line *pair)
{
    attr_t *A = app->theme.attr, dim = A[UI_R_LINENO];
    ui_role role = ln->origin == '+' ? UI_R_DIFF_ADD : ln->origin == '-' ? UI_R_DIFF_DEL : UI_R_DIFF_CTX;
    int numw = number_width(f), num = ln->origin == '-' ? ln->old_lineno : ln->new_lineno;
    if (num > 0)
        ui_draw_fmt(app, y, r.x, r.w, dim, "%*d", numw, num);
    if (numw + 1 < r.w)
        ui_draw_fmt(app, y, r.x + numw + 1, r.w - numw - 1, A[role], "%c", ln->origin);
    int x = r.x + numw + 2, w = r.w - numw - 2;
    if (w < 2)
        return;
    if (left > 0) {
        ui_draw_text(app, y, x, 1, "\u2039", 3, dim);
        x++;
        w--;
    }
    lc_buf clean = LC_BUF_INIT;
    int note, textw = text_width(ln, &clean, &note);
    bool more = textw + note - left > w;
    int vis = more ? w - 1 : w;
    ui_draw_text_at(app, y, x, vis, lc_buf_cstr(&clean), clean.len, left, A[role], NULL);
    size_t wa, wb;
    if (pair && changed_span(ln->text, ln->len, pair->text, pair->len, &wa, &wb) && wb > wa) {
        /* The changed words, drawn again over the line in a stronger role;
         * columns counted on the sanitized text of what comes before. */
        lc_buf pre = LC_BUF_INIT, mid = LC_BUF_INIT;
        lc_text_sanitize(ln->text, wa, LC_SAN_KEEP_TAB, &pre);
        lc_text_sanitize(ln->text + wa, wb - wa, LC_SAN_KEEP_TAB, &mid);
        int ca = ui_text_width(lc_buf_cstr(&pre), pre.len);
        int from = ca < left ? left - ca : 0, at = ca > left ? ca - left : 0;
        if (at < vis)
            ui_draw_text_at(app, y, x + at, vis - at, lc_buf_cstr(&mid), mid.len, from,
                            A[ln->origin == '+' ? UI_R_DIFF_ADD_WORD : UI_R_DIFF_DEL_WORD], NULL);
        lc_buf_free(&pre);
        lc_buf_free(&mid);
    }
    if (note && textw + note > left && textw < left + vis) { /* the note, where the text ends */
        int shown = textw > left ? textw - left : 0;
        ui_draw_text_at(app, y, x + shown, vis - shown, NO_NEWLINE, (size_t)note, left > textw ? left - textw : 0,
                        dim, NULL);
    }
    if (more)
        ui_draw_text(app, y, x + vis, 1, "\u203a", 3, dim);
    lc_buf_free(&clean);
}
