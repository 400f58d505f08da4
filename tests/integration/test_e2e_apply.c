/* --apply through the real binary, a scripted hostile model (the OpenAI
 * streaming protocol from the mock server on 127.0.0.1) and a real container:
 * symlink chains and links through the user's own links never leave the
 * project, names git reserves (.GIT/hooks/pre-commit, git~1, ".git.") are
 * never written; and an apply killed in the middle (strace injects SIGKILL
 * at a rename) is found at the next start, even of a new session: temporary
 * files removed, the user told which files had been written, the cut
 * session's log matching the disk; a session whose process lives is left
 * alone. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

static mock_server *start_model(const char *code)
{
    lc_buf script = LC_BUF_INIT, step = LC_BUF_INIT;
    lc_buf_printf(&step, "Thought: change the files.\n```python\n%s\n```", code);
    add_response(&script, lc_buf_cstr(&step));
    add_response(&script, "```python\nfinal_answer('done')\n```");
    add_response(&script, "```python\nfinal_answer('nothing more')\n```"); /* for a resume */
    add_response(&script, "```python\nfinal_answer('nothing more')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    lc_buf_free(&step);
    return m;
}

static bool exists(const char *dir, const char *rel)
{
    char *p = lc_path_join(dir, rel);
    struct stat st;
    bool r = lstat(p, &st) == 0;
    free(p);
    return r;
}

static void test_apply_refuses_escaping_links_and_git_names(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    home h;
    home_open(&h, "e2e-links");
    setenv("OPENAI_API_KEY", "sk-test-e2e-apply", 1);
    char *outside = lc_path_join(h.dir, "outside");
    lc_test_write(outside, "secret", "s\n");
    lc_test_write(h.project, "calc.py", "def add(a, b):\n    return a - b\n");
    char *ext = lc_path_join(h.project, "ext");
    assert_int_equal(symlink(outside, ext), 0); /* the user's own link out of the project */
    free(ext);
    mock_server *m = start_model(
        "import os\n"
        "os.makedirs('sub', exist_ok=True)\n"
        "os.symlink('..', 'sub/up')\n"
        "os.symlink('sub/up/sub/up/sub/up/sub/up/../../../../etc/passwd', 'esc')\n"
        "os.symlink('ext/secret', 'through')\n"
        "os.symlink('calc.py', 'fine')\n"
        "for p in ['.GIT/hooks/pre-commit', 'git~1/hooks/pre-commit', '.git./hooks/pre-commit',\n"
        "          '.g\\u200cit/hooks/pre-commit', 'a/.Git/config']:\n"
        "    os.makedirs(os.path.dirname(p), exist_ok=True)\n"
        "    open(p, 'w').write('#!/bin/sh\\necho owned\\n')\n"
        "    os.chmod(p, 0o755)\n"
        "open('calc.py', 'w').write('def add(a, b):\\n    return a + b\\n')\n"
        "print('planted')");
    const char *bin = getenv("LITECODE_TUI");
    char *patch = lc_path_join(h.dir, "change.patch");
    const char *argv[] = {bin, "--headless", "--yes", "--apply", "--patch-out", patch, "--dir", h.project, "--model",
                          "openai/e2e-model", "--base-url", mock_server_url(m), "fix add", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    run_argv(argv, &res);
    const char *e = lc_buf_cstr(&res.err);
    assert_non_null(strstr(lc_buf_cstr(&res.out), "planted"));
    assert_int_not_equal(res.exit_code, 0); /* some changes were refused */
    /* what was harmless was applied */
    char *calc = lc_test_read(h.project, "calc.py");
    assert_string_equal(calc, "def add(a, b):\n    return a + b\n");
    free(calc);
    assert_true(exists(h.project, "fine"));
    /* no link that leads out, no git-reserved name */
    assert_false(exists(h.project, "sub/up"));
    assert_false(exists(h.project, "esc"));
    assert_false(exists(h.project, "through"));
    assert_false(exists(h.project, ".GIT"));
    assert_false(exists(h.project, "git~1"));
    assert_false(exists(h.project, ".git."));
    assert_false(exists(h.project, ".g\xe2\x80\x8cit"));
    assert_false(exists(h.project, "a/.Git"));
    /* and the user is told why */
    assert_non_null(strstr(e, "contains \"..\""));
    assert_non_null(strstr(e, "through the symlink ext"));
    assert_non_null(strstr(e, "names git's own .git directory"));
    lc_proc_result_free(&res);
    /* the patch leaves the reserved names out, and says so */
    char *pt = lc_test_read(h.dir, "change.patch");
    assert_non_null(pt);
    assert_non_null(strstr(pt, "+    return a + b"));
    assert_null(strstr(pt, "diff --git a/.GIT"));
    assert_null(strstr(pt, "diff --git a/git~1"));
    assert_non_null(strstr(pt, "# litecode: left out, a name git reserves (never applied): .GIT/hooks/pre-commit"));
    free(pt);
    free(patch);
    mock_server_stop(m);
    free(outside);
    home_close(&h);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static bool has_temp(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    bool found = false;
    while ((de = readdir(d)))
        found = found || strncmp(de->d_name, ".lc-apply-", 10) == 0;
    closedir(d);
    return found;
}

#define NFILES 40
#define KILL_AT 20 /* the 20th rename of the apply: 19 files are written before it, all 40 staged */

/* A session on a project of NFILES files that --apply rewrites, killed by
 * strace at the KILL_AT-th rename: some files new, the rest old, a temporary
 * file left behind, no record in the log. */
typedef struct cut {
    home h;
    mock_server *m;
    char *log;
    bool written[NFILES + 1];
    int nwritten;
} cut;

/* false: strace or an engine is missing (the caller skips). The caller
 * frees c->log, stops c->m and closes c->h. */
static bool cut_apply(cut *c, const char *tag)
{
    if (!engine_ok())
        return false;
    if (access("/usr/bin/strace", X_OK) != 0) {
        if (lc_test_engine_required())
            fail_msg("strace is needed (scripts/setup.sh installs it)");
        return false;
    }
    /* ptrace may be forbidden (a container without CAP_SYS_PTRACE, yama): then say so and skip */
    lc_proc_result probe = LC_PROC_RESULT_INIT;
    lc_err perr = {0};
    if (lc_proc_run((const char *const[]){"strace", "-o", "/dev/null", "true", NULL}, NULL, 0, 30000, 1 << 16, &probe,
                    &perr) != LC_OK || probe.exit_code != 0) {
        fprintf(stderr, "skipped: strace cannot trace here (%s)\n", lc_buf_cstr(&probe.err));
        lc_proc_result_free(&probe);
        return false;
    }
    lc_proc_result_free(&probe);
    home_open(&c->h, tag);
    setenv("OPENAI_API_KEY", "sk-test-e2e-apply", 1);
    for (int i = 1; i <= NFILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%03d.txt", i);
        lc_test_write(c->h.project, name, "old\n");
    }
    mock_server *m = c->m = start_model("for i in range(1, 41):\n"
                                        "    open('f%03d.txt' % i, 'w').write('new %d\\n' % i)\n"
                                        "print('changed 40')");
    const char *bin = getenv("LITECODE_TUI");
    char inject[64];
    /* dfi_write's renameat is the only renameat of litecode's main thread, which runs --apply */
    snprintf(inject, sizeof inject, "inject=renameat:signal=SIGKILL:when=%d", KILL_AT);
    const char *first[] = {"strace", "-o", "/dev/null", "-e", "trace=renameat", "-e", inject, bin, "--headless",
                           "--yes", "--apply", "--dir", c->h.project, "--model", "openai/e2e-model", "--base-url",
                           mock_server_url(m), "change the files", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    run_argv(first, &res);
    assert_non_null(strstr(lc_buf_cstr(&res.out), "changed 40"));
    assert_int_not_equal(res.exit_code, 0); /* killed */
    char *log = c->log = log_of(lc_buf_cstr(&res.err));
    lc_proc_result_free(&res);
    /* The crash: some files new, the rest old, a temporary file left behind. */
    bool *written = c->written;
    int nwritten = 0;
    for (int i = 1; i <= NFILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%03d.txt", i);
        char *text = lc_test_read(c->h.project, name);
        assert_non_null(text);
        written[i] = strcmp(text, "old\n") != 0;
        nwritten += written[i];
        free(text);
    }
    assert_true(nwritten == KILL_AT - 1 || nwritten == KILL_AT);
    assert_true(has_temp(c->h.project)); /* the staged new contents of the files not yet renamed */
    char *before = lc_test_read("/", log + 1);
    assert_int_equal(count(before, "\"kind\":\"hunk_applied\""), 0); /* the crash came before any record */
    free(before);
    c->nwritten = nwritten;
    return true;
}

static void test_apply_killed_mid_write_is_found_at_the_next_start(void **state)
{
    (void)state;
    cut kill = {0};
    if (!cut_apply(&kill, "e2e-crash"))
        skip();
    home h = kill.h;
    mock_server *m = kill.m;
    char *log = kill.log;
    const bool *written = kill.written;
    int nwritten = kill.nwritten;
    const char *bin = getenv("LITECODE_TUI");
    lc_proc_result res = LC_PROC_RESULT_INIT;

    /* The crash (or a full disk) may also have cut the log's last line. */
    FILE *lf = fopen(log, "a");
    assert_non_null(lf);
    fputs("{\"v\":1,\"ts\":\"2026-12-04T14:00:00Z\",\"kind\":\"hunk_appl", lf);
    fclose(lf);

    /* While that session's process lives (here: the test holds its log's lock) a
     * --resume of it is refused, and a new start leaves it alone. */
    int held = open(log, O_RDONLY | O_CLOEXEC);
    assert_true(held >= 0);
    assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
    const char *busy[] = {bin, "--headless", "--yes", "--resume", log, "--model", "openai/e2e-model", "--base-url",
                          mock_server_url(m), NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    run_argv(busy, &res);
    assert_int_not_equal(res.exit_code, 0);
    assert_non_null(strstr(lc_buf_cstr(&res.err), "that session is open in another litecode-tui that is running now"));
    lc_proc_result_free(&res);
    close(held);

    /* Its process gone, a new session on the same directory finishes it: the temporary
     * file removed (before its own shadow copy), the records appended to the cut
     * session's repaired log, the user told which files had been written. */
    const char *fresh[] = {bin, "--headless", "--yes", "--dir", h.project, "--model", "openai/e2e-model",
                           "--base-url", mock_server_url(m), "look around", NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    run_argv(fresh, &res);
    const char *e = lc_buf_cstr(&res.err);
    char *cut_id = lc_xstrndup(log, strlen(log) - strlen("/session.jsonl"));
    char *told = lc_xasprintf("session %s was killed while applying changes to this directory; its apply is "
                              "finished now: %d files had been written: f001.txt, f002.txt",
                              strrchr(cut_id, '/') + 1, nwritten);
    assert_non_null(strstr(e, told));
    free(told);
    char *review = lc_xasprintf("%d not written (still to review in that session); to review the rest, or undo "
                                "what was written: litecode-tui --resume %s",
                                NFILES - nwritten, log);
    assert_non_null(strstr(e, review));
    free(review);
    /* Every new content is staged before the first rename: each file not yet renamed left one. */
    char *temps = lc_xasprintf("%d leftover temporary files (.lc-apply-*) removed from the project",
                               NFILES - nwritten);
    assert_non_null(strstr(e, temps));
    free(temps);
    assert_non_null(strstr(e, "ended in a line cut while it was written"));
    assert_false(has_temp(h.project));
    char *fresh_log = log_of(e);
    char *fresh_shadow = lc_xasprintf("%.*s/shadow", (int)(strlen(fresh_log) - strlen("/session.jsonl")), fresh_log);
    assert_false(has_temp(fresh_shadow));
    free(fresh_shadow);
    free(fresh_log);
    free(cut_id);
    lc_proc_result_free(&res);
    char *mid = lc_test_read("/", log + 1);
    assert_int_equal(count(mid, "\"kind\":\"log_repaired\""), 1);
    assert_int_equal(count(mid, "\"detail\":\"written before an interrupted apply\""), nwritten);
    free(mid);

    /* Resumed, the cut session has nothing more to tell; --apply writes the rest. */
    const char *again[] = {bin, "--headless", "--yes", "--apply", "--resume", log, "--model", "openai/e2e-model",
                           "--base-url", mock_server_url(m), NULL};
    res = (lc_proc_result)LC_PROC_RESULT_INIT;
    run_argv(again, &res);
    e = lc_buf_cstr(&res.err);
    assert_null(strstr(e, "cut short"));
    assert_null(strstr(e, "killed while applying"));
    assert_int_equal(res.exit_code, 0);
    lc_proc_result_free(&res);
    /* Every file new now, and the log has exactly one applied record per file: the ones
     * written before the crash from the recovery, the others from the second apply. */
    char *text = lc_test_read("/", log + 1);
    assert_non_null(text);
    for (int i = 1; i <= NFILES; i++) {
        char name[32], want[64], rec[160];
        snprintf(name, sizeof name, "f%03d.txt", i);
        snprintf(want, sizeof want, "new %d\n", i);
        char *c = lc_test_read(h.project, name);
        assert_string_equal(c, want);
        free(c);
        snprintf(rec, sizeof rec, "\"path\":\"%s\",\"hunk\":-1,\"detail\":\"%s\"", name,
                 written[i] ? "written before an interrupted apply" : "applied");
        if (count(text, rec) != 1)
            fail_msg("the log should have one record %s", rec);
        snprintf(rec, sizeof rec, "\"path\":\"%s\"", name);
        assert_int_equal(count(text, rec), 1);
    }
    free(text);
    free(log);
    mock_server_stop(m);
    home_close(&h);
}

/* The cut session resumed itself: told, cleaned, logged, as its own apply. */
static void test_apply_killed_then_resumed_is_finished_by_the_resume(void **state)
{
    (void)state;
    cut c = {0};
    if (!cut_apply(&c, "e2e-crash-resume"))
        skip();
    const char *again[] = {getenv("LITECODE_TUI"), "--headless", "--yes", "--resume", c.log, "--model",
                           "openai/e2e-model", "--base-url", mock_server_url(c.m), NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    run_argv(again, &res);
    const char *e = lc_buf_cstr(&res.err);
    char *said = lc_xasprintf("an earlier apply was cut short (litecode was killed while applying): %d files had "
                              "been written: f001.txt, f002.txt",
                              c.nwritten);
    assert_non_null(strstr(e, said));
    free(said);
    char *temps = lc_xasprintf("%d leftover temporary files (.lc-apply-*) removed from the project",
                               NFILES - c.nwritten);
    assert_non_null(strstr(e, temps));
    free(temps);
    assert_false(has_temp(c.h.project));
    assert_int_equal(res.exit_code, 0);
    lc_proc_result_free(&res);
    char *text = lc_test_read("/", c.log + 1);
    assert_int_equal(count(text, "\"detail\":\"written before an interrupted apply\""), c.nwritten);
    free(text);
    free(c.log);
    mock_server_stop(c.m);
    home_close(&c.h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_refuses_escaping_links_and_git_names),
        cmocka_unit_test(test_apply_killed_mid_write_is_found_at_the_next_start),
        cmocka_unit_test(test_apply_killed_then_resumed_is_finished_by_the_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
