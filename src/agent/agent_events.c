/* The agent's side of the event stream: every fact goes out once, through
 * agent_emit, to the agent's observer: in a session, a fan-out whose
 * receivers are the session log first, then the front end (lc_fanout,
 * here too). A log that could not record an event stops the run
 * (agent_log_check). The vocabulary itself is LC_EVENT_KINDS (agent.h);
 * its records are log_record.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

bool lc_event_shown(const lc_event *ev)
{
    /* A tool's sub-query is the tool's business: its reply is the tool's
     * result, not the agent's, and front ends would draw it as the latter. */
    if (ev->kind == LC_EV_MODEL_REPLY && ev->purpose == LC_REQ_SUBQUERY)
        return false;
    return (lc_event_kind_flags(ev->kind) & LC_EV_SHOW) != 0;
}

/* ---- the fan-out ------------------------------------------------------------- */

static void fan_event(void *ctx, const lc_event *ev)
{
    const lc_fanout *f = ctx;
    for (size_t i = 0; i < f->n; i++) {
        if (!f->to[i].event || (i == f->front && !lc_event_shown(ev)))
            continue;
        f->to[i].event(f->to[i].ctx, ev);
    }
}

static const lc_observer *front_of(const lc_fanout *f)
{
    return f->front < f->n ? &f->to[f->front] : NULL;
}

static lc_decision fan_approve(void *ctx, const lc_action *a)
{
    const lc_observer *fe = front_of(ctx);
    return fe && fe->approve ? fe->approve(fe->ctx, a) : (lc_decision){.kind = LC_DECIDE_RUN};
}

static char *fan_ask_user(void *ctx, const char *question)
{
    const lc_observer *fe = front_of(ctx);
    return fe && fe->ask_user ? fe->ask_user(fe->ctx, question) : NULL;
}

static bool fan_auto_approving(void *ctx)
{
    const lc_observer *fe = front_of(ctx);
    return fe && fe->auto_approving && fe->auto_approving(fe->ctx);
}

lc_observer lc_fanout_init(lc_fanout *f, lc_log *log, const lc_observer *front)
{
    memset(f, 0, sizeof *f);
    if (log)
        f->to[f->n++] = lc_log_observer(log); /* first: recorded before it is shown */
    f->front = f->n;
    if (front)
        f->to[f->n++] = *front;
    else
        f->front = LC_FANOUT_MAX; /* none */
    lc_observer o = {.ctx = f, .event = fan_event, .approve = front && front->approve ? fan_approve : NULL,
                     .ask_user = fan_ask_user, .auto_approving = fan_auto_approving};
    return o;
}

bool agent_obs_records(const lc_observer *o, const lc_log *log)
{
    if (!o || o->event != fan_event)
        return false;
    const lc_fanout *f = o->ctx;
    lc_observer lo = lc_log_observer((lc_log *)log);
    for (size_t i = 0; i < f->n; i++)
        if (f->to[i].event == lo.event && f->to[i].ctx == log)
            return true;
    return false;
}

/* ---- emitting ---------------------------------------------------------------- */

/* After an event the log's receiver took: a record it could not write is
 * shown once and stops the run before anything else happens (the audit
 * trail is the product); a size warning goes out as an event of its own. */
static void check_log(lc_agent *a)
{
    const char *missed = lc_log_missed(a->log);
    if (missed && !a->log_failed) {
        a->log_failed = lc_xstrdup(missed);
        lc_event e = {.kind = LC_EV_ERROR, .step = a->step, .text = missed, .len = strlen(missed),
                      .code = LC_EIO};
        agent_emit(a, &e);
    }
    char *warn = lc_log_take_warning(a->log);
    if (warn) {
        agent_emit_text(a, LC_EV_INFO, warn);
        free(warn);
    }
}

void agent_emit(lc_agent *a, const lc_event *ev)
{
    if (a->obs.event)
        a->obs.event(a->obs.ctx, ev);
    if (a->log && (lc_event_kind_flags(ev->kind) & LC_EV_LOG))
        check_log(a);
}

void agent_emit_text(lc_agent *a, lc_event_kind kind, const char *text)
{
    lc_event ev = {.kind = kind, .step = a->step, .max_steps = a->step_limit, .text = text,
                   .len = text ? strlen(text) : 0};
    agent_emit(a, &ev);
}

int agent_log_check(lc_agent *a, lc_err *err)
{
    if (!a->log_failed)
        return LC_OK;
    return lc_err_set(err, LC_EIO,
                      "%s; the agent stopped, since nothing may run without a record in the session log. "
                      "Free some space, then continue with --resume",
                      a->log_failed);
}
