/* A resumed session shows what came before: the session log is read with
 * the agent's log reader (lc_log_scan) and each record the panes show is
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

static lc_step_status status_of(const char *name)
{
    for (int s = LC_STEP_OK; s <= LC_STEP_SHADOW_LIMIT; s++)
        if (name && strcmp(name, lc_step_status_name((lc_step_status)s)) == 0)
            return (lc_step_status)s;
    return LC_STEP_ERROR;
}

static int on_record(void *ctx, const cJSON *r, unsigned long line)
{
    (void)line;
    hist *h = ctx;
    const char *kind = lc_json_str(r, "kind");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "step");
    int step = cJSON_IsNumber(st) ? st->valueint : 0;
    if (!kind)
        return 0;
    h->resumed_last = !strcmp(kind, "resumed");
    if (!strcmp(kind, "task")) {
        text_ev(h, LC_EV_TASK, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "step")) {
        lc_event ev = {.kind = LC_EV_STEP_BEGIN, .step = step};
        h->obs.event(h->obs.ctx, &ev);
        h->steps = step;
    } else if (!strcmp(kind, "model_reply")) {
        text_ev(h, LC_EV_MODEL_REPLY, step, lc_json_str(r, "content"));
    } else if (!strcmp(kind, "plan")) {
        text_ev(h, LC_EV_PLAN, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "action")) {
        const char *type = lc_json_str(r, "type");
        lc_action a = {.kind = type && !strcmp(type, "tool") ? LC_ACTION_TOOL : LC_ACTION_CODE,
                       .step = step,
                       .code = lc_json_str(r, "code"),
                       .tool_name = lc_json_str(r, "tool"),
                       .tool_args = lc_json_str(r, "args")};
        lc_event ev = {.kind = LC_EV_ACTION, .step = step, .action = &a};
        h->obs.event(h->obs.ctx, &ev);
    } else if (!strcmp(kind, "decision")) {
        const char *d = lc_json_str(r, "decision");
        lc_decision dec = {.kind = !d                        ? LC_DECIDE_STOP
                                   : !strcmp(d, "approved") ? LC_DECIDE_RUN
                                   : !strcmp(d, "edited")   ? LC_DECIDE_RUN_EDITED
                                   : !strcmp(d, "declined") ? LC_DECIDE_DECLINE
                                                            : LC_DECIDE_STOP,
                           .text = (char *)lc_json_str(r, "reason")};
        lc_event ev = {.kind = LC_EV_DECISION, .step = step, .decision = &dec};
        h->obs.event(h->obs.ctx, &ev);
    } else if (!strcmp(kind, "result")) {
        const char *out = lc_json_str(r, "output");
        if (out && *out) {
            lc_event ev = {.kind = LC_EV_OUTPUT, .step = step, .text = out, .len = strlen(out),
                           .stream = LC_STREAM_STDOUT};
            h->obs.event(h->obs.ctx, &ev);
        }
        const cJSON *dur = cJSON_GetObjectItemCaseSensitive(r, "duration_s");
        const cJSON *drop = cJSON_GetObjectItemCaseSensitive(r, "dropped_bytes");
        lc_exec_result res = {.status = status_of(lc_json_str(r, "status")),
                              .duration_s = cJSON_IsNumber(dur) ? dur->valuedouble : 0,
                              .truncated = cJSON_IsNumber(drop),
                              .dropped_bytes = cJSON_IsNumber(drop) ? (uint64_t)drop->valuedouble : 0,
                              .notice = (char *)lc_json_str(r, "notice")};
        lc_event ev = {.kind = LC_EV_STEP_RESULT, .step = step, .result = &res};
        h->obs.event(h->obs.ctx, &ev);
        text_ev(h, LC_EV_OBSERVATION, step, lc_json_str(r, "observation"));
    } else if (!strcmp(kind, "observation")) {
        text_ev(h, LC_EV_OBSERVATION, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "user_message")) {
        text_ev(h, LC_EV_USER_MESSAGE, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "changed_files")) {
        text_ev(h, LC_EV_CHANGED_FILES, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "info")) {
        text_ev(h, LC_EV_INFO, step, lc_json_str(r, "text"));
    } else if (!strcmp(kind, "model_error")) {
        text_ev(h, LC_EV_ERROR, step, lc_json_str(r, "message"));
    } else if (!strcmp(kind, "final_answer")) {
        text_ev(h, LC_EV_FINAL_ANSWER, step, lc_json_str(r, "answer"));
    } else if (!strcmp(kind, "done")) {
        const char *o = lc_json_str(r, "outcome");
        char *t = lc_xasprintf("-- that run ended: %s --", o ? o : "?");
        text_ev(h, LC_EV_INFO, step, t);
        free(t);
    } else if (!strcmp(kind, "resumed")) {
        text_ev(h, LC_EV_INFO, step, RESUMED);
    }
    return 0;
}

void lc_ui_show_log(lc_app *app, const char *log_path)
{
    hist h = {.obs = ui_make_observer(app)};
    text_ev(&h, LC_EV_INFO, 0, "-- the session so far, from its log --");
    lc_err err = {0};
    if (lc_log_scan(log_path, LC_LOG_SKIP_BAD, on_record, &h, NULL, &err) != LC_OK) {
        char *t = lc_xasprintf("the earlier conversation cannot be shown: %s", err.msg);
        text_ev(&h, LC_EV_ERROR, 0, t);
        free(t);
    }
    /* Called before lc_agent_resume wrote its record: say where it resumes all the same. */
    if (!h.resumed_last)
        text_ev(&h, LC_EV_INFO, h.steps, RESUMED);
}
