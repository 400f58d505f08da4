/* --resume: rebuilds an agent's message history from a session log, so the
 * next run continues the conversation with a new sandbox. The log is
 * streamed: only the history and the end of the last step are kept. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

static const char unknown_obs[] =
    "This step was approved and started, but the session ended before its result was recorded (litecode "
    "was stopped, killed or crashed): it ran, result unknown. It may have run wholly, partly or not at all; "
    "check the files in /workspace before relying on it.";
static const char stopped_obs[] = "The user stopped the session at this step, so it did not run.";
static const char not_run_obs[] = "Not run: the session ended before this call.";

static lc_tool_call *copy_calls(const lc_tool_call *c, size_t n)
{
    lc_tool_call *v = n ? lc_xcalloc(n, sizeof *v) : NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].id = lc_xstrdup(c[i].id ? c[i].id : "");
        v[i].name = lc_xstrdup(c[i].name ? c[i].name : "");
        v[i].arguments = lc_xstrdup(c[i].arguments ? c[i].arguments : "{}");
    }
    return v;
}

static void push_logged(lc_agent *a, const lc_msg *m)
{
    if (m->role == LC_ROLE_SYSTEM) {
        if (a->hist.n == 0)
            agent_push(a, LC_ROLE_SYSTEM, a->system); /* today's tools, not the logged ones */
        return;
    }
    if (m->role == LC_ROLE_TOOL) {
        agent_push_tool(a, m->tool_call_id ? m->tool_call_id : "", m->content ? m->content : "");
        return;
    }
    agent_push(a, m->role, m->content);
    if (m->role == LC_ROLE_ASSISTANT && m->ncalls) {
        lc_msg *last = &a->hist.v[a->hist.n - 1];
        last->calls = copy_calls(m->calls, m->ncalls);
        last->ncalls = m->ncalls;
    }
}

static void clear_history(lc_agent *a)
{
    for (size_t i = 0; i < a->hist.n; i++)
        lc_msg_free(&a->hist.v[i]);
    a->hist.n = 0;
}

/* What the model was told for one call (NULL: the record did not say). */
typedef struct call_obs {
    char *id, *tool, *text;
} call_obs;

/* The scan's state: the history so far, and what happened after the last
 * model reply (which no request has logged yet). */
typedef struct resume_scan {
    lc_agent *a;
    size_t logged;      /* messages rebuilt from the requests' "new" lists */
    int last_step;      /* the last step in which something happened */
    bool have_reply;    /* the reply to the last request (not a forced final one) */
    bool reply_plan;    /* ... was a plan */
    lc_msg reply;       /* ... as an assistant message */
    call_obs *obs;      /* call observations after it */
    size_t nobs, obs_cap;
    char *pending;      /* what the model is to be told for the step in hand */
    bool running;       /* a step was approved and has no result yet */
    char *final_text;   /* final_answer was called after the last reply */
    bool ended;         /* the last run recorded its end */
    lc_strv unsent;     /* messages the user typed that no request carried yet */
} resume_scan;

static void reset_tail(resume_scan *r)
{
    for (size_t i = 0; i < r->nobs; i++) {
        free(r->obs[i].id);
        free(r->obs[i].tool);
        free(r->obs[i].text);
    }
    r->nobs = 0;
    free(r->pending);
    r->pending = NULL;
    r->running = false;
    free(r->final_text);
    r->final_text = NULL;
}

static void drop_reply(resume_scan *r)
{
    lc_msg_free(&r->reply);
    r->have_reply = false;
}

static void set_pending(resume_scan *r, const char *text)
{
    free(r->pending);
    r->pending = text ? lc_xstrdup(text) : NULL;
    r->running = false;
}

static int on_event(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    resume_scan *r = ctx;
    lc_agent *a = r->a;
    /* A step counts once something happened in it: a step begun and cut
     * before its request is done again under the same number. */
    if (ev->step > r->last_step && ev->kind != LC_EV_STEP_BEGIN && ev->kind != LC_EV_USER_MESSAGE)
        r->last_step = ev->step;
    bool about_model = ev->kind == LC_EV_REQUEST || ev->kind == LC_EV_MODEL_REPLY || ev->kind == LC_EV_MODEL_ERROR;
    if (about_model && ev->purpose == LC_REQ_SUBQUERY)
        return LC_OK; /* a tool's own question to the model, not the conversation */
    switch (ev->kind) {
    case LC_EV_REQUEST: {
        if (ev->purpose == LC_REQ_UNKNOWN)
            break;
        /* Any request but a step's (a purpose this litecode does not know
         * too) ends in its own prompt, which is not the conversation. */
        size_t n = ev->nmessages;
        if (ev->purpose != LC_REQ_STEP && n > 0)
            n--; /* the planning / final prompt */
        /* An older litecode logged the whole history again after a resume:
         * a "new" list that starts with the system prompt is the whole. */
        if (n > 0 && ev->messages[0].role == LC_ROLE_SYSTEM)
            clear_history(a);
        for (size_t i = 0; i < n; i++)
            push_logged(a, &ev->messages[i]);
        r->logged = a->hist.n;
        lc_strv_free(&r->unsent);
        drop_reply(r);
        reset_tail(r);
        r->ended = false;
        break;
    }
    case LC_EV_MODEL_REPLY:
        if (ev->purpose == LC_REQ_UNKNOWN)
            break;
        drop_reply(r);
        if (ev->purpose != LC_REQ_FINAL) {
            r->have_reply = true;
            r->reply_plan = ev->purpose == LC_REQ_PLAN;
            r->reply.role = LC_ROLE_ASSISTANT;
            r->reply.content = lc_xstrdup(ev->reply->content ? ev->reply->content : "");
            r->reply.calls = copy_calls(ev->reply->calls, ev->reply->ncalls);
            r->reply.ncalls = ev->reply->ncalls;
        }
        reset_tail(r);
        break;
    case LC_EV_CALL_OBSERVATION:
        if (r->nobs == r->obs_cap) {
            r->obs_cap = r->obs_cap ? r->obs_cap * 2 : 8;
            r->obs = lc_xrealloc(r->obs, r->obs_cap * sizeof *r->obs);
        }
        r->obs[r->nobs++] = (call_obs){lc_xstrdup(ev->id ? ev->id : ""), ev->detail ? lc_xstrdup(ev->detail) : NULL,
                                       ev->text ? lc_xstrdup(ev->text) : NULL};
        set_pending(r, NULL);
        break;
    case LC_EV_DECISION:
        if (ev->decision && (ev->decision->kind == LC_DECIDE_RUN || ev->decision->kind == LC_DECIDE_RUN_EDITED)) {
            set_pending(r, NULL);
            r->running = true;
        } else if (ev->decision && ev->decision->kind == LC_DECIDE_STOP) {
            set_pending(r, stopped_obs);
        }
        break;
    case LC_EV_OBSERVATION:
        if (ev->text)
            set_pending(r, ev->text);
        break;
    case LC_EV_FINAL_ANSWER:
        if (!ev->forced) {
            free(r->final_text);
            r->final_text = lc_xstrdup(ev->text ? ev->text : "");
        }
        break;
    case LC_EV_DONE:
        r->ended = true;
        break;
    case LC_EV_USER_MESSAGE:
        if (ev->text)
            lc_strv_push(&r->unsent, ev->text);
        break;
    default:
        break;
    }
    return LC_OK;
}

/* What the model is told for the step in hand when the log stops. */
static char *step_outcome(const resume_scan *r)
{
    lc_buf b = LC_BUF_INIT;
    if (r->running) {
        lc_buf_puts(&b, unknown_obs);
    } else if (r->pending) {
        /* A step that called final_answer had nothing else to say: an older
         * litecode's "ran without output" hint would be untrue. */
        const char *p = r->pending;
        const char *hint = r->final_text ? strstr(p, "The step ran without output.") : NULL;
        lc_buf_append(&b, p, hint ? (size_t)(hint - p) : strlen(p));
    }
    if (r->final_text) {
        if (b.len && b.data[b.len - 1] != '\n')
            lc_buf_putc(&b, '\n');
        lc_buf_printf(&b, "You called final_answer, and the run ended with this answer:\n%s", r->final_text);
    }
    if (!b.len) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b);
}

static const char *call_observation(const resume_scan *r, const char *id, size_t pos, bool *used)
{
    size_t n = r->nobs;
    for (size_t i = 0; i < n && id && *id; i++) {
        if (!used[i] && !strcmp(r->obs[i].id, id)) {
            used[i] = true;
            return r->obs[i].text;
        }
    }
    if ((!id || !*id) && pos < n && !used[pos]) {
        used[pos] = true;
        return r->obs[pos].text;
    }
    return NULL;
}

/* The reply to the last request, and what followed it, which no request
 * logged: they join the history here and are logged by the next request. */
static void push_tail(lc_agent *a, const resume_scan *r)
{
    if (!r->have_reply || !a->hist.n)
        return;
    if (r->reply_plan) {
        char *p = lc_xasprintf("Plan:\n%s", r->reply.content);
        agent_push(a, LC_ROLE_ASSISTANT, p);
        free(p);
        return;
    }
    push_logged(a, &r->reply);

    char *outcome = step_outcome(r);
    lc_msg *last = &a->hist.v[a->hist.n - 1];
    size_t nobs = r->nobs;
    if (last->ncalls) {
        /* Every call gets its answer: the one logged for it; for the first
         * without one, what happened to the step in hand; for the rest, that
         * they never ran. */
        size_t n = last->ncalls;
        lc_tool_call *calls = copy_calls(last->calls, n); /* the history moves as it grows */
        bool *used = lc_xcalloc(nobs + 1, sizeof *used);
        bool outcome_told = false;
        for (size_t i = 0; i < n; i++) {
            const char *obs = call_observation(r, calls[i].id, i, used);
            char *mine = NULL;
            if (!obs && !outcome_told) {
                outcome_told = true;
                if (!strcmp(calls[i].name, "final_answer") && r->final_text)
                    mine = lc_xasprintf("final_answer was recorded; the run ended with this answer:\n%s",
                                        r->final_text);
                obs = mine ? mine : outcome ? outcome : not_run_obs;
            }
            agent_push_tool(a, calls[i].id, obs ? obs : not_run_obs);
            free(mine);
        }
        lc_tool_calls_free(calls, n);
        free(used);
    } else if (nobs) {
        /* JSON-in-text calls: their observations went back as one message. */
        lc_buf b = LC_BUF_INIT;
        for (size_t i = 0; i < nobs; i++)
            lc_buf_printf(&b, "Observation for %s:\n%s\n\n", r->obs[i].tool ? r->obs[i].tool : "?",
                          r->obs[i].text ? r->obs[i].text : "");
        if (outcome)
            lc_buf_printf(&b, "Observation for the next call:\n%s\n\n", outcome);
        agent_push(a, LC_ROLE_USER, lc_buf_cstr(&b));
        lc_buf_free(&b);
    } else if (outcome) {
        char *text = lc_xasprintf("Observation:\n%s", outcome);
        agent_push(a, LC_ROLE_USER, text);
        free(text);
    }
    free(outcome);
}

int lc_agent_resume(lc_agent *a, const char *log_path, lc_err *err)
{
    if (a->hist.n)
        return lc_err_set(err, LC_ESTATE, "resume before the first run, on a fresh agent");
    agent_build_system(a);
    resume_scan r = {.a = a};
    int rc = lc_log_events(log_path, 0, on_event, &r, NULL, err);
    if (rc == LC_OK)
        push_tail(a, &r);
    /* Typed, taken, and then the session was cut before the model saw it. */
    for (size_t i = 0; rc == LC_OK && a->hist.n && i < r.unsent.n; i++) {
        agent_push_user_message(a, r.unsent.v[i]);
    }
    lc_strv_free(&r.unsent);
    drop_reply(&r);
    reset_tail(&r);
    free(r.obs);
    if (rc != LC_OK) {
        clear_history(a);
        return rc;
    }
    if (a->hist.n == 0)
        return lc_err_set(err, LC_EINVAL, "%s holds no model request to resume from", log_path);
    agent_push(a, LC_ROLE_USER,
               r.ended ? "The session ended and is now resumed from its log. The sandbox is new: variables "
                         "from earlier steps are gone, but files you changed in /workspace are kept. Continue "
                         "the task from where you were."
                       : "The session was interrupted and is now resumed from its log. The sandbox is new: "
                         "variables from earlier steps are gone, but files you changed in /workspace are kept. "
                         "Continue the task from where you were.");
    /* What the log's requests hold is not logged again: the next request
     * logs only the tail rebuilt above and what follows, so a later resume
     * finds every message once. */
    a->logged = r.logged;
    a->step = r.last_step;
    lc_event ev = {.kind = LC_EV_RESUMED, .step = a->step, .text = log_path, .len = strlen(log_path),
                   .nmessages = a->hist.n};
    agent_emit(a, &ev);
    return LC_OK;
}
