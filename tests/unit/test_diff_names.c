/* diff/ names and links: every path git's verify_path refuses (with
 * core.protectNTFS and core.protectHFS) is refused on every filesystem, checked
 * against a table and against git itself; and no symlink litecode writes can
 * lead outside the directory, alone, through the user's links, through links
 * of the same batch or through links of earlier applies. */
#include <errno.h>
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
#include "diff_fixture.h"

typedef struct ncase {
    const char *path;
    bool link;     /* created as a symlink (to "target") */
    bool reserved; /* litecode must refuse it */
} ncase;

static const ncase cases[] = {
    {".GIT/hooks/pre-commit", false, true},
    {".Git/config", false, true},
    {"a/.gIT/x", false, true},
    {"git~1/config", false, true},
    {"GIT~1/hooks/x", false, true},
    {".git./x", false, true},
    {".git /x", false, true},
    {".git. . /x", false, true},
    {".git::$INDEX_ALLOCATION/x", false, true},
    {".git:stream", false, true},
    {"a\\.git\\hooks", false, true},
    {"b\\git~1", false, true},
    {".git\\", false, true},
    {"GIT~1. ", false, true},
    {".GIT:$DATA", false, true},
    {".g\xe2\x80\x8cit/x", false, true},          /* U+200C zero width non-joiner */
    {".git\xe2\x80\x8d/x", false, true},          /* U+200D */
    {"\xe2\x80\x8e.GIT/x", false, true},          /* U+200E before the dot */
    {".gi\xef\xbb\xbft/y", false, true},          /* U+FEFF */
    {"d/.Gi\xe2\x81\xaft", false, true},          /* U+206F */
    {".gitmodules", true, true},
    {"m/.GITMODULES", true, true},
    {".gitmodules .", true, true},
    {"gitmod~1", true, true},
    {"gi7eba~1", true, true},
    {".gitattributes", true, true},
    {".gitignore", true, true},
    /* ordinary names */
    {".gitmodules", false, false},
    {".gitignore", false, false},
    {".github/workflows/ci.yml", false, false},
    {"a.git", false, false},
    {".gitx", false, false},
    {".git.x/y", false, false},
    {"git~", false, false},
    {"git~a", false, false},
    {"x/.gitkeep", false, false},
    {"gitmodules", true, false},
    {"foo.", false, false},
    {".g\xc3\xaft/x", false, false}, /* a different letter, not an ignorable */
    {"back\\slash\\", false, false},
    {"x\\\\y", false, false},
    {" .git/x", false, false},
    {"git~1x", false, false},
};
#define NCASES (sizeof cases / sizeof *cases)

/* Each case in its own subdirectory so file and link versions of a name coexist. */
static char *case_path(size_t i)
{
    return lc_xasprintf("c%02zu/%s", i, cases[i].path);
}

static void make_case(const char *root, size_t i)
{
    char *rel = case_path(i);
    if (cases[i].link) {
        dfx_edit(root, "target", "t\n");
        char *p = dfx_P(root, rel);
        char *dir = lc_xstrdup(p);
        *strrchr(dir, '/') = '\0';
        lc_err err = {0};
        assert_int_equal(lc_mkdir_p(dir, 0755, &err), LC_OK);
        assert_int_equal(symlink("target", p), 0);
        free(dir);
        free(p);
    } else {
        dfx_edit(root, rel, "#!/bin/sh\necho owned\n");
    }
    free(rel);
}

static void test_git_reserved_names_are_refused(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "keep.txt", "k\n");
    dfx_start(f);
    for (size_t i = 0; i < NCASES; i++)
        make_case(f->shadow, i);
    dfx_refresh(f);
    for (size_t i = 0; i < NCASES; i++) {
        char *rel = case_path(i);
        const lc_diff_file *df = dfx_find(f, rel, NULL);
        if (!df)
            fail_msg("%s is not in the review", rel);
        if (df->reserved != cases[i].reserved)
            fail_msg("%s (%s): reserved is %d, want %d", rel, cases[i].link ? "link" : "file", df->reserved,
                     cases[i].reserved);
        free(rel);
    }
    /* apply all: every reserved one is refused with the reason, the others are written */
    lc_diff_select_all(f->d, true);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_diff_apply(f->d, &rep, &err), LC_ESECURITY);
    for (size_t i = 0; i < NCASES; i++) {
        char *rel = case_path(i);
        const lc_diff_result *r = dfx_outcome(&rep, rel);
        assert_non_null(r);
        struct stat st;
        char *p = dfx_P(f->orig, rel);
        if (cases[i].reserved) {
            assert_int_equal(r->outcome, LC_DIFF_REFUSED);
            assert_non_null(strstr(r->message, "git"));
            assert_int_equal(lstat(p, &st), -1);
        } else {
            assert_int_equal(r->outcome, LC_DIFF_APPLIED);
            assert_int_equal(lstat(p, &st), 0);
        }
        free(p);
        free(rel);
    }
    lc_diff_report_free(&rep);
    /* nothing of .GIT was even made as a directory */
    struct stat st;
    char *p = dfx_P(f->orig, "c00/.GIT");
    assert_int_equal(lstat(p, &st), -1);
    free(p);
    /* the rest stays listed, marked; revert and export refuse them too */
    assert_true(dfx_find(f, "c00/.GIT/hooks/pre-commit", NULL)->reserved);
    lc_buf patch = LC_BUF_INIT, sum = LC_BUF_INIT;
    lc_diff_export_patch(f->d, false, &patch);
    assert_null(strstr(lc_buf_cstr(&patch), "diff --git a/c00/.GIT"));
    assert_non_null(strstr(lc_buf_cstr(&patch), "left out, a name git reserves (never applied): c00/.GIT/hooks/pre-commit"));
    lc_diff_summary(f->d, &sum);
    assert_non_null(strstr(lc_buf_cstr(&sum), "c00/.GIT/hooks/pre-commit  +2 -0  (a name git reserves: never applied)"));
    lc_buf_free(&patch);
    lc_buf_free(&sum);
    size_t idx;
    assert_non_null(dfx_find(f, "c00/.GIT/hooks/pre-commit", &idx));
    lc_diff_select_all(f->d, false);
    assert_int_equal(lc_diff_select(f->d, idx, LC_DIFF_WHOLE, true, &err), LC_OK);
    assert_int_equal(lc_diff_revert(f->d, &rep, &err), LC_ESECURITY);
    assert_int_equal(rep.v[0].outcome, LC_DIFF_REFUSED);
    lc_diff_report_free(&rep);
}

/* git itself, with both protections on: whatever it refuses, litecode refuses. */
static void test_names_match_git_verify_path(void **state)
{
    fx *f = *state;
    char *repo = dfx_P(f->root, "repo");
    dfx_run((const char *const[]){"git", "init", "-q", repo, NULL});
    const char *blob = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"; /* the empty blob */
    dfx_wr(f->orig, "keep.txt", "k\n");
    dfx_start(f);
    for (size_t i = 0; i < NCASES; i++)
        make_case(f->shadow, i);
    dfx_refresh(f);
    for (size_t i = 0; i < NCASES; i++) {
        char *info = lc_xasprintf("%s,%s,%s", cases[i].link ? "120000" : "100644", blob, cases[i].path);
        lc_proc_result res = LC_PROC_RESULT_INIT;
        lc_err err = {0};
        assert_int_equal(lc_proc_run((const char *const[]){"git", "-C", repo, "-c", "core.protectNTFS=true", "-c",
                                                           "core.protectHFS=true", "update-index", "--add",
                                                           "--cacheinfo", info, NULL},
                                     NULL, 0, 10000, 4096, &res, &err),
                         LC_OK);
        bool git_refuses = res.exit_code != 0;
        lc_proc_result_free(&res);
        char *rel = case_path(i);
        const lc_diff_file *df = dfx_find(f, rel, NULL);
        assert_non_null(df);
        if (git_refuses && !df->reserved)
            fail_msg("git refuses %s but litecode would write it", cases[i].path);
        if (!cases[i].reserved && git_refuses)
            fail_msg("the table says %s is ordinary but git refuses it", cases[i].path);
        free(rel);
        free(info);
    }
    free(repo);
}

/* ---- symlinks ----------------------------------------------------------------------------- */

static void mklink(const char *root, const char *rel, const char *target)
{
    char *p = dfx_P(root, rel);
    char *dir = lc_xstrdup(p);
    *strrchr(dir, '/') = '\0';
    lc_err err = {0};
    assert_int_equal(lc_mkdir_p(dir, 0755, &err), LC_OK);
    assert_int_equal(symlink(target, p), 0);
    free(dir);
    free(p);
}

static bool is_link(const char *root, const char *rel)
{
    struct stat st;
    char *p = dfx_P(root, rel);
    bool r = lstat(p, &st) == 0 && S_ISLNK(st.st_mode);
    free(p);
    return r;
}

static lc_diff_outcome apply_all(fx *f, lc_diff_report *rep)
{
    lc_err err = {0};
    lc_diff_select_all(f->d, true);
    lc_diff_apply(f->d, rep, &err);
    return rep->n ? rep->v[0].outcome : LC_DIFF_FAILED;
}

static void test_symlink_chain_through_dotdot_is_refused(void **state)
{
    fx *f = *state;
    dfx_wr(f->orig, "keep.txt", "k\n");
    dfx_start(f);
    mklink(f->shadow, "sub/up", "..");
    mklink(f->shadow, "esc", "sub/up/sub/up/sub/up/sub/up/../../../../etc/passwd");
    mklink(f->shadow, "ok", "./sub/file.txt");
    dfx_edit(f->shadow, "sub/file.txt", "inside\n");
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    apply_all(f, &rep);
    assert_int_equal(dfx_outcome(&rep, "sub/up")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "sub/up")->message, "\"..\""));
    assert_int_equal(dfx_outcome(&rep, "esc")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(dfx_outcome(&rep, "ok")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_false(is_link(f->orig, "sub/up"));
    assert_false(is_link(f->orig, "esc"));
    assert_true(is_link(f->orig, "ok"));
    char *real = dfx_P(f->orig, "ok");
    char *r = realpath(real, NULL);
    assert_non_null(r);
    char *want = realpath(f->orig, NULL);
    assert_true(strncmp(r, want, strlen(want)) == 0);
    free(r);
    free(want);
    free(real);
}

static void test_link_through_the_users_link_is_refused(void **state)
{
    fx *f = *state;
    char *outside = dfx_P(f->root, "outside");
    dfx_wr(outside, "secret", "s\n");
    dfx_wr(f->orig, "keep.txt", "k\n");
    mklink(f->orig, "ext", outside);      /* the user's own link out, absolute */
    mklink(f->orig, "rel", "../outside"); /* and a relative one */
    dfx_wr(f->orig, "dir/plain.txt", "p\n");
    mklink(f->orig, "dir/out", outside);
    dfx_start(f);
    mklink(f->shadow, "x", "ext/secret");
    mklink(f->shadow, "y", "rel");
    mklink(f->shadow, "a", "dir");            /* inside, fine alone */
    mklink(f->shadow, "z", "a/out/secret");   /* through a planned link to the user's link */
    mklink(f->shadow, "w", "dir/plain.txt"); /* inside */
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    apply_all(f, &rep);
    assert_int_equal(dfx_outcome(&rep, "x")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "x")->message, "through the symlink ext"));
    assert_int_equal(dfx_outcome(&rep, "y")->outcome, LC_DIFF_REFUSED);
    assert_int_equal(dfx_outcome(&rep, "z")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "z")->message, "dir/out"));
    assert_int_equal(dfx_outcome(&rep, "a")->outcome, LC_DIFF_APPLIED);
    assert_int_equal(dfx_outcome(&rep, "w")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_false(is_link(f->orig, "x"));
    assert_false(is_link(f->orig, "y"));
    assert_false(is_link(f->orig, "z"));
    free(outside);
}

/* An earlier apply's link must not be made to lead outside by a later one. */
static void test_later_link_cannot_redirect_an_earlier_one(void **state)
{
    fx *f = *state;
    char *outside = dfx_P(f->root, "outside");
    dfx_wr(outside, "b", "secret\n");
    dfx_wr(f->orig, "c/keep.txt", "k\n");
    mklink(f->orig, "c/b", "../../outside/b"); /* the user's link, climbing out */
    dfx_start(f);
    mklink(f->shadow, "x", "a/b"); /* a does not exist yet: inside */
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    assert_int_equal(apply_all(f, &rep), LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_true(is_link(f->orig, "x"));
    mklink(f->shadow, "a", "c"); /* now x -> a/b -> c/b -> outside */
    dfx_refresh(f);
    assert_int_equal(apply_all(f, &rep), LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "a")->message, "the symlink x already in your directory"));
    lc_diff_report_free(&rep);
    assert_false(is_link(f->orig, "a"));
    free(outside);
}

/* The same through a link that was there before the session (an earlier session's, or the
 * user's own): the snapshot's links are followed too. */
static void test_new_link_cannot_redirect_a_link_already_there(void **state)
{
    fx *f = *state;
    char *outside = dfx_P(f->root, "outside");
    dfx_wr(outside, "b", "secret\n");
    dfx_wr(f->orig, "c/keep.txt", "k\n");
    mklink(f->orig, "c/b", "../../outside/b");
    mklink(f->orig, "x", "a/b");
    dfx_start(f);
    mklink(f->shadow, "a", "c");
    mklink(f->shadow, "d", "c/keep.txt"); /* a link elsewhere in the same batch is fine */
    dfx_refresh(f);
    lc_diff_report rep = LC_DIFF_REPORT_INIT;
    apply_all(f, &rep);
    assert_int_equal(dfx_outcome(&rep, "a")->outcome, LC_DIFF_REFUSED);
    assert_non_null(strstr(dfx_outcome(&rep, "a")->message, "the symlink x already in your directory"));
    assert_int_equal(dfx_outcome(&rep, "d")->outcome, LC_DIFF_APPLIED);
    lc_diff_report_free(&rep);
    assert_false(is_link(f->orig, "a"));
    free(outside);
}

int main(void)
{
    lc_err err = {0};
    if (lc_diff_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_git_reserved_names_are_refused, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_names_match_git_verify_path, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_symlink_chain_through_dotdot_is_refused, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_link_through_the_users_link_is_refused, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_later_link_cannot_redirect_an_earlier_one, dfx_setup, dfx_teardown),
        cmocka_unit_test_setup_teardown(test_new_link_cannot_redirect_a_link_already_there, dfx_setup, dfx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_diff_global_shutdown();
    return rc;
}
