/* config: defaults, templates, the YAML loader and every validation error
 * (file, line and column checked), security refusals, precedence of the
 * layers, --print-config and the loosened-settings list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "engine_support.h"

#define MIB (1024LL * 1024)
#define GIB (1024 * MIB)

static char *write_tmp(const char *dir, const char *name, const char *text)
{
    lc_test_write(dir, name, text);
    return lc_path_join(dir, name);
}

static void rm_tree(char *dir)
{
    lc_err err = {0};
    lc_rm_rf(dir, &err);
    free(dir);
}

static char *origin_of(const lc_config *c, lc_config_key_id id)
{
    static char buf[600]; /* test-only convenience */
    return (char *)lc_config_origin_describe(c, id, buf, sizeof buf);
}

static void test_defaults(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    assert_null(c.model.name);
    assert_null(c.model.base_url);
    assert_true(c.model.temperature > 0.19 && c.model.temperature < 0.21);
    assert_int_equal(c.model.max_tokens, 4096);
    assert_int_equal(c.model.timeout_s, 600);
    assert_int_equal(c.model.stall_s, 60);
    assert_int_equal(c.model.max_retries, 4);
    assert_int_equal(c.agent.type, LC_AGENT_CODE);
    assert_int_equal(c.agent.max_steps, 20);
    assert_int_equal(c.agent.planning_interval, 0);
    const lc_container_config *cc = &c.container;
    assert_int_equal(cc->engine, LC_ENGINE_AUTO);
    assert_string_equal(cc->image, "litecode-sandbox:" LC_VERSION);
    assert_string_equal(cc->template_name, "default");
    assert_true(cc->memory_bytes == 1 * GIB);
    assert_true(cc->cpus == 1.0);
    assert_int_equal(cc->pids, 256);
    assert_int_equal(cc->timeout_s, 30);
    assert_int_equal(cc->grace_s, 3);
    assert_false(cc->network);
    assert_false(cc->workspace_ro);
    assert_null(cc->runtime);
    assert_string_equal(cc->cgroup_manager, "cgroupfs");
    assert_int_equal(cc->nofile, 1024);
    assert_int_equal(cc->nproc, 4096); /* counted per uid across the host: a backstop behind pids */
    assert_true(cc->tmp_bytes == 256 * MIB);
    assert_true(cc->output_cap_bytes == 1 * MIB);
    assert_true(cc->shadow_cap_bytes == 1 * GIB);
    char *imports = lc_strv_join(&cc->authorized_imports, " ");
    assert_string_equal(imports, "os sys json re collections datetime");
    free(imports);
    assert_false(c.security.allow_local_code_execution);
    assert_false(c.security.auto_approve);
    assert_string_equal(c.ui.theme, "dark");
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_MEMORY), "template default");
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_CPUS), "default");
    lc_err err = {0};
    assert_int_equal(lc_config_validate(&c, &err), LC_OK);
    lc_config_free(&c);
}

static void test_templates(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_container_template_apply(&c.container, "secure", &err), LC_OK);
    assert_true(c.container.memory_bytes == 512 * MIB);
    assert_int_equal(c.container.timeout_s, 15);
    char *imports = lc_strv_join(&c.container.authorized_imports, " ");
    assert_string_equal(imports, "json re collections");
    free(imports);
    assert_int_equal(lc_container_template_apply(&c.container, "ml", &err), LC_OK);
    assert_true(c.container.memory_bytes == 4 * GIB);
    assert_int_equal(c.container.timeout_s, 120);
    assert_string_equal(c.container.image, "litecode-sandbox-ml:" LC_VERSION);
    assert_true(lc_strv_contains(&c.container.authorized_imports, "sklearn"));
    assert_false(c.container.network);
    assert_int_equal(lc_container_template_apply(&c.container, "huge", &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "use default, secure or ml"));

    /* Through the key, a template leaves explicitly set keys alone. */
    assert_int_equal(lc_config_set(&c, "container.memory", "3g", LC_ORIGIN_FLAG, "--memory", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.template", "secure", LC_ORIGIN_FLAG, "--template", &err), LC_OK);
    assert_true(c.container.memory_bytes == 3 * GIB);
    assert_int_equal(c.container.timeout_s, 15);
    assert_string_equal(c.container.image, "litecode-sandbox:" LC_VERSION);
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_TIMEOUT), "template secure");
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_MEMORY), "flag --memory");
    lc_config_free(&c);
}

static void test_full_fixture(void **state)
{
    (void)state;
    char *path = lc_path_join(LC_SOURCE_DIR, "tests/fixtures/config/full.yaml");
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    int rc = lc_config_load_file(&c, path, LC_LAYER_USER, &err);
    if (rc != LC_OK)
        fail_msg("%s", err.msg);
    assert_string_equal(c.model.name, "openai/gpt-4o-mini");
    assert_string_equal(c.model.base_url, "http://localhost:4000/v1");
    assert_string_equal(c.model.api_key_env, "LITELLM_KEY");
    assert_true(c.model.temperature == 0.7);
    assert_int_equal(c.model.max_tokens, 2048);
    assert_int_equal(c.model.timeout_s, 300);
    assert_int_equal(c.model.stall_s, 30);
    assert_int_equal(c.model.max_retries, 2);
    assert_true(c.model.input_price == 0.6 && c.model.output_price == 2.4);
    assert_int_equal(c.agent.type, LC_AGENT_TOOL_CALLING);
    assert_int_equal(c.agent.max_steps, 40);
    assert_int_equal(c.agent.planning_interval, 5);
    assert_string_equal(c.agent.profile, "digger");
    assert_string_equal(c.agent.instructions, "Prefer small changes.\nExplain each step.\n");
    const lc_container_config *cc = &c.container;
    assert_int_equal(cc->engine, LC_ENGINE_PODMAN);
    assert_string_equal(cc->image, "example/sandbox:1");
    assert_string_equal(cc->template_name, "secure");
    assert_true(cc->memory_bytes == 2 * GIB);
    assert_true(cc->cpus == 1.5);
    assert_int_equal(cc->pids, 128);
    assert_int_equal(cc->timeout_s, 45);
    assert_int_equal(cc->grace_s, 5);
    assert_true(cc->network);
    assert_true(cc->workspace_ro);
    assert_string_equal(cc->runtime, "runsc");
    assert_string_equal(cc->cgroup_manager, "systemd");
    assert_string_equal(cc->init_path, "/usr/libexec/podman/catatonit");
    assert_int_equal(cc->nofile, 4096);
    assert_int_equal(cc->nproc, 512);
    assert_true(cc->tmp_bytes == 64 * MIB);
    assert_true(cc->output_cap_bytes == 2 * MIB);
    assert_true(cc->shadow_cap_bytes == 512 * MIB);
    assert_true(cc->copy_max_bytes == 2 * GIB);
    char *imports = lc_strv_join(&cc->authorized_imports, " ");
    assert_string_equal(imports, "json os.* pathlib");
    free(imports);
    /* Relative tool files are relative to the file that names them. */
    assert_int_equal(cc->tool_files.n, 2);
    char *expect = lc_path_join(LC_SOURCE_DIR, "tests/fixtures/config/tools/lint.py");
    assert_string_equal(cc->tool_files.v[0], expect);
    free(expect);
    assert_string_equal(cc->tool_files.v[1], "/opt/tools/shared.py");
    char *tools = lc_strv_join(&c.agent.tools, " ");
    assert_string_equal(tools, "grep_code search_files");
    free(tools);
    assert_false(c.security.allow_local_code_execution);
    assert_true(c.security.auto_approve);
    assert_string_equal(c.ui.theme, "solarized");
    char *keys = lc_strv_join(&c.ui.key_bindings, " ");
    assert_string_equal(keys, "approve=a quit=Q");
    free(keys);
    assert_int_equal(c.ui.scrollback, 5000);
    assert_false(c.ui.mouse);
    /* Every key of the table is set by full.yaml, with its line. */
    for (int i = 0; i < LC_CFG__COUNT; i++)
        assert_int_equal(c.origin[i].kind, LC_ORIGIN_FILE);
    char want[600];
    snprintf(want, sizeof want, "%s:4", path);
    assert_string_equal(origin_of(&c, LC_CFG_MODEL_API_KEY_ENV), want);
    lc_config_free(&c);
    free(path);
}

static double cost_of(const char *name, const char *base_url, double in, double out)
{
    lc_model_config m = {.name = (char *)name, .base_url = (char *)base_url, .input_price = in,
                         .output_price = out};
    return lc_model_cost(&m, 1000000, 100000);
}

/* Cost is shown where the price is known: the config's, else the list
 * price of a known model (longest prefix), 0 for a local model; nothing for
 * an unknown model or another server. */
static void test_model_prices(void **state)
{
    (void)state;
    assert_true(cost_of("openai/gpt-4o", NULL, -1, -1) == 2.5 + 1.0);
    assert_true(cost_of("openai/gpt-4o-mini-2024-07-18", NULL, -1, -1) == 0.15 + 0.06);
    assert_true(cost_of("anthropic/claude-opus-4-5-20251101", NULL, -1, -1) == 5 + 2.5);
    assert_true(cost_of("anthropic/claude-opus-4-1", NULL, -1, -1) == 15 + 7.5);
    assert_true(cost_of("ollama/llama3.1", NULL, -1, -1) == 0);
    assert_true(cost_of("openai/o3x", NULL, -1, -1) < 0);           /* not o3 */
    assert_true(cost_of("openai/gpt-4o", "http://proxy:4000/v1", -1, -1) < 0);
    assert_true(cost_of("replay:session.jsonl", NULL, -1, -1) < 0);
    assert_true(cost_of("openai/my-finetune", NULL, -1, -1) < 0);
    /* The config wins over the table, and a half-given price needs the table. */
    assert_true(cost_of("openai/gpt-4o", "http://proxy:4000/v1", 1, 2) == 1 + 0.2);
    assert_true(cost_of("openai/gpt-4o", NULL, 1, -1) == 1 + 1.0);
    assert_true(cost_of("openai/unknown", NULL, 1, -1) < 0);
    /* Validation: a negative price is an error with the range; null restores the table. */
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_config_set(&c, "model.input_price", "-3", LC_ORIGIN_FLAG, NULL, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "out of range"));
    assert_int_equal(lc_config_set(&c, "model.input_price", "cheap", LC_ORIGIN_FLAG, NULL, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "US dollars per million tokens"));
    assert_int_equal(lc_config_set(&c, "model.input_price", "0.5", LC_ORIGIN_FLAG, NULL, &err), LC_OK);
    assert_true(c.model.input_price == 0.5);
    assert_int_equal(lc_config_set(&c, "model.input_price", NULL, LC_ORIGIN_FLAG, NULL, &err), LC_OK);
    assert_true(c.model.input_price < 0);
    lc_buf b = LC_BUF_INIT;
    lc_config_print_value(&c, LC_CFG_MODEL_INPUT_PRICE, &b);
    assert_string_equal(lc_buf_cstr(&b), "null");
    lc_buf_free(&b);
    lc_config_free(&c);
}

static void test_empty_and_comment_only(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("cfg");
    static const char *const texts[] = {"", "# nothing yet\n", "---\n", "model:\n", "model: {}\nui: ~\n"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        char *p = write_tmp(dir, "c.yaml", texts[i]);
        lc_config c;
        lc_config_defaults(&c);
        lc_err err = {0};
        int rc = lc_config_load_file(&c, p, LC_LAYER_USER, &err);
        if (rc != LC_OK)
            fail_msg("'%s': %s", texts[i], err.msg);
        assert_int_equal(c.agent.max_steps, 20);
        lc_config_free(&c);
        free(p);
    }
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    char *missing = lc_path_join(dir, "missing.yaml");
    assert_int_equal(lc_config_load_file(&c, missing, LC_LAYER_USER, &err), LC_ENOTFOUND);
    free(missing);
    lc_config_free(&c);
    rm_tree(dir);
}

typedef struct bad_case {
    const char *yaml;
    int code;
    const char *where; /* ":LINE:COL:" after the path */
    const char *says;
} bad_case;

static const bad_case bad_cases[] = {
    {"container:\n  memroy: 1g\n", LC_EINVAL, ":2:3:", "unknown key 'memroy' in section container; did you mean 'memory'?"},
    {"contianer:\n  memory: 1g\n", LC_EINVAL, ":1:1:", "unknown section 'contianer'; did you mean 'container'?"},
    {"memory: 1g\n", LC_EINVAL, ":1:1:", "'memory' is a key of section container"},
    {"model:\n  memory: 1g\n", LC_EINVAL, ":2:3:", "'memory' belongs in section container (container.memory)"},
    {"model:\n  colour: red\n", LC_EINVAL, ":2:3:", "the keys of model are: name base_url"},
    {"agent:\n  max_steps: many\n", LC_EINVAL, ":2:14:", "agent.max_steps: 'many' is not a whole number"},
    {"agent:\n  max_steps: 0\n", LC_EINVAL, ":2:14:", "agent.max_steps: 0 is out of range; use a value from 1 to 1000"},
    {"model:\n  temperature: hot\n", LC_EINVAL, ":2:16:", "model.temperature: 'hot' is not a number"},
    {"model:\n  temperature: 3\n", LC_EINVAL, ":2:16:", "use a value from 0 to 2"},
    {"container:\n  memory: 12x\n", LC_EINVAL, ":2:11:",
     "container.memory: '12x' is not a size; use a number with k, m or g, e.g. 512m"},
    {"container:\n  memory: 1k\n", LC_EINVAL, ":2:11:", "1k is out of range; use a value from 16m to 1t"},
    {"security:\n  auto_approve: maybe\n", LC_EINVAL, ":2:17:", "'maybe' is not true or false"},
    {"container:\n  engine: dokcer\n", LC_EINVAL, ":2:11:",
     "'dokcer' is not one of auto, docker or podman; did you mean 'docker'?"},
    {"container:\n  template: big\n", LC_EINVAL, ":2:13:", "'big' is not one of default, secure or ml"},
    {"container:\n  network: host\n", LC_EINVAL, ":2:12:", "'host' is not a network setting"},
    {"container:\n  workspace: readonly\n", LC_EINVAL, ":2:14:", "is not one of rw or ro"},
    {"container:\n  authorized_imports: json\n", LC_EINVAL, ":2:23:", "container.authorized_imports: expected a list"},
    {"container:\n  authorized_imports: [json, [re]]\n", LC_EINVAL, ":2:30:", "entries must be single values"},
    {"container:\n  authorized_imports: [\"os; rm\"]\n", LC_EINVAL, ":2:23:", "'os; rm' is not a module name"},
    {"container:\n  memory: [1g]\n", LC_EINVAL, ":2:11:", "expected a single value, not a list"},
    {"container:\n  memory:\n", LC_EINVAL, ":2:", "container.memory: needs a value"},
    {"container:\n  image: \"\"\n", LC_EINVAL, ":2:10:", "the value is empty"},
    {"container:\n  memory: 1g\n   cpus: 2\n", LC_EINVAL, ":3:8:", "not valid YAML: mapping values are not allowed"},
    {"model:\n\tname: x\n", LC_EINVAL, ":2:1:", "YAML indents with spaces, not tabs"},
    {"container:\n  cpus: 1\n  cpus: 2\n", LC_EINVAL, ":3:3:", "key set twice; the first is at line 2"},
    {"ui: {}\nui: {}\n", LC_EINVAL, ":2:1:", "section appears twice; merge it with the one at line 1"},
    {"container: 1g\n", LC_EINVAL, ":1:12:", "a section holds keys"},
    {"container:\n  memory: &m 1g\n  tmp_size: *m\n", LC_EINVAL, ":3:13:", "aliases (*name) are not supported"},
    {"- model\n", LC_EINVAL, ":1:1:", "expected sections such as 'model:'"},
    {"model: {}\n---\nmodel: {}\n", LC_EINVAL, ":2:1:", "one YAML document"},
    {"model:\n  name: openai/\n", LC_EINVAL, ":2:9:", "'openai/' is not a model; write provider/model"},
    {"model:\n  base_url: localhost:11434\n", LC_EINVAL, ":2:13:", "is not an http:// or https:// URL"},
    {"model:\n  api_key_env: $HOME\n", LC_EINVAL, ":2:16:", "is not an environment variable name"},
    {"agent:\n  profile: ../../etc/passwd\n", LC_EINVAL, ":2:12:", "is not a profile name"},
    /* the image is one word of the engine's command line: never an option */
    {"container:\n  image: --privileged\n", LC_EINVAL, ":2:10:", "is not an image reference"},
    {"container:\n  image: \"-v /:/host\"\n", LC_EINVAL, ":2:10:", "is not an image reference"},
    {"container:\n  image: \"python:3.12 --privileged\"\n", LC_EINVAL, ":2:10:", "is not an image reference"},
    {"agent:\n  type: python\n", LC_EINVAL, ":2:9:", "'python' is not one of code or tool_calling"},
    {"ui:\n  keys: [q]\n", LC_EINVAL, ":2:9:", "ui.keys: expected a mapping of action: key"},
    {"ui:\n  theme: \"dark\\e[2J\"\n", LC_EINVAL, ":2:10:", "control character (0x1b)"},
    {"ui:\n  theme: \"a\\0b\"\n", LC_EINVAL, ":2:10:", "NUL byte"},
    /* Hostile bytes are never echoed raw into a message. */
    {"agent:\n  max_steps: \"1\\e[2J\"\n", LC_EINVAL, ":2:14:", "agent.max_steps: the value contains a control character (0x1b)"},
    {"model:\n  \"\\e[2Jx\": 1\n", LC_EINVAL, ":2:3:", "unknown key '^[[2Jx' in section model"},
    {"security:\n  allow_local_code_execution: true\n", LC_ESECURITY, ":2:3:",
     "allow_local_code_execution: true is refused. Local execution would run code the model wrote directly on "
     "your machine with your permissions"},
    /* Security rules come first, even in a file with other mistakes. */
    {"contianer: {}\nsecurity:\n  allow_local_code_execution: yes\n", LC_ESECURITY, ":3:3:", "container sandbox"},
};

static void test_validation_errors(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("cfg");
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *b = &bad_cases[i];
        char *p = write_tmp(dir, "bad.yaml", b->yaml);
        lc_config c;
        lc_config_defaults(&c);
        lc_err err = {0};
        int rc = lc_config_load_file(&c, p, LC_LAYER_USER, &err);
        char where[512];
        snprintf(where, sizeof where, "%s%s", p, b->where);
        if (rc != b->code || !lc_str_starts_with(err.msg, where) || !strstr(err.msg, b->says))
            fail_msg("case %zu (%s): rc %d, message: %s\nwanted %s ... %s", i, b->yaml, rc, err.msg, where, b->says);
        lc_config_free(&c);
        free(p);
    }
    rm_tree(dir);
}

/* Every key has a row in the project policy table: a key added without one is
 * refused in a project file (safe by default), and this test names it so that
 * whoever adds it decides. */
static void test_project_policy_decides_every_key(void **state)
{
    (void)state;
    for (int id = 0; id < LC_CFG__COUNT; id++) {
        const char *why = NULL;
        lc_key_project_rule r = lc_config_project_rule((lc_config_key_id)id, &why);
        if (why && strstr(why, "has not decided"))
            fail_msg("%s has no row in src/config/project.c's policy table", lc_config_keys()[id].dotted);
        (void)r;
    }
    assert_int_equal(lc_config_project_rule(LC_CFG_AGENT_INSTRUCTIONS, NULL), LC_KEY_PROJECT_OK);
    assert_int_equal(lc_config_project_rule(LC_CFG_MODEL_BASE_URL, NULL), LC_KEY_PROJECT_REFUSED);
    const char *why = NULL;
    assert_int_equal(lc_config_project_rule(LC_CFG__COUNT, &why), LC_KEY_PROJECT_REFUSED);
    assert_non_null(strstr(why, "set it in your own config"));
}

static void test_project_layer_limits(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("cfg");
    char *outside = lc_test_tmpdir("cfg-outside");
    lc_test_write(outside, "secret.py", "KEY = 'hunter2'\n");
    lc_test_write(dir, "tools/mine.py", "def mine():\n    return 1\n");
    char *secret = lc_path_join(outside, "secret.py");
    char *link_out = lc_path_join(dir, "tools/evil.py");
    assert_int_equal(symlink(secret, link_out), 0);
    char *link_in = lc_path_join(dir, "tools/alias.py");
    assert_int_equal(symlink("mine.py", link_in), 0);
    char *dir_out = lc_path_join(dir, "up");
    assert_int_equal(symlink(outside, dir_out), 0);
    /* Every key that reaches secrets or the host, refused with its place,
     * why, and where it belongs instead. */
    static const struct { const char *yaml, *says; } cases[] = {
        {"security:\n  auto_approve: true\n", ":2:3: security.auto_approve is refused in a project file"},
        {"model:\n  api_key_env: AWS_SECRET_ACCESS_KEY\n", "picks which of your secrets is sent"},
        {"model:\n  base_url: http://127.0.0.1:9/v1\n", ":2:3: model.base_url is refused in a project file: the "
                                                          "model settings decide which server receives your API key"},
        {"agent:\n  max_steps: 3\nmodel:\n  name: openai/gpt-4o\n", ":4:3: model.name is refused"},
        {"model:\n  temperature: 0\n", "or with --set model.temperature=..., and remove it here"},
        {"container:\n  engine: podman\n", "container.engine is refused in a project file: it picks which program"},
        {"container:\n  image: evil/img\n", "container.image is refused in a project file: it could name any image"},
        {"container:\n  runtime: runc\n", "container.runtime is refused"},
        {"container:\n  init_path: /tmp/x\n", "container.init_path is refused"},
        {"container:\n  cgroup_manager: systemd\n", "container.cgroup_manager is refused"},
        {"ui:\n  keys: {approve: n}\n", "ui.keys is refused in a project file: a project could swap"},
        {"ui:\n  theme: /etc/passwd\n", ":2:10: ui.theme: a project file may give a name here"},
        {"ui:\n  theme: ..\n", ":2:10: ui.theme: a project file may give a name here"},
        {"container:\n  network: true\n", ":2:3: container.network: true is looser than false (from template default)"},
        {"container:\n  memory: 8g\n", "container.memory: 8g is looser than 1g (from template default), and a project "
                                         "file may only tighten the sandbox"},
        {"container:\n  timeout: 86400\n", "container.timeout: 86400 is looser"},
        {"container:\n  shadow_cap: 1t\n", "container.shadow_cap"},
        {"container:\n  template: ml\n", "container.template: ml is looser"},
        {"container:\n  authorized_imports: [json, subprocess]\n", "container.authorized_imports"},
        {"tools:\n  files: [/home/u/.ssh/id_rsa]\n", "is outside the project"},
        {"tools:\n  files: [../x.py]\n", "is outside the project"},
        {"tools:\n  files: [tools/evil.py]\n", ":2:10: tools.files: 'tools/evil.py' is outside the project (a symlink leads out of it)"},
        {"tools:\n  files: [up/secret.py]\n", "is outside the project (a symlink leads out of it)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = write_tmp(dir, ".litecode.yaml", cases[i].yaml);
        lc_config c;
        lc_config_defaults(&c);
        lc_err err = {0};
        if (lc_config_load_file(&c, p, LC_LAYER_PROJECT, &err) != LC_ESECURITY)
            fail_msg("case %zu was not refused: %s", i, err.msg);
        if (!strstr(err.msg, cases[i].says))
            fail_msg("case %zu: %s", i, err.msg);
        assert_false(c.security.auto_approve);
        assert_null(c.model.base_url);
        assert_false(c.container.network);
        assert_int_equal(c.container.tool_files.n, 0);
        lc_config_free(&c);
        free(p);
    }
    /* The user's own file may do all of that (the model, looser limits). */
    char *p = write_tmp(dir, "user.yaml", "model:\n  base_url: http://127.0.0.1:9/v1\ncontainer:\n  memory: 8g\n"
                                          "  network: true\n  image: mine\nui:\n  theme: /etc/x\n");
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_config_load_file(&c, p, LC_LAYER_USER, &err), LC_OK);
    /* ...and then a project may ask for up to what the user allows. */
    free(p);
    p = write_tmp(dir, ".litecode.yaml", "container:\n  memory: 4g\n  network: false\n");
    assert_int_equal(lc_config_load_file(&c, p, LC_LAYER_PROJECT, &err), LC_OK);
    assert_true(c.container.memory_bytes == 4LL << 30);
    assert_false(c.container.network);
    lc_config_free(&c);
    free(p);

    /* Harmless and tighter settings are kept. */
    p = write_tmp(dir, ".litecode.yaml",
                  "agent:\n  max_steps: 5\n  type: tool_calling\ncontainer:\n  memory: 256m\n  template: secure\n"
                  "  workspace: ro\n  authorized_imports: [json, re]\nui:\n  theme: light\n"
                  "tools:\n  files: [tools/mine.py, tools/alias.py]\n  enabled: [grep_code]\n");
    lc_config_defaults(&c);
    if (lc_config_load_file(&c, p, LC_LAYER_PROJECT, &err) != LC_OK)
        fail_msg("%s", err.msg);
    assert_int_equal(c.agent.max_steps, 5);
    assert_true(c.container.memory_bytes == 256LL << 20);
    assert_true(c.container.workspace_ro);
    /* Tool files are kept by their real path (the link inside is resolved). */
    char *real = realpath(dir, NULL);
    char *want = lc_path_join(real, "tools/mine.py");
    assert_int_equal(c.container.tool_files.n, 2);
    assert_string_equal(c.container.tool_files.v[0], want);
    assert_string_equal(c.container.tool_files.v[1], want);
    /* Once read-only, a later project value may not make it writable. */
    free(p);
    p = write_tmp(dir, ".litecode.yaml", "container:\n  workspace: rw\n");
    assert_int_equal(lc_config_load_file(&c, p, LC_LAYER_PROJECT, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "container.workspace: rw is looser than ro"));
    lc_config_free(&c);
    free(p);

    /* A tool file that is a directory is refused. */
    p = write_tmp(dir, ".litecode.yaml", "tools:\n  files: [tools]\n");
    lc_config_defaults(&c);
    assert_int_equal(lc_config_load_file(&c, p, LC_LAYER_PROJECT, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "is not a regular file"));
    lc_config_free(&c);
    free(p);
    free(want);
    free(real);
    free(secret);
    free(link_out);
    free(link_in);
    free(dir_out);
    rm_tree(outside);
    rm_tree(dir);
}

/* Staging copies each tool file into the session, never through a link,
 * and points the config at the copies. */
static void test_tool_files_stage(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("cfg-stage");
    lc_test_write(dir, "proj/a/t.py", "def a():\n    return 1\n");
    lc_test_write(dir, "proj/b/t.py", "def b():\n    return 2\n");
    char *real = realpath(dir, NULL);
    lc_container_config cc;
    lc_config c;
    lc_config_defaults(&c);
    cc = c.container;
    lc_strv_push_owned(&cc.tool_files, lc_xasprintf("%s/proj/a/t.py", real));
    lc_strv_push_owned(&cc.tool_files, lc_xasprintf("%s/proj/b/t.py", real));
    char *dest = lc_path_join(real, "session/tools");
    lc_err err = {0};
    assert_int_equal(lc_config_tool_files_stage(&cc, dest, &err), LC_OK);
    assert_int_equal(cc.tool_files.n, 2);
    char *w0 = lc_path_join(dest, "01-t.py"), *w1 = lc_path_join(dest, "02-t.py");
    assert_string_equal(cc.tool_files.v[0], w0);
    assert_string_equal(cc.tool_files.v[1], w1);
    /* The originals are still known, for the review's flag. */
    assert_int_equal(cc.tool_sources.n, 2);
    c.container = cc;
    assert_true(lc_config_reads_path(&c, real, "proj/b/t.py"));
    assert_false(lc_config_reads_path(&c, real, "proj/b/u.py"));
    char *got = lc_test_read(dest, "02-t.py");
    assert_string_equal(got, "def b():\n    return 2\n");
    free(got);
    struct stat st;
    assert_int_equal(lstat(w0, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    /* The copy, not the file: a later change of the original is not seen. */
    lc_test_write(dir, "proj/b/t.py", "changed\n");
    got = lc_test_read(dest, "02-t.py");
    assert_string_equal(got, "def b():\n    return 2\n");
    free(got);

    /* A link put in place of a resolved tool file is not followed. */
    lc_strv_clear(&cc.tool_files);
    char *t = lc_xasprintf("%s/proj/a/t.py", real);
    unlink(t);
    lc_test_write(dir, "elsewhere.py", "SECRET\n");
    char *target = lc_path_join(real, "elsewhere.py");
    assert_int_equal(symlink(target, t), 0);
    lc_strv_push(&cc.tool_files, t);
    assert_int_equal(lc_config_tool_files_stage(&cc, dest, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "a symlink now leads elsewhere"));
    assert_string_equal(cc.tool_files.v[0], t); /* untouched */
    c.container = cc;
    lc_config_free(&c);
    free(t);
    free(target);
    free(w0);
    free(w1);
    free(dest);
    free(real);
    rm_tree(dir);
}

/* Imports a project asks for must be covered by what is authorized. */
static void test_imports_only_narrow(void **state)
{
    (void)state;
    lc_config now, want;
    lc_config_defaults(&now);
    lc_config_defaults(&want);
    lc_err err = {0};
    assert_int_equal(lc_config_set(&now, "container.authorized_imports", "json,os.*", LC_ORIGIN_FLAG, "x", &err), LC_OK);
    static const struct { const char *want; bool looser; } cases[] = {
        {"json", false}, {"os", false}, {"os.path", false}, {"os.*", false}, {"json,os.path", false},
        {"osx", true}, {"sys", true}, {"*", true}, {"json,subprocess", true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(lc_config_set(&want, "container.authorized_imports", cases[i].want, LC_ORIGIN_FLAG, "x", &err),
                         LC_OK);
        if (lc_config_is_looser(&now, &want, LC_CFG_CONTAINER_IMPORTS) != cases[i].looser)
            fail_msg("imports %s: looser should be %d", cases[i].want, cases[i].looser);
    }
    lc_config_free(&now);
    lc_config_free(&want);
}

/* The files litecode reads itself are known, whatever their spelling. */
static void test_reads_path(void **state)
{
    (void)state;
    char *dir = lc_test_tmpdir("cfg-reads");
    char *real = realpath(dir, NULL);
    char *home = lc_path_join(real, "home");
    char *cfg = lc_path_join(real, "cfg");
    setenv("XDG_CONFIG_HOME", cfg, 1);
    setenv("XDG_STATE_HOME", home, 1);
    free(cfg);
    lc_config c;
    lc_config_defaults(&c);
    lc_strv_push_owned(&c.container.tool_files, lc_path_join(real, "tools/mine.py"));
    assert_true(lc_config_reads_path(&c, real, ".litecode.yaml"));
    assert_true(lc_config_reads_path(&c, real, ".LITECODE.yaml"));
    assert_true(lc_config_reads_path(&c, real, ".litecode.yaml. "));
    assert_true(lc_config_reads_path(&c, real, "tools/mine.py"));
    assert_true(lc_config_reads_path(NULL, real, "cfg/litecode/agents/digger.yaml"));
    assert_true(lc_config_reads_path(NULL, real, "cfg/litecode/config.yaml"));
    assert_true(lc_config_reads_path(NULL, real, "home/litecode/trusted.txt"));
    /* A project that lives in the state directory (the demo's copy) is
     * just a project. */
    assert_false(lc_config_reads_path(NULL, real, "home/litecode/sessions/x/project/main.py"));
    assert_false(lc_config_reads_path(&c, real, "tools/other.py"));
    assert_false(lc_config_reads_path(&c, real, "sub/.litecode.yaml"));
    assert_false(lc_config_reads_path(&c, real, "main.py"));
    lc_config_free(&c);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_STATE_HOME");
    free(home);
    free(real);
    rm_tree(dir);
}

static void test_validate_across_keys(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    c.security.allow_local_code_execution = true;
    lc_err err = {0};
    assert_int_equal(lc_config_validate(&c, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "no local executor"));
    c.security.allow_local_code_execution = false;

    /* A bare model name needs the server that serves it. */
    assert_int_equal(lc_config_set(&c, "model.name", "gpt4", LC_ORIGIN_FLAG, "--model", &err), LC_OK);
    assert_int_equal(lc_config_validate(&c, &err), LC_EINVAL);
    assert_true(lc_str_starts_with(err.msg, "model.name 'gpt4' (from flag --model) does not say its provider"));
    assert_int_equal(lc_config_set(&c, "model.base_url", "http://localhost:4000/v1", LC_ORIGIN_FLAG, "--base-url",
                                   &err), LC_OK);
    assert_int_equal(lc_config_validate(&c, &err), LC_OK);
    lc_config_free(&c);
}

/* defaults < template < user file < project file < env < flags */
static void test_precedence(void **state)
{
    (void)state;
    char *home = lc_test_tmpdir("cfg-home");
    char *proj = lc_test_tmpdir("cfg-proj");
    lc_test_write(home, "litecode/config.yaml",
                  "model:\n  name: openai/gpt-4o\ncontainer:\n  memory: 2g\n  template: secure\n  cpus: 2\n");
    lc_test_write(proj, ".litecode.yaml", "agent:\n  max_steps: 7\ncontainer:\n  template: secure\n  cpus: 1.5\n");
    setenv("XDG_CONFIG_HOME", home, 1);
    setenv("LITECODE_MODEL", "anthropic/claude-sonnet-4-5", 1);

    lc_config c;
    lc_config_load_opts o = LC_CONFIG_LOAD_OPTS_INIT;
    o.dir = proj;
    o.project_trusted = true;
    lc_err err = {0};
    int rc = lc_config_load(&c, &o, &err);
    if (rc != LC_OK)
        fail_msg("%s", err.msg);
    char *argv[] = {"litecode-tui", "--cpus", "4", NULL};
    lc_cli cli;
    assert_int_equal(lc_cli_parse(3, argv, &cli, &err), LC_OK);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);

    char user_line[600];
    snprintf(user_line, sizeof user_line, "%s/litecode/config.yaml:4", home);
    char proj_line[600];
    snprintf(proj_line, sizeof proj_line, "%s/.litecode.yaml:4", proj);
    assert_string_equal(c.container.template_name, "secure");        /* project over user */
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_TEMPLATE), proj_line);
    assert_true(c.container.memory_bytes == 2 * GIB);                /* user file over template */
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_MEMORY), user_line);
    assert_int_equal(c.container.timeout_s, 15);                     /* template over default */
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_TIMEOUT), "template secure");
    assert_string_equal(c.container.image, "litecode-sandbox:" LC_VERSION);
    assert_int_equal(c.agent.max_steps, 7);
    assert_true(c.container.cpus == 4);                              /* flag over all */
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_CPUS), "flag --cpus");
    assert_string_equal(c.model.name, "anthropic/claude-sonnet-4-5"); /* env over user file */
    assert_string_equal(origin_of(&c, LC_CFG_MODEL_NAME), "env LITECODE_MODEL");
    assert_int_equal(c.container.pids, 256);
    lc_config_free(&c);

    /* Untrusted: the project file is not read at all. */
    o.project_trusted = false;
    unsetenv("LITECODE_MODEL");
    assert_int_equal(lc_config_load(&c, &o, &err), LC_OK);
    assert_string_equal(c.container.template_name, "secure");
    assert_true(c.container.cpus == 2);
    assert_string_equal(c.model.name, "openai/gpt-4o");
    assert_int_equal(c.container.timeout_s, 15);
    lc_config_free(&c);

    /* A project file that breaks the rules stops the load with its place. */
    lc_test_write(proj, ".litecode.yaml", "security:\n  allow_local_code_execution: on\n");
    o.project_trusted = true;
    assert_int_equal(lc_config_load(&c, &o, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, ".litecode.yaml:2:3:"));
    lc_config_free(&c);

    /* --config replaces the user file and must exist. */
    o.project_trusted = false;
    o.config_path = "/nonexistent/litecode.yaml";
    assert_int_equal(lc_config_load(&c, &o, &err), LC_EINVAL);
    assert_true(lc_str_starts_with(err.msg, "--config: reading /nonexistent/litecode.yaml"));
    lc_config_free(&c);

    /* A bare model name in a file is completed by --base-url. */
    lc_test_write(home, "litecode/config.yaml", "model:\n  name: local-model\n");
    o.config_path = NULL;
    assert_int_equal(lc_config_load(&c, &o, &err), LC_OK);
    char *argv2[] = {"litecode-tui", "--base-url", "http://127.0.0.1:8000/v1", NULL};
    assert_int_equal(lc_cli_parse(3, argv2, &cli, &err), LC_OK);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);
    lc_config_free(&c);
    assert_int_equal(lc_config_load(&c, &o, &err), LC_OK);
    assert_int_equal(lc_cli_parse(1, argv2, &cli, &err), LC_OK);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "model.name 'local-model' (from "));
    lc_config_free(&c);

    setenv("LITECODE_ENGINE", "dokcer", 1);
    o.config_path = NULL;
    assert_int_equal(lc_config_load(&c, &o, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "environment variable LITECODE_ENGINE: 'dokcer' is not one of"));
    lc_config_free(&c);
    unsetenv("LITECODE_ENGINE");
    unsetenv("XDG_CONFIG_HOME");
    rm_tree(home);
    rm_tree(proj);
}

static char *strip_comments(const char *text)
{
    lc_buf b = LC_BUF_INIT;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *hash = memmem(p, len, " # from ", 8);
        size_t keep = hash ? (size_t)(hash - p) : len;
        while (keep && p[keep - 1] == ' ')
            keep--;
        if (p[0] != '#')
            lc_buf_printf(&b, "%.*s\n", (int)keep, p);
        p += len + (nl ? 1 : 0);
    }
    return lc_buf_detach(&b);
}

static void test_print_config(void **state)
{
    (void)state;
    char *path = lc_path_join(LC_SOURCE_DIR, "tests/fixtures/config/full.yaml");
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_config_load_file(&c, path, LC_LAYER_USER, &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.cpus", "0.5", LC_ORIGIN_FLAG, "--cpus", &err), LC_OK);
    lc_buf out = LC_BUF_INIT;
    lc_config_print(&c, &out);
    const char *text = lc_buf_cstr(&out);
    char want[700];
    snprintf(want, sizeof want, "  memory: 2g%*s# from %s:", 44 - 12, "", path);
    if (!strstr(text, want))
        fail_msg("no '%s' in:\n%s", want, text);
    assert_non_null(strstr(text, "  cpus: 0.5"));
    assert_non_null(strstr(text, "# from flag --cpus\n"));
    char loose[700];
    snprintf(loose, sizeof loose, "\n# looser than the defaults: network on (%s:29)\n"
             "# looser than the defaults: auto-approve on (%s:50)\nmodel:\n", path, path);
    if (!strstr(text, loose))
        fail_msg("no '%s' in:\n%s", loose, text);
    assert_non_null(strstr(text, "  instructions: \"Prefer small changes.\\nExplain each step.\\n\""));
    assert_non_null(strstr(text, "  keys: {approve: a, quit: Q}"));
    assert_non_null(strstr(text, "  authorized_imports: [json, \"os.*\", pathlib]"));
    assert_non_null(strstr(text, "container:\n  engine: podman"));

    /* What it prints reads back to the same values. */
    char *dir = lc_test_tmpdir("cfg");
    char *again = write_tmp(dir, "printed.yaml", text);
    lc_config d;
    lc_config_defaults(&d);
    int rc = lc_config_load_file(&d, again, LC_LAYER_USER, &err);
    if (rc != LC_OK)
        fail_msg("%s", err.msg);
    lc_buf out2 = LC_BUF_INIT;
    lc_config_print(&d, &out2);
    char *a = strip_comments(text), *b = strip_comments(lc_buf_cstr(&out2));
    assert_string_equal(a, b);
    free(a);
    free(b);
    lc_buf_free(&out2);
    lc_config_free(&d);

    /* Defaults print with their origins. */
    lc_config_defaults(&d);
    lc_buf_reset(&out);
    lc_config_print(&d, &out);
    assert_non_null(strstr(lc_buf_cstr(&out), "  name: null"));
    assert_non_null(strstr(lc_buf_cstr(&out), "# from template default\n"));
    assert_non_null(strstr(lc_buf_cstr(&out), "  pids: 256"));
    lc_config_free(&d);

    lc_buf_free(&out);
    lc_config_free(&c);
    free(again);
    free(path);
    rm_tree(dir);
}

static void test_print_is_terminal_safe(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    /* Values that slipped past validation, and a hostile file name. */
    free(c.ui.theme);
    c.ui.theme = lc_xstrdup("x\x1b]0;owned\x07\xc2\x9b" "31m");
    free(c.origin[LC_CFG_UI_THEME].text);
    c.origin[LC_CFG_UI_THEME].kind = LC_ORIGIN_FILE;
    c.origin[LC_CFG_UI_THEME].text = lc_xstrdup("/tmp/\x1b[2Jevil.yaml:1");
    lc_buf out = LC_BUF_INIT;
    lc_config_print(&c, &out);
    for (size_t i = 0; i < out.len; i++) {
        unsigned char ch = (unsigned char)out.data[i];
        if ((ch < 0x20 && ch != '\n') || ch == 0x7f)
            fail_msg("control byte 0x%02x at %zu", ch, i);
    }
    assert_non_null(strstr(lc_buf_cstr(&out), "theme: \"x\\x1b]0;owned\\x07\\x9b31m\""));
    lc_buf_free(&out);
    lc_config_free(&c);
}

static void test_loosened(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    lc_strv l = LC_STRV_INIT;
    lc_config_loosened(&c, &l);
    assert_int_equal(l.n, 0);
    lc_err err = {0};
    assert_int_equal(lc_config_set(&c, "container.network", "bridge", LC_ORIGIN_FLAG, "--network", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "security.auto_approve", "true", LC_ORIGIN_FLAG, "--yes", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.authorized_imports", "json, *", LC_ORIGIN_ENV, "X", &err), LC_OK);
    lc_config_loosened(&c, &l);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.v[0], "network on (flag --network)");
    assert_string_equal(l.v[1], "auto-approve on (flag --yes)");
    assert_string_equal(l.v[2], "every import allowed (env X)");
    /* The secure default stays; "none" is the same as false. */
    assert_int_equal(lc_config_set(&c, "container.network", "none", LC_ORIGIN_FLAG, "--x", &err), LC_OK);
    assert_false(c.container.network);
    lc_strv_free(&l);
    lc_config_free(&c);
}

/* An agent profile fills in what the user left unset, and nothing more. */
static void test_profile_values_are_weak(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_config_set(&c, "agent.max_steps", "12", LC_ORIGIN_FILE, "/u.yaml:3", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "agent.max_steps", "50", LC_ORIGIN_PROFILE, "codemod", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.workspace", "ro", LC_ORIGIN_PROFILE, "digger", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.template", "ml", LC_ORIGIN_PROFILE, "digger", &err), LC_OK);
    assert_int_equal(c.agent.max_steps, 12);
    assert_string_equal(origin_of(&c, LC_CFG_AGENT_MAX_STEPS), "/u.yaml:3");
    assert_true(c.container.workspace_ro);
    assert_string_equal(origin_of(&c, LC_CFG_CONTAINER_WORKSPACE), "profile digger");
    assert_int_equal(c.container.timeout_s, 120);
    /* A template chosen later does not undo what the profile set. */
    assert_int_equal(lc_config_set(&c, "container.memory", "3g", LC_ORIGIN_PROFILE, "digger", &err), LC_OK);
    assert_int_equal(lc_config_set(&c, "container.template", "secure", LC_ORIGIN_FLAG, "--template", &err), LC_OK);
    assert_true(c.container.memory_bytes == 3 * GIB);
    assert_int_equal(c.container.timeout_s, 15);
    /* Bad values from a profile are still errors. */
    assert_int_equal(lc_config_set(&c, "agent.max_steps", "0", LC_ORIGIN_PROFILE, "codemod", &err), LC_EINVAL);
    lc_config_free(&c);
}

static void test_set_and_nearest(void **state)
{
    (void)state;
    lc_err err = {0};
    assert_int_equal(lc_config_check_value("container.memroy", "1g", &err), LC_EINVAL);
    assert_string_equal(err.msg, "unknown key 'container.memroy'; did you mean 'container.memory'?");
    assert_int_equal(lc_config_check_value("container.memory", "512m", &err), LC_OK);
    assert_int_equal(lc_config_check_value("model.base_url", NULL, &err), LC_OK);
    assert_int_equal(lc_config_check_value("agent.max_steps", NULL, &err), LC_EINVAL);
    assert_int_equal(lc_config_check_value("ui.keys", "quit", &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "'quit' is not action=key"));
    const char *words[] = {"memory", "cpus", "pids", "timeout"};
    assert_string_equal(lc_config_nearest("memroy", words, 4), "memory");
    assert_string_equal(lc_config_nearest("cpu", words, 4), "cpus");
    assert_string_equal(lc_config_nearest("TIMEOUT", words, 4), "timeout");
    assert_null(lc_config_nearest("network", words, 4));
    assert_null(lc_config_nearest("", words, 4));
    assert_non_null(lc_config_key_find("ui.theme"));
    assert_null(lc_config_key_find("ui"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_templates),
        cmocka_unit_test(test_full_fixture),
        cmocka_unit_test(test_model_prices),
        cmocka_unit_test(test_empty_and_comment_only),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_project_policy_decides_every_key),
        cmocka_unit_test(test_project_layer_limits),
        cmocka_unit_test(test_tool_files_stage),
        cmocka_unit_test(test_imports_only_narrow),
        cmocka_unit_test(test_reads_path),
        cmocka_unit_test(test_validate_across_keys),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_print_config),
        cmocka_unit_test(test_print_is_terminal_safe),
        cmocka_unit_test(test_loosened),
        cmocka_unit_test(test_profile_values_are_weak),
        cmocka_unit_test(test_set_and_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
