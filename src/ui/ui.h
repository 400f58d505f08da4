/* ui: the ncurses workspace. Four panes (conversation, code about to run,
 * container output, diffs of the shadow) laid out as data, a status bar and
 * an input line; the approval question; hunk review; themes and one keymap.
 * The UI thread owns curses and the lc_diff alone; the agent runs on its own
 * thread and talks to the UI through the observer (a queue and a self-pipe).
 * A virtual terminal (no TTY) with a screen dump and a key script lets tests
 * and tools drive it headless. */
#ifndef LC_UI_H
#define LC_UI_H

#include <stdatomic.h>

#include "agent/agent.h"
#include "config/config.h"
#include "core/core.h"
#include "diff/diff.h"
#include "exec/exec.h"

typedef struct lc_app lc_app;

/* How the diff review writes to the project: the session's one apply and
 * undo, each with its audit record in the session log (session.c), so the
 * TUI and headless mode write and record alike. */
typedef struct lc_ui_writer {
    void *ctx;
    /* Applies the change set's selection: rep gets each file's result,
     * *selected and *applied count the chosen hunks and those now in the
     * project. A status with rep empty: nothing was tried (err says why). */
    int (*apply)(void *ctx, lc_diff_report *rep, size_t *selected, size_t *applied, lc_err *err);
    /* Undoes the newest apply. */
    int (*undo)(void *ctx, lc_diff_report *rep, lc_err *err);
    /* Redoes the newest undone apply (NULL: no redo here). */
    int (*redo)(void *ctx, lc_diff_report *rep, lc_err *err);
    /* Applies the user's edited text of one hunk (lc_diff_apply_edited);
     * note gets the words for the model. NULL: no editing here. */
    int (*apply_edited)(void *ctx, size_t file, size_t hunk, const char *text, size_t len, lc_diff_report *rep,
                        lc_buf *note, lc_err *err);
} lc_ui_writer;

/* What opts.prepare reports while it readies the sandbox; any thread. */
typedef struct lc_ui_progress {
    void *ctx;
    void (*building)(void *ctx, const char *what); /* an image build or load starts; what says which */
    void (*line)(void *ctx, const char *text);     /* a line of its progress (sanitized) */
    void (*starting)(void *ctx);                   /* the container starts */
    void (*note)(void *ctx, const char *text);     /* what the user should know of the started sandbox */
} lc_ui_progress;

typedef struct lc_ui_opts {
    const lc_config *cfg;   /* borrowed: model, agent, container, ui.theme, ui.key_bindings */
    const char *dir;        /* the project directory, for the status bar */
    lc_executor *executor;  /* borrowed, may be NULL: interrupt and describe */
    lc_diff *diff;          /* borrowed, may be NULL; only the UI thread touches it */
    lc_ui_writer writer;    /* apply and undo; apply NULL: the review cannot write */
    const char *theme;      /* name or path; NULL: cfg->ui.theme, then "dark" */
    const char *themes_dir; /* where theme names are looked up; NULL: "themes" */
    /* Terminal. in_fd/out_fd < 0: the process's stdin/stdout (duplicated).
     * With virtual_term, no terminal at all: keys come from lc_ui_feed_keys,
     * output goes to a private in-memory file, the screen is read back with
     * lc_ui_dump_screen; rows/cols > 0 fix its size. */
    int in_fd, out_fd;
    bool virtual_term;
    int rows, cols;
    int colors;             /* virtual terminal: 0 (NO_COLOR), 8, 16 or 256; ignored otherwise */
    int approval_guard_ms;  /* keys ignored after a question appears; < 0: 300 */
    /* Readies the sandbox on the agent's thread before the run, so the UI
     * is up at once (the session builds a missing image and starts the
     * container: session.c); p shows its progress, cancel is set when the
     * user stops. A failure is shown and ends the run (LC_ECANCEL: stopped).
     * NULL: the executor needs nothing (tests). */
    int (*prepare)(void *ctx, const lc_ui_progress *p, const atomic_bool *cancel, lc_err *err);
    void *prepare_ctx;
    /* No task was given: the UI opens with the input line ready for one and
     * the agent starts when it is sent (q or Ctrl-C twice quit instead). */
    bool ask_task;
    /* --review: no agent will run; the UI opens on the Diffs pane. */
    bool review;
} lc_ui_opts;
#define LC_UI_OPTS_INIT {.in_fd = -1, .out_fd = -1, .colors = 256, .approval_guard_ms = -1}

/* A new UI on the terminal (curses is started here). NULL with err set when
 * the terminal or the theme cannot be used. Free with lc_ui_free. */
lc_app *lc_ui_new(const lc_ui_opts *opts, lc_err *err);
/* Ends curses (the terminal is given back) and frees. An agent thread still
 * running is stopped and joined first. The agent itself is the caller's and
 * is freed after this. NULL is fine. */
void lc_ui_free(lc_app *app);

/* The observer to give lc_agent_new. Valid while app lives; its callbacks
 * may be called from any thread. */
lc_observer lc_ui_observer(lc_app *app);
/* Workspace hooks for lc_agent_new: the changed-files summary (the agent
 * thread waits while the UI thread refreshes the lc_diff and summarizes it)
 * and the hunks the user reverted since the agent last asked. */
lc_workspace_hooks lc_ui_workspace_hooks(lc_app *app);

/* Runs agent on task (NULL: continue a resumed session) on its own thread
 * and the UI on this one until the user quits. Returns the exit code
 * (LC_EXIT_*, through lc_agent_exit_code as in headless mode). With the
 * environment variable LITECODE_UI_SCRIPT naming a file, keys are read from
 * it (see docs/user-guide.md, "Driving the UI from a script"). agent may be
 * NULL: the UI only shows a message and the diff review. */
int lc_ui_run(lc_app *app, lc_agent *agent, const char *task);

/* A resumed session: shows the session so far from its log (the
 * conversation, the last step's code, each step's output and end) and
 * where it resumes. Call before lc_ui_run / lc_ui_start, after or before
 * lc_agent_resume. A log that cannot be read is said in the conversation. */
void lc_ui_show_log(lc_app *app, const char *log_path);
/* Any thread (a signal-handling thread, not a signal handler): ends the
 * session as the user's quit would. A pending question is answered "stop",
 * the agent is stopped, lc_ui_run returns soon and lc_ui_free then gives the
 * terminal back. */
void lc_ui_stop(lc_app *app);
/* Any thread (the signal thread on SIGINT): counts as a Ctrl-C typed in the
 * UI, so a SIGINT and a Ctrl-C key share one "twice within 3 s stops". */
void lc_ui_interrupt(lc_app *app);
/* Async-signal-safe, no curses: puts the terminal back as it was (modes,
 * normal screen, cursor, attributes) for a process about to _exit while the
 * UI thread still runs. Does nothing for a virtual terminal. */
void lc_ui_restore_terminal(lc_app *app);

/* ---- driving it without a TTY (tests, benchmarks, scripts) ------------- */

/* Starts the agent thread and returns at once. */
int lc_ui_start(lc_app *app, lc_agent *agent, const char *task);
/* Handles what is pending (agent events, keys) and redraws, waiting up to
 * timeout_ms for something to happen. Returns false once the user quit. */
bool lc_ui_pump(lc_app *app, int timeout_ms);
/* Pumps until the screen contains text (true) or timeout_ms passed (false). */
bool lc_ui_wait_for(lc_app *app, const char *text, int timeout_ms);
/* Pumps until the agent thread ended (true) or timeout_ms passed. */
bool lc_ui_wait_idle(lc_app *app, int timeout_ms);
/* Waits for the agent thread; returns the exit code as lc_ui_run does. */
int lc_ui_join(lc_app *app);
/* Queues keys as if typed: plain characters, and names in angle brackets:
 * <Enter> <Tab> <S-Tab> <Esc> <BS> <Space> <Up> <Down> <Left> <Right>
 * <PgUp> <PgDn> <Home> <End> <F1>..<F12> <C-a>..<C-z> <lt> (a literal '<'),
 * <M-Enter> (Alt-Enter), <PasteBegin> <PasteEnd> (a terminal's bracketed
 * paste markers) and mouse events <Click:ROW:COL>, <WheelUp:ROW:COL>,
 * <WheelDown:ROW:COL> (0-based screen cells).
 * LC_EINVAL for an unknown name (nothing is queued). */
int lc_ui_feed_keys(lc_app *app, const char *keys, lc_err *err);
/* Changes the terminal size as a SIGWINCH would. */
void lc_ui_resize(lc_app *app, int rows, int cols);
/* Appends the screen as text: rows lines of cols cells, trailing spaces cut,
 * each line ending in '\n'. A wide character fills its cells once. */
void lc_ui_dump_screen(lc_app *app, lc_buf *out);
/* The colour role of the cell at (row, col) by name ("stderr", "diff_add"...),
 * so tests can check colours without knowing the palette. */
const char *lc_ui_role_at(lc_app *app, int row, int col);

/* ---- keymap and themes (also used by docs and tests) ------------------- */

/* Appends the "Keys" section of docs/user-guide.md (Markdown table) as the
 * keymap table produces it, with the default bindings. */
void lc_ui_keys_markdown(lc_buf *out);
/* Checks ui.keys ("action=key" pairs) as lc_ui_new would apply them, without
 * starting curses: unknown actions and keys, and a question key that another
 * action also uses. */
int lc_ui_keys_check(const lc_strv *pairs, lc_err *err);
/* Checks a theme file or name (in themes_dir) without starting curses. */
int lc_ui_theme_check(const char *name_or_path, const char *themes_dir, lc_err *err);

#endif
