/* The approval policy's static check (the kernel's "analyze" op), driven on
 * the host's python3 with the same kernel source the image runs: every
 * snippet of tests/fixtures/approval/may_write.py must be found "may write",
 * every one of read_only.py read-only; and what the check reports (aliases
 * resolved, literal paths written, open modes, tool calls, names of earlier
 * steps) is what rules and the log rely on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec/exec.h"
#include "exec/exec_internal.h"

typedef struct kernel {
    lc_proc *p;
    lc_buf in;
    int next_id;
} kernel;

static kernel K;

/* The kernel runs in a directory holding project files named like stdlib
 * modules the check looks into (as /workspace may): importing one would run
 * project code next to the supervisor's descriptors. */
static char proj[64];

static int kernel_up(void **state)
{
    (void)state;
    snprintf(proj, sizeof proj, "/tmp/lc-approval-XXXXXX");
    if (!mkdtemp(proj))
        return -1;
    char *old = getcwd(NULL, 0);
    const char *names[] = {"graphlib.py", "difflib.py", "statistics.py"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char *path = lc_path_join(proj, names[i]);
        char *body = lc_xasprintf("open(%s + '/IMPORTED', 'a').write('%s')\n", "__file__.rsplit('/', 1)[0]", names[i]);
        FILE *f = fopen(path, "w");
        fputs(body, f);
        fclose(f);
        free(body);
        free(path);
    }
    if (chdir(proj) != 0)
        return -1;
    char *src = lc_xstrndup(lc_kernel_source, lc_kernel_source_len);
    const char *argv[] = {"python3", "-u", "-c", src, "{}", NULL};
    lc_proc_opts po = LC_PROC_OPTS_INIT;
    po.argv = argv;
    po.pipe_stdin = po.pipe_stdout = true;
    lc_err err = {0};
    K.in = (lc_buf)LC_BUF_INIT;
    int rc = lc_proc_spawn(&po, &K.p, &err);
    free(src);
    if (old && chdir(old) != 0)
        rc = LC_EIO;
    free(old);
    if (rc != LC_OK) {
        fprintf(stderr, "python3: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static int kernel_down(void **state)
{
    (void)state;
    lc_err err = {0};
    lc_rm_rf(proj, &err);
    lc_proc_close_stdin(K.p);
    int st = 0;
    lc_proc_wait(K.p, 5000, &st);
    lc_proc_free(K.p);
    lc_buf_free(&K.in);
    return 0;
}

static cJSON *kernel_next(void)
{
    int64_t deadline = lc_now_ms() + 20000;
    for (;;) {
        char *nl = K.in.len ? memchr(K.in.data, '\n', K.in.len) : NULL;
        if (nl) {
            size_t n = (size_t)(nl - K.in.data);
            cJSON *ev = lc_sandbox_parse_line(K.in.data, n);
            memmove(K.in.data, nl + 1, K.in.len - n - 1);
            K.in.len -= n + 1;
            assert_non_null(ev);
            return ev;
        }
        if (lc_now_ms() > deadline)
            fail_msg("the kernel said nothing for 20 s");
        char buf[4096];
        ssize_t r = read(lc_proc_stdout(K.p), buf, sizeof buf);
        if (r <= 0)
            fail_msg("the kernel's output ended");
        lc_buf_append(&K.in, buf, (size_t)r);
    }
}

/* The analysis of code; vouched and dirty are comma-separated names or NULL. */
static cJSON *analyze(const char *code, const char *vouched, const char *dirty)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "op", "analyze");
    cJSON_AddNumberToObject(msg, "id", ++K.next_id);
    cJSON_AddStringToObject(msg, "code", code);
    const char *lists[2] = {vouched, dirty};
    const char *keys[2] = {"vouched", "dirty"};
    for (int i = 0; i < 2; i++) {
        cJSON *a = cJSON_AddArrayToObject(msg, keys[i]);
        for (const char *s = lists[i]; s && *s;) {
            size_t n = strcspn(s, ",");
            char *name = lc_xstrndup(s, n);
            cJSON_AddItemToArray(a, cJSON_CreateString(name));
            free(name);
            s += n + (s[n] == ',');
        }
    }
    char *line = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    assert_int_equal(lc_fd_write_all(lc_proc_stdin(K.p), line, strlen(line)), 0);
    assert_int_equal(lc_fd_write_all(lc_proc_stdin(K.p), "\n", 1), 0);
    free(line);
    for (;;) {
        cJSON *ev = kernel_next();
        const char *kind = lc_json_str(ev, "ev");
        if (kind && strcmp(kind, "done") == 0) {
            cJSON *an = cJSON_DetachItemFromObjectCaseSensitive(ev, "analysis");
            cJSON_Delete(ev);
            assert_true(cJSON_IsObject(an));
            return an;
        }
        cJSON_Delete(ev);
    }
}

static bool read_only(const cJSON *an)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(an, "read_only"));
}

static bool list_has(const cJSON *an, const char *key, const char *want)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(an, key))
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, want) == 0)
            return true;
    }
    return false;
}

static bool reason_has(const cJSON *an, const char *want)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(an, "reasons"))
    {
        const char *w = lc_json_str(it, "what");
        if (w && strstr(w, want))
            return true;
    }
    return false;
}

static char *lc_test_read_file(const char *path)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    if (lc_file_read(path, 1 << 20, &b, &err) != LC_OK) {
        lc_buf_free(&b);
        return NULL;
    }
    return lc_buf_detach(&b);
}

/* The snippets of a fixture file, split at "# ---" lines. */
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

static void test_every_hostile_snippet_may_write(void **state)
{
    (void)state;
    lc_strv v = LC_STRV_INIT;
    snippets("may_write.py", &v);
    assert_true(v.n >= 30);
    int missed = 0;
    for (size_t i = 0; i < v.n; i++) {
        cJSON *an = analyze(v.v[i], "search_files,grep_code,analyze_file,find_pattern", NULL);
        const cJSON *rs = cJSON_GetObjectItemCaseSensitive(an, "reasons");
        if (read_only(an) || cJSON_GetArraySize(rs) < 1) {
            fprintf(stderr, "found read-only, must ask (snippet %zu):\n%s\n", i + 1, v.v[i]);
            missed++;
        }
        cJSON_Delete(an);
    }
    lc_strv_free(&v);
    assert_int_equal(missed, 0);
}

static void test_reading_snippets_are_read_only(void **state)
{
    (void)state;
    lc_strv v = LC_STRV_INIT;
    snippets("read_only.py", &v);
    assert_true(v.n >= 10);
    int wrong = 0;
    for (size_t i = 0; i < v.n; i++) {
        cJSON *an = analyze(v.v[i], "search_files,grep_code,analyze_file,find_pattern", NULL);
        if (!read_only(an)) {
            char *j = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(an, "reasons"));
            fprintf(stderr, "found may-write, should read (snippet %zu): %s\n%s\n", i + 1, j, v.v[i]);
            free(j);
            wrong++;
        }
        cJSON_Delete(an);
    }
    lc_strv_free(&v);
    assert_int_equal(wrong, 0);
}

static void test_what_the_check_reports(void **state)
{
    (void)state;
    /* Aliases are resolved; literal paths written are collected; the reason names the call. */
    cJSON *an = analyze("import os as o\nf = o.remove\nf('old.txt')\nopen('new.txt', 'w')\n", NULL, NULL);
    assert_false(read_only(an));
    assert_true(list_has(an, "calls", "os.remove"));
    assert_true(list_has(an, "imports", "os"));
    assert_true(list_has(an, "writes", "old.txt"));
    assert_true(list_has(an, "writes", "new.txt"));
    assert_true(reason_has(an, "calls os.remove"));
    assert_true(reason_has(an, "mode 'w' writes"));
    assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(an, "opaque")));
    cJSON_Delete(an);

    /* A computed mode is reported as null and asks. */
    an = analyze("m = 'r'\nopen('a', m)\n", NULL, NULL);
    assert_false(read_only(an));
    const cJSON *opens = cJSON_GetObjectItemCaseSensitive(an, "opens");
    assert_int_equal(cJSON_GetArraySize(opens), 1);
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(opens, 0), "mode")));
    assert_true(reason_has(an, "not a literal"));
    cJSON_Delete(an);

    /* Tool calls with their literal arguments. */
    an = analyze("print(grep_code('TODO', path='src'))\n", "grep_code", NULL);
    assert_true(read_only(an));
    const cJSON *tool = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(an, "tools"), 0);
    assert_string_equal(lc_json_str(tool, "name"), "grep_code");
    assert_string_equal(lc_json_str(cJSON_GetObjectItemCaseSensitive(tool, "args"), "path"), "src");
    cJSON_Delete(an);

    /* Dynamic features are opaque: after such a step no later verdict holds. */
    an = analyze("getattr(print, 'x')\n", NULL, NULL);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(an, "opaque")));
    cJSON_Delete(an);

    /* Names bound are reported, for the host's bookkeeping of earlier steps. */
    an = analyze("def helper():\n    return 1\nx = helper()\n", NULL, NULL);
    assert_true(read_only(an));
    assert_true(list_has(an, "bound", "helper"));
    assert_true(list_has(an, "bound", "x"));
    cJSON_Delete(an);
}

static void test_names_of_earlier_steps(void **state)
{
    (void)state;
    /* A name from an earlier step is trusted only when the host vouches for it... */
    cJSON *an = analyze("print(summary(data))\n", NULL, NULL);
    assert_false(read_only(an));
    assert_true(reason_has(an, "earlier step"));
    cJSON_Delete(an);
    an = analyze("print(summary(data))\n", "summary,data", NULL);
    assert_true(read_only(an));
    cJSON_Delete(an);
    /* ...and never when a step that may write rebound it, builtins included. */
    an = analyze("print(summary(data))\n", "summary,data", "print");
    assert_false(read_only(an));
    assert_true(reason_has(an, "a step that may write defined"));
    cJSON_Delete(an);
    /* A helper shadowed in this step is not the helper. */
    an = analyze("def search_files(p):\n    import os\n    os.remove(p)\nsearch_files('x')\n", "search_files", NULL);
    assert_false(read_only(an));
    cJSON_Delete(an);
}

static void test_project_modules_are_never_imported(void **state)
{
    (void)state;
    cJSON *an = analyze("import graphlib, difflib, statistics\nprint(graphlib.TopologicalSorter, difflib.SequenceMatcher, "
                        "statistics.mean)\n", NULL, NULL);
    cJSON_Delete(an);
    char *marker = lc_path_join(proj, "IMPORTED");
    char *got = lc_test_read_file(marker);
    if (got)
        fail_msg("the static check imported project files: %s", got);
    free(marker);
}

static void test_unreadable_code_may_write(void **state)
{
    (void)state;
    cJSON *an = analyze("def f(:\n", NULL, NULL);
    assert_false(read_only(an));
    assert_true(reason_has(an, "could not read"));
    cJSON_Delete(an);
    /* Deep nesting takes down only the throwaway child, never the kernel. */
    lc_buf deep = LC_BUF_INIT;
    for (int i = 0; i < 20000; i++)
        lc_buf_puts(&deep, "(");
    an = analyze(lc_buf_cstr(&deep), NULL, NULL);
    assert_false(read_only(an));
    cJSON_Delete(an);
    lc_buf_free(&deep);
    an = analyze("print(1)\n", NULL, NULL);
    assert_true(read_only(an));
    cJSON_Delete(an);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_hostile_snippet_may_write),
        cmocka_unit_test(test_reading_snippets_are_read_only),
        cmocka_unit_test(test_what_the_check_reports),
        cmocka_unit_test(test_names_of_earlier_steps),
        cmocka_unit_test(test_project_modules_are_never_imported),
        cmocka_unit_test(test_unreadable_code_may_write),
    };
    return cmocka_run_group_tests(tests, kernel_up, kernel_down);
}
