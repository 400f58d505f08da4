/* The session main.c assembles from a validated config: the engine, the
 * session's state directory with the snapshot and the shadow copy, the change
 * set, the session log, the model and the sandbox. Part of the binary's
 * wiring, not a module: it may use every module below the UI. */
#ifndef LC_SESSION_H
#define LC_SESSION_H

#include "agent/agent.h"
#include "config/config.h"
#include "diff/diff.h"
#include "exec/exec.h"

typedef struct lc_session {
    lc_config *cfg;        /* borrowed */
    char *dir;             /* real path of the project directory */
    char *state_dir;       /* <XDG state>/litecode/sessions/<id> */
    char *session_id;
    char *shadow;          /* state_dir/shadow */
    char *log_path;        /* state_dir/session.jsonl, or the resumed log */
    bool resumed;
    lc_engine *engine;
    lc_diff *diff;
    lc_log *log;
    lc_llm *llm;
    lc_executor *ex;
    lc_strv notes;         /* things to tell the user once (skipped files, swept containers) */
    char *image_script;    /* set: the built-in image is missing and this script builds it */
} lc_session;

typedef struct lc_session_opts {
    const char *dir;         /* project directory */
    const char *resume_log;  /* continue the session whose log this is; NULL: a new session */
    const char *state_root;  /* NULL: the XDG state directory */
} lc_session_opts;

/* Opens everything but does not start the sandbox (the front end shows its
 * progress). On error, what was opened is closed again. */
int lc_session_open(lc_session *s, lc_config *cfg, const lc_session_opts *o, lc_err *err);
/* When s->image_script is set: builds the missing built-in image before the
 * sandbox starts, each line of progress to fn (see lc_image_build). */
int lc_session_build_image(lc_session *s, const atomic_bool *cancel, lc_image_progress_fn fn, void *ctx,
                           lc_err *err);
/* Stops the sandbox (the container goes with it), closes the log. The
 * state directory and the shadow copy stay, so the session can be resumed. */
void lc_session_close(lc_session *s);

/* Headless and TUI both use these for the agent's view of the workspace
 * when no UI owns the change set (headless: the agent's thread does). */
lc_workspace_hooks lc_session_workspace_hooks(lc_session *s);

/* The log of the session of dir that was written to last (for --resume last
 * and --report last), from the state directory's sessions. LC_ENOTFOUND
 * with a message that says what to give instead. Caller frees *log. */
int lc_session_find_last(const char *dir, char **log, lc_err *err);

/* Where bundled data lives (agents/, themes/, examples/): LITECODE_DATA_DIR,
 * <exe>/../share/litecode, or the source tree. Caller frees. */
char *lc_session_data_dir(void);

#endif
