/* Assembling a session: see session.h. Order matters: nothing that starts a
 * container happens before the config was validated (main.c), and the
 * snapshot is taken before the shadow copy is made. */
#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
    rc = lc_shadow_copy(s->dir, s->shadow, geteuid() == 0 ? uid : (uid_t)-1, gid, &rep, err);
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

/* An apply (or undo) a crash cut short in an earlier run (lc_diff_open
 * finished it): the user is told which files it had written, and the log
 * gets the records the crash kept it from writing, so the audit trail
 * matches the disk. */
static int tell_interrupted_apply(lc_session *s, lc_err *err)
{
    size_t temps = 0;
    const lc_diff_report *rep = lc_diff_recovered(s->diff, &temps);
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
            lc_buf_puts(nb, nb->len ? ", " : "");
            lc_text_sanitize(r->path, strlen(r->path), 0, nb);
        } else if (*cnt == 21) {
            lc_buf_puts(nb, ", ...");
        }
        int rc = lc_log_hunk(s->log, applied, r->path, -1,
                             applied ? "written before an interrupted apply" : "undone before an interrupted undo",
                             err);
        if (rc != LC_OK) {
            lc_buf_free(&names);
            lc_buf_free(&unames);
            return rc;
        }
    }
    if (written || notyet || other)
        lc_strv_pushf(&s->notes,
                      "an earlier apply was cut short (litecode was killed while applying): %zu file%s had "
                      "been written%s%s (kept, undoable, now in the session log); %zu not written (still in "
                      "the review)%s",
                      written, written == 1 ? "" : "s", written ? ": " : "", lc_buf_cstr(&names), notyet,
                      other ? "; some changed since by someone else (look at them)" : "");
    if (undone)
        lc_strv_pushf(&s->notes,
                      "an earlier undo was cut short (litecode was killed while undoing): %zu file%s had been "
                      "undone: %s (now in the session log); undo again for the rest",
                      undone, undone == 1 ? "" : "s", lc_buf_cstr(&unames));
    if (temps)
        lc_strv_pushf(&s->notes, "%zu leftover temporary file%s (.lc-apply-*) removed from the project", temps,
                      temps == 1 ? "" : "s");
    lc_buf_free(&names);
    lc_buf_free(&unames);
    return lc_diff_logged(s->diff, err); /* the log has them now: not to be told again */
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
        return LC_OK;
    }
    int rc = lc_session_dir_create(o->state_root, &s->state_dir, &s->session_id, err);
    if (rc != LC_OK)
        return rc;
    s->shadow = lc_path_join(s->state_dir, "shadow");
    s->log_path = lc_path_join(s->state_dir, "session.jsonl");
    return make_shadow(s, err);
}

/* The "dir" of a log's header (its first line), or NULL. */
static char *log_dir(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);
    fclose(f);
    char *dir = NULL;
    if (n > 0 && n < (1 << 20)) {
        cJSON *hd = lc_json_parse(line, (size_t)n);
        const char *kind = lc_json_str(hd, "kind"), *d = lc_json_str(hd, "dir");
        if (lc_event_kind_parse(kind) == LC_EV_HEADER && d)
            dir = lc_xstrdup(d);
        cJSON_Delete(hd);
    }
    free(line);
    return dir;
}

/* Another session of this directory holds an apply a crash cut short: only a
 * --resume of it can finish it (its journal, its log), so say how. */
static void note_cut_applies(lc_session *s)
{
    char *root = lc_xstrdup(s->state_dir);
    char *slash = strrchr(root, '/');
    DIR *dir = slash ? (*slash = '\0', opendir(root)) : NULL;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.' || !strcmp(de->d_name, s->session_id))
            continue;
        char *sd = lc_path_join(root, de->d_name);
        char *log = lc_path_join(sd, "session.jsonl");
        char *of = log_dir(log);
        if (of && !strcmp(of, s->dir) && lc_diff_pending(sd)) {
            lc_buf b = LC_BUF_INIT, safe = LC_BUF_INIT;
            lc_buf_printf(&b, "session %s was killed while applying changes to this directory (some files may "
                              "be written, a .lc-apply-* temporary file may be left); finish it with: "
                              "litecode-tui --resume %s", de->d_name, log);
            lc_text_sanitize(b.data, b.len, 0, &safe);
            lc_strv_push(&s->notes, lc_buf_cstr(&safe));
            lc_buf_free(&b);
            lc_buf_free(&safe);
        }
        free(of);
        free(log);
        free(sd);
    }
    if (dir)
        closedir(dir);
    free(root);
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
        char *script = present == 0 ? image_script(cfg->container.image) : NULL;
        if (script)
            s->image_script = script; /* the front end builds it, with progress */
        else if (present == 0)
            rc = lc_err_set(err, LC_ENOTFOUND,
                            "the sandbox image %s is not in %s: build it with scripts/build-image.sh "
                            "(offline, from Debian), or `%s build -t %s image/` where python images "
                            "can be pulled",
                            cfg->container.image, lc_engine_name(s->engine), lc_engine_name(s->engine),
                            cfg->container.image);
        else if (present < 0)
            rc = present;
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
        rc = tell_interrupted_apply(s, err);
    if (rc == LC_OK && !s->resumed)
        note_cut_applies(s);
    if (rc == LC_OK && lc_log_repaired(s->log))
        lc_strv_push(&s->notes, lc_log_repaired(s->log));
    if (rc == LC_OK) {
        register_secrets(s);
        rc = lc_llm_new(&cfg->model, &s->llm, err);
    }
    if (rc == LC_OK) {
        lc_sandbox_opts so = {&cfg->container, s->shadow, s->session_id, s->engine};
        rc = lc_sandbox_new(&so, &s->ex, err);
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
    if (!s->image_script)
        return LC_OK;
    bool ml = false;
    lc_image_is_builtin(s->cfg->container.image, &ml);
    int rc = lc_image_build(s->engine, s->image_script, ml, cancel, fn, ctx, err);
    if (rc == LC_OK) {
        int present = lc_engine_image_exists(s->engine, s->cfg->container.image, err);
        if (present == 0)
            rc = lc_err_set(err, LC_ENOTFOUND, "the image build ended but %s is still not in %s; run "
                                               "scripts/build-image.sh in a terminal to see why",
                            s->cfg->container.image, lc_engine_name(s->engine));
        else if (present < 0)
            rc = present;
    }
    if (rc == LC_OK) {
        free(s->image_script);
        s->image_script = NULL;
    }
    return rc;
}

void lc_session_close(lc_session *s)
{
    free(s->image_script);
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

lc_workspace_hooks lc_session_workspace_hooks(lc_session *s)
{
    lc_workspace_hooks h = {s, ws_changes, ws_reverted};
    return h;
}
