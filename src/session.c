/* Assembling a session: see session.h. Order matters: nothing that starts a
 * container happens before the config was validated (main.c), and the
 * snapshot is taken before the shadow copy is made. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "session.h"

#ifndef LC_SOURCE_DIR
#define LC_SOURCE_DIR "."
#endif

static bool is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *lc_session_data_dir(void)
{
    const char *env = getenv("LITECODE_DATA_DIR");
    if (env && is_dir(env))
        return lc_xstrdup(env);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *share = lc_xasprintf("%s/../share/litecode", dirname(exe));
        char *agents = lc_path_join(share, "agents");
        bool ok = is_dir(agents);
        free(agents);
        if (ok)
            return share;
        free(share);
    }
    return lc_xstrdup(LC_SOURCE_DIR);
}

/* The script that builds a missing image, when the image is litecode's own
 * and the script is installed beside the data; NULL otherwise. */
static char *image_script(const char *image)
{
    if (!lc_image_is_builtin(image, NULL))
        return NULL;
    char *data = lc_session_data_dir();
    char *script = lc_path_join(data, "scripts/build-image.sh");
    free(data);
    if (access(script, R_OK) == 0)
        return script;
    free(script);
    return NULL;
}

/* The key the model will use, so the log can redact it even if echoed. */
static void register_secrets(lc_session *s)
{
    const lc_model_config *m = &s->cfg->model;
    const char *names[3] = {m->api_key_env, NULL, NULL};
    if (!m->api_key_env) {
        names[0] = "OPENAI_API_KEY";
        names[1] = "ANTHROPIC_API_KEY";
    }
    for (size_t i = 0; i < 3 && names[i]; i++) {
        const char *v = getenv(names[i]);
        if (v && *v)
            lc_log_add_secret(s->log, v);
    }
}

static int make_shadow(lc_session *s, lc_err *err)
{
    int rc = lc_diff_snapshot(s->dir, s->state_dir, err);
    if (rc != LC_OK)
        return rc;
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    rc = lc_shadow_make(s->dir, s->shadow, geteuid() == 0 ? uid : (uid_t)-1, gid, &rep, err);
    if (rc == LC_OK) {
        char human[32];
        lc_format_bytes_human(rep.bytes, human, sizeof human);
        lc_strv_pushf(&s->notes, "shadow copy: %llu files, %llu directories, %llu symlinks, %s",
                      (unsigned long long)rep.files, (unsigned long long)rep.dirs,
                      (unsigned long long)rep.symlinks, human);
        for (size_t i = 0; i < rep.skipped.n; i++) {
            char *name = lc_text_line(rep.skipped.v[i]); /* a name from the project: one safe line */
            lc_strv_pushf(&s->notes, "not copied into the sandbox: %s", name);
            free(name);
        }
    }
    lc_shadow_report_free(&rep);
    return rc;
}

/* What an apply (or undo) a crash cut short had done, once lc_diff_open
 * finished it: the records the crash kept out of log are written there, so
 * the audit trail matches the disk, and the user is told which files had
 * been written. other_id NULL: the session's own; else another session of
 * the directory (other_log), whose log and journal these are. */
static int tell_cut_apply(lc_diff *d, lc_log *log, const char *other_id, const char *other_log, lc_strv *notes,
                          lc_err *err)
{
    size_t temps = 0;
    const lc_diff_report *rep = lc_diff_recovered(d, &temps);
    if (!rep || (!rep->n && !temps))
        return LC_OK;
    size_t written = 0, undone = 0, other = 0, notyet = 0;
    lc_buf names = LC_BUF_INIT, unames = LC_BUF_INIT;
    for (size_t i = 0; i < rep->n; i++) {
        const lc_diff_result *r = &rep->v[i];
        bool applied = r->outcome == LC_DIFF_APPLIED;
        if (!applied && r->outcome != LC_DIFF_RESTORED) {
            other += r->outcome == LC_DIFF_CONFLICT;
            notyet += r->outcome == LC_DIFF_UNCHANGED;
            continue;
        }
        size_t *cnt = applied ? &written : &undone;
        lc_buf *nb = applied ? &names : &unames;
        if ((*cnt)++ < 20) {
            char *name = lc_text_line(r->path); /* a name from the project: one safe line */
            lc_buf_puts(nb, nb->len ? ", " : "");
            lc_buf_puts(nb, name);
            free(name);
        } else if (*cnt == 21) {
            lc_buf_puts(nb, ", ...");
        }
        int rc = lc_log_hunk(log, applied, r->path, -1,
                             applied ? "written before an interrupted apply" : "undone before an interrupted undo",
                             err);
        if (rc != LC_OK) {
            lc_buf_free(&names);
            lc_buf_free(&unames);
            return rc;
        }
    }
    const char *s1 = written == 1 ? "" : "s", *s2 = undone == 1 ? "" : "s";
    if (!other_id) {
        if (written || notyet || other)
            lc_strv_pushf(notes,
                          "an earlier apply was cut short (litecode was killed while applying): %zu file%s had "
                          "been written%s%s (kept, undoable, now in the session log); %zu not written (still in "
                          "the review)%s",
                          written, s1, written ? ": " : "", lc_buf_cstr(&names), notyet,
                          other ? "; some changed since by someone else (look at them)" : "");
        if (undone)
            lc_strv_pushf(notes,
                          "an earlier undo was cut short (litecode was killed while undoing): %zu file%s had been "
                          "undone: %s (now in the session log); undo again for the rest",
                          undone, s2, lc_buf_cstr(&unames));
    } else {
        char *id = lc_text_line(other_id), *lp = lc_text_line(other_log);
        if (written || notyet || other)
            lc_strv_pushf(notes,
                          "session %s was killed while applying changes to this directory; its apply is finished "
                          "now: %zu file%s had been written%s%s (kept, and recorded in that session's log); %zu "
                          "not written (still to review in that session)%s; to review the rest, or undo what was "
                          "written: litecode-tui --resume %s",
                          id, written, s1, written ? ": " : "", lc_buf_cstr(&names), notyet,
                          other ? "; some changed since by someone else (look at them)" : "", lp);
        if (undone)
            lc_strv_pushf(notes,
                          "session %s was killed while undoing an apply in this directory: %zu file%s had been "
                          "undone: %s (recorded in that session's log); to undo the rest: litecode-tui --resume %s",
                          id, undone, s2, lc_buf_cstr(&unames), lp);
        free(id);
        free(lp);
    }
    if (temps)
        lc_strv_pushf(notes, "%zu leftover temporary file%s (.lc-apply-*) removed from the project", temps,
                      temps == 1 ? "" : "s");
    lc_buf_free(&names);
    lc_buf_free(&unames);
    return lc_diff_logged(d, err); /* the log has them now: not to be told again */
}

/* One process per session: while it runs, a session holds an exclusive
 * flock on its log, which the kernel releases however the process ends. A
 * start that gets the lock of a session knows that session's process is
 * gone. Returns the fd that holds it, or -1 (errno EWOULDBLOCK: a live
 * process holds it). */
static int lock_log(const char *log, bool create, lc_err *err)
{
    int fd = lc_file_open_regular(log, O_RDONLY | O_NOFOLLOW | (create ? O_CREAT : 0), 0600, err);
    if (fd < 0) {
        errno = fd == LC_ENOTFOUND ? ENOENT : EINVAL;
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* The session's own lock (see lock_log), then the cut applies of dead
 * sessions of the directory: finished before the shadow copy is made, so
 * no leftover temporary file of theirs is copied into it. */
static int lock_and_finish_others(lc_session *s, bool create, lc_err *err)
{
    lc_err oe = {0};
    s->lock_fd = lock_log(s->log_path, create, &oe);
    if (s->lock_fd < 0 && errno == EWOULDBLOCK)
        return lc_err_set(err, LC_ESTATE,
                          "--resume %s: that session is open in another litecode-tui that is running now (a "
                          "session runs in one process at a time); end that one first",
                          s->log_path);
    if (s->lock_fd < 0 && oe.code)
        return lc_err_set(err, oe.code, "the session log: %s", oe.msg);
    if (s->lock_fd < 0)
        return lc_err_errno(err, LC_EIO, errno, "locking the session log %s", s->log_path);
    s->locked = true;
    char *root = lc_xstrdup(s->state_dir);
    *strrchr(root, '/') = '\0';
    lc_session_finish_cut_applies(root, s->dir, s->session_id, &s->notes);
    free(root);
    return LC_OK;
}

static int open_state(lc_session *s, const lc_session_opts *o, lc_err *err)
{
    if (o->resume_log) {
        char real[PATH_MAX];
        if (!realpath(o->resume_log, real))
            return lc_err_errno(err, LC_ENOTFOUND, errno, "--resume %s", o->resume_log);
        s->log_path = lc_xstrdup(real);
        s->state_dir = lc_xstrdup(dirname(real));
        s->session_id = lc_xstrdup(strrchr(s->state_dir, '/') + 1);
        s->shadow = lc_path_join(s->state_dir, "shadow");
        s->resumed = true;
        if (!is_dir(s->shadow))
            return lc_err_set(err, LC_ENOTFOUND,
                              "--resume: %s has no shadow copy next to it (%s); resume takes the "
                              "session.jsonl inside a session directory",
                              o->resume_log, s->shadow);
        return lock_and_finish_others(s, false, err);
    }
    int rc = lc_session_dir_create(o->state_root, &s->state_dir, &s->session_id, err);
    if (rc != LC_OK)
        return rc;
    s->shadow = lc_path_join(s->state_dir, "shadow");
    s->log_path = lc_path_join(s->state_dir, "session.jsonl");
    rc = lock_and_finish_others(s, true, err);
    return rc == LC_OK ? make_shadow(s, err) : rc;
}

/* The "dir" of a log's header (its first line), or NULL. */
static char *log_dir(const char *log)
{
    int fd = lc_file_open_regular(log, O_RDONLY, 0, NULL);
    if (fd < 0)
        return NULL;
    /* The header is one line; a log that starts with a gigabyte is not read whole. */
    char *line = lc_xmalloc(1 << 20);
    ssize_t n = read(fd, line, (1 << 20) - 1);
    close(fd);
    char *nl = n > 0 ? memchr(line, '\n', (size_t)n) : NULL;
    n = nl ? nl - line : -1;
    char *dir = NULL;
    if (n > 0) {
        cJSON *hd = lc_json_parse(line, (size_t)n);
        const char *kind = lc_json_str(hd, "kind"), *d = lc_json_str(hd, "dir");
        if (lc_event_kind_parse(kind) == LC_EV_HEADER && d)
            dir = lc_xstrdup(d);
        cJSON_Delete(hd);
    }
    free(line);
    return dir;
}

/* Another session of dir, dead, with an apply a crash cut short: finished
 * here as its own --resume would (lc_diff_open on its state), with the
 * missing records appended to its log (repaired first). Left alone while
 * its process lives (it holds its lock); a start that races us for it
 * waits a moment, then finds it finished. */
static void finish_one(const char *dir, const char *id, const char *sd, const char *log, lc_strv *notes)
{
    int fd = -1, e = 0;
    for (int i = 0; i < 40 && fd < 0; i++) { /* at most 2 s: another start finishing it is quick */
        fd = lock_log(log, false, NULL);
        e = fd < 0 ? errno : 0;
        if (fd < 0 && e != EWOULDBLOCK)
            break;
        if (fd < 0)
            usleep(50 * 1000);
    }
    char *sid = lc_text_line(id), *slog = lc_text_line(log);
    if (fd < 0) {
        if (e == EWOULDBLOCK)
            lc_strv_pushf(notes, "session %s of this directory is in the middle of an apply in another "
                                 "litecode-tui that is running now; left to it", sid);
        else
            lc_strv_pushf(notes, "session %s was killed while applying changes to this directory, and its log "
                                 "cannot be locked to finish it (%s); finish it with: litecode-tui --resume %s",
                          sid, strerror(e), slog);
        free(sid);
        free(slog);
        return;
    }
    lc_err err = {0};
    lc_log *lg = NULL;
    lc_diff *d = NULL;
    char *shadow = lc_path_join(sd, "shadow");
    int rc = LC_OK;
    if (lc_diff_pending(sd)) { /* else: finished by another start while we waited */
        rc = lc_log_open(log, &lg, &err);
        if (rc == LC_OK)
            rc = lc_diff_open(dir, shadow, sd, NULL, &d, &err);
        if (rc == LC_OK && lc_log_repaired(lg))
            lc_strv_push(notes, lc_log_repaired(lg));
        if (rc == LC_OK)
            rc = tell_cut_apply(d, lg, id, log, notes, &err);
    }
    if (rc != LC_OK) {
        char *why = lc_text_line(err.msg);
        lc_strv_pushf(notes, "session %s was killed while applying changes to this directory, and finishing "
                             "that apply failed: %s; try again with: litecode-tui --resume %s",
                      sid, why, slog);
        free(why);
    }
    lc_diff_free(d);
    lc_log_close(lg);
    close(fd);
    free(shadow);
    free(sid);
    free(slog);
}

void lc_session_finish_cut_applies(const char *root, const char *dir, const char *except_id, lc_strv *notes)
{
    DIR *dh = opendir(root);
    struct dirent *de;
    while (dh && (de = readdir(dh))) {
        if (de->d_name[0] == '.' || (except_id && !strcmp(de->d_name, except_id)))
            continue;
        char *sd = lc_path_join(root, de->d_name);
        char *log = lc_path_join(sd, "session.jsonl");
        char *of = lc_diff_pending(sd) ? log_dir(log) : NULL;
        if (of && !strcmp(of, dir))
            finish_one(dir, de->d_name, sd, log, notes);
        free(of);
        free(log);
        free(sd);
    }
    if (dh)
        closedir(dh);
}

typedef struct last_ctx {
    const char *root, *want;
    char *best;
    struct timespec best_mtime;
    int others;
} last_ctx;

static int consider(void *ctx, const lc_walk_entry *e)
{
    last_ctx *c = ctx;
    if (!S_ISDIR(e->st->st_mode))
        return LC_WALK_SKIP;
    char *dir = lc_path_join(c->root, e->path);
    char *log = lc_path_join(dir, "session.jsonl");
    free(dir);
    struct stat st;
    char *of = stat(log, &st) == 0 && S_ISREG(st.st_mode) ? log_dir(log) : NULL;
    if (of && !strcmp(of, c->want)) {
        bool newer = !c->best || st.st_mtim.tv_sec > c->best_mtime.tv_sec ||
                     (st.st_mtim.tv_sec == c->best_mtime.tv_sec && st.st_mtim.tv_nsec > c->best_mtime.tv_nsec);
        if (newer) {
            free(c->best);
            c->best = log;
            c->best_mtime = st.st_mtim;
            log = NULL;
        }
    } else if (of) {
        c->others++;
    }
    free(of);
    free(log);
    return LC_WALK_SKIP;
}

int lc_session_find_last(const char *dir, char **log, lc_err *err)
{
    *log = NULL;
    char real[PATH_MAX];
    if (!realpath(dir ? dir : ".", real))
        return lc_err_errno(err, LC_ENOTFOUND, errno, "--dir %s", dir ? dir : ".");
    char *state = lc_xdg_dir("state", err);
    if (!state)
        return err->code;
    char *root = lc_path_join(state, "sessions");
    free(state);
    last_ctx c = {root, real, NULL, {0, 0}, 0};
    struct stat st;
    int rc = LC_OK;
    if (stat(root, &st) == 0)
        rc = lc_walk(root, consider, &c, err);
    if (rc == LC_OK && !c.best)
        rc = lc_err_set(err, LC_ENOTFOUND,
                        "no session of %s in %s%s; give the log itself (litecode-tui prints \"resume with "
                        "--resume FILE\" when a session ends), or run from the project's directory or with --dir",
                        real, root, c.others ? " (there are sessions of other directories)" : "");
    free(root);
    if (rc != LC_OK) {
        free(c.best);
        return rc;
    }
    *log = c.best;
    return LC_OK;
}

int lc_session_open(lc_session *s, lc_config *cfg, const lc_session_opts *o, lc_err *err)
{
    memset(s, 0, sizeof *s);
    s->cfg = cfg;
    char real[PATH_MAX];
    if (!realpath(o->dir ? o->dir : ".", real))
        return lc_err_errno(err, LC_ENOTFOUND, errno, "--dir %s", o->dir ? o->dir : ".");
    if (!is_dir(real))
        return lc_err_set(err, LC_EINVAL, "--dir %s is not a directory", real);
    s->dir = lc_xstrdup(real);

    int rc = lc_engine_open(&cfg->container, &s->engine, err);
    lc_strv swept = LC_STRV_INIT;
    lc_err ignored = {0};
    if (rc == LC_OK && lc_engine_sweep(s->engine, &swept, &ignored) == LC_OK && swept.n)
        lc_strv_pushf(&s->notes, "removed %zu container(s) left by sessions that died", swept.n);
    lc_strv_free(&swept);
    if (rc == LC_OK) {
        int present = lc_engine_image_exists(s->engine, cfg->container.image, err);
        if (present == 0) { /* the front end builds or loads it, with progress */
            char *script = image_script(cfg->container.image);
            s->image = lc_xcalloc(1, sizeof *s->image);
            rc = lc_image_plan_make(s->engine, &cfg->container, script, s->image, err);
            free(script);
        } else if (present < 0) {
            rc = present;
        }
    }
    if (rc == LC_OK)
        rc = open_state(s, o, err);
    if (rc == LC_OK) {
        /* Tool files are read and mounted from copies taken now. */
        char *tools = lc_path_join(s->state_dir, "tools");
        rc = lc_config_tool_files_stage(&cfg->container, tools, err);
        free(tools);
    }
    if (rc == LC_OK)
        rc = lc_diff_open(s->dir, s->shadow, s->state_dir, NULL, &s->diff, err);
    if (rc == LC_OK)
        rc = lc_diff_refresh(s->diff, err);
    if (rc == LC_OK)
        rc = lc_log_open(s->log_path, &s->log, err);
    if (rc == LC_OK)
        rc = tell_cut_apply(s->diff, s->log, NULL, NULL, &s->notes, err);
    if (rc == LC_OK && lc_log_repaired(s->log))
        lc_strv_push(&s->notes, lc_log_repaired(s->log));
    if (rc == LC_OK) {
        register_secrets(s);
        rc = lc_llm_new(&cfg->model, &s->llm, err);
    }
    if (rc == LC_OK && s->resumed && o->replay_skip > 0 && lc_str_starts_with(cfg->model.name, "replay:"))
        lc_llm_replay_skip(s->llm, o->replay_skip); /* a replayed model goes on after the replies used */
    if (rc == LC_OK) {
        /* Beside the sessions: engines found not to see this machine's files, for every session. */
        char *sessions = lc_xstrdup(s->state_dir), *slash = strrchr(sessions, '/');
        if (slash)
            *slash = '\0';
        char *memo = lc_path_join(sessions, ".remote-engines");
        lc_sandbox_opts so = {&cfg->container, s->shadow, s->session_id, s->engine, memo};
        rc = lc_sandbox_new(&so, &s->ex, err);
        free(memo);
        free(sessions);
    }
    if (rc == LC_OK) {
        char *objects = lc_shadow_borrowed(s->dir, s->shadow); /* the shadow's .git reads them */
        lc_sandbox_lend_git(s->ex, objects);
        free(objects);
    }
    if (rc == LC_OK && !s->resumed) {
        char *desc = lc_executor_describe(s->ex);
        rc = lc_log_header(s->log, cfg, s->dir, desc, err);
        free(desc);
    }
    if (rc != LC_OK)
        lc_session_close(s);
    return rc;
}

int lc_session_build_image(lc_session *s, const atomic_bool *cancel, lc_image_progress_fn fn, void *ctx,
                           lc_err *err)
{
    if (!s->image || !s->image->how)
        return LC_OK;
    bool load = s->image->how == LC_IMAGE_LOAD;
    int rc = lc_image_plan_run(s->engine, s->image, cancel, fn, ctx, err);
    if (rc == LC_OK) {
        int present = lc_engine_image_exists(s->engine, s->cfg->container.image, err);
        if (present == 0)
            rc = lc_err_set(err, LC_ENOTFOUND, "the image %s ended but %s is still not in %s; %s",
                            load ? "load" : "build", s->cfg->container.image, lc_engine_name(s->engine),
                            load ? "see the lines above" : "run scripts/build-image.sh in a terminal to see why");
        else if (present < 0)
            rc = present;
    }
    if (rc == LC_OK) {
        lc_image_plan_free(s->image);
        free(s->image);
        s->image = NULL;
    }
    return rc;
}

static void forget_executor(void);

void lc_session_close(lc_session *s)
{
    if (s->ex)
        lc_executor_stop(s->ex); /* the signal thread still knows it: a second signal removes it at once */
    forget_executor();
    lc_image_plan_free(s->image);
    free(s->image);
    lc_executor_destroy(s->ex);
    lc_llm_destroy(s->llm);
    lc_log_close(s->log);
    lc_diff_free(s->diff);
    lc_engine_free(s->engine);
    free(s->dir);
    free(s->state_dir);
    free(s->session_id);
    free(s->shadow);
    free(s->log_path);
    lc_strv_free(&s->notes);
    if (s->locked)
        close(s->lock_fd); /* last: the session is whole on disk when another start may take it */
    memset(s, 0, sizeof *s);
}

/* ---- workspace hooks over the change set (headless: one thread) ---------- */

static char *ws_changes(void *ctx)
{
    lc_session *s = ctx;
    lc_err err = {0};
    if (lc_diff_refresh(s->diff, &err) != LC_OK)
        return lc_xasprintf("(could not list the changes: %s)", err.msg);
    if (lc_diff_count(s->diff) == 0)
        return NULL;
    lc_buf b = LC_BUF_INIT;
    lc_diff_summary(s->diff, &b);
    return lc_buf_detach(&b);
}

static char *ws_reverted(void *ctx)
{
    (void)ctx;
    return NULL; /* headless has no review: nothing is reverted */
}

/* Right after ws_changes refreshed: the content id of each changed file, so
 * a change that keeps the summary's counts is seen too (approval's verify). */
static char *ws_ids(void *ctx)
{
    lc_session *s = ctx;
    return lc_diff_content_ids(s->diff);
}

lc_workspace_hooks lc_session_workspace_hooks(lc_session *s)
{
    lc_workspace_hooks h = {s, ws_changes, ws_reverted, ws_ids};
    return h;
}

/* ---- writing to the project: every apply and undo with its audit record --- */

typedef struct picked {
    char *path;
    int hunk;     /* -1: the whole file */
    size_t hunks; /* how many hunks that is, for the counts the user sees */
} picked;

/* The selection as (file, hunk) pairs, taken before the apply: the apply
 * refreshes the change set, and each record names what the user chose
 * (hunk -1: the whole file). */
static size_t collect_selected(lc_diff *d, picked **out)
{
    size_t n = 0, cap = 0;
    *out = NULL;
    for (size_t i = 0; i < lc_diff_count(d); i++) {
        const lc_diff_file *f = lc_diff_file_at(d, i);
        /* Every hunk of a file chosen (F, --apply): one record for the file. */
        bool whole = f->whole_only || f->nhunks == 0 || lc_diff_selected(d, i, LC_DIFF_WHOLE);
        size_t nh = whole ? 1 : f->nhunks;
        for (size_t h = 0; h < nh; h++) {
            size_t changed = 0; /* a hunk of which only some lines are chosen counts too */
            if (whole ? !lc_diff_selected(d, i, LC_DIFF_WHOLE) : lc_diff_hunk_selection(d, i, h, &changed) == 0)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                *out = lc_xrealloc(*out, cap * sizeof **out);
            }
            size_t nh_file = f->whole_only || f->nhunks == 0 ? 1 : f->nhunks;
            (*out)[n++] = (picked){lc_xstrdup(f->path), whole ? -1 : (int)h, whole ? nh_file : 1};
        }
    }
    return n;
}

/* Whether an outcome means the hunk is in the project now. */
static bool outcome_in_project(lc_diff_outcome o)
{
    return o == LC_DIFF_APPLIED || o == LC_DIFF_MERGED || o == LC_DIFF_UNCHANGED;
}

/* The record of one selected hunk. A hunk that did not reach the project is
 * recorded too, as what it is: an audit must show the attempt and why it
 * failed, and must never call it applied. */
static int record(lc_log *log, const picked *p, const lc_diff_result *r, lc_err *err)
{
    const char *name = lc_diff_outcome_name(r->outcome);
    if (outcome_in_project(r->outcome))
        return lc_log_hunk(log, true, p->path, p->hunk, name, err);
    return lc_log_hunk_not_applied(log, p->path, p->hunk, name, r->message, err);
}

int lc_session_apply(lc_session *s, lc_diff_report *rep, size_t *selected, size_t *applied, lc_err *err)
{
    *selected = *applied = 0;
    /* Nothing reaches the project without its record in the session log. */
    const char *failed = lc_log_failure(s->log);
    if (failed)
        return lc_err_set(err, LC_EIO, "nothing applied: the session log cannot record it (%s); the changes stay "
                                       "in the shadow copy", failed);
    picked *sel;
    size_t n = collect_selected(s->diff, &sel);
    for (size_t i = 0; i < n; i++)
        *selected += sel[i].hunks;
    if (n == 0) {
        free(sel);
        return LC_OK;
    }
    int rc = lc_diff_apply(s->diff, rep, err);
    int logged = LC_OK;
    lc_err lerr = {0};
    for (size_t i = 0; i < n; i++) {
        const lc_diff_result *r = NULL;
        for (size_t j = 0; j < rep->n && !r; j++)
            if (rep->v[j].path && !strcmp(rep->v[j].path, sel[i].path))
                r = &rep->v[j];
        if (!r)
            continue;
        *applied += outcome_in_project(r->outcome) ? sel[i].hunks : 0;
        if (logged == LC_OK)
            logged = record(s->log, &sel[i], r, &lerr);
    }
    if (logged == LC_OK) /* else the next start says again what was written */
        lc_diff_logged(s->diff, NULL);
    for (size_t i = 0; i < n; i++)
        free(sel[i].path);
    free(sel);
    if (rc == LC_OK && logged != LC_OK)
        rc = lc_err_set(err, logged, "applied, but the session log could not record it (%s); the next start "
                                     "records it again", lerr.msg);
    return rc;
}

int lc_session_undo(lc_session *s, lc_diff_report *rep, lc_err *err)
{
    int rc = lc_diff_undo(s->diff, rep, err);
    int logged = LC_OK;
    lc_err lerr = {0};
    for (size_t i = 0; i < rep->n && logged == LC_OK; i++)
        if (rep->v[i].outcome == LC_DIFF_RESTORED)
            logged = lc_log_hunk(s->log, false, rep->v[i].path, -1, "undo", &lerr);
    if (logged == LC_OK) /* else the next start says again what was undone */
        lc_diff_logged(s->diff, NULL);
    if (rc == LC_OK && logged != LC_OK)
        rc = lc_err_set(err, logged, "undone, but the session log could not record it (%s)", lerr.msg);
    return rc;
}

int lc_session_redo(lc_session *s, lc_diff_report *rep, lc_err *err)
{
    const char *failed = lc_log_failure(s->log);
    if (failed)
        return lc_err_set(err, LC_EIO, "nothing redone: the session log cannot record it (%s)", failed);
    int rc = lc_diff_redo(s->diff, rep, err);
    int logged = LC_OK;
    lc_err lerr = {0};
    for (size_t i = 0; i < rep->n && logged == LC_OK; i++)
        if (outcome_in_project(rep->v[i].outcome))
            logged = lc_log_hunk(s->log, true, rep->v[i].path, -1, "redo", &lerr);
    if (logged == LC_OK)
        lc_diff_logged(s->diff, NULL);
    if (rc == LC_OK && logged != LC_OK)
        rc = lc_err_set(err, logged, "redone, but the session log could not record it (%s)", lerr.msg);
    return rc;
}

int lc_session_apply_edited(lc_session *s, size_t file, size_t hunk, const char *text, size_t len,
                            lc_diff_report *rep, lc_buf *note, lc_err *err)
{
    const char *failed = lc_log_failure(s->log);
    if (failed)
        return lc_err_set(err, LC_EIO, "nothing applied: the session log cannot record it (%s)", failed);
    int rc = lc_diff_apply_edited(s->diff, file, hunk, text, len, rep, note, err);
    int logged = LC_OK;
    lc_err lerr = {0};
    for (size_t i = 0; i < rep->n && logged == LC_OK; i++) {
        const lc_diff_result *r = &rep->v[i];
        picked p = {r->path, (int)hunk, 1};
        if (outcome_in_project(r->outcome))
            logged = lc_log_hunk(s->log, true, r->path, (int)hunk, "edited", &lerr);
        else
            logged = record(s->log, &p, r, &lerr);
    }
    if (logged == LC_OK)
        lc_diff_logged(s->diff, NULL);
    if (rc == LC_OK && logged != LC_OK)
        rc = lc_err_set(err, logged, "applied, but the session log could not record it (%s)", lerr.msg);
    return rc;
}

static void say_result(const lc_diff_result *r)
{
    lc_buf b = LC_BUF_INIT;
    lc_text_sanitize(r->path, strlen(r->path), 0, &b);
    lc_text_fprintf(stderr, "  %-9s %s%s%s\n", lc_diff_outcome_name(r->outcome), lc_buf_cstr(&b),
                    r->message ? ": " : "", r->message ? r->message : "");
    lc_buf_free(&b);
}

int lc_session_apply_all(lc_session *s, lc_err *err)
{
    if (lc_log_failure(s->log)) {
        lc_diff_report none = LC_DIFF_REPORT_INIT;
        size_t n, ok;
        return lc_session_apply(s, &none, &n, &ok, err); /* says why nothing is applied */
    }
    int rc = lc_diff_refresh(s->diff, err);
    if (rc != LC_OK)
        return rc;
    lc_diff_select_all(s->diff, true);
    /* Files litecode reads itself (.litecode.yaml, tool files...) change what
     * later runs do: never applied in bulk, only picked one by one. */
    size_t held = 0;
    for (size_t i = 0; i < lc_diff_count(s->diff); i++) {
        const lc_diff_file *f = lc_diff_file_at(s->diff, i);
        if (!lc_config_reads_path(s->cfg, s->dir, f->path))
            continue;
        lc_err ignored = {0};
        lc_diff_select(s->diff, i, LC_DIFF_WHOLE, false, &ignored);
        lc_buf b = LC_BUF_INIT;
        lc_text_sanitize(f->path, strlen(f->path), 0, &b);
        lc_text_fprintf(stderr, "  %-9s %s: litecode reads this file itself (configuration or tools), so a change to it is "
                        "never applied by --apply; review it in the TUI (litecode-tui --resume %s) and apply it "
                        "there on its own, or copy it from %s/%s by hand\n",
                        "skipped", lc_buf_cstr(&b), s->log_path, s->shadow, lc_buf_cstr(&b));
        lc_buf_free(&b);
        held++;
    }
    if (held && held == lc_diff_count(s->diff)) {
        lc_text_fprintf(stderr, "litecode-tui: --apply: nothing else to apply\n");
        return LC_OK;
    }
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    size_t n, ok;
    rc = lc_session_apply(s, &rep, &n, &ok, err);
    for (size_t i = 0; i < rep.n; i++)
        say_result(&rep.v[i]);
    lc_diff_report_free(&rep);
    return rc;
}

int lc_session_write_patch(lc_session *s, const char *path, lc_err *err)
{
    int rc = lc_diff_refresh(s->diff, err);
    if (rc != LC_OK)
        return rc;
    /* Files litecode reads itself stay out, as --apply leaves them: a patch
     * applied elsewhere would carry a change to the configuration or the
     * tools unseen. Named in lines before the first diff (git ignores them). */
    lc_diff_select_all(s->diff, true);
    lc_strv held = LC_STRV_INIT;
    lc_buf b = LC_BUF_INIT;
    for (size_t i = 0; i < lc_diff_count(s->diff); i++) {
        const lc_diff_file *f = lc_diff_file_at(s->diff, i);
        if (!lc_config_reads_path(s->cfg, s->dir, f->path))
            continue;
        lc_err ignored = {0};
        lc_diff_select(s->diff, i, LC_DIFF_WHOLE, false, &ignored);
        char *name = lc_text_line(f->path); /* a name from the project: one safe line */
        lc_buf_printf(&b, "# litecode: left out, a file litecode reads itself (review it in the TUI): %s\n", name);
        lc_strv_push_owned(&held, name);
    }
    lc_diff_export_patch(s->diff, true, &b);
    lc_diff_select_all(s->diff, false);
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        /* /dev/stdout, a pipe: write into it; never replace it. */
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        rc = fd >= 0 && lc_fd_write_all(fd, b.data ? b.data : "", b.len) == 0
                 ? LC_OK
                 : lc_err_errno(err, LC_EIO, errno, "writing %s", path);
        if (fd >= 0)
            close(fd);
    } else {
        rc = lc_file_write_atomic(path, b.data ? b.data : "", b.len, 0644, err);
    }
    lc_buf_free(&b);
    if (rc == LC_OK)
        lc_text_fprintf(stderr, "litecode-tui: wrote the change set to %s%s\n", path,
                        held.n ? ", but for the files litecode reads itself:" : "");
    for (size_t i = 0; rc == LC_OK && i < held.n; i++)
        lc_text_fprintf(stderr, "  %-9s %s: litecode reads this file itself (configuration or tools), so its change "
                        "is left out of the patch; review it in the TUI (litecode-tui --resume %s) and apply it "
                        "there on its own, or see it with: diff -u %s/%s %s/%s\n",
                        "left out", held.v[i], s->log_path, s->dir, held.v[i], s->shadow, held.v[i]);
    lc_strv_free(&held);
    return rc;
}

/* ---- readying the sandbox (both front ends) -------------------------------- */

int lc_session_prepare(lc_session *s, const lc_session_progress *p, const atomic_bool *cancel, lc_err *err)
{
    int rc = LC_OK;
    if (s->image && s->image->how) {
        char *what = lc_xasprintf("%s%s", s->image->notice, p->where ? p->where : "");
        p->building(p->ctx, what);
        free(what);
        rc = lc_session_build_image(s, cancel, p->line, p->ctx, err);
    }
    if (rc == LC_OK) {
        p->starting(p->ctx);
        rc = lc_executor_start(s->ex, err);
        if (rc != LC_OK)
            lc_err_prefix(err, "starting the sandbox");
    }
    const char *why = NULL;
    if (rc == LC_OK && p->note && strcmp(lc_sandbox_transport(s->ex, &why), "copy") == 0) {
        /* Not a bind mount: the user should know why, and that the changes travel. */
        char *text = lc_xasprintf("the workspace is copied into the sandbox, and each step's changes back: %s",
                                  why ? why : "");
        p->note(p->ctx, text);
        free(text);
    }
    return rc;
}

/* ---- signals: one thread turns them into requests -------------------------- */

/* The one signal thread's view of the running session. Static: the detached
 * thread may wake while the process exits, after main's frame is gone; it is
 * the only process-wide state, as signals are process-wide. */
static struct {
    sigset_t set;
    /* The thread holds lock while it uses agent, ex or front; they change
     * only under it (publish), so once a pointer is cleared nothing of the
     * thread still uses what it pointed to, and it may be freed. */
    pthread_mutex_t lock;
    _Atomic(lc_agent *) agent;
    _Atomic(lc_executor *) ex;
    _Atomic(const lc_front *) front;
    atomic_int interrupts;
    atomic_bool finished;     /* past the session: nothing left to clean up */
    atomic_bool building;     /* the session builds the image itself (no front end to stop it) */
    atomic_bool cancel_build; /* ... and a signal asked to stop it */
} sig = {.lock = PTHREAD_MUTEX_INITIALIZER};

#define publish(field, value)                \
    do {                                     \
        pthread_mutex_lock(&sig.lock);       \
        atomic_store(&sig.field, (value));   \
        pthread_mutex_unlock(&sig.lock);     \
    } while (0)

/* A session asked to end gets a few seconds to end by itself (the kernel's
 * stdin closes, the container is removed); after that, or on a second
 * request, the container is removed here and the process exits. */
static _Noreturn void exit_now(int signo)
{
    lc_executor *ex = atomic_load(&sig.ex);
    const lc_front *fe = atomic_load(&sig.front);
    if (fe && fe->restore_terminal)
        fe->restore_terminal(fe->ctx);
    if (ex && !atomic_load(&sig.finished))
        lc_sandbox_kill(ex);
    _exit(128 + signo);
}

static void *signal_thread(void *arg)
{
    (void)arg;
    int64_t deadline = 0;
    int pending = 0;
    for (;;) {
        int signo = 0;
        if (deadline) {
            struct timespec ts = {0, 200 * 1000 * 1000};
            signo = sigtimedwait(&sig.set, NULL, &ts);
            if (signo < 0) {
                if (lc_now_ms() >= deadline) {
                    pthread_mutex_lock(&sig.lock);
                    exit_now(pending);
                }
                continue;
            }
        } else if (sigwait(&sig.set, &signo) != 0) {
            continue;
        }
        pthread_mutex_lock(&sig.lock); /* exit_now keeps it: nothing is freed under us */
        lc_agent *agent = atomic_load(&sig.agent);
        lc_executor *ex = atomic_load(&sig.ex);
        const lc_front *fe = atomic_load(&sig.front);
        if (signo == SIGINT && fe && fe->interrupt && !deadline) {
            fe->interrupt(fe->ctx); /* the front end's meaning of Ctrl-C */
            pthread_mutex_unlock(&sig.lock);
            continue;
        }
        if (signo == SIGINT && atomic_fetch_add(&sig.interrupts, 1) == 0 && ex && agent) {
            lc_text_fprintf(stderr, "\nlitecode-tui: interrupting the step (Ctrl-C again stops the session)\n");
            lc_executor_interrupt(ex);
            pthread_mutex_unlock(&sig.lock);
            continue;
        }
        if (!deadline && !fe && atomic_load(&sig.building)) {
            lc_text_fprintf(stderr, "\nlitecode-tui: stopping the image's build or load\n");
            atomic_store(&sig.cancel_build, true); /* its process group is stopped, then the session goes on */
            pending = signo;
            deadline = lc_now_ms() + 5000;
            pthread_mutex_unlock(&sig.lock);
            continue;
        }
        if (deadline || !fe)
            exit_now(signo); /* a second request, or nothing to stop gracefully */
        fe->stop(fe->ctx, agent); /* answers a waiting question; the run returns */
        pending = signo;
        deadline = lc_now_ms() + 5000;
        pthread_mutex_unlock(&sig.lock);
    }
    return NULL;
}

static void forget_executor(void)
{
    publish(ex, NULL);
}

void lc_session_signals_start(void)
{
    sigemptyset(&sig.set);
    sigaddset(&sig.set, SIGINT);
    sigaddset(&sig.set, SIGTERM);
    sigaddset(&sig.set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sig.set, NULL);
    pthread_t st;
    if (pthread_create(&st, NULL, signal_thread, NULL) == 0)
        pthread_detach(st);
}

void lc_session_signals_end(void)
{
    atomic_store(&sig.finished, true);
    pthread_mutex_lock(&sig.lock); /* kept to the end: a late signal waits for the exit */
}

/* ---- running a session ------------------------------------------------------ */

/* Progress of an image build with no front end to show it: stderr. */
static void say_building(void *ctx, const char *what)
{
    (void)ctx;
    lc_text_fprintf(stderr, "litecode-tui: %s\n", what);
    atomic_store(&sig.building, true);
}

static void say_line(void *ctx, const char *line)
{
    (void)ctx;
    lc_text_fprintf(stderr, "  %s\n", line);
}

static void say_starting(void *ctx)
{
    (void)ctx;
    atomic_store(&sig.building, false);
}

static void say_note(void *ctx, const char *text)
{
    (void)ctx;
    lc_text_fprintf(stderr, "litecode-tui: %s\n", text);
}

static int say_failure(int rc, const char *what, const lc_err *err)
{
    lc_text_fprintf(stderr, "litecode-tui: %s%s%s\n", what ? what : "", what ? ": " : "", err->msg);
    return lc_exit_code_for(rc);
}

int lc_session_run(lc_session *s, const lc_front *fe, const lc_session_run_opts *ro)
{
    lc_err err = {0};
    int rc = LC_OK;
    publish(ex, s->ex);
    /* A front end that readies the sandbox itself can stop the session from
     * the start; otherwise a signal before the agent runs ends the process. */
    if (fe->prepares_itself || ro->review)
        publish(front, fe);
    else
        rc = lc_session_prepare(s, &(lc_session_progress){NULL, NULL, say_building, say_line, say_starting, say_note},
                                &sig.cancel_build, &err);
    atomic_store(&sig.building, false);
    /* The fan-out: the agent's events go to the session log, then to the
     * front end (nothing is shown before it is on record); the questions go
     * to the front end alone. */
    lc_fanout fan;
    lc_observer obs = lc_fanout_init(&fan, s->log, &fe->observer);
    lc_agent *agent = NULL;
    if (ro->review) { /* the review of a finished session: no sandbox, no agent */
        pthread_mutex_lock(&sig.lock);
        atomic_store(&sig.front, fe);
        pthread_mutex_unlock(&sig.lock);
        int code = fe->run(fe->ctx, NULL, NULL);
        pthread_mutex_lock(&sig.lock);
        atomic_store(&sig.front, NULL);
        pthread_mutex_unlock(&sig.lock);
        return code;
    }
    if (rc == LC_OK)
        rc = lc_agent_new(s->cfg, s->llm, s->ex, &obs, &fe->workspace, s->log, &agent, &err);
    if (rc == LC_OK)
        lc_agent_use_project_instructions(agent, s->dir);
    if (rc == LC_OK && s->resumed)
        rc = lc_agent_resume(agent, s->log_path, &err);
    int code;
    if (rc == LC_OK || fe->prepares_itself) { /* the TUI opens without an agent: the review still works */
        pthread_mutex_lock(&sig.lock);
        atomic_store(&sig.front, fe);
        atomic_store(&sig.agent, rc == LC_OK ? agent : NULL);
        pthread_mutex_unlock(&sig.lock);
        code = fe->run(fe->ctx, rc == LC_OK ? agent : NULL, ro->task);
        pthread_mutex_lock(&sig.lock);
        atomic_store(&sig.agent, NULL);
        atomic_store(&sig.front, NULL);
        pthread_mutex_unlock(&sig.lock);
        if (rc != LC_OK)
            code = say_failure(rc, NULL, &err);
    } else {
        publish(front, NULL);
        code = say_failure(rc, NULL, &err);
    }
    if (rc == LC_OK && ro->patch_out && lc_session_write_patch(s, ro->patch_out, &err) != LC_OK) {
        say_failure(err.code, "--patch-out", &err);
        code = code == LC_EXIT_OK ? LC_EXIT_ERROR : code;
    }
    if (rc == LC_OK && ro->apply && lc_session_apply_all(s, &err) != LC_OK) {
        say_failure(err.code, "--apply", &err);
        code = code == LC_EXIT_OK ? LC_EXIT_ERROR : code;
    }
    lc_agent_free(agent);
    return code;
}

/* ---- what a log says about its session, for --resume ----------------------- */

/* What --resume needs before the session opens: the project and model of the
 * header, and how many replies the log holds (read through the one reader). */
typedef struct resume_scan {
    lc_config *cfg;
    char **dir;
    int *replies;
    const char *log;
} resume_scan;

static int resume_event(void *ctx, const lc_event *e, const cJSON *ev, unsigned long line)
{
    (void)line;
    resume_scan *r = ctx;
    if (e->kind == LC_EV_HEADER && !*r->dir) {
        const char *dir = lc_json_str(ev, "dir");
        const char *model = lc_json_str(cJSON_GetObjectItemCaseSensitive(ev, "model"), "name");
        *r->dir = lc_xstrdup(dir);
        if (model && !r->cfg->model.name) {
            lc_err err = {0};
            if (lc_config_set(r->cfg, "model.name", model, LC_ORIGIN_FILE, r->log, &err) != LC_OK)
                return err.code;
        }
    } else if (e->kind == LC_EV_MODEL_REPLY) {
        (*r->replies)++;
    }
    return LC_OK;
}

int lc_session_resume_info(const char *log, lc_config *cfg, char **dir, int *replies, lc_err *err)
{
    *dir = NULL;
    *replies = 0;
    resume_scan r = {cfg, dir, replies, log};
    lc_log_info info;
    int rc = lc_log_events(log, 0, resume_event, &r, &info, err);
    if (rc != LC_OK) {
        lc_err_prefix(err, "--resume %s", log);
        return rc;
    }
    if (!*dir)
        rc = lc_err_set(err, LC_EINVAL, "--resume %s: %s", log,
                        info.events == 0 && !info.cut ? "the log is empty: no session was recorded in it"
                                                      : "the log has no header; is it a litecode session log?");
    return rc;
}
