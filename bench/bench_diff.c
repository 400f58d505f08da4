/* bench_diff: how fast the review follows the agent.
 *   diff.detect_median       refresh of a 10,000-file tree with 10 files changed (target < 50 ms)
 *   diff.git_diff_stat_median `git diff --no-index --stat` of the same two trees (baseline, same run)
 *   diff.diff_1000_files     refresh with 1,000 changed files, hunks computed (target < 1 s)
 *   diff.apply_100_hunks     apply of 100 hunks across 20 files, journal and fsyncs included (< 100 ms)
 *   diff.diff_1000_files_first the same, first time (also saves 1,000 bases)
 *   diff.refresh_1000_unchanged a refresh when nothing moved since the last one
 *   diff.like_10000_hunks     "all like this" over 10,000 hunks in 1,000 files (target < 50 ms)
 *   diff.rss_10000_hunks      resident memory with those 10,000 hunks loaded (target < 50 MB)
 *   diff.select_line_10000    10,000 single-line selections (one per hunk)
 * with baselines from the same run: diff.git_diff_1000_files (`git diff --no-index` of the
 * 1,000-file trees) and diff.git_apply_100_hunks (`git apply` of the same hunks, no fsync);
 * diff.apply_vs_git_apply is the ratio of the two medians (target <= 1).
 * Each figure is the median of several runs. Trees live under $TMPDIR (default /tmp).
 * LC_BENCH_ONLY=codemod|detect|apply runs one part. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diff/diff.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Resident set size of this process, in kB (0 when /proc says nothing). */
static long rss_kb(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    while (fp && fgets(line, sizeof line, fp))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    if (fp)
        fclose(fp);
    return kb;
}

static void die(const char *what, const lc_err *err)
{
    fprintf(stderr, "bench_diff: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static void write_file(const char *root, const char *rel, const char *data, size_t len, bool past)
{
    char *path = lc_path_join(root, rel);
    lc_err err = {0};
    char *slash = strrchr(path, '/');
    *slash = '\0';
    if (lc_mkdir_p(path, 0755, &err) != LC_OK)
        die("mkdir", &err);
    *slash = '/';
    if (lc_file_write_atomic(path, data, len, 0644, &err) != LC_OK)
        die("write", &err);
    if (past) {
        struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
        utimensat(AT_FDCWD, path, ts, 0);
    }
    free(path);
}

/* A file of n lines; with edit, lines 5, 15, 25... are changed (one hunk each). */
static void file_text(lc_buf *b, int id, int n, int edits)
{
    lc_buf_reset(b);
    for (int i = 1; i <= n; i++) {
        if (edits && i % 10 == 5 && i / 10 < edits)
            lc_buf_printf(b, "    changed_line(%d, %d)  # by the agent\n", id, i);
        else
            lc_buf_printf(b, "    line_%d = compute(%d, %d)  # file %d\n", i, id, i * 7, id);
    }
}

static void run_quiet(const char *const *argv)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    if (lc_proc_run(argv, NULL, 0, 120000, 1 << 20, &res, &err) != LC_OK)
        die(argv[0], &err);
    if (res.exit_code != 0) {
        fprintf(stderr, "bench_diff: %s %s failed: %s\n", argv[0], argv[1] ? argv[1] : "",
                lc_buf_cstr(&res.err));
        exit(1);
    }
    lc_proc_result_free(&res);
}

typedef struct tree {
    char *root, *orig, *shadow, *state;
    lc_diff *d;
} tree;

static void tree_make(tree *t, const char *tmp, const char *name, int nfiles, int lines)
{
    t->root = lc_xasprintf("%s/%s", tmp, name);
    t->orig = lc_xasprintf("%s/orig", t->root);
    t->state = lc_xasprintf("%s/state", t->root);
    t->shadow = lc_xasprintf("%s/state/shadow", t->root);
    lc_buf b = LC_BUF_INIT;
    for (int i = 0; i < nfiles; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "pkg%03d/mod_%05d.py", i / 100, i);
        file_text(&b, i, lines, 0);
        write_file(t->orig, rel, b.data, b.len, true);
    }
    lc_buf_free(&b);
    lc_err err = {0};
    if (lc_mkdir_p(t->state, 0700, &err) != LC_OK || lc_diff_snapshot(t->orig, t->state, &err) != LC_OK)
        die("snapshot", &err);
    run_quiet((const char *const[]){"cp", "-a", t->orig, t->shadow, NULL});
    if (lc_diff_open(t->orig, t->shadow, t->state, NULL, &t->d, &err) != LC_OK)
        die("open", &err);
}

static void tree_edit(tree *t, int nfiles, int lines, int edits, int stride)
{
    lc_buf b = LC_BUF_INIT;
    for (int k = 0; k < nfiles; k++) {
        int i = k * stride;
        char rel[64];
        snprintf(rel, sizeof rel, "pkg%03d/mod_%05d.py", i / 100, i);
        file_text(&b, i, lines, edits);
        write_file(t->shadow, rel, b.data, b.len, false);
    }
    lc_buf_free(&b);
}

static void tree_free(tree *t)
{
    lc_diff_free(t->d);
    lc_err err = {0};
    lc_rm_rf(t->root, &err);
    free(t->root);
    free(t->orig);
    free(t->state);
    free(t->shadow);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        die("libgit2", &err);
    const char *tmpdir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *tmp = lc_xasprintf("%s/lc-bench-diff-XXXXXX", tmpdir);
    if (!mkdtemp(tmp))
        die("mkdtemp", NULL);
    const char *only = getenv("LC_BENCH_ONLY"); /* codemod, detect or apply: one part */

    /* 1. a codemod: the same change 10 times in each of 1,000 files (first: the RSS is of it alone) */
    if (!only || strcmp(only, "codemod") == 0) {
        tree cm;
        cm.root = lc_xasprintf("%s/codemod", tmp);
        cm.orig = lc_xasprintf("%s/orig", cm.root);
        cm.state = lc_xasprintf("%s/state", cm.root);
        cm.shadow = lc_xasprintf("%s/state/shadow", cm.root);
        lc_buf b = LC_BUF_INIT;
        for (int side = 0; side < 2; side++)
            for (int i = 0; i < 1000; i++) {
                char rel[64];
                snprintf(rel, sizeof rel, "pkg%03d/mod_%05d.py", i / 100, i);
                lc_buf_reset(&b);
                for (int l = 1; l <= 110; l++) {
                    if (l % 10 == 5 && l < 105)
                        lc_buf_puts(&b, side ? "    from api import new_call\n" : "    from api import old_call\n");
                    else
                        lc_buf_printf(&b, "    line_%d = compute(%d, %d)  # file %d\n", l, i, l * 7, i);
                }
                write_file(side ? cm.shadow : cm.orig, rel, b.data, b.len, !side);
                if (i == 999 && !side) {
                    lc_err e0 = {0};
                    if (lc_mkdir_p(cm.state, 0700, &e0) != LC_OK || lc_diff_snapshot(cm.orig, cm.state, &e0) != LC_OK)
                        die("snapshot", &e0);
                    run_quiet((const char *const[]){"cp", "-a", cm.orig, cm.shadow, NULL});
                }
            }
        lc_buf_free(&b);
        if (lc_diff_open(cm.orig, cm.shadow, cm.state, NULL, &cm.d, &err) != LC_OK)
            die("open", &err);
        long rss0 = rss_kb();
        if (lc_diff_refresh(cm.d, &err) != LC_OK)
            die("refresh", &err);
        size_t nh = 0;
        for (size_t i = 0; i < lc_diff_count(cm.d); i++)
            nh += lc_diff_file_at(cm.d, i)->nhunks;
        if (nh != 10000)
            die("the codemod tree does not have 10,000 hunks", NULL);
        printf("figure: diff.rss_10000_hunks %.1f MB\n", (double)rss_kb() / 1024);
        printf("figure: diff.rss_10000_hunks_model %.1f MB\n", (double)(rss_kb() - rss0) / 1024);
        double l[9];
        for (int r = 0; r < 9; r++) {
            double t0 = now_ms();
            size_t n = lc_diff_select_like(cm.d, (size_t)r, 3, r % 2 == 0);
            l[r] = now_ms() - t0;
            if (n != 10000)
                die("all like this did not find the 10,000 hunks", NULL);
        }
        printf("figure: diff.like_10000_hunks %.2f ms\n", median(l, 9));
        for (int r = 0; r < 5; r++) {
            double t0 = now_ms();
            for (size_t i = 0; i < lc_diff_count(cm.d); i++)
                for (size_t h = 0; h < lc_diff_file_at(cm.d, i)->nhunks; h++)
                    lc_diff_select_line(cm.d, i, h, 3, r % 2 == 0, &err);
            l[r] = now_ms() - t0;
        }
        printf("figure: diff.select_line_10000 %.2f ms\n", median(l, 5));
        tree_free(&cm);
    }

    /* 2. detection: 10,000 files, 10 changed */
    if (!only || strcmp(only, "detect") == 0) {
    tree big;
    tree_make(&big, tmp, "big", 10000, 20);
    enum { NRUN = 15, NGIT = 7 };
    double v[NRUN];
    for (int r = 0; r < NRUN; r++) {
        /* each run sees 10 freshly written files, as after an agent's step */
        tree_edit(&big, 10, 20, 1, 997);
        double t0 = now_ms();
        if (lc_diff_refresh(big.d, &err) != LC_OK)
            die("refresh", &err);
        v[r] = now_ms() - t0;
    }
    if (lc_diff_count(big.d) != 10)
        die("detection found the wrong number of files", NULL);
    printf("figure: diff.detect_median %.2f ms\n", median(v, NRUN));
    double g[NGIT];
    for (int r = 0; r < NGIT; r++) {
        double t0 = now_ms();
        lc_proc_result res = LC_PROC_RESULT_INIT;
        const char *argv[] = {"git", "diff", "--no-index", "--stat", big.orig, big.shadow, NULL};
        if (lc_proc_run(argv, NULL, 0, 120000, 1 << 20, &res, &err) != LC_OK)
            die("git diff", &err);
        g[r] = now_ms() - t0;
        lc_proc_result_free(&res);
    }
    printf("figure: diff.git_diff_stat_median %.2f ms\n", median(g, NGIT));

    /* 3. 1,000 changed files (5 hunks each), in the same tree */
    tree_edit(&big, 1000, 60, 5, 10);
    double w[5];
    double t1 = now_ms();
    if (lc_diff_refresh(big.d, &err) != LC_OK) /* also keeps the 1,000 bases */
        die("refresh", &err);
    printf("figure: diff.diff_1000_files_first %.2f ms\n", now_ms() - t1);
    for (int r = 0; r < 5; r++) {
        /* a fresh change set each time (as after a restart): every file read and diffed */
        lc_diff_free(big.d);
        if (lc_diff_open(big.orig, big.shadow, big.state, NULL, &big.d, &err) != LC_OK)
            die("open", &err);
        t1 = now_ms();
        if (lc_diff_refresh(big.d, &err) != LC_OK)
            die("refresh", &err);
        w[r] = now_ms() - t1;
    }
    if (lc_diff_count(big.d) < 1000)
        die("the 1,000 changed files were not all found", NULL);
    printf("figure: diff.diff_1000_files %.2f ms\n", median(w, 5));
    for (int r = 0; r < 5; r++) { /* nothing moved since: results reused */
        t1 = now_ms();
        if (lc_diff_refresh(big.d, &err) != LC_OK)
            die("refresh", &err);
        w[r] = now_ms() - t1;
    }
    printf("figure: diff.refresh_1000_unchanged %.2f ms\n", median(w, 5));
    for (int r = 0; r < 3; r++) { /* baseline: git's full patch of the same trees */
        double t0 = now_ms();
        lc_proc_result res = LC_PROC_RESULT_INIT;
        const char *argv[] = {"git", "diff", "--no-index", big.orig, big.shadow, NULL};
        if (lc_proc_run(argv, NULL, 0, 120000, 64 << 20, &res, &err) != LC_OK)
            die("git diff", &err);
        w[r] = now_ms() - t0;
        lc_proc_result_free(&res);
    }
    printf("figure: diff.git_diff_1000_files %.2f ms\n", median(w, 3));
    tree_free(&big);
    }

    /* 4. apply 100 hunks across 20 files, undo between runs */
    if (!only || strcmp(only, "apply") == 0) {
    tree small;
    tree_make(&small, tmp, "small", 20, 60);
    tree_edit(&small, 20, 60, 5, 1);
    if (lc_diff_refresh(small.d, &err) != LC_OK)
        die("refresh", &err);
    size_t hunks = 0;
    for (size_t i = 0; i < lc_diff_count(small.d); i++)
        hunks += lc_diff_file_at(small.d, i)->nhunks;
    if (hunks != 100)
        die("the apply tree does not have 100 hunks", NULL);
    double a[7];
    for (int r = 0; r < 7; r++) {
        lc_diff_select_all(small.d, true);
        lc_diff_report rep = LC_DIFF_REPORT_INIT;
        double t0 = now_ms();
        if (lc_diff_apply(small.d, &rep, &err) != LC_OK)
            die("apply", &err);
        a[r] = now_ms() - t0;
        lc_diff_report_free(&rep);
        if (lc_diff_undo(small.d, &rep, &err) != LC_OK)
            die("undo", &err);
        lc_diff_report_free(&rep);
        sync(); /* untimed: the next apply starts on a settled disk, as a user's would */
    }
    double apply_med = median(a, 7);
    printf("figure: diff.apply_100_hunks %.2f ms\n", apply_med);
    /* baseline: `git apply` of the same 100 hunks (exported patch) on a copy of the original */
    lc_diff_select_all(small.d, true);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(small.d, true, &patch);
    char *ppath = lc_xasprintf("%s/all.patch", tmp), *work = lc_xasprintf("%s/work", tmp);
    if (lc_file_write_atomic(ppath, patch.data, patch.len, 0644, &err) != LC_OK)
        die("patch", &err);
    run_quiet((const char *const[]){"cp", "-a", small.orig, work, NULL});
    for (int r = 0; r < 7; r++) {
        sync();
        double t0 = now_ms();
        run_quiet((const char *const[]){"git", "-C", work, "apply", ppath, NULL});
        a[r] = now_ms() - t0;
        run_quiet((const char *const[]){"git", "-C", work, "apply", "-R", ppath, NULL});
    }
    double git_med = median(a, 7);
    printf("figure: diff.git_apply_100_hunks %.2f ms\n", git_med);
    printf("figure: diff.apply_vs_git_apply %.2f x\n", apply_med / git_med);
    lc_buf_free(&patch);
    free(ppath);
    free(work);
    tree_free(&small);
    }

    lc_rm_rf(tmp, &err);
    free(tmp);
    lc_diff_global_shutdown();
    return 0;
}
