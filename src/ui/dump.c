/* Reading the screen back as text, for headless tests and scripts: what the
 * user would see, cell by cell, from the curses screen we drew. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

void lc_ui_dump_screen(lc_app *app, lc_buf *out)
{
    set_term(app->scr);
    for (int y = 0; y < app->rows; y++) {
        size_t keep = out->len; /* end of the last non-blank cell */
        for (int x = 0; x < app->cols; x++) {
            cchar_t cc;
            wchar_t wc[CCHARW_MAX + 1] = {0};
            attr_t at;
            short pair;
            if (mvin_wch(y, x, &cc) == ERR || getcchar(&cc, wc, &at, &pair, NULL) == ERR || !wc[0])
                wc[0] = L' ', wc[1] = 0;
            for (int i = 0; wc[i] && i < CCHARW_MAX; i++) {
                char mb[8];
                mbstate_t st = {0};
                size_t n = wcrtomb(mb, wc[i], &st);
                lc_buf_append(out, n == (size_t)-1 ? "?" : mb, n == (size_t)-1 ? 1 : n);
            }
            if (wc[0] != L' ')
                keep = out->len;
            if (wcwidth(wc[0]) == 2)
                x++; /* the wide character's second cell */
        }
        out->len = keep;
        lc_buf_putc(out, '\n');
    }
}

const char *lc_ui_role_at(lc_app *app, int row, int col)
{
    set_term(app->scr);
    cchar_t cc;
    wchar_t wc[CCHARW_MAX + 1];
    attr_t at;
    short pair;
    if (mvin_wch(row, col, &cc) == ERR || getcchar(&cc, wc, &at, &pair, NULL) == ERR)
        return "?";
    for (int r = 0; r < UI_R_COUNT; r++) {
        attr_t want = app->theme.attr[r];
        if (app->colors > 0 ? PAIR_NUMBER(want) == pair
                            : (want & ~A_COLOR) == (at & ~A_COLOR))
            return ui_role_name((ui_role)r);
    }
    return "?";
}
