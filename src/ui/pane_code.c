/* The code pane: the step about to run, Python highlighted (keywords,
 * strings, comments, numbers) with line numbers. Long lines wrap and the
 * pane scrolls, so nothing the user approves is ever hidden. A tool call
 * shows the tool and its arguments. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

typedef struct code_model {
    ui_lines lines;
    int step;     /* the step shown; 0: none yet */
    bool edited;  /* the user edited it */
} code_model;

static code_model *model(const lc_app *app)
{
    return app->panes[UI_P_CODE].data;
}

/* Line tags kept in ui_line.role: the highlighter state at line start. */
enum { PY_NORMAL = 0, PY_IN_SQ3 = 1, PY_IN_DQ3 = 2, PY_PLAIN = 200, PY_HEADER = 201 };

static const char *const keywords[] = {
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
    "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
    "return", "try", "while", "with", "yield", "match", "case", "print", "self",
};

static bool is_keyword(const char *s, size_t n)
{
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
        if (strlen(keywords[i]) == n && memcmp(keywords[i], s, n) == 0)
            return true;
    return false;
}

static bool ident(char c)
{
    return isalnum((unsigned char)c) || c == '_' || (unsigned char)c >= 0x80;
}

/* Scans to the end of a string that opened with quote q (triple or not);
 * returns the index after it, or len with *open set if it runs on. */
static size_t string_end(const char *s, size_t i, size_t len, char q, bool triple, bool *open)
{
    *open = false;
    while (i < len) {
        if (s[i] == '\\') {
            i += 2;
            continue;
        }
        if (s[i] == q) {
            if (!triple)
                return i + 1;
            if (i + 2 < len && s[i + 1] == q && s[i + 2] == q)
                return i + 3;
        }
        i++;
    }
    *open = triple;
    return len;
}

int ui_py_highlight(const char *s, size_t len, int state, uint8_t *roles)
{
    size_t i = 0;
    if (state == PY_IN_SQ3 || state == PY_IN_DQ3) {
        bool open;
        size_t e = string_end(s, 0, len, state == PY_IN_SQ3 ? '\'' : '"', true, &open);
        memset(roles, UI_R_STRING, e);
        if (open)
            return state;
        i = e;
    }
    while (i < len) {
        char c = s[i];
        if (c == '#') {
            memset(roles + i, UI_R_COMMENT, len - i);
            return PY_NORMAL;
        }
        size_t start = i;
        /* String prefixes: r, b, f, u and pairs of them. */
        size_t p = i;
        while (p < len && p - i < 2 && strchr("rRbBfFuU", s[p]) && s[p])
            p++;
        if (p < len && (s[p] == '\'' || s[p] == '"') && (p == i || !ident(i ? s[i - 1] : ' '))) {
            char q = s[p];
            bool triple = p + 2 < len && s[p + 1] == q && s[p + 2] == q;
            bool open;
            size_t e = string_end(s, p + (triple ? 3 : 1), len, q, triple, &open);
            memset(roles + start, UI_R_STRING, e - start);
            if (open)
                return q == '\'' ? PY_IN_SQ3 : PY_IN_DQ3;
            i = e;
            continue;
        }
        if (isdigit((unsigned char)c) || (c == '.' && i + 1 < len && isdigit((unsigned char)s[i + 1]))) {
            while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '.' || s[i] == '_'))
                i++;
            memset(roles + start, UI_R_NUMBER, i - start);
            continue;
        }
        if (ident(c)) {
            while (i < len && ident(s[i]))
                i++;
            memset(roles + start, is_keyword(s + start, i - start) ? UI_R_KEYWORD : UI_R_ASSISTANT,
                   i - start);
            continue;
        }
        roles[i++] = UI_R_ASSISTANT;
    }
    return PY_NORMAL;
}

void ui_set_code(lc_app *app, int step, lc_action_kind kind, const char *code, const char *tool)
{
    code_model *m = model(app);
    ui_lines *l = &m->lines;
    ui_pane *p = ui_pane_get(app, UI_P_CODE);
    ui_lines_clear(l);
    m->step = step;
    p->sc.top = 0;
    p->sc.row = 0;
    p->sc.follow = false;
    m->edited = false;
    if (!code) {
        ui_lines_addf(l, PY_HEADER, "No step proposed yet.");
        return;
    }
    if (kind == LC_ACTION_TOOL) {
        ui_lines_addf(l, PY_HEADER, "tool call: %s", tool ? tool : "?");
        cJSON *j = lc_json_parse(code, strlen(code));
        char *pretty = j ? cJSON_Print(j) : NULL;
        ui_lines_add(l, PY_PLAIN, pretty ? pretty : code, strlen(pretty ? pretty : code));
        ui_lines_close(l);
        cJSON_free(pretty);
        cJSON_Delete(j);
        return;
    }
    ui_lines_add(l, PY_NORMAL, code, strlen(code));
    ui_lines_close(l);
    /* Each line remembers the highlighter state it starts in, so a frame
     * can highlight any visible line without the lines above it. */
    int state = PY_NORMAL;
    uint8_t *roles = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].len + 1 > cap) {
            cap = l->v[i].len + 1;
            roles = lc_xrealloc(roles, cap);
        }
        l->v[i].role = (uint8_t)state;
        state = ui_py_highlight(l->v[i].s, l->v[i].len, state, roles);
    }
    free(roles);
}

static int digits(size_t n)
{
    int d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* Line numbers, right-aligned, and a space. */
static int gutter(size_t n)
{
    return (digits(n) < 3 ? 3 : digits(n)) + 1;
}

/* Draws s[0..n) with per-byte roles, starting at column x. */
static void draw_runs(lc_app *app, int y, int x, int w, const char *s, size_t n, const uint8_t *roles)
{
    size_t i = 0;
    int used = 0;
    while (i < n && used < w) {
        size_t j = i + 1;
        while (j < n && roles[j] == roles[i])
            j++;
        used += ui_draw_text(app, y, x + used, w - used, s + i, j - i, app->theme.attr[roles[i]]);
        i = j;
    }
}

static void code_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    const ui_lines *l = &model(app)->lines;
    p->sc.height = r.h;
    if (l->n == 0 || r.h <= 0)
        return;
    if (p->sc.top >= l->n)
        p->sc.top = l->n - 1, p->sc.row = 0;
    int gw = gutter(l->n);
    int tw = r.w - gw;
    if (tw < 4)
        return;
    uint8_t *roles = NULL;
    size_t cap = 0;
    int y = 0;
    size_t lineno = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].role < PY_PLAIN && i < p->sc.top)
            lineno++;
    for (size_t li = p->sc.top; li < l->n && y < r.h; li++) {
        const ui_line *ln = &l->v[li];
        if (ln->len + 1 > cap) {
            cap = ln->len + 1;
            roles = lc_xrealloc(roles, cap);
        }
        if (ln->role == PY_HEADER || ln->role == PY_PLAIN)
            memset(roles, ln->role == PY_HEADER ? UI_R_PROMPT : UI_R_ASSISTANT, ln->len + 1);
        else
            ui_py_highlight(ln->s, ln->len, ln->role, roles);
        bool numbered = ln->role < PY_PLAIN;
        if (numbered)
            lineno++;
        size_t off = 0, skip = li == p->sc.top ? p->sc.row : 0;
        if (numbered && skip == 0)
            ui_draw_fmt(app, r.y + y, r.x, gw, app->theme.attr[UI_R_LINENO], "%*zu", gw - 1, lineno);
        do { /* wrap: continuation rows have an empty gutter */
            size_t n = ui_wrap_fit(ln->s + off, ln->len - off, tw);
            if (skip > 0) { /* rows of a long top line scrolled past */
                skip--;
            } else {
                draw_runs(app, r.y + y, r.x + gw, tw, ln->s + off, n, roles + off);
                y++;
            }
            off += n;
        } while (off < ln->len && y < r.h);
    }
    free(roles);
}

typedef struct code_rows_ctx {
    const lc_app *app;
    int width; /* text columns, right of the gutter */
} code_rows_ctx;

/* Rows of code line li as code_draw wraps it: every byte kept, spaces too. */
static size_t code_rows(const void *ctx, size_t li)
{
    const code_rows_ctx *c = ctx;
    const ui_line *ln = &model(c->app)->lines.v[li];
    if (c->width < 4)
        return 1;
    size_t rows = 0, off = 0;
    do {
        size_t n = ui_wrap_fit(ln->s + off, ln->len - off, c->width);
        off += n ? n : ln->len - off;
        rows++;
    } while (off < ln->len);
    return rows;
}

/* By screen rows, so a line that wraps over more rows than the pane has can
 * still be read to its end; the pane never follows (it never runs away from
 * the reader). */
static unsigned code_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)key;
    const ui_lines *l = &model(app)->lines;
    code_rows_ctx c = {app, p->rect.w - gutter(l->n)};
    p->sc.follow = false;
    return ui_scroll_rows(&p->sc, l->n, code_rows, &c, false, a);
}

static void code_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    const code_model *m = model(app);
    if (m->step <= 0) {
        out[0] = '\0';
        return;
    }
    size_t n = m->lines.n;
    size_t h = p->sc.height > 0 ? (size_t)p->sc.height : 1;
    size_t last = p->sc.top + h < n ? p->sc.top + h : n;
    snprintf(out, outsz, "step %d%s  lines %zu-%zu of %zu", m->step, m->edited ? " (edited)" : "",
             n ? p->sc.top + 1 : 0, last, n);
}

void ui_code_edited(lc_app *app)
{
    model(app)->edited = true;
}

/* The step proposed is the step shown (the question shows it again, as the
 * user may have edited it). */
static void code_event(lc_app *app, ui_pane *p, const ui_event *e)
{
    (void)p;
    if (e->kind != LC_EV_ACTION)
        return;
    if (e->akind == LC_ACTION_CODE)
        ui_set_code(app, e->step, LC_ACTION_CODE, e->text ? e->text : "", NULL);
    else
        ui_set_code(app, e->step, LC_ACTION_TOOL, e->detail ? e->detail : "{}", e->text ? e->text : "");
}

static void code_open(lc_app *app, ui_pane *p)
{
    p->data = lc_xcalloc(1, sizeof(code_model));
    ui_set_code(app, 0, LC_ACTION_CODE, NULL, NULL);
}

static void code_close(lc_app *app, ui_pane *p)
{
    (void)app;
    code_model *m = p->data;
    ui_lines_free(&m->lines);
    free(m);
    p->data = NULL;
}

static bool code_search(lc_app *app, ui_pane *p, const char *pat, int dir)
{
    (void)app;
    return ui_lines_search(&model(app)->lines, &p->sc, pat, dir);
}

/* The code as it runs (or the tool call's arguments), without the header. */
static void code_copy(lc_app *app, ui_pane *p, lc_buf *out, const char **what)
{
    (void)p;
    const ui_lines *l = &model(app)->lines;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].role == PY_HEADER)
            continue;
        lc_buf_append(out, l->v[i].s, l->v[i].len);
        lc_buf_putc(out, '\n');
    }
    *what = "the code";
}

const ui_pane_ops ui_code_ops = {
    .title = "Code",
    .scope = UI_SC_SCROLL,
    .open = code_open,
    .close = code_close,
    .draw = code_draw,
    .key = code_key,
    .subtitle = code_subtitle,
    .event = code_event,
    .search = code_search,
    .copy = code_copy,
};
