/* bench_verify: what trust but verify costs a step that ran without asking
 * (mode reads), on a 3,000-file project. Around such a step the front end
 * refreshes the change set twice (that was so before) and now also takes the
 * content id of every changed file, so a change that keeps the files and
 * line counts is seen. The figures:
 *   approval.verify_refresh_3000     one refresh when nothing moved (the cost that was there)
 *   approval.verify_ids_3000_N       the content ids with N changed files (0, 10, 100), the
 *                                    added cost, taken twice per verified step
 * Each is the median of many runs. Trees live under $TMPDIR (default /tmp). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "diff/diff.h"

#define FILES 3000
#define LINES 60
#define RUNS 31

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
    return v[n / 2];
}

static void die(const char *what, const lc_err *err)
{
    fprintf(stderr, "bench_verify: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static void write_tree(const char *root, int edited)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    for (int i = 0; i < FILES; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "%s/pkg%02d/mod_%05d.py", root, i / 100, i);
        lc_buf_reset(&b);
        for (int l = 0; l < LINES; l++)
            lc_buf_printf(&b, "    line_%d = compute(%d, %d)%s\n", l, i, l * 7, i < edited && l == 5 ? "  # x" : "");
        char *slash = strrchr(rel, '/');
        *slash = '\0';
        if (lc_mkdir_p(rel, 0755, &err) != LC_OK)
            die("mkdir", &err);
        *slash = '/';
        FILE *fp = fopen(rel, "w"); /* no fsync: the tree is scratch */
        if (!fp || fwrite(b.data, 1, b.len, fp) != b.len || fclose(fp) != 0)
            die(rel, NULL);
        /* Old files, as a project's are: a file written this second is read again by every refresh. */
        struct timespec ts[2] = {{1000000000, 0}, {1000000000 + (edited ? 1 : 0), 0}};
        utimensat(AT_FDCWD, rel, ts, 0);
    }
    lc_buf_free(&b);
}

static void one(const char *tmp, int changed)
{
    char *root = lc_xasprintf("%s/lc-bench-verify-%d-%d", tmp, (int)getpid(), changed);
    char *orig = lc_xasprintf("%s/orig", root), *state = lc_xasprintf("%s/state", root);
    char *shadow = lc_xasprintf("%s/state/shadow", root);
    lc_err err = {0};
    write_tree(orig, 0);
    if (lc_mkdir_p(state, 0700, &err) != LC_OK || lc_diff_snapshot(orig, state, &err) != LC_OK)
        die("snapshot", &err);
    write_tree(shadow, changed);
    lc_diff *d = NULL;
    if (lc_diff_open(orig, shadow, state, NULL, &d, &err) != LC_OK || lc_diff_refresh(d, &err) != LC_OK)
        die("open", &err);
    if ((int)lc_diff_count(d) != changed)
        die("the change set is not what was made", NULL);
    double t[RUNS];
    if (changed == 0) {
        for (int i = 0; i < RUNS; i++) {
            double t0 = now_ms();
            if (lc_diff_refresh(d, &err) != LC_OK)
                die("refresh", &err);
            t[i] = now_ms() - t0;
        }
        printf("figure: approval.verify_refresh_3000 %.3f ms\n", median(t, RUNS));
    }
    for (int i = 0; i < RUNS; i++) {
        double t0 = now_ms();
        free(lc_diff_content_ids(d));
        t[i] = now_ms() - t0;
    }
    printf("figure: approval.verify_ids_3000_%d %.3f ms\n", changed, median(t, RUNS));
    lc_diff_free(d);
    lc_rm_rf(root, NULL);
    free(root);
    free(orig);
    free(state);
    free(shadow);
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        die("init", &err);
    one(tmp, 0);
    one(tmp, 10);
    one(tmp, 100);
    lc_diff_global_shutdown();
    return 0;
}
