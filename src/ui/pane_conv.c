/* The conversation pane: the task, the model's text as it streams (without
 * the code it proposes), plans, decisions, short observations, the final
 * answer, and the UI's own notes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

typedef struct conv_model {
    ui_lines lines;
    bool fence;      /* the stream is inside a ``` block the agent runs */
    bool tag;        /* the stream is inside a <code> block the agent runs */
    lc_buf pend;     /* the streamed line not finished yet */
    size_t shown;    /* bytes of it already on screen */
    bool streamed;   /* tokens arrived in this step */
} conv_model;

static conv_model *model(lc_app *app)
{
    return ui_pane_get(app, UI_P_CONV)->data;
}

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
/* A block the agent runs goes to the Code pane as the proposed step;
 * repeating it in the conversation only pushes the talk off screen. Which
 * block that is, the agent's extractor says (lc_extract_fence_line for
 * ``` lines, lc_extract_tag for <code>...</code> anywhere in a line): a
 * fence it does not run (```bash, a bare ```) stays in the talk. Streamed
 * text is cut anywhere, so a line that might open a fence, and the rest of
 * a line from a '<' on, are held back until the line is complete. */

static bool may_open(const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    return len == 0 || s[0] == '`';
}

static void code_mark(conv_model *m)
{
    ui_lines_addf(&m->lines, UI_R_INFO, "  [code: see the Code pane]");
}

/* One complete line; m->shown of its bytes are on screen already. */
static void conv_line(conv_model *m, ui_role role, const char *line, size_t len)
{
    if (!m->tag) {
        lc_fence_line f = lc_extract_fence_line(line, len, m->fence);
        if (f == (m->fence ? LC_FENCE_CLOSE : LC_FENCE_OPEN)) {
            if (!m->fence)
                code_mark(m);
            m->fence = !m->fence;
            return;
        }
        if (m->fence)
            return;
    }
    size_t i = 0;
    bool tagged = false; /* a tag was in this line: no empty line for what is left */
    for (;;) {
        size_t tl = 0;
        const char *t = lc_extract_tag(line + i, len - i, m->tag, &tl);
        size_t end = t ? (size_t)(t - line) : len;
        if (!m->tag) {
            size_t from = m->shown > i ? m->shown : i;
            if (end > from)
                ui_lines_add(&m->lines, role, line + from, end - from);
            if (!t && (!tagged || end > i))
                ui_lines_add(&m->lines, role, "\n", 1);
        }
        if (!t)
            break;
        if (!m->tag)
            code_mark(m);
        m->tag = !m->tag;
        tagged = true;
        i = end + tl;
    }
}

static void conv_stream(conv_model *m, ui_role role, const char *text, size_t len)
{
    lc_buf *p = &m->pend;
    if (len == 0)
        return;
    lc_buf_append(p, text, len);
    size_t start = 0;
    for (;;) {
        const char *nl = memchr(p->data + start, '\n', p->len - start);
        if (!nl)
            break;
        size_t end = (size_t)(nl - p->data);
        conv_line(m, role, p->data + start, end - start);
        m->shown = 0;
        start = end + 1;
    }
    memmove(p->data, p->data + start, p->len - start);
    p->len -= start;
    p->data[p->len] = '\0';
    /* The unfinished line: show what cannot become a fence or a tag. */
    const char *lt = memchr(p->data, '<', p->len);
    size_t upto = lt ? (size_t)(lt - p->data) : p->len;
    if (!m->fence && !m->tag && upto > m->shown && !(m->shown == 0 && may_open(p->data, p->len))) {
        ui_lines_add(&m->lines, role, p->data + m->shown, upto - m->shown);
        m->shown = upto;
    }
}

static void conv_stream_end(conv_model *m, ui_role role)
{
    if (m->pend.len)
        conv_stream(m, role, "\n", 1);
    lc_buf_reset(&m->pend);
    m->shown = 0;
    m->fence = m->tag = false;
    ui_lines_close(&m->lines);
}

static void conv_event(lc_app *app, ui_pane *p, const ui_event *e)
{
    (void)p;
    conv_model *m = model(app);
    ui_lines *c = &m->lines;
    const char *t = e->text ? e->text : "";
    if (e->kind != LC_EV_TOKEN && e->kind != LC_EV_REASONING && e->kind != LC_EV_MODEL_REPLY) {
        if (m->pend.len || m->fence) /* a reply that ended without MODEL_REPLY */
            conv_stream_end(m, UI_R_ASSISTANT);
        ui_lines_close(c);
    }
    switch (e->kind) {
    case LC_EV_TASK:
        add_short(c, UI_R_USER, "Task: ", t, e->len);
        break;
    case LC_EV_STEP_BEGIN:
        m->streamed = false;
        ui_lines_addf(c, UI_R_INFO, "-- step %d of %d --", e->step, app->status.max_steps);
        break;
    case LC_EV_TOKEN:
        conv_stream(m, UI_R_ASSISTANT, t, e->len);
        m->streamed = true;
        break;
    case LC_EV_REASONING:
        ui_lines_add(c, UI_R_REASONING, t, e->len);
        break;
    case LC_EV_MODEL_REPLY:
        if (!m->streamed) /* a provider that did not stream */
            conv_stream(m, UI_R_ASSISTANT, t, e->len);
        conv_stream_end(m, UI_R_ASSISTANT);
        break;
    case LC_EV_PLAN:
        ui_lines_addf(c, UI_R_PLAN, "Plan:");
        ui_lines_add(c, UI_R_PLAN, t, e->len);
        ui_lines_close(c);
        break;
    case LC_EV_ACTION:
        if (e->akind == LC_ACTION_CODE) {
            size_t n = 1;
            for (size_t i = 0; i < e->len; i++)
                n += t[i] == '\n' && i + 1 < e->len;
            ui_lines_addf(c, UI_R_INFO, "> step %d proposes %zu line%s of Python (Code pane)", e->step, n,
                          n == 1 ? "" : "s");
        } else {
            ui_lines_addf(c, UI_R_INFO, "> step %d calls %s", e->step, t);
        }
        break;
    case LC_EV_DECISION:
        switch (e->dkind) {
        case LC_DECIDE_RUN:
            if (e->detail) /* what decided it, when nobody was asked */
                ui_lines_addf(c, UI_R_INFO, "  ran without asking: %s", e->detail);
            else
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
    case LC_EV_INFO:
        add_short(c, UI_R_INFO, "  ", t, e->len);
        break;
    case LC_EV_ERROR:
        if (e->detail && strcmp(e->detail, "approval:ask") == 0)
            app->approve_reads = false; /* reads fell back to ask: the status bar says so */
        add_short(c, UI_R_ERROR, "Error: ", t, e->len);
        break;
    case LC_EV_FINAL_ANSWER:
        ui_lines_addf(c, UI_R_ANSWER, "Answer:");
        ui_lines_add(c, UI_R_ANSWER, t, e->len);
        ui_lines_close(c);
        break;
    case LC_EV_DONE:
        ui_lines_addf(c, UI_R_INFO, "-- session %s; review the diffs, q quits --", t);
        break;
    default: /* output, tool calls, results, usage (other panes, the status); what only the log records */
        break;
    }
}

void ui_conv_addf(lc_app *app, ui_role role, const char *fmt, ...)
{
    lc_buf b = LC_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    lc_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    ui_lines_addf(&model(app)->lines, (uint8_t)role, "%s", lc_buf_cstr(&b));
    lc_buf_free(&b);
}

void ui_conv_add(lc_app *app, ui_role role, const char *text, size_t len)
{
    ui_lines *c = &model(app)->lines;
    ui_lines_add(c, (uint8_t)role, text, len);
    ui_lines_close(c);
}

static void conv_open(lc_app *app, ui_pane *p)
{
    (void)app;
    conv_model *m = lc_xcalloc(1, sizeof *m);
    m->lines.max = 100000;
    p->data = m;
    p->sc.follow = true;
}

static void conv_close(lc_app *app, ui_pane *p)
{
    (void)app;
    conv_model *m = p->data;
    ui_lines_free(&m->lines);
    lc_buf_free(&m->pend);
    free(m);
    p->data = NULL;
}

static void conv_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    ui_draw_lines(app, r, &model(app)->lines, &p->sc, true);
}

static unsigned conv_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)key;
    return ui_scroll_rows_key(&p->sc, &model(app)->lines, a);
}

static void conv_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    (void)app;
    snprintf(out, outsz, "%s", p->sc.follow ? "" : "(scrolled: G follows)");
}

static bool conv_search(lc_app *app, ui_pane *p, const char *pat, int dir)
{
    (void)app;
    return ui_lines_search(&model(app)->lines, &p->sc, pat, dir);
}

static void conv_copy(lc_app *app, ui_pane *p, lc_buf *out, const char **what)
{
    (void)p;
    ui_lines_text(&model(app)->lines, out);
    *what = "the conversation";
}

const ui_pane_ops ui_conv_ops = {
    .title = "Conversation",
    .scope = UI_SC_SCROLL,
    .open = conv_open,
    .close = conv_close,
    .draw = conv_draw,
    .key = conv_key,
    .subtitle = conv_subtitle,
    .event = conv_event,
    .search = conv_search,
    .copy = conv_copy,
};
