/* The mouse (ui.mouse, on by default): the wheel scrolls the pane under the
 * pointer whatever has the focus, a click focuses the pane under it and, in
 * the Diffs pane, puts the cursor on the file or hunk clicked. Nothing the
 * mouse does answers a question or runs anything. With the mouse on, the
 * terminal's own selection needs Shift (most terminals); ui.mouse: false
 * leaves the mouse to the terminal. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define WHEEL_LINES 3

void ui_mouse_mode(lc_app *app, bool on)
{
    if (app->opts.virtual_term)
        return;
    bool want = on && (!app->cfg || app->cfg->ui.mouse);
    mmask_t m = want ? BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED : 0;
    mousemask(m, NULL);
    mouseinterval(0); /* a press is reported at once, not after a click timeout */
}

/* The pane whose rectangle (with its title row) holds the cell; -1: none. */
static int pane_at(lc_app *app, int y, int x)
{
    for (int i = 0; i < UI_P_COUNT; i++) {
        if (app->zoom && i != app->focus)
            continue;
        ui_rect r = app->panes[i].rect;
        if (r.w > 0 && y >= r.y - 1 && y < r.y + r.h && x >= r.x && x < r.x + r.w)
            return i;
    }
    return -1;
}

unsigned ui_mouse_key(lc_app *app, int key)
{
    int kind, y, x;
    if (key == UI_KFN(KEY_MOUSE)) {
        MEVENT me;
        if (getmouse(&me) != OK)
            return UI_IGNORED;
        if (me.bstate & BUTTON4_PRESSED)
            kind = UI_MOUSE_WHEEL_UP;
        else if (me.bstate & BUTTON5_PRESSED)
            kind = UI_MOUSE_WHEEL_DOWN;
        else if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))
            kind = UI_MOUSE_CLICK;
        else
            return UI_IGNORED;
        y = me.y;
        x = me.x;
    } else {
        kind = key >> 18 & 3;
        y = key >> 9 & 511;
        x = key & 511;
    }
    if (ui_too_small(app) || (app->cfg && !app->cfg->ui.mouse))
        return UI_IGNORED;
    ui_action dir = kind == UI_MOUSE_WHEEL_UP ? UI_A_UP : UI_A_DOWN;
    if (app->help) {
        if (kind != UI_MOUSE_CLICK)
            for (int i = 0; i < WHEEL_LINES; i++)
                ui_scroll_rows_key(&app->help_sc, &app->help_text, dir);
        return UI_REDRAW;
    }
    int i = pane_at(app, y, x);
    if (i < 0)
        return UI_IGNORED;
    ui_pane *p = &app->panes[i];
    if (kind == UI_MOUSE_CLICK) {
        app->focus = i;
        if (p->ops->click && y >= p->rect.y)
            p->ops->click(app, p, y - p->rect.y);
        return UI_REDRAW;
    }
    for (int k = 0; k < WHEEL_LINES; k++)
        p->ops->key(app, p, dir, 0);
    return UI_REDRAW;
}
