/* The status bar (model, agent, step, tokens and cost, sandbox and its network,
 * elapsed time, auto-approve, a spinner while something works) and the input
 * line below it (a message for the agent, a decline reason, an answer). */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define INPUT_MAX (64 * 1024) /* a pasted message may be long */
#define HISTORY_MAX 100

static const char *state_text(const lc_app *app)
{
    if (app->want_task && (app->status.state != UI_ST_STARTING || atomic_load(&app->sandbox_up)))
        return "waiting for your task";
    switch (app->status.state) {
    case UI_ST_IDLE: return "idle";
    case UI_ST_STARTING: return atomic_load(&app->building) ? "building the image" : "starting the sandbox";
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
    if ((ui_ask_current(app).kind != UI_ASK_NONE || app->input != UI_IN_NONE) && app->flash[0] &&
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
    if (app->cfg && app->cfg->container.network)
        x += ui_draw_fmt(app, y, x, w - x, app->theme.attr[UI_R_STATUS_WARN], " NETWORK ON ");
    char cost[32] = "";
    double usd = app->cfg ? lc_model_cost(&app->cfg->model, m->ptok, m->ctok) : -1;
    if (usd >= 0)
        snprintf(cost, sizeof cost, usd < 10 ? " $%.3f" : " $%.2f", usd);
    x += ui_draw_fmt(app, y, x, w - x, st, "| %s | %s | tok %lld/%lld%s | %02lld:%02lld", m->model, m->agent_desc,
                     (long long)m->ptok, (long long)m->ctok, cost, (long long)(secs / 60), (long long)(secs % 60));
    if (m->exec_desc)
        x += ui_draw_fmt(app, y, x, w - x, st, " | %s", m->exec_desc);
}

void ui_input_draw(lc_app *app, int y)
{
    attr_t n = app->theme.attr[UI_R_INPUT], pr = app->theme.attr[UI_R_PROMPT];
    ui_fill(app, y, 0, app->cols, n);
    curs_set(0);
    const char *prompt = NULL;
    char quitq[256];
    switch (app->input) {
    case UI_IN_MESSAGE: prompt = "Message (Enter sends, Esc cancels): "; break;
    case UI_IN_REASON: prompt = "Why decline? (Enter sends, Esc goes back): "; break;
    case UI_IN_ANSWER: prompt = "Your answer (Enter sends, Esc declines): "; break;
    case UI_IN_TASK: prompt = "Task (Enter starts the agent, Esc then q quits): "; break;
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
            char msg[32], help[32], zoom[32];
            ui_keymap_keys_text(&app->keys, UI_A_MESSAGE, msg, sizeof msg);
            ui_keymap_keys_text(&app->keys, UI_A_HELP, help, sizeof help);
            ui_keymap_keys_text(&app->keys, UI_A_ZOOM, zoom, sizeof zoom);
            ui_draw_fmt(app, y, 0, app->cols, app->theme.attr[UI_R_LINENO],
                        app->want_task ? "%s types the task  Tab focus  %s zoom  %s help  q quits"
                                       : "%s message  Tab focus  %s zoom  %s help",
                        msg, zoom, help);
        }
        return;
    }
    int x = ui_draw_fmt(app, y, 0, app->cols, pr, "%s", prompt);
    /* Show the end of a long line; the text is the user's own but still
     * sanitized. Only the tail that can show is looked at, so a pasted
     * 64 KiB message costs no more per frame than a short one. */
    const char *raw = lc_buf_cstr(&app->line);
    size_t from = app->line.len > (size_t)app->cols * 8 ? app->line.len - (size_t)app->cols * 8 : 0;
    while (from > 0 && from < app->line.len && ((unsigned char)raw[from] & 0xC0) == 0x80)
        from++; /* start on a character */
    lc_buf clean = LC_BUF_INIT, shown = LC_BUF_INIT;
    lc_text_sanitize(raw + from, app->line.len - from, LC_SAN_KEEP_NEWLINE, &clean);
    /* A multi-line message on one row: each line end shows as a return sign. */
    for (size_t i = 0; i < clean.len; i++) {
        if (clean.data[i] == '\n')
            lc_buf_puts(&shown, "\u23ce");
        else
            lc_buf_putc(&shown, clean.data[i]);
    }
    const char *s = lc_buf_cstr(&shown);
    size_t len = shown.len;
    int room = app->cols - x - 1, cols = 0;
    /* Drop characters from the front by their widths (linear), then make sure. */
    for (int total = ui_text_width(s, len); len && total > room;) {
        uint32_t cp;
        size_t k = lc_utf8_decode(s, len, &cp);
        k = k ? k : 1;
        total -= ui_text_width(s, k);
        s += k;
        len -= k;
    }
    while (len && (ui_text_fit(s, len, 1 << 30, &cols), cols > room)) {
        uint32_t cp;
        size_t k = lc_utf8_decode(s, len, &cp);
        s += k ? k : 1;
        len -= k ? k : 1;
    }
    x += ui_draw_text(app, y, x, app->cols - x, s, len, n);
    if (app->input != UI_IN_QUIT) {
        move(y, x < app->cols ? x : app->cols - 1);
        curs_set(1);
    }
    lc_buf_free(&clean);
    lc_buf_free(&shown);
}

static void line_backspace(lc_buf *b)
{
    while (b->len > 0) {
        unsigned char c = (unsigned char)b->data[--b->len];
        if ((c & 0xC0) != 0x80)
            break; /* stop at the first byte of a UTF-8 sequence */
    }
    if (b->data)
        b->data[b->len] = '\0';
}

static void history_push(lc_app *app, const char *text)
{
    if (!*text || (app->history.n && strcmp(app->history.v[app->history.n - 1], text) == 0)) {
        app->hist_pos = app->history.n;
        return;
    }
    if (app->history.n >= HISTORY_MAX) {
        free(app->history.v[0]);
        memmove(app->history.v, app->history.v + 1, (app->history.n - 1) * sizeof *app->history.v);
        app->history.v[--app->history.n] = NULL;
    }
    lc_strv_push(&app->history, text);
    app->hist_pos = app->history.n;
}

/* Up and Down in the input line walk the history; what was typed is kept in it first. */
static void history_walk(lc_app *app, int dir)
{
    if (app->hist_pos == app->history.n && app->line.len) {
        history_push(app, lc_buf_cstr(&app->line));
        app->hist_pos = app->history.n - 1;
    }
    if (dir < 0 && app->hist_pos > 0)
        app->hist_pos--;
    else if (dir > 0 && app->hist_pos < app->history.n)
        app->hist_pos++;
    else
        return;
    lc_buf_reset(&app->line);
    if (app->hist_pos < app->history.n)
        lc_buf_puts(&app->line, app->history.v[app->hist_pos]);
}

bool ui_input_clear(lc_app *app)
{
    if (app->input == UI_IN_QUIT || app->line.len == 0)
        return false;
    history_push(app, lc_buf_cstr(&app->line));
    lc_buf_reset(&app->line);
    ui_flash(app, "line cleared (Up brings it back); C-c on the empty line interrupts");
    return true;
}

void ui_input_open(lc_app *app)
{
    bool answer = ui_ask_current(app).kind == UI_ASK_USER;
    app->input = app->want_task ? UI_IN_TASK : answer ? UI_IN_ANSWER : UI_IN_MESSAGE;
    lc_buf_reset(&app->line);
    app->hist_pos = app->history.n;
}

void ui_input_paste(lc_app *app, const char *text, size_t len, uint64_t cut)
{
    if (len == 0 && cut == 0)
        return;
    app->help = false; /* on a screen too small it waits in the input line until it grows */
    bool opened = app->input == UI_IN_NONE || app->input == UI_IN_QUIT;
    if (opened)
        ui_input_open(app);
    size_t room = INPUT_MAX > app->line.len ? INPUT_MAX - app->line.len : 0;
    size_t take = len < room ? len : room;
    while (take < len && take > 0 && ((unsigned char)text[take] & 0xC0) == 0x80)
        take--; /* never half a character */
    lc_buf_append(&app->line, text, take);
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
    char *text = lc_xstrdup(lc_buf_cstr(&app->line));
    history_push(app, text);
    lc_buf_reset(&app->line);
    ui_input mode = app->input;
    app->input = UI_IN_NONE;
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
    case UI_IN_TASK:
        if (!*text) {
            free(text);
            app->input = UI_IN_TASK;
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

unsigned ui_input_key(lc_app *app, int key)
{
    if (app->input == UI_IN_QUIT) {
        /* Only y quits and only n, q or Esc go back: an Enter meant as "yes"
         * must not close this and then be read by the step's question. */
        if (key == 'y' || key == 'Y') {
            app->input = UI_IN_NONE;
            ui_flash(app, "stopping the agent");
            return UI_QUIT | UI_REDRAW;
        }
        if (key == 'n' || key == 'N' || key == 'q' || key == 27) {
            app->input = UI_IN_NONE;
            if (ui_ask_current(app).kind != UI_ASK_NONE) /* the question is new to the eye again */
                app->guard_until = lc_now_ms() + app->opts.approval_guard_ms;
            return UI_REDRAW;
        }
        ui_flash(app, "y quits, n goes back");
        return UI_REDRAW;
    }
    if (key == UI_KFN(KEY_UP) || key == UI_KFN(KEY_DOWN)) {
        history_walk(app, key == UI_KFN(KEY_UP) ? -1 : 1);
        return UI_REDRAW;
    }
    if (key == 27) {
        if (app->input == UI_IN_ANSWER)
            ui_answer_user(app, NULL);
        app->input = UI_IN_NONE; /* a decline goes back to the approval bar */
        lc_buf_reset(&app->line);
        return UI_REDRAW;
    }
    if (key == '\n' || key == '\r' || key == UI_KFN(KEY_ENTER)) {
        submit(app);
        return UI_REDRAW;
    }
    if (key == 127 || key == 8 || key == UI_KFN(KEY_BACKSPACE)) {
        line_backspace(&app->line);
        return UI_REDRAW;
    }
    if (key == 21) { /* C-u clears the line, as in a shell */
        lc_buf_reset(&app->line);
        return UI_REDRAW;
    }
    if (key < 32 || key >= 0x110000 || app->line.len >= INPUT_MAX)
        return UI_HANDLED;
    char buf[8];
    mbstate_t st = {0};
    size_t n = wcrtomb(buf, (wchar_t)key, &st);
    if (n != (size_t)-1)
        lc_buf_append(&app->line, buf, n);
    return UI_REDRAW;
}
