/* The static check of a step (the kernel's "analyze" op) in the real
 * container (LITECODE_ENGINE=docker|podman): the image's python gives the
 * same verdicts as the host's for every snippet of tests/fixtures/approval,
 * and the snippets found read-only really leave the shadow copy as it was
 * when they run there. Without an engine the tests skip and say why; with
 * LITECODE_REQUIRE_ENGINE=1 a missing engine fails them. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine_support.h"

typedef struct fixture {
    lc_config cfg;
    lc_engine *engine;
    char *project;
    char *state;
    char *shadow;
    char *session_id;
    lc_executor *ex;
} fixture;

static fixture F;

static int group_setup(void **state)
{
    (void)state;
    lc_config_defaults(&F.cfg);
    lc_strv_clear(&F.cfg.container.authorized_imports);
    lc_strv_push(&F.cfg.container.authorized_imports, "*");
    F.engine = lc_test_engine_open(&F.cfg.container);
    if (!F.engine)
        return lc_test_engine_required() ? -1 : 0;
    F.project = lc_test_tmpdir("project");
    lc_test_write(F.project, "README.md", "# demo\n");
    lc_test_write(F.project, "a.py", "def f():\n    return 1\n");
    lc_test_write(F.project, "a", "x y x\n");
    lc_test_write(F.project, "x.json", "{\"a\": 1}\n");
    lc_test_write(F.project, "inventory.py", "ITEMS = []\n");
    lc_test_write(F.project, "src/b.py", "# TODO\n");
    F.state = lc_test_tmpdir("state");
    lc_err err = {0};
    char *sdir = NULL;
    assert_int_equal(lc_session_dir_create(F.state, &sdir, &F.session_id, &err), LC_OK);
    F.shadow = lc_path_join(sdir, "shadow");
    free(sdir);
    uid_t uid;
    gid_t gid;
    lc_sandbox_user(&uid, &gid);
    lc_shadow_report rep = LC_SHADOW_REPORT_INIT;
    assert_int_equal(lc_shadow_copy(F.project, F.shadow, uid, gid, &rep, &err), LC_OK);
    lc_shadow_report_free(&rep);
    lc_sandbox_opts so = {&F.cfg.container, F.shadow, F.session_id, F.engine, NULL};
    assert_int_equal(lc_sandbox_new(&so, &F.ex, &err), LC_OK);
    if (lc_executor_start(F.ex, &err) != LC_OK) {
        fprintf(stderr, "start failed: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    lc_executor_destroy(F.ex);
    lc_err err = {0};
    if (F.project)
        lc_rm_rf(F.project, &err);
    if (F.state)
        lc_rm_rf(F.state, &err);
    free(F.project);
    free(F.state);
    free(F.shadow);
    free(F.session_id);
    lc_engine_free(F.engine);
    lc_config_free(&F.cfg);
    return 0;
}

#define NEED_ENGINE()  \
    do {               \
        if (!F.engine) \
            skip();    \
    } while (0)

static void snippets(const char *name, lc_strv *out)
{
    char *path = lc_xasprintf("%s/tests/fixtures/approval/%s", LC_SOURCE_DIR, name);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    if (lc_file_read(path, 1 << 20, &b, &err) != LC_OK)
        fail_msg("%s: %s", path, err.msg);
    const char *s = lc_buf_cstr(&b);
    for (;;) {
        const char *sep = strstr(s, "\n# ---\n");
        if (!sep) {
            lc_strv_push(out, s);
            break;
        }
        lc_strv_push_owned(out, lc_xstrndup(s, (size_t)(sep - s + 1)));
        s = sep + 7;
    }
    lc_buf_free(&b);
    free(path);
}

static bool read_only(const char *code)
{
    lc_strv vouched = LC_STRV_INIT;
    lc_strv_push(&vouched, "search_files");
    lc_strv_push(&vouched, "grep_code");
    cJSON *an = NULL;
    lc_err err = {0};
    int rc = lc_executor_analyze(F.ex, code, &vouched, NULL, &an, &err);
    lc_strv_free(&vouched);
    if (rc != LC_OK)
        fail_msg("analyze: %s", err.msg);
    bool ro = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(an, "read_only"));
    cJSON_Delete(an);
    return ro;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every entry under dir with its size, mode and mtime, sorted by the walk. */
static void listing(const char *dir, const char *rel, lc_buf *out)
{
    char *path = rel[0] ? lc_path_join(dir, rel) : lc_xstrdup(dir);
    DIR *d = opendir(path);
    assert_non_null(d);
    lc_strv names = LC_STRV_INIT;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            lc_strv_push(&names, e->d_name);
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof names.v[0], cmp_str);
    for (size_t i = 0; i < names.n; i++) {
        char *r = rel[0] ? lc_path_join(rel, names.v[i]) : lc_xstrdup(names.v[i]);
        char *full = lc_path_join(dir, r);
        struct stat st;
        assert_int_equal(lstat(full, &st), 0);
        lc_buf_printf(out, "%s %o %lld %lld.%09ld\n", r, (unsigned)st.st_mode, (long long)st.st_size,
                      (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        if (S_ISDIR(st.st_mode))
            listing(dir, r, out);
        free(full);
        free(r);
    }
    lc_strv_free(&names);
    free(path);
}

static void test_hostile_snippets_may_write_in_the_container(void **state)
{
    (void)state;
    NEED_ENGINE();
    lc_strv v = LC_STRV_INIT;
    snippets("may_write.py", &v);
    assert_true(v.n >= 30);
    int missed = 0;
    for (size_t i = 0; i < v.n; i++)
        if (read_only(v.v[i])) {
            fprintf(stderr, "found read-only in the container, must ask (snippet %zu):\n%s\n", i + 1, v.v[i]);
            missed++;
        }
    lc_strv_free(&v);
    assert_int_equal(missed, 0);
}

static void test_read_only_snippets_leave_the_shadow_alone(void **state)
{
    (void)state;
    NEED_ENGINE();
    /* The helpers the snippets call, as read-only stand-ins. */
    lc_err err = {0};
    assert_int_equal(lc_executor_define(F.ex,
                                        "import glob as _g\n"
                                        "def search_files(pattern, path='.'):\n"
                                        "    return sorted(_g.glob(path + '/**/' + pattern, recursive=True))\n"
                                        "def grep_code(pattern, path='.'):\n"
                                        "    return []\n",
                                        &err),
                     LC_OK);
    lc_buf before = LC_BUF_INIT, after = LC_BUF_INIT;
    listing(F.shadow, "", &before);
    lc_strv v = LC_STRV_INIT;
    snippets("read_only.py", &v);
    for (size_t i = 0; i < v.n; i++) {
        if (!read_only(v.v[i]))
            fail_msg("found may-write in the container, should read (snippet %zu):\n%s", i + 1, v.v[i]);
        if (strstr(v.v[i], "final_answer"))
            continue; /* ends a run; nothing to see */
        lc_exec_result r = {0};
        assert_int_equal(lc_executor_exec(F.ex, v.v[i], 30, NULL, &r, &err), LC_OK);
        lc_exec_result_free(&r);
    }
    lc_strv_free(&v);
    listing(F.shadow, "", &after);
    assert_string_equal(lc_buf_cstr(&before), lc_buf_cstr(&after));
    lc_buf_free(&before);
    lc_buf_free(&after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_snippets_may_write_in_the_container),
        cmocka_unit_test(test_read_only_snippets_leave_the_shadow_alone),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
