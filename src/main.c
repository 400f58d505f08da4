/* litecode-tui: wiring only. Parses flags, loads and validates the config
 * (security rules first: nothing starts before validation passes), builds
 * the session and hands it to the TUI or the headless front end. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "config/config.h"
#include "core/core.h"
#include "diff/diff.h"
#include "demo.h"
#include "exec/exec.h"
#include "session.h"
#include "ui/ui.h"

static int fail(int status, const char *what, const lc_err *err)
{
    lc_text_fprintf(stderr, "litecode-tui: %s%s%s\n", what ? what : "", what ? ": " : "", err->msg);
    return lc_exit_code_for(status);
}

/* ---- signals: a thread turns them into requests ------------------------ */

typedef struct signal_ctx {
    sigset_t set;
    /* The signal thread holds lock while it uses agent, ex, ui or headless;
     * main changes them only under it (sc_publish), so once a pointer is
     * cleared nothing of this thread still uses what it pointed to, and
     * main may free it. */
    pthread_mutex_t lock;
    _Atomic(lc_agent *) agent;
    _Atomic(lc_executor *) ex;
    _Atomic(lc_app *) ui; /* the TUI while it runs */
    _Atomic(lc_headless *) headless;
    atomic_int interrupts;
    atomic_bool finished;     /* main is past the session: nothing left to clean up here */
    atomic_bool building;     /* headless: the sandbox image is being built */
    atomic_bool cancel_build; /* ... and a signal asked to stop it */
} signal_ctx;

/* Sets one of the signal thread's pointers; when it returns, the thread no
 * longer uses the old value. */
#define sc_publish(sc, field, value)                 \
    do {                                             \
        pthread_mutex_lock(&(sc)->lock);             \
        atomic_store(&(sc)->field, (value));         \
        pthread_mutex_unlock(&(sc)->lock);           \
    } while (0)

/* A session asked to end gets a few seconds to end by itself (the kernel's
 * stdin closes, the container is removed); after that, or on a second
 * request, the container is removed here and the process exits. */
static _Noreturn void exit_now(signal_ctx *sc, int sig)
{
    lc_executor *ex = atomic_load(&sc->ex);
    lc_app *ui = atomic_load(&sc->ui);
    if (ui)
        lc_ui_restore_terminal(ui);
    if (ex && !atomic_load(&sc->finished))
        lc_sandbox_kill(ex);
    _exit(128 + sig);
}

static void *signal_thread(void *arg)
{
    signal_ctx *sc = arg;
    int64_t deadline = 0;
    int pending = 0;
    for (;;) {
        int sig = 0;
        if (deadline) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            sig = sigtimedwait(&sc->set, NULL, &ts);
            if (sig < 0) {
                if (lc_now_ms() >= deadline) {
                    pthread_mutex_lock(&sc->lock);
                    exit_now(sc, pending);
                }
                continue;
            }
        } else if (sigwait(&sc->set, &sig) != 0) {
            continue;
        }
        pthread_mutex_lock(&sc->lock); /* exit_now keeps it: main cannot free under us */
        lc_agent *agent = atomic_load(&sc->agent);
        lc_executor *ex = atomic_load(&sc->ex);
        lc_app *tui = atomic_load(&sc->ui);
        if (sig == SIGINT && tui && !deadline) {
            lc_ui_interrupt(tui); /* the Ctrl-C key's meaning: twice within 3 s stops */
            continue;
        }
        if (sig == SIGINT && atomic_fetch_add(&sc->interrupts, 1) == 0 && ex && agent) {
            lc_text_fprintf(stderr, "\nlitecode-tui: interrupting the step (Ctrl-C again stops the session)\n");
            lc_executor_interrupt(ex);
            pthread_mutex_unlock(&sc->lock);
            continue;
        }
        lc_app *ui = atomic_load(&sc->ui);
        if (!deadline && !ui && atomic_load(&sc->building)) {
            lc_text_fprintf(stderr, "\nlitecode-tui: stopping the image build\n");
            atomic_store(&sc->cancel_build, true); /* its process group is stopped, then main goes on */
            pending = sig;
            deadline = lc_now_ms() + 5000;
            pthread_mutex_unlock(&sc->lock);
            continue;
        }
        if (deadline || (!agent && !ui))
            exit_now(sc, sig); /* a second request, or nothing to stop gracefully */
        if (ui) {
            lc_ui_stop(ui); /* answers a waiting question; lc_ui_run returns */
        } else {
            lc_text_fprintf(stderr, "\nlitecode-tui: stopping the session\n");
            lc_agent_stop(agent);
            lc_headless *h = atomic_load(&sc->headless);
            if (h)
                lc_headless_stop(h); /* a question waiting on stdin ends too */
        }
        pending = sig;
        deadline = lc_now_ms() + 5000;
        pthread_mutex_unlock(&sc->lock);
    }
    return NULL;
}

/* A line of the image build's progress (already sanitized). */
static void print_progress(void *ctx, const char *line)
{
    (void)ctx;
    lc_text_fprintf(stderr, "  %s\n", line);
}

/* The TUI's prepare hook: the missing image is built behind its spinner. */
static int build_image(void *ctx, const atomic_bool *cancel, void (*line)(void *, const char *), void *lctx,
                       lc_err *err)
{
    return lc_session_build_image(ctx, cancel, line, lctx, err);
}

/* ---- config ----------------------------------------------------------------- */

/* Asks on the terminal; on yes, hash gets the hash of the bytes shown. */
static bool ask_trust(const char *dir, bool changed, char hash[LC_SHA256_HEX_LEN + 1])
{
    lc_buf q = LC_BUF_INIT;
    lc_err err = {0};
    if (lc_trust_prompt_text(dir, changed, &q, hash, &err) != LC_OK) {
        fail(err.code, "the project's .litecode.yaml is not read", &err);
        lc_buf_free(&q);
        return false;
    }
    lc_text_fputs(stderr, lc_buf_cstr(&q));
    fflush(stderr);
    lc_buf_free(&q);
    char line[64] = "";
    if (!fgets(line, sizeof line, stdin))
        return false;
    if (line[0] != 'y' && line[0] != 'Y')
        return false;
    if (lc_trust_add(dir, hash, &err) != LC_OK) {
        fail(err.code, NULL, &err);
        return false;
    }
    return true;
}

static int load_config(const lc_cli *cli, lc_config *cfg, lc_err *err)
{
    const char *dir = cli->dir ? cli->dir : ".";
    lc_config_load_opts lo = LC_CONFIG_LOAD_OPTS_INIT;
    lo.config_path = cli->config_path;
    lo.dir = dir;
    char hash[LC_SHA256_HEX_LEN + 1] = "";
    if (cli->trust) {
        /* What is trusted is the file as it is checked and shown here. */
        lc_buf shown = LC_BUF_INIT;
        int rc = lc_trust_preview(dir, &shown, hash, err);
        if (rc == LC_OK)
            rc = lc_trust_add(dir, hash, err);
        if (rc == LC_OK)
            lc_text_fprintf(stderr, "litecode-tui: trusted %s as it is now; its .litecode.yaml sets:\n%s", dir,
                    shown.len ? lc_buf_cstr(&shown) : "  (nothing)\n");
        lc_buf_free(&shown);
        if (rc != LC_OK) {
            lc_config_defaults(cfg); /* the caller frees it */
            return rc;
        }
    }
    lc_project_state ps = lc_trust_check(dir, hash);
    switch (ps) {
    case LC_PROJECT_TRUSTED:
        lo.project_trusted = true;
        break;
    case LC_PROJECT_UNTRUSTED:
    case LC_PROJECT_CHANGED:
        if (!cli->headless && isatty(STDIN_FILENO) && isatty(STDERR_FILENO) && !cli->print_config) {
            lo.project_trusted = ask_trust(dir, ps == LC_PROJECT_CHANGED, hash);
        } else {
            lc_buf b = LC_BUF_INIT;
            lc_trust_refusal_text(dir, ps == LC_PROJECT_CHANGED, &b);
            lc_text_fputs(stderr, lc_buf_cstr(&b));
            if (b.len && b.data[b.len - 1] != '\n')
                lc_text_fputs(stderr, "\n");
            lc_buf_free(&b);
        }
        break;
    case LC_PROJECT_NONE:
        break;
    }
    if (lo.project_trusted)
        lo.project_sha256 = hash;
    int rc = lc_config_load(cfg, &lo, err);
    if (rc == LC_OK)
        rc = lc_cli_apply(cli, cfg, err);
    if (rc == LC_OK && cfg->agent.profile) {
        char *data = lc_session_data_dir();
        char *user = lc_xdg_dir("config", err);
        lc_strv dirs = LC_STRV_INIT;
        if (user)
            lc_strv_push_owned(&dirs, lc_path_join(user, "agents"));
        lc_strv_push_owned(&dirs, lc_path_join(data, "agents"));
        lc_profile p;
        rc = lc_profile_find(&dirs, cfg->agent.profile, &p, err);
        if (rc == LC_OK) {
            rc = lc_profile_apply(&p, cfg, err);
            lc_profile_free(&p);
        }
        lc_strv_free(&dirs);
        free(user);
        free(data);
    }
    if (rc == LC_OK)
        rc = lc_config_validate(cfg, err);
    return rc;
}

/* What the config validation cannot see: the directory, the key bindings and
 * the theme. They are checked here, before a shadow copy is made, as usage
 * errors. */
static int check_start_options(const lc_cli *cli, const lc_config *cfg, lc_err *err)
{
    struct stat st;
    if (cli->dir && stat(cli->dir, &st) != 0)
        return lc_err_set(err, LC_EINVAL, "--dir %s: %s; give the project's directory", cli->dir, strerror(errno));
    if (cli->dir && !S_ISDIR(st.st_mode))
        return lc_err_set(err, LC_EINVAL, "--dir %s is not a directory; give the project's directory", cli->dir);
    if (lc_ui_keys_check(&cfg->ui.key_bindings, err) != LC_OK)
        return LC_EINVAL;
    if (!cfg->ui.theme)
        return LC_OK;
    char *data = lc_session_data_dir();
    char *themes = lc_path_join(data, "themes");
    int rc = lc_ui_theme_check(cfg->ui.theme, themes, err);
    free(themes);
    free(data);
    return rc == LC_OK ? LC_OK : LC_EINVAL;
}

/* ---- modes ---------------------------------------------------------------- */

static int run_check(lc_config *cfg)
{
    lc_buf out = LC_BUF_INIT;
    lc_err err = {0};
    int rc = lc_exec_check(&cfg->container, &out, &err);
    lc_text_fputs(stdout, lc_buf_cstr(&out));
    if (cfg->model.name) {
        lc_llm *llm = NULL;
        lc_err merr = {0};
        int mrc = lc_llm_new(&cfg->model, &llm, &merr);
        if (mrc == LC_OK) {
            lc_msg msg = {.role = LC_ROLE_USER, .content = (char *)"Reply with the word OK."};
            lc_llm_request req = {&msg, 1, NULL, 0};
            lc_llm_reply reply = {0};
            int64_t t0 = lc_now_ms();
            mrc = lc_llm_chat(llm, &req, NULL, &reply, &merr);
            if (mrc == LC_OK)
                lc_text_fprintf(stdout, "ok    model %s answered in %lld ms\n", cfg->model.name,
                                (long long)(lc_now_ms() - t0));
            lc_llm_reply_free(&reply);
            lc_llm_destroy(llm);
        }
        if (mrc != LC_OK) {
            char *why = lc_text_line(merr.msg); /* one line: a server's body cannot forge a check */
            lc_text_fprintf(stdout, "FAIL  model %s\n      -> %s\n", cfg->model.name, why);
            free(why);
            if (rc == LC_OK)
                rc = mrc;
        }
    } else {
        lc_text_fprintf(stdout, "info  no model configured: litecode-tui opens the bundled demo "
                                "(set model.name or --model)\n");
    }
    lc_buf_free(&out);
    return rc == LC_OK ? LC_EXIT_OK : lc_exit_code_for(rc);
}

static int write_patch(lc_session *s, const char *path)
{
    lc_err err = {0};
    if (lc_diff_refresh(s->diff, &err) != LC_OK)
        return fail(err.code, "--patch-out", &err);
    lc_buf b = LC_BUF_INIT;
    lc_diff_export_patch(s->diff, false, &b);
    struct stat st;
    int rc;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* /dev/stdout, a pipe: write into it; never replace it. */
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        rc = fd >= 0 && lc_fd_write_all(fd, b.data ? b.data : "", b.len) == 0 ? LC_OK
                                                                              : lc_err_errno(&err, LC_EIO, errno, "writing %s", path);
        if (fd >= 0)
            close(fd);
    } else {
        rc = lc_file_write_atomic(path, b.data ? b.data : "", b.len, 0644, &err);
    }
    lc_buf_free(&b);
    if (rc != LC_OK)
        return fail(rc, "--patch-out", &err);
    lc_text_fprintf(stderr, "litecode-tui: wrote the change set to %s\n", path);
    return LC_EXIT_OK;
}

static int apply_all(lc_session *s)
{
    lc_err err = {0};
    if (lc_log_failure(s->log)) { /* nothing reaches the project unrecorded */
        lc_text_fprintf(stderr, "litecode-tui: --apply: nothing applied, since the session log cannot record it (%s); the "
                        "changes stay in the shadow copy\n", lc_log_failure(s->log));
        return LC_EXIT_ERROR;
    }
    if (lc_diff_refresh(s->diff, &err) != LC_OK)
        return fail(err.code, "--apply", &err);
    lc_diff_select_all(s->diff, true);
    /* Files litecode reads itself (.litecode.yaml, tool files...) change what
     * later runs do: never applied in bulk, only picked one by one. */
    size_t held = 0;
    for (size_t i = 0; i < lc_diff_count(s->diff); i++) {
        const lc_diff_file *f = lc_diff_file_at(s->diff, i);
        if (!lc_config_reads_path(s->cfg, s->dir, f->path))
            continue;
        lc_diff_select(s->diff, i, LC_DIFF_WHOLE, false, &err);
        lc_buf b = LC_BUF_INIT;
        lc_text_sanitize(f->path, strlen(f->path), 0, &b);
        lc_text_fprintf(stderr, "  %-9s %s: litecode reads this file itself (configuration or tools), so a change to it is "
                        "never applied by --apply; review it in the TUI (litecode-tui --resume %s) and apply it "
                        "there on its own, or copy it from %s/%s by hand\n",
                "skipped", lc_buf_cstr(&b), s->log_path, s->shadow, lc_buf_cstr(&b));
        lc_buf_free(&b);
        held++;
    }
    if (held)
        lc_err_clear(&err);
    if (held && held == lc_diff_count(s->diff)) {
        lc_text_fprintf(stderr, "litecode-tui: --apply: nothing else to apply\n");
        return LC_EXIT_OK;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    int rc = lc_diff_apply(s->diff, &rep, &err);
    int logged = LC_OK;
    for (size_t i = 0; i < rep.n; i++) {
        lc_buf b = LC_BUF_INIT;
        lc_text_sanitize(rep.v[i].path, strlen(rep.v[i].path), 0, &b);
        lc_text_fprintf(stderr, "  %-9s %s%s%s\n", lc_diff_outcome_name(rep.v[i].outcome), lc_buf_cstr(&b),
                rep.v[i].message ? ": " : "", rep.v[i].message ? rep.v[i].message : "");
        if ((rep.v[i].outcome == LC_DIFF_APPLIED || rep.v[i].outcome == LC_DIFF_MERGED) && logged == LC_OK)
            logged = lc_log_hunk(s->log, true, rep.v[i].path, -1, lc_diff_outcome_name(rep.v[i].outcome), NULL);
        lc_buf_free(&b);
    }
    lc_diff_report_free(&rep);
    if (logged == LC_OK) /* else the next start says again what was written */
        lc_diff_logged(s->diff, NULL);
    if (rc != LC_OK)
        return fail(rc, "--apply", &err);
    return LC_EXIT_OK;
}

static void info_event(const lc_observer *obs, const char *text)
{
    lc_event ev = {.kind = LC_EV_INFO, .text = text, .len = strlen(text)};
    obs->event(obs->ctx, &ev);
}

/* --resume: what the session was (its directory, its model) comes from the
 * log's header unless a flag or the config says otherwise; a replayed model
 * goes on after the replies already used. */
typedef struct resume_info {
    char *dir;
    int replies;
} resume_info;

typedef struct resume_scan {
    lc_config *cfg;
    resume_info *ri;
    const char *log;
} resume_scan;

static int resume_event(void *ctx, const cJSON *ev, unsigned long line)
{
    (void)line;
    resume_scan *r = ctx;
    const char *kind = lc_json_str(ev, "kind");
    if (!strcmp(kind, "header") && !r->ri->dir) {
        const char *dir = lc_json_str(ev, "dir");
        const char *model = lc_json_str(cJSON_GetObjectItemCaseSensitive(ev, "model"), "name");
        r->ri->dir = lc_xstrdup(dir);
        if (model && !r->cfg->model.name) {
            lc_err err = {0};
            if (lc_config_set(r->cfg, "model.name", model, LC_ORIGIN_FILE, r->log, &err) != LC_OK)
                return err.code;
        }
    } else if (!strcmp(kind, "model_reply")) {
        r->ri->replies++;
    }
    return LC_OK;
}

static int read_resume(const char *log, lc_config *cfg, resume_info *ri, lc_err *err)
{
    resume_scan r = {cfg, ri, log};
    lc_log_info info;
    int rc = lc_log_scan(log, 0, resume_event, &r, &info, err);
    if (rc != LC_OK) {
        lc_err_prefix(err, "--resume %s", log);
        return rc;
    }
    if (!ri->dir)
        rc = lc_err_set(err, LC_EINVAL, "--resume %s: %s", log,
                        info.events == 0 && !info.cut ? "the log is empty: no session was recorded in it"
                                                      : "the log has no header; is it a litecode session log?");
    return rc;
}

static int run_headless(const lc_cli *cli, lc_config *cfg, signal_ctx *sc, lc_session *s, const char *task)
{
    lc_err err = {0};
    int rc = LC_OK, code = LC_EXIT_ERROR;
    if (s->image_script) {
        lc_text_fprintf(stderr, "litecode-tui: the sandbox image %s is missing; building it (the first time "
                                "takes about a minute)\n", cfg->container.image);
        atomic_store(&sc->building, true);
        rc = lc_session_build_image(s, &sc->cancel_build, print_progress, NULL, &err);
        atomic_store(&sc->building, false);
    }
    if (rc == LC_OK)
        rc = lc_executor_start(s->ex, &err);
    lc_headless *h = lc_headless_new(stdin, stdout, cfg->security.auto_approve);
    lc_observer obs = lc_headless_observer(h);
    lc_workspace_hooks ws = lc_session_workspace_hooks(s);
    lc_agent *agent = NULL;
    if (rc == LC_OK)
        rc = lc_agent_new(cfg, s->llm, s->ex, &obs, &ws, s->log, &agent, &err);
    if (rc == LC_OK && s->resumed)
        rc = lc_agent_resume(agent, s->log_path, &err);
    if (rc == LC_OK) {
        sc_publish(sc, headless, h);
        sc_publish(sc, agent, agent);
        code = lc_headless_run(h, agent, task);
        sc_publish(sc, agent, NULL);
        sc_publish(sc, headless, NULL);
        if (cli->patch_out_path && write_patch(s, cli->patch_out_path) != LC_EXIT_OK && code == LC_EXIT_OK)
            code = LC_EXIT_ERROR;
        if (cli->apply && apply_all(s) != LC_EXIT_OK && code == LC_EXIT_OK)
            code = LC_EXIT_ERROR;
    } else {
        code = fail(rc, NULL, &err);
    }
    lc_agent_free(agent);
    lc_headless_free(h);
    return code;
}

static int run_tui(lc_config *cfg, signal_ctx *sc, lc_session *s, const char *task, const char *demo_notice)
{
    lc_err err = {0};
    int code;
    lc_ui_opts uo = LC_UI_OPTS_INIT;
    char *data = lc_session_data_dir();
    char *themes = lc_path_join(data, "themes");
    uo.cfg = cfg;
    uo.dir = s->dir;
    uo.executor = s->ex;
    uo.diff = s->diff;
    uo.log = s->log;
    uo.themes_dir = themes;
    uo.start_executor = true; /* on the agent's thread, with a spinner: the UI is up at once */
    uo.ask_task = !task && !s->resumed; /* the input line is ready for the task */
    char *building = NULL;
    if (s->image_script) {
        building = lc_xasprintf("the sandbox image %s is missing: building it (the first time takes about "
                                "a minute; its progress is in the Output pane)",
                                cfg->container.image);
        uo.prepare = build_image;
        uo.prepare_ctx = s;
        uo.prepare_what = building;
    }
    lc_agent *agent = NULL;
    lc_app *app = lc_ui_new(&uo, &err);
    sc_publish(sc, ui, app);
    if (!app) {
        code = fail(err.code, "the terminal UI", &err);
    } else {
        lc_observer obs = lc_ui_observer(app);
        lc_workspace_hooks ws = lc_ui_workspace_hooks(app);
        /* What was said on stderr before curses started, said again where it is seen. */
        if (demo_notice)
            info_event(&obs, demo_notice);
        for (size_t i = 0; i < s->notes.n; i++)
            info_event(&obs, s->notes.v[i]);
        if (s->resumed) /* the session so far, on screen */
            lc_ui_show_log(app, s->log_path);
        int rc = lc_agent_new(cfg, s->llm, s->ex, &obs, &ws, s->log, &agent, &err);
        if (rc == LC_OK && s->resumed)
            rc = lc_agent_resume(agent, s->log_path, &err);
        sc_publish(sc, agent, agent);
        code = lc_ui_run(app, rc == LC_OK ? agent : NULL, task);
        sc_publish(sc, agent, NULL);
        sc_publish(sc, ui, NULL);
        lc_ui_free(app);
        if (rc != LC_OK)
            code = fail(rc, NULL, &err);
    }
    lc_agent_free(agent);
    free(building);
    free(themes);
    free(data);
    return code;
}

static int run_session(const lc_cli *cli, lc_config *cfg, signal_ctx *sc)
{
    const char *dir = cli->dir, *task = cli->task;
    lc_err err = {0};
    resume_info ri = {NULL, 0};
    if (cli->resume_path) {
        if (read_resume(cli->resume_path, cfg, &ri, &err) != LC_OK)
            return fail(err.code, NULL, &err);
        if (!dir)
            dir = ri.dir;
    }
    lc_demo demo = {0}; /* with no model configured: the bundled demo */
    if (!cfg->model.name && !cli->resume_path) {
        if (lc_demo_setup(cfg, dir, task, &demo, &err) != LC_OK)
            return fail(err.code, NULL, &err);
        dir = demo.dir;
        task = demo.task;
        lc_text_fprintf(stderr, "litecode-tui: no model is configured. %s\n", demo.notice);
    }
    int code;
    lc_session s;
    lc_session_opts so = {dir, cli->resume_path, NULL};
    if (cli->headless && !task && !cli->resume_path) {
        lc_text_fprintf(stderr, "litecode-tui: --headless needs a task: litecode-tui --headless \"fix the failing test\"\n");
        code = LC_EXIT_USAGE;
    } else if (lc_session_open(&s, cfg, &so, &err) != LC_OK) {
        code = fail(err.code, NULL, &err);
    } else {
        if (s.resumed && lc_str_starts_with(cfg->model.name, "replay:"))
            lc_llm_replay_skip(s.llm, ri.replies);
        for (size_t i = 0; i < s.notes.n; i++)
            lc_text_fprintf(stderr, "litecode-tui: %s\n", s.notes.v[i]);
        lc_text_fprintf(stderr, "litecode-tui: session %s (log: %s)\n", s.session_id, s.log_path);
        sc_publish(sc, ex, s.ex);
        code = cli->headless ? run_headless(cli, cfg, sc, &s, task) : run_tui(cfg, sc, &s, task, demo.notice);
        lc_text_fprintf(stderr, "litecode-tui: the shadow copy stays in %s; resume with --resume %s\n", s.shadow,
                s.log_path);
        lc_executor_stop(s.ex); /* a second signal meanwhile still removes the container */
        sc_publish(sc, ex, NULL);
        lc_session_close(&s); /* frees the executor: the signal thread no longer has it */
    }
    free(ri.dir);
    lc_demo_free(&demo);
    return code;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    lc_cli cli;
    lc_err err = {0};
    int rc = lc_cli_parse(argc, argv, &cli, &err);
    if (rc != LC_OK) {
        fail(rc, NULL, &err);
        lc_text_fprintf(stderr, "Try 'litecode-tui --help'.\n");
        return LC_EXIT_USAGE;
    }
    if (cli.help) {
        lc_buf b = LC_BUF_INIT;
        lc_cli_help(&b);
        lc_text_fputs(stdout, lc_buf_cstr(&b));
        lc_buf_free(&b);
        return LC_EXIT_OK;
    }
    if (cli.version) {
        lc_text_fprintf(stdout, "litecode-tui %s\n", LC_VERSION);
        return LC_EXIT_OK;
    }
    /* "last": the latest session of --dir (or of the current directory). */
    char *last = NULL;
    const char **which = cli.resume_path && !strcmp(cli.resume_path, "last")   ? &cli.resume_path
                         : cli.report_path && !strcmp(cli.report_path, "last") ? &cli.report_path
                                                                               : NULL;
    if (which) {
        rc = lc_session_find_last(cli.dir, &last, &err);
        if (rc != LC_OK)
            return fail(rc, which == &cli.resume_path ? "--resume last" : "--report last", &err);
        *which = last;
        if (which == &cli.resume_path)
            lc_text_fprintf(stderr, "litecode-tui: resuming %s\n", last);
    }
    if (cli.report_path) {
        lc_buf b = LC_BUF_INIT;
        rc = lc_report_render(cli.report_path, &b, &err);
        if (rc == LC_OK)
            lc_text_fputs(stdout, lc_buf_cstr(&b));
        lc_buf_free(&b);
        free(last);
        return rc == LC_OK ? LC_EXIT_OK : fail(rc, "--report", &err);
    }

    /* The terminal UI needs a terminal: refuse before anything starts. */
    if (!cli.headless && !cli.check && !cli.print_config && !(isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
        lc_text_fprintf(stderr, "litecode-tui: the terminal UI needs a terminal, but %s is not one; use --headless "
                        "\"TASK\" to run without it\n",
                !isatty(STDOUT_FILENO) ? "stdout" : "stdin");
        free(last);
        return LC_EXIT_USAGE;
    }
    lc_config cfg;
    rc = load_config(&cli, &cfg, &err);
    if (rc == LC_OK)
        rc = check_start_options(&cli, &cfg, &err);
    if (rc != LC_OK) {
        int code = fail(rc, NULL, &err);
        lc_config_free(&cfg);
        free(last);
        return code;
    }
    if (cli.print_config) {
        lc_buf b = LC_BUF_INIT;
        lc_config_print(&cfg, &b);
        lc_text_fputs(stdout, lc_buf_cstr(&b));
        lc_buf_free(&b);
        lc_config_free(&cfg);
        free(last);
        return LC_EXIT_OK;
    }

    /* Before any thread: library globals, and signals routed to one thread. */
    if (lc_diff_global_init(&err) != LC_OK || lc_llm_global_init(&err) != LC_OK) {
        lc_config_free(&cfg);
        free(last);
        return fail(err.code, NULL, &err);
    }
    /* Static: the detached signal thread may wake while the process exits,
     * after main's frame is gone. */
    static signal_ctx sc;
    pthread_mutex_init(&sc.lock, NULL);
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sc.set, NULL);
    pthread_t st;
    pthread_create(&st, NULL, signal_thread, &sc);
    pthread_detach(st);

    int code = cli.check ? run_check(&cfg) : run_session(&cli, &cfg, &sc);
    atomic_store(&sc.finished, true);
    pthread_mutex_lock(&sc.lock); /* kept to the end: a late signal waits for the exit */
    lc_config_free(&cfg);
    lc_llm_global_cleanup();
    lc_diff_global_shutdown();
    free(last);
    return code;
}
