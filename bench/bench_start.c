/* Starting a session on a large project (issue 14): a git repository of
 * 3,000 files (about 70 MB) with about 350 MB of packed history, made from
 * random blobs. Measures what the user waits for before the first question
 * (lc_session_open: engine, snapshot, shadow copy; then the sandbox start),
 * and on the same session a step that changes 10 files and one that reads
 * the history with git (the borrowed objects). Prints `figure:` lines.
 *   bench_start                 on the engine the environment points at
 * LITECODE_BENCH_REPO=DIR keeps the generated repository there between runs
 * (making it takes about a minute); LITECODE_BENCH_TMP=DIR puts the sessions'
 * state and shadow copies there (another filesystem); LITECODE_ENGINE=docker|podman picks the
 * engine; with DOCKER_HOST (scripts/remote-dockerd.sh) or CONTAINER_HOST
 * (scripts/remote-podman.sh) the figures are the remote engine's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "exec/exec.h"
#include "session.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what, const lc_err *err)
{
    fprintf(stderr, "bench_start: %s: %s\n", what, err->msg);
    exit(1);
}

/* 35 commits of a 10 MB random blob (removed again), then the 3,000 files. */
static const char make_repo[] =
    "set -eu\n"
    "d=\"$1\"; rm -rf \"$d\"; mkdir -p \"$d\"; cd \"$d\"\n"
    "git init -q; git config user.email bench@litecode; git config user.name bench\n"
    "for i in $(seq 1 35); do head -c 10485760 /dev/urandom >blob.bin; git add blob.bin; git commit -qm \"h$i\"; done\n"
    "git rm -q blob.bin; git commit -qm rm\n"
    "for i in $(seq 0 2999); do p=$(printf 'd%02d/s%02d' $((i % 50)) $(((i / 50) % 20))); mkdir -p \"$p\"\n"
    "  yes \"line of file $i\" | head -n 1200 >\"$p/$(printf 'f%05d.txt' $i)\"; done\n"
    "git add -A; git commit -qm tree; git gc -q\n"
    "touch .bench-complete\n";

static void ensure_repo(const char *dir)
{
    char *mark = lc_path_join(dir, ".bench-complete");
    struct stat st;
    bool have = stat(mark, &st) == 0;
    free(mark);
    if (have)
        return;
    printf("# making the repository in %s (about a minute)\n", dir);
    fflush(stdout);
    const char *argv[] = {"bash", "-c", make_repo, "make_repo", dir, NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    if (lc_proc_run(argv, NULL, 0, 30 * 60 * 1000, 1 << 16, &res, &err) != LC_OK || res.exit_code != 0) {
        fprintf(stderr, "%s", lc_buf_cstr(&res.err));
        die("making the repository", &err);
    }
    lc_proc_result_free(&res);
}

static void no_build(void *ctx, const char *what)
{
    (void)ctx;
    printf("# %s\n", what);
}
static void line(void *ctx, const char *text)
{
    (void)ctx;
    printf("#   %s\n", text);
}
static void starting(void *ctx) { (void)ctx; }

int main(void)
{
    /* LITECODE_BENCH_TMP=DIR puts the session state (the shadow copies) on another filesystem. */
    const char *tmpdir = getenv("LITECODE_BENCH_TMP");
    char *tmpl = lc_xasprintf("%s/lc-bench-start-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    lc_dir_spread(tmpl); /* as the sessions directory is: the shadows below are made there */
    const char *keep = getenv("LITECODE_BENCH_REPO");
    char *repo = keep && *keep ? lc_xstrdup(keep) : lc_path_join(tmpl, "repo");
    ensure_repo(repo);
    char *state = lc_path_join(tmpl, "state");
    lc_err err = {0};

    /* The shadow alone, borrowing the git objects and copying them, in
     * turn in the same run (this machine's disk is shared and its speed
     * varies by the minute). */
    enum { SHADOWS = 3 };
    double made[SHADOWS], full[SHADOWS];
    for (int i = 0; i < SHADOWS; i++) {
        uid_t uid;
        gid_t gid;
        lc_sandbox_user(&uid, &gid);
        for (int k = 0; k < 2; k++) {
            /* A name of its own, as each session's is: the filesystem may place it by its name. */
            char *dst = lc_xasprintf("%s/shadow-%d-%d", tmpl, i, k);
            lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
            sync();
            double t0 = lc_now_s();
            int rc = k == 0 ? lc_shadow_make(repo, dst, uid, gid, &rep, &err)
                            : lc_shadow_copy(repo, dst, uid, gid, &rep, &err);
            if (rc != LC_OK)
                die("shadow", &err);
            (k == 0 ? made : full)[i] = lc_now_s() - t0;
            lc_shadow_report_free(&rep);
            free(dst); /* kept to the end, as sessions' are: a tree just removed slows the next one's creates */
        }
    }
    printf("figure: start.shadow_borrowing_git %.3f s\n", median(made, SHADOWS));
    printf("figure: start.shadow_copying_git %.3f s\n", median(full, SHADOWS));

    enum { STARTS = 3, WRITES = 20 };
    double starts[STARTS], opens[STARTS];
    const char *transport = "?";
    for (int i = 0; i < STARTS; i++) {
        lc_config cfg;
        lc_config_defaults(&cfg);
        cfg.model.name = lc_xstrdup("ollama/bench"); /* never asked: the bench runs steps itself */
        lc_strv_push(&cfg.container.authorized_imports, "subprocess"); /* git in a step */
        const char *want = getenv("LITECODE_ENGINE");
        if (want)
            cfg.container.engine = strcmp(want, "podman") == 0 ? LC_ENGINE_PODMAN : LC_ENGINE_DOCKER;
        lc_session s;
        lc_session_opts so = {repo, NULL, state, 0};
        sync();
        double t0 = lc_now_s();
        if (lc_session_open(&s, &cfg, &so, &err) != LC_OK)
            die("opening the session", &err);
        opens[i] = lc_now_s() - t0;
        lc_session_progress p = {NULL, NULL, no_build, line, starting, NULL};
        if (lc_session_prepare(&s, &p, NULL, &err) != LC_OK)
            die("starting the sandbox", &err);
        starts[i] = lc_now_s() - t0;
        transport = lc_sandbox_transport(s.ex, NULL);
        printf("# start %d: %.3f s open (engine, snapshot, shadow copy), %.3f s in all\n", i + 1, opens[i], starts[i]);
        if (i == 0)
            printf("# engine %s %s, transport %s\n", lc_engine_name(s.engine), lc_engine_version(s.engine),
                   transport);
        if (i == STARTS - 1) {
            /* The history is there: git in a step reads the borrowed objects. */
            lc_exec_result r;
            if (lc_executor_exec(s.ex,
                                 "import subprocess\n"
                                 "n = subprocess.run(['git', 'rev-list', '--objects', '--all'], "
                                 "capture_output=True, text=True, check=True).stdout.count('\\n')\n"
                                 "print('objects', n)\n",
                                 120, NULL, &r, &err) != LC_OK)
                die("git in a step", &err);
            if (r.status != LC_STEP_OK) {
                fprintf(stderr, "bench_start: git in a step failed: %s: %s\n%s\n", r.error_type ? r.error_type : "?",
                        r.error_message ? r.error_message : "?", r.output ? r.output : "");
                exit(1);
            }
            printf("# git rev-list --objects --all in a step: %s", r.output ? r.output : "?\n");
            lc_exec_result_free(&r);
            double writes[WRITES];
            for (int k = 0; k < WRITES; k++) {
                char code[256];
                snprintf(code, sizeof code,
                         "for k in range(10):\n    open('d%%02d/s00/f%%05d.txt' %% (k, k), 'w').write('step %d ' "
                         "* 1000)\n",
                         k);
                double w0 = lc_now_s();
                if (lc_executor_exec(s.ex, code, 0, NULL, &r, &err) != LC_OK || r.status != LC_STEP_OK)
                    die("10 files", &err);
                writes[k] = (lc_now_s() - w0) * 1000;
                lc_exec_result_free(&r);
            }
            printf("figure: start.step_10_files_%s %.2f ms\n", transport, median(writes, WRITES));
        }
        lc_session_close(&s);
        lc_config_free(&cfg);
    }
    printf("figure: start.open_%s %.3f s\n", transport, median(opens, STARTS));
    printf("figure: start.first_question_%s %.3f s\n", transport, median(starts, STARTS));
    printf("# 3,000 files / 400 MB (350 MB of git history): %.2f s to the first question with the %s transport "
           "(targets: < 1 s on a local engine, < 5 s on a remote one)\n",
           median(starts, STARTS), transport);
    lc_rm_rf(tmpl, &err);
    free(tmpl);
    free(state);
    free(repo);
    return 0;
}
