/* Keys: the queue tests and scripts feed, and the dispatch of one key to
 * whatever has it first (the too-small screen, the help, the type-ahead
 * guard, the input line, the approval question, the global keys, then the
 * focused pane). */
#include "ui/ui_int.h"

int lc_ui_feed_keys(lc_app *app, const char *keys, lc_err *err)
{
    size_t start = app->nkeys;
    for (const char *p = keys; *p;) {
        size_t used = 0;
        int k = ui_key_parse(p, &used);
        if (k < 0) {
            app->nkeys = start;
            return lc_err_set(err, LC_EINVAL, "unknown key at \"%.20s\"", p);
        }
        if (app->nkeys == app->capkeys) {
            app->capkeys = app->capkeys ? app->capkeys * 2 : 64;
            app->keyq = lc_xrealloc(app->keyq, app->capkeys * sizeof *app->keyq);
        }
        app->keyq[app->nkeys++] = k;
        p += used;
    }
    return LC_OK;
}

/* Reads the terminal's size. A question hidden by the too-small message is
 * guarded again when it comes back into view, as when it first appeared. */
void ui_take_size(lc_app *app)
{
    bool hidden = ui_too_small(app);
    getmaxyx(stdscr, app->rows, app->cols);
    if (hidden && !ui_too_small(app) && app->asking != UI_ASK_NONE)
        app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
}

unsigned ui_handle_key(lc_app *app, int key)
{
    if (key == UI_KFN(KEY_RESIZE)) {
        ui_take_size(app);
        return UI_REDRAW;
    }
    ui_action g = ui_keymap_lookup(&app->keys, UI_SC_GLOBAL, key);
    bool asking = app->asking != UI_ASK_NONE;
    /* Nothing is on the screen to act on, and a question must not be
     * answered unseen: only Ctrl-C (interrupt, then stop) goes through. */
    if (ui_too_small(app) && g != UI_A_INTERRUPT)
        return UI_IGNORED;
    if (app->help)
        return ui_help_key(app, key);
    if (asking && lc_now_ms() < app->guard_until && g != UI_A_INTERRUPT)
        return UI_IGNORED; /* typed before the question could be read */
    if (app->input != UI_IN_NONE && g != UI_A_INTERRUPT)
        return ui_input_key(app, key);
    if (app->asking == UI_ASK_APPROVE) {
        ui_action a = ui_keymap_lookup(&app->keys, UI_SC_APPROVAL, key);
        if (a != UI_A_NONE)
            return ui_approval_key(app, a, key);
    }
    if (g == UI_A_INTERRUPT)
        return ui_approval_key(app, g, key);
    switch (g) {
    case UI_A_FOCUS_NEXT:
    case UI_A_FOCUS_PREV: {
        static const int order[UI_P_COUNT] = {UI_P_CONV, UI_P_CODE, UI_P_OUTPUT, UI_P_DIFF};
        int i = 0;
        while (order[i] != app->focus)
            i++;
        i = (i + (g == UI_A_FOCUS_NEXT ? 1 : UI_P_COUNT - 1)) % UI_P_COUNT;
        app->focus = order[i];
        return UI_REDRAW;
    }
    case UI_A_ZOOM:
        app->zoom = !app->zoom;
        return UI_REDRAW;
    case UI_A_GROW:
    case UI_A_SHRINK:
        ui_layout_resize(&app->layout, app->focus, g == UI_A_GROW ? 5 : -5);
        return UI_REDRAW;
    case UI_A_MESSAGE:
        app->input = app->asking == UI_ASK_USER ? UI_IN_ANSWER : UI_IN_MESSAGE;
        lc_buf_reset(&app->line);
        return UI_REDRAW;
    case UI_A_AUTO_OFF:
        if (atomic_exchange(&app->auto_approve, false))
            ui_flash(app, "auto-approve is off: every step asks again");
        return UI_REDRAW;
    case UI_A_HELP:
        app->help = true;
        return UI_REDRAW;
    case UI_A_REDRAW:
        clearok(curscr, TRUE);
        return UI_REDRAW;
    case UI_A_QUIT:
        if (app->th_started && !atomic_load(&app->th_done)) {
            app->input = UI_IN_QUIT;
            return UI_REDRAW;
        }
        return UI_QUIT;
    default:
        break;
    }
    if (app->asking == UI_ASK_USER && key == '\n') {
        app->input = UI_IN_ANSWER;
        lc_buf_reset(&app->line);
        return UI_REDRAW;
    }
    ui_pane *p = &app->panes[app->focus];
    ui_action a = UI_A_NONE;
    if (app->focus == UI_P_DIFF)
        a = ui_keymap_lookup(&app->keys, UI_SC_DIFF, key);
    if (a == UI_A_NONE)
        a = ui_keymap_lookup(&app->keys, UI_SC_SCROLL, key);
    return a != UI_A_NONE ? p->ops->key(app, p, a, key) : UI_IGNORED;
}
