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

#include <stdio.h>

/* ======================================================================== */
/* Model providers                                                          */
/* ======================================================================== */

typedef enum lc_role { LC_ROLE_SYSTEM, LC_ROLE_USER, LC_ROLE_ASSISTANT, LC_ROLE_TOOL } lc_role;

typedef struct lc_tool_call {
    char *id;
    char *name;
    char *arguments; /* JSON text exactly as the model produced it */
} lc_tool_call;

/* One chat message. Owned strings; lc_msg_free frees what m owns (not m
 * itself, which is usually an array element) and zeroes it. */
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

/* Streaming callbacks; called on the requesting thread. Any may be NULL. */
typedef struct lc_llm_stream {
    void *ctx;
    void (*text)(void *ctx, const char *delta, size_t len);
    void (*reasoning)(void *ctx, const char *delta, size_t len);
    /* What the user should know while nothing streams: "the server is rate
     * limiting...; retrying in 20 s (attempt 2 of 3)". */
    void (*notice)(void *ctx, const char *text);
} lc_llm_stream;

typedef struct lc_llm_reply {
    char *content;        /* may be empty, never NULL after success */
    char *reasoning;      /* NULL when none */
    lc_tool_call *calls;
    size_t ncalls;
    char *finish_reason;  /* "stop", "tool_calls", "length", ... (Anthropic's
                           * stop reasons are mapped to these words) */
    int64_t prompt_tokens;     /* 0 when the server did not say */
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
    /* Any thread; the running chat returns LC_ECANCEL promptly, whether it
     * is connecting, streaming or waiting to retry. */
    void (*cancel)(lc_llm *llm);
    void (*destroy)(lc_llm *llm);
} lc_llm_ops;

struct lc_llm {
    const lc_llm_ops *ops;
    void *impl;
};

/* Picks the provider from cfg->name, LiteLLM style:
 *   "openai/NAME"     https://api.openai.com/v1, key from OPENAI_API_KEY
 *   "anthropic/NAME"  https://api.anthropic.com, key from ANTHROPIC_API_KEY
 *   "ollama/NAME"     http://localhost:11434/v1, no key
 *   "replay:FILE"     answers from a recorded session log (lc_llm_replay_new)
 *   anything else with base_url set: an OpenAI-compatible server, NAME as is.
 * cfg->base_url and cfg->api_key_env override the defaults. The key is read
 * from the environment here, kept in memory only, and never appears in an
 * error message. *out is freed with lc_llm_destroy. */
int lc_llm_new(const lc_model_config *cfg, lc_llm **out, lc_err *err);
/* reply is filled on success (free it with lc_llm_reply_free) and left empty
 * on failure. Stream callbacks get raw model bytes: sanitize before drawing.
 * A failure after text was streamed is not retried (the text would repeat).
 * One chat at a time per lc_llm; lc_llm_cancel may come from any thread. */
int lc_llm_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream,
                lc_llm_reply *reply, lc_err *err);
void lc_llm_cancel(lc_llm *llm);
void lc_llm_destroy(lc_llm *llm);
/* --check: one short request ("Reply with the word OK.") to the model of m;
 * *ms is how long it took. (ping.c) */
int lc_llm_ping(const lc_model_config *m, int64_t *ms, lc_err *err);

/* libcurl's global setup is not thread-safe: main calls lc_llm_global_init
 * once before starting any thread, and lc_llm_global_cleanup at exit. No
 * library code calls curl_global_init itself. */
int lc_llm_global_init(lc_err *err);
void lc_llm_global_cleanup(void);

/* Implemented in replay.c. */
int lc_llm_replay_new(const char *path, lc_llm **out, lc_err *err);
/* A resumed session replays on from where it stopped: skips the first n
 * recorded replies. LC_EINVAL when llm is not a replay. */
int lc_llm_replay_skip(lc_llm *llm, int n);

/* ---- Server-Sent Events parser (used by the providers and the bench) ---- */

typedef enum lc_sse_kind {
    LC_SSE_EVENT,      /* a dispatched event: name (or "message") and data */
    LC_SSE_ERROR_LINE, /* a non-standard "error: ..." line (llama.cpp); data is its value */
} lc_sse_kind;

/* Borrowed, valid during the callback. data is NUL-terminated; multi-line
 * data is joined with '\n' as the SSE spec says. */
typedef struct lc_sse_event {
    lc_sse_kind kind;
    const char *name;
    const char *data;
    size_t len;
} lc_sse_event;

/* Return LC_OK to go on; a negative status stops the parse and is returned
 * by lc_sse_feed / lc_sse_finish. */
typedef int (*lc_sse_fn)(void *ctx, const lc_sse_event *ev);

typedef struct lc_sse lc_sse;
/* Incremental: bytes may be cut anywhere, lines end in LF, CRLF or CR, ':'
 * lines are comments. A line longer than max_line bytes fails the feed with
 * LC_EPROTO (hostile servers). lc_sse_free frees. */
lc_sse *lc_sse_new(size_t max_line, lc_sse_fn fn, void *ctx);
int lc_sse_feed(lc_sse *p, const char *data, size_t len);
/* End of input: dispatches an event whose blank line never came (lenient
 * with servers that close right after the last data line) and drops an
 * unterminated last line (a cut one, which must not reach a JSON parser). */
int lc_sse_finish(lc_sse *p);
void lc_sse_free(lc_sse *p);

/* ---- Provider internals (llm_*.c and their tests) ---------------------- */

/* Where and how to talk to one model; strings are copied by the providers. */
typedef struct lc_llm_endpoint {
    const char *base_url; /* without the trailing endpoint path */
    const char *model;    /* the name the server knows */
    const char *key;      /* NULL: no key */
    const char *key_env;  /* where the key came from, for messages */
    double temperature;   /* < 0: the server's default */
    int max_tokens;       /* <= 0: the server's default (Anthropic: 4096) */
    int timeout_s;        /* whole request; <= 0: none */
    int stall_s;          /* no byte for this long: LC_ETIMEOUT; <= 0: 120 */
    int max_retries;      /* < 0: 0 */
    int backoff_ms;       /* first retry delay; <= 0: 500 */
} lc_llm_endpoint;

/* A reply being streamed in, shared by the providers: text and reasoning
 * go to the stream callbacks as they come, tool calls are assembled by slot,
 * and the whole answer is bounded (LC_LLM_REPLY_MAX). */
#define LC_LLM_MAX_CALLS 64
#define LC_LLM_REPLY_MAX ((size_t)16 << 20)
typedef struct lc_llm_acc_call {
    lc_buf id, name, args;
} lc_llm_acc_call;
typedef struct lc_llm_acc {
    const lc_llm_stream *stream; /* may be NULL */
    lc_buf content, reasoning;
    lc_llm_acc_call calls[LC_LLM_MAX_CALLS];
    size_t ncalls;
    char *finish_reason;
    int64_t prompt_tokens, completion_tokens;
    size_t total;
} lc_llm_acc;

int lc_llm_acc_text(lc_llm_acc *a, const char *s, size_t len, lc_err *err);
int lc_llm_acc_reasoning(lc_llm_acc *a, const char *s, size_t len, lc_err *err);
/* The call in slot (growing ncalls to reach it); NULL past LC_LLM_MAX_CALLS. */
lc_llm_acc_call *lc_llm_acc_slot(lc_llm_acc *a, size_t slot);
/* Appends to a call's field, counted against the reply bound. */
int lc_llm_acc_add(lc_llm_acc *a, lc_buf *field, const char *s, size_t len, lc_err *err);
void lc_llm_acc_set_finish(lc_llm_acc *a, const char *reason);
/* Moves the answer into reply (empty arguments become "{}", missing ids
 * "call_N"); LC_EPROTO for a call without a name. */
int lc_llm_acc_take(lc_llm_acc *a, lc_llm_reply *reply, lc_err *err);
void lc_llm_acc_free(lc_llm_acc *a);

/* One chat call as a provider's parser sees it: the reply being assembled,
 * where errors go, and the provider's own per-call state. */
typedef struct lc_llm_parse {
    lc_llm_acc acc;
    lc_err *err;
    const lc_llm_endpoint *ep; /* for lc_llm_http_error */
    void *state;               /* parse_size bytes, zeroed at each call */
} lc_llm_parse;

/* A wire protocol, all a provider gives the one chat driver (llm_chat.c),
 * which does the request, retries, streaming, accumulation and the check
 * that the answer is complete. A new provider is one llm_<name>.c defining
 * one of these, and a row in llm.c's table of model names. */
typedef struct lc_llm_provider {
    const char *what;   /* "an Anthropic model": for messages */
    size_t conf_size;   /* what it learns between calls; zeroed once */
    size_t parse_size;  /* lc_llm_parse.state */
    /* The request URL from the base URL (trailing slashes dropped). */
    char *(*url)(const char *base_url);
    /* Headers besides Content-Type (the key's header among them). */
    void (*headers)(const lc_llm_endpoint *ep, lc_strv *headers);
    /* The JSON body, or NULL with err set. */
    char *(*body)(const lc_llm_endpoint *ep, const void *conf, const lc_llm_request *req,
                  lc_err *err);
    /* One event of the stream into p->acc; a negative status stops it. */
    int (*event)(lc_llm_parse *p, const lc_sse_event *ev);
    /* A whole JSON answer (a server that ignored stream=true). */
    int (*whole)(lc_llm_parse *p, const char *json, size_t len);
    /* May be NULL. A 400 whose body names an optional parameter: conf is
     * changed so the next body leaves it out (true: ask once more). */
    bool (*adapt)(void *conf, const lc_llm_endpoint *ep, long status, const char *body);
} lc_llm_provider;

extern const lc_llm_provider lc_llm_provider_openai;
extern const lc_llm_provider lc_llm_provider_anthropic;

/* An lc_llm speaking provider p to ep (strings are copied). */
int lc_llm_chat_new(const lc_llm_provider *p, const lc_llm_endpoint *ep, lc_llm **out,
                    lc_err *err);
int lc_llm_openai_new(const lc_llm_endpoint *ep, lc_llm **out, lc_err *err);
int lc_llm_anthropic_new(const lc_llm_endpoint *ep, lc_llm **out, lc_err *err);

#include <pthread.h> /* for the token's lock */

/* Cancellation that reaches a blocked transfer at once: firing it sets the
 * flag the progress callback checks and shuts down the sockets the transfer
 * opened, so libcurl wakes up instead of waiting for its next idle tick.
 * Lives as long as the provider (and its cached handle). */
typedef struct lc_llm_cancel_token {
    _Atomic int flag;
    pthread_mutex_t lock;
    int fds[4]; /* open sockets of the transfer, -1: free */
} lc_llm_cancel_token;

void lc_llm_cancel_init(lc_llm_cancel_token *t);
void lc_llm_cancel_fire(lc_llm_cancel_token *t);  /* any thread */
void lc_llm_cancel_reset(lc_llm_cancel_token *t); /* at the start of a call */
void lc_llm_cancel_destroy(lc_llm_cancel_token *t);

/* One streaming POST with retries. The SSE events of a 2xx body go to
 * on_event; a non-2xx answer is retried when it may pass (408, 409, 429,
 * 5xx, network) until max_retries, then turned into a typed error. Nothing
 * is retried once a 2xx body has started. */
typedef struct lc_llm_http {
    const char *url;
    const lc_strv *headers; /* "Name: value" */
    const char *body;
    const lc_llm_endpoint *ep;
    lc_llm_cancel_token *cancel; /* may be NULL */
    const lc_llm_stream *stream;  /* for retry notices; may be NULL */
    lc_sse_fn on_event;
    void *ctx;
    void **handle;    /* the provider's cached libcurl handle (keeps the
                       * connection alive between calls); NULL: none */
    /* out */
    long status;      /* last HTTP status, 0 if none */
    bool started;     /* a 2xx body began: do not retry the call */
    int attempts;
    lc_buf err_body;  /* the last non-2xx body (bounded); caller frees */
    bool json;        /* the 2xx answer was plain JSON, not a stream (a server
                       * that ignores stream=true): it is in json_body */
    lc_buf json_body; /* caller frees */
} lc_llm_http;
/* Frees a handle cached through lc_llm_http.handle. */
void lc_llm_http_handle_free(void **handle);

/* What a provider keeps between calls: its endpoint with owned copies of
 * the strings (ep points at them), the request URL (the provider sets it),
 * the cached libcurl handle and the cancel token. */
typedef struct lc_llm_conn {
    lc_llm_endpoint ep;
    char *url;
    char *base_url, *model, *key, *key_env;
    void *curl;
    lc_llm_cancel_token cancel;
} lc_llm_conn;

/* Copies ep (trailing slashes of the base URL dropped); url stays NULL. */
void lc_llm_conn_init(lc_llm_conn *c, const lc_llm_endpoint *ep);
/* Closes the connection, wipes the key, frees the strings. */
void lc_llm_conn_free(lc_llm_conn *c);

/* LC_OK when a 2xx body was read to its end (the caller decides whether the
 * stream was complete). */
int lc_llm_http_stream(lc_llm_http *h, lc_err *err);
/* A typed error from an HTTP status (0: an error inside a stream) and the
 * server's error body or JSON: wrong key, quota, unknown model, context too
 * long, server down. The server's text is sanitized, bounded and scrubbed of
 * the key. Returns the code. */
int lc_llm_http_error(long status, const char *body, size_t len, const lc_llm_endpoint *ep,
                      lc_err *err);
/* The same, and whether the failure may pass on a retry (408, 409, 429
 * unless the quota is used up, 5xx). */
int lc_llm_http_classify(long status, const char *body, size_t len, const lc_llm_endpoint *ep,
                         lc_err *err, bool *retry);
/* Replaces every copy of key in the string s (of capacity cap). */
void lc_llm_scrub_key(char *s, size_t cap, const char *key);

/* ======================================================================== */
/* The observer: what the agent tells its front end, and the one question. */
/* ======================================================================== */

typedef enum lc_action_kind { LC_ACTION_CODE, LC_ACTION_TOOL } lc_action_kind;

/* A proposed step. Borrowed strings, valid during the callback. */
typedef struct lc_action {
    lc_action_kind kind;
    int step;
    /* Set by the agent: the ask rule (approval.rules) that matched the step.
     * The front end asks about it even while auto-approving (--yes); one
     * that cannot ask declines it and says why (by "rule"). */
    const char *ask_rule;
    const char *code;      /* LC_ACTION_CODE: the Python to run */
    const char *tool_name; /* LC_ACTION_TOOL */
    const char *tool_args; /* LC_ACTION_TOOL: JSON text */
    const char *thought;   /* the model's text before the code, may be NULL */
    /* A call of an MCP server's tool: it runs on the user's machine, not in
     * the sandbox (code is NULL, tool_args its arguments). NULL for a step. */
    const char *mcp_server;
    const char *mcp_tool;  /* the server's own name of the tool (untrusted bytes) */
    const char *mcp_function; /* its function in the sandbox (notes_add): rules match "tool NAME" on it */
} lc_action;

typedef enum lc_decision_kind {
    LC_DECIDE_RUN,
    LC_DECIDE_RUN_EDITED,
    LC_DECIDE_DECLINE,
    LC_DECIDE_STOP,
} lc_decision_kind;

typedef struct lc_decision {
    lc_decision_kind kind;
    char *text;     /* edited code or the decline reason; malloc'd, the agent frees it */
    bool automatic; /* nobody was asked (--yes, auto-approve): the log says so */
    /* What made the decision, set by the agent: "user", "mode" (approve all,
     * --yes) or "check" (reads mode: the static check found only reads); why
     * says it in words. Logged, shown, and in --report. */
    const char *by;
    char why[240];
    /* Set by the front end with a run: "allow steps like this". The agent
     * adds the narrowest allow rule that covers the step for this session,
     * says which, and records the decision by "grant" from then on. */
    bool grant;
    /* With grant: also append the rule to the user's config file (never a
     * project file), so later sessions have it; said and logged either way. */
    bool save_grant;
} lc_decision;

/* What one model request is for; the log and replay keep them apart. */
typedef enum lc_req_purpose {
    LC_REQ_STEP,
    LC_REQ_PLAN,
    LC_REQ_FINAL,
    LC_REQ_SUBQUERY, /* a tool's own question (llm_query...): not the conversation */
    LC_REQ_UNKNOWN,  /* read back: the record names none */
    LC_REQ_OTHER,    /* read back: one this litecode does not know */
} lc_req_purpose;
const char *lc_req_purpose_name(lc_req_purpose p);

/* The one vocabulary of what the agent does (and what the log records
 * around it). Each row: the event, its name (which is also its kind in the
 * session log), where it goes, and the lc_event fields it carries -> the
 * JSON fields of its log record. LOG: the session log writes it (an
 * observer of this stream, log_event.c), SYNC: and syncs it to disk at
 * once; SHOW: front ends draw it. Events without LOG are the stream's
 * live detail (tokens, output), which the records hold whole. Rows without
 * SHOW are written by the log itself or by a front end, or are for the
 * record only (front ends ignore them). docs/session-log.md says the same
 * per kind for readers of the file. */
#define LC_EV_LOG 1u
#define LC_EV_SYNC 2u
#define LC_EV_SHOW 4u
#define LC_EVENT_KINDS(X)                                                                                   \
    X(HEADER, "header", LC_EV_LOG | LC_EV_SYNC)        /* lc_log_header: the config; record only */     \
    X(APPROVAL, "approval", LC_EV_LOG)                  /* detail -> mode (ask|auto|reads), changed ->   \
                                                           changed, text -> why (a fall back to ask) */  \
    X(TASK, "task", LC_EV_LOG | LC_EV_SHOW)             /* text -> text */                               \
    X(HELPERS, "helpers", LC_EV_LOG)                    /* text -> code */                               \
    X(STEP_BEGIN, "step", LC_EV_LOG | LC_EV_SHOW)       /* step, max_steps */                            \
    X(REQUEST, "request", LC_EV_LOG)                    /* purpose, messages[nmessages] -> messages,     \
                                                           messages[first_new..] -> new, ntools -> tools */ \
    X(TOKEN, "token", LC_EV_SHOW)                       /* text/len: a streamed piece of the reply */    \
    X(REASONING, "reasoning", LC_EV_SHOW)               /* text/len: a piece of reasoning */             \
    X(MODEL_REPLY, "model_reply", LC_EV_LOG | LC_EV_SHOW) /* text: content; purpose, reply -> content,   \
                                                           reasoning, calls, finish_reason, *_tokens */  \
    X(MODEL_ERROR, "model_error", LC_EV_LOG)            /* purpose, code -> status, text -> message */   \
    X(PLAN, "plan", LC_EV_LOG | LC_EV_SHOW)             /* text -> text */                               \
    X(ACTION, "action", LC_EV_LOG | LC_EV_SHOW)         /* action -> type, code, tool, args, thought,    \
                                                           mcp_server, mcp_tool (an MCP call) */         \
    X(DECISION, "decision", LC_EV_LOG | LC_EV_SHOW)     /* decision -> decision, reason, code, auto,     \
                                                           by, why; proposed -> diff (edited);           \
                                                           check -> check (the static check's answer) */ \
    X(GRANT, "grant", LC_EV_LOG)                        /* text -> rule: allow steps like this */        \
    X(GRANT_REVOKED, "grant_revoked", LC_EV_LOG)        /* text -> grants */                             \
    X(OUTPUT, "output", LC_EV_SHOW)                     /* stream, text/len */                           \
    X(TOOL_CALL, "tool_call", LC_EV_LOG | LC_EV_SHOW)   /* text -> name, detail -> args, code -> ok,     \
                                                           answer -> result or error, mcp_server,        \
                                                           mcp_tool (an MCP call) */                     \
    X(MCP_TOOLS, "mcp_tools", LC_EV_LOG)                /* tools -> tools (server, tool, function) */    \
    X(STEP_RESULT, "step_result", LC_EV_SHOW)           /* result: the step ran (the record is the       \
                                                           OBSERVATION that follows) */                  \
    X(OBSERVATION, "observation", LC_EV_LOG | LC_EV_SHOW) /* text: what the model is told; source       \
                                                           picks the record (LC_OBSERVATION_SOURCES) */  \
    X(CALL_OBSERVATION, "call_observation", LC_EV_LOG)  /* id -> call_id, detail -> tool,                \
                                                           text -> observation */                        \
    X(CHANGED_FILES, "changed_files", LC_EV_LOG | LC_EV_SHOW) /* text -> summary */                      \
    X(REVERTED, "reverted", LC_EV_LOG)                  /* text -> summary */                            \
    X(USER_MESSAGE, "user_message", LC_EV_LOG | LC_EV_SHOW) /* text -> text */                           \
    X(USAGE, "usage", LC_EV_SHOW)                       /* prompt_tokens, completion_tokens */           \
    X(INFO, "info", LC_EV_LOG | LC_EV_SHOW)             /* text -> text */                               \
    X(ERROR, "error", LC_EV_SHOW)                       /* text, code (the run's end records it) */      \
    X(FINAL_ANSWER, "final_answer", LC_EV_LOG | LC_EV_SYNC | LC_EV_SHOW) /* text -> answer,             \
                                                           forced -> forced */                           \
    X(RESUMED, "resumed", LC_EV_LOG)                    /* text -> from, nmessages -> messages */        \
    X(DONE, "done", LC_EV_LOG | LC_EV_SYNC | LC_EV_SHOW) /* text -> outcome, detail -> message,          \
                                                           step -> steps */                              \
    X(HUNK_APPLIED, "hunk_applied", LC_EV_LOG | LC_EV_SYNC) /* lc_log_hunk: path, hunk, detail */        \
    X(HUNK_UNDONE, "hunk_undone", LC_EV_LOG | LC_EV_SYNC)   /* lc_log_hunk: path, hunk, detail */        \
    X(HUNK_NOT_APPLIED, "hunk_not_applied", LC_EV_LOG | LC_EV_SYNC) /* lc_log_hunk_not_applied: path,    \
                                                           hunk, detail, answer -> reason */             \
    X(LOG_REPAIRED, "log_repaired", LC_EV_LOG | LC_EV_SYNC) /* the log: offset, dropped_bytes, fragment */ \
    X(LOG_FAILED, "log_failed", LC_EV_LOG)              /* the log: text -> message */

typedef enum lc_event_kind {
#define LC_EV_ENUM(name, str, flags) LC_EV_##name,
    LC_EVENT_KINDS(LC_EV_ENUM)
#undef LC_EV_ENUM
        LC_EV_COUNT /* also: a kind this litecode does not know (a reader's answer) */
} lc_event_kind;

/* The event's name, which is its kind in the log ("unknown" past the table). */
const char *lc_event_kind_name(lc_event_kind k);
/* The event a log kind names; LC_EV_COUNT for one not in the table (NULL too).
 * The only place a kind string is read. */
lc_event_kind lc_event_kind_parse(const char *name);
/* The row's LC_EV_LOG / LC_EV_SYNC / LC_EV_SHOW bits; 0 past the table. */
unsigned lc_event_kind_flags(lc_event_kind k);

/* What an OBSERVATION tells the model about, and the kind of its record:
 * the model is told one thing per step, but the log keeps what it was
 * about (a result holds the whole step). NULL: not recorded on its own (a
 * tool call's answer, which CALL_OBSERVATION records). */
#define LC_OBSERVATION_SOURCES(X)                                                       \
    X(DECLINED, "observation") /* the user declined the step */                         \
    X(RESULT, "result")        /* result -> status, output, dropped_bytes, value, error,  \
                                  notice, state_lost, duration_s; text -> observation */ \
    X(SYNTAX, "syntax_error")  /* proposed -> code, result -> error, line */            \
    X(NO_CODE, "no_code")      /* the reply had no code or no tool call */              \
    X(CALL, NULL)              /* a tool call's answer in the tool-calling agent */

typedef enum lc_obs_source {
#define LC_OBS_ENUM(name, kind) LC_OBS_##name,
    LC_OBSERVATION_SOURCES(LC_OBS_ENUM)
#undef LC_OBS_ENUM
        LC_OBS_COUNT
} lc_obs_source;

/* One event. Borrowed pointers, valid during the callback only. Which
 * fields an event fills is said in its row of LC_EVENT_KINDS. */
typedef struct lc_event {
    lc_event_kind kind;
    int step;
    int max_steps;
    const char *text;
    size_t len;               /* length of text (may hold NULs for OUTPUT) */
    const char *detail;
    lc_stream stream;
    int code;                 /* ERROR, MODEL_ERROR: an lc_status; TOOL_CALL: LC_OK when it answered */
    const lc_action *action;
    const lc_decision *decision;
    const lc_exec_result *result;
    int64_t prompt_tokens;
    int64_t completion_tokens;
    /* What the record keeps besides what front ends draw. */
    lc_req_purpose purpose;   /* REQUEST, MODEL_REPLY, MODEL_ERROR */
    lc_obs_source source;     /* OBSERVATION */
    const lc_llm_reply *reply; /* MODEL_REPLY */
    const lc_msg *messages;   /* REQUEST: all sent; RESUMED: NULL */
    size_t nmessages;         /* REQUEST, RESUMED */
    size_t first_new;         /* REQUEST: messages[first_new..] were not logged before */
    size_t ntools;            /* REQUEST */
    const char *proposed;     /* DECISION (edited), OBSERVATION (syntax): the proposed code */
    const char *answer;       /* TOOL_CALL: the tool's result or error */
    const char *id;           /* CALL_OBSERVATION: the call's id */
    int hunk;                 /* HUNK_*: the hunk's number (-1: a whole file) */
    const cJSON *check;       /* DECISION: the static check's answer (NULL: none asked) */
    const cJSON *tools;       /* MCP_TOOLS: [{server, tool, function}] */
    const char *mcp_server;   /* TOOL_CALL of an MCP tool: its server and its own name */
    const char *mcp_tool;
    bool automatic;           /* APPROVAL: steps run without asking */
    bool changed;             /* APPROVAL: the mode changed during the run */
    bool forced;              /* FINAL_ANSWER: a best effort at the step limit */
} lc_event;

/* Whether front ends draw ev: its row says SHOW, and it is not the reply to
 * a tool's own sub-query (the tool's result, not the agent's reply). */
bool lc_event_shown(const lc_event *ev);

typedef struct lc_observer {
    void *ctx;
    /* Every event of the stream, on the agent's thread; must not block for
     * long. A receiver takes the rows it is for: the session log's receiver
     * (lc_log_observer) those whose row says LOG, a front end those
     * lc_event_shown says. */
    void (*event)(void *ctx, const lc_event *ev);
    /* Blocks until the user decides. */
    lc_decision (*approve)(void *ctx, const lc_action *action);
    /* ask_user tool: blocks; returns a malloc'd answer or NULL if the user declined. */
    char *(*ask_user)(void *ctx, const char *question);
    /* Whether steps are approved without asking right now (--yes, the TUI's
     * approve-all); NULL: never. The log records what was in force. */
    bool (*auto_approving)(void *ctx);
} lc_observer;

/* ======================================================================== */
/* Code extraction (extract.c)                                              */
/* ======================================================================== */

/* What a model reply holds for the code agent. Owned strings, freed by
 * lc_extracted_free. */
typedef struct lc_extracted {
    char *code;    /* every ```python / ```py / <code> block joined in order; NULL when none */
    char *thought; /* the text before the first block, trimmed; NULL when empty */
    int nblocks;
    bool unclosed; /* the last block had no closing fence (accepted) */
} lc_extracted;

void lc_extract_code(const char *reply, lc_extracted *out);
/* How the extractor reads one line of a reply (without its newline): outside
 * code, LC_FENCE_OPEN for a ```python / ```py / ```python3 fence (any case,
 * indented or not); inside, LC_FENCE_CLOSE for a bare ``` line. A front end
 * that shows a reply as it streams hides the same blocks with it. */
typedef enum lc_fence_line { LC_FENCE_NONE, LC_FENCE_OPEN, LC_FENCE_CLOSE } lc_fence_line;
lc_fence_line lc_extract_fence_line(const char *line, size_t len, bool in_code);
/* The other form the extractor reads, <code>...</code> anywhere in a line
 * outside a ``` block: where the next <code> (outside code) or </code>
 * (inside) starts in s, or NULL; *taglen is its length. */
const char *lc_extract_tag(const char *s, size_t len, bool in_code, size_t *taglen);
void lc_extracted_free(lc_extracted *x);
/* True when a reply without code reads like a final answer (so the model is
 * told how to call final_answer rather than only the expected format). */
bool lc_extract_looks_like_answer(const char *reply);
/* JSON-in-text tool calls, for servers without native function calling:
 * objects {"name": S, "arguments": O or "parameters": O} anywhere in the
 * reply (bare, in a ```json fence, in <tool_call> tags; a list of them is
 * fine), at most 16. Returns how many were found; *calls is malloc'd (free
 * with lc_tool_calls_free), NULL when none. Ids are "call_text_N". */
size_t lc_extract_tool_calls(const char *reply, lc_tool_call **calls);
void lc_tool_calls_free(lc_tool_call *calls, size_t n);

/* A unified diff of two texts, line based ("--- a\n+++ b\n@@ ..."), for
 * telling the model how the user edited its code. Caller frees. (editdiff.c) */
char *lc_text_unified_diff(const char *a, const char *b, const char *label_a, const char *label_b);

/* ======================================================================== */
/* Tools and profiles (tools.c, profile.c)                                  */
/* ======================================================================== */

typedef enum lc_tool_where {
    LC_TOOL_CONTAINER, /* a Python helper injected into the kernel, works on /workspace */
    LC_TOOL_HOST,      /* a stub in the kernel that sends a tool_call to the host */
} lc_tool_where;

typedef enum lc_param_type { LC_PARAM_STRING, LC_PARAM_INTEGER, LC_PARAM_BOOLEAN } lc_param_type;

typedef struct lc_tool_param {
    const char *name;
    lc_param_type type;
    const char *description;
    const char *dflt; /* Python literal of the default; NULL: required */
} lc_tool_param;

#define LC_TOOL_MAX_PARAMS 5

/* A built-in tool. Static data. */
typedef struct lc_tool_def {
    const char *name;
    const char *description;
    lc_tool_where where;
    const char *returns; /* Python type of the result: "str", "list", "dict" */
    lc_tool_param params[LC_TOOL_MAX_PARAMS];
    size_t nparams;
} lc_tool_def;

/* The built-in tool named name, or NULL. */
const lc_tool_def *lc_tool_find(const char *name);
/* All built-in tools; *n is set to their count. */
const lc_tool_def *lc_tool_builtins(size_t *n);
/* The embedded Python of a container tool (src/agent/tools/<name>.py, its
 * whole def) or of "_prelude", the helpers they share; NULL when none. */
const char *lc_tool_python_source(const char *name);

/* The tools one agent offers: built-ins chosen by name, plus user tool files
 * (Python source read from the host). Owned by whoever calls
 * lc_toolset_new; lc_toolset_free. */
typedef struct lc_toolset lc_toolset;

/* names: enabled built-ins (NULL or empty: the search tools); files: paths
 * of user tool files (may be NULL). Unknown names and unreadable files are
 * LC_EINVAL / LC_EIO with the name in the message. */
int lc_toolset_new(const lc_strv *names, const lc_strv *files, lc_toolset **out, lc_err *err);
void lc_toolset_free(lc_toolset *ts);
size_t lc_toolset_count(const lc_toolset *ts);
const lc_tool_def *lc_toolset_get(const lc_toolset *ts, size_t i);
bool lc_toolset_has(const lc_toolset *ts, const char *name);
/* Adds tools that are not built in (the MCP servers' tools): python is
 * appended to the helper code, signatures to the prompt's list, and the
 * schemas (copied) are offered for native calling, final_answer still last. */
void lc_toolset_add_extra(lc_toolset *ts, const char *python, const char *signatures,
                          const lc_tool_schema *schemas, size_t n);
/* Python injected into the kernel before the first step: the container
 * helpers, the host stubs over _lc_host_tool and the user tool files. */
const char *lc_toolset_python(const lc_toolset *ts);
/* The tools as Python signatures with docstrings, for the system prompt. */
const char *lc_toolset_signatures(const lc_toolset *ts);
/* JSON-schema tools for native function calling: python_executor, the
 * toolset's tools, final_answer. Valid while ts lives. */
const lc_tool_schema *lc_toolset_schemas(const lc_toolset *ts, size_t *n);
/* Renders a tool call as one line of Python, `name(key=literal, ...)`, from
 * the model's JSON arguments. LC_EINVAL (message for the model) when the
 * arguments are not a JSON object of identifier keys. Caller frees *code. */
int lc_tool_call_python(const char *name, const char *args_json, char **code, lc_err *err);

/* An agent profile from agents/NAME.yaml. Owned strings; lc_profile_free. */
typedef struct lc_profile {
    char *name;
    char *description;
    char *instructions; /* appended to the system prompt */
    char *template_name; /* container template, NULL: keep */
    bool workspace_ro;
    int max_steps;       /* 0: keep the config's */
    lc_strv tools;
} lc_profile;

int lc_profile_load(const char *path, lc_profile *out, lc_err *err);
/* Looks for NAME.yaml in each directory of dirs in order (e.g. the user's
 * config dir, then the installed agents/ folder). NAME must be a plain name. */
int lc_profile_find(const lc_strv *dirs, const char *name, lc_profile *out, lc_err *err);
/* Writes the profile into cfg: agent profile, instructions, tools, max_steps,
 * the container template and a read-only workspace. */
int lc_profile_apply(const lc_profile *p, lc_config *cfg, lc_err *err);
void lc_profile_free(lc_profile *p);
/* The profile cfg->agent.profile names (none: nothing to do), looked up in
 * the user's config directory (agents/), then in data_dir/agents, applied
 * to cfg. */
int lc_profile_use(lc_config *cfg, const char *data_dir, lc_err *err);

/* ======================================================================== */
/* MCP servers (mcp.c): the user's stdio servers and their tools            */
/* ======================================================================== */

typedef struct lc_mcp lc_mcp;

/* One tool of a server. Valid while its lc_mcp lives, until the next
 * lc_mcp_start_all. */
typedef struct lc_mcp_tool {
    const char *server;      /* the config's name of the server */
    const char *name;        /* the server's name of the tool (untrusted bytes) */
    const char *pyname;      /* SERVER_TOOL with non-identifier characters as '_':
                              * the function in the sandbox, the tool for the model */
    const char *description; /* sanitized, at most 2000 bytes */
    const char *schema_json; /* its inputSchema, a JSON object */
} lc_mcp_tool;

/* cfg is borrowed and must outlive the result. Nothing starts yet: a server
 * starts on first use (lc_mcp_start_all, lc_mcp_call). lc_mcp_free stops
 * them all (stdin closed, then SIGTERM and SIGKILL to its process group). */
lc_mcp *lc_mcp_new(const lc_mcp_config *cfg);
void lc_mcp_free(lc_mcp *m); /* NULL is fine */
size_t lc_mcp_server_count(const lc_mcp *m);
/* Starts the servers whose tools are not listed yet: initialize,
 * notifications/initialized, tools/list. A server that fails, and a tool
 * skipped (a bad schema, a name taken), is one line in problems; the rest go
 * on. Returns the number of tools now known. */
size_t lc_mcp_start_all(lc_mcp *m, lc_strv *problems);
size_t lc_mcp_tool_count(const lc_mcp *m);
const lc_mcp_tool *lc_mcp_tool_at(const lc_mcp *m, size_t i);
/* The tool whose pyname is name, or NULL. */
const lc_mcp_tool *lc_mcp_tool_find(const lc_mcp *m, const char *name);
/* "name version" from the server's initialize answer (sanitized), or NULL. */
const char *lc_mcp_server_info(const lc_mcp *m, const char *server);
/* tools/call with args_json (a JSON object). LC_OK: *text (malloc'd) is the
 * result's content as text, and *is_error whether the server marked it as
 * a failure. A JSON-RPC error is LC_ESERVER with the server's message. A
 * server that exits, hangs past its timeout (mcp.servers.NAME.timeout,
 * default 60 s), or sends what is not JSON-RPC gives LC_EIO, LC_ETIMEOUT or
 * LC_EPROTO: it is stopped, and the next call starts it again (a start may
 * take the configured timeout but at least 10 s, or 30 s when none is set).
 * t NULL: LC_ENOTFOUND. */
int lc_mcp_call(lc_mcp *m, const lc_mcp_tool *t, const char *args_json, char **text, bool *is_error,
                lc_err *err);
int lc_mcp_ping(lc_mcp *m, const char *server, lc_err *err);
/* Any thread: the request in progress ends with LC_ECANCEL (the server is
 * stopped; it starts again on the next use). */
void lc_mcp_cancel(lc_mcp *m);
/* --check: starts each server, lists its tools into out (lines "ok ...",
 * "FAIL ...", "warn ..."), stops it. The first failure's status, or LC_OK.
 * Without servers it writes nothing. */
int lc_mcp_check(const lc_mcp_config *cfg, lc_buf *out);

/* ======================================================================== */
/* Prompts (prompt.c)                                                       */
/* ======================================================================== */

/* The project's own instructions for agents: the first of AGENTS.md,
 * CLAUDE.md and GEMINI.md at the project root. Hostile text: it goes to the
 * model (as the project's notes, under litecode's rules) and nowhere else;
 * nothing in it is read as a setting. */
#define LC_PROJECT_INSTRUCTIONS_MAX (32 * 1024)
typedef struct lc_project_instructions {
    char *file;   /* "AGENTS.md"...; NULL: none of them exists */
    char *text;   /* valid UTF-8, no control characters but newline and
                   * tab, at most LC_PROJECT_INSTRUCTIONS_MAX bytes of the
                   * file; NULL: nothing to use (see notice) */
    uint64_t size; /* of the file */
    bool cut;     /* text is the start of a longer file */
    char *notice; /* for the user: which file was read, or why it was not;
                   * NULL when no file exists */
} lc_project_instructions;

/* Never fails: a file that cannot be used (a symbolic link, not a regular
 * file, unreadable) is said in notice. Free with
 * lc_project_instructions_free. */
void lc_project_instructions_read(const char *dir, lc_project_instructions *out);
void lc_project_instructions_free(lc_project_instructions *pi);

typedef struct lc_prompt_opts {
    lc_agent_type type;
    const lc_toolset *tools;
    const lc_strv *authorized_imports; /* NULL or empty: the default list is said */
    const char *instructions;          /* profile text, may be NULL */
    bool text_tool_calls;              /* tool-calling agent without native tools */
    const lc_project_instructions *project; /* may be NULL */
} lc_prompt_opts;

/* The system prompt. Caller frees. */
char *lc_prompt_system(const lc_prompt_opts *o);

/* ======================================================================== */
/* Session log (log.c, records: log_record.c): JSON Lines, append-only,    */
/* synced per step. One event a line: {"v":1,"ts":"...","kind":K,"step":N, */
/* ...}, K and the fields as LC_EVENT_KINDS says; docs/session-log.md      */
/* lists them for readers of the file. Thread-safe.                        */
/* ======================================================================== */

typedef struct lc_log lc_log;

/* Opens (appending) or creates path with mode 0600. The values of
 * $OPENAI_API_KEY and $ANTHROPIC_API_KEY are registered as secrets. A log
 * of a newer format is refused (LC_EINVAL). A last line cut by a crash or a
 * full disk is dropped first and a log_repaired event says so (see
 * lc_log_repaired), so the next line starts a line of its own. */
int lc_log_open(const char *path, lc_log **out, lc_err *err);
/* What lc_log_open repaired, for the user, or NULL. Valid while log lives. */
const char *lc_log_repaired(const lc_log *log);
/* Why writing the log failed (later writes are refused), or NULL. Valid
 * while log lives. */
const char *lc_log_failure(lc_log *log);
/* Once the log grows past 256 MiB (then every 128 MiB): a warning for the
 * user, malloc'd, given once; NULL otherwise. */
char *lc_log_take_warning(lc_log *log);
void lc_log_close(lc_log *log); /* NULL is fine */
const char *lc_log_path(const lc_log *log);
/* Any occurrence of secret (8 bytes or more) in a later line is replaced by
 * "[redacted]": API keys never reach the log even if a model echoes them. */
void lc_log_add_secret(lc_log *log, const char *secret);
/* Writes one event; fields (may be NULL) is taken over and freed. kind, ts,
 * v and step are added. Safe to call with log == NULL (does nothing). The
 * line reaches the kernel at once; kinds whose row says LC_EV_SYNC are
 * also synced to disk at once. A line is written whole or not at
 * all: space for it is allocated first, and a failed write is cut back.
 * After a failure (LC_EIO: a full disk...) a log_failed event goes into
 * space kept in reserve, and every later write fails the same way except a
 * done event, so the log ends saying why. */
int lc_log_write(lc_log *log, const char *kind, int step, cJSON *fields, lc_err *err);
/* fsync: the agent calls it once per step. */
int lc_log_sync(lc_log *log, lc_err *err);
/* The header: version, the config without keys, the image, the limits and
 * the directory. Written once at the start of a session. Also registers the
 * value of cfg->model.api_key_env as a secret. */
int lc_log_header(lc_log *log, const lc_config *cfg, const char *dir, const char *executor_desc,
                  lc_err *err);
/* Writes the record of an event whose row in LC_EVENT_KINDS says LOG
 * (others: LC_OK, nothing written), and syncs it at once when the row says
 * SYNC. */
int lc_log_event(lc_log *log, const lc_event *ev, lc_err *err);
/* The log as a receiver of the agent's events (lc_log_event for each; only
 * .event is set). A record it could not write is kept as the log's miss. */
lc_observer lc_log_observer(lc_log *log);
/* Why the log's receiver could not record an event (the first time: the
 * write or its sync failed), or NULL. Valid while log lives. The agent
 * stops on it: nothing may run without its record. */
const char *lc_log_missed(lc_log *log);

/* The fan-out of the agent's events to their receivers, in order: the
 * session log first, so that every event whose row says LOG is written
 * (and, SYNC, on disk) before any front end shows it, then the front end,
 * which alone answers the questions (approve, ask_user, auto_approving).
 * session.c's list; tests make the same. */
#define LC_FANOUT_MAX 4
typedef struct lc_fanout {
    lc_observer to[LC_FANOUT_MAX]; /* the receivers, in order */
    size_t n;
    size_t front;                  /* the entry that is the front end (LC_FANOUT_MAX: none) */
} lc_fanout;
/* Fills f with log's receiver (log may be NULL: none) and then front (may
 * be NULL: none; it is given only the events lc_event_shown says), and
 * returns the observer that feeds them, for lc_agent_new. f is borrowed by
 * it and must outlive the agent. */
lc_observer lc_fanout_init(lc_fanout *f, lc_log *log, const lc_observer *front);
/* For the front end: hunks applied or undone. */
int lc_log_hunk(lc_log *log, bool applied, const char *path, int hunk, const char *detail,
                lc_err *err);
/* A hunk the user chose that did not reach the project (conflict, refused,
 * failed), with the reason: the audit shows the attempt, never as applied. */
int lc_log_hunk_not_applied(lc_log *log, const char *path, int hunk, const char *detail, const char *reason,
                            lc_err *err);

/* What a scan of a log found besides its events. */
typedef struct lc_log_info {
    unsigned long lines;   /* lines read */
    unsigned long events;
    uint64_t bytes;
    bool header;           /* the first event is a header */
    int format;            /* the header's format, 0: none */
    bool cut;              /* the last line was cut while it was written */
    unsigned long cut_line;
    uint64_t cut_bytes;
    unsigned long joined;  /* lines where an older litecode had appended an
                            * event to a cut line: the fragment was skipped */
    unsigned long bad;     /* with LC_LOG_SKIP_BAD: lines that are not events */
    unsigned long bad_line; /* the first of them */
} lc_log_info;

/* lc_log_scan flags. SKIP_BAD: a line that is not an event is counted in
 * info and skipped instead of failing the scan (the report shows what it
 * can; resume and replay must not guess). */
#define LC_LOG_SKIP_BAD 1u

/* ev is the scan's (freed after the call); return LC_OK to go on, anything
 * else stops the scan and is returned. line: its line number. */
typedef int (*lc_log_event_fn)(void *ctx, const cJSON *ev, unsigned long line);

/* Streams a log, one event at a time, in order: any size, lines up to
 * 64 MiB. A cut last line (a crash while writing) ends the scan and is
 * told in info (may be NULL); any other line that is not an event is
 * LC_EINVAL with its line number (unless flags has LC_LOG_SKIP_BAD); an
 * event of a newer format is LC_EINVAL. */
int lc_log_scan(const char *path, unsigned flags, lc_log_event_fn fn, void *ctx, lc_log_info *info,
                lc_err *err);
/* The one reader of logs as events: lc_log_scan's walk, each record given
 * back as the event it records (the kind parsed from LC_EVENT_KINDS and
 * LC_OBSERVATION_SOURCES, the fields typed as the rows say). ev and what it
 * points at are valid during the call; record is the raw line for fields an
 * event does not carry (the header's config). A kind this litecode does
 * not know comes as LC_EV_COUNT. Read back, a REQUEST's messages are the
 * new ones only. */
typedef int (*lc_log_events_fn)(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line);
int lc_log_events(const char *path, unsigned flags, lc_log_events_fn fn, void *ctx, lc_log_info *info,
                  lc_err *err);
/* The same into a cJSON array of the events (for small logs and tests).
 * Caller frees with cJSON_Delete. */
int lc_log_read(const char *path, cJSON **events, lc_err *err);

/* A Markdown audit report of a session log. (report.c) */
int lc_report_render(const char *log_path, lc_buf *out, lc_err *err);

/* ======================================================================== */
/* The agent (agent_run.c and the agent_*.c it uses)                       */
/* ======================================================================== */

/* What the front end lets the agent see of the workspace. Both return a
 * malloc'd text or NULL when there is nothing to say. */
typedef struct lc_workspace_hooks {
    void *ctx;
    char *(*changes_summary)(void *ctx);     /* files changed in the shadow so far */
    char *(*reverted_since_last)(void *ctx); /* what the user undid since last asked */
    /* Content ids of the changes as of the last changes_summary call, one
     * "PATH<TAB>ID" line per changed file (NULL: none): the same text means
     * the same bytes, which the summary's file and line counts cannot tell.
     * Trust but verify compares them around a step that ran unasked. May be
     * NULL (then only the summary is compared). */
    char *(*changes_ids)(void *ctx);
} lc_workspace_hooks;

typedef enum lc_agent_outcome {
    LC_AGENT_ANSWERED = 0, /* final_answer was called */
    LC_AGENT_FAILED,       /* an error ended the run (the message says which) */
    LC_AGENT_STOPPED,      /* the user stopped it */
    LC_AGENT_MAX_STEPS,    /* the step limit; the answer is a best effort */
} lc_agent_outcome;

/* The process exit code (LC_EXIT_*, config.h) of a run that returned rc
 * with outcome: the one mapping every front end uses. (outcome.c) */
int lc_agent_exit_code(int rc, lc_agent_outcome outcome);

typedef struct lc_agent lc_agent;

/* Borrowed, must outlive the agent: cfg (agent, container.authorized_imports,
 * container.tool_files, container.timeout_s are read), llm, ex, log (may be
 * NULL). obs and ws are copied (ws may be NULL). obs gets every event (to
 * record a session, make it a fan-out with the log's receiver first:
 * lc_fanout_init); the agent does not write log's records itself, it syncs
 * log once per step, passes its size warnings on, and stops when a record
 * could not be written (lc_log_missed, lc_log_failure). Every step that
 * runs code goes to obs->approve (NULL: run); --yes is the front end's
 * answer, not the agent's. One lc_agent_run at a time; post_message and
 * stop from anywhere. */
int lc_agent_new(const lc_config *cfg, lc_llm *llm, lc_executor *ex, const lc_observer *obs,
                 const lc_workspace_hooks *ws, lc_log *log, lc_agent **out, lc_err *err);
void lc_agent_free(lc_agent *a);

/* Runs the task to its end on the calling thread. The executor must be
 * started. *answer (may be NULL) receives the final or best-effort answer,
 * malloc'd, or NULL. Returns LC_OK with *outcome set, or an error. */
int lc_agent_run(lc_agent *a, const char *task, lc_agent_outcome *outcome, char **answer,
                 lc_err *err);
/* Rebuilds the message history from a session log so the next lc_agent_run
 * continues it (task may then be NULL: "continue"). */
int lc_agent_resume(lc_agent *a, const char *log_path, lc_err *err);
/* Reads the project's instructions file from dir (lc_project_instructions_read)
 * into the system prompt, and tells the observer which file was read (an
 * LC_EV_INFO; nothing when the project has none). Before lc_agent_run. */
void lc_agent_use_project_instructions(lc_agent *a, const char *dir);
/* Between runs only (no lc_agent_run going on): the model from now on, for
 * a front end that lets the user change it after a model error. llm is
 * borrowed like lc_agent_new's and must outlive the agent's runs. */
void lc_agent_set_llm(lc_agent *a, lc_llm *llm);
/* Any thread: a message for the model at the next step. */
void lc_agent_post_message(lc_agent *a, const char *text);
/* Any thread: cancels the model request, interrupts the running step. */
void lc_agent_stop(lc_agent *a);
/* Steps taken so far. */
int lc_agent_steps(const lc_agent *a);
/* What ended the last lc_agent_run that returned an error. MODEL: a request
 * to the model failed (the provider's error: a refused key, rate limits, a
 * server error, the network, a stalled or broken stream, an unknown model,
 * a request the server refused), which a retry or another model
 * (lc_agent_set_llm) may cure; the next lc_agent_run then goes on from
 * there, the failed step taken again under its own number. OTHER: anything
 * else (the sandbox or its engine, the log). The kind is noted where the
 * model was asked, never read from the status: a container's timeout and a
 * stalled server are both LC_ETIMEOUT. NONE after a run that returned
 * LC_OK. */
typedef enum lc_agent_failure { LC_AGENT_FAIL_NONE, LC_AGENT_FAIL_MODEL, LC_AGENT_FAIL_OTHER } lc_agent_failure;
lc_agent_failure lc_agent_last_failure(const lc_agent *a);
/* Parses approval.rules and checks every rule against its examples (the
 * matcher is the agent's): LC_EINVAL naming the file, line and rule. The
 * agent checks again when it is made; call this right after loading. */
int lc_agent_check_rules(const lc_config *cfg, lc_err *err);
/* Any thread: drops the grants given from the question ("allow steps like
 * this") before the next step is decided. */
void lc_agent_revoke_grants(lc_agent *a);
/* One rule or grant in force (or turned off), for a front end's list. */
typedef struct lc_agent_rule_info {
    char *name;   /* owned, like text and origin */
    char *text;   /* the rule as written: "allow NAME: PATTERNS | must: ..." */
    /* where it came from: "FILE:LINE" (approval.rules), "granted this
     * session at step N", "saved to FILE:LINE at step N" */
    char *origin;
    lc_rule_action action;
    bool grant; /* given from the question */
    bool off;   /* revoked or disabled for the rest of the session */
} lc_agent_rule_info;
/* Any thread: a copy of the rules and grants, in the order they are
 * matched; *out is NULL when there are none. Free with lc_agent_rules_free. */
size_t lc_agent_rules(lc_agent *a, lc_agent_rule_info **out);
void lc_agent_rules_free(lc_agent_rule_info *v, size_t n);
/* Any thread: how many rules and grants are in force (not off). */
size_t lc_agent_rules_on(lc_agent *a);
/* Any thread: turns one rule or grant off for the rest of the session (a
 * rule of the user's file stays in the file). Takes effect at once; the
 * agent records it (grant_revoked) before it decides the next step.
 * LC_ENOTFOUND for an unknown name, LC_EINVAL when it is off already. */
int lc_agent_rule_revoke(lc_agent *a, const char *name, lc_err *err);

#endif
