/* Private to the agent module: the agent's state and what its files share.
 * agent_events.c sends each fact out once (to the fan-out: log, then front end);
 * agent_ask.c holds the conversation with the model; agent_step.c approves,
 * runs and observes a step; agent_run.c runs the task step by step;
 * agent_resume.c rebuilds a conversation from a log; agent_host.c answers
 * host tools. Nothing outside src/agent sees it. */
#ifndef LC_AGENT_INT_H
#define LC_AGENT_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "agent/agent.h"

typedef struct lc_msgs {
    lc_msg *v;
    size_t n, cap;
} lc_msgs;

struct lc_agent {
    const lc_config *cfg;
    lc_agent_type type;
    int max_steps;     /* per run */
    int step_limit;    /* the last step number of the current run */
    int planning_interval;
    int timeout_s;
    lc_llm *llm;
    lc_executor *ex;
    lc_observer obs;
    lc_workspace_hooks ws;
    lc_log *log;
    lc_toolset *tools;
    lc_mcp *mcp;       /* the user's MCP servers; NULL: none configured */
    bool mcp_started;
    char *system;
    lc_project_instructions project; /* AGENTS.md..., for the system prompt */

    lc_msgs hist;
    size_t logged;     /* messages of hist already written to the log */
    int step;
    bool helpers_ready;
    bool text_calls;   /* tool-calling without native tools */
    char *last_changes;
    char *log_failed;  /* why the log could not be written; the run stops */
    /* The last request of the conversation (agent_ask) failed on the model's
     * side: what the run's failure was, carried from where it happened. */
    bool model_failed;
    lc_agent_failure failure; /* of the last run */
    /* A run that ended on a model error is gone on with by the next run (the
     * user's retry): the step it failed in is taken again under the same
     * number (redo_step), within the same budget when no new task is given. */
    struct {
        bool pending, redo_step;
        int first, limit;
    } again;
    int approval;      /* the approval mode last logged: -1 none, 0 ask, 1 auto, 2 reads */
    struct agent_policy *policy; /* approval.c */

    atomic_bool stop;
    pthread_mutex_t mu; /* guards inbox */
    lc_strv inbox;
};

void agent_emit(lc_agent *a, const lc_event *ev);
/* Whether o is a fan-out (lc_fanout_init) with log's receiver among its receivers. */
bool agent_obs_records(const lc_observer *o, const lc_log *log);
void agent_emit_text(lc_agent *a, lc_event_kind kind, const char *text);
/* The record an event leaves in the log (log_record.c): false when its
 * row is not logged. *fields may be NULL (no fields). */
bool log_record_of(const lc_event *ev, const char **kind, cJSON **fields);
/* LC_EIO with the reason once a log write failed: nothing may run after. */
int agent_log_check(lc_agent *a, lc_err *err);

void agent_push(lc_agent *a, lc_role role, const char *content);
void agent_push_reply(lc_agent *a, const lc_llm_reply *r);
void agent_push_tool(lc_agent *a, const char *call_id, const char *content);

/* One model request over the history plus extra (not kept), streamed to the
 * observer, logged. tools: offer native tools. */
int agent_ask(lc_agent *a, const char *extra_user, bool tools, lc_req_purpose why, lc_llm_reply *reply,
              lc_err *err);

/* The request itself: msgs[new_from..n) are logged as new; stream: send
 * text to the observer as tokens. */
int agent_ask_messages(lc_agent *a, const lc_msg *msgs, size_t n, size_t new_from, bool tools, lc_req_purpose why,
                       bool stream, lc_llm_reply *reply, lc_err *err);

/* A message the user typed, as the model gets it. */
void agent_push_user_message(lc_agent *a, const char *text);
/* Drains messages the user typed into the history; true when any. */
bool agent_take_user_messages(lc_agent *a);
int agent_inject_helpers(lc_agent *a, lc_err *err);

/* Runs code through the executor with the step's hooks (output, host tools),
 * then reports changed files. */
int agent_exec(lc_agent *a, const char *code, lc_exec_result *res, lc_err *err);
/* The observation the model gets for a result. Caller frees. */
char *agent_observe(lc_agent *a, const lc_exec_result *res);
/* A host tool (ask_user, preview_changes, llm_query, ...). (agent_host.c) */
int agent_host_tool(lc_agent *a, const char *name, const cJSON *args, cJSON **result, lc_err *err);
/* Replaces invalid UTF-8 in b with U+FFFD (for the log and for requests). */
void agent_utf8_fix(lc_buf *b);
/* The final answer text from a result's JSON (a JSON string is unwrapped). */
char *agent_answer_text(const char *json);

/* Logs the approval mode in force (auto or ask) when it is not the one
 * logged last: at the start of a run and before each action. */
void agent_note_approval_mode(lc_agent *a);
/* Asks the observer to approve an action; logs action and decision. */
lc_decision agent_approve(lc_agent *a, const lc_action *act);
/* What the model is told (an OBSERVATION event): res is the step's result
 * (RESULT) or the compile error (SYNTAX), proposed the code (SYNTAX). */
void agent_tell(lc_agent *a, lc_obs_source source, const char *observation, const lc_exec_result *res,
                const char *proposed);

/* approval.c: the approval policy (mode reads and its static check). */
/* Parses approval.rules and checks each rule's examples: an error names the
 * config file and line and the rule. *out is set either way (free it). */
int agent_policy_new(const lc_config *cfg, const lc_toolset *tools, struct agent_policy **out, lc_err *err);
void agent_policy_free(struct agent_policy *p);
/* "ask", "reads" or "all" as in force now (reads falls back to ask). */
const char *agent_policy_mode(const lc_agent *a);
/* Decides act without asking when the policy can (true, *d filled). Either
 * way *check gets the static check's JSON for the log (NULL: none). */
bool agent_policy_decide(lc_agent *a, const lc_action *act, lc_decision *d, cJSON **check);
/* Records what the front end turned off since the agent last looked (an
 * info line and grant_revoked); at each decision, after each step, and when
 * the agent is freed (a revocation after the last step). */
void agent_policy_flush(lc_agent *a);
/* The ask rule that matched the step just decided (NULL: none). */
const char *agent_policy_asks(const lc_agent *a);
/* "Allow steps like this": adds the narrowest allow rule that covers the
 * step that ran (its check's facts, exactly), for this session, and says so;
 * with save, also appends it to the user's config file (a failure to save
 * is said, and the grant holds for the session). */
void agent_policy_grant(lc_agent *a, const char *ran, bool edited, bool save);
/* Before a step runs: the state of the shadow's changes (the summary and
 * the content ids of the changed files) when the step must be verified
 * after it (it runs without asking because it was found read-only), else
 * NULL. malloc'd. */
char *agent_policy_before(lc_agent *a, const lc_decision *d);
/* After a step ran: ran is the code that ran, before what
 * agent_policy_before returned. Keeps track of names earlier steps defined;
 * falls back to ask when a step changed the shadow anyway (its summary or
 * the content of a changed file) or defeated the check. */
void agent_policy_after(lc_agent *a, const lc_decision *d, const char *ran, const char *before);

/* mcp_agent.c: starts the MCP servers once and adds their tools to the
 * toolset; whether name is one of their tools; runs one (approval, call,
 * log). args: the tool's own arguments. */
void agent_mcp_start(lc_agent *a);
bool agent_mcp_has(const lc_agent *a, const char *name);
int agent_mcp_tool(lc_agent *a, const char *name, const cJSON *args, cJSON **result, lc_err *err);

/* agent_run.c */
/* (Re)builds the system prompt and puts it first in the history. */
void agent_build_system(lc_agent *a);
int agent_code_step(lc_agent *a, bool *done, lc_agent_outcome *outcome, char **answer, lc_err *err);
int agent_tool_step(lc_agent *a, bool *done, lc_agent_outcome *outcome, char **answer, lc_err *err);

#endif
