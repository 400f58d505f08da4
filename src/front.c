/* The TUI and headless mode as lc_front values: see front.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "front.h"
#include "headless/headless.h"

/* ---- the TUI ---------------------------------------------------------------- */

typedef struct tui {
    lc_app *app;
    char *themes;
} tui;

static int ui_apply(void *ctx, lc_diff_report *rep, size_t *selected, size_t *applied, lc_err *err)
{
    return lc_session_apply(ctx, rep, selected, applied, err);
}

static int ui_undo(void *ctx, lc_diff_report *rep, lc_err *err)
{
    return lc_session_undo(ctx, rep, err);
}

static int ui_redo(void *ctx, lc_diff_report *rep, lc_err *err)
{
    return lc_session_redo(ctx, rep, err);
}

static int ui_apply_edited(void *ctx, size_t file, size_t hunk, const char *text, size_t len, lc_diff_report *rep,
                           lc_buf *note, lc_err *err)
{
    return lc_session_apply_edited(ctx, file, hunk, text, len, rep, note, err);
}

lc_ui_writer lc_front_ui_writer(lc_session *s)
{
    return (lc_ui_writer){s, ui_apply, ui_undo, ui_redo, ui_apply_edited};
}

int lc_front_ui_prepare(void *session, const lc_ui_progress *p, const atomic_bool *cancel, lc_err *err)
{
    lc_session_progress sp = {p->ctx, "; its progress is in the Output pane", p->building, p->line, p->starting,
                                p->note};
    return lc_session_prepare(session, &sp, cancel, err);
}

static int tui_run(void *ctx, lc_agent *agent, const char *task)
{
    return lc_ui_run(((tui *)ctx)->app, agent, task);
}

static void tui_interrupt(void *ctx)
{
    lc_ui_interrupt(((tui *)ctx)->app); /* the Ctrl-C key's meaning: twice within 3 s stops */
}

static void tui_stop(void *ctx, lc_agent *agent)
{
    (void)agent; /* the UI stops it (lc_ui_join) */
    lc_ui_stop(((tui *)ctx)->app);
}

static void tui_restore(void *ctx)
{
    lc_ui_restore_terminal(((tui *)ctx)->app);
}

static void tui_free(void *ctx)
{
    tui *t = ctx;
    lc_ui_free(t->app); /* the terminal is given back here */
    free(t->themes);
    free(t);
}

static void info_event(const lc_observer *obs, const char *text)
{
    lc_event ev = {.kind = LC_EV_INFO, .text = text, .len = strlen(text)};
    obs->event(obs->ctx, &ev);
}

static int tui_open(lc_session *s, const lc_front_opts *o, lc_front *fe, lc_err *err)
{
    tui *t = lc_xcalloc(1, sizeof *t);
    char *data = lc_session_data_dir();
    t->themes = lc_path_join(data, "themes");
    free(data);
    lc_ui_opts uo = LC_UI_OPTS_INIT;
    uo.cfg = s->cfg;
    uo.dir = s->dir;
    uo.executor = s->ex;
    uo.diff = s->diff;
    uo.writer = lc_front_ui_writer(s);
    uo.themes_dir = t->themes;
    uo.prepare = lc_front_ui_prepare; /* on the agent's thread, with a spinner: the UI is up at once */
    uo.prepare_ctx = s;
    uo.ask_task = o->ask_task;
    uo.review = o->review;
    t->app = lc_ui_new(&uo, err);
    if (!t->app) {
        lc_err_prefix(err, "the terminal UI");
        free(t->themes);
        free(t);
        return err->code ? err->code : LC_EIO;
    }
    *fe = (lc_front){.ctx = t,
                     .observer = lc_ui_observer(t->app),
                     .workspace = lc_ui_workspace_hooks(t->app),
                     .prepares_itself = true,
                     .run = tui_run,
                     .interrupt = tui_interrupt,
                     .stop = tui_stop,
                     .restore_terminal = tui_restore,
                     .free = tui_free};
    /* What was said on stderr before curses started, said again where it is seen. */
    if (o->demo_notice)
        info_event(&fe->observer, o->demo_notice);
    for (size_t i = 0; i < s->notes.n; i++)
        info_event(&fe->observer, s->notes.v[i]);
    if (s->resumed) /* the session so far, from its log */
        lc_ui_show_log(t->app, s->log_path);
    return LC_OK;
}

/* ---- headless mode -------------------------------------------------------- */

static int headless_run(void *ctx, lc_agent *agent, const char *task)
{
    return lc_headless_run(ctx, agent, task);
}

static void headless_free(void *ctx)
{
    lc_headless_free(ctx);
}

static void headless_stop(void *ctx, lc_agent *agent)
{
    lc_text_fprintf(stderr, "\nlitecode-tui: stopping the session\n");
    if (agent)
        lc_agent_stop(agent);
    lc_headless_stop(ctx); /* a question waiting on stdin ends too */
}

int lc_front_open(lc_session *s, const lc_front_opts *o, lc_front *fe, lc_err *err)
{
    memset(fe, 0, sizeof *fe);
    if (!o->headless)
        return tui_open(s, o, fe, err);
    lc_headless *h = lc_headless_new(stdin, stdout, &s->cfg->model, lc_config_approve_mode(s->cfg) == LC_APPROVE_ALL);
    *fe = (lc_front){.ctx = h,
                     .observer = lc_headless_observer(h),
                     .workspace = lc_session_workspace_hooks(s),
                     .run = headless_run,
                     .stop = headless_stop,
                     .free = headless_free};
    return LC_OK;
}

void lc_front_close(lc_front *fe)
{
    if (fe->free)
        fe->free(fe->ctx);
    memset(fe, 0, sizeof *fe);
}
