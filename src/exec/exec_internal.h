/* Private to exec/: helpers shared by its files. Not part of the module's face. */
#ifndef LC_EXEC_INTERNAL_H
#define LC_EXEC_INTERNAL_H

#include "exec/exec.h"

/* Runs `<engine> [global options] args...`; LC_EENGINE naming the command and
 * the first line of its stderr when it exits non-zero. */
int lc_engine_run(const lc_engine *e, const char *const *args, int timeout_ms, lc_proc_result *res,
                  lc_err *err);
/* Whether the engine's row in LC_ENGINES (config.h) has LC_ENGINE_F_* flag. */
bool lc_engine_has(const lc_engine *e, unsigned flag);
/* The --network value when the network is explicitly on ("bridge"). */
const char *lc_engine_network_on(const lc_engine *e);
/* hostname and boot id, for the litecode.host and litecode.boot labels. */
void lc_host_identity(char *host, size_t hostsz, char *boot, size_t bootsz);

/* The one environment every engine CLI call and the image build get: a
 * short allow-list of what they need to find the engine and its config;
 * API keys and everything else stay out. NULL-terminated; free with
 * lc_strv_free. engine.c. */
void lc_engine_env(lc_strv *env);
/* lc_engine_env for e's CLI: for this machine's own engine
 * (lc_engine_open_local) without the variables that point it elsewhere
 * (DOCKER_HOST, DOCKER_CONTEXT, CONTAINER_HOST, CONTAINER_CONNECTION). */
void lc_engine_env_for(const lc_engine *e, lc_strv *env);
/* Whether the engine runs on another machine, as far as its CLI's settings
 * say (remote_env of its row not a unix socket, a context with a remote
 * endpoint). why (may be NULL) gets what said so. engine.c. A unix socket
 * of a daemon that does not share this filesystem is found by the probe. */
bool lc_engine_is_remote(const lc_engine *e, char *why, size_t whysz);
/* The engine's address from the environment (DOCKER_HOST, CONTAINER_HOST;
 * *var gets the variable's name), or NULL when it is not set. */
const char *lc_engine_endpoint(const lc_engine *e, const char **var);

/* How the shadow reaches /workspace. */
typedef struct lc_sandbox_ws {
    bool copy;          /* into the container's own volume, changes back as events */
    const char *probe;  /* mount: a file name in the shadow the kernel says it sees, or NULL */
    const char *volume; /* copy: the named volume at /workspace (read-only with workspace_ro) */
    const char *git_objects; /* mount: the project's objects, bind-mounted read-only, or NULL */
    const char *git_volume;  /* copy: the volume they were sent into, mounted read-only, or NULL */
} lc_sandbox_ws;
/* The litecode.* labels (session, owner pid and start, host, boot) as --label flags. */
void lc_sandbox_labels(const char *session_id, lc_strv *argv);
/* `<engine> run ...` (or `create ...` with ws->copy) for a sandbox container
 * named name. sandbox_argv.c. */
void lc_sandbox_run_argv(const lc_container_config *c, const lc_engine *engine, const char *name,
                         const char *session_id, const char *shadow, const lc_sandbox_ws *ws,
                         lc_strv *argv);

/* transport.c: the copy transport. Copies the shadow's contents into the
 * created (not yet started) container's /workspace over the engine. */
int lc_transport_fill(const lc_engine *e, const char *container, const char *shadow, lc_err *err);
/* Before the copy transport sends anything (each start): the apparent size
 * of what it would send, the shadow and, when they go too, the lent git
 * objects (git_objects, may be NULL). Apparent, because cp sends a sparse
 * file in full: a few bytes here can be gigabytes on the engine's disk.
 * *bytes (may be NULL) gets the total; over cap (0: none) LC_EINVAL naming
 * the total, the largest files and what to do. */
int lc_transport_measure(const char *shadow, const char *git_objects, uint64_t cap, uint64_t *bytes, lc_err *err);
/* Creates a named volume labelled like a sandbox (lc_sandbox_labels), so
 * the sweep finds it once its session died. */
int lc_transport_volume_create(const lc_engine *e, const char *session_id, const char *volume, lc_err *err);
/* Read-only workspace: creates the named volume (labelled like a sandbox, so
 * the sweep finds it), fills it through a helper container that never runs
 * (image's `true`), and removes the helper. */
int lc_transport_fill_volume(const lc_engine *e, const char *image, const char *session_id,
                             const char *volume, const char *shadow, lc_err *err);
/* The filling part of lc_transport_fill_volume, for a volume that exists;
 * safe to run on a thread of its own beside other engine calls. */
int lc_transport_fill_through(const lc_engine *e, const char *image, const char *session_id, const char *volume,
                              const char *shadow, lc_err *err);
/* Copies the tool files (as the bind mounts would show them) into the
 * created container's /opt/litecode/tools volume. */
int lc_transport_fill_tools(const lc_engine *e, const char *container, const lc_strv *tool_files, lc_err *err);
/* Removes a named volume; quiet when it is gone. */
void lc_transport_volume_rm(const lc_engine *e, const char *volume);
/* Writes the kernel's "change" events of one step into the shadow. */
typedef struct lc_transport_in {
    const char *shadow; /* borrowed */
    uint64_t cap;       /* bytes of file contents per step; 0: no cap */
    uint64_t bytes;
    bool over_cap;      /* contents past the cap were dropped */
    int files, removed;
    int64_t unread;     /* entries the kernel could not read: not brought back */
    char *unread_first; /* the first of them, safe to show, with why; NULL if none */
    uid_t uid;
    gid_t gid;
    int fd;             /* the file being received, in parts */
    char *tmp, *target;
} lc_transport_in;
void lc_transport_in_init(lc_transport_in *t, const char *shadow, uint64_t cap);
/* One event; an error names what was refused (the rest of the step's
 * changes still come). */
int lc_transport_take(lc_transport_in *t, const cJSON *ev, lc_err *err);
/* What the user must know of the step's changes that could not be brought
 * back (entries the kernel could not read), or NULL; the caller frees it. */
char *lc_transport_in_note(const lc_transport_in *t);
/* Drops a file whose last part never came; frees what t holds. */
void lc_transport_in_end(lc_transport_in *t);

/* Why the sandbox stopped a step (sandbox.c), for its result. */
typedef enum { LC_WHY_NONE, LC_WHY_USER, LC_WHY_TIMEOUT, LC_WHY_SHADOW } lc_stop_reason;
/* sandbox_result.c: the result from the kernel's "done" event, its error
 * part, and from a container that ended during the step. */
void lc_sandbox_fill_done(lc_exec_result *res, const cJSON *done, lc_stop_reason why);
void lc_sandbox_fill_error(lc_exec_result *res, const cJSON *done);
/* How a container that litecode did not stop ended, from the engine. */
typedef struct lc_sandbox_end {
    enum { LC_END_EXITED, LC_END_OOM, LC_END_KILLED, LC_END_REMOVED } how;
    int exit_code;
    /* How the kernel's worker (the process that runs steps) ended, as the
     * kernel said on its stderr before it exited ("the worker ended (exit N)",
     * N as a shell gives it; 129 a SIGKILL that was not the OOM killer's);
     * 0 when it did not say. A hint for the wording only: never trusted for
     * anything else. */
    int worker_code;
} lc_sandbox_end;
/* After the kernel's "ended" (the step is over), its changes come back over
 * the copy transport; "ended" and each change give LC_CHANGE_IDLE_MS more,
 * for LC_CHANGE_MAX_MS in all from the first of them (at and first in ms).
 * The deadline they give at time at, 0 for none (past the shadow cap too). */
#define LC_CHANGE_IDLE_MS 60000
#define LC_CHANGE_MAX_MS 600000
int64_t lc_sandbox_change_deadline(int64_t at, int64_t first, bool over_cap);
/* The worker's exit code in the kernel's stderr text, 0 when not there. */
int lc_sandbox_worker_code(const char *stderr_text);
/* Fills status, state_lost, notice (and error_* for a death the step
 * caused or met) for a sandbox that was restarted; during_step false: it
 * died while no step ran. */
void lc_sandbox_describe_death(const lc_container_config *cfg, lc_sandbox_end end, bool we_killed,
                               lc_stop_reason why, bool during_step, lc_exec_result *res);
/* One kernel line (without its newline) as JSON, NULL when it is not JSON. A NUL
 * in any string, escaped or raw, arrives as the text \x00 (cJSON strings end at
 * a NUL, which cut output off). sandbox.c. */
cJSON *lc_sandbox_parse_line(const char *line, size_t n);
/* Numbers from the kernel are untrusted: true and *out set only when key holds
 * a finite whole number in [lo, hi]; never cast a raw double from it. */
#define LC_SANDBOX_MAX_BYTES 9007199254740992.0 /* 2^53: exact in a JSON number */
bool lc_sandbox_json_int(const cJSON *obj, const char *key, double lo, double hi, int64_t *out);
/* An error line outside the step's code (a hostile or confused kernel) becomes 0. */
void lc_sandbox_clamp_line(lc_exec_result *res, const char *code);

/* The kernel's source, embedded at build time from src/exec/kernel.py. */
extern const char lc_kernel_source[];
extern const size_t lc_kernel_source_len;

#endif
