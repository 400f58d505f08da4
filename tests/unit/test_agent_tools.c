/* The tool-calling agent (native calls, several per reply, the JSON-in-text
 * fallback), the tool registry, prompts and profiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "fake_executor.h"
#include "fake_llm.h"

typedef struct rec {
    int approvals;
    lc_buf actions; /* "tool_name|code\n" */
    lc_decision script[4];
    int nscript;
} rec;

static lc_decision approve(void *ctx, const lc_action *act)
{
    rec *r = ctx;
    lc_buf_printf(&r->actions, "%s|%s\n", act->tool_name ? act->tool_name : "-", act->code ? act->code : "");
    int i = r->approvals++;
    if (i < r->nscript) {
        lc_decision d = r->script[i];
        d.text = d.text ? lc_xstrdup(d.text) : NULL;
        return d;
    }
    return (lc_decision){.kind = LC_DECIDE_RUN};
}

typedef struct h {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    rec r;
    lc_agent *agent;
    lc_agent_outcome outcome;
    char *answer;
    int rc;
    lc_err err;
} h;

static h *h_new(void)
{
    h *t = lc_xcalloc(1, sizeof *t);
    t->cfg.agent.type = LC_AGENT_TOOL_CALLING;
    t->cfg.agent.max_steps = 6;
    lc_strv_push(&t->cfg.agent.tools, "grep_code");
    lc_strv_push(&t->cfg.agent.tools, "preview_changes");
    t->llm = fake_llm_new();
    t->ex = fake_executor_new();
    return t;
}

static void h_run(h *t)
{
    lc_observer obs = {&t->r, NULL, approve, NULL, NULL};
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, NULL, NULL, &t->agent, &t->err), LC_OK);
    t->rc = lc_agent_run(t->agent, "find foo", &t->outcome, &t->answer, &t->err);
}

static void h_free(h *t)
{
    lc_agent_free(t->agent);
    lc_llm_destroy(t->llm);
    lc_executor_destroy(t->ex);
    lc_strv_free(&t->cfg.agent.tools);
    lc_buf_free(&t->r.actions);
    free(t->answer);
    free(t);
}

static void test_two_calls_in_one_reply(void **state)
{
    (void)state;
    h *t = h_new();
    fake_executor_add(t->ex, &(fake_step){.match = "x = 6 * 7", .status = LC_STEP_OK, .value_repr = "42"});
    fake_executor_add(t->ex, &(fake_step){.match = "grep_code(", .status = LC_STEP_OK,
                                           .value_repr = "['src/a.c:3: foo()']"});
    fake_llm_reply_calls(t->llm, "Two things at once.", "python_executor", "{\"code\":\"x = 6 * 7\\nx\"}",
                         "grep_code", "{\"pattern\":\"foo\\\\(\",\"max_results\":5}", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\":\"foo is in src/a.c\"}", NULL);
    h_run(t);
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_string_equal(t->answer, "foo is in src/a.c");
    /* Each call approved and run, in order; the tool call became Python. */
    assert_int_equal(t->r.approvals, 2);
    const lc_strv *ran = fake_executor_ran(t->ex);
    assert_int_equal(ran->n, 2);
    assert_string_equal(ran->v[0], "x = 6 * 7\nx");
    assert_string_equal(ran->v[1], "grep_code(pattern=\"foo\\\\(\", max_results=5)");
    assert_non_null(strstr(lc_buf_cstr(&t->r.actions), "grep_code|grep_code(pattern="));
    /* Native tools were offered: python_executor, the two tools, final_answer. */
    assert_int_equal(fake_llm_request_ntools(t->llm, 0), 4);
    /* The second request carries the calls and one tool result per call. */
    const char *dump = fake_llm_request_dump(t->llm, 1);
    assert_non_null(strstr(dump, "assistant calls python_executor("));
    assert_non_null(strstr(dump, "tool: Last value: 42"));
    assert_non_null(strstr(dump, "tool: Last value: ['src/a.c:3: foo()']"));
    /* preview_changes is a host tool: enabled here but nobody called it. */
    h_free(t);
}

static void test_decline_skips_rest_of_reply(void **state)
{
    (void)state;
    h *t = h_new();
    t->r.script[0] = (lc_decision){.kind = LC_DECIDE_DECLINE, .text = "too broad"};
    t->r.nscript = 1;
    fake_llm_reply_calls(t->llm, "", "python_executor", "{\"code\":\"a()\"}", "python_executor",
                         "{\"code\":\"b()\"}", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\":\"ok\"}", NULL);
    h_run(t);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_int_equal(t->r.approvals, 1);
    assert_int_equal(fake_executor_ran(t->ex)->n, 0);
    const char *dump = fake_llm_request_dump(t->llm, 1);
    assert_non_null(strstr(dump, "tool: The user declined this step"));
    assert_non_null(strstr(dump, "too broad"));
    assert_non_null(strstr(dump, "tool: Not run: an earlier call"));
    h_free(t);
}

static void test_host_tool_and_bad_calls(void **state)
{
    (void)state;
    h *t = h_new();
    fake_llm_reply_calls(t->llm, "", "preview_changes", "{}", "rm_rf", "{}", "grep_code", "[1,2]", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\":\"done\"}", NULL);
    h_run(t);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_int_equal(t->r.approvals, 0); /* nothing ran in the sandbox */
    const char *dump = fake_llm_request_dump(t->llm, 1);
    assert_non_null(strstr(dump, "tool: No files changed"));
    assert_non_null(strstr(dump, "tool: Error: there is no tool named 'rm_rf'"));
    assert_non_null(strstr(dump, "tool: Error: the arguments of grep_code are not a JSON object"));
    h_free(t);
}

static void test_text_fallback_when_server_refuses_tools(void **state)
{
    (void)state;
    h *t = h_new();
    fake_llm_error(t->llm, LC_EINVAL, "this server does not support tools (400)");
    fake_llm_reply(t->llm, "```json\n{\"name\": \"python_executor\", \"arguments\": {\"code\": \"print(5)\"}}\n```");
    fake_llm_reply(t->llm, "{\"name\": \"final_answer\", \"arguments\": {\"answer\": \"five\"}}");
    h_run(t);
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_string_equal(t->answer, "five");
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    assert_string_equal(fake_executor_ran(t->ex)->v[0], "print(5)");
    /* After the refusal no tools are sent and the prompt explains the JSON form. */
    assert_int_equal(fake_llm_request_ntools(t->llm, 1), 0);
    const char *dump = fake_llm_request_dump(t->llm, 1);
    assert_non_null(strstr(dump, "no native tool calling"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 2), "Observation for python_executor"));
    h_free(t);
}

static void test_tool_call_python_rendering(void **state)
{
    (void)state;
    char *code = NULL;
    lc_err err = {0};
    assert_int_equal(lc_tool_call_python("f", "{\"a\":\"x\\\"y\",\"b\":true,\"c\":null,\"d\":[1,{\"k\":false}]}",
                                         &code, &err),
                     LC_OK);
    assert_string_equal(code, "f(a=\"x\\\"y\", b=True, c=None, d=[1, {\"k\": False}])");
    free(code);
    /* Argument names become Python source: they must be identifiers. */
    assert_int_equal(lc_tool_call_python("f", "{\"a); import os; (\":1}", &code, &err), LC_EINVAL);
    assert_null(code);
    assert_int_equal(lc_tool_call_python("os.system", "{}", &code, &err), LC_EINVAL);
}

static void test_toolset_and_prompt(void **state)
{
    (void)state;
    char path[] = "/tmp/lc_user_tool_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *src = "def count_todos(path: str) -> int:\n    \"\"\"Counts TODOs.\"\"\"\n    return 0\n"
                      "def _private():\n    pass\n";
    assert_int_equal(write(fd, src, strlen(src)), (ssize_t)strlen(src));
    close(fd);
    lc_strv names = LC_STRV_INIT, files = LC_STRV_INIT, imports = LC_STRV_INIT;
    lc_strv_push(&names, "find_pattern");
    lc_strv_push(&names, "llm_query");
    lc_strv_push(&files, path);
    lc_strv_push(&imports, "numpy");
    lc_toolset *ts = NULL;
    lc_err err = {0};
    assert_int_equal(lc_toolset_new(&names, &files, &ts, &err), LC_OK);
    assert_int_equal(lc_toolset_count(ts), 2);
    const char *py = lc_toolset_python(ts);
    assert_non_null(strstr(py, "def find_pattern(pattern: str, path: str = '.'"));
    assert_non_null(strstr(py, "return _lc_host_tool('llm_query', prompt=prompt)"));
    assert_non_null(strstr(py, "def count_todos(path: str) -> int:"));
    size_t n = 0;
    const lc_tool_schema *sc = lc_toolset_schemas(ts, &n);
    assert_int_equal(n, 4);
    assert_string_equal(sc[0].name, "python_executor");
    assert_string_equal(sc[n - 1].name, "final_answer");
    assert_non_null(strstr(sc[1].parameters_json, "\"required\":[\"pattern\"]"));

    lc_prompt_opts po = {.type = LC_AGENT_CODE, .tools = ts, .authorized_imports = &imports,
                         .instructions = "Be brief."};
    char *sys = lc_prompt_system(&po);
    assert_non_null(strstr(sys, "def llm_query(prompt: str) -> str:"));
    assert_non_null(strstr(sys, "def count_todos(path: str) -> int:"));
    assert_null(strstr(sys, "_private"));
    assert_non_null(strstr(sys, "Authorized imports (anything else raises ImportError): numpy."));
    assert_non_null(strstr(sys, "Be brief."));
    free(sys);
    /* The prompt says what the kernel enforces: nothing, or anything. */
    lc_strv_clear(&imports);
    sys = lc_prompt_system(&po);
    assert_non_null(strstr(sys, "Authorized imports (anything else raises ImportError): none;"));
    free(sys);
    lc_strv_push(&imports, "json");
    lc_strv_push(&imports, "*");
    sys = lc_prompt_system(&po);
    assert_non_null(strstr(sys, "ImportError): any module."));
    free(sys);
    lc_toolset_free(ts);

    /* An unreadable user tool file is named in the error. */
    lc_strv_clear(&files);
    lc_strv_push(&files, "/nonexistent/tools.py");
    assert_int_not_equal(lc_toolset_new(&names, &files, &ts, &err), LC_OK);
    assert_non_null(strstr(err.msg, "/nonexistent/tools.py"));
    unlink(path);
    lc_strv_free(&names);
    lc_strv_free(&files);
    lc_strv_free(&imports);
}

static void test_profiles_shipped(void **state)
{
    (void)state;
    lc_strv dirs = LC_STRV_INIT;
    lc_strv_pushf(&dirs, "%s/agents", LC_SOURCE_DIR);
    lc_profile p;
    lc_err err = {0};
    assert_int_equal(lc_profile_find(&dirs, "digger", &p, &err), LC_OK);
    assert_string_equal(p.name, "digger");
    assert_true(p.workspace_ro);
    assert_string_equal(p.template_name, "secure");
    assert_true(lc_strv_contains(&p.tools, "grep_code"));
    assert_false(lc_strv_contains(&p.tools, "run_tests"));
    lc_toolset *ts = NULL;
    assert_int_equal(lc_toolset_new(&p.tools, NULL, &ts, &err), LC_OK);
    lc_toolset_free(ts);
    lc_profile_free(&p);

    assert_int_equal(lc_profile_find(&dirs, "codemod", &p, &err), LC_OK);
    assert_false(p.workspace_ro);
    static const char *const need[] = {"find_pattern", "preview_changes", "verify_compilation", "run_tests"};
    for (size_t i = 0; i < 4; i++)
        assert_true(lc_strv_contains(&p.tools, need[i]));
    lc_profile_free(&p);

    assert_int_equal(lc_profile_find(&dirs, "../etc/passwd", &p, &err), LC_EINVAL);
    assert_int_equal(lc_profile_find(&dirs, "nosuch", &p, &err), LC_ENOTFOUND);
    assert_non_null(strstr(err.msg, "nosuch"));
    lc_strv_free(&dirs);
}

static void test_profile_gives_defaults_the_user_overrides(void **state)
{
    (void)state;
    lc_strv dirs = LC_STRV_INIT;
    lc_strv_pushf(&dirs, "%s/agents", LC_SOURCE_DIR);
    lc_profile p;
    lc_err err = {0};
    assert_int_equal(lc_profile_find(&dirs, "digger", &p, &err), LC_OK);
    lc_config cfg;
    lc_config_defaults(&cfg);
    /* The user asked for 2g on the command line; the profile's template
     * (secure: 512m, 15 s) must not take that away. */
    assert_int_equal(lc_config_set(&cfg, "container.memory", "2g", LC_ORIGIN_FLAG, "--memory", &err), LC_OK);
    assert_int_equal(lc_profile_apply(&p, &cfg, &err), LC_OK);
    assert_int_equal(cfg.container.memory_bytes, 2LL << 30);
    assert_int_equal(cfg.container.timeout_s, 15);
    assert_true(cfg.container.workspace_ro);
    assert_string_equal(cfg.agent.profile, "digger");
    assert_true(lc_strv_contains(&cfg.agent.tools, "grep_code"));
    char origin[256];
    lc_config_origin_describe(&cfg, LC_CFG_CONTAINER_WORKSPACE, origin, sizeof origin);
    assert_non_null(strstr(origin, "digger"));
    lc_config_free(&cfg);
    lc_profile_free(&p);
    lc_strv_free(&dirs);
}

static void test_profile_errors_name_the_line(void **state)
{
    (void)state;
    char path[] = "/tmp/lc_profile_XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    const char *y = "name: x\ntools:\n  - grep_code\n  - launch_missiles\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    lc_profile p;
    lc_err err = {0};
    assert_int_equal(lc_profile_load(path, &p, &err), LC_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s:4: unknown tool 'launch_missiles'", path);
    assert_string_equal(err.msg, want);
    fd = open(path, O_WRONLY | O_TRUNC);
    y = "name: x\ncolour: red\n";
    assert_int_equal(write(fd, y, strlen(y)), (ssize_t)strlen(y));
    close(fd);
    assert_int_equal(lc_profile_load(path, &p, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, ":2: unknown key 'colour'"));
    unlink(path);
}

/* The helper source must be valid Python that does what the docstrings say.
 * Run it with the host's python3 against a small tree standing in for
 * /workspace (skipped when there is no python3). */
static const char driver_py[] =
    "import sys, json, os\n"
    "calls = []\n"
    "def _lc_host_tool(name, **kw):\n"
    "    calls.append([name, kw])\n"
    "    return 'host:' + name\n"
    "ns = {'__name__': 'litecode_tools', '_lc_host_tool': _lc_host_tool}\n"
    "exec(compile(open(sys.argv[1]).read(), '<tools>', 'exec'), ns)\n"
    "ns['_ROOT'] = os.path.realpath(sys.argv[2])\n"
    "out = {}\n"
    "out['search'] = ns['search_files']('*.py')\n"
    "out['grep'] = ns['grep_code'](r'def \\w+\\(')\n"
    "out['analyze'] = ns['analyze_file']('pkg/mod.py')\n"
    "out['bash'] = ns['run_bash_command']('echo hi; exit 3')\n"
    "out['find'] = ns['find_pattern']('TODO', context=0)\n"
    "out['verify'] = ns['verify_compilation']('.')\n"
    "out['tests'] = ns['run_tests']()\n"
    "try:\n"
    "    ns['search_files']('*', '../..')\n"
    "    out['escape'] = 'allowed'\n"
    "except ValueError as e:\n"
    "    out['escape'] = str(e)\n"
    "out['ask'] = ns['ask_user']('colour?')\n"
    "out['calls'] = calls\n"
    "print(json.dumps(out))\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_helpers_are_working_python(void **state)
{
    (void)state;
    lc_proc_result pr = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    const char *const ver[] = {"python3", "--version", NULL};
    if (lc_proc_run(ver, NULL, 0, 10000, 4096, &pr, &err) != LC_OK || pr.exit_code != 0) {
        lc_proc_result_free(&pr);
        skip();
    }
    lc_proc_result_free(&pr);
    char dir[] = "/tmp/lc_helpers_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *pkg = lc_path_join(dir, "pkg");
    assert_int_equal(lc_mkdir_p(pkg, 0755, &err), LC_OK);
    char *mod = lc_path_join(pkg, "mod.py");
    write_file(mod, "import os\n\ndef hello():\n    # TODO fix\n    return 1\n");
    char *bad = lc_path_join(dir, "bad.py");
    write_file(bad, "def broken(:\n    pass\n");
    char *tst = lc_path_join(dir, "test_ok.py");
    write_file(tst, "import unittest\nclass T(unittest.TestCase):\n    def test_a(self):\n        self.assertTrue(True)\n");

    lc_strv names = LC_STRV_INIT;
    size_t nb = 0;
    const lc_tool_def *all = lc_tool_builtins(&nb);
    for (size_t i = 0; i < nb; i++)
        lc_strv_push(&names, all[i].name);
    lc_toolset *ts = NULL;
    assert_int_equal(lc_toolset_new(&names, NULL, &ts, &err), LC_OK);
    /* The scripts live beside the tree, not in it. */
    char *src = lc_xasprintf("%s.tools.py", dir);
    char *drv = lc_xasprintf("%s.driver.py", dir);
    write_file(src, lc_toolset_python(ts));
    write_file(drv, driver_py);
    const char *const argv[] = {"python3", drv, src, dir, NULL};
    assert_int_equal(lc_proc_run(argv, NULL, 0, 60000, 1 << 20, &pr, &err), LC_OK);
    if (pr.exit_code != 0)
        fprintf(stderr, "%s\n", lc_buf_cstr(&pr.err));
    assert_int_equal(pr.exit_code, 0);
    cJSON *o = lc_json_parse(pr.out.data, pr.out.len);
    assert_non_null(o);
    char *search = lc_json_print(cJSON_GetObjectItem(o, "search"));
    assert_string_equal(search, "[\"bad.py\",\"test_ok.py\",\"pkg/mod.py\"]");
    char *grep = lc_json_print(cJSON_GetObjectItem(o, "grep"));
    assert_non_null(strstr(grep, "pkg/mod.py:3: def hello():"));
    const cJSON *an = cJSON_GetObjectItem(o, "analyze");
    assert_int_equal((int)lc_json_num(an, "lines", 0), 5);
    assert_string_equal(lc_json_str(an, "language"), "python");
    assert_string_equal(lc_json_str(o, "bash"), "exit 3\nhi\n");
    const cJSON *fp = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "find"), 0);
    assert_int_equal((int)lc_json_num(fp, "line", 0), 4);
    assert_int_equal((int)lc_json_num(fp, "column", 0), 7);
    assert_non_null(strstr(lc_json_str(o, "verify"), "FAILED (1 of 3 files)"));
    assert_non_null(strstr(lc_json_str(o, "verify"), "bad.py"));
    assert_non_null(strstr(lc_json_str(o, "escape"), "outside /workspace"));
    assert_string_equal(lc_json_str(o, "ask"), "host:ask_user");
    /* A unittest file is enough for run_tests to find a command. */
    assert_true(lc_str_starts_with(lc_json_str(o, "tests"), "$ python3 -m "));
    assert_non_null(strstr(lc_json_str(o, "tests"), "\nexit 0\n"));
    char *calls = lc_json_print(cJSON_GetObjectItem(o, "calls"));
    assert_string_equal(calls, "[[\"ask_user\",{\"question\":\"colour?\"}]]");
    free(calls);
    free(search);
    free(grep);
    cJSON_Delete(o);
    lc_proc_result_free(&pr);
    lc_toolset_free(ts);
    lc_strv_free(&names);
    assert_int_equal(lc_rm_rf(dir, &err), LC_OK);
    unlink(src);
    unlink(drv);
    free(pkg);
    free(mod);
    free(bad);
    free(tst);
    free(src);
    free(drv);
}

/* Each container tool is its src/agent/tools/<name>.py, embedded at build
 * time; the file's def line says what the tool's row says, so the prompt's
 * signature is the function the kernel runs. */
static void test_container_tools_are_embedded_py_files(void **state)
{
    (void)state;
    assert_non_null(lc_tool_python_source("_prelude"));
    assert_null(lc_tool_python_source("no_such_tool"));
    size_t nb = 0;
    const lc_tool_def *all = lc_tool_builtins(&nb);
    size_t ncontainer = 0;
    for (size_t i = 0; i < nb; i++) {
        const char *src = lc_tool_python_source(all[i].name);
        if (all[i].where != LC_TOOL_CONTAINER) {
            assert_null(src); /* host tools are stubs made from their row */
            continue;
        }
        ncontainer++;
        if (!src)
            fail_msg("tool %s has no src/agent/tools/%s.py", all[i].name, all[i].name);
        lc_strv one = LC_STRV_INIT;
        lc_strv_push(&one, all[i].name);
        lc_toolset *ts = NULL;
        lc_err err = {0};
        assert_int_equal(lc_toolset_new(&one, NULL, &ts, &err), LC_OK);
        const char *sig = lc_toolset_signatures(ts);
        size_t l = strcspn(sig, "\n");
        if (strncmp(src, sig, l) != 0 || src[l] != '\n')
            fail_msg("the def line of %s.py differs from its row: %.*s", all[i].name, (int)l, sig);
        /* The body that runs is the file's, under the row's docstring. */
        assert_non_null(strstr(lc_toolset_python(ts), src + l + 1));
        lc_toolset_free(ts);
        lc_strv_free(&one);
    }
    assert_true(ncontainer >= 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_calls_in_one_reply),
        cmocka_unit_test(test_decline_skips_rest_of_reply),
        cmocka_unit_test(test_host_tool_and_bad_calls),
        cmocka_unit_test(test_text_fallback_when_server_refuses_tools),
        cmocka_unit_test(test_tool_call_python_rendering),
        cmocka_unit_test(test_toolset_and_prompt),
        cmocka_unit_test(test_profiles_shipped),
        cmocka_unit_test(test_profile_gives_defaults_the_user_overrides),
        cmocka_unit_test(test_profile_errors_name_the_line),
        cmocka_unit_test(test_helpers_are_working_python),
        cmocka_unit_test(test_container_tools_are_embedded_py_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
