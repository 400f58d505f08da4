/* exec: where approved code runs. The lc_executor interface (the agent sees
 * nothing else), its one real implementation (a Docker or Podman container
 * whose main process is the Python kernel, working on a shadow copy of the
 * project), the engine CLI wrapper, the shadow copy and the stale-container
 * sweep. There is no local executor. */
#ifndef LC_EXEC_H
#define LC_EXEC_H

#include <stdatomic.h>

#include "config/config.h"
#include "core/core.h"

/* ---- the executor interface --------------------------------------------- */

typedef enum lc_stream { LC_STREAM_STDOUT = 0, LC_STREAM_STDERR = 1 } lc_stream;

/* How a step ended. */
typedef enum lc_step_status {
    LC_STEP_OK = 0,        /* ran to the end */
    LC_STEP_ERROR,         /* raised an exception (error_* fields set) */
    LC_STEP_FINAL,         /* called final_answer(x) */
    LC_STEP_SYNTAX,        /* did not compile; nothing ran */
    LC_STEP_INTERRUPTED,   /* stopped by the user; Python state kept */
    LC_STEP_TIMEOUT,       /* ran past its time, interrupted; state kept */
    LC_STEP_KILLED,        /* the sandbox was killed and restarted; state lost (see notice) */
    LC_STEP_SHADOW_LIMIT,  /* the shadow copy grew past its cap; the step was stopped */
} lc_step_status;

const char *lc_step_status_name(lc_step_status s);

/* Result of one step. Strings are owned by the result (lc_exec_result_free). */
typedef struct lc_exec_result {
    lc_step_status status;
    char *output;          /* stdout and stderr as they came, capped (head and tail kept) */
    bool truncated;
    uint64_t dropped_bytes;
    char *value_repr;      /* repr of the last expression's value, or NULL */
    char *final_answer;    /* JSON text of final_answer's argument, or NULL */
    char *error_type;      /* "ZeroDivisionError" */
    char *error_message;
    char *traceback;
    int error_line;        /* line in the step's code, 0 if unknown */
    bool state_lost;       /* the kernel was restarted: globals are gone */
    char *notice;          /* what happened to the sandbox, for the user and the model */
    double duration_s;
    /* Counted by the kernel's supervisor, not by step code: threads the step left
     * in the worker (paused between steps, running again in the next), processes
     * it left (killed when it ended), and worker messages refused as forged. Each
     * nonzero one is also said in notice. */
    int left_threads;
    int killed_processes;
    int rejected_messages;
} lc_exec_result;

void lc_exec_result_free(lc_exec_result *r);

/* Callbacks of one step, called on the thread that called exec. */
typedef struct lc_exec_hooks {
    void *ctx;
    /* Live output, in order. data is untrusted bytes. */
    void (*output)(void *ctx, lc_stream stream, const char *data, size_t len);
    /* A host tool called from the step (ask_user, preview_changes, llm_query,
     * test tools). Set *result to a new cJSON value (the executor frees it),
     * or return an error whose message goes back to the code as an exception. */
    int (*tool_call)(void *ctx, const char *name, const cJSON *args, cJSON **result, lc_err *err);
    /* Whether tool name waits for the user (ask_user): that wait does not
     * count against the step's time limit; all other host-tool time does.
     * NULL: every tool counts. */
    bool (*tool_waits_for_user)(void *ctx, const char *name);
} lc_exec_hooks;

typedef struct lc_executor lc_executor;

/* A sandbox that died or hung is restarted by whichever request finds it
 * (check, define, exec; a tool result or an interrupt that meets a dead
 * kernel leaves it to the step's own handling): state is lost, the helper
 * code is loaded again, and the next result (the step's, or a syntax
 * error's) has state_lost set and a notice saying what happened, once. */
typedef struct lc_executor_ops {
    const char *name;
    /* Starts the sandbox and waits for the kernel's "ready". */
    int (*start)(lc_executor *ex, lc_err *err);
    /* Compiles code without running it: LC_STEP_SYNTAX with error fields, or LC_STEP_OK. */
    int (*check)(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err);
    /* Runs one step. timeout_s <= 0: the configured default. Returns LC_OK
     * whenever the step has a result (even an exception); an error only when
     * the sandbox itself could not be used. */
    int (*exec)(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                lc_exec_result *res, lc_err *err);
    /* Runs litecode's own helper code (tool helpers, user tool files): trusted,
     * imports unrestricted; its public names become visible to steps. Kept and
     * replayed after every restart of the sandbox. */
    int (*define)(lc_executor *ex, const char *code, lc_err *err);
    /* Asks the running step to stop (KeyboardInterrupt). Any thread. */
    void (*interrupt)(lc_executor *ex);
    /* Ends the sandbox. The executor can be started again afterwards. */
    void (*stop)(lc_executor *ex);
    /* One line for status bars: "docker 1g 1cpu net:none". Caller frees. */
    char *(*describe)(lc_executor *ex);
    void (*destroy)(lc_executor *ex);
    /* The static check of code (nothing runs): *analysis gets the kernel's
     * JSON object (imports, calls, writes, opens, tools, bound, reasons,
     * read_only, opaque; docs/approval.md), untrusted, caller frees. vouched
     * and dirty (may be NULL) are names of earlier steps the check may trust
     * or must not. NULL op: the executor cannot check (every step may write). */
    int (*analyze)(lc_executor *ex, const char *code, const lc_strv *vouched, const lc_strv *dirty,
                   cJSON **analysis, lc_err *err);
} lc_executor_ops;

/* The interface is a plain vtable so tests can supply a fake. */
struct lc_executor {
    const lc_executor_ops *ops;
    void *impl;
};

int lc_executor_start(lc_executor *ex, lc_err *err);
int lc_executor_check(lc_executor *ex, const char *code, lc_exec_result *res, lc_err *err);
int lc_executor_exec(lc_executor *ex, const char *code, int timeout_s, const lc_exec_hooks *hooks,
                     lc_exec_result *res, lc_err *err);
int lc_executor_define(lc_executor *ex, const char *code, lc_err *err);
/* LC_ESTATE when the executor has no static check. */
int lc_executor_analyze(lc_executor *ex, const char *code, const lc_strv *vouched, const lc_strv *dirty,
                        cJSON **analysis, lc_err *err);
void lc_executor_interrupt(lc_executor *ex);
void lc_executor_stop(lc_executor *ex);
char *lc_executor_describe(lc_executor *ex);
void lc_executor_destroy(lc_executor *ex); /* NULL is fine */

/* ---- container engines (docker, podman: their CLIs, argv only) ----------- */

typedef struct lc_engine lc_engine;

/* Finds a working engine for cfg->engine (AUTO tries docker, then podman).
 * No engine: LC_EENGINE with what to install or start. */
int lc_engine_open(const lc_container_config *cfg, lc_engine **out, lc_err *err);
void lc_engine_free(lc_engine *e);
lc_engine_kind lc_engine_kind_of(const lc_engine *e);
const char *lc_engine_name(const lc_engine *e);    /* "docker" | "podman" */
const char *lc_engine_version(const lc_engine *e); /* the server's version */
/* Starts an argv for a subcommand: "docker", [global options], subcommand. */
void lc_engine_argv(const lc_engine *e, lc_strv *argv, const char *subcommand);
/* 1 present, 0 missing, negative on error. */
int lc_engine_image_exists(lc_engine *e, const char *image, lc_err *err);
/* Whether e is another engine than this machine's own one of its kind (the
 * CLI pointed elsewhere: DOCKER_HOST other than the default socket,
 * DOCKER_CONTEXT or a context in its config, CONTAINER_HOST, podman
 * --remote); why (may be NULL) gets what says so. */
bool lc_engine_elsewhere(const lc_engine *e, char *why, size_t whysz);
/* This machine's own engine of kind, whatever the environment points its
 * CLI at: its calls run without those variables (docker also with
 * --context=default). LC_EENGINE when it does not answer, or when its CLI
 * still talks to a service (podman with remote = true in containers.conf). */
int lc_engine_open_local(const lc_container_config *cfg, lc_engine_kind kind, lc_engine **out, lc_err *err);
/* Removes containers of dead litecode sessions on this host: by label and
 * owner pid (with its start time), never by name, never a live session's.
 * Names of removed containers are appended to removed (may be NULL). */
int lc_engine_sweep(lc_engine *e, lc_strv *removed, lc_err *err);
/* Containers labelled with this session id (for tests and --check). */
int lc_engine_list_session(lc_engine *e, const char *session_id, lc_strv *ids, lc_err *err);

/* ---- the session's state directory and the shadow copy ------------------ */

/* Creates <XDG state>/litecode/sessions/<id>/ (root may be NULL for the
 * default). Both strings are new; the caller frees them. */
int lc_session_dir_create(const char *root, char **dir, char **id, lc_err *err);

/* The uid/gid the sandbox runs as: the user's own, or 1000 (the image's
 * `sandbox` user) when litecode runs as root. The shadow is owned by it. */
void lc_sandbox_user(uid_t *uid, gid_t *gid);

typedef struct lc_shadow_report {
    uint64_t files;
    uint64_t dirs;
    uint64_t symlinks;
    uint64_t bytes;
    uint64_t reflinked;    /* files cloned without copying data */
    lc_strv skipped;       /* "path (socket)", "path (device)", "path (fifo)" */
} lc_shadow_report;
#define LC_SHADOW_REPORT_INIT {0, 0, 0, 0, 0, LC_STRV_INIT}

/* Copies src into dst (which must not exist): regular files (reflink where
 * possible), directories, symlinks as symlinks (never followed), modes and
 * mtimes kept; sockets, fifos and devices skipped and reported. Owned by
 * uid/gid unless uid is (uid_t)-1. */
int lc_shadow_copy(const char *src, const char *dst, uid_t uid, gid_t gid, lc_shadow_report *rep,
                   lc_err *err);
/* The session's shadow: lc_shadow_copy, except that the project's git
 * objects are borrowed instead of copied when they can be lent (see
 * lc_shadow_git_objects): the shadow's .git/objects starts empty and its
 * info/alternates names LC_SHADOW_GIT_OBJECTS, where the sandbox mounts the
 * project's objects read-only. git in a step reads the history and writes
 * new objects into the shadow; the project's objects stay out of reach. */
#define LC_SHADOW_GIT_OBJECTS "/opt/litecode/git/objects"
int lc_shadow_make(const char *src, const char *dst, uid_t uid, gid_t gid, lc_shadow_report *rep, lc_err *err);
/* project/.git/objects (new string) when it can be lent to the sandbox
 * read-only: .git and .git/objects real directories (not symlinks) holding
 * only directories and regular files the sandbox user can read; NULL
 * otherwise (then the objects are copied). */
char *lc_shadow_git_objects(const char *project);
/* What a shadow made by lc_shadow_make borrows: the project's objects
 * directory (new string) when shadow's alternates names
 * LC_SHADOW_GIT_OBJECTS and they can still be lent; NULL otherwise. */
char *lc_shadow_borrowed(const char *project, const char *shadow);
void lc_shadow_report_free(lc_shadow_report *rep);
/* Bytes used by a tree (allocated blocks), for the growth cap. */
uint64_t lc_shadow_usage(const char *dir);

/* ---- the container sandbox: the one real executor ----------------------- */

typedef struct lc_sandbox_opts {
    const lc_container_config *container; /* copied */
    const char *shadow_dir;               /* mounted at /workspace */
    const char *session_id;               /* label litecode.session */
    lc_engine *engine;                    /* borrowed; must outlive the executor */
    const char *memo_path;                /* where engines found not to see this machine's
                                           * files are remembered (NULL: nowhere) */
} lc_sandbox_opts;

/* A new, not yet started, sandbox executor. */
int lc_sandbox_new(const lc_sandbox_opts *opts, lc_executor **out, lc_err *err);
/* Before the start: the project's git objects (lc_shadow_borrowed), which
 * the sandbox mounts read-only at LC_SHADOW_GIT_OBJECTS (sent once into a
 * read-only volume with the copy transport); NULL: none. Copied. */
void lc_sandbox_lend_git(lc_executor *ex, const char *objects);
/* The container's name while it runs (NULL when stopped). */
const char *lc_sandbox_container(lc_executor *ex);
/* Any thread: removes the running container at once, for a process that
 * must exit now (a second SIGTERM). The executor is unusable afterwards. */
void lc_sandbox_kill(lc_executor *ex);
/* Milliseconds from launch to the kernel's "ready" for the last start. */
double lc_sandbox_start_ms(lc_executor *ex);
/* How the shadow reaches /workspace once started: "mount" (a bind mount) or
 * "copy" (over the engine: filled at each start, each step's changes brought
 * back into the shadow). *why (may be NULL) gets why copy was chosen, or NULL. */
const char *lc_sandbox_transport(lc_executor *ex, const char **why);

/* `litecode-tui --check`: engine, image, a test container with the limits
 * applied, kernel start time. Appends "ok|FAIL|warn  what  (remedy)" lines to
 * out; returns LC_OK when every check passed. */
int lc_exec_check(const lc_container_config *cfg, lc_buf *out, lc_err *err);

/* ---- the sandbox image ------------------------------------------------- */

/* Whether image is one litecode builds itself, litecode-sandbox:VERSION or
 * (*ml set) litecode-sandbox-ml:VERSION. */
bool lc_image_is_builtin(const char *image, bool *ml);
typedef void (*lc_image_progress_fn)(void *ctx, const char *line);
/* Builds the built-in image into engine e with script (build-image.sh),
 * passing each line it prints (sanitized) to fn. Its stdin is /dev/null, so
 * a password prompt fails at once instead of hanging. *cancel set: the
 * build is stopped (its whole process group) and LC_ECANCEL returned. A
 * failure names the script's last line and how to see the rest. */
int lc_image_build(const lc_engine *e, const char *script, bool ml, const atomic_bool *cancel,
                   lc_image_progress_fn fn, void *ctx, lc_err *err);
/* Streams image from src (this machine's engine, lc_engine_open_local) into
 * dst: `src save | dst load` through this process, never a file on disk.
 * fn gets what is loaded from where and its size (bytes, 0: unknown), the
 * bytes sent every 2 s, the engine's own lines, and the time it took.
 * *cancel set: both are stopped, LC_ECANCEL. A failure names the side that
 * failed, its last line, and how to load it by hand. */
int lc_image_load(const lc_engine *dst, const lc_engine *src, const char *image, uint64_t bytes,
                  const atomic_bool *cancel, lc_image_progress_fn fn, void *ctx, lc_err *err);

/* How an image the engine lacks gets there. */
typedef enum lc_image_how { LC_IMAGE_LOAD = 1, LC_IMAGE_BUILD } lc_image_how;
typedef struct lc_image_plan {
    lc_image_how how;
    char *image;
    bool ml;
    char *script;     /* BUILD: build-image.sh */
    lc_engine *from;  /* LOAD: this machine's engine that has it (owned) */
    uint64_t bytes;   /* LOAD: its size there, 0 when unknown */
    char *notice;     /* what to tell the user before it starts, true to what runs */
} lc_image_plan;
/* For cfg->image, missing from e: when e is another engine than this
 * machine's own (lc_engine_elsewhere) and this machine's docker or podman
 * has the image (litecode's own only with the input hash script prints, so
 * a stale one is rebuilt; any copy when there is no script or it says
 * none), LOAD from there; else litecode's own image with
 * script (build-image.sh, may be NULL) is a BUILD; else LC_ENOTFOUND saying
 * what to do. Free with lc_image_plan_free. */
int lc_image_plan_make(lc_engine *e, const lc_container_config *cfg, const char *script, lc_image_plan *plan,
                       lc_err *err);
int lc_image_plan_run(lc_engine *e, const lc_image_plan *plan, const atomic_bool *cancel, lc_image_progress_fn fn,
                      void *ctx, lc_err *err);
void lc_image_plan_free(lc_image_plan *plan); /* NULL is fine */

#endif
