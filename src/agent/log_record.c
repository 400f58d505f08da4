/* The event vocabulary (LC_EVENT_KINDS) and its form in the session log:
 * an event becomes one record when the log observes it, and a record read
 * back becomes the same event, typed, for resume, replay and the report.
 * Both directions live here so that a field is named in one file; kind
 * strings are read nowhere else. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

static const struct {
    const char *name;
    unsigned flags;
} kinds[] = {
#define LC_EV_ROW(name, str, flags) {str, flags},
    LC_EVENT_KINDS(LC_EV_ROW)
#undef LC_EV_ROW
};

static const char *const obs_kinds[] = {
#define LC_OBS_ROW(name, kind) kind,
    LC_OBSERVATION_SOURCES(LC_OBS_ROW)
#undef LC_OBS_ROW
};

const char *lc_event_kind_name(lc_event_kind k) { return (unsigned)k < LC_EV_COUNT ? kinds[k].name : "unknown"; }

unsigned lc_event_kind_flags(lc_event_kind k) { return (unsigned)k < LC_EV_COUNT ? kinds[k].flags : 0; }

lc_event_kind lc_event_kind_parse(const char *name)
{
    for (unsigned i = 0; name && i < LC_EV_COUNT; i++)
        if (!strcmp(kinds[i].name, name))
            return (lc_event_kind)i;
    return LC_EV_COUNT;
}

static const char *const purpose_names[] = {"step", "plan", "final", "subquery"};

const char *lc_req_purpose_name(lc_req_purpose p)
{
    return (unsigned)p < sizeof purpose_names / sizeof purpose_names[0] ? purpose_names[p] : "unknown";
}

static lc_req_purpose purpose_parse(const char *s)
{
    for (unsigned i = 0; s && i < sizeof purpose_names / sizeof purpose_names[0]; i++)
        if (!strcmp(purpose_names[i], s))
            return (lc_req_purpose)i;
    return s ? LC_REQ_OTHER : LC_REQ_UNKNOWN;
}

/* The decision's word in the log; indexed by lc_decision_kind. */
static const char *const decision_names[] = {"approved", "edited", "declined", "stopped"};
static const char *const role_names[] = {"system", "user", "assistant", "tool"};

/* ---- event -> record ------------------------------------------------------ */

static cJSON *calls_json(const lc_tool_call *c, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", c[i].id ? c[i].id : "");
        cJSON_AddStringToObject(o, "name", c[i].name ? c[i].name : "");
        cJSON_AddStringToObject(o, "arguments", c[i].arguments ? c[i].arguments : "");
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

static cJSON *msg_json(const lc_msg *m)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "role", role_names[m->role]);
    cJSON_AddStringToObject(o, "content", m->content ? m->content : "");
    if (m->ncalls)
        cJSON_AddItemToObject(o, "calls", calls_json(m->calls, m->ncalls));
    if (m->tool_call_id)
        cJSON_AddStringToObject(o, "tool_call_id", m->tool_call_id);
    return o;
}

static void add_text(cJSON *f, const char *key, const char *text)
{
    cJSON_AddStringToObject(f, key, text ? text : "");
}

static void add_result(cJSON *f, const lc_exec_result *res, const char *observation)
{
    cJSON_AddStringToObject(f, "status", lc_step_status_name(res->status));
    add_text(f, "output", res->output);
    if (res->truncated)
        cJSON_AddNumberToObject(f, "dropped_bytes", (double)res->dropped_bytes);
    if (res->value_repr)
        cJSON_AddStringToObject(f, "value", res->value_repr);
    if (res->error_type) {
        cJSON *e = cJSON_AddObjectToObject(f, "error");
        cJSON_AddStringToObject(e, "type", res->error_type);
        add_text(e, "message", res->error_message);
        cJSON_AddNumberToObject(e, "line", res->error_line);
        if (res->traceback)
            cJSON_AddStringToObject(e, "traceback", res->traceback);
    }
    if (res->notice)
        cJSON_AddStringToObject(f, "notice", res->notice);
    if (res->state_lost)
        cJSON_AddBoolToObject(f, "state_lost", true);
    cJSON_AddNumberToObject(f, "duration_s", res->duration_s);
    if (observation)
        cJSON_AddStringToObject(f, "observation", observation);
}

bool log_record_of(const lc_event *ev, const char **kind, cJSON **fields)
{
    *fields = NULL;
    *kind = lc_event_kind_name(ev->kind);
    if (!(lc_event_kind_flags(ev->kind) & LC_EV_LOG))
        return false;
    cJSON *f = cJSON_CreateObject();
    switch (ev->kind) {
    case LC_EV_APPROVAL:
        cJSON_AddStringToObject(f, "mode", ev->detail ? ev->detail : ev->automatic ? "auto" : "ask");
        if (ev->changed)
            cJSON_AddBoolToObject(f, "changed", true);
        if (ev->text)
            add_text(f, "why", ev->text);
        break;
    case LC_EV_GRANT:
        add_text(f, "rule", ev->text);
        break;
    case LC_EV_GRANT_REVOKED:
        add_text(f, "grants", ev->text);
        break;
    case LC_EV_TASK:
    case LC_EV_PLAN:
    case LC_EV_USER_MESSAGE:
    case LC_EV_INFO:
        add_text(f, "text", ev->text);
        break;
    case LC_EV_HELPERS:
        add_text(f, "code", ev->text);
        break;
    case LC_EV_STEP_BEGIN:
        cJSON_Delete(f);
        f = NULL;
        break;
    case LC_EV_REQUEST: {
        /* Only what is new since the last request, so the whole history can
         * be rebuilt (--resume) without the log growing quadratically. */
        cJSON_AddStringToObject(f, "purpose", lc_req_purpose_name(ev->purpose));
        cJSON_AddNumberToObject(f, "messages", (double)ev->nmessages);
        cJSON *nw = cJSON_AddArrayToObject(f, "new");
        for (size_t i = ev->first_new; i < ev->nmessages; i++)
            cJSON_AddItemToArray(nw, msg_json(&ev->messages[i]));
        cJSON_AddNumberToObject(f, "tools", (double)ev->ntools);
        break;
    }
    case LC_EV_MODEL_REPLY: {
        const lc_llm_reply *r = ev->reply;
        cJSON_AddStringToObject(f, "purpose", lc_req_purpose_name(ev->purpose));
        add_text(f, "content", r ? r->content : ev->text);
        if (r && r->reasoning)
            cJSON_AddStringToObject(f, "reasoning", r->reasoning);
        if (r && r->ncalls)
            cJSON_AddItemToObject(f, "calls", calls_json(r->calls, r->ncalls));
        add_text(f, "finish_reason", r ? r->finish_reason : NULL);
        cJSON_AddNumberToObject(f, "prompt_tokens", (double)(r ? r->prompt_tokens : 0));
        cJSON_AddNumberToObject(f, "completion_tokens", (double)(r ? r->completion_tokens : 0));
        break;
    }
    case LC_EV_MODEL_ERROR:
        cJSON_AddStringToObject(f, "purpose", lc_req_purpose_name(ev->purpose));
        cJSON_AddStringToObject(f, "status", lc_status_name(ev->code));
        add_text(f, "message", ev->text);
        break;
    case LC_EV_ACTION: {
        const lc_action *act = ev->action;
        cJSON_AddStringToObject(f, "type", act->kind == LC_ACTION_CODE ? "code" : "tool");
        if (act->code)
            cJSON_AddStringToObject(f, "code", act->code);
        if (act->tool_name)
            cJSON_AddStringToObject(f, "tool", act->tool_name);
        if (act->tool_args)
            cJSON_AddStringToObject(f, "args", act->tool_args);
        if (act->thought)
            cJSON_AddStringToObject(f, "thought", act->thought);
        if (act->mcp_server)
            cJSON_AddStringToObject(f, "mcp_server", act->mcp_server);
        if (act->mcp_tool)
            cJSON_AddStringToObject(f, "mcp_tool", act->mcp_tool);
        break;
    }
    case LC_EV_DECISION: {
        const lc_decision *d = ev->decision;
        cJSON_AddStringToObject(f, "decision", decision_names[d->kind]);
        if (d->kind == LC_DECIDE_RUN_EDITED) {
            /* The audit shows what the user changed, not only what ran. */
            char *diff = lc_text_unified_diff(ev->proposed ? ev->proposed : "", d->text ? d->text : "",
                                              "proposed", "edited");
            cJSON_AddStringToObject(f, "diff", diff);
            add_text(f, "code", d->text);
            free(diff);
        }
        if (d->kind == LC_DECIDE_DECLINE)
            add_text(f, "reason", d->text);
        if (d->automatic)
            cJSON_AddBoolToObject(f, "auto", true);
        if (d->by) {
            cJSON_AddStringToObject(f, "by", d->by);
            add_text(f, "why", d->why);
        }
        if (ev->check)
            cJSON_AddItemToObject(f, "check", cJSON_Duplicate(ev->check, true));
        break;
    }
    case LC_EV_TOOL_CALL:
        add_text(f, "name", ev->text);
        add_text(f, "args", ev->detail);
        cJSON_AddBoolToObject(f, "ok", ev->code == LC_OK);
        add_text(f, ev->code == LC_OK ? "result" : "error", ev->answer);
        if (ev->mcp_server) {
            add_text(f, "mcp_server", ev->mcp_server);
            add_text(f, "mcp_tool", ev->mcp_tool);
        }
        break;
    case LC_EV_MCP_TOOLS:
        cJSON_AddItemToObject(f, "tools", ev->tools ? cJSON_Duplicate(ev->tools, true) : cJSON_CreateArray());
        break;
    case LC_EV_OBSERVATION:
        if ((unsigned)ev->source >= LC_OBS_COUNT || !obs_kinds[ev->source]) {
            cJSON_Delete(f);
            return false;
        }
        *kind = obs_kinds[ev->source];
        if (ev->source == LC_OBS_RESULT) {
            add_result(f, ev->result, ev->text);
            break;
        }
        if (ev->source == LC_OBS_SYNTAX) {
            add_text(f, "code", ev->proposed);
            add_text(f, "error", ev->result ? ev->result->error_message : NULL);
            cJSON_AddNumberToObject(f, "line", ev->result ? ev->result->error_line : 0);
        }
        add_text(f, "observation", ev->text);
        break;
    case LC_EV_CALL_OBSERVATION:
        add_text(f, "call_id", ev->id);
        add_text(f, "tool", ev->detail);
        add_text(f, "observation", ev->text);
        break;
    case LC_EV_CHANGED_FILES:
    case LC_EV_REVERTED:
        add_text(f, "summary", ev->text);
        break;
    case LC_EV_FINAL_ANSWER:
        add_text(f, "answer", ev->text);
        cJSON_AddBoolToObject(f, "forced", ev->forced);
        break;
    case LC_EV_RESUMED:
        add_text(f, "from", ev->text);
        cJSON_AddNumberToObject(f, "messages", (double)ev->nmessages);
        break;
    case LC_EV_DONE:
        add_text(f, "outcome", ev->text);
        if (ev->detail)
            cJSON_AddStringToObject(f, "message", ev->detail);
        cJSON_AddNumberToObject(f, "steps", ev->step);
        break;
    case LC_EV_HUNK_APPLIED:
    case LC_EV_HUNK_UNDONE:
    case LC_EV_HUNK_NOT_APPLIED:
        add_text(f, "path", ev->text);
        cJSON_AddNumberToObject(f, "hunk", ev->hunk);
        if (ev->detail)
            cJSON_AddStringToObject(f, "detail", ev->detail);
        if (ev->kind == LC_EV_HUNK_NOT_APPLIED && ev->answer)
            add_text(f, "reason", ev->answer);
        break;
    case LC_EV_LOG_FAILED:
        add_text(f, "message", ev->text);
        break;
    default:
        /* The header and the log's own repair record carry more than an
         * event holds: lc_log_header and lc_log_open write them. */
        cJSON_Delete(f);
        return false;
    }
    *fields = f;
    return true;
}

/* ---- record -> event ------------------------------------------------------ */

/* What a decoded event points at; freed after the callback. Strings are
 * borrowed from the record. */
typedef struct decoded {
    lc_event ev;
    lc_action action;
    lc_decision decision;
    lc_exec_result result;
    lc_llm_reply reply;
    lc_msg *msgs;
    size_t nmsgs;
} decoded;

static const char *str(const cJSON *o, const char *key) { return lc_json_str(o, key); }
/* Strings the decoded structs borrow (their fields are not const). */
static char *sdup(const cJSON *o, const char *key) { return (char *)lc_json_str(o, key); }

static lc_tool_call *calls_of(const cJSON *arr, size_t *n)
{
    *n = 0;
    int count = cJSON_GetArraySize(arr);
    if (count <= 0)
        return NULL;
    lc_tool_call *v = lc_xcalloc((size_t)count, sizeof *v);
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        lc_tool_call *t = &v[(*n)++];
        t->id = str(c, "id") ? sdup(c, "id") : (char *)"";
        t->name = str(c, "name") ? sdup(c, "name") : (char *)"";
        t->arguments = str(c, "arguments") ? sdup(c, "arguments") : (char *)"{}";
    }
    return v;
}

static lc_role role_parse(const char *s)
{
    for (unsigned i = 0; s && i < sizeof role_names / sizeof role_names[0]; i++)
        if (!strcmp(role_names[i], s))
            return (lc_role)i;
    return LC_ROLE_USER;
}

static lc_step_status status_parse(const char *s, bool *known)
{
    for (int i = LC_STEP_OK; s && i <= LC_STEP_SHADOW_LIMIT; i++)
        if (!strcmp(lc_step_status_name((lc_step_status)i), s)) {
            *known = true;
            return (lc_step_status)i;
        }
    *known = false;
    return LC_STEP_ERROR;
}

static void decode(decoded *d, const cJSON *o)
{
    lc_event *ev = &d->ev;
    const char *kind = str(o, "kind");
    ev->kind = lc_event_kind_parse(kind);
    ev->step = (int)lc_json_int(o, "step", 0, INT_MIN, INT_MAX);
    ev->source = LC_OBS_COUNT;
    for (unsigned i = 0; ev->kind == LC_EV_COUNT && kind && i < LC_OBS_COUNT; i++)
        if (obs_kinds[i] && !strcmp(obs_kinds[i], kind)) {
            ev->kind = LC_EV_OBSERVATION;
            ev->source = (lc_obs_source)i;
        }
    if (ev->kind == LC_EV_OBSERVATION && ev->source == LC_OBS_COUNT)
        ev->source = LC_OBS_DECLINED;
    ev->purpose = purpose_parse(str(o, "purpose"));
    const char *text = NULL;
    switch (ev->kind) {
    case LC_EV_APPROVAL:
        ev->automatic = str(o, "mode") && !strcmp(str(o, "mode"), "auto");
        ev->detail = str(o, "mode");
        ev->changed = lc_json_bool(o, "changed", false);
        text = str(o, "why");
        break;
    case LC_EV_GRANT:
        text = str(o, "rule");
        break;
    case LC_EV_GRANT_REVOKED:
        text = str(o, "grants");
        break;
    case LC_EV_TASK:
    case LC_EV_PLAN:
    case LC_EV_USER_MESSAGE:
    case LC_EV_INFO:
        text = str(o, "text");
        break;
    case LC_EV_HELPERS:
        text = str(o, "code");
        break;
    case LC_EV_REQUEST: {
        /* Read back, messages holds the new ones only. */
        const cJSON *nw = cJSON_GetObjectItemCaseSensitive(o, "new");
        int n = cJSON_GetArraySize(nw);
        if (n > 0) {
            d->msgs = lc_xcalloc((size_t)n, sizeof *d->msgs);
            const cJSON *m;
            cJSON_ArrayForEach(m, nw)
            {
                lc_msg *x = &d->msgs[d->nmsgs++];
                x->role = role_parse(str(m, "role"));
                x->content = sdup(m, "content");
                x->tool_call_id = sdup(m, "tool_call_id");
                x->calls = calls_of(cJSON_GetObjectItemCaseSensitive(m, "calls"), &x->ncalls);
            }
        }
        ev->messages = d->msgs;
        ev->nmessages = d->nmsgs;
        ev->ntools = (size_t)lc_json_int(o, "tools", 0, 0, INT_MAX);
        break;
    }
    case LC_EV_MODEL_REPLY:
        d->reply.content = str(o, "content") ? sdup(o, "content") : (char *)"";
        d->reply.reasoning = sdup(o, "reasoning");
        d->reply.finish_reason = sdup(o, "finish_reason");
        d->reply.prompt_tokens = lc_json_int(o, "prompt_tokens", 0, 0, INT64_MAX);
        d->reply.completion_tokens = lc_json_int(o, "completion_tokens", 0, 0, INT64_MAX);
        d->reply.calls = calls_of(cJSON_GetObjectItemCaseSensitive(o, "calls"), &d->reply.ncalls);
        ev->reply = &d->reply;
        ev->prompt_tokens = d->reply.prompt_tokens;
        ev->completion_tokens = d->reply.completion_tokens;
        text = d->reply.content;
        break;
    case LC_EV_MODEL_ERROR:
        text = str(o, "message");
        ev->detail = str(o, "status");
        break;
    case LC_EV_ACTION:
        d->action.kind = str(o, "type") && !strcmp(str(o, "type"), "tool") ? LC_ACTION_TOOL : LC_ACTION_CODE;
        d->action.step = ev->step;
        d->action.code = str(o, "code");
        d->action.tool_name = str(o, "tool");
        d->action.tool_args = str(o, "args");
        d->action.thought = str(o, "thought");
        d->action.mcp_server = str(o, "mcp_server");
        d->action.mcp_tool = str(o, "mcp_tool");
        ev->action = &d->action;
        break;
    case LC_EV_DECISION: {
        const char *w = str(o, "decision");
        for (unsigned i = 0; w && i < sizeof decision_names / sizeof decision_names[0]; i++)
            if (!strcmp(decision_names[i], w)) {
                d->decision.kind = (lc_decision_kind)i;
                d->decision.text = d->decision.kind == LC_DECIDE_RUN_EDITED ? sdup(o, "code")
                                   : d->decision.kind == LC_DECIDE_DECLINE  ? sdup(o, "reason")
                                                                            : NULL;
                d->decision.automatic = lc_json_bool(o, "auto", false);
                d->decision.by = str(o, "by");
                snprintf(d->decision.why, sizeof d->decision.why, "%s", str(o, "why") ? str(o, "why") : "");
                ev->check = cJSON_GetObjectItemCaseSensitive(o, "check");
                ev->decision = &d->decision; /* NULL: a word this litecode does not know */
            }
        ev->detail = str(o, "diff");
        break;
    }
    case LC_EV_TOOL_CALL:
        text = str(o, "name");
        ev->detail = str(o, "args");
        ev->code = lc_json_bool(o, "ok", false) ? LC_OK : LC_EIO;
        ev->answer = str(o, lc_json_bool(o, "ok", false) ? "result" : "error");
        ev->mcp_server = str(o, "mcp_server");
        ev->mcp_tool = str(o, "mcp_tool");
        break;
    case LC_EV_MCP_TOOLS:
        ev->tools = cJSON_GetObjectItemCaseSensitive(o, "tools");
        break;
    case LC_EV_OBSERVATION:
        text = str(o, "observation");
        if (ev->source == LC_OBS_RESULT) {
            lc_exec_result *r = &d->result;
            bool known;
            r->status = status_parse(str(o, "status"), &known);
            r->output = sdup(o, "output");
            r->dropped_bytes = (uint64_t)lc_json_int(o, "dropped_bytes", 0, 0, INT64_MAX);
            r->truncated = cJSON_GetObjectItemCaseSensitive(o, "dropped_bytes") != NULL;
            r->value_repr = sdup(o, "value");
            const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, "error");
            r->error_type = sdup(e, "type");
            r->error_message = sdup(e, "message");
            r->error_line = (int)lc_json_int(e, "line", 0, INT_MIN, INT_MAX);
            r->traceback = sdup(e, "traceback");
            r->notice = sdup(o, "notice");
            r->state_lost = lc_json_bool(o, "state_lost", false);
            r->duration_s = lc_json_num(o, "duration_s", 0);
            ev->result = r;
            ev->detail = str(o, "status"); /* as written, for a status this litecode does not know */
        } else if (ev->source == LC_OBS_SYNTAX) {
            d->result.status = LC_STEP_SYNTAX;
            d->result.error_message = sdup(o, "error");
            d->result.error_line = (int)lc_json_int(o, "line", 0, INT_MIN, INT_MAX);
            ev->result = &d->result;
            ev->proposed = str(o, "code");
        }
        break;
    case LC_EV_CALL_OBSERVATION:
        text = str(o, "observation");
        ev->id = str(o, "call_id");
        ev->detail = str(o, "tool");
        break;
    case LC_EV_CHANGED_FILES:
    case LC_EV_REVERTED:
        text = str(o, "summary");
        break;
    case LC_EV_FINAL_ANSWER:
        text = str(o, "answer");
        ev->forced = lc_json_bool(o, "forced", false);
        break;
    case LC_EV_RESUMED:
        text = str(o, "from");
        ev->nmessages = (size_t)lc_json_int(o, "messages", 0, 0, INT_MAX);
        break;
    case LC_EV_DONE:
        text = str(o, "outcome");
        ev->detail = str(o, "message"); /* steps: written as the step, read from the record */
        break;
    case LC_EV_HUNK_APPLIED:
    case LC_EV_HUNK_UNDONE:
    case LC_EV_HUNK_NOT_APPLIED:
        text = str(o, "path");
        ev->hunk = (int)lc_json_int(o, "hunk", 0, INT_MIN, INT_MAX);
        ev->detail = str(o, "detail");
        ev->answer = str(o, "reason");
        break;
    case LC_EV_LOG_FAILED:
        text = str(o, "message");
        break;
    default:
        break;
    }
    ev->text = text;
    ev->len = text ? strlen(text) : 0;
}

static void decoded_free(decoded *d)
{
    for (size_t i = 0; i < d->nmsgs; i++)
        free(d->msgs[i].calls);
    free(d->msgs);
    free(d->reply.calls);
}

typedef struct events_scan {
    lc_log_events_fn fn;
    void *ctx;
} events_scan;

static int on_record(void *ctx, const cJSON *o, unsigned long line)
{
    events_scan *s = ctx;
    decoded d = {0};
    decode(&d, o);
    int rc = s->fn(s->ctx, &d.ev, o, line);
    decoded_free(&d);
    return rc;
}

int lc_log_events(const char *path, unsigned flags, lc_log_events_fn fn, void *ctx, lc_log_info *info,
                  lc_err *err)
{
    events_scan s = {fn, ctx};
    return lc_log_scan(path, flags, fn ? on_record : NULL, &s, info, err);
}
