/* The conversation pane, and where agent events become model changes: the
 * task, the model's text as it streams, plans, short observations, the
 * final answer; the output and code panes and the status are fed from here
 * too, so one switch says what each event does to the screen. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* Observations can be long (a whole traceback); the pane shows their start. */
#define OBS_LINES 4

static void add_short(ui_lines *l, ui_role role, const char *prefix, const char *text, size_t len)
{
    size_t lines = 0, i = 0;
    while (i < len && lines < OBS_LINES) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        lc_buf b = LC_BUF_INIT;
        if (lines == 0)
            lc_buf_puts(&b, prefix);
        else
            lc_buf_puts(&b, "  ");
        lc_buf_append(&b, text + i, end - i);
        ui_lines_add(l, role, b.data, b.len);
        ui_lines_close(l);
        lc_buf_free(&b);
        lines++;
        i = end + 1;
    }
    if (i < len)
        ui_lines_addf(l, role, "  ... (%zu more bytes; the model sees all of it)", len - i);
}

/* ---- the model's text, without the code it proposes ---------------------- */
/* A ```python block goes to the Code pane as the proposed step; repeating
 * it in the conversation only pushes the talk off screen. Streamed text is
 * cut anywhere, so a line that might open a fence is held back until it is
 * complete. */

static bool opens_code(const char *s, size_t len, bool in_fence)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    if (len < 3 || memcmp(s, "```", 3) != 0)
        return false;
    if (in_fence)
        return true; /* any fence closes */
    s += 3;
    len -= 3;
    while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
        len--;
    return len == 0 || (len == 6 && memcmp(s, "python", 6) == 0) || (len == 2 && memcmp(s, "py", 2) == 0);
}

static bool may_open(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    return len == 0 || s[0] == '`';
}

static void conv_line(lc_app *app, ui_role role, const char *line, size_t len)
{
    if (opens_code(line, len, app->conv_fence)) {
        if (!app->conv_fence)
            ui_lines_addf(&app->conv, UI_R_INFO, "  [code: see the Code pane]");
        app->conv_fence = !app->conv_fence;
        return;
    }
    if (app->conv_fence)
        return;
    size_t from = app->conv_shown < len ? app->conv_shown : len;
    ui_lines_add(&app->conv, role, line + from, len - from);
    ui_lines_add(&app->conv, role, "\n", 1);
}

static void conv_stream(lc_app *app, ui_role role, const char *text, size_t len)
{
    lc_buf *p = &app->conv_pend;
    if (len == 0)
        return;
    lc_buf_append(p, text, len);
    size_t start = 0;
    for (;;) {
        const char *nl = memchr(p->data + start, '\n', p->len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - p->data);
        conv_line(app, role, p->data + start, end - start);
        app->conv_shown = 0;
        start = end + 1;
    }
    memmove(p->data, p->data + start, p->len - start);
    p->len -= start;
    p->data[p->len] = '\0';
    /* The unfinished line: show what cannot become a fence. */
    if (!app->conv_fence && p->len > app->conv_shown && !(app->conv_shown == 0 && may_open(p->data, p->len))) {
        ui_lines_add(&app->conv, role, p->data + app->conv_shown, p->len - app->conv_shown);
        app->conv_shown = p->len;
    }
}

static void conv_stream_end(lc_app *app, ui_role role)
{
    if (app->conv_pend.len)
        conv_stream(app, role, "\n", 1);
    lc_buf_reset(&app->conv_pend);
    app->conv_shown = 0;
    app->conv_fence = false;
    ui_lines_close(&app->conv);
}

static void step_result(lc_app *app, const ui_event *e)
{
    ui_lines *o = &app->out;
    ui_lines_close(o);
    if (e->truncated)
        ui_lines_addf(o, UI_R_NOTICE, "[output truncated: %llu bytes left out, head and tail kept]",
                      (unsigned long long)e->dropped);
    if (e->notice)
        ui_lines_addf(o, UI_R_NOTICE, "[%s]", e->notice);
    bool ok = e->status == LC_STEP_OK || e->status == LC_STEP_FINAL;
    if (e->text && !ok)
        ui_lines_addf(o, UI_R_STDERR, "%s", e->text);
    if (e->state_lost)
        ui_flash(app, "the sandbox was restarted: Python state from earlier steps is gone");
    ui_lines_addf(o, ok ? UI_R_EXIT_OK : UI_R_EXIT_FAIL, "== step %d: %s in %.2f s%s", e->step,
                  lc_step_status_name(e->status), e->duration_s,
                  e->state_lost ? " (sandbox restarted: Python state lost)" : "");
}

void ui_apply_event(lc_app *app, const ui_event *e)
{
    ui_lines *c = &app->conv;
    const char *t = e->text ? e->text : "";
    if (e->kind != LC_EV_TOKEN && e->kind != LC_EV_REASONING && e->kind != LC_EV_MODEL_REPLY) {
        if (app->conv_pend.len || app->conv_fence) /* a reply that ended without MODEL_REPLY */
            conv_stream_end(app, UI_R_ASSISTANT);
        ui_lines_close(c);
    }
    switch (e->kind) {
    case LC_EV_TASK:
        add_short(c, UI_R_USER, "Task: ", t, e->len);
        app->state = UI_ST_THINKING;
        break;
    case LC_EV_STEP_BEGIN:
        app->step = e->step;
        if (e->max_steps)
            app->max_steps = e->max_steps;
        app->streamed = false;
        app->state = UI_ST_THINKING;
        ui_lines_addf(c, UI_R_INFO, "-- step %d of %d --", e->step, app->max_steps);
        break;
    case LC_EV_TOKEN:
        conv_stream(app, UI_R_ASSISTANT, t, e->len);
        app->streamed = true;
        break;
    case LC_EV_REASONING:
        ui_lines_add(c, UI_R_REASONING, t, e->len);
        break;
    case LC_EV_MODEL_REPLY:
        if (!app->streamed) /* a provider that did not stream */
            conv_stream(app, UI_R_ASSISTANT, t, e->len);
        conv_stream_end(app, UI_R_ASSISTANT);
        break;
    case LC_EV_PLAN:
        ui_lines_addf(c, UI_R_PLAN, "Plan:");
        ui_lines_add(c, UI_R_PLAN, t, e->len);
        ui_lines_close(c);
        break;
    case LC_EV_ACTION:
        app->state = UI_ST_WAITING;
        if (e->akind == LC_ACTION_CODE) {
            size_t n = 1;
            for (size_t i = 0; i < e->len; i++)
                n += t[i] == '\n' && i + 1 < e->len;
            ui_lines_addf(c, UI_R_INFO, "> step %d proposes %zu line%s of Python (Code pane)", e->step, n,
                          n == 1 ? "" : "s");
            ui_set_code(app, e->step, LC_ACTION_CODE, t, NULL);
        } else {
            ui_lines_addf(c, UI_R_INFO, "> step %d calls %s", e->step, t);
            ui_set_code(app, e->step, LC_ACTION_TOOL, e->detail ? e->detail : "{}", t);
        }
        break;
    case LC_EV_DECISION:
        switch (e->dkind) {
        case LC_DECIDE_RUN:
            ui_lines_addf(c, UI_R_INFO, "  approved: running");
            break;
        case LC_DECIDE_RUN_EDITED:
            ui_lines_addf(c, UI_R_INFO, "  approved after your edit: running");
            break;
        case LC_DECIDE_DECLINE:
            add_short(c, UI_R_USER, "  declined: ", t, e->len);
            break;
        case LC_DECIDE_STOP:
            ui_lines_addf(c, UI_R_ERROR, "  stopped by you");
            break;
        }
        if (e->dkind == LC_DECIDE_RUN || e->dkind == LC_DECIDE_RUN_EDITED) {
            app->state = UI_ST_RUNNING;
            ui_lines_close(&app->out);
            ui_lines_addf(&app->out, UI_R_INFO, "== step %d ==", e->step);
        }
        break;
    case LC_EV_OUTPUT:
        if (app->state != UI_ST_STARTING) /* the image build's progress comes here too */
            app->state = UI_ST_RUNNING;
        ui_lines_add(&app->out, e->stream == LC_STREAM_STDERR ? UI_R_STDERR : UI_R_STDOUT, t, e->len);
        break;
    case LC_EV_TOOL_CALL:
        ui_lines_addf(&app->out, UI_R_INFO, "[tool call: %s(%s)]", t, e->detail ? e->detail : "");
        break;
    case LC_EV_STEP_RESULT:
        step_result(app, e);
        ui_ctrlc_renew(app);
        app->state = UI_ST_THINKING;
        ui_diff_refresh(app);
        break;
    case LC_EV_OBSERVATION:
        add_short(c, UI_R_OBSERVATION, "  observed: ", t, e->len);
        break;
    case LC_EV_CHANGED_FILES:
        add_short(c, UI_R_INFO, "  changed: ", t, e->len);
        break;
    case LC_EV_USER_MESSAGE:
        add_short(c, UI_R_USER, "You: ", t, e->len);
        break;
    case LC_EV_USAGE:
        app->ptok += e->ptok;
        app->ctok += e->ctok;
        break;
    case LC_EV_INFO:
        add_short(c, UI_R_INFO, "  ", t, e->len);
        break;
    case LC_EV_ERROR:
        add_short(c, UI_R_ERROR, "Error: ", t, e->len);
        break;
    case LC_EV_FINAL_ANSWER:
        ui_lines_addf(c, UI_R_ANSWER, "Answer:");
        ui_lines_add(c, UI_R_ANSWER, t, e->len);
        ui_lines_close(c);
        break;
    case LC_EV_DONE:
        app->state = UI_ST_DONE;
        ui_lines_addf(c, UI_R_INFO, "-- session %s; review the diffs, q quits --", t);
        break;
    default: /* what only the log records */
        break;
    }
}

static void conv_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    ui_draw_lines(app, r, &app->conv, &p->sc, true);
}

static unsigned conv_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)key;
    return ui_scroll_rows_key(&p->sc, &app->conv, a);
}

static void conv_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    (void)app;
    snprintf(out, outsz, "%s", p->sc.follow ? "" : "(scrolled: G follows)");
}

const ui_pane_ops ui_conv_ops = {"Conversation", conv_draw, conv_key, conv_subtitle};

static void out_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    ui_draw_lines(app, r, &app->out, &p->sc, true);
}

static unsigned out_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)key;
    return ui_scroll_rows_key(&p->sc, &app->out, a);
}

static void out_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s%s", p->sc.follow ? "" : "(scrolled: G follows) ",
             app->state == UI_ST_RUNNING ? "C-c interrupts" : "");
}

const ui_pane_ops ui_output_ops = {"Output", out_draw, out_key, out_subtitle};
