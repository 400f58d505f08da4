/* --resume: rebuilds an agent's message history from a session log, so the
 * next run continues the conversation with a new sandbox. The log is
 * streamed: only the history and the end of the last step are kept. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

static const char unknown_obs[] =
    "This step was approved and started, but the session ended before its result was recorded (litecode "
    "was stopped, killed or crashed): it ran, result unknown. It may have run wholly, partly or not at all; "
    "check the files in /workspace before relying on it.";
static const char stopped_obs[] = "The user stopped the session at this step, so it did not run.";
static const char not_run_obs[] = "Not run: the session ended before this call.";

static lc_role role_of(const char *s)
{
    if (!s)
        return LC_ROLE_USER;
    return !strcmp(s, "system") ? LC_ROLE_SYSTEM : !strcmp(s, "assistant") ? LC_ROLE_ASSISTANT
                                                : !strcmp(s, "tool")        ? LC_ROLE_TOOL
                                                                            : LC_ROLE_USER;
}

static void push_logged(lc_agent *a, const cJSON *m)
{
    lc_role role = role_of(lc_json_str(m, "role"));
    if (role == LC_ROLE_SYSTEM) {
        if (a->hist.n == 0)
            agent_push(a, LC_ROLE_SYSTEM, a->system); /* today's tools, not the logged ones */
        return;
    }
    if (role == LC_ROLE_TOOL) {
        agent_push_tool(a, lc_json_str(m, "tool_call_id") ? lc_json_str(m, "tool_call_id") : "",
                        lc_json_str(m, "content"));
        return;
    }
    agent_push(a, role, lc_json_str(m, "content"));
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "calls");
    int n = cJSON_GetArraySize(calls);
    if (role == LC_ROLE_ASSISTANT && n > 0) {
        lc_msg *last = &a->hist.v[a->hist.n - 1];
        last->calls = lc_xcalloc((size_t)n, sizeof *last->calls);
        const cJSON *c;
        cJSON_ArrayForEach(c, calls)
        {
            lc_tool_call *t = &last->calls[last->ncalls++];
            t->id = lc_xstrdup(lc_json_str(c, "id") ? lc_json_str(c, "id") : "");
            t->name = lc_xstrdup(lc_json_str(c, "name") ? lc_json_str(c, "name") : "");
            t->arguments = lc_xstrdup(lc_json_str(c, "arguments") ? lc_json_str(c, "arguments") : "{}");
        }
    }
}

static void clear_history(lc_agent *a)
{
    for (size_t i = 0; i < a->hist.n; i++)
        lc_msg_free(&a->hist.v[i]);
    a->hist.n = 0;
}

/* The scan's state: the history so far, and what happened after the last
 * model reply (which no request has logged yet). */
typedef struct resume_scan {
    lc_agent *a;
    size_t logged;      /* messages rebuilt from the requests' "new" lists */
    int last_step;      /* the last step in which something happened */
    cJSON *last_reply;  /* the reply to the last request (not a forced final one) */
    cJSON *call_obs;    /* call_observation events after it */
    char *pending;      /* what the model is to be told for the step in hand */
    bool running;       /* a step was approved and has no result yet */
    char *final_text;   /* final_answer was called after the last reply */
    bool ended;         /* the last run recorded its end */
    lc_strv unsent;     /* messages the user typed that no request carried yet */
} resume_scan;

static void reset_tail(resume_scan *r)
{
    cJSON_Delete(r->call_obs);
    r->call_obs = cJSON_CreateArray();
    free(r->pending);
    r->pending = NULL;
    r->running = false;
    free(r->final_text);
    r->final_text = NULL;
}

static void set_pending(resume_scan *r, const char *text)
{
    free(r->pending);
    r->pending = text ? lc_xstrdup(text) : NULL;
    r->running = false;
}

static bool is(const char *kind, const char *k) { return !strcmp(kind, k); }

static int on_event(void *ctx, const cJSON *ev, unsigned long line)
{
    (void)line;
    resume_scan *r = ctx;
    lc_agent *a = r->a;
    const char *kind = lc_json_str(ev, "kind");
    int step = (int)lc_json_int(ev, "step", 0, INT_MIN, INT_MAX);
    /* A step counts once something happened in it: a step begun and cut
     * before its request is done again under the same number. */
    if (step > r->last_step && !is(kind, "step") && !is(kind, "user_message"))
        r->last_step = step;
    const char *purpose = lc_json_str(ev, "purpose");
    if (purpose && !strcmp(purpose, "subquery"))
        return LC_OK; /* a tool's own question to the model, not the conversation */
    if (is(kind, "request") && purpose) {
        const cJSON *nw = cJSON_GetObjectItemCaseSensitive(ev, "new");
        int n = cJSON_GetArraySize(nw);
        if (strcmp(purpose, "step") != 0)
            n--; /* the planning / final prompt */
        /* An older litecode logged the whole history again after a resume:
         * a "new" list that starts with the system prompt is the whole. */
        const cJSON *first = cJSON_GetArrayItem(nw, 0);
        if (n > 0 && role_of(lc_json_str(first, "role")) == LC_ROLE_SYSTEM)
            clear_history(a);
        for (int i = 0; i < n; i++)
            push_logged(a, cJSON_GetArrayItem(nw, i));
        r->logged = a->hist.n;
        lc_strv_free(&r->unsent);
        cJSON_Delete(r->last_reply);
        r->last_reply = NULL;
        reset_tail(r);
        r->ended = false;
    } else if (is(kind, "model_reply") && purpose) {
        cJSON_Delete(r->last_reply);
        r->last_reply = strcmp(purpose, "final") ? cJSON_Duplicate(ev, true) : NULL;
        reset_tail(r);
    } else if (is(kind, "call_observation")) {
        cJSON_AddItemToArray(r->call_obs, cJSON_Duplicate(ev, true));
        set_pending(r, NULL);
    } else if (is(kind, "decision")) {
        const char *d = lc_json_str(ev, "decision");
        if (d && (!strcmp(d, "approved") || !strcmp(d, "edited"))) {
            set_pending(r, NULL);
            r->running = true;
        } else if (d && !strcmp(d, "stopped")) {
            set_pending(r, stopped_obs);
        }
    } else if (lc_json_str(ev, "observation") && (is(kind, "result") || is(kind, "syntax_error") ||
                                                  is(kind, "no_code") || is(kind, "observation"))) {
        set_pending(r, lc_json_str(ev, "observation"));
    } else if (is(kind, "final_answer") && !lc_json_bool(ev, "forced", false)) {
        free(r->final_text);
        r->final_text = lc_xstrdup(lc_json_str(ev, "answer") ? lc_json_str(ev, "answer") : "");
    } else if (is(kind, "done")) {
        r->ended = true;
    } else if (is(kind, "user_message") && lc_json_str(ev, "text")) {
        lc_strv_push(&r->unsent, lc_json_str(ev, "text"));
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

static const char *call_observation(const cJSON *obs, const char *id, size_t pos, bool *used)
{
    int n = cJSON_GetArraySize(obs);
    for (int i = 0; i < n && id && *id; i++) {
        const cJSON *o = cJSON_GetArrayItem(obs, i);
        if (!used[i] && !strcmp(lc_json_str(o, "call_id") ? lc_json_str(o, "call_id") : "", id)) {
            used[i] = true;
            return lc_json_str(o, "observation");
        }
    }
    if ((!id || !*id) && pos < (size_t)n && !used[pos]) {
        used[pos] = true;
        return lc_json_str(cJSON_GetArrayItem(obs, (int)pos), "observation");
    }
    return NULL;
}

/* The reply to the last request, and what followed it, which no request
 * logged: they join the history here and are logged by the next request. */
static void push_tail(lc_agent *a, const resume_scan *r)
{
    if (!r->last_reply || !a->hist.n)
        return;
    const cJSON *rep = r->last_reply;
    const char *content = lc_json_str(rep, "content") ? lc_json_str(rep, "content") : "";
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "assistant");
    if (!strcmp(lc_json_str(rep, "purpose"), "plan")) {
        char *p = lc_xasprintf("Plan:\n%s", content);
        cJSON_AddStringToObject(m, "content", p);
        free(p);
    } else {
        cJSON_AddStringToObject(m, "content", content);
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(rep, "calls");
        if (calls)
            cJSON_AddItemToObject(m, "calls", cJSON_Duplicate(calls, true));
    }
    push_logged(a, m);
    cJSON_Delete(m);
    if (!strcmp(lc_json_str(rep, "purpose"), "plan"))
        return;

    char *outcome = step_outcome(r);
    lc_msg *last = &a->hist.v[a->hist.n - 1];
    int nobs = cJSON_GetArraySize(r->call_obs);
    if (last->ncalls) {
        /* Every call gets its answer: the one logged for it; for the first
         * without one, what happened to the step in hand; for the rest, that
         * they never ran. */
        size_t n = last->ncalls;
        char **ids = lc_xcalloc(n, sizeof *ids), **names = lc_xcalloc(n, sizeof *names);
        for (size_t i = 0; i < n; i++) {
            ids[i] = lc_xstrdup(last->calls[i].id);
            names[i] = lc_xstrdup(last->calls[i].name);
        }
        bool *used = lc_xcalloc((size_t)nobs + 1, sizeof *used);
        bool outcome_told = false;
        for (size_t i = 0; i < n; i++) {
            const char *obs = call_observation(r->call_obs, ids[i], i, used);
            char *mine = NULL;
            if (!obs && !outcome_told) {
                outcome_told = true;
                if (!strcmp(names[i], "final_answer") && r->final_text)
                    mine = lc_xasprintf("final_answer was recorded; the run ended with this answer:\n%s",
                                        r->final_text);
                obs = mine ? mine : outcome ? outcome : not_run_obs;
            }
            agent_push_tool(a, ids[i], obs ? obs : not_run_obs);
            free(mine);
            free(ids[i]);
            free(names[i]);
        }
        free(used);
        free(ids);
        free(names);
    } else if (nobs) {
        /* JSON-in-text calls: their observations went back as one message. */
        lc_buf b = LC_BUF_INIT;
        const cJSON *o;
        cJSON_ArrayForEach(o, r->call_obs)
        {
            const char *tool = lc_json_str(o, "tool"), *text = lc_json_str(o, "observation");
            lc_buf_printf(&b, "Observation for %s:\n%s\n\n", tool ? tool : "?", text ? text : "");
        }
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
    resume_scan r = {.a = a, .call_obs = cJSON_CreateArray()};
    int rc = lc_log_scan(log_path, 0, on_event, &r, NULL, err);
    if (rc == LC_OK)
        push_tail(a, &r);
    /* Typed, taken, and then the session was cut before the model saw it. */
    for (size_t i = 0; rc == LC_OK && a->hist.n && i < r.unsent.n; i++) {
        agent_push_user_message(a, r.unsent.v[i]);
    }
    lc_strv_free(&r.unsent);
    cJSON_Delete(r.last_reply);
    cJSON_Delete(r.call_obs);
    free(r.pending);
    free(r.final_text);
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
