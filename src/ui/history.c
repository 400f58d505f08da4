/* A resumed session shows what came before: the session log is read with
 * the agent's one log reader (lc_log_events) and each event the panes show is
 * given to them as the agent event it was, through the observer's queue,
 * before the agent thread starts. So the conversation, the code of the last
 * step and the output are there again, and the steps go on numbered from
 * where they were (the agent resumes its count from the same log). */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define RESUMED "-- resumed here: a new sandbox (Python variables are gone, the files stay); the steps go on --"

typedef struct hist {
    lc_observer obs;
    int steps;
    bool resumed_last; /* the last record shown was a "resumed" */
} hist;

static void text_ev(hist *h, lc_event_kind kind, int step, const char *text)
{
    if (!text)
        return;
    lc_event ev = {.kind = kind, .step = step, .text = text, .len = strlen(text)};
    h->obs.event(h->obs.ctx, &ev);
}

/* Each record as the event it was (the one log reader): what the panes show
 * goes to them as it went the first time; a result is its output, its end and
 * the observation; what only the log keeps is skipped. */
static int on_event(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    hist *h = ctx;
    h->resumed_last = ev->kind == LC_EV_RESUMED;
    switch (ev->kind) {
    case LC_EV_STEP_BEGIN:
        h->steps = ev->step;
        h->obs.event(h->obs.ctx, ev);
        break;
    case LC_EV_MODEL_REPLY:
        if (ev->purpose != LC_REQ_SUBQUERY) /* a tool's own question was never shown */
            h->obs.event(h->obs.ctx, ev);
        break;
    case LC_EV_OBSERVATION:
        if (ev->source == LC_OBS_RESULT && ev->result) {
            const lc_exec_result *r = ev->result;
            if (r->output && *r->output) {
                lc_event out = {.kind = LC_EV_OUTPUT, .step = ev->step, .text = r->output,
                                .len = strlen(r->output), .stream = LC_STREAM_STDOUT};
                h->obs.event(h->obs.ctx, &out);
            }
            lc_event end = {.kind = LC_EV_STEP_RESULT, .step = ev->step, .result = r};
            h->obs.event(h->obs.ctx, &end);
        }
        h->obs.event(h->obs.ctx, ev);
        break;
    case LC_EV_MODEL_ERROR:
        text_ev(h, LC_EV_ERROR, ev->step, ev->text);
        break;
    case LC_EV_DONE: {
        char *t = lc_xasprintf("-- that run ended: %s --", ev->text ? ev->text : "?");
        text_ev(h, LC_EV_INFO, ev->step, t);
        free(t);
        break;
    }
    case LC_EV_RESUMED:
        text_ev(h, LC_EV_INFO, ev->step, RESUMED);
        break;
    case LC_EV_TASK:
    case LC_EV_PLAN:
    case LC_EV_ACTION:
    case LC_EV_DECISION:
    case LC_EV_USER_MESSAGE:
    case LC_EV_CHANGED_FILES:
    case LC_EV_INFO:
    case LC_EV_FINAL_ANSWER:
        h->obs.event(h->obs.ctx, ev);
        break;
    default: /* what only the log keeps (requests, tool calls' records, applies) */
        break;
    }
    return 0;
}

void lc_ui_show_log(lc_app *app, const char *log_path)
{
    hist h = {.obs = ui_make_observer(app)};
    text_ev(&h, LC_EV_INFO, 0, "-- the session so far, from its log --");
    lc_err err = {0};
    if (lc_log_events(log_path, LC_LOG_SKIP_BAD, on_event, &h, NULL, &err) != LC_OK) {
        char *t = lc_xasprintf("the earlier conversation cannot be shown: %s", err.msg);
        text_ev(&h, LC_EV_ERROR, 0, t);
        free(t);
    }
    /* Called before lc_agent_resume wrote its record: say where it resumes all the same. */
    if (!h.resumed_last)
        text_ev(&h, LC_EV_INFO, h.steps, RESUMED);
}
