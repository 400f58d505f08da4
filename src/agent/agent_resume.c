/* --resume: rebuilds an agent's message history from a session log, so the
 * next run continues the conversation with a new sandbox. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

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

/* The observation logged for call id (or, for a call without an id, the
 * one at its position), or NULL. */
static const char *call_observation(const cJSON *const *obs, size_t n, const char *id, size_t pos)
{
    for (size_t i = 0; i < n && id && *id; i++)
        if (!strcmp(lc_json_str(obs[i], "call_id") ? lc_json_str(obs[i], "call_id") : "", id))
            return lc_json_str(obs[i], "observation");
    if ((!id || !*id) && pos < n)
        return lc_json_str(obs[pos], "observation");
    return NULL;
}

int lc_agent_resume(lc_agent *a, const char *log_path, lc_err *err)
{
    if (a->hist.n)
        return lc_err_set(err, LC_ESTATE, "resume before the first run, on a fresh agent");
    cJSON *events = NULL;
    int rc = lc_log_read(log_path, &events, err);
    if (rc != LC_OK)
        return rc;
    agent_build_system(a);
    int last_step = 0;
    const cJSON *ev;
    /* Each request logged the messages added since the one before, which
     * include the previous reply; so the history is the concatenation of the
     * requests' "new" lists (without the planning and final prompts, which
     * were never kept), then the reply to the last request and the
     * observation that followed it. */
    const cJSON *last_reply = NULL;
    const char *last_obs = NULL;
    const cJSON *call_obs[64]; /* call_observation events after the last reply */
    size_t ncall_obs = 0;
    cJSON_ArrayForEach(ev, events)
    {
        const char *kind = lc_json_str(ev, "kind");
        int step = (int)lc_json_int(ev, "step", 0, INT_MIN, INT_MAX);
        if (step > last_step)
            last_step = step;
        const char *purpose = lc_json_str(ev, "purpose");
        if (!purpose || !strcmp(purpose, "subquery"))
            purpose = NULL;
        if (!strcmp(kind, "request") && purpose) {
            const cJSON *nw = cJSON_GetObjectItemCaseSensitive(ev, "new");
            int n = cJSON_GetArraySize(nw);
            if (strcmp(purpose, "step") != 0)
                n--; /* the planning / final prompt */
            for (int i = 0; i < n; i++)
                push_logged(a, cJSON_GetArrayItem(nw, i));
            last_reply = NULL;
            last_obs = NULL;
            ncall_obs = 0;
        } else if (!strcmp(kind, "model_reply") && purpose) {
            last_reply = strcmp(purpose, "final") ? ev : NULL;
            last_obs = NULL;
            ncall_obs = 0;
        } else if (!strcmp(kind, "call_observation")) {
            if (ncall_obs < sizeof call_obs / sizeof *call_obs)
                call_obs[ncall_obs++] = ev;
        } else if (lc_json_str(ev, "observation") &&
                   (!strcmp(kind, "result") || !strcmp(kind, "syntax_error") || !strcmp(kind, "no_code") ||
                    !strcmp(kind, "observation"))) {
            last_obs = lc_json_str(ev, "observation");
        }
    }
    if (last_reply && a->hist.n) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "assistant");
        const char *content = lc_json_str(last_reply, "content") ? lc_json_str(last_reply, "content") : "";
        if (!strcmp(lc_json_str(last_reply, "purpose"), "plan")) {
            char *p = lc_xasprintf("Plan:\n%s", content);
            cJSON_AddStringToObject(m, "content", p);
            free(p);
        } else {
            cJSON_AddStringToObject(m, "content", content);
            const cJSON *calls = cJSON_GetObjectItemCaseSensitive(last_reply, "calls");
            if (calls)
                cJSON_AddItemToObject(m, "calls", cJSON_Duplicate(calls, true));
        }
        push_logged(a, m);
        cJSON_Delete(m);
    }
    if (a->hist.n == 0) {
        cJSON_Delete(events);
        return lc_err_set(err, LC_EINVAL, "%s holds no model request to resume from", log_path);
    }
    /* What came after the last request was never logged as "new": the last
     * observation is in its result event, and calls must have answers. */
    lc_msg *last = &a->hist.v[a->hist.n - 1];
    if (last->role == LC_ROLE_ASSISTANT && last->ncalls) {
        size_t n = last->ncalls;
        char **ids = lc_xcalloc(n, sizeof *ids);
        for (size_t i = 0; i < n; i++)
            ids[i] = lc_xstrdup(last->calls[i].id);
        for (size_t i = 0; i < n; i++) {
            const char *obs = call_observation(call_obs, ncall_obs, ids[i], i);
            if (!obs && ncall_obs == 0 && i == 0)
                obs = last_obs; /* a log written before call_observation existed */
            agent_push_tool(a, ids[i], obs ? obs : "(no result recorded: the session ended)");
            free(ids[i]);
        }
        free(ids);
    } else if (ncall_obs && last->role == LC_ROLE_ASSISTANT) {
        /* JSON-in-text calls: their observations went back as one message. */
        lc_buf b = LC_BUF_INIT;
        for (size_t i = 0; i < ncall_obs; i++)
        {
            const char *tool = lc_json_str(call_obs[i], "tool"), *o = lc_json_str(call_obs[i], "observation");
            lc_buf_printf(&b, "Observation for %s:\n%s\n\n", tool ? tool : "?", o ? o : "");
        }
        agent_push(a, LC_ROLE_USER, lc_buf_cstr(&b));
        lc_buf_free(&b);
    } else if (last_obs && last->role == LC_ROLE_ASSISTANT) {
        char *m = lc_xasprintf("Observation:\n%s", last_obs);
        agent_push(a, LC_ROLE_USER, m);
        free(m);
    }
    cJSON_Delete(events);
    agent_push(a, LC_ROLE_USER,
               "The session was interrupted and is now resumed from its log. The sandbox is new: "
               "variables from earlier steps are gone, but files you changed in /workspace are kept. "
               "Continue the task from where you were.");
    a->logged = 0;
    a->step = last_step;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "from", log_path);
    cJSON_AddNumberToObject(f, "messages", (double)a->hist.n);
    agent_log(a, "resumed", f);
    return LC_OK;
}
