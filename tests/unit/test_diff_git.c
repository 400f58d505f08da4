/* diff/ against git itself. For files with four or more hunks, every subset
 * of hunks is applied to the original with lc_diff_apply and, separately, the
 * exported patch of the same selection is applied with `git apply` to a copy
 * of the base; the bytes must be identical (LF, CRLF, mixed endings, missing
 * final newline on either side). Each apply is then undone, which must give
 * the base back. Also: the whole exported patch, with added, deleted,
 * mode-changed, emptied and oddly named files, turns a copy of the original
 * into the shadow under `git apply`, and lc_diff_apply gives the same tree. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diff/diff.h"

typedef struct fx {
    char *root, *orig, *shadow, *state, *work;
    lc_diff *d;
} fx;

static char *P(const char *a, const char *b)
{
    return lc_xasprintf("%s/%s", a, b);
}

static lc_proc_result run(const char *const *argv)
{
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 30000, 1 << 22, &res, &err), LC_OK);
    if (res.exit_code != 0)
        fail_msg("%s %s failed: %s", argv[0], argv[1] ? argv[1] : "", lc_buf_cstr(&res.err));
    return res;
}

static void put(const char *root, const char *rel, const lc_buf *b, bool past)
{
    char *path = P(root, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(path, 0755, &err), LC_OK);
    *slash = '/';
    struct stat st;
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 0777 : 0644;
    assert_int_equal(lc_file_write_atomic(path, b->data ? b->data : "", b->len, mode, &err), LC_OK);
    if (past) {
        struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
        utimensat(AT_FDCWD, path, ts, 0);
    }
    free(path);
}

static void get(const char *root, const char *rel, lc_buf *out)
{
    char *path = P(root, rel);
    lc_err err = {0};
    lc_buf_reset(out);
    if (lc_file_read(path, 1 << 24, out, &err) != LC_OK)
        fail_msg("reading %s: %s", path, err.msg);
    lc_buf_append(out, "", 0);
    free(path);
}

static int setup(void **state)
{
    fx *f = lc_xcalloc(1, sizeof *f);
    char tmpl[] = "/tmp/lc-diffgit-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    f->root = lc_xstrdup(tmpl);
    f->orig = P(f->root, "orig");
    f->shadow = P(f->root, "state/shadow");
    f->state = P(f->root, "state");
    f->work = P(f->root, "work");
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(f->orig, 0755, &err), LC_OK);
    assert_int_equal(lc_mkdir_p(f->state, 0700, &err), LC_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lc_diff_free(f->d);
    lc_err err = {0};
    lc_rm_rf(f->root, &err);
    free(f->root);
    free(f->orig);
    free(f->shadow);
    free(f->state);
    free(f->work);
    free(f);
    return 0;
}

static void start(fx *f)
{
    lc_err err = {0};
    assert_int_equal(lc_diff_snapshot(f->orig, f->state, &err), LC_OK);
    lc_proc_result r = run((const char *const[]){"cp", "-a", f->orig, f->shadow, NULL});
    lc_proc_result_free(&r);
    assert_int_equal(lc_diff_open(f->orig, f->shadow, f->state, NULL, &f->d, &err), LC_OK);
}

/* One generated file: a base of n lines and a version with edits every 10 lines. */
typedef struct gen {
    const char *name;
    const char *eol;     /* line ending of the base */
    int lines;
    int edits;           /* each becomes one hunk */
    bool base_noeol;     /* base has no final newline */
    bool new_noeol;      /* new version has no final newline */
    bool edit_last;      /* the last edit touches the last line */
} gen;

static void make(const gen *g, lc_buf *base, lc_buf *new)
{
    for (int i = 1; i <= g->lines; i++) {
        bool last = i == g->lines;
        const char *beol = last && g->base_noeol ? "" : g->eol;
        lc_buf_printf(base, "line %d of %s%s", i, g->name, beol);
        int k = i / 10 - 1; /* edits at lines 10, 20, ... */
        bool edited = (i % 10 == 0 && k >= 0 && k < g->edits - (g->edit_last ? 1 : 0)) ||
                      (last && g->edit_last);
        const char *neol = last && g->new_noeol ? "" : g->eol;
        if (!edited) {
            lc_buf_printf(new, "line %d of %s%s", i, g->name, neol);
            continue;
        }
        switch ((i / 10 + (last ? 3 : 0)) % 4) {
        case 0: /* replace */
            lc_buf_printf(new, "LINE %d CHANGED%s", i, neol);
            break;
        case 1: /* insert two, one with a different ending */
            lc_buf_printf(new, "line %d of %s%s", i, g->name, g->eol);
            lc_buf_printf(new, "inserted a\n");
            lc_buf_printf(new, "inserted b%s", neol);
            break;
        case 2: /* delete */
            if (last)
                lc_buf_printf(new, "last replaced%s", neol);
            break;
        default: /* replace with two */
            lc_buf_printf(new, "two %d\r\n", i);
            lc_buf_printf(new, "for %d%s", i, neol);
            break;
        }
    }
}

static const gen GENS[] = {
    {"lf4.txt", "\n", 50, 4, false, false, false},
    {"crlf5.txt", "\r\n", 60, 5, false, false, true},
    {"noeol4.txt", "\n", 47, 4, true, true, true},
    {"addeol4.txt", "\n", 45, 4, true, false, true},
    {"dropeol5.txt", "\n", 55, 5, false, true, true},
    {"lf6.txt", "\n", 70, 6, false, false, false},
};
#define NGENS (sizeof GENS / sizeof *GENS)

static size_t index_of(fx *f, const char *name)
{
    for (size_t i = 0; i < lc_diff_count(f->d); i++)
        if (strcmp(lc_diff_file_at(f->d, i)->path, name) == 0)
            return i;
    fail_msg("%s is not in the review", name);
    return 0;
}

typedef struct bufs {
    char *patch_path;
    lc_buf got, want, patch;
} bufs;

/* Applies hunks `mask` of one file both ways, compares, undoes. */
static void check_subset(fx *f, bufs *w, const char *name, const lc_buf *base, const lc_buf *new,
                         size_t nh, unsigned long long mask)
{
    lc_err err = {0};
    size_t fi = index_of(f, name);
    for (size_t h = 0; h < nh; h++)
        assert_int_equal(lc_diff_select(f->d, fi, h, (mask >> h) & 1, &err), LC_OK);
    lc_buf_reset(&w->patch);
    lc_diff_export_patch(f->d, true, &w->patch);
    assert_int_equal(lc_file_write_atomic(w->patch_path, w->patch.data, w->patch.len, 0644, &err), LC_OK);
    put(f->work, name, base, false);
    lc_proc_result r = run((const char *const[]){"git", "-C", f->work, "apply", w->patch_path, NULL});
    lc_proc_result_free(&r);
    get(f->work, name, &w->want);

    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    if (lc_diff_apply(f->d, &rep, &err) != LC_OK)
        fail_msg("apply %s mask %llx: %s", name, mask, err.msg);
    lc_diff_report_free(&rep);
    get(f->orig, name, &w->got);
    if (w->got.len != w->want.len || memcmp(w->got.data, w->want.data, w->got.len) != 0)
        fail_msg("%s, hunks mask %llx: lc_diff_apply differs from git apply\n--- patch\n%s", name, mask,
                 w->patch.data);
    if (mask == (1ull << nh) - 1) /* everything: the shadow's bytes */
        assert_true(w->got.len == new->len && memcmp(w->got.data, new->data, new->len) == 0);
    assert_int_equal(lc_diff_undo(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    get(f->orig, name, &w->got);
    assert_int_equal(w->got.len, base->len);
    assert_memory_equal(w->got.data, base->data, base->len);
}

static void bufs_init(fx *f, bufs *w)
{
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(f->work, 0755, &err), LC_OK);
    w->patch_path = P(f->root, "sel.patch");
    w->got = w->want = w->patch = (lc_buf)LC_BUF_INIT;
}

static void bufs_free(bufs *w)
{
    free(w->patch_path);
    lc_buf_free(&w->got);
    lc_buf_free(&w->want);
    lc_buf_free(&w->patch);
}

static void test_every_subset_of_hunks_matches_git_apply(void **state)
{
    fx *f = *state;
    lc_buf base[NGENS], new[NGENS];
    for (size_t g = 0; g < NGENS; g++) {
        base[g] = (lc_buf)LC_BUF_INIT;
        new[g] = (lc_buf)LC_BUF_INIT;
        make(&GENS[g], &base[g], &new[g]);
        put(f->orig, GENS[g].name, &base[g], true);
    }
    start(f);
    for (size_t g = 0; g < NGENS; g++)
        put(f->shadow, GENS[g].name, &new[g], false);
    lc_err err = {0};
    assert_int_equal(lc_diff_refresh(f->d, &err), LC_OK);
    assert_int_equal(lc_diff_count(f->d), NGENS);
    bufs w;
    bufs_init(f, &w);
    size_t checked = 0;
    for (size_t g = 0; g < NGENS; g++) {
        const char *name = GENS[g].name;
        size_t nh = lc_diff_file_at(f->d, index_of(f, name))->nhunks;
        assert_true(nh >= 4);
        assert_int_equal(nh, (size_t)GENS[g].edits);
        for (unsigned mask = 1; mask < (1u << nh); mask++, checked++)
            check_subset(f, &w, name, &base[g], &new[g], nh, mask);
    }
    assert_int_equal(checked, 15 + 31 + 15 + 15 + 31 + 63);
    bufs_free(&w);
    for (size_t g = 0; g < NGENS; g++) {
        lc_buf_free(&base[g]);
        lc_buf_free(&new[g]);
    }
}

static unsigned long long rng_next(unsigned long long *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 33;
}

/* Random edits over lines from a tiny vocabulary (so context repeats), with
 * LF, CRLF or mixed endings and a missing final newline on either side. */
static void make_random(unsigned long long seed, lc_buf *base, lc_buf *new)
{
    static const char *const vocab[] = {"x = 1", "y = 2", "", "    return x", "}", "def f():",
                                        "pass", "# note"};
    unsigned long long s = seed;
    int eolmode = (int)(rng_next(&s) % 3);
    int n = 60 + (int)(rng_next(&s) % 80);
    bool base_noeol = rng_next(&s) % 3 == 0, new_noeol = rng_next(&s) % 3 == 0;
    for (int i = 0; i < n; i++) {
        const char *eol = eolmode == 0 ? "\n" : eolmode == 1 ? "\r\n" : rng_next(&s) % 2 ? "\n" : "\r\n";
        const char *line = vocab[rng_next(&s) % 8];
        bool last = i == n - 1;
        unsigned op = (unsigned)(rng_next(&s) % 16);
        lc_buf_printf(base, "%s%s", line, last && base_noeol ? "" : eol);
        const char *neol = last && new_noeol ? "" : eol;
        if (op == 0) { /* replace */
            lc_buf_printf(new, "%s %d%s", vocab[rng_next(&s) % 8], i, neol);
        } else if (op == 1) { /* insert before */
            lc_buf_printf(new, "added %d\n", i);
            lc_buf_printf(new, "%s%s", line, neol);
        } else if (op != 2 || last) { /* 2: delete (but keep the last line) */
            lc_buf_printf(new, "%s%s", line, neol);
        }
    }
}

static void test_random_edits_match_git_apply(void **state)
{
    fx *f = *state;
    enum { NR = 8 };
    lc_buf base[NR], new[NR];
    char names[NR][32];
    for (int g = 0; g < NR; g++) {
        base[g] = (lc_buf)LC_BUF_INIT;
        new[g] = (lc_buf)LC_BUF_INIT;
        make_random(0x5eed0000ull + (unsigned long long)g * 7919, &base[g], &new[g]);
        snprintf(names[g], sizeof names[g], "rand%d.txt", g);
        put(f->orig, names[g], &base[g], true);
    }
    start(f);
    for (int g = 0; g < NR; g++)
        put(f->shadow, names[g], &new[g], false);
    lc_err err = {0};
    assert_int_equal(lc_diff_refresh(f->d, &err), LC_OK);
    bufs w;
    bufs_init(f, &w);
    int files = 0;
    for (int g = 0; g < NR; g++) {
        const lc_diff_file *df = lc_diff_file_at(f->d, index_of(f, names[g]));
        size_t nh = df->nhunks;
        print_message("%s: %zu hunks\n", names[g], nh);
        if (nh < 4)
            continue;
        assert_true(nh < 64);
        files++;
        unsigned long long s = (unsigned long long)g, all = (1ull << nh) - 1;
        if (nh <= 6) {
            for (unsigned long long mask = 1; mask <= all; mask++)
                check_subset(f, &w, names[g], &base[g], &new[g], nh, mask);
        } else { /* too many subsets: every single hunk, all, and random ones */
            for (size_t h = 0; h < nh; h++)
                check_subset(f, &w, names[g], &base[g], &new[g], nh, 1ull << h);
            check_subset(f, &w, names[g], &base[g], &new[g], nh, all);
            for (int k = 0; k < 24; k++) {
                unsigned long long mask = ((rng_next(&s) << 31) ^ rng_next(&s)) & all;
                if (mask)
                    check_subset(f, &w, names[g], &base[g], &new[g], nh, mask);
            }
        }
    }
    assert_true(files >= NR / 2); /* the generator does give files with 4+ hunks */
    bufs_free(&w);
    for (int g = 0; g < NR; g++) {
        lc_buf_free(&base[g]);
        lc_buf_free(&new[g]);
    }
}

static void test_whole_patch_turns_the_original_into_the_shadow(void **state)
{
    fx *f = *state;
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "keep\n");
    put(f->orig, "keep.txt", &b, true);
    put(f->orig, "gone.txt", &b, true);
    put(f->orig, "run.sh", &b, true);
    put(f->orig, "we\"ird\tname.txt", &b, true);
    put(f->orig, "sub/dir/x.c", &b, true);
    put(f->orig, "to-empty.txt", &b, true);
    lc_buf none = LC_BUF_INIT;
    put(f->orig, "from-empty.txt", &none, true);
    start(f);
    put(f->shadow, "to-empty.txt", &none, false);
    put(f->shadow, "from-empty.txt", &b, false);
    lc_buf_reset(&b);
    lc_buf_puts(&b, "changed\r\nno eol");
    put(f->shadow, "sub/dir/x.c", &b, false);
    put(f->shadow, "we\"ird\tname.txt", &b, false);
    put(f->shadow, "new/file.txt", &b, false);
    lc_buf_reset(&b);
    put(f->shadow, "new/empty.txt", &b, false);
    char *p = P(f->shadow, "gone.txt");
    unlink(p);
    free(p);
    p = P(f->shadow, "run.sh");
    chmod(p, 0755);
    free(p);
    lc_err err = {0};
    assert_int_equal(lc_diff_refresh(f->d, &err), LC_OK);
    assert_int_equal(lc_diff_count(f->d), 8);
    lc_buf patch = LC_BUF_INIT;
    lc_diff_export_patch(f->d, false, &patch);
    char *patch_path = P(f->root, "all.patch");
    assert_int_equal(lc_file_write_atomic(patch_path, patch.data, patch.len, 0644, &err), LC_OK);
    lc_proc_result r = run((const char *const[]){"cp", "-a", f->orig, f->work, NULL});
    lc_proc_result_free(&r);
    r = run((const char *const[]){"git", "-C", f->work, "apply", patch_path, NULL});
    lc_proc_result_free(&r);
    /* diff -r exits 0 only when the trees are the same */
    r = run((const char *const[]){"diff", "-r", "--no-dereference", f->work, f->shadow, NULL});
    lc_proc_result_free(&r);
    struct stat st;
    p = P(f->work, "run.sh");
    assert_int_equal(stat(p, &st), 0);
    assert_true(st.st_mode & 0100);
    free(p);
    /* lc_diff_apply of everything gives the same tree as git apply */
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_OK);
    lc_diff_report_free(&rep);
    r = run((const char *const[]){"diff", "-r", "--no-dereference", f->work, f->orig, NULL});
    lc_proc_result_free(&r);
    free(patch_path);
    lc_buf_free(&patch);
    lc_buf_free(&b);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_every_subset_of_hunks_matches_git_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_random_edits_match_git_apply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whole_patch_turns_the_original_into_the_shadow, setup,
                                        teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
