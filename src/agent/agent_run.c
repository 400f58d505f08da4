/* Runs a task step by step to its end: the agent's lifetime (new, free,
 * its system prompt), the code agent's step (Thought / Code / Observation),
 * the tool-calling agent's step (native function calls, or JSON in the text
 * for servers without them), planning steps, the step limit with its forced
 * final answer, and the run's end. Resuming from a log is agent_resume.c. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define DEFAULT_MAX_STEPS 20
/* A hostile or confused model must not queue hundreds of approvals. */
#define MAX_CALLS_PER_REPLY 16

static const char no_code_hint[] =
    "Your reply had no code block, so nothing ran. Reply in this format:\n"
    "Thought: what you will do next\n"
    "```python\n"
    "# your code\n"
    "```\n";

static const char answer_hint[] =
    "If you already have the answer, give it by calling final_answer in a code block:\n"
    "```python\n"
    "final_answer(\"your answer\")\n"
    "```\n";

static const char plan_prompt[] =
    "Before the next step, write a short plan: the facts you know, what you still need to find out, and "
    "the next few steps. Do not write code now.";

static const char final_prompt[] =
    "You reached the maximum number of steps; no more code will run. From what you know so far, give "
    "your best final answer to the task now, as plain text. Say what is uncertain or unfinished.";

int lc_agent_new(const lc_config *cfg, lc_llm *llm, lc_executor *ex, const lc_observer *obs,
                 const lc_workspace_hooks *ws, lc_log *log, lc_agent **out, lc_err *err)
{
    *out = NULL;
    if (!cfg || !llm || !ex)
        return lc_err_set(err, LC_EINVAL, "lc_agent_new needs a config, a model and an executor");
    if (log && !agent_obs_records(obs, log))
        /* The log is written by its receiver in the fan-out, not by the agent: without it a
         * session would run with no audit trail and nothing would say so. */
        return lc_err_set(err, LC_EINVAL, "lc_agent_new: a session log was given, but the observer does not "
                                          "write it; build the observer with lc_fanout_init(&fan, log, front)");
    lc_agent *a = lc_xcalloc(1, sizeof *a);
    a->cfg = cfg;
    a->type = cfg->agent.type;
    a->max_steps = cfg->agent.max_steps > 0 ? cfg->agent.max_steps : DEFAULT_MAX_STEPS;
    a->planning_interval = cfg->agent.planning_interval > 0 ? cfg->agent.planning_interval : 0;
    a->timeout_s = cfg->container.timeout_s;
    a->llm = llm;
    a->ex = ex;
    if (obs)
        a->obs = *obs;
    if (ws)
        a->ws = *ws;
    a->log = log;
    a->approval = -1;
    atomic_init(&a->stop, false);
    pthread_mutex_init(&a->mu, NULL);
    int rc = lc_toolset_new(&cfg->agent.tools, &cfg->container.tool_files, &a->tools, err);
    if (rc != LC_OK) {
        lc_agent_free(a);
        return rc;
    }
    rc = agent_policy_new(cfg, a->tools, &a->policy, err);
    if (rc != LC_OK) {
        lc_agent_free(a);
        return rc;
    }
    if (cfg->mcp.n)
        a->mcp = lc_mcp_new(&cfg->mcp); /* the servers start with the first prompt */
    *out = a;
    return LC_OK;
}

void lc_agent_free(lc_agent *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->hist.n; i++)
        lc_msg_free(&a->hist.v[i]);
    free(a->hist.v);
    free(a->system);
    lc_project_instructions_free(&a->project);
    free(a->last_changes);
    free(a->log_failed);
    lc_toolset_free(a->tools);
    if (a->policy)
        agent_policy_flush(a); /* a revocation after the last step is on the record too */
    agent_policy_free(a->policy);
    lc_mcp_free(a->mcp);
    lc_strv_free(&a->inbox);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

void agent_build_system(lc_agent *a)
{
    agent_mcp_start(a);
    lc_prompt_opts po = {.type = a->type, .tools = a->tools,
                         .authorized_imports = &a->cfg->container.authorized_imports,
                         .instructions = a->cfg->agent.instructions, .text_tool_calls = a->text_calls,
                         .project = &a->project};
    free(a->system);
    a->system = lc_prompt_system(&po);
    if (a->hist.n && a->hist.v[0].role == LC_ROLE_SYSTEM) {
        free(a->hist.v[0].content);
        a->hist.v[0].content = lc_xstrdup(a->system);
    }
}

/* ---- the code agent ------------------------------------------------------------ */

static void observe_user(lc_agent *a, const char *text)
{
    char *m = lc_xasprintf("Observation:\n%s", text);
    agent_push(a, LC_ROLE_USER, m);
    free(m);
}

static int ask_step(lc_agent *a, bool tools, lc_llm_reply *reply, lc_err *err)
{
    int rc = agent_ask(a, NULL, tools, LC_REQ_STEP, reply, err);
    if (rc == LC_ECANCEL || atomic_load(&a->stop))
        return LC_ECANCEL;
    return rc;
}

/* Approve and run one piece of code; fills *obs with what the model is told.
 * *final_json gets final_answer's JSON when the step called it. */
static int approve_and_run(lc_agent *a, const char *code, const char *thought, lc_action_kind kind,
                           const char *tool_name, const char *tool_args, char **obs, char **final_json,
                           bool *stopped, lc_err *err)
{
    *obs = NULL;
    *final_json = NULL;
    *stopped = false;

    /* A syntax error goes straight back: nothing runs, nobody is asked. */
    lc_exec_result chk = {0};
    int rc = lc_executor_check(a->ex, code, &chk, err);
    if (rc != LC_OK)
        return rc;
    if (chk.status == LC_STEP_SYNTAX) {
        *obs = agent_observe(a, &chk);
        agent_tell(a, LC_OBS_SYNTAX, *obs, &chk, code);
        lc_exec_result_free(&chk);
        return LC_OK;
    }
    lc_exec_result_free(&chk);

    lc_action act = {.kind = kind, .step = a->step, .code = code, .tool_name = tool_name,
                     .tool_args = tool_args, .thought = thought};
    lc_decision d = agent_approve(a, &act);
    /* The approval must be on record before the step runs. */
    if ((d.kind == LC_DECIDE_RUN || d.kind == LC_DECIDE_RUN_EDITED) && agent_log_check(a, err) != LC_OK) {
        free(d.text);
        return LC_EIO;
    }
    char *edit_note = NULL;
    const char *run = code;
    switch (d.kind) {
    case LC_DECIDE_STOP:
        free(d.text);
        *stopped = true;
        return LC_OK;
    case LC_DECIDE_DECLINE:
        if (d.by && strcmp(d.by, "rule") == 0) /* a deny rule explains itself to the model */
            *obs = lc_xasprintf("This step did not run: %s.\nThe user's approval rules forbid it; do not try "
                                "the same another way. Propose something else, or ask the user.",
                                d.why);
        else
            *obs = lc_xasprintf("The user declined this step, so it did not run. Their reason: %s\n"
                                "Take the reason into account and propose something else.",
                                d.text && *d.text ? d.text : "(none given)");
        agent_tell(a, LC_OBS_DECLINED, *obs, NULL, NULL);
        free(d.text);
        return LC_OK;
    case LC_DECIDE_RUN_EDITED: {
        char *diff = lc_text_unified_diff(code, d.text, "your code", "what ran");
        edit_note = lc_xasprintf("The user edited your code before running it. This diff shows the edit "
                                 "(what ran is the edited version):\n%s\n",
                                 diff);
        free(diff);
        run = d.text;
        break;
    }
    case LC_DECIDE_RUN:
        break;
    }

    char *before = agent_policy_before(a, &d);
    lc_exec_result res = {0};
    rc = agent_exec(a, run, &res, err);
    if (rc != LC_OK) {
        free(d.text);
        free(edit_note);
        free(before);
        return rc;
    }
    agent_policy_after(a, &d, run, before);
    free(before);
    char *o = agent_observe(a, &res);
    if (edit_note) {
        *obs = lc_xasprintf("%s%s", edit_note, o);
        free(o);
    } else {
        *obs = o;
    }
    agent_tell(a, LC_OBS_RESULT, *obs, &res, NULL);
    if (res.status == LC_STEP_FINAL) {
        *final_json = res.final_answer ? res.final_answer : lc_xstrdup("null");
        res.final_answer = NULL;
    }
    if (res.status == LC_STEP_INTERRUPTED && atomic_load(&a->stop))
        *stopped = true;
    lc_exec_result_free(&res);
    free(d.text);
    free(edit_note);
    return LC_OK;
}

static void finish_answer(lc_agent *a, const char *json, bool forced, char **answer)
{
    char *text = forced ? lc_xstrdup(json) : agent_answer_text(json);
    lc_event ev = {.kind = LC_EV_FINAL_ANSWER, .step = a->step, .max_steps = a->step_limit, .text = text,
                   .len = strlen(text), .forced = forced};
    agent_emit(a, &ev);
    if (answer)
        *answer = text;
    else
        free(text);
}

int agent_code_step(lc_agent *a, bool *done, lc_agent_outcome *outcome, char **answer, lc_err *err)
{
    lc_llm_reply reply = {0};
    int rc = ask_step(a, false, &reply, err);
    if (rc != LC_OK)
        return rc;
    agent_push_reply(a, &reply);
    lc_extracted x;
    lc_extract_code(reply.content, &x);
    if (!x.code) {
        char *obs = lc_xasprintf("%s%s", no_code_hint,
                                 lc_extract_looks_like_answer(reply.content) ? answer_hint : "");
        agent_tell(a, LC_OBS_NO_CODE, obs, NULL, NULL);
        observe_user(a, obs);
        free(obs);
        lc_extracted_free(&x);
        lc_llm_reply_free(&reply);
        return LC_OK;
    }
    char *obs = NULL, *final_json = NULL;
    bool stopped = false;
    rc = approve_and_run(a, x.code, x.thought, LC_ACTION_CODE, NULL, NULL, &obs, &final_json, &stopped, err);
    lc_extracted_free(&x);
    lc_llm_reply_free(&reply);
    if (rc != LC_OK)
        return rc;
    if (final_json) {
        finish_answer(a, final_json, false, answer);
        *outcome = LC_AGENT_ANSWERED;
        *done = true;
    } else if (stopped) {
        *outcome = LC_AGENT_STOPPED;
        *done = true;
    } else {
        observe_user(a, obs);
    }
    free(obs);
    free(final_json);
    return LC_OK;
}

/* ---- the tool-calling agent --------------------------------------------------- */

static bool declined_obs(const char *obs)
{
    return obs && lc_str_starts_with(obs, "The user declined");
}

int agent_tool_step(lc_agent *a, bool *done, lc_agent_outcome *outcome, char **answer, lc_err *err)
{
    lc_llm_reply reply = {0};
    int rc = ask_step(a, true, &reply, err);
    /* e.g. Ollama: "HTTP 400: ... does not support tools". A conversation
     * that is too long is a different 400, and switching would not help. */
    if (rc == LC_EINVAL && !a->text_calls && strstr(err->msg, "tool") && !strstr(err->msg, "too long")) {
        /* The server refuses native tools: describe them in the text instead. */
        a->text_calls = true;
        agent_build_system(a);
        agent_emit_text(a, LC_EV_INFO, "the server has no tool calling; switched to JSON-in-text tool calls");
        lc_err_clear(err);
        rc = ask_step(a, true, &reply, err);
    }
    if (rc != LC_OK)
        return rc;
    lc_tool_call *calls = reply.calls;
    size_t ncalls = reply.ncalls;
    lc_tool_call *text_calls = NULL;
    if (ncalls == 0 && (ncalls = lc_extract_tool_calls(reply.content, &text_calls)) > 0)
        calls = text_calls;
    /* Calls found in the text get their results as one user message: the
     * server never saw them as calls. */
    bool in_text = a->text_calls || text_calls != NULL;
    agent_push_reply(a, &reply);
    if (ncalls == 0) {
        const char *hint = "Your reply called no tool. Call python_executor to run code, another tool, "
                           "or final_answer with your answer when you have it.";
        agent_tell(a, LC_OBS_NO_CODE, hint, NULL, NULL);
        agent_push(a, LC_ROLE_USER, hint);
        lc_llm_reply_free(&reply);
        return LC_OK;
    }
    lc_buf text_obs = LC_BUF_INIT;
    bool skip_rest = false;
    for (size_t i = 0; i < ncalls && !*done; i++) {
        const lc_tool_call *c = &calls[i];
        const char *name = c->name ? c->name : "";
        char *obs = NULL;
        if (skip_rest) {
            obs = lc_xstrdup("Not run: an earlier call in the same reply was declined.");
        } else if (i >= MAX_CALLS_PER_REPLY) {
            obs = lc_xasprintf("Not run: at most %d calls run per reply; send the rest in your next reply.",
                               MAX_CALLS_PER_REPLY);
        } else if (!strcmp(name, "final_answer")) {
            cJSON *args = lc_json_parse(c->arguments ? c->arguments : "", c->arguments ? strlen(c->arguments) : 0);
            const cJSON *ans = cJSON_GetObjectItemCaseSensitive(args, "answer");
            char *json = ans ? lc_json_print(ans) : lc_xstrdup(c->arguments ? c->arguments : "\"\"");
            cJSON_Delete(args);
            finish_answer(a, json, false, answer);
            free(json);
            *outcome = LC_AGENT_ANSWERED;
            *done = true;
            break;
        } else if ((lc_toolset_has(a->tools, name) && lc_tool_find(name)->where == LC_TOOL_HOST) ||
                   agent_mcp_has(a, name)) {
            /* Host tools run nothing in the sandbox; ask_user asks the user itself. */
            cJSON *args = lc_json_parse(c->arguments ? c->arguments : "{}", c->arguments ? strlen(c->arguments) : 2);
            cJSON *result = NULL;
            lc_err terr = {0};
            if (agent_host_tool(a, name, args, &result, &terr) == LC_OK) {
                obs = cJSON_IsString(result) ? lc_xstrdup(result->valuestring) : lc_json_print(result);
            } else {
                obs = lc_xasprintf("Error: %s", terr.msg);
            }
            cJSON_Delete(result);
            cJSON_Delete(args);
            agent_tell(a, LC_OBS_CALL, obs, NULL, NULL);
        } else {
            char *code = NULL;
            lc_err cerr = {0};
            if (!strcmp(name, "python_executor")) {
                cJSON *args = lc_json_parse(c->arguments ? c->arguments : "", c->arguments ? strlen(c->arguments) : 0);
                const char *s = lc_json_str(args, "code");
                if (s)
                    code = lc_xstrdup(s);
                else
                    lc_err_set(&cerr, LC_EINVAL, "python_executor needs {\"code\": \"...\"}");
                cJSON_Delete(args);
            } else if (lc_toolset_has(a->tools, name)) {
                lc_tool_call_python(name, c->arguments, &code, &cerr);
            } else {
                lc_err_set(&cerr, LC_ENOTFOUND, "there is no tool named '%.80s'", name);
            }
            if (!code) {
                obs = lc_xasprintf("Error: %s", cerr.msg);
                agent_tell(a, LC_OBS_CALL, obs, NULL, NULL);
            } else {
                char *final_json = NULL;
                bool stopped = false;
                rc = approve_and_run(a, code, i == 0 && reply.content && *reply.content ? reply.content : NULL,
                                     LC_ACTION_TOOL, name, c->arguments, &obs, &final_json, &stopped, err);
                free(code);
                if (rc != LC_OK) {
                    lc_buf_free(&text_obs);
                    lc_tool_calls_free(text_calls, text_calls ? ncalls : 0);
                    lc_llm_reply_free(&reply);
                    return rc;
                }
                if (final_json) {
                    finish_answer(a, final_json, false, answer);
                    *outcome = LC_AGENT_ANSWERED;
                    *done = true;
                } else if (stopped) {
                    *outcome = LC_AGENT_STOPPED;
                    *done = true;
                }
                free(final_json);
                skip_rest = declined_obs(obs);
            }
        }
        if (!*done) {
            /* What the model is told for each call, so --resume can answer
             * every call of an interrupted reply. */
            lc_event ev = {.kind = LC_EV_CALL_OBSERVATION, .step = a->step, .max_steps = a->step_limit,
                           .id = c->id ? c->id : "", .detail = name, .text = obs ? obs : ""};
            agent_emit(a, &ev);
            if (in_text)
                lc_buf_printf(&text_obs, "Observation for %s:\n%s\n\n", name, obs ? obs : "");
            else
                agent_push_tool(a, c->id ? c->id : "", obs ? obs : "");
        }
        free(obs);
    }
    if (!*done && text_obs.len)
        agent_push(a, LC_ROLE_USER, lc_buf_cstr(&text_obs));
    lc_buf_free(&text_obs);
    lc_tool_calls_free(text_calls, text_calls ? ncalls : 0);
    lc_llm_reply_free(&reply);
    return LC_OK;
}

/* ---- the run ---------------------------------------------------------------- */

static int plan_step(lc_agent *a, lc_err *err)
{
    lc_llm_reply r = {0};
    int rc = agent_ask(a, plan_prompt, false, LC_REQ_PLAN, &r, err);
    if (rc != LC_OK)
        return rc;
    agent_emit_text(a, LC_EV_PLAN, r.content);
    char *m = lc_xasprintf("Plan:\n%s", r.content);
    agent_push(a, LC_ROLE_ASSISTANT, m);
    free(m);
    lc_llm_reply_free(&r);
    return LC_OK;
}

static int forced_final(lc_agent *a, char **answer, lc_err *err)
{
    agent_take_user_messages(a); /* typed during the last step: still worth knowing */
    lc_llm_reply r = {0};
    int rc = agent_ask(a, final_prompt, false, LC_REQ_FINAL, &r, err);
    if (rc != LC_OK)
        return rc;
    finish_answer(a, r.content, true, answer);
    lc_llm_reply_free(&r);
    return LC_OK;
}

static void end_run(lc_agent *a, lc_agent_outcome outcome, const char *why)
{
    static const char *const names[] = {"answered", "failed", "stopped", "max_steps"};
    lc_event ev = {.kind = LC_EV_DONE, .step = a->step, .max_steps = a->step_limit, .text = names[outcome],
                   .len = strlen(names[outcome]), .detail = why};
    agent_emit(a, &ev);
}

/* What ended the run, and for a model error where the next run goes on:
 * in_step, the failed request was a step's (not the forced final answer). */
static void note_failure(lc_agent *a, int first, bool in_step)
{
    a->failure = a->model_failed ? LC_AGENT_FAIL_MODEL : LC_AGENT_FAIL_OTHER;
    if (a->failure == LC_AGENT_FAIL_MODEL) {
        a->again.pending = true;
        a->again.redo_step = in_step;
        a->again.first = first;
        a->again.limit = a->step_limit;
    }
}

lc_agent_failure lc_agent_last_failure(const lc_agent *a)
{
    return a ? a->failure : LC_AGENT_FAIL_NONE;
}

void lc_agent_set_llm(lc_agent *a, lc_llm *llm)
{
    a->llm = llm;
}

int lc_agent_run(lc_agent *a, const char *task, lc_agent_outcome *outcome, char **answer, lc_err *err)
{
    if (answer)
        *answer = NULL;
    *outcome = LC_AGENT_FAILED;
    atomic_store(&a->stop, false);
    a->failure = LC_AGENT_FAIL_NONE;
    a->model_failed = false;
    if (!a->system)
        agent_build_system(a);
    if (a->hist.n == 0) {
        if (!task || !*task) {
            a->failure = LC_AGENT_FAIL_OTHER;
            return lc_err_set(err, LC_EINVAL, "no task given: say what the agent should do");
        }
        agent_push(a, LC_ROLE_SYSTEM, a->system);
    }
    if (task && *task) {
        agent_emit_text(a, LC_EV_TASK, task);
        char *m = lc_xasprintf("New task:\n%s", task);
        agent_push(a, LC_ROLE_USER, m);
        free(m);
    }
    agent_note_approval_mode(a);
    int rc = agent_inject_helpers(a, err);
    /* After a model error the step that failed had nothing run yet (its
     * request is the first thing it does): it is taken again under its own
     * number, and a retry (no new task) goes on within the failed run's
     * budget. */
    bool again = a->again.pending && !(task && *task);
    if (a->again.pending && a->again.redo_step && a->step > 0)
        a->step--;
    int first = again ? a->again.first : a->step;
    a->again.pending = false;
    bool done = false;
    /* Each run (a new task, or a resumed session) gets the whole budget. */
    a->step_limit = again ? a->again.limit : first + a->max_steps;
    while (rc == LC_OK && !done && a->step < a->step_limit) {
        if (atomic_load(&a->stop)) {
            *outcome = LC_AGENT_STOPPED;
            done = true;
            break;
        }
        if ((rc = agent_log_check(a, err)) != LC_OK)
            break;
        a->step++;
        agent_take_user_messages(a);
        lc_event ev = {.kind = LC_EV_STEP_BEGIN, .step = a->step, .max_steps = a->step_limit};
        agent_emit(a, &ev);
        if (a->planning_interval && (a->step - first - 1) % a->planning_interval == 0)
            rc = plan_step(a, err);
        if (rc == LC_OK)
            rc = a->type == LC_AGENT_TOOL_CALLING ? agent_tool_step(a, &done, outcome, answer, err)
                                                  : agent_code_step(a, &done, outcome, answer, err);
        lc_err serr = {0};
        if (lc_log_sync(a->log, &serr) != LC_OK && !a->log_failed) {
            a->log_failed = lc_xstrdup(serr.msg);
            agent_emit_text(a, LC_EV_ERROR, serr.msg);
        }
        if (rc == LC_OK && !done)
            rc = agent_log_check(a, err);
    }
    /* A run whose record is incomplete failed, however it ended. */
    if (a->log_failed && (rc == LC_OK || rc == LC_ECANCEL))
        rc = agent_log_check(a, err);
    if (rc == LC_ECANCEL || (rc == LC_OK && atomic_load(&a->stop) && !done)) {
        *outcome = LC_AGENT_STOPPED;
        end_run(a, *outcome, "stopped by the user");
        lc_err_clear(err);
        return LC_OK;
    }
    if (rc != LC_OK) {
        lc_event ev = {.kind = LC_EV_ERROR, .step = a->step, .text = err->msg, .len = strlen(err->msg),
                       .code = rc};
        agent_emit(a, &ev);
        *outcome = LC_AGENT_FAILED;
        note_failure(a, first, true);
        end_run(a, *outcome, err->msg);
        return rc;
    }
    if (!done) {
        rc = forced_final(a, answer, err);
        if (rc != LC_OK) {
            *outcome = rc == LC_ECANCEL ? LC_AGENT_STOPPED : LC_AGENT_FAILED;
            if (rc != LC_ECANCEL)
                note_failure(a, first, false);
            end_run(a, *outcome, err->msg);
            if (rc == LC_ECANCEL) {
                lc_err_clear(err);
                return LC_OK;
            }
            return rc;
        }
        *outcome = LC_AGENT_MAX_STEPS;
        if (agent_log_check(a, err) != LC_OK) {
            *outcome = LC_AGENT_FAILED;
            end_run(a, *outcome, err->msg);
            return LC_EIO;
        }
    }
    end_run(a, *outcome, NULL);
    return LC_OK;
}
