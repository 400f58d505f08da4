/* Search in any pane: '/' takes a pattern in the input line, n and N (. and
 * , in the Diffs pane, where n is the next hunk) find it again. Each pane
 * searches its own model through its search op; lines drawn by
 * ui_draw_lines show the matches highlighted. */
#include <ctype.h>
#include <string.h>

#include "ui/ui_int.h"

static bool has_upper(const char *pat)
{
    for (const char *p = pat; *p; p++)
        if (isupper((unsigned char)*p))
            return true;
    return false;
}

const char *ui_text_find(const char *s, size_t len, const char *pat)
{
    size_t m = strlen(pat);
    if (m == 0 || m > len)
        return NULL;
    bool exact = has_upper(pat);
    for (size_t i = 0; i + m <= len; i++) {
        size_t k = 0;
        if (exact) {
            if (s[i] != pat[0] || memcmp(s + i, pat, m) != 0)
                continue;
            return s + i;
        }
        while (k < m && tolower((unsigned char)s[i + k]) == tolower((unsigned char)pat[k]))
            k++;
        if (k == m)
            return s + i;
    }
    return NULL;
}

bool ui_lines_search(const ui_lines *l, ui_scroll *sc, const char *pat, int dir)
{
    if (l->n == 0)
        return false;
    size_t start = sc->top < l->n ? sc->top : l->n - 1;
    for (size_t k = 1; k <= l->n; k++) {
        size_t i = dir > 0 ? (start + k) % l->n : (start + l->n - k % l->n) % l->n;
        if (ui_text_find(l->v[i].s, l->v[i].len, pat)) {
            sc->top = i;
            sc->row = 0;
            sc->follow = false;
            return true;
        }
    }
    return false;
}

void ui_search_start(lc_app *app)
{
    ui_input_start(app, UI_IN_SEARCH, NULL);
}

static unsigned run(lc_app *app, int dir)
{
    ui_pane *p = &app->panes[app->focus];
    if (!p->ops->search) {
        ui_flash(app, "the %s pane cannot be searched", p->ops->title);
        return UI_REDRAW;
    }
    if (!p->ops->search(app, p, app->search, dir))
        ui_flash(app, "\"%s\" is not in the %s pane", app->search, p->ops->title);
    return UI_REDRAW;
}

void ui_search_submit(lc_app *app, const char *text)
{
    lc_buf clean = LC_BUF_INIT;
    /* One line of printable text: what the panes' sanitized lines can hold. */
    lc_text_sanitize(text, strlen(text), 0, &clean);
    size_t n = clean.len < sizeof app->search - 1 ? clean.len : sizeof app->search - 1;
    while (n > 0 && n < clean.len && ((unsigned char)clean.data[n] & 0xC0) == 0x80)
        n--;
    memcpy(app->search, clean.data ? clean.data : "", n);
    app->search[n] = '\0';
    lc_buf_free(&clean);
    if (app->search[0])
        run(app, 1);
}

unsigned ui_search_again(lc_app *app, int dir)
{
    if (!app->search[0]) {
        char k[32];
        ui_keymap_keys_text(&app->keys, UI_A_SEARCH, k, sizeof k);
        ui_flash(app, "no search yet: %s searches the focused pane", k);
        return UI_REDRAW;
    }
    return run(app, dir);
}
