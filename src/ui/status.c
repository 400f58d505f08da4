/* The status bar (model, agent, step, tokens and cost, sandbox and its network,
 * elapsed time, auto-approve, a spinner while something works) and the input
 * line below it (a message for the agent, a decline reason, an answer). */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define INPUT_MAX (64 * 1024) /* a pasted message may be long */
#define HISTORY_MAX 100

/* The input line's model, private to this file: what the line is open for
 * (UI_IN_NONE: closed), its text and cursor, and its history. */
struct ui_input_line {
    ui_input mode;
    lc_buf text;
    size_t cursor;   /* byte offset into text (input_cursor keeps it valid) */
    lc_strv history; /* lines sent or cleared, oldest first (Up brings them back) */
    size_t hist_pos; /* history.n: not browsing */
};

static const char *state_text(const lc_app *app)
{
    if (app->want_task && (app->status.state != UI_ST_STARTING || atomic_load(&app->sandbox_up)))
        return "waiting for your task";
    switch (app->status.state) {
    case UI_ST_IDLE: return "idle";
    /* The image is built or loaded: the conversation says which. */
    case UI_ST_STARTING: return atomic_load(&app->building) ? "preparing the image" : "starting the sandbox";
    case UI_ST_THINKING: return "model thinking";
    case UI_ST_WAITING: return "waiting for you";
    case UI_ST_RUNNING: return "step running";
    case UI_ST_DONE: return "done";
    }
    return "";
}

void ui_status_event(lc_app *app, const ui_event *e)
{
    ui_status *m = &app->status;
    switch (e->kind) {
    case LC_EV_TASK:
        m->state = UI_ST_THINKING;
        break;
    case LC_EV_STEP_BEGIN:
        m->step = e->step;
        if (e->max_steps)
            m->max_steps = e->max_steps;
        m->state = UI_ST_THINKING;
        break;
    case LC_EV_ACTION:
        m->state = UI_ST_WAITING;
        break;
    case LC_EV_DECISION:
        if (e->dkind == LC_DECIDE_RUN || e->dkind == LC_DECIDE_RUN_EDITED)
            m->state = UI_ST_RUNNING;
        break;
    case LC_EV_OUTPUT:
        if (m->state != UI_ST_STARTING) /* the image build's progress comes here too */
            m->state = UI_ST_RUNNING;
        break;
    case LC_EV_STEP_RESULT:
        if (e->state_lost)
            ui_flash(app, "the sandbox was restarted: Python state from earlier steps is gone");
        ui_ctrlc_renew(app);
        m->state = UI_ST_THINKING;
        break;
    case LC_EV_USAGE:
        m->ptok += e->ptok;
        m->ctok += e->ctok;
        break;
    case LC_EV_DONE:
        m->state = UI_ST_DONE;
        break;
    default:
        break;
    }
}

void ui_status_draw(lc_app *app, int y)
{
    if ((ui_ask_current(app).kind != UI_ASK_NONE || app->in->mode != UI_IN_NONE) && app->flash[0] &&
        lc_now_ms() < app->flash_until) {
        /* The approval bar or the open input line holds the last row; a notice borrows this one. */
        ui_fill(app, y, 0, app->cols, app->theme.attr[UI_R_FLASH]);
        ui_draw_fmt(app, y, 0, app->cols, app->theme.attr[UI_R_FLASH], "%s", app->flash);
        return;
    }
    attr_t st = app->theme.attr[UI_R_STATUS];
    ui_fill(app, y, 0, app->cols, st);
    int x = 0, w = app->cols;
    static const char spin[] = ".oOo";
    const ui_status *m = &app->status;
    bool busy = m->state == UI_ST_THINKING || m->state == UI_ST_RUNNING || m->state == UI_ST_STARTING;
    if (app->want_task && (m->state != UI_ST_STARTING || atomic_load(&app->sandbox_up)))
        busy = false;
    x += ui_draw_fmt(app, y, x, w - x, st, " %c ", busy ? spin[(m->spin / 2) % 4] : ' ');
    int64_t secs = (lc_now_ms() - m->start_ms) / 1000;
    char steps[32];
    if (m->max_steps)
        snprintf(steps, sizeof steps, "step %d/%d", m->step, m->max_steps);
    else
        snprintf(steps, sizeof steps, "step %d", m->step);
    /* Most important first, so a narrow terminal cuts the least useful. */
    x += ui_draw_fmt(app, y, x, w - x, st, "%s | %s ", steps, state_text(app));
    if (atomic_load(&app->auto_approve))
        x += ui_draw_fmt(app, y, x, w - x, app->theme.attr[UI_R_STATUS_AUTO], " AUTO-APPROVE (X: off) ");
    else if (app->approve_reads)
        x += ui_draw_fmt(app, y, x, w - x, app->theme.attr[UI_R_STATUS_WARN], " APPROVE: reads ");
    if (app->cfg && app->cfg->container.network)
        x += ui_draw_fmt(app, y, x, w - x, app->theme.attr[UI_R_STATUS_WARN], " NETWORK ON ");
    size_t rules = app->agent ? lc_agent_rules_on(app->agent) : 0;
    if (rules) { /* what decides steps without asking, and the key that lists it */
        char gk[32];
        ui_keymap_keys_text(&app->keys, UI_A_GRANTS, gk, sizeof gk);
        x += ui_draw_fmt(app, y, x, w - x, app->theme.attr[UI_R_STATUS_WARN], " %zu RULE%s (%s) ", rules,
                         rules == 1 ? "" : "S", gk);
    }
    char cost[32] = "";
    double usd = app->cfg ? lc_model_cost(&app->cfg->model, m->ptok, m->ctok) : -1;
    if (usd >= 0)
        snprintf(cost, sizeof cost, usd < 10 ? " $%.3f" : " $%.2f", usd);
    x += ui_draw_fmt(app, y, x, w - x, st, "| %s | %s | tok %lld/%lld%s | %02lld:%02lld", m->model, m->agent_desc,
                     (long long)m->ptok, (long long)m->ctok, cost, (long long)(secs / 60), (long long)(secs % 60));
    if (m->exec_desc)
        x += ui_draw_fmt(app, y, x, w - x, st, " | %s", m->exec_desc);
}

/* ---- the input line ---------------------------------------------------- */

ui_input_line *ui_input_new(void)
{
    return lc_xcalloc(1, sizeof(ui_input_line)); /* closed, empty */
}

void ui_input_free(ui_input_line *in)
{
    if (!in)
        return;
    lc_buf_free(&in->text);
    lc_strv_free(&in->history);
    free(in);
}

ui_input ui_input_mode(const lc_app *app)
{
    return app->in->mode;
}

void ui_input_set_mode(lc_app *app, ui_input mode)
{
    app->in->mode = mode;
}

static void line_set(lc_app *app, const char *text);

void ui_input_start(lc_app *app, ui_input mode, const char *text)
{
    app->in->mode = mode;
    line_set(app, text ? text : "");
    app->in->hist_pos = app->in->history.n;
}

/* Sanitized text of the input line for the screen: a line end shows as a return sign. */
static void shown_text(const char *raw, size_t len, lc_buf *out)
{
    lc_buf clean = LC_BUF_INIT;
    lc_text_sanitize(raw, len, LC_SAN_KEEP_NEWLINE, &clean);
    for (size_t i = 0; i < clean.len; i++) {
        if (clean.data[i] == '\n')
            lc_buf_puts(out, "\u23ce");
        else
            lc_buf_putc(out, clean.data[i]);
    }
    lc_buf_free(&clean);
}

/* The cursor (a byte offset), put back on a character start inside the
 * line if the line changed under it. */
static size_t input_cursor(lc_app *app)
{
    if (app->in->cursor > app->in->text.len) /* the line was reset elsewhere */
        app->in->cursor = app->in->text.len;
    while (app->in->cursor > 0 && app->in->cursor < app->in->text.len &&
           ((unsigned char)app->in->text.data[app->in->cursor] & 0xC0) == 0x80)
        app->in->cursor--;
    return app->in->cursor;
}

void ui_input_draw(lc_app *app, int y)
{
    attr_t n = app->theme.attr[UI_R_INPUT], pr = app->theme.attr[UI_R_PROMPT];
    ui_fill(app, y, 0, app->cols, n);
    curs_set(0);
    const char *prompt = NULL;
    char quitq[256];
    switch (app->in->mode) {
    case UI_IN_MESSAGE: prompt = "Message (Enter sends, Esc cancels): "; break;
    case UI_IN_REASON: prompt = "Why decline? (Enter sends, Esc goes back): "; break;
    case UI_IN_ANSWER: prompt = "Your answer (Enter sends, Esc declines): "; break;
    case UI_IN_TASK: prompt = "Task (Enter starts the agent, Esc then q quits): "; break;
    case UI_IN_SEARCH: prompt = "Search (Enter finds, Esc cancels): "; break;
    case UI_IN_SAVE: prompt = "Save to file (Enter saves, Esc cancels): "; break;
    case UI_IN_MODEL_FAILED:
        prompt = "The model failed; the session is kept: r retries, m changes the model, q ends the session ";
        break;
    case UI_IN_MODEL: prompt = "Model (provider/name; Enter goes on with it, Esc goes back): "; break;
    case UI_IN_PANE: prompt = ui_diff_prompt(app); break;
    case UI_IN_QUIT: {
        bool working = app->th_started && !atomic_load(&app->th_done) && !app->want_task;
        if (app->unapplied > 0)
            snprintf(quitq, sizeof quitq,
                     "%s%d hunk%s in %d file%s not applied: they stay in the shadow copy (--resume last "
                     "reviews them). Quit? (y/n) ",
                     working ? "The agent is working; " : "", app->unapplied, app->unapplied == 1 ? "" : "s",
                     app->unapplied_files, app->unapplied_files == 1 ? "" : "s");
        else
            snprintf(quitq, sizeof quitq, "The agent is working. Stop it and quit? (y/n) ");
        prompt = quitq;
        break;
    }
    case UI_IN_NONE: break;
    }
    if (!prompt) {
        if (ui_ask_current(app).kind == UI_ASK_APPROVE) {
            ui_approval_draw(app, y);
        } else if (app->flash[0] && lc_now_ms() < app->flash_until) {
            ui_draw_fmt(app, y, 0, app->cols, app->theme.attr[UI_R_FLASH], "%s", app->flash);
        } else {
            char msg[32], help[32], zoom[32], grants[32];
            ui_keymap_keys_text(&app->keys, UI_A_MESSAGE, msg, sizeof msg);
            ui_keymap_keys_text(&app->keys, UI_A_HELP, help, sizeof help);
            ui_keymap_keys_text(&app->keys, UI_A_ZOOM, zoom, sizeof zoom);
            ui_keymap_keys_text(&app->keys, UI_A_GRANTS, grants, sizeof grants);
            ui_draw_fmt(app, y, 0, app->cols, app->theme.attr[UI_R_LINENO],
                        app->want_task ? "%s types the task  Tab focus  %s zoom  %s grants  %s help  q quits"
                                       : "%s message  Tab focus  %s zoom  %s grants  %s help",
                        msg, zoom, grants, help);
        }
        return;
    }
    int x = ui_draw_fmt(app, y, 0, app->cols, pr, "%s", prompt);
    /* The text around the cursor, the rest cut at both ends. Only a window
     * around it is looked at, so a pasted 64 KiB message costs no more per
     * frame than a short one. The text is the user's own but still
     * sanitized; each line end of a multi-line message shows as a return
     * sign. */
    const char *raw = lc_buf_cstr(&app->in->text);
    size_t cur = input_cursor(app), span = (size_t)app->cols * 8;
    size_t from = cur > span ? cur - span : 0, to = app->in->text.len - cur > span ? cur + span : app->in->text.len;
    while (from > 0 && ((unsigned char)raw[from] & 0xC0) == 0x80)
        from++; /* start on a character */
    while (to < app->in->text.len && ((unsigned char)raw[to] & 0xC0) == 0x80)
        to--;
    lc_buf before = LC_BUF_INIT, after = LC_BUF_INIT;
    shown_text(raw + from, cur - from, &before);
    shown_text(raw + cur, to - cur, &after);
    const char *s = lc_buf_cstr(&before);
    size_t len = before.len;
    int room = app->cols - x - 1;
    /* Drop characters from the front until the cursor fits (linear). */
    for (int total = ui_text_width(s, len); len && total > room;) {
        uint32_t cp;
        size_t k = lc_utf8_decode(s, len, &cp);
        k = k ? k : 1;
        total -= ui_text_width(s, k);
        s += k;
        len -= k;
    }
    x += ui_draw_text(app, y, x, app->cols - x, s, len, n);
    int cx = x;
    if (x < app->cols)
        ui_draw_text(app, y, x, app->cols - x, after.data ? after.data : "", after.len, n);
    if (app->in->mode != UI_IN_QUIT) {
        move(y, cx < app->cols ? cx : app->cols - 1);
        curs_set(1);
    }
    lc_buf_free(&before);
    lc_buf_free(&after);
}

/* ---- editing the line: the cursor is a byte offset on a character start ---- */

static size_t prev_char(const lc_buf *b, size_t i)
{
    while (i > 0 && ((unsigned char)b->data[--i] & 0xC0) == 0x80)
        ;
    return i;
}

static size_t next_char(const lc_buf *b, size_t i)
{
    if (i < b->len)
        i++;
    while (i < b->len && ((unsigned char)b->data[i] & 0xC0) == 0x80)
        i++;
    return i;
}

/* Removes bytes [a, b) of the line; the cursor goes to a. */
static void line_cut(lc_app *app, size_t a, size_t b)
{
    lc_buf *l = &app->in->text;
    if (b > l->len)
        b = l->len;
    if (a >= b) {
        app->in->cursor = a < l->len ? a : l->len;
        return;
    }
    memmove(l->data + a, l->data + b, l->len - b);
    l->len -= b - a;
    l->data[l->len] = '\0';
    app->in->cursor = a;
}

static void line_insert(lc_app *app, const char *t, size_t n)
{
    lc_buf *l = &app->in->text;
    size_t at = input_cursor(app), tail = l->len - at;
    lc_buf_append(l, t, n); /* grows the buffer; then the tail is moved after the new text */
    memmove(l->data + at + n, l->data + at, tail);
    memcpy(l->data + at, t, n);
    app->in->cursor = at + n;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n';
}

/* C-w: the word before the cursor and the blanks after it, as in a shell. */
static void line_kill_word(lc_app *app)
{
    size_t end = input_cursor(app), i = end;
    while (i > 0 && is_space(app->in->text.data[i - 1]))
        i--;
    while (i > 0 && !is_space(app->in->text.data[i - 1]))
        i--;
    line_cut(app, i, end);
}

/* Home, C-a and End, C-e go to the start and end of the cursor's line of a
 * multi-line message; pressed there again, of the whole message. */
static void line_home(lc_app *app)
{
    size_t i = input_cursor(app);
    if (i > 0 && app->in->text.data[i - 1] == '\n') {
        app->in->cursor = 0;
        return;
    }
    while (i > 0 && app->in->text.data[i - 1] != '\n')
        i--;
    app->in->cursor = i;
}

static void line_end(lc_app *app)
{
    size_t i = input_cursor(app);
    if (i < app->in->text.len && app->in->text.data[i] == '\n') {
        app->in->cursor = app->in->text.len;
        return;
    }
    while (i < app->in->text.len && app->in->text.data[i] != '\n')
        i++;
    app->in->cursor = i;
}

static void line_set(lc_app *app, const char *text)
{
    lc_buf_reset(&app->in->text);
    lc_buf_puts(&app->in->text, text);
    app->in->cursor = app->in->text.len;
}

static void history_push(lc_app *app, const char *text)
{
    if (!*text || (app->in->history.n && strcmp(app->in->history.v[app->in->history.n - 1], text) == 0)) {
        app->in->hist_pos = app->in->history.n;
        return;
    }
    if (app->in->history.n >= HISTORY_MAX) {
        free(app->in->history.v[0]);
        memmove(app->in->history.v, app->in->history.v + 1, (app->in->history.n - 1) * sizeof *app->in->history.v);
        app->in->history.v[--app->in->history.n] = NULL;
    }
    lc_strv_push(&app->in->history, text);
    app->in->hist_pos = app->in->history.n;
}

/* Up and Down in the input line walk the history; what was typed is kept in it first. */
static void history_walk(lc_app *app, int dir)
{
    if (app->in->hist_pos == app->in->history.n && app->in->text.len) {
        history_push(app, lc_buf_cstr(&app->in->text));
        app->in->hist_pos = app->in->history.n - 1;
    }
    if (dir < 0 && app->in->hist_pos > 0)
        app->in->hist_pos--;
    else if (dir > 0 && app->in->hist_pos < app->in->history.n)
        app->in->hist_pos++;
    else
        return;
    line_set(app, app->in->hist_pos < app->in->history.n ? app->in->history.v[app->in->hist_pos] : "");
}

bool ui_input_clear(lc_app *app)
{
    if (app->in->mode == UI_IN_QUIT || app->in->text.len == 0)
        return false;
    history_push(app, lc_buf_cstr(&app->in->text));
    line_set(app, "");
    ui_flash(app, "line cleared (Up brings it back); C-c on the empty line interrupts");
    return true;
}

void ui_input_open(lc_app *app)
{
    bool answer = ui_ask_current(app).kind == UI_ASK_USER;
    ui_input_start(app, app->want_task ? UI_IN_TASK : answer ? UI_IN_ANSWER : UI_IN_MESSAGE, NULL);
}

void ui_input_paste(lc_app *app, const char *text, size_t len, uint64_t cut)
{
    if (len == 0 && cut == 0)
        return;
    app->help = false; /* on a screen too small it waits in the input line until it grows */
    bool opened = app->in->mode == UI_IN_NONE || app->in->mode == UI_IN_QUIT;
    if (opened)
        ui_input_open(app);
    size_t room = INPUT_MAX > app->in->text.len ? INPUT_MAX - app->in->text.len : 0;
    size_t take = len < room ? len : room;
    while (take < len && take > 0 && ((unsigned char)text[take] & 0xC0) == 0x80)
        take--; /* never half a character */
    line_insert(app, text, take);
    cut += len - take;
    if (cut)
        ui_flash(app, "the paste was cut: %llu bytes over the input line's %d were left out",
                 (unsigned long long)cut, INPUT_MAX);
    else if (opened)
        ui_flash(app, "pasted as text into the input line: Enter sends it, Esc cancels%s",
                 ui_ask_current(app).kind == UI_ASK_APPROVE ? "; the step still waits for your answer" : "");
}

static void submit(lc_app *app)
{
    char *text = lc_xstrdup(lc_buf_cstr(&app->in->text));
    history_push(app, text);
    line_set(app, "");
    ui_input mode = app->in->mode;
    app->in->mode = UI_IN_NONE;
    switch (mode) {
    case UI_IN_MESSAGE:
        if (!*text) {
            free(text);
            return;
        }
        if (app->th_started && !atomic_load(&app->th_done)) {
            lc_agent_post_message(app->agent, text);
            ui_flash(app, "message queued: the agent reads it at its next step");
        } else {
            ui_flash(app, "the agent is not running: the message was not sent");
        }
        free(text);
        return;
    case UI_IN_REASON:
        if (!*text) {
            free(text);
            text = lc_xstrdup("(no reason given)");
        }
        ui_answer(app, LC_DECIDE_DECLINE, text);
        return;
    case UI_IN_PANE:
        ui_diff_prompt_done(app, text);
        free(text);
        return;
    case UI_IN_ANSWER:
        ui_conv_addf(app, UI_R_USER, "  you answered: %s", text);
        ui_answer_user(app, text);
        return;
    case UI_IN_SEARCH:
        ui_search_submit(app, text);
        free(text);
        return;
    case UI_IN_SAVE:
        ui_copy_save(app, text);
        free(text);
        return;
    case UI_IN_MODEL:
        if (!*text) {
            free(text);
            return; /* the question comes back */
        }
        free(app->status.model);
        app->status.model = lc_xstrdup(text);
        ui_model_pick_set(app, UI_MP_CHANGE, text);
        return;
    case UI_IN_TASK:
        if (!*text) {
            free(text);
            app->in->mode = UI_IN_TASK;
            ui_flash(app, "type the task for the agent, then Enter");
            return;
        }
        pthread_mutex_lock(&app->mu);
        free(app->task);
        app->task = text;
        app->want_task = false;
        pthread_cond_broadcast(&app->cv);
        pthread_mutex_unlock(&app->mu);
        app->status.state = UI_ST_THINKING;
        return;
    default:
        free(text);
        return;
    }
}

unsigned ui_model_failed_key(lc_app *app, int key)
{
    if (key == 'r' || key == 'R') {
        app->in->mode = UI_IN_NONE;
        ui_model_pick_set(app, UI_MP_RETRY, NULL);
    } else if (key == 'm' || key == 'M') {
        app->in->mode = UI_IN_MODEL;
        const char *cur = app->model_cfg.name           ? app->model_cfg.name
                          : app->cfg && app->cfg->model.name ? app->cfg->model.name
                                                             : "";
        line_set(app, cur);
        app->in->hist_pos = app->in->history.n;
    } else if (key == 'q' || key == 'Q' || key == 27) {
        app->in->mode = UI_IN_NONE;
        ui_model_pick_set(app, UI_MP_END, NULL);
    } else {
        ui_flash(app, "the model failed: r retries, m changes the model, q ends the session");
    }
    return UI_REDRAW;
}

unsigned ui_input_key(lc_app *app, int key)
{
    if (app->in->mode == UI_IN_MODEL_FAILED)
        return ui_model_failed_key(app, key);
    if (app->in->mode == UI_IN_QUIT) {
        /* Only y quits and only n, q or Esc go back: an Enter meant as "yes"
         * must not close this and then be read by the step's question. */
        if (key == 'y' || key == 'Y') {
            app->in->mode = UI_IN_NONE;
            ui_flash(app, "stopping the agent");
            return UI_QUIT | UI_REDRAW;
        }
        if (key == 'n' || key == 'N' || key == 'q' || key == 27) {
            app->in->mode = UI_IN_NONE;
            if (ui_ask_current(app).kind != UI_ASK_NONE) /* the question is new to the eye again */
                app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
            return UI_REDRAW;
        }
        ui_flash(app, "y quits, n goes back");
        return UI_REDRAW;
    }
    size_t cur = input_cursor(app);
    switch (ui_keymap_lookup(&app->keys, UI_SC_INPUT, key)) {
    case UI_A_INPUT_HISTORY_PREV:
    case UI_A_INPUT_HISTORY_NEXT:
        history_walk(app, ui_keymap_lookup(&app->keys, UI_SC_INPUT, key) == UI_A_INPUT_HISTORY_PREV ? -1 : 1);
        return UI_REDRAW;
    case UI_A_INPUT_CANCEL:
        if (app->in->mode == UI_IN_ANSWER)
            ui_answer_user(app, NULL);
        app->in->mode = UI_IN_NONE; /* a decline goes back to the approval bar */
        line_set(app, "");
        return UI_REDRAW;
    case UI_A_INPUT_NEWLINE:
        if (app->in->text.len < INPUT_MAX)
            line_insert(app, "\n", 1);
        return UI_REDRAW;
    case UI_A_INPUT_SEND:
        /* A backslash just before the cursor makes Enter a line break, for
         * terminals where Alt-Enter is not Esc then Enter. */
        if (cur > 0 && app->in->text.data[cur - 1] == '\\') {
            app->in->text.data[cur - 1] = '\n';
            return UI_REDRAW;
        }
        submit(app);
        return UI_REDRAW;
    case UI_A_INPUT_BACKSPACE:
        line_cut(app, prev_char(&app->in->text, cur), cur);
        return UI_REDRAW;
    case UI_A_INPUT_DELETE:
        line_cut(app, cur, next_char(&app->in->text, cur));
        return UI_REDRAW;
    case UI_A_INPUT_LEFT:
        app->in->cursor = prev_char(&app->in->text, cur);
        return UI_REDRAW;
    case UI_A_INPUT_RIGHT:
        app->in->cursor = next_char(&app->in->text, cur);
        return UI_REDRAW;
    case UI_A_INPUT_HOME:
        line_home(app);
        return UI_REDRAW;
    case UI_A_INPUT_END:
        line_end(app);
        return UI_REDRAW;
    case UI_A_INPUT_KILL_WORD:
        line_kill_word(app);
        return UI_REDRAW;
    case UI_A_INPUT_KILL_START: /* as in a shell: from the cursor back */
        line_cut(app, 0, cur);
        return UI_REDRAW;
    case UI_A_INPUT_KILL_END:
        line_cut(app, cur, app->in->text.len);
        return UI_REDRAW;
    default:
        break;
    }
    if (key < 32 || key >= 0x110000 || app->in->text.len >= INPUT_MAX)
        return UI_HANDLED;
    char buf[8];
    mbstate_t st = {0};
    size_t n = wcrtomb(buf, (wchar_t)key, &st);
    if (n != (size_t)-1)
        line_insert(app, buf, n);
    return UI_REDRAW;
}
