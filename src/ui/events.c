/* The agent's side of the UI. The agent calls the observer on its own
 * thread; events are copied into a mutex-protected queue and the UI thread
 * is woken through a self-pipe it polls with the keyboard. A question
 * (approve, ask_user) blocks the agent thread on a condition variable until
 * the UI thread answers it. Nothing here touches curses. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ui/ui_int.h"

void ui_events_init(lc_app *app)
{
    pthread_mutex_init(&app->mu, NULL);
    pthread_cond_init(&app->cv, NULL);
    app->wake[0] = app->wake[1] = -1;
    if (pipe(app->wake) == 0) {
        for (int i = 0; i < 2; i++) {
            fcntl(app->wake[i], F_SETFL, fcntl(app->wake[i], F_GETFL) | O_NONBLOCK);
            fcntl(app->wake[i], F_SETFD, FD_CLOEXEC);
        }
    }
}

void ui_event_free(ui_event *e)
{
    if (!e)
        return;
    free(e->text);
    free(e->detail);
    free(e->notice);
    free(e);
}

static void free_list(ui_event *e)
{
    while (e) {
        ui_event *next = e->next;
        ui_event_free(e);
        e = next;
    }
}

void ui_events_drop(lc_app *app)
{
    free_list(app->todo);
    app->todo = NULL;
    free_list(ui_events_take(app));
}

void ui_events_free(lc_app *app)
{
    ui_events_drop(app);
    for (int i = 0; i < 2; i++)
        if (app->wake[i] >= 0)
            close(app->wake[i]);
    free(app->change_ids);
    pthread_mutex_destroy(&app->mu);
    pthread_cond_destroy(&app->cv);
}

void ui_wake(lc_app *app)
{
    if (app->wake[1] >= 0) {
        ssize_t n = write(app->wake[1], "x", 1); /* a full pipe already wakes the UI */
        (void)n;
    }
}

ui_event *ui_events_take(lc_app *app)
{
    pthread_mutex_lock(&app->mu);
    ui_event *e = app->qhead;
    app->qhead = app->qtail = NULL;
    pthread_mutex_unlock(&app->mu);
    return e;
}

static void post(lc_app *app, ui_event *e)
{
    pthread_mutex_lock(&app->mu);
    if (app->qtail)
        app->qtail->next = e;
    else
        app->qhead = e;
    app->qtail = e;
    pthread_mutex_unlock(&app->mu);
    ui_wake(app);
}

static char *dupn(const char *s, size_t n)
{
    return s ? lc_xstrndup(s, n) : NULL;
}

static void on_event(void *ctx, const lc_event *ev)
{
    lc_app *app = ctx;
    if (!lc_event_shown(ev))
        return; /* the record's side of the stream */
    ui_event *e = lc_xcalloc(1, sizeof *e);
    e->kind = ev->kind;
    e->step = ev->step;
    e->max_steps = ev->max_steps;
    if (ev->text) {
        e->len = ev->kind == LC_EV_OUTPUT || ev->len ? ev->len : strlen(ev->text);
        e->text = dupn(ev->text, e->len);
    }
    e->detail = ev->detail ? lc_xstrdup(ev->detail) : NULL;
    e->stream = ev->stream;
    e->code = ev->code;
    e->ptok = ev->prompt_tokens;
    e->ctok = ev->completion_tokens;
    if (ev->action) {
        const lc_action *a = ev->action;
        e->akind = a->kind;
        if (a->kind == LC_ACTION_CODE) {
            free(e->text);
            e->text = lc_xstrdup(a->code ? a->code : "");
            e->len = strlen(e->text);
        } else {
            free(e->text);
            free(e->detail);
            e->text = lc_xstrdup(a->tool_name ? a->tool_name : "?");
            e->len = strlen(e->text);
            e->detail = lc_xstrdup(a->tool_args ? a->tool_args : "{}");
        }
        if (!e->step)
            e->step = a->step;
    }
    if (ev->decision) {
        e->dkind = ev->decision->kind;
        if (ev->decision->automatic && ev->decision->why[0] && !e->detail)
            e->detail = lc_xstrdup(ev->decision->why);
        if (ev->decision->text && !e->text) {
            e->text = lc_xstrdup(ev->decision->text);
            e->len = strlen(e->text);
        }
    }
    if (ev->result) {
        const lc_exec_result *r = ev->result;
        e->status = r->status;
        e->truncated = r->truncated;
        e->dropped = r->dropped_bytes;
        e->duration_s = r->duration_s;
        e->state_lost = r->state_lost;
        e->notice = r->notice ? lc_xstrdup(r->notice) : NULL;
        if (!e->text && r->error_type) {
            char *t = lc_xasprintf("%s: %s", r->error_type, r->error_message ? r->error_message : "");
            e->text = t;
            e->len = strlen(t);
        }
    }
    post(app, e);
}

static void post_info(lc_app *app, int step, const char *text)
{
    lc_event ev = {0};
    ev.kind = LC_EV_INFO;
    ev.step = step;
    ev.text = text;
    on_event(app, &ev);
}

/* Blocks the agent thread until the UI thread answered the question set in
 * app->ask (mu held on entry and exit). */
static void wait_answer(lc_app *app)
{
    app->ask.shown = false;
    app->ask.answered = false;
    pthread_mutex_unlock(&app->mu);
    ui_wake(app);
    pthread_mutex_lock(&app->mu);
    while (!app->ask.answered)
        pthread_cond_wait(&app->cv, &app->mu);
}

static lc_decision on_approve(void *ctx, const lc_action *action)
{
    lc_app *app = ctx;
    lc_decision d = {.kind = LC_DECIDE_RUN};
    if (action->ask_rule && atomic_load(&app->auto_approve)) {
        char msg[200];
        snprintf(msg, sizeof msg, "rule %.80s asks about step %d, even under auto-approve", action->ask_rule,
                 action->step);
        post_info(app, action->step, msg);
    } else if (atomic_load(&app->auto_approve)) {
        d.automatic = true;
        char msg[96];
        snprintf(msg, sizeof msg, "step %d auto-approved (X turns auto-approve off)", action->step);
        post_info(app, action->step, msg);
        return d;
    }
    pthread_mutex_lock(&app->mu);
    if (app->quit) {
        pthread_mutex_unlock(&app->mu);
        d.kind = LC_DECIDE_STOP;
        return d;
    }
    ui_ask *q = &app->ask;
    q->kind = UI_ASK_APPROVE;
    q->step = action->step;
    q->akind = action->kind;
    q->edited = false;
    if (action->kind == LC_ACTION_CODE) {
        q->code = lc_xstrdup(action->code ? action->code : "");
        q->tool_name = NULL;
    } else {
        q->tool_name = lc_xstrdup(action->tool_name ? action->tool_name : "?");
        q->code = lc_xstrdup(action->tool_args ? action->tool_args : "{}");
    }
    free(q->host);
    q->host = NULL;
    if (action->mcp_server) {
        /* The server's and the tool's names are theirs: one safe line. */
        char *both = lc_xasprintf("%s/%s", action->mcp_server, action->mcp_tool ? action->mcp_tool : "?");
        q->host = lc_text_line(both);
        free(both);
    }
    wait_answer(app);
    d = q->decision;
    q->decision.text = NULL;
    q->decision.grant = false;
    q->decision.save_grant = false;
    free(q->code);
    free(q->tool_name);
    free(q->host);
    q->code = q->tool_name = q->host = NULL;
    q->kind = UI_ASK_NONE;
    pthread_mutex_unlock(&app->mu);
    return d;
}

static char *on_ask_user(void *ctx, const char *question)
{
    lc_app *app = ctx;
    pthread_mutex_lock(&app->mu);
    if (app->quit) {
        pthread_mutex_unlock(&app->mu);
        return NULL;
    }
    ui_ask *q = &app->ask;
    q->kind = UI_ASK_USER;
    q->question = lc_xstrdup(question ? question : "");
    q->answer = NULL;
    wait_answer(app);
    char *answer = q->answer;
    q->answer = NULL;
    free(q->question);
    q->question = NULL;
    q->kind = UI_ASK_NONE;
    pthread_mutex_unlock(&app->mu);
    return answer;
}

/* Whether steps run without asking right now (the approve-all key turns it
 * on, X off): the agent logs what is in force and each change. */
static bool on_auto_approving(void *ctx)
{
    lc_app *app = ctx;
    return atomic_load(&app->auto_approve);
}

lc_observer ui_make_observer(lc_app *app)
{
    lc_observer o = {app, on_event, on_approve, on_ask_user, on_auto_approving};
    return o;
}

/* The agent asks for the summary right after a step's result: the UI thread
 * refreshes the lc_diff (it alone may touch it) and answers. */
static char *ws_changes(void *ctx)
{
    lc_app *app = ctx;
    if (!app->opts.diff)
        return NULL;
    pthread_mutex_lock(&app->mu);
    if (app->quit) {
        pthread_mutex_unlock(&app->mu);
        return NULL;
    }
    app->ask.kind = UI_ASK_SUMMARY;
    app->ask.answer = NULL;
    wait_answer(app);
    char *sum = app->ask.answer;
    app->ask.answer = NULL;
    app->ask.kind = UI_ASK_NONE;
    pthread_mutex_unlock(&app->mu);
    return sum;
}

static char *ws_reverted(void *ctx)
{
    lc_app *app = ctx;
    pthread_mutex_lock(&app->mu);
    char *r = ui_diff_take_reverted(app);
    pthread_mutex_unlock(&app->mu);
    return r;
}

static char *ws_ids(void *ctx)
{
    lc_app *app = ctx;
    pthread_mutex_lock(&app->mu);
    char *ids = app->change_ids ? lc_xstrdup(app->change_ids) : NULL;
    pthread_mutex_unlock(&app->mu);
    return ids;
}

lc_workspace_hooks ui_make_hooks(lc_app *app)
{
    lc_workspace_hooks h = {app, ws_changes, ws_reverted, ws_ids};
    return h;
}

ui_asking ui_ask_current(lc_app *app)
{
    ui_asking a = {UI_ASK_NONE, 0, LC_ACTION_CODE, false, ""};
    pthread_mutex_lock(&app->mu);
    const ui_ask *q = &app->ask;
    if ((q->kind == UI_ASK_APPROVE || q->kind == UI_ASK_USER) && q->shown && !q->answered) {
        a = (ui_asking){q->kind, q->step, q->akind, q->edited, ""};
        if (q->host)
            snprintf(a.host, sizeof a.host, "%s", q->host);
    }
    pthread_mutex_unlock(&app->mu);
    return a;
}

void ui_ask_service(lc_app *app, bool cancel)
{
    pthread_mutex_lock(&app->mu);
    ui_ask_kind kind = app->ask.kind;
    bool pending = kind != UI_ASK_NONE && !app->ask.answered;
    bool summary = pending && kind == UI_ASK_SUMMARY;
    pthread_mutex_unlock(&app->mu);
    if (!pending)
        return;
    if (summary) {
        char *sum = NULL, *ids = NULL;
        if (!cancel) {
            ui_diff_refresh(app);
            sum = ui_diff_summary(app);
            ids = lc_diff_content_ids(app->opts.diff);
        }
        pthread_mutex_lock(&app->mu);
        free(app->change_ids);
        app->change_ids = ids;
        app->ask.answer = sum;
        app->ask.shown = app->ask.answered = true;
        pthread_cond_broadcast(&app->cv);
        pthread_mutex_unlock(&app->mu);
        return;
    }
    if (!cancel) {
        pthread_mutex_lock(&app->mu);
        bool show = !app->ask.shown;
        pthread_mutex_unlock(&app->mu);
        if (show)
            ui_approval_show(app);
        return;
    }
    if (kind == UI_ASK_USER)
        ui_answer_user(app, NULL);
    else
        ui_answer(app, LC_DECIDE_STOP, NULL);
}
