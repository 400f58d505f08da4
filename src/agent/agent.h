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
    char *text;     /* edited code or the decline reason; malloc'd, the agent frees it */
    bool automatic; /* nobody was asked (--yes, auto-approve): the log says so */
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

/* ======================================================================== */
/* Prompts (prompt.c)                                                       */
/* ======================================================================== */

typedef struct lc_prompt_opts {
    lc_agent_type type;
    const lc_toolset *tools;
    const lc_strv *authorized_imports; /* NULL or empty: the default list is said */
    const char *instructions;          /* profile text, may be NULL */
    bool text_tool_calls;              /* tool-calling agent without native tools */
} lc_prompt_opts;

/* The system prompt. Caller frees. */
char *lc_prompt_system(const lc_prompt_opts *o);

/* ======================================================================== */
/* Session log (log.c): JSON Lines, append-only, flushed and synced per   */
/* step. One object a line: {"v":1,"ts":"...","kind":K,"step":N,...}.   */
/* docs/session-log.md lists the kinds. Thread-safe.                       */
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
 * line reaches the kernel at once; header, hunk_*, final_answer and done
 * events are also synced to disk at once. A line is written whole or not at
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
/* For the front end: hunks applied or undone. */
int lc_log_hunk(lc_log *log, bool applied, const char *path, int hunk, const char *detail,
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
/* The same into a cJSON array of the events (for small logs and tests).
 * Caller frees with cJSON_Delete. */
int lc_log_read(const char *path, cJSON **events, lc_err *err);

/* A Markdown audit report of a session log. (report.c) */
int lc_report_render(const char *log_path, lc_buf *out, lc_err *err);

/* ======================================================================== */
/* The agent (agent_loop.c)                                                 */
/* ======================================================================== */

/* What the front end lets the agent see of the workspace. Both return a
 * malloc'd text or NULL when there is nothing to say. */
typedef struct lc_workspace_hooks {
    void *ctx;
    char *(*changes_summary)(void *ctx);     /* files changed in the shadow so far */
    char *(*reverted_since_last)(void *ctx); /* what the user undid since last asked */
} lc_workspace_hooks;

typedef enum lc_agent_outcome {
    LC_AGENT_ANSWERED = 0, /* final_answer was called */
    LC_AGENT_FAILED,       /* an error ended the run (the message says which) */
    LC_AGENT_STOPPED,      /* the user stopped it */
    LC_AGENT_MAX_STEPS,    /* the step limit; the answer is a best effort */
} lc_agent_outcome;

typedef struct lc_agent lc_agent;

/* Borrowed, must outlive the agent: cfg (agent, container.authorized_imports,
 * container.tool_files, container.timeout_s are read), llm, ex, log (may be
 * NULL). obs and ws are copied (ws may be NULL). Every step that runs code
 * goes to obs->approve (NULL: run); --yes is the front end's answer, not the
 * agent's. One lc_agent_run at a time; post_message and stop from anywhere. */
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

/* ======================================================================== */
/* Headless front end (headless.c)                                          */
/* ======================================================================== */

/* Exit codes of `litecode-tui --headless` (docs/headless.md). */
enum {
    LC_HEADLESS_ANSWERED = 0,
    LC_HEADLESS_ERROR = 1,
    LC_HEADLESS_USAGE = 2,
    LC_HEADLESS_STOPPED = 3,
    LC_HEADLESS_MAX_STEPS = 4,
};

typedef struct lc_headless lc_headless;

/* in: where answers are read (stdin); out: where steps are printed. With
 * auto_approve every step runs without asking. */
lc_headless *lc_headless_new(FILE *in, FILE *out, bool auto_approve);
void lc_headless_free(lc_headless *h);
/* Any thread (a signal handler's thread): a question waiting for an answer
 * on in ends as if the input had ended, so the run stops at once. */
void lc_headless_stop(lc_headless *h);
/* The observer to give lc_agent_new. Valid while h lives. */
lc_observer lc_headless_observer(lc_headless *h);
/* Runs the agent on task (NULL after a resume), prints the final answer and
 * returns the exit code. */
int lc_headless_run(lc_headless *h, lc_agent *agent, const char *task);

#endif
