/* The session, whatever the front end: main.c opens it from a validated
 * config (the engine, the state directory with the snapshot and the shadow
 * copy, the change set, the log, the model, the sandbox); then it readies the
 * sandbox (image, start), runs the agent with its events fanned out to the
 * front end, takes the signals, writes every apply and undo with its audit
 * record, and gives the exit code. The TUI and headless mode are two
 * lc_front values (front.c). Wiring above the modules: it may use every
 * module's public header, never ui/ internals. */
#ifndef LC_SESSION_H
#define LC_SESSION_H

#include <stdatomic.h>

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
    lc_image_plan *image;  /* set: the image is missing and this says how it gets onto the engine */
    bool locked;           /* lock_fd holds the flock on log_path: the session's process is alive */
    int lock_fd;
} lc_session;

typedef struct lc_session_opts {
    const char *dir;         /* project directory */
    const char *resume_log;  /* continue the session whose log this is; NULL: a new session */
    const char *state_root;  /* NULL: the XDG state directory */
    int replay_skip;         /* a resumed replay: the replies its log already used */
} lc_session_opts;

/* Opens everything but does not start the sandbox (the front end shows its
 * progress). Before the shadow copy is made, the session's log is locked
 * (flock, held until lc_session_close: one process per session; a --resume
 * of a session open elsewhere is LC_ESTATE) and the cut applies of dead
 * sessions of the directory are finished (lc_session_finish_cut_applies). On
 * error, what was opened is closed again. */
int lc_session_open(lc_session *s, lc_config *cfg, const lc_session_opts *o, lc_err *err);
/* Every session under root (a sessions directory) but except_id whose log
 * header names dir (a real path) and whose apply or undo a crash cut short
 * is finished, unless its process still runs (it holds its log's lock): its
 * journal recovery runs (files written are kept and undoable in that
 * session, .lc-apply-* temporary files are removed), its log gets the
 * records the crash kept out (its cut last line repaired first), and notes
 * gets what the user must be told: which files had been written, the
 * temporary files removed, how to review the rest (--resume LOG). */
void lc_session_finish_cut_applies(const char *root, const char *dir, const char *except_id, lc_strv *notes);
/* When s->image is set: builds or loads the missing image before the
 * sandbox starts, each line of progress to fn (see lc_image_plan_run). */
int lc_session_build_image(lc_session *s, const atomic_bool *cancel, lc_image_progress_fn fn, void *ctx,
                           lc_err *err);
/* Stops the sandbox (the container goes with it; a signal meanwhile still
 * removes it at once), closes the log. The state directory and the shadow
 * copy stay, so the session can be resumed. */
void lc_session_close(lc_session *s);

/* What readying the sandbox tells the front end; any thread. */
typedef struct lc_session_progress {
    void *ctx;
    const char *where; /* appended to the image's notice ("; its progress is in the Output pane") */
    void (*building)(void *ctx, const char *what); /* the missing image is being built or loaded: what says which */
    void (*line)(void *ctx, const char *text);     /* a line of its progress (sanitized) */
    void (*starting)(void *ctx);                   /* the container starts */
    void (*note)(void *ctx, const char *text);     /* what the user should know of the started sandbox; may be NULL */
} lc_session_progress;

/* Builds or loads a missing image (s->image), then starts the sandbox.
 * cancel stops the build or load (LC_ECANCEL). */
int lc_session_prepare(lc_session *s, const lc_session_progress *p, const atomic_bool *cancel, lc_err *err);

/* A front end as the session drives it. Borrowed while the session runs. */
typedef struct lc_front {
    void *ctx;
    lc_observer observer;         /* the agent's events (after the fan-out) and its questions */
    lc_workspace_hooks workspace; /* what the agent is told of the change set */
    /* The front end readies the sandbox itself, on its agent thread with
     * lc_session_prepare (TUI: the UI is up at once); it can also be stopped
     * before the agent exists. false: the session readies it first, here. */
    bool prepares_itself;
    /* Runs agent (NULL: there is none, only what the front end offers
     * without one) on task to its end; returns the exit code. */
    int (*run)(void *ctx, lc_agent *agent, const char *task);
    /* The signal thread (never a handler): SIGINT, when the front end gives
     * it a meaning (TUI: the Ctrl-C key). NULL: the first SIGINT interrupts
     * the step, the next one stops the session. */
    void (*interrupt)(void *ctx);
    /* The signal thread: ends the session as the user's stop would. */
    void (*stop)(void *ctx, lc_agent *agent);
    /* Async-signal-safe: gives the terminal back before _exit. May be NULL. */
    void (*restore_terminal)(void *ctx);
    /* Frees ctx (lc_front_close), after lc_session_run. */
    void (*free)(void *ctx);
} lc_front;

typedef struct lc_session_run_opts {
    const char *task;      /* NULL: continue a resumed session, or the front end asks */
    const char *patch_out; /* afterwards: the change set as a unified diff here */
    bool apply;            /* afterwards: lc_session_apply_all */
    bool review;           /* --review: no sandbox, no agent; the front end only reviews the shadow */
} lc_session_run_opts;

/* Runs the session with front end fe: readies the sandbox (unless fe does),
 * makes the agent (resumed when s->resumed) with its events fanned out, runs
 * it through fe with the signals routed to it, then --patch-out and
 * --apply. Returns the process's exit code; failures are said on stderr. */
int lc_session_run(lc_session *s, const lc_front *fe, const lc_session_run_opts *ro);

/* Before any thread: SIGINT, SIGTERM and SIGHUP are blocked in every thread
 * and taken by one signal thread, which turns them into requests to the
 * running session (lc_session_run): interrupt, stop, and after 5 s or a
 * second request, remove the container and exit. */
void lc_session_signals_start(void);
/* At the end of main: a late signal waits for the exit. */
void lc_session_signals_end(void);

/* --resume: the directory of the log's session (*dir, malloc'd) and the
 * model replies it used; cfg's model.name is set from the header unless
 * already set. */
int lc_session_resume_info(const char *log, lc_config *cfg, char **dir, int *replies, lc_err *err);

/* ---- writing to the project (both front ends, through these only) ------ */

/* Applies the change set's selection to the project, each selected hunk
 * with its audit record in the session log: hunk_applied when it is in the
 * project now (detail: applied, merged, unchanged), hunk_not_applied when it
 * is not (detail: conflict, refused, failed; reason: why). Nothing is tried
 * when the log cannot record it (LC_EIO, rep stays empty). *selected and
 * *applied count the chosen hunks and those in the project now (a file
 * chosen whole is one record, hunk -1, but counts all its hunks); nothing
 * selected is LC_OK with *selected 0. rep (caller's) gets each file's
 * result. Returns lc_diff_apply's status, or the log's when only the
 * records failed. Uses s->diff and s->log only. */
int lc_session_apply(lc_session *s, lc_diff_report *rep, size_t *selected, size_t *applied, lc_err *err);
/* Undoes the newest apply, each restored file recorded (hunk_undone). */
int lc_session_undo(lc_session *s, lc_diff_report *rep, lc_err *err);
/* Redoes the newest undone apply, each file recorded (hunk_applied, detail
 * redo). */
int lc_session_redo(lc_session *s, lc_diff_report *rep, lc_err *err);
/* Applies the user's edited text of one hunk (lc_diff_apply_edited), recorded
 * as hunk_applied with detail "edited" (or hunk_not_applied); note gets the
 * words for the model's next observation. */
int lc_session_apply_edited(lc_session *s, size_t file, size_t hunk, const char *text, size_t len,
                            lc_diff_report *rep, lc_buf *note, lc_err *err);
/* --apply: every change but the files litecode reads itself (those are
 * named on stderr as skipped), through lc_session_apply; each file's outcome
 * on stderr. */
int lc_session_apply_all(lc_session *s, lc_err *err);
/* --patch-out: the change set as a unified diff to path (a regular file is
 * replaced atomically; a pipe or /dev/stdout is written into). Files
 * litecode reads itself (lc_config_reads_path) are left out, as --apply
 * leaves them: named in "# litecode: left out" lines of the patch and on
 * stderr with how to review them. The selection is cleared. */
int lc_session_write_patch(lc_session *s, const char *path, lc_err *err);

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
