/* Keys: the queue tests and scripts feed, bracketed paste (text between
 * the terminal's markers is never a key), and the dispatch of one key to
 * whatever has it first (the too-small screen, the help, the input line,
 * Ctrl-C, the approval question behind its type-ahead guard, the global
 * keys, then the focused pane). The question's keys are ones no pane uses
 * (keymap.c checks it), so a key means one thing whatever has the focus. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui_int.h"

#define PASTE_MAX (1 << 20)  /* bytes of one paste kept; more are counted and said */
#define PASTE_IDLE_MS 1000   /* a paste whose end marker never came ends after this quiet */
#define PASTE_TAIL_MS 150    /* keys this soon after a paste came with it: text too */

int lc_ui_feed_keys(lc_app *app, const char *keys, lc_err *err)
{
    size_t start = app->keyq.n;
    for (const char *p = keys; *p;) {
        size_t used = 0;
        int k = ui_key_parse(p, &used);
        if (k < 0) {
            app->keyq.n = start;
            return lc_err_set(err, LC_EINVAL, "unknown key at \"%.20s\"", p);
        }
        if (app->keyq.n == app->keyq.cap) {
            app->keyq.cap = app->keyq.cap ? app->keyq.cap * 2 : 64;
            app->keyq.v = lc_xrealloc(app->keyq.v, app->keyq.cap * sizeof *app->keyq.v);
        }
        app->keyq.v[app->keyq.n++] = k;
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
    if (hidden && !ui_too_small(app) && ui_ask_current(app).kind != UI_ASK_NONE)
        app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
}

void ui_term_paste_mode(lc_app *app, bool on)
{
    if (app->opts.virtual_term || !app->out_fp)
        return;
    fputs(on ? "\033[?2004h" : "\033[?2004l", app->out_fp);
    fflush(app->out_fp);
}

/* ---- bracketed paste ------------------------------------------------------ */

static const char paste_end[] = "\033[201~";

static void paste_byte(lc_app *app, int key)
{
    char buf[8];
    size_t n = 1;
    if (key >= UI_KFN(0) || key < 0) {
        app->paste.cut++; /* a function key inside a paste is no text: counted, not kept */
        return;
    }
    if (key < 0x80) {
        buf[0] = (char)key;
    } else {
        mbstate_t st = {0};
        n = wcrtomb(buf, (wchar_t)key, &st);
        if (n == (size_t)-1)
            buf[0] = '?', n = 1;
    }
    if (app->paste.text.len + n > PASTE_MAX) {
        app->paste.cut += n;
        return;
    }
    lc_buf_append(&app->paste.text, buf, n);
}

static void paste_finish(lc_app *app, bool timed_out)
{
    app->paste.on = false;
    if (!app->opts.virtual_term)
        keypad(stdscr, TRUE);
    for (int i = 0; timed_out && i < app->paste.match; i++)
        paste_byte(app, (unsigned char)paste_end[i]);
    app->paste.match = 0;
    /* A terminal sends line ends as CR: they are the text's newlines. */
    lc_buf norm = LC_BUF_INIT, clean = LC_BUF_INIT;
    const char *p = lc_buf_cstr(&app->paste.text);
    for (size_t i = 0; i < app->paste.text.len; i++) {
        if (p[i] == '\r') {
            lc_buf_putc(&norm, '\n');
            if (i + 1 < app->paste.text.len && p[i + 1] == '\n')
                i++;
        } else {
            lc_buf_putc(&norm, p[i]);
        }
    }
    /* Control bytes are shown (^[, ^C), never acted on: the text is what the agent gets. */
    lc_text_sanitize(lc_buf_cstr(&norm), norm.len, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB, &clean);
    ui_input_paste(app, lc_buf_cstr(&clean), clean.len, app->paste.cut);
    if (timed_out)
        ui_flash(app, "the paste had no end marker: what came is text in the input line, not keys");
    lc_buf_free(&norm);
    lc_buf_free(&clean);
    lc_buf_reset(&app->paste.text);
    app->paste.cut = 0;
    /* After a real end marker, keys that come at once came with the paste. */
    app->paste.tail_until = timed_out ? 0 : lc_now_ms() + PASTE_TAIL_MS;
}

void ui_paste_tick(lc_app *app)
{
    if (app->paste.on && lc_now_ms() - app->paste.last_ms >= PASTE_IDLE_MS)
        paste_finish(app, true);
}

unsigned ui_key_in(lc_app *app, int key)
{
    if (key == UI_KFN(KEY_RESIZE))
        return ui_handle_key(app, key);
    if (app->paste.on) {
        app->paste.last_ms = lc_now_ms();
        if (key == UI_KEY_PASTE_END) {
            paste_finish(app, false);
            return UI_REDRAW;
        }
        /* Curses does not translate keys inside a paste (keypad is off): the
         * end marker is matched here, byte by byte. */
        if (key == (unsigned char)paste_end[app->paste.match]) {
            if (++app->paste.match == (int)strlen(paste_end))
                paste_finish(app, false);
            return UI_REDRAW;
        }
        for (int i = 0; i < app->paste.match; i++)
            paste_byte(app, (unsigned char)paste_end[i]);
        app->paste.match = key == paste_end[0] ? 1 : 0;
        if (!app->paste.match)
            paste_byte(app, key);
        return UI_REDRAW;
    }
    if (key == UI_KEY_PASTE_BEGIN) {
        app->paste.on = true;
        app->paste.match = 0;
        app->paste.cut = 0;
        app->paste.last_ms = lc_now_ms();
        lc_buf_reset(&app->paste.text);
        if (!app->opts.virtual_term)
            keypad(stdscr, FALSE); /* an escape sequence in the paste is text, not a key */
        return UI_REDRAW;
    }
    if (key == UI_KEY_PASTE_END)
        return UI_HANDLED; /* a stray end marker */
    if (lc_now_ms() < app->paste.tail_until) {
        /* Came with the paste (after a forged end marker inside it): text. */
        app->paste.on = true;
        paste_byte(app, key);
        paste_finish(app, false);
        return UI_REDRAW;
    }
    return ui_handle_key(app, key);
}

/* ---- suspend (Ctrl-Z) ----------------------------------------------------- */

static void suspend(lc_app *app)
{
    if (app->opts.virtual_term) {
        ui_flash(app, "no terminal to suspend to");
        return;
    }
    ui_term_paste_mode(app, false);
    def_prog_mode();
    endwin();
    /* The default action, for the whole job, as a shell expects; fg continues here. */
    struct sigaction dfl, old;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    sigaction(SIGTSTP, &dfl, &old);
    kill(0, SIGTSTP);
    sigaction(SIGTSTP, &old, NULL);
    reset_prog_mode();
    ui_term_paste_mode(app, true);
    ui_mouse_mode(app, true);
    clearok(curscr, TRUE);
    ui_flash(app, "resumed: the session went on meanwhile");
}

/* ---- quitting ------------------------------------------------------------- */

/* Hunks (a whole-only file counts as one) still only in the shadow copy. */
static int unapplied_hunks(const lc_app *app, int *files)
{
    int n = 0;
    *files = 0;
    size_t nf = app->opts.diff ? lc_diff_count(app->opts.diff) : 0;
    for (size_t i = 0; i < nf; i++) {
        const lc_diff_file *f = lc_diff_file_at(app->opts.diff, i);
        if (!f)
            continue;
        (*files)++;
        n += f->whole_only || f->nhunks == 0 ? 1 : (int)f->nhunks;
    }
    return n;
}

static unsigned quit_key(lc_app *app)
{
    bool working = app->th_started && !atomic_load(&app->th_done) && !app->want_task;
    int files = 0;
    app->unapplied = unapplied_hunks(app, &files);
    app->unapplied_files = files;
    if (working || app->unapplied > 0) {
        ui_input_set_mode(app, UI_IN_QUIT);
        return UI_REDRAW;
    }
    return UI_QUIT;
}

/* ---- dispatch ------------------------------------------------------------- */

static unsigned focus_key(lc_app *app, ui_action g)
{
    /* The panes' table is in focus order. */
    app->focus = (app->focus + (g == UI_A_FOCUS_NEXT ? 1 : UI_P_COUNT - 1)) % UI_P_COUNT;
    return UI_REDRAW;
}

/* A key that did nothing while a step waits: say which keys answer. */
static unsigned question_hint(lc_app *app, int key)
{
    char nm[32], run[32], no[32];
    ui_key_name(key, nm, sizeof nm);
    ui_keymap_keys_text(&app->keys, UI_A_RUN, run, sizeof run);
    ui_keymap_keys_text(&app->keys, UI_A_DECLINE, no, sizeof no);
    ui_flash(app, "%s does nothing here; step %d waits: %s runs it, %s declines it (? lists the keys)", nm,
             ui_ask_current(app).step, run, no);
    return UI_REDRAW;
}

unsigned ui_handle_key(lc_app *app, int key)
{
    if (key == UI_KFN(KEY_RESIZE)) {
        ui_take_size(app);
        return UI_REDRAW;
    }
    if (key == UI_KFN(KEY_MOUSE) || UI_IS_MOUSE(key))
        return ui_mouse_key(app, key);
    ui_action g = ui_keymap_lookup(&app->keys, UI_SC_GLOBAL, key);
    bool guarded = ui_ask_current(app).kind != UI_ASK_NONE && lc_now_ms() < app->guard_until;
    /* Nothing is on the screen to act on, and a question must not be
     * answered unseen: only Ctrl-C (interrupt, then stop) goes through. */
    if (g == UI_A_SUSPEND) { /* whatever is open, as in any terminal program */
        suspend(app);
        return UI_REDRAW;
    }
    if (ui_too_small(app) && g != UI_A_INTERRUPT)
        return UI_IGNORED;
    if (app->grants)
        return ui_grants_key(app, key);
    if (app->help)
        return ui_help_key(app, key);
    ui_input mode = ui_input_mode(app);
    if (mode != UI_IN_NONE) {
        if (g != UI_A_INTERRUPT) {
            if (guarded && mode == UI_IN_ANSWER) {
                char nm[32];
                ui_key_name(key, nm, sizeof nm);
                ui_flash(app, "%s ignored: the question appeared just now (no typing ahead)", nm);
                return UI_REDRAW;
            }
            return ui_input_key(app, key);
        }
        /* Ctrl-C in the input line clears it first (Up brings it back) and
         * does not count toward stopping; on an empty line it closes it and
         * is an ordinary Ctrl-C. */
        if (ui_input_clear(app))
            return UI_REDRAW;
        if (mode != UI_IN_ANSWER && mode != UI_IN_TASK)
            ui_input_set_mode(app, UI_IN_NONE);
    }
    if (g == UI_A_INTERRUPT)
        return ui_approval_key(app, g, key);
    if (ui_ask_current(app).kind == UI_ASK_APPROVE) {
        ui_action a = ui_keymap_lookup(&app->keys, UI_SC_APPROVAL, key);
        if (a != UI_A_NONE && guarded) {
            char nm[32];
            ui_key_name(key, nm, sizeof nm);
            ui_flash(app, "%s ignored: step %d's question appeared just now (no typing ahead); press it again "
                          "to answer", nm, ui_ask_current(app).step);
            return UI_REDRAW;
        }
        if (a != UI_A_NONE)
            return ui_approval_key(app, a, key);
    }
    switch (g) {
    case UI_A_FOCUS_NEXT:
    case UI_A_FOCUS_PREV:
        return focus_key(app, g);
    case UI_A_ZOOM:
        app->zoom = !app->zoom;
        return UI_REDRAW;
    case UI_A_GROW:
    case UI_A_SHRINK:
        ui_layout_resize(&app->layout, app->focus, g == UI_A_GROW ? 5 : -5);
        return UI_REDRAW;
    case UI_A_MESSAGE:
        ui_input_open(app);
        return UI_REDRAW;
    case UI_A_GRANTS:
        ui_grants_open(app);
        return UI_REDRAW;
    case UI_A_SEARCH:
        ui_search_start(app);
        return UI_REDRAW;
    case UI_A_COPY:
    case UI_A_COPY_FILE:
        return ui_copy_key(app, g);
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
        return quit_key(app);
    default:
        break;
    }
    if (ui_ask_current(app).kind == UI_ASK_USER && (key == '\n' || key == '\r')) {
        ui_input_open(app);
        return UI_REDRAW;
    }
    ui_pane *p = &app->panes[app->focus];
    ui_action a = UI_A_NONE;
    if (p->ops->scope != UI_SC_SCROLL)
        a = ui_keymap_lookup(&app->keys, p->ops->scope, key);
    if (a == UI_A_NONE)
        a = ui_keymap_lookup(&app->keys, UI_SC_SCROLL, key);
    if (a == UI_A_SEARCH_NEXT || a == UI_A_SEARCH_PREV)
        return ui_search_again(app, a == UI_A_SEARCH_NEXT ? 1 : -1);
    if (a != UI_A_NONE)
        return p->ops->key(app, p, a, key);
    if (ui_ask_current(app).kind == UI_ASK_APPROVE && key > ' ' && key < UI_KFN(0))
        return question_hint(app, key);
    return UI_IGNORED;
}
