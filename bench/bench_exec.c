/* Sandbox figures: per-step round trip beside `docker exec` of the same code,
 * cold start (launch to ready), and the shadow copy beside `cp -a`, each
 * measured in the same run. Prints `figure: NAME VALUE UNIT` lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "exec/exec.h"

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
    fprintf(stderr, "bench_exec: %s: %s\n", what, err->msg);
    exit(1);
}

static void make_tree(const char *root, int files, size_t total_bytes)
{
    lc_err err = {0};
    size_t each = total_bytes / (size_t)files;
    char *data = lc_xmalloc(each);
    for (size_t i = 0; i < each; i++)
        data[i] = (char)('a' + (i * 7 + i / 13) % 26);
    for (int i = 0; i < files; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "d%02d/s%02d/f%05d.txt", i % 50, (i / 50) % 20, i);
        char *path = lc_path_join(root, rel);
        char *slash = strrchr(path, '/');
        *slash = '\0';
        lc_mkdir_p(path, 0755, &err);
        *slash = '/';
        FILE *f = fopen(path, "w");
        if (!f || fwrite(data, 1, each, f) != each)
            die("writing the tree", &err);
        fclose(f);
        free(path);
    }
    free(data);
}

static void bench_shadow(const char *tmp)
{
    char *src = lc_path_join(tmp, "tree");
    make_tree(src, 10000, 200u << 20);
    enum { RUNS = 3 };
    double ours[RUNS], cp[RUNS];
    lc_err err = {0};
    for (int r = 0; r < RUNS; r++) {
        char *dst = lc_path_join(tmp, "shadow");
        lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
        sync();
        double t0 = lc_now_s();
        if (lc_shadow_copy(src, dst, (uid_t)-1, (gid_t)-1, &rep, &err) != LC_OK)
            die("shadow copy", &err);
        ours[r] = lc_now_s() - t0;
        lc_shadow_report_free(&rep);
        lc_rm_rf(dst, &err);

        const char *argv[] = {"cp", "-a", src, dst, NULL};
        lc_proc_result res = LC_PROC_RESULT_INIT;
        sync();
        t0 = lc_now_s();
        if (lc_proc_run(argv, NULL, 0, -1, 4096, &res, &err) != LC_OK || res.exit_code != 0)
            die("cp -a", &err);
        cp[r] = lc_now_s() - t0;
        lc_proc_result_free(&res);
        lc_rm_rf(dst, &err);
        free(dst);
    }
    double a = median(ours, RUNS), b = median(cp, RUNS);
    printf("figure: exec.shadow_copy %.3f s\n", a);
    printf("figure: exec.cp_a %.3f s\n", b);
    printf("# shadow copy of 10000 files / 200 MB: %.2fx the time of cp -a (target <= 1.2)\n", a / b);
    lc_rm_rf(src, &err);
    free(src);
}

/* The copy transport (container.transport: copy, what a remote engine gets):
 * the start with the project copied over the engine, a step that changes
 * nothing, and a step that changes 10 files, on a 3,000-file project
 * (LITECODE_BENCH_COPY_MB, default 40 MB). Run with DOCKER_HOST pointing at
 * scripts/remote-dockerd.sh for the remote figures. */
static void bench_copy(lc_config *cfg, lc_engine *engine, const char *tmp)
{
    const char *mb_env = getenv("LITECODE_BENCH_COPY_MB");
    long mb = mb_env ? strtol(mb_env, NULL, 10) : 40;
    if (mb < 1)
        mb = 1;
    lc_err err = {0};
    char *src = lc_path_join(tmp, "copy-src"), *shadow = lc_path_join(tmp, "copy-shadow");
    make_tree(src, 3000, (size_t)mb << 20);
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    if (lc_shadow_copy(src, shadow, uid, gid, &rep, &err) != LC_OK)
        die("shadow copy", &err);
    lc_shadow_report_free(&rep);
    lc_container_config cc;
    lc_container_config_copy(&cc, &cfg->container);
    free(cc.transport);
    cc.transport = lc_xstrdup("copy");
    lc_sandbox_opts so = {&cc, shadow, "bench-copy", engine, NULL};
    lc_executor *ex = NULL;
    if (lc_sandbox_new(&so, &ex, &err) != LC_OK)
        die("sandbox", &err);
    double t0 = lc_now_s();
    if (lc_executor_start(ex, &err) != LC_OK)
        die("start (copy)", &err);
    printf("figure: exec.copy_start %.0f ms\n", (lc_now_s() - t0) * 1000);
    enum { STEPS = 50, WRITES = 20 };
    double steps[STEPS], writes[WRITES];
    for (int i = 0; i < STEPS; i++) {
        lc_exec_result r;
        t0 = lc_now_s();
        if (lc_executor_exec(ex, "x = 1 + 1", 0, NULL, &r, &err) != LC_OK || r.status != LC_STEP_OK)
            die("step (copy)", &err);
        steps[i] = (lc_now_s() - t0) * 1000;
        lc_exec_result_free(&r);
    }
    for (int i = 0; i < WRITES; i++) {
        lc_exec_result r;
        char code[256];
        snprintf(code, sizeof code,
                 "for k in range(10):\n    open('d%%02d/s00/f%%05d.txt' %% (k, k), 'w').write('step %d ' * 1000)\n", i);
        t0 = lc_now_s();
        if (lc_executor_exec(ex, code, 0, NULL, &r, &err) != LC_OK || r.status != LC_STEP_OK)
            die("10 files (copy)", &err);
        writes[i] = (lc_now_s() - t0) * 1000;
        lc_exec_result_free(&r);
    }
    printf("figure: exec.copy_step_median %.2f ms\n", median(steps, STEPS));
    printf("figure: exec.copy_10_files_median %.2f ms\n", median(writes, WRITES));
    printf("# copy transport on %s, 3000 files / %ld MB: a step that changes nothing %.2f ms, 10 changed "
           "files back %.2f ms (targets < 1 ms and < 100 ms)\n",
           lc_engine_name(engine), mb, median(steps, STEPS), median(writes, WRITES));
    lc_executor_destroy(ex);
    lc_container_config_free(&cc);
    lc_rm_rf(src, &err);
    lc_rm_rf(shadow, &err);
    free(src);
    free(shadow);
}

int main(int argc, char **argv)
{
    bool only_shadow = argc > 1 && strcmp(argv[1], "--shadow-only") == 0;
    bool only_copy = argc > 1 && strcmp(argv[1], "--copy-only") == 0; /* the copy transport's figures */
    bool only_steps = argc > 1 && strcmp(argv[1], "--steps-only") == 0; /* start and step, e.g. under runsc */
    char tmpl[] = "/tmp/lc-bench-exec-XXXXXX";
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 1;
    }
    lc_err err = {0};
    if (!only_shadow) {
        lc_config cfg;
        lc_config_defaults(&cfg);
        const char *want = getenv("LITECODE_ENGINE");
        if (want)
            cfg.container.engine = strcmp(want, "podman") == 0 ? LC_ENGINE_PODMAN : LC_ENGINE_DOCKER;
        const char *runtime = getenv("LITECODE_RUNTIME"); /* runsc: the figures under gVisor */
        if (runtime && *runtime) {
            free(cfg.container.runtime);
            cfg.container.runtime = lc_xstrdup(runtime);
        }
        lc_engine *engine = NULL;
        if (lc_engine_open(&cfg.container, &engine, &err) != LC_OK)
            die("engine", &err);
        char *shadow = lc_path_join(tmpl, "ws");
        lc_mkdir_p(shadow, 0777, &err);
        uid_t uid;
        gid_t gid;
        lc_sandbox_user(&uid, &gid);
        if (chown(shadow, uid, gid) != 0)
            perror("chown");
        printf("# engine: %s %s%s%s\n", lc_engine_name(engine), lc_engine_version(engine),
               cfg.container.runtime ? ", runtime " : "", cfg.container.runtime ? cfg.container.runtime : "");

        if (only_copy) {
            bench_copy(&cfg, engine, tmpl);
            lc_engine_free(engine);
            free(shadow);
            lc_config_free(&cfg);
            lc_rm_rf(tmpl, &err);
            return 0;
        }
        enum { STARTS = 7, STEPS = 200, EXECS = 30 };
        double starts[STARTS];
        lc_executor *ex = NULL;
        for (int i = 0; i < STARTS; i++) {
            lc_sandbox_opts so = {&cfg.container, shadow, "bench", engine, NULL};
            if (lc_sandbox_new(&so, &ex, &err) != LC_OK)
                die("sandbox", &err);
            double t0 = lc_now_s();
            if (lc_executor_start(ex, &err) != LC_OK)
                die("start", &err);
            starts[i] = (lc_now_s() - t0) * 1000;
            if (i < STARTS - 1)
                lc_executor_destroy(ex);
        }
        printf("figure: exec.cold_start_median %.1f ms\n", median(starts, STARTS));

        double steps[STEPS];
        for (int i = 0; i < STEPS; i++) {
            lc_exec_result r;
            double t0 = lc_now_s();
            if (lc_executor_exec(ex, "x = 1 + 1", 0, NULL, &r, &err) != LC_OK || r.status != LC_STEP_OK)
                die("step", &err);
            steps[i] = (lc_now_s() - t0) * 1000;
            lc_exec_result_free(&r);
        }
        double step = median(steps, STEPS);
        printf("figure: exec.step_median %.2f ms\n", step);
        if (only_steps) {
            lc_executor_destroy(ex);
            lc_engine_free(engine);
            free(shadow);
            lc_config_free(&cfg);
            lc_rm_rf(tmpl, &err);
            return 0;
        }

        /* Output capture at volume (issue 17): 200,000 printed lines, beside the same
         * loop printing into memory, measured in the same sandbox. */
        enum { CAPS = 3 };
        double printed[CAPS], in_memory[CAPS];
        for (int i = 0; i < CAPS; i++) {
            lc_exec_result r;
            double t0 = lc_now_s();
            if (lc_executor_exec(ex, "for i in range(200000):\n    print('line', i)\n", 300, NULL, &r, &err) != LC_OK ||
                r.status != LC_STEP_OK)
                die("200,000 lines", &err);
            printed[i] = lc_now_s() - t0;
            lc_exec_result_free(&r);
            t0 = lc_now_s();
            if (lc_executor_exec(ex, "class _Sink:\n    def write(self, s):\n        return len(s)\n_s = _Sink()\n"
                                 "for i in range(200000):\n    print('line', i, file=_s)\n",
                                 300, NULL, &r, &err) != LC_OK ||
                r.status != LC_STEP_OK)
                die("200,000 lines in memory", &err);
            in_memory[i] = lc_now_s() - t0;
            lc_exec_result_free(&r);
        }
        double cap_total = median(printed, CAPS), cap_base = median(in_memory, CAPS);
        printf("figure: exec.output_200k_lines %.3f s\n", cap_total);
        printf("figure: exec.output_capture_cost %.3f s\n", cap_total - cap_base);
        printf("# 200,000 printed lines take %.3f s, %.3f s of it capture (the same loop into memory: %.3f s; "
               "target: capture well under 1 s)\n",
               cap_total, cap_total - cap_base, cap_base);

        double execs[EXECS];
        for (int i = 0; i < EXECS; i++) {
            lc_strv a = LC_STRV_INIT;
            lc_engine_argv(engine, &a, "exec");
            lc_strv_push(&a, lc_sandbox_container(ex));
            lc_strv_push(&a, "python3");
            lc_strv_push(&a, "-c");
            lc_strv_push(&a, "x = 1 + 1");
            lc_proc_result res = LC_PROC_RESULT_INIT;
            double t0 = lc_now_s();
            if (lc_proc_run((const char *const *)a.v, NULL, 0, 60000, 4096, &res, &err) != LC_OK || res.exit_code != 0)
                die("docker exec", &err);
            execs[i] = (lc_now_s() - t0) * 1000;
            lc_proc_result_free(&res);
            lc_strv_free(&a);
        }
        double dexec = median(execs, EXECS);
        printf("figure: exec.docker_exec_median %.2f ms\n", dexec);
        printf("# %d steps vs %d `%s exec` runs: the kernel is %.0fx faster (target >= 100x, < 1 ms)\n", STEPS,
               EXECS, lc_engine_name(engine), dexec / step);
        lc_executor_destroy(ex);
        bench_copy(&cfg, engine, tmpl);
        lc_engine_free(engine);
        free(shadow);
        lc_config_free(&cfg);
    }
    bench_shadow(tmpl);
    lc_rm_rf(tmpl, &err);
    return 0;
}
