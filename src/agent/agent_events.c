/* The agent's side of the event stream: every fact goes out once, through
 * agent_emit, to the session log first and then to the front end; a log
 * that cannot be written stops the run (agent_log_check). The vocabulary
 * itself is LC_EVENT_KINDS (agent.h); its records are log_record.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

/* The log observes every event before the front end does: nothing is
 * shown that the record does not hold. */
static void record(lc_agent *a, const lc_event *ev)
{
    const char *kind;
    cJSON *fields;
    if (!log_record_of(ev, &kind, &fields))
        return;
    lc_err err = {0};
    if (lc_log_write(a->log, kind, a->step, fields, &err) != LC_OK) {
        /* The audit trail is the product: the first failure is shown, and
         * the run stops before anything else happens (agent_log_check). */
        if (!a->log_failed) {
            a->log_failed = lc_xstrdup(err.msg);
            lc_event e = {.kind = LC_EV_ERROR, .step = a->step, .text = err.msg, .len = strlen(err.msg),
                          .code = err.code};
            agent_emit(a, &e);
        }
        return;
    }
    char *warn = lc_log_take_warning(a->log);
    if (warn) {
        agent_emit_text(a, LC_EV_INFO, warn);
        free(warn);
    }
}

void agent_emit(lc_agent *a, const lc_event *ev)
{
    unsigned flags = lc_event_kind_flags(ev->kind);
    if (a->log && (flags & LC_EV_LOG))
        record(a, ev);
    /* A tool's sub-query is the tool's business: its reply is the tool's
     * result, not the agent's, and front ends would draw it as the latter. */
    if (ev->kind == LC_EV_MODEL_REPLY && ev->purpose == LC_REQ_SUBQUERY)
        return;
    if (a->obs.event && (flags & LC_EV_SHOW))
        a->obs.event(a->obs.ctx, ev);
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
