/* The application: curses on a real or virtual terminal, the agent thread,
 * the loop that drains agent events and keys, and the frame painted from the
 * models. The one lc_app is the UI's only mutable state. */
#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ui/ui_int.h"

static void setup_locale(void)
{
    /* Wide characters need a UTF-8 locale; keep the user's if it is one. */
    const char *cur = setlocale(LC_CTYPE, NULL);
    if (cur && strcmp(cur, "C") != 0 && strcmp(cur, "POSIX") != 0)
        return;
    setlocale(LC_CTYPE, "");
    if (strcmp(nl_langinfo(CODESET), "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8");
}

static int term_colors(const lc_ui_opts *o, bool *defaults)
{
    *defaults = false;
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    if (!has_colors() || start_color() != OK)
        return 0;
    *defaults = use_default_colors() == OK;
    int c = COLORS >= 256 ? 256 : COLORS >= 16 ? 16 : COLORS >= 8 ? 8 : 0;
    if (o->virtual_term && o->colors < c)
        c = o->colors >= 256 ? 256 : o->colors >= 16 ? 16 : o->colors >= 8 ? 8 : 0;
    return c;
}

/* The terminal's own strings to leave the full-screen mode, kept so a
 * process that must exit at once can still give the terminal back. */
static void capture_restore(lc_app *app)
{
    const char *caps[] = {"sgr0", "cnorm", "rmcup"};
    static const char paste_off[] = "\033[?2004l\033[?1000l\033[?1006l"; /* bracketed paste and the mouse back off */
    size_t off = sizeof paste_off - 1;
    memcpy(app->restore.seq, paste_off, off);
    for (size_t i = 0; i < 3; i++) {
        const char *v = tigetstr((char *)caps[i]);
        if (!v || v == (char *)-1)
            continue;
        size_t n = strlen(v);
        if (off + n >= sizeof app->restore.seq)
            break;
        memcpy(app->restore.seq + off, v, n);
        off += n;
    }
    app->restore.len = off;
}

void lc_ui_restore_terminal(lc_app *app)
{
    if (!app || app->opts.virtual_term)
        return;
    int fd = fileno(app->out_fp);
    size_t off = 0;
    while (off < app->restore.len) {
        ssize_t n = write(fd, app->restore.seq + off, app->restore.len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (write(fd, "\r\n", 2) < 0) {
        /* nothing to do: the process is exiting */
    }
    if (app->restore.have_tio)
        tcsetattr(fileno(app->in_fp), TCSADRAIN, &app->restore.tio);
}

void lc_ui_stop(lc_app *app)
{
    atomic_store(&app->stop_requested, true);
    ui_wake(app);
}

static char *describe_agent(const lc_config *cfg)
{
    if (!cfg)
        return lc_xstrdup("code");
    const char *type = lc_agent_type_name(cfg->agent.type);
    if (cfg->agent.profile)
        return lc_xasprintf("%s/%s", type, cfg->agent.profile);
    return lc_xstrdup(type);
}

lc_app *lc_ui_new(const lc_ui_opts *opts, lc_err *err)
{
    lc_ui_opts dflt = LC_UI_OPTS_INIT;
    if (!opts)
        opts = &dflt;
    lc_app *app = lc_xcalloc(1, sizeof *app);
    app->in_hold = -1;
    app->opts = *opts;
    app->cfg = opts->cfg;
    if (app->opts.approval_guard_ms < 0)
        app->opts.approval_guard_ms = 300;
    /* --yes, security.auto_approve and --approve all: no step asks (X turns it off). */
    atomic_store(&app->auto_approve, app->cfg && lc_config_approve_mode(app->cfg) == LC_APPROVE_ALL);
    app->approve_reads = app->cfg && lc_config_approve_mode(app->cfg) == LC_APPROVE_READS;
    const char *theme = opts->theme ? opts->theme : (app->cfg && app->cfg->ui.theme ? app->cfg->ui.theme : "dark");
    if (ui_theme_load(&app->theme, theme, opts->themes_dir, err) != LC_OK)
        goto fail;
    ui_keymap_defaults(&app->keys);
    if (app->cfg && ui_keymap_bind(&app->keys, &app->cfg->ui.key_bindings, err) != LC_OK)
        goto fail;

    setup_locale();
    if (opts->virtual_term) {
        /* Output to an unlinked in-memory file kept empty (a sparse file
         * costs nothing); input from a pipe nobody writes. No /dev/null:
         * a test elsewhere may have replaced it with a regular file. */
        int ofd = memfd_create("litecode-ui-screen", MFD_CLOEXEC);
        int p[2] = {-1, -1};
        if (ofd >= 0 && pipe2(p, O_CLOEXEC) == 0) {
            app->out_fp = fdopen(ofd, "w");
            app->in_fp = fdopen(p[0], "r");
            app->in_hold = p[1];
        } else if (ofd >= 0) {
            close(ofd);
        }
    } else {
        app->out_fp = fdopen(dup(opts->out_fd >= 0 ? opts->out_fd : STDOUT_FILENO), "w");
        app->in_fp = fdopen(dup(opts->in_fd >= 0 ? opts->in_fd : STDIN_FILENO), "r");
    }
    if (!app->out_fp || !app->in_fp) {
        lc_err_errno(err, LC_EIO, errno, "opening the terminal");
        goto fail;
    }
    if (!opts->virtual_term)
        app->restore.have_tio = tcgetattr(fileno(app->in_fp), &app->restore.tio) == 0;
    const char *term = opts->virtual_term ? "xterm-256color" : NULL;
    if (!opts->virtual_term && (!getenv("TERM") || !*getenv("TERM")))
        term = "xterm";
    app->scr = newterm(term, app->out_fp, app->in_fp);
    if (!app->scr) {
        lc_err_set(err, LC_EINVAL,
                   "cannot start the terminal UI (TERM=%s unknown?): set TERM, or use --headless",
                   term ? term : (getenv("TERM") ? getenv("TERM") : ""));
        goto fail;
    }
    set_term(app->scr);
    if (!opts->virtual_term)
        capture_restore(app);
    raw(); /* Ctrl-C is a key here: it interrupts the step, not litecode */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    scrollok(stdscr, FALSE);
    set_escdelay(25);
    /* Bracketed paste: the terminal wraps pasted text in these markers, so
     * a paste is text for the input line and never keys (a "y" in it must
     * not approve a step). */
    define_key("\033[200~", UI_KPASTE_BEGIN_CODE);
    define_key("\033[201~", UI_KPASTE_END_CODE);
    ui_term_paste_mode(app, true);
    ui_mouse_mode(app, true);
    curs_set(0);
    if (opts->virtual_term && opts->rows > 0 && opts->cols > 0)
        resizeterm(opts->rows, opts->cols);
    getmaxyx(stdscr, app->rows, app->cols);
    bool defaults = false;
    app->colors = term_colors(opts, &defaults);
    ui_theme_apply(&app->theme, app->colors, defaults);

    ui_events_init(app);
    app->in = ui_input_new();
    const char *trace = getenv("LITECODE_UI_TRACE");
    if (trace && *trace)
        app->trace.fp = fopen(trace, "we"); /* a benchmark's file: a failure only means no trace */
    ui_layout_default(&app->layout);
#define UI_PANE_OPS_PTR(id, ops, column, share) &ops,
    static const ui_pane_ops *const ops[UI_P_COUNT] = {UI_PANES(UI_PANE_OPS_PTR)};
#undef UI_PANE_OPS_PTR
    for (int i = 0; i < UI_P_COUNT; i++) {
        app->panes[i].ops = ops[i];
        if (ops[i]->open)
            ops[i]->open(app, &app->panes[i]);
    }
    /* The status bar is narrow: replay:/long/path/session.jsonl shows as replay:session.jsonl. */
    const char *model = app->cfg && app->cfg->model.name ? app->cfg->model.name : "demo";
    const char *slash = lc_str_starts_with(model, "replay:") ? strrchr(model, '/') : NULL;
    app->status.model = slash ? lc_xasprintf("replay:%s", slash + 1) : lc_xstrdup(model);
    app->status.agent_desc = describe_agent(app->cfg);
    app->status.exec_desc = opts->executor ? lc_executor_describe(opts->executor) : NULL;
    app->status.max_steps = app->cfg ? app->cfg->agent.max_steps : 0;
    app->status.start_ms = lc_now_ms();
    app->rc = -1;
    app->want_task = opts->ask_task;
    if (app->want_task) {
        ui_input_start(app, UI_IN_TASK, NULL);
        ui_conv_addf(app, UI_R_PROMPT, "What should the agent do? Type the task below and press Enter.");
    }
    ui_diff_refresh(app);
    ui_redraw(app);
    return app;
fail:
    if (app->out_fp)
        fclose(app->out_fp);
    if (app->in_fp)
        fclose(app->in_fp);
    if (app->in_hold >= 0)
        close(app->in_hold);
    free(app);
    return NULL;
}

void lc_ui_free(lc_app *app)
{
    if (!app)
        return;
    if (app->th_started)
        lc_ui_join(app);
    set_term(app->scr);
    ui_term_paste_mode(app, false);
    endwin();
    delscreen(app->scr);
    fclose(app->out_fp);
    fclose(app->in_fp);
    if (app->in_hold >= 0)
        close(app->in_hold);
    ui_events_free(app);
    if (app->trace.fp)
        fclose(app->trace.fp);
    for (int i = 0; i < UI_P_COUNT; i++)
        if (app->panes[i].ops->close)
            app->panes[i].ops->close(app, &app->panes[i]);
    lc_buf_free(&app->paste.text);
    lc_buf_free(&app->copied);
    if (app->llm_own)
        lc_llm_destroy(app->llm_own);
    free(app->model_cfg.name);
    free(app->model_next);
    ui_input_free(app->in);
    ui_lines_free(&app->help_text);
    ui_grants_close(app);
    free(app->status.model);
    free(app->status.agent_desc);
    free(app->status.exec_desc);
    free(app->task);
    free(app->keyq.v);
    free(app);
}

lc_observer lc_ui_observer(lc_app *app)
{
    return ui_make_observer(app);
}

lc_workspace_hooks lc_ui_workspace_hooks(lc_app *app)
{
    return ui_make_hooks(app);
}

void ui_flash(lc_app *app, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->flash, sizeof app->flash, fmt, ap);
    va_end(ap);
    app->flash_until = lc_now_ms() + 4000;
}

/* ---- the agent thread ----------------------------------------------------- */

static void post_text(lc_app *app, lc_event_kind kind, const char *text, int code)
{
    lc_event ev = {.kind = kind, .text = text, .len = strlen(text), .code = code};
    lc_observer o = ui_make_observer(app);
    o.event(o.ctx, &ev);
}

/* opts.prepare's progress: a line for the Output pane. */
static void post_line(void *ctx, const char *text)
{
    lc_app *app = ctx;
    char *l = lc_xasprintf("%s\n", text);
    lc_event ev = {.kind = LC_EV_OUTPUT, .text = l, .len = strlen(l), .stream = LC_STREAM_STDOUT};
    lc_observer o = ui_make_observer(app);
    o.event(o.ctx, &ev);
    free(l);
}

/* opts.prepare's progress: a missing image is built or loaded; what says which. */
static void post_building(void *ctx, const char *what)
{
    lc_app *app = ctx;
    post_text(app, LC_EV_INFO, what ? what : "building the sandbox image...", 0);
    atomic_store(&app->building, true);
}

/* opts.prepare's progress: the container starts ("starting the sandbox"). */
static void post_starting(void *ctx)
{
    lc_app *app = ctx;
    atomic_store(&app->building, false);
    post_text(app, LC_EV_INFO, "starting the sandbox...", 0);
}

/* opts.prepare's progress: what the user should know of the started sandbox. */
static void post_note(void *ctx, const char *text)
{
    post_text(ctx, LC_EV_INFO, text, 0);
}

void ui_model_pick_set(lc_app *app, ui_model_pick pick, char *name)
{
    pthread_mutex_lock(&app->mu);
    free(app->model_next);
    app->model_next = name;
    app->model_pick = pick;
    pthread_cond_broadcast(&app->cv);
    pthread_mutex_unlock(&app->mu);
}

/* On the agent thread, after a model error: waits for the user's pick and
 * makes the new model when asked. false: the session ends. */
static bool ask_model_pick(lc_app *app, lc_err *err)
{
    for (;;) {
        pthread_mutex_lock(&app->mu);
        app->model_pick = UI_MP_WAITING;
        pthread_mutex_unlock(&app->mu);
        ui_wake(app);
        pthread_mutex_lock(&app->mu);
        while (app->model_pick == UI_MP_WAITING && !app->quit) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec++;
            pthread_cond_timedwait(&app->cv, &app->mu, &ts);
        }
        ui_model_pick pick = app->quit ? UI_MP_END : app->model_pick;
        char *name = app->model_next;
        app->model_next = NULL;
        app->model_pick = UI_MP_NONE;
        pthread_mutex_unlock(&app->mu);
        if (pick == UI_MP_RETRY) {
            free(name);
            post_text(app, LC_EV_INFO, "retrying: the session goes on from where the model failed", 0);
            return true;
        }
        if (pick != UI_MP_CHANGE || !name) {
            free(name);
            return false;
        }
        lc_model_config mc = app->cfg ? app->cfg->model : (lc_model_config){0};
        mc.name = name;
        bool same_provider = app->cfg && app->cfg->model.name && strchr(name, '/') &&
                             strncmp(app->cfg->model.name, name, (size_t)(strchr(name, '/') - name) + 1) == 0;
        if (!same_provider) /* another provider: its own address and key */
            mc.base_url = mc.api_key_env = NULL;
        lc_llm *llm = NULL;
        lc_err e = {0};
        if (lc_llm_new(&mc, &llm, &e) != LC_OK) {
            char *msg = lc_xasprintf("model %s: %s", name, e.msg);
            post_text(app, LC_EV_ERROR, msg, e.code);
            free(msg);
            free(name);
            continue; /* ask again */
        }
        /* The model in use before is no longer asked; one made here earlier is freed at the end. */
        lc_llm *old = app->llm_own;
        lc_agent_set_llm(app->agent, llm);
        app->llm_own = llm;
        if (old)
            lc_llm_destroy(old);
        free(app->model_cfg.name);
        app->model_cfg = mc;
        char *msg = lc_xasprintf("model changed to %s: the session goes on from where it failed", name);
        post_text(app, LC_EV_INFO, msg, 0);
        free(msg);
        (void)err;
        return true;
    }
}

static void *agent_main(void *arg)
{
    lc_app *app = arg;
    lc_err err = {0};
    char *answer = NULL;
    lc_agent_outcome outcome = LC_AGENT_FAILED;
    int rc = LC_OK;
    if (app->opts.prepare) {
        /* The session readies the sandbox (session.c); the UI shows it. */
        lc_ui_progress p = {app, post_building, post_line, post_starting, post_note};
        rc = app->opts.prepare(app->opts.prepare_ctx, &p, &app->prepare_cancel, &err);
        atomic_store(&app->building, false);
        if (rc != LC_OK) {
            bool stopped = rc == LC_ECANCEL; /* the user stopped the image build */
            post_text(app, stopped ? LC_EV_INFO : LC_EV_ERROR, err.msg, rc);
            post_text(app, LC_EV_DONE, stopped ? "stopped" : "failed", 0);
            app->rc = stopped ? LC_EXIT_STOPPED : LC_EXIT_ERROR;
            atomic_store(&app->th_done, true);
            ui_wake(app);
            return NULL;
        }
        atomic_store(&app->sandbox_up, true);
        char *d = app->opts.executor ? lc_executor_describe(app->opts.executor) : NULL;
        char *msg = lc_xasprintf("sandbox ready: %s", d ? d : "");
        post_text(app, LC_EV_INFO, msg, 0);
        free(msg);
        free(d);
    }
    /* No task given: the user types it in the UI (or quits). */
    pthread_mutex_lock(&app->mu);
    bool no_task = false;
    while (app->want_task && !app->quit && !atomic_load(&app->prepare_cancel)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100 * 1000 * 1000;
        if (ts.tv_nsec >= 1000000000L)
            ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&app->cv, &app->mu, &ts);
    }
    no_task = app->want_task;
    pthread_mutex_unlock(&app->mu);
    if (no_task) {
        post_text(app, LC_EV_DONE, "ended before a task was given", 0);
        app->rc = LC_EXIT_OK;
        atomic_store(&app->th_done, true);
        ui_wake(app);
        return NULL;
    }
    const char *task = app->task;
    for (;;) {
        rc = lc_agent_run(app->agent, task, &outcome, &answer, &err);
        free(answer);
        answer = NULL;
        /* Only an error of the model's side, which a retry or another model
         * may cure, as the agent says where it asked the model (a
         * container's timeout is LC_ETIMEOUT too, and ends the session). */
        if (rc == LC_OK || lc_agent_last_failure(app->agent) != LC_AGENT_FAIL_MODEL || !ask_model_pick(app, &err))
            break;
        task = NULL; /* the same task goes on from where it failed */
        lc_err_clear(&err);
    }
    app->outcome = rc == LC_OK ? outcome : LC_AGENT_FAILED;
    app->rc = lc_agent_exit_code(rc, outcome);
    if (rc != LC_OK) {
        lc_event ev = {.kind = LC_EV_ERROR, .text = err.msg, .len = strlen(err.msg), .code = rc};
        lc_observer o = ui_make_observer(app);
        o.event(o.ctx, &ev);
    }
    atomic_store(&app->th_done, true);
    ui_wake(app);
    return NULL;
}

int lc_ui_start(lc_app *app, lc_agent *agent, const char *task)
{
    if (!agent || app->th_started)
        return LC_ESTATE;
    app->agent = agent;
    app->task = task ? lc_xstrdup(task) : NULL;
    if (task)
        app->want_task = false;
    app->status.state = app->opts.prepare ? UI_ST_STARTING : UI_ST_THINKING;
    if (pthread_create(&app->th, NULL, agent_main, app) != 0)
        return LC_EIO;
    app->th_started = true;
    return LC_OK;
}

int lc_ui_join(lc_app *app)
{
    if (!app->th_started)
        return app->rc < 0 ? LC_EXIT_OK : app->rc;
    if (!atomic_load(&app->th_done)) {
        pthread_mutex_lock(&app->mu);
        app->quit = true;
        pthread_cond_broadcast(&app->cv); /* a wait for the task ends */
        pthread_mutex_unlock(&app->mu);
        atomic_store(&app->prepare_cancel, true);
        lc_agent_stop(app->agent);
        /* A question still open would keep the agent waiting forever. */
        while (!atomic_load(&app->th_done)) {
            ui_ask_service(app, true);
            lc_sleep_ms(5);
        }
    }
    pthread_join(app->th, NULL);
    app->th_started = false;
    ui_events_drop(app);
    return app->rc < 0 ? LC_EXIT_ERROR : app->rc;
}

/* ---- the loop --------------------------------------------------------------- */

/* What process found: agent events (drawn at the frame rate) or keys (drawn at once). */
enum { GOT_EVENTS = 1, GOT_KEYS = 2 };

/* Bytes of agent events applied in one turn of the loop before the keys are
 * read and a frame may be drawn. Output queued while this thread was not
 * running (a busy machine, a step printing megabytes at once) would
 * otherwise all be parsed before a key is even looked at; the rest waits for
 * the next turn, which comes at once. */
#define EVENT_BUDGET (128 * 1024)

static bool apply_events(lc_app *app)
{
    if (!app->todo)
        app->todo = ui_events_take(app);
    bool any = app->todo != NULL;
    size_t bytes = 0;
    while (app->todo && bytes < EVENT_BUDGET) {
        ui_event *e = app->todo;
        app->todo = e->next;
        bytes += e->len + 64; /* an event without text costs something too */
        ui_apply_event(app, e);
        ui_event_free(e);
    }
    return any;
}

static unsigned process(lc_app *app)
{
    if (atomic_load(&app->stop_requested) && !app->quit) {
        pthread_mutex_lock(&app->mu);
        app->quit = true; /* lc_ui_join answers the question and stops the agent */
        pthread_mutex_unlock(&app->mu);
        return GOT_KEYS;
    }
    /* A question waits until every event before it is on screen: the step
     * it asks about is shown in full before it can be answered. The agent
     * queues its events before it asks, under the same lock, so a question
     * seen here has all of them in the queue that is taken next; seen after
     * the take, it could come with events not yet taken. */
    pthread_mutex_lock(&app->mu);
    bool pending = app->ask.kind != UI_ASK_NONE && !app->ask.shown && !app->ask.answered;
    bool model_failed = app->model_pick == UI_MP_WAITING;
    pthread_mutex_unlock(&app->mu);
    bool dirty = apply_events(app); /* events left for the next turn keep it from waiting */
    if (app->todo)
        pending = model_failed = false;
    /* The model failed: ask what to do, once the input line is free. */
    if (model_failed && ui_input_mode(app) == UI_IN_NONE) {
        ui_input_set_mode(app, UI_IN_MODEL_FAILED);
        dirty = true;
    }
    if (pending) {
        ui_ask_service(app, false);
        dirty = true;
    }
    unsigned r = 0;
    if (atomic_exchange(&app->sigint, false)) /* SIGINT: the Ctrl-C key's meaning, not the input line's */
        r |= ui_approval_key(app, UI_A_INTERRUPT, 3);
    if (app->trace.fp && !app->trace.key_s && app->keyq.pos < app->keyq.n)
        app->trace.key_s = lc_now_s();
    while (app->keyq.pos < app->keyq.n) {
        r |= ui_key_in(app, app->keyq.v[app->keyq.pos++]);
        if (r & UI_QUIT)
            break;
    }
    if (app->keyq.pos == app->keyq.n)
        app->keyq.pos = app->keyq.n = 0;
    if (!app->opts.virtual_term) {
        wint_t wc;
        int kr;
        while ((kr = wget_wch(stdscr, &wc)) != ERR) {
            if (app->trace.fp && !app->trace.key_s)
                app->trace.key_s = lc_now_s();
            int key = kr == KEY_CODE_YES ? UI_KFN(wc) : (int)wc;
            if (key == 27 && !app->paste.on) {
                /* Alt-Enter comes as Esc then Enter: a line break in the input line. */
                wint_t wc2;
                int kr2 = wget_wch(stdscr, &wc2);
                if (kr2 == OK && (wc2 == '\r' || wc2 == '\n')) {
                    r |= ui_key_in(app, UI_KEY_NEWLINE);
                    continue;
                }
                r |= ui_key_in(app, key);
                if (kr2 == ERR)
                    continue;
                key = kr2 == KEY_CODE_YES ? UI_KFN(wc2) : (int)wc2;
            }
            r |= ui_key_in(app, key);
        }
    }
    if (r & UI_QUIT) {
        pthread_mutex_lock(&app->mu); /* the agent thread reads it */
        app->quit = true;
        pthread_mutex_unlock(&app->mu);
    }
    return (dirty ? GOT_EVENTS : 0) | (r ? GOT_KEYS : 0);
}

/* Frames for agent events are paced on a real terminal: output streaming at
 * thousands of lines a second would otherwise repaint the pane for every
 * chunk and fill the terminal's input with frames nobody sees, and a key's
 * frame would wait behind them. A key is drawn at once. The virtual
 * terminal draws every pump (tests read the screen right after). */
#define FRAME_MS 33

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void trace_begin(lc_app *app)
{
    if (app->trace.fp) {
        app->trace.turn_s = lc_now_s();
        app->trace.cpu_s = thread_cpu_s();
    }
}

/* LITECODE_UI_TRACE: a line per turn that did something: the turn's time
 * (a key arriving meanwhile waits at most that long to be read), the CPU
 * time this thread used in it (the rest is waiting for a CPU or for the
 * terminal to take the frame) and, when it read keys, the time from the
 * first key read to its frame written. */
static void trace_turn(lc_app *app, unsigned got)
{
    if (!app->trace.fp || !got)
        return;
    double now = lc_now_s();
    lc_text_fprintf(app->trace.fp, "turn_us %.0f key_to_frame_us %.0f cpu_us %.0f\n",
                    (now - app->trace.turn_s) * 1e6, app->trace.key_s ? (now - app->trace.key_s) * 1e6 : -1.0,
                    (thread_cpu_s() - app->trace.cpu_s) * 1e6);
    fflush(app->trace.fp);
    app->trace.key_s = 0;
}

bool lc_ui_pump(lc_app *app, int timeout_ms)
{
    set_term(app->scr);
    bool busy = app->status.state == UI_ST_THINKING || app->status.state == UI_ST_RUNNING;
    trace_begin(app);
    unsigned got = process(app);
    if (!got) {
        struct pollfd fds[2] = {{app->wake[0], POLLIN, 0}, {-1, POLLIN, 0}};
        if (!app->opts.virtual_term)
            fds[1].fd = fileno(app->in_fp);
        int wait = busy && timeout_ms > 100 ? 100 : timeout_ms;
        if (app->frame_due) { /* a paced frame is owed: wake for it */
            int64_t left = app->frame_ms + FRAME_MS - lc_now_ms();
            if (left < wait)
                wait = left > 0 ? (int)left : 0;
        }
        if (poll(fds, 2, wait) > 0) {
            char buf[256];
            while (read(app->wake[0], buf, sizeof buf) > 0) {
            }
        }
        trace_begin(app); /* the wait is not work */
        got = process(app);
    }
    ui_paste_tick(app);
    app->status.spin++;
    int64_t now = lc_now_ms();
    if (app->opts.virtual_term || (got & GOT_KEYS) || now - app->frame_ms >= FRAME_MS || app->quit) {
        ui_redraw(app);
        app->frame_ms = now;
        app->frame_due = false;
    } else {
        app->frame_due = true;
    }
    trace_turn(app, got);
    if (app->opts.virtual_term && lseek(fileno(app->out_fp), 0, SEEK_END) > (1 << 20)) {
        fflush(app->out_fp);
        if (ftruncate(fileno(app->out_fp), 0) == 0)
            lseek(fileno(app->out_fp), 0, SEEK_SET);
    }
    return !app->quit;
}

bool lc_ui_wait_for(lc_app *app, const char *text, int timeout_ms)
{
    int64_t end = lc_now_ms() + timeout_ms;
    lc_buf b = LC_BUF_INIT;
    bool found = false;
    do {
        lc_ui_pump(app, 10);
        lc_buf_reset(&b);
        lc_ui_dump_screen(app, &b);
        found = strstr(lc_buf_cstr(&b), text) != NULL;
    } while (!found && lc_now_ms() < end);
    lc_buf_free(&b);
    return found;
}

bool lc_ui_wait_idle(lc_app *app, int timeout_ms)
{
    int64_t end = lc_now_ms() + timeout_ms;
    while (lc_now_ms() < end) {
        lc_ui_pump(app, 10);
        if (!app->th_started || atomic_load(&app->th_done)) {
            do /* what the agent said last, past the loop's budget */
                lc_ui_pump(app, 0);
            while (app->todo && lc_now_ms() < end);
            return true;
        }
    }
    return false;
}

void lc_ui_resize(lc_app *app, int rows, int cols)
{
    set_term(app->scr);
    resizeterm(rows, cols);
    ui_take_size(app);
    ui_redraw(app);
}

int lc_ui_run(lc_app *app, lc_agent *agent, const char *task)
{
    if (agent && lc_ui_start(app, agent, task) != LC_OK)
        return LC_EXIT_ERROR;
    if (!agent) { /* through the queue: after a resumed session's history, which is queued too */
        post_text(app, LC_EV_INFO, "No agent: only the diff review is open. q quits.", 0);
        post_text(app, LC_EV_DONE, "under review (no agent runs)", 0); /* the status says done, not thinking */
    }
    if (!agent && app->opts.review) { /* --review: the review is what there is */
        app->focus = UI_P_DIFF;
        ui_diff_refresh(app);
    }
    const char *script = getenv("LITECODE_UI_SCRIPT");
    if (script && *script)
        ui_script_run(app, script);
    while (!app->quit)
        lc_ui_pump(app, 1000);
    return lc_ui_join(app);
}

/* ---- the frame ------------------------------------------------------------- */

void ui_apply_event(lc_app *app, const ui_event *e)
{
    ui_status_event(app, e);
    for (int i = 0; i < UI_P_COUNT; i++) {
        ui_pane *p = &app->panes[i];
        if (p->ops->event)
            p->ops->event(app, p, e);
    }
}

static void draw_pane(lc_app *app, int i, ui_rect r)
{
    ui_pane *p = &app->panes[i];
    bool focus = app->focus == i;
    attr_t ta = app->theme.attr[focus ? UI_R_TITLE_FOCUS : UI_R_TITLE];
    ui_fill(app, r.y, r.x, r.w, ta);
    char sub[128] = "";
    if (p->ops->subtitle)
        p->ops->subtitle(app, p, sub, sizeof sub);
    ui_draw_fmt(app, r.y, r.x, r.w, ta, "%s %s %s%s", focus ? ">" : " ", p->ops->title, sub,
                app->zoom && focus ? "  [zoomed: z]" : "");
    p->rect = (ui_rect){r.y + 1, r.x, r.h - 1, r.w};
    p->ops->draw(app, p, p->rect);
}

void ui_redraw(lc_app *app)
{
    set_term(app->scr);
    erase();
    attr_t normal = app->theme.attr[UI_R_NORMAL];
    bkgdset(' ' | normal);
    if (ui_too_small(app)) {
        int y = app->rows / 2 - 1;
        ui_draw_fmt(app, y > 0 ? y : 0, 0, app->cols, app->theme.attr[UI_R_ERROR],
                    "Terminal too small: %dx%d.", app->cols, app->rows);
        ui_draw_fmt(app, y + 1, 0, app->cols, normal, "litecode-tui needs at least 80x24.");
        ui_draw_fmt(app, y + 2, 0, app->cols, normal, "Enlarge the window; the session goes on.");
        refresh();
        return;
    }
    ui_rect area = {0, 0, app->rows - 2, app->cols};
    if (app->help) {
        ui_help_draw(app, area);
    } else if (app->grants) {
        ui_grants_draw(app, area);
    } else if (app->zoom) {
        draw_pane(app, app->focus, area);
    } else {
        ui_rect rects[UI_P_COUNT];
        ui_layout_compute(&app->layout, area, rects);
        for (int i = 0; i < UI_P_COUNT; i++) {
            draw_pane(app, i, rects[i]);
            if (rects[i].x > 0) /* the separator to the left of a pane */
                for (int y = 0; y < rects[i].h; y++)
                    ui_draw_text(app, rects[i].y + y, rects[i].x - 1, 1, "\u2502", 3,
                                 app->theme.attr[UI_R_SEPARATOR]);
        }
    }
    ui_status_draw(app, app->rows - 2);
    ui_input_draw(app, app->rows - 1);
    refresh();
}
