/* agent: the step loop that turns a task into approved steps. Model providers
 * behind one streaming chat call (lc_llm), code extraction and prompts, the
 * tool registry and profiles, the code and tool-calling agents, the session
 * log, and the observer through which a front end (TUI or headless) watches
 * and approves. Code runs only through an lc_executor. */
#ifndef LC_AGENT_H
#define LC_AGENT_H

#include "config/config.h"
#include "core/core.h"
#include "exec/exec.h"

/* ======================================================================== */
/* Model providers                                                          */
/* ======================================================================== */

typedef enum lc_role { LC_ROLE_SYSTEM, LC_ROLE_USER, LC_ROLE_ASSISTANT, LC_ROLE_TOOL } lc_role;

typedef struct lc_tool_call {
    char *id;
    char *name;
    char *arguments; /* JSON text exactly as the model produced it */
} lc_tool_call;

/* One chat message. Owned strings; lc_msg_free. */
typedef struct lc_msg {
    lc_role role;
    char *content;
    lc_tool_call *calls; /* assistant tool calls */
    size_t ncalls;
    char *tool_call_id;  /* role TOOL: which call this answers */
} lc_msg;

void lc_msg_free(lc_msg *m);

/* A tool offered for native function calling. */
typedef struct lc_tool_schema {
    const char *name;
    const char *description;
    const char *parameters_json; /* JSON Schema object */
} lc_tool_schema;

typedef struct lc_llm_request {
    const lc_msg *messages;
    size_t nmessages;
    const lc_tool_schema *tools; /* NULL: no tools */
    size_t ntools;
} lc_llm_request;

/* Streaming callbacks; called on the requesting thread. */
typedef struct lc_llm_stream {
    void *ctx;
    void (*text)(void *ctx, const char *delta, size_t len);
    void (*reasoning)(void *ctx, const char *delta, size_t len);
} lc_llm_stream;

typedef struct lc_llm_reply {
    char *content;        /* may be empty, never NULL after success */
    char *reasoning;      /* NULL when none */
    lc_tool_call *calls;
    size_t ncalls;
    char *finish_reason;  /* "stop", "tool_calls", "length", ... */
    int64_t prompt_tokens;
    int64_t completion_tokens;
} lc_llm_reply;

void lc_llm_reply_free(lc_llm_reply *r);

typedef struct lc_llm lc_llm;
typedef struct lc_llm_ops {
    /* Errors: LC_EAUTH, LC_ERATE, LC_ESERVER, LC_ENET, LC_EPROTO (incl. a
     * truncated stream), LC_ENOTFOUND (model), LC_EINVAL (bad request, context
     * too long), LC_ETIMEOUT (stalled), LC_ECANCEL. */
    int (*chat)(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream,
                lc_llm_reply *reply, lc_err *err);
    void (*cancel)(lc_llm *llm); /* any thread; the running chat returns LC_ECANCEL */
    void (*destroy)(lc_llm *llm);
} lc_llm_ops;

struct lc_llm {
    const lc_llm_ops *ops;
    void *impl;
};

/* Picks the provider from cfg->name ("openai/...", "anthropic/...",
 * "ollama/...", "replay:FILE", or any name with base_url set). */
int lc_llm_new(const lc_model_config *cfg, lc_llm **out, lc_err *err);
int lc_llm_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream,
                lc_llm_reply *reply, lc_err *err);
void lc_llm_cancel(lc_llm *llm);
void lc_llm_destroy(lc_llm *llm);

/* ======================================================================== */
/* The observer: what the agent tells its front end, and the one question. */
/* ======================================================================== */

typedef enum lc_action_kind { LC_ACTION_CODE, LC_ACTION_TOOL } lc_action_kind;

/* A proposed step. Borrowed strings, valid during the callback. */
typedef struct lc_action {
    lc_action_kind kind;
    int step;
    const char *code;      /* LC_ACTION_CODE: the Python to run */
    const char *tool_name; /* LC_ACTION_TOOL */
    const char *tool_args; /* LC_ACTION_TOOL: JSON text */
    const char *thought;   /* the model's text before the code, may be NULL */
} lc_action;

typedef enum lc_decision_kind {
    LC_DECIDE_RUN,
    LC_DECIDE_RUN_EDITED,
    LC_DECIDE_DECLINE,
    LC_DECIDE_STOP,
} lc_decision_kind;

typedef struct lc_decision {
    lc_decision_kind kind;
    char *text; /* edited code or the decline reason; malloc'd, the agent frees it */
} lc_decision;

#define LC_EVENT_KINDS(X)                                                   \
    X(TASK, "task")                   /* text: the task */                  \
    X(STEP_BEGIN, "step_begin")       /* step, max_steps */                 \
    X(TOKEN, "token")                 /* text: a streamed piece of reply */ \
    X(REASONING, "reasoning")         /* text: a piece of reasoning */      \
    X(MODEL_REPLY, "model_reply")     /* text: the whole reply */           \
    X(PLAN, "plan")                   /* text */                            \
    X(ACTION, "action")               /* action: proposed */                \
    X(DECISION, "decision")           /* decision */                        \
    X(OUTPUT, "output")               /* stream, text/len */                \
    X(TOOL_CALL, "tool_call")         /* text: name, detail: args */        \
    X(STEP_RESULT, "step_result")     /* result */                          \
    X(OBSERVATION, "observation")     /* text: what the model is told */    \
    X(CHANGED_FILES, "changed_files") /* text: summary */                   \
    X(USER_MESSAGE, "user_message")   /* text */                            \
    X(USAGE, "usage")                 /* tokens */                          \
    X(INFO, "info")                   /* text */                            \
    X(ERROR, "error")                 /* text, code */                      \
    X(FINAL_ANSWER, "final_answer")   /* text */                            \
    X(DONE, "done")                   /* the run ended */

typedef enum lc_event_kind {
#define LC_EV_ENUM(name, str) LC_EV_##name,
    LC_EVENT_KINDS(LC_EV_ENUM)
#undef LC_EV_ENUM
        LC_EV_COUNT
} lc_event_kind;

const char *lc_event_kind_name(lc_event_kind k);

/* One event. Borrowed pointers, valid during the callback only. */
typedef struct lc_event {
    lc_event_kind kind;
    int step;
    int max_steps;
    const char *text;
    size_t len;               /* length of text (may hold NULs for OUTPUT) */
    const char *detail;
    lc_stream stream;
    int code;                 /* ERROR: an lc_status */
    const lc_action *action;
    const lc_decision *decision;
    const lc_exec_result *result;
    int64_t prompt_tokens;
    int64_t completion_tokens;
} lc_event;

typedef struct lc_observer {
    void *ctx;
    /* Called on the agent's thread; must not block for long. */
    void (*event)(void *ctx, const lc_event *ev);
    /* Blocks until the user decides. */
    lc_decision (*approve)(void *ctx, const lc_action *action);
    /* ask_user tool: blocks; returns a malloc'd answer or NULL if the user declined. */
    char *(*ask_user)(void *ctx, const char *question);
} lc_observer;

#endif
