/* What one step does besides asking the model: the approval of an action
 * (and the approval mode in force), running code through the executor with
 * the step's hooks, the changed files, and the observation the model is
 * told. Stop and the step count are here as they act on a running step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define OBS_HEAD 6000
#define OBS_TAIL 4000
#define VALUE_MAX 2000
#define TRACE_MAX 3000

/* ---- approval ------------------------------------------------------------- */

void agent_note_approval_mode(lc_agent *a)
{
    /* Without an approve callback every step runs: that is auto-approval. */
    int mode = !a->obs.approve ? 1 : a->obs.auto_approving && a->obs.auto_approving(a->obs.ctx) ? 1 : 0;
    if (mode == 0 && strcmp(agent_policy_mode(a), "reads") == 0)
        mode = 2;
    if (mode == a->approval)
        return;
    lc_event ev = {.kind = LC_EV_APPROVAL, .step = a->step, .max_steps = a->step_limit, .automatic = mode == 1,
                   .detail = mode == 1 ? "auto" : mode == 2 ? "reads" : "ask", .changed = a->approval >= 0};
    a->approval = mode;
    agent_emit(a, &ev);
}

lc_decision agent_approve(lc_agent *a, const lc_action *act)
{
    agent_note_approval_mode(a);
    lc_event ev = {.kind = LC_EV_ACTION, .step = a->step, .max_steps = a->step_limit, .action = act};
    agent_emit(a, &ev);

    lc_decision d = {.kind = LC_DECIDE_RUN, .automatic = true};
    cJSON *check = NULL;
    if (!agent_policy_decide(a, act, &d, &check) && a->obs.approve) {
        lc_action asked = *act;
        asked.ask_rule = agent_policy_asks(a); /* asks even under --yes */
        d = a->obs.approve(a->obs.ctx, &asked);
    }
    if (atomic_load(&a->stop) && d.kind != LC_DECIDE_STOP) {
        free(d.text);
        d = (lc_decision){.kind = LC_DECIDE_STOP};
    }
    if (d.grant && (d.kind == LC_DECIDE_RUN || d.kind == LC_DECIDE_RUN_EDITED))
        agent_policy_grant(a, d.kind == LC_DECIDE_RUN_EDITED && d.text ? d.text : act->code ? act->code : "",
                           d.kind == LC_DECIDE_RUN_EDITED, d.save_grant);
    if (!d.by) {
        d.by = d.automatic ? "mode" : "user";
        if (d.automatic)
            snprintf(d.why, sizeof d.why, "mode all: auto-approve is on (--yes, --approve all or the A key)");
        else
            snprintf(d.why, sizeof d.why, "the user was asked");
    }
    if (d.kind == LC_DECIDE_RUN_EDITED && !d.text)
        d.kind = LC_DECIDE_RUN;

    ev = (lc_event){.kind = LC_EV_DECISION, .step = a->step, .max_steps = a->step_limit, .decision = &d,
                    .proposed = act->code ? act->code : act->tool_args, .check = check};
    agent_emit(a, &ev);
    cJSON_Delete(check);
    return d;
}

void agent_tell(lc_agent *a, lc_obs_source source, const char *observation, const lc_exec_result *res,
                const char *proposed)
{
    lc_event ev = {.kind = LC_EV_OBSERVATION, .step = a->step, .max_steps = a->step_limit, .source = source,
                   .text = observation, .len = observation ? strlen(observation) : 0, .result = res,
                   .proposed = proposed};
    agent_emit(a, &ev);
}

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
    /* An MCP stub sends its keywords as arguments={...}. */
    if (agent_mcp_has(ctx, name))
        return agent_mcp_tool(ctx, name, cJSON_GetObjectItemCaseSensitive(args, "arguments"), result, err);
    return agent_host_tool(ctx, name, args, result, err);
}

/* Only ask_user and MCP calls (approved by the user, bounded by the
 * server's own timeout) wait on a person; llm_query and the rest count
 * against the step's time limit like any other work of the step. */
static bool hook_waits_for_user(void *ctx, const char *name)
{
    return strcmp(name, "ask_user") == 0 || agent_mcp_has(ctx, name);
}

int agent_inject_helpers(lc_agent *a, lc_err *err)
{
    if (a->helpers_ready)
        return LC_OK;
    const char *py = lc_toolset_python(a->tools);
    if (py && *py) {
        /* litecode's own code: no approval asked, but on the record. */
        agent_emit_text(a, LC_EV_HELPERS, py);
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
        agent_emit_text(a, LC_EV_REVERTED, rev);
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

/* ---- stop ------------------------------------------------------------------ */

void lc_agent_stop(lc_agent *a)
{
    if (!a)
        return;
    atomic_store(&a->stop, true);
    lc_llm_cancel(a->llm);
    lc_mcp_cancel(a->mcp);
    lc_executor_interrupt(a->ex);
}

int lc_agent_steps(const lc_agent *a) { return a ? a->step : 0; }
