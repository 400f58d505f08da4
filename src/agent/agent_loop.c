/* The agent's machinery shared by both step loops: the message history,
 * events and the session log, model requests, host tools, observations,
 * the user's message queue, stop, and resuming from a log. The loops
 * themselves are in agent_run.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define OBS_HEAD 6000
#define OBS_TAIL 4000
#define VALUE_MAX 2000
#define TRACE_MAX 3000
#define INBOX_MAX 64

const char *lc_event_kind_name(lc_event_kind k)
{
    static const char *const names[] = {
#define LC_EV_NAME(name, str) str,
        LC_EVENT_KINDS(LC_EV_NAME)
#undef LC_EV_NAME
    };
    return (unsigned)k < LC_EV_COUNT ? names[k] : "unknown";
}

/* ---- events and log ------------------------------------------------------ */

void agent_emit(lc_agent *a, const lc_event *ev)
{
    if (a->obs.event)
        a->obs.event(a->obs.ctx, ev);
}

void agent_emit_text(lc_agent *a, lc_event_kind kind, const char *text)
{
    lc_event ev = {.kind = kind, .step = a->step, .max_steps = a->step_limit, .text = text,
                   .len = text ? strlen(text) : 0};
    agent_emit(a, &ev);
}

void agent_log(lc_agent *a, const char *kind, cJSON *fields)
{
    if (!a->log) {
        cJSON_Delete(fields);
        return;
    }
    lc_err err = {0};
    if (lc_log_write(a->log, kind, a->step, fields, &err) != LC_OK) {
        /* The audit trail is the product: the first failure is shown, and
         * the run stops before anything else happens (agent_log_check). */
        if (!a->log_failed) {
            a->log_failed = lc_xstrdup(err.msg);
            lc_event ev = {.kind = LC_EV_ERROR, .step = a->step, .text = err.msg, .len = strlen(err.msg),
                           .code = err.code};
            agent_emit(a, &ev);
        }
        return;
    }
    char *warn = lc_log_take_warning(a->log);
    if (warn) {
        agent_emit_text(a, LC_EV_INFO, warn);
        free(warn);
    }
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

void agent_log_text(lc_agent *a, const char *kind, const char *key, const char *text)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, key, text ? text : "");
    agent_log(a, kind, f);
}

/* ---- history --------------------------------------------------------------- */

static lc_msg *push_msg(lc_agent *a)
{
    if (a->hist.n == a->hist.cap) {
        a->hist.cap = a->hist.cap ? a->hist.cap * 2 : 16;
        a->hist.v = lc_xrealloc(a->hist.v, a->hist.cap * sizeof *a->hist.v);
    }
    lc_msg *m = &a->hist.v[a->hist.n++];
    memset(m, 0, sizeof *m);
    return m;
}

void agent_push(lc_agent *a, lc_role role, const char *content)
{
    lc_msg *m = push_msg(a);
    m->role = role;
    m->content = lc_xstrdup(content ? content : "");
}

static lc_tool_call *copy_calls(const lc_tool_call *c, size_t n)
{
    if (!n)
        return NULL;
    lc_tool_call *v = lc_xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].id = lc_xstrdup(c[i].id ? c[i].id : "");
        v[i].name = lc_xstrdup(c[i].name ? c[i].name : "");
        v[i].arguments = lc_xstrdup(c[i].arguments ? c[i].arguments : "{}");
    }
    return v;
}

void agent_push_reply(lc_agent *a, const lc_llm_reply *r)
{
    lc_msg *m = push_msg(a);
    m->role = LC_ROLE_ASSISTANT;
    m->content = lc_xstrdup(r->content ? r->content : "");
    /* In text mode the calls live in the text; the server knows no tools. */
    if (!a->text_calls) {
        m->calls = copy_calls(r->calls, r->ncalls);
        m->ncalls = r->ncalls;
    }
}

void agent_push_tool(lc_agent *a, const char *call_id, const char *content)
{
    lc_msg *m = push_msg(a);
    m->role = LC_ROLE_TOOL;
    m->content = lc_xstrdup(content);
    m->tool_call_id = lc_xstrdup(call_id);
}

static const char *role_name(lc_role r)
{
    return r == LC_ROLE_SYSTEM ? "system" : r == LC_ROLE_USER ? "user" : r == LC_ROLE_ASSISTANT ? "assistant" : "tool";
}

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
    cJSON_AddStringToObject(o, "role", role_name(m->role));
    cJSON_AddStringToObject(o, "content", m->content ? m->content : "");
    if (m->ncalls)
        cJSON_AddItemToObject(o, "calls", calls_json(m->calls, m->ncalls));
    if (m->tool_call_id)
        cJSON_AddStringToObject(o, "tool_call_id", m->tool_call_id);
    return o;
}

/* ---- model requests -------------------------------------------------------- */

static void on_text(void *ctx, const char *d, size_t n)
{
    lc_agent *a = ctx;
    lc_event ev = {.kind = LC_EV_TOKEN, .step = a->step, .max_steps = a->step_limit, .text = d, .len = n};
    agent_emit(a, &ev);
}

static void on_reasoning(void *ctx, const char *d, size_t n)
{
    lc_agent *a = ctx;
    lc_event ev = {.kind = LC_EV_REASONING, .step = a->step, .max_steps = a->step_limit, .text = d, .len = n};
    agent_emit(a, &ev);
}

/* Retries and waits the provider wants the user to know about. */
static void on_notice(void *ctx, const char *text)
{
    lc_agent *a = ctx;
    agent_emit_text(a, LC_EV_INFO, text);
    agent_log_text(a, "info", "text", text);
}

static const char *const purpose_names[] = {"step", "plan", "final", "subquery"};

int agent_ask_messages(lc_agent *a, const lc_msg *msgs, size_t n, size_t new_from, bool tools,
                        req_purpose why, bool stream, lc_llm_reply *reply, lc_err *err)
{
    size_t nschemas = 0;
    const lc_tool_schema *schemas = tools && !a->text_calls ? lc_toolset_schemas(a->tools, &nschemas) : NULL;
    lc_llm_request req = {.messages = msgs, .nmessages = n, .tools = schemas, .ntools = schemas ? nschemas : 0};

    /* The log keeps only what is new since the last request, so the whole
     * history can be rebuilt from it (--resume) without quadratic growth. */
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "purpose", purpose_names[why]);
    cJSON_AddNumberToObject(f, "messages", (double)n);
    cJSON *nw = cJSON_AddArrayToObject(f, "new");
    for (size_t i = new_from; i < n; i++)
        cJSON_AddItemToArray(nw, msg_json(&msgs[i]));
    cJSON_AddNumberToObject(f, "tools", (double)req.ntools);
    agent_log(a, "request", f);

    /* Sub-requests do not stream their text (it is a tool's result, not the
     * agent's reply) but still say when the server makes them wait. */
    lc_llm_stream st = {.ctx = a, .text = stream ? on_text : NULL, .reasoning = stream ? on_reasoning : NULL,
                        .notice = on_notice};
    int rc = lc_llm_chat(a->llm, &req, &st, reply, err);
    if (rc != LC_OK) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "purpose", purpose_names[why]);
        cJSON_AddStringToObject(e, "status", lc_status_name(rc));
        cJSON_AddStringToObject(e, "message", err ? err->msg : "");
        agent_log(a, "model_error", e);
        return rc;
    }
    if (!reply->content)
        reply->content = lc_xstrdup("");
    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "purpose", purpose_names[why]);
    cJSON_AddStringToObject(f, "content", reply->content);
    if (reply->reasoning)
        cJSON_AddStringToObject(f, "reasoning", reply->reasoning);
    if (reply->ncalls)
        cJSON_AddItemToObject(f, "calls", calls_json(reply->calls, reply->ncalls));
    cJSON_AddStringToObject(f, "finish_reason", reply->finish_reason ? reply->finish_reason : "");
    cJSON_AddNumberToObject(f, "prompt_tokens", (double)reply->prompt_tokens);
    cJSON_AddNumberToObject(f, "completion_tokens", (double)reply->completion_tokens);
    agent_log(a, "model_reply", f);
    if (reply->prompt_tokens || reply->completion_tokens) {
        lc_event ev = {.kind = LC_EV_USAGE, .step = a->step, .max_steps = a->step_limit,
                       .prompt_tokens = reply->prompt_tokens, .completion_tokens = reply->completion_tokens};
        agent_emit(a, &ev);
    }
    return LC_OK;
}

/* Long sessions outgrow a model's context. Past a soft cap the oldest
 * observations and tool results (never the system prompt, the task, the
 * model's own replies or the last few messages) keep only their head and
 * tail, oldest first, until the history fits again. */
#define HISTORY_SOFT_MAX (256 * 1024)
#define HISTORY_KEEP_RECENT 6
#define SHORT_HEAD 600
#define SHORT_TAIL 300

static size_t history_bytes(const lc_agent *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->hist.n; i++)
        n += a->hist.v[i].content ? strlen(a->hist.v[i].content) : 0;
    return n;
}

static void compact_history(lc_agent *a)
{
    size_t total = history_bytes(a);
    if (total <= HISTORY_SOFT_MAX || a->hist.n <= HISTORY_KEEP_RECENT + 2)
        return;
    size_t shortened = 0;
    for (size_t i = 2; i + HISTORY_KEEP_RECENT < a->hist.n && total > HISTORY_SOFT_MAX; i++) {
        lc_msg *m = &a->hist.v[i];
        size_t len = m->content ? strlen(m->content) : 0;
        if ((m->role != LC_ROLE_USER && m->role != LC_ROLE_TOOL) || len <= SHORT_HEAD + SHORT_TAIL + 200)
            continue;
        lc_buf b = LC_BUF_INIT;
        lc_text_head_tail(m->content, len, SHORT_HEAD, SHORT_TAIL, &b);
        lc_buf_puts(&b, "\n[shortened by litecode to keep the conversation within the model's context]");
        total = total - len + b.len;
        free(m->content);
        m->content = lc_buf_detach(&b);
        shortened++;
    }
    if (shortened) {
        char note[160];
        snprintf(note, sizeof note, "shortened %zu old observations to keep the conversation within the model's context",
                 shortened);
        agent_emit_text(a, LC_EV_INFO, note);
        agent_log_text(a, "info", "text", note);
    }
}

int agent_ask(lc_agent *a, const char *extra_user, bool tools, req_purpose why, lc_llm_reply *reply, lc_err *err)
{
    compact_history(a);
    size_t n = a->hist.n + (extra_user ? 1 : 0);
    lc_msg *msgs = lc_xcalloc(n ? n : 1, sizeof *msgs);
    memcpy(msgs, a->hist.v, a->hist.n * sizeof *msgs); /* borrowed, not freed here */
    if (extra_user) {
        msgs[a->hist.n].role = LC_ROLE_USER;
        msgs[a->hist.n].content = (char *)extra_user;
    }
    size_t from = a->logged;
    a->logged = a->hist.n;
    int rc = agent_ask_messages(a, msgs, n, from, tools, why, true, reply, err);
    free(msgs);
    if (rc == LC_OK)
        agent_emit_text(a, LC_EV_MODEL_REPLY, reply->content);
    return rc;
}

/* ---- the user's messages ----------------------------------------------------- */

void lc_agent_post_message(lc_agent *a, const char *text)
{
    if (!a || !text || !*text)
        return;
    pthread_mutex_lock(&a->mu);
    if (a->inbox.n < INBOX_MAX)
        lc_strv_push(&a->inbox, text);
    pthread_mutex_unlock(&a->mu);
}

void agent_push_user_message(lc_agent *a, const char *text)
{
    char *m = lc_xasprintf("Message from the user (take it into account from now on):\n%s", text);
    agent_push(a, LC_ROLE_USER, m);
    free(m);
}

bool agent_take_user_messages(lc_agent *a)
{
    lc_strv got = LC_STRV_INIT;
    pthread_mutex_lock(&a->mu);
    got = a->inbox;
    memset(&a->inbox, 0, sizeof a->inbox);
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; i < got.n; i++) {
        agent_emit_text(a, LC_EV_USER_MESSAGE, got.v[i]);
        agent_log_text(a, "user_message", "text", got.v[i]);
        agent_push_user_message(a, got.v[i]);
    }
    bool any = got.n > 0;
    lc_strv_free(&got);
    return any;
}

void lc_agent_stop(lc_agent *a)
{
    if (!a)
        return;
    atomic_store(&a->stop, true);
    lc_llm_cancel(a->llm);
    lc_executor_interrupt(a->ex);
}

int lc_agent_steps(const lc_agent *a) { return a ? a->step : 0; }

/* ---- running code ---------------------------------------------------------- */

static void hook_output(void *ctx, lc_stream stream, const char *data, size_t len)
{
    lc_agent *a = ctx;
    lc_event ev = {.kind = LC_EV_OUTPUT, .step = a->step, .max_steps = a->step_limit, .text = data,
                   .len = len, .stream = stream};
    agent_emit(a, &ev);
}

static int hook_tool(void *ctx, const char *name, const cJSON *args, cJSON **result, lc_err *err)
{
    return agent_host_tool(ctx, name, args, result, err);
}

/* Only ask_user waits on a person; llm_query and the rest count against the
 * step's time limit like any other work of the step. */
static bool hook_waits_for_user(void *ctx, const char *name)
{
    (void)ctx;
    return strcmp(name, "ask_user") == 0;
}

int agent_inject_helpers(lc_agent *a, lc_err *err)
{
    if (a->helpers_ready)
        return LC_OK;
    const char *py = lc_toolset_python(a->tools);
    if (py && *py) {
        /* litecode's own code: no approval asked, but on the record. */
        agent_log_text(a, "helpers", "code", py);
        int rc = lc_executor_define(a->ex, py, err);
        if (rc != LC_OK) {
            lc_err_prefix(err, "loading the tool helpers into the sandbox");
            return rc;
        }
        agent_emit_text(a, LC_EV_INFO, "tool helpers loaded into the sandbox");
    }
    a->helpers_ready = true;
    return LC_OK;
}

static void report_changes(lc_agent *a)
{
    if (!a->ws.changes_summary)
        return;
    char *sum = a->ws.changes_summary(a->ws.ctx);
    if (sum && (!a->last_changes || strcmp(sum, a->last_changes) != 0)) {
        agent_emit_text(a, LC_EV_CHANGED_FILES, sum);
        agent_log_text(a, "changed_files", "summary", sum);
        free(a->last_changes);
        a->last_changes = sum;
        return;
    }
    free(sum);
}

int agent_exec(lc_agent *a, const char *code, lc_exec_result *res, lc_err *err)
{
    memset(res, 0, sizeof *res);
    lc_exec_hooks hooks = {.ctx = a, .output = hook_output, .tool_call = hook_tool,
                           .tool_waits_for_user = hook_waits_for_user};
    int rc = lc_executor_exec(a->ex, code, a->timeout_s, &hooks, res, err);
    if (rc != LC_OK)
        return rc;
    lc_event ev = {.kind = LC_EV_STEP_RESULT, .step = a->step, .max_steps = a->step_limit, .result = res};
    agent_emit(a, &ev);
    report_changes(a);
    return LC_OK;
}

char *agent_answer_text(const char *json)
{
    if (!json)
        return lc_xstrdup("");
    cJSON *v = lc_json_parse(json, strlen(json));
    char *out = cJSON_IsString(v) ? lc_xstrdup(v->valuestring) : lc_xstrdup(json);
    cJSON_Delete(v);
    return out;
}

static void put_bounded(lc_buf *b, const char *s, size_t head, size_t tail)
{
    lc_text_head_tail(s, strlen(s), head, tail, b);
}

char *agent_observe(lc_agent *a, const lc_exec_result *res)
{
    lc_buf b = LC_BUF_INIT;
    char *rev = a->ws.reverted_since_last ? a->ws.reverted_since_last(a->ws.ctx) : NULL;
    if (rev) {
        /* Reverts, declined files (with the user's reasons) and hunks the user applied with edits. */
        lc_buf_puts(&b, "Note: the user reverted some of your changes in /workspace since the last step, or "
                        "declined or edited them:\n");
        put_bounded(&b, rev, 2000, 1000);
        lc_buf_puts(&b, "\nDo not redo them unless the user asks; where the user edited a change, /workspace has "
                        "the user's version: keep it.\n\n");
        agent_log_text(a, "reverted", "summary", rev);
        free(rev);
    }
    if (res->output && *res->output) {
        lc_buf_puts(&b, "Execution logs:\n");
        put_bounded(&b, res->output, OBS_HEAD, OBS_TAIL);
        if (b.len && b.data[b.len - 1] != '\n')
            lc_buf_putc(&b, '\n');
        if (res->truncated)
            lc_buf_printf(&b, "[the sandbox cut %llu bytes from the middle of this output]\n",
                          (unsigned long long)res->dropped_bytes);
    }
    switch (res->status) {
    case LC_STEP_OK:
    case LC_STEP_FINAL:
        if (res->value_repr) {
            lc_buf_puts(&b, "Last value: ");
            put_bounded(&b, res->value_repr, VALUE_MAX, VALUE_MAX / 2);
            lc_buf_putc(&b, '\n');
        }
        /* A final step ends the run: there is nothing to hint at. */
        if (!(res->output && *res->output) && !res->value_repr && res->status == LC_STEP_OK)
            lc_buf_puts(&b, "The step ran without output. Use print() to see results.\n");
        break;
    case LC_STEP_ERROR:
    case LC_STEP_SYNTAX:
        lc_buf_printf(&b, "Error: %s: %s", res->error_type ? res->error_type : "Exception",
                      res->error_message ? res->error_message : "");
        if (res->error_line > 0)
            lc_buf_printf(&b, " (line %d of your code)", res->error_line);
        lc_buf_putc(&b, '\n');
        if (res->traceback && *res->traceback) {
            put_bounded(&b, res->traceback, TRACE_MAX / 3, TRACE_MAX);
            if (b.data[b.len - 1] != '\n')
                lc_buf_putc(&b, '\n');
        }
        lc_buf_puts(&b, res->status == LC_STEP_SYNTAX
                            ? "The code did not compile, so nothing ran. Fix the syntax and send the step again.\n"
                            : "Now fix the cause of the error. Do not repeat the same code unchanged: read "
                              "the message, check your assumptions, and try a different approach if needed.\n");
        break;
    case LC_STEP_INTERRUPTED:
        lc_buf_puts(&b, "The user interrupted this step before it finished. Python state is kept.\n");
        break;
    case LC_STEP_TIMEOUT:
        lc_buf_printf(&b,
                      "The step ran past its time limit (%d s) and was interrupted; state is kept. Make "
                      "it faster or split the work into smaller steps.\n",
                      a->timeout_s > 0 ? a->timeout_s : 0);
        break;
    case LC_STEP_KILLED:
        /* Say why (out of memory, killed from outside, no answer to the
         * interrupt): the notice below has the details. */
        if (res->error_type)
            lc_buf_printf(&b, "Error: %s: %s\n", res->error_type, res->error_message ? res->error_message : "");
        lc_buf_puts(&b, res->error_type && !strcmp(res->error_type, "OutOfMemory")
                            ? "The sandbox was restarted. Use less memory: work on the data in smaller pieces.\n"
                            : "The sandbox was restarted during this step.\n");
        break;
    case LC_STEP_SHADOW_LIMIT:
        lc_buf_puts(&b, "The workspace grew past its size limit and the step was stopped. Remove large "
                        "files you created and write less data.\n");
        break;
    }
    if (res->notice && *res->notice) {
        lc_buf_puts(&b, "Sandbox notice: ");
        put_bounded(&b, res->notice, 1000, 500);
        lc_buf_putc(&b, '\n');
    }
    if (res->state_lost)
        lc_buf_puts(&b, "All variables, functions and imports from earlier steps are gone (the tool "
                        "helpers are back); define again what you need.\n");
    agent_utf8_fix(&b);
    return lc_buf_detach(&b);
}

/* Invalid UTF-8 (binary output, a character cut by a cap) becomes U+FFFD:
 * log lines stay JSON that strict readers accept, and requests stay JSON a
 * server accepts. JSON's own syntax is ASCII, so only string contents change. */
void agent_utf8_fix(lc_buf *line)
{
    if (lc_utf8_valid(line->data, line->len))
        return;
    lc_buf out = LC_BUF_INIT;
    size_t i = 0;
    while (i < line->len) {
        uint32_t cp;
        size_t n = (unsigned char)line->data[i] < 0x80 ? 1 : lc_utf8_decode(line->data + i, line->len - i, &cp);
        if (n == 0) {
            lc_buf_puts(&out, "\xEF\xBF\xBD");
            i++;
        } else {
            lc_buf_append(&out, line->data + i, n);
            i += n;
        }
    }
    lc_buf_free(line);
    *line = out;
}

/* ---- approval and results in the log ------------------------------------- */

void agent_log_approval(lc_agent *a)
{
    /* Without an approve callback every step runs: that is auto-approval. */
    int mode = !a->obs.approve ? 1 : a->obs.auto_approving && a->obs.auto_approving(a->obs.ctx) ? 1 : 0;
    if (mode == a->approval)
        return;
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "mode", mode ? "auto" : "ask");
    if (a->approval >= 0)
        cJSON_AddBoolToObject(f, "changed", true);
    a->approval = mode;
    agent_log(a, "approval", f);
}

lc_decision agent_approve(lc_agent *a, const lc_action *act)
{
    agent_log_approval(a);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "type", act->kind == LC_ACTION_CODE ? "code" : "tool");
    if (act->code)
        cJSON_AddStringToObject(f, "code", act->code);
    if (act->tool_name)
        cJSON_AddStringToObject(f, "tool", act->tool_name);
    if (act->tool_args)
        cJSON_AddStringToObject(f, "args", act->tool_args);
    if (act->thought)
        cJSON_AddStringToObject(f, "thought", act->thought);
    agent_log(a, "action", f);
    lc_event ev = {.kind = LC_EV_ACTION, .step = a->step, .max_steps = a->step_limit, .action = act};
    agent_emit(a, &ev);

    lc_decision d = {.kind = LC_DECIDE_RUN, .automatic = true};
    if (a->obs.approve)
        d = a->obs.approve(a->obs.ctx, act);
    if (atomic_load(&a->stop) && d.kind != LC_DECIDE_STOP) {
        free(d.text);
        d = (lc_decision){.kind = LC_DECIDE_STOP};
    }
    if (d.kind == LC_DECIDE_RUN_EDITED && !d.text)
        d.kind = LC_DECIDE_RUN;

    static const char *const names[] = {"approved", "edited", "declined", "stopped"};
    f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "decision", names[d.kind]);
    if (d.kind == LC_DECIDE_RUN_EDITED) {
        const char *orig = act->code ? act->code : act->tool_args;
        char *diff = lc_text_unified_diff(orig, d.text, "proposed", "edited");
        cJSON_AddStringToObject(f, "diff", diff);
        cJSON_AddStringToObject(f, "code", d.text);
        free(diff);
    }
    if (d.kind == LC_DECIDE_DECLINE)
        cJSON_AddStringToObject(f, "reason", d.text ? d.text : "");
    if (d.automatic)
        cJSON_AddBoolToObject(f, "auto", true);
    agent_log(a, "decision", f);
    ev = (lc_event){.kind = LC_EV_DECISION, .step = a->step, .max_steps = a->step_limit, .decision = &d};
    agent_emit(a, &ev);
    return d;
}

void agent_log_result(lc_agent *a, const lc_exec_result *res, const char *observation)
{
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "status", lc_step_status_name(res->status));
    cJSON_AddStringToObject(f, "output", res->output ? res->output : "");
    if (res->truncated)
        cJSON_AddNumberToObject(f, "dropped_bytes", (double)res->dropped_bytes);
    if (res->value_repr)
        cJSON_AddStringToObject(f, "value", res->value_repr);
    if (res->error_type) {
        cJSON *e = cJSON_AddObjectToObject(f, "error");
        cJSON_AddStringToObject(e, "type", res->error_type);
        cJSON_AddStringToObject(e, "message", res->error_message ? res->error_message : "");
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
    agent_log(a, "result", f);
    if (observation)
        agent_emit_text(a, LC_EV_OBSERVATION, observation);
}
