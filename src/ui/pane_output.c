/* The output pane: what a running step prints (stdout plain, stderr in its
 * colour), the tool calls it makes, and the line that ends each step (how
 * it ended, how long it took, what the sandbox had to cut or restart). The
 * image build's progress shows here too. */
#include <stdio.h>
#include <stdlib.h>

#include "ui/ui_int.h"

typedef struct out_model {
    ui_lines lines;
    int running; /* the step whose "== step N ==" is shown and whose result has not come; 0: none */
} out_model;

static out_model *model(ui_pane *p)
{
    return p->data;
}

static ui_lines *lines(ui_pane *p)
{
    return &model(p)->lines;
}

static void step_result(ui_lines *o, const ui_event *e)
{
    ui_lines_close(o);
    if (e->truncated)
        ui_lines_addf(o, UI_R_NOTICE, "[output truncated: %llu bytes left out, head and tail kept]",
                      (unsigned long long)e->dropped);
    if (e->notice)
        ui_lines_addf(o, UI_R_NOTICE, "[%s]", e->notice);
    bool ok = e->status == LC_STEP_OK || e->status == LC_STEP_FINAL;
    if (e->text && !ok)
        ui_lines_addf(o, UI_R_STDERR, "%s", e->text);
    ui_lines_addf(o, ok ? UI_R_EXIT_OK : UI_R_EXIT_FAIL, "== step %d: %s in %.2f s%s", e->step,
                  lc_step_status_name(e->status), e->duration_s,
                  e->state_lost ? " (sandbox restarted: Python state lost)" : "");
}

static void out_event(lc_app *app, ui_pane *p, const ui_event *e)
{
    (void)app;
    ui_lines *o = lines(p);
    const char *t = e->text ? e->text : "";
    switch (e->kind) {
    case LC_EV_STEP_BEGIN: /* a step that ended without a result (an error) is over too */
        model(p)->running = 0;
        break;
    case LC_EV_DECISION:
        /* A decision inside a running step is one of its calls (an MCP
         * tool asks on its own): the step goes on under its header. */
        if ((e->dkind == LC_DECIDE_RUN || e->dkind == LC_DECIDE_RUN_EDITED) && model(p)->running != e->step) {
            ui_lines_close(o);
            ui_lines_addf(o, UI_R_INFO, "== step %d ==", e->step);
            model(p)->running = e->step;
        }
        break;
    case LC_EV_OUTPUT:
        ui_lines_add(o, e->stream == LC_STREAM_STDERR ? UI_R_STDERR : UI_R_STDOUT, t, e->len);
        break;
    case LC_EV_TOOL_CALL:
        ui_lines_addf(o, UI_R_INFO, "[tool call: %s(%s)]", t, e->detail ? e->detail : "");
        break;
    case LC_EV_STEP_RESULT:
        step_result(o, e);
        model(p)->running = 0;
        break;
    default:
        break;
    }
}

static void out_open(lc_app *app, ui_pane *p)
{
    out_model *m = lc_xcalloc(1, sizeof *m);
    m->lines.max = app->cfg && app->cfg->ui.scrollback > 0 ? (size_t)app->cfg->ui.scrollback : 20000;
    m->lines.limit_name = "ui.scrollback";
    p->data = m;
    p->sc.follow = true;
}

static void out_close(lc_app *app, ui_pane *p)
{
    (void)app;
    ui_lines_free(lines(p));
    free(p->data);
    p->data = NULL;
}

static void out_draw(lc_app *app, ui_pane *p, ui_rect r)
{
    ui_draw_lines(app, r, lines(p), &p->sc, true);
}

static unsigned out_key(lc_app *app, ui_pane *p, ui_action a, int key)
{
    (void)app;
    (void)key;
    return ui_scroll_rows_key(&p->sc, lines(p), a);
}

static void out_subtitle(lc_app *app, ui_pane *p, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s%s", p->sc.follow ? "" : "(scrolled: G follows) ",
             app->status.state == UI_ST_RUNNING ? "C-c interrupts" : "");
}

static bool output_search(lc_app *app, ui_pane *p, const char *pat, int dir)
{
    (void)app;
    return ui_lines_search(lines(p), &p->sc, pat, dir);
}

static void output_copy(lc_app *app, ui_pane *p, lc_buf *out, const char **what)
{
    (void)app;
    ui_lines_text(lines(p), out);
    *what = "the output";
}

const ui_pane_ops ui_output_ops = {
    .title = "Output",
    .scope = UI_SC_SCROLL,
    .open = out_open,
    .close = out_close,
    .draw = out_draw,
    .key = out_key,
    .subtitle = out_subtitle,
    .event = out_event,
    .search = output_search,
    .copy = output_copy,
};
