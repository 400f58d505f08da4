/* config: YAML files and flags become one typed, validated lc_config.
 * Sources in order: built-in defaults and a container template, the user's
 * ~/.config/litecode/config.yaml, the project's ./.litecode.yaml (only once
 * the project is trusted), then flags. Security rules are checked first.
 * Every value remembers where it came from, for --print-config. */
#ifndef LC_CONFIG_H
#define LC_CONFIG_H

#include "core/core.h"

/* The container engines, one row each; `auto` tries them in this order. A new
 * engine is one row here: its enum value, config and flag name, and how exec/
 * drives its CLI (exec/engine.c reads the columns; nothing else names an engine).
 * X(ID, name, version_format, network_on, remote_env, flags, fails, remedy)
 * - version_format: `<name> version --format` for the server's version
 * - network_on: the --network value when the network is explicitly turned on
 * - remote_env: the variable that points the CLI at another machine
 * - flags: LC_ENGINE_F_* below
 * - fails, remedy: "<fails>: <its error><remedy>" (whole phrases, so the
 *   docs' copies of these messages can be checked against this text) */
#define LC_ENGINE_F_GLOBAL_RUNTIME 0x01 /* runtime and cgroup manager are global options (default runc) */
#define LC_ENGINE_F_INIT_SEARCH 0x02    /* --init-path: find an init when the default is not packaged */
#define LC_ENGINE_F_KEEP_ID 0x04        /* rootless: --userns=keep-id instead of --user */
#define LC_ENGINE_F_OOM_HOST_COUNT 0x08 /* OOMKilled is unreliable: read exit 137 + host OOM count */
#define LC_ENGINE_F_CONTEXTS 0x10       /* `<name> context inspect` names the endpoint */
#define LC_ENGINES(X) \
    X(DOCKER, "docker", "{{.Server.Version}}", "bridge", "DOCKER_HOST", LC_ENGINE_F_CONTEXTS, "docker is installed but does not answer", \
      ". Start its daemon (`sudo systemctl start docker`, or `sudo dockerd &`); if you are not root, add yourself to the docker group (`sudo usermod -aG docker $USER`, then log in again). scripts/setup.sh does this for you.") \
    X(PODMAN, "podman", "{{.Client.Version}}{{if .Server}} remote{{end}}", "slirp4netns", "CONTAINER_HOST", \
      LC_ENGINE_F_GLOBAL_RUNTIME | LC_ENGINE_F_INIT_SEARCH | LC_ENGINE_F_KEEP_ID | LC_ENGINE_F_OOM_HOST_COUNT, "podman is installed but does not work", \
      ". See docs/troubleshooting.md (runtime and cgroup manager settings).")

#define LC_ENGINE_ENUM_(id, ...) LC_ENGINE_##id,
typedef enum lc_engine_kind {
    LC_ENGINE_AUTO = 0,
    LC_ENGINES(LC_ENGINE_ENUM_)
    LC_ENGINE__COUNT
} lc_engine_kind;
#undef LC_ENGINE_ENUM_
/* "auto|docker|podman", for the config key's choices. */
#define LC_ENGINE_CHOICE_(id, name, ...) "|" name
#define LC_ENGINE_CHOICES "auto" LC_ENGINES(LC_ENGINE_CHOICE_)

/* Limits and shape of the sandbox container. Plain value; strings owned by
 * the struct, freed by lc_container_config_free. */
typedef struct lc_container_config {
    lc_engine_kind engine;
    char *image;              /* e.g. "litecode-sandbox:0.1.0" */
    char *template_name;      /* default | secure | ml */
    int64_t memory_bytes;     /* --memory; swap is set equal (no extra swap) */
    double cpus;
    int pids;
    int timeout_s;            /* per step */
    int grace_s;              /* after the interrupt, before the container is killed */
    bool network;             /* false: --network none. true must be explicit */
    bool workspace_ro;        /* mount the shadow read-only (digger) */
    char *transport;          /* auto|mount|copy: how the shadow reaches /workspace */
    char *runtime;            /* e.g. "runsc"; NULL: engine default (podman: runc) */
    char *cgroup_manager;     /* podman: "cgroupfs" by default */
    char *init_path;          /* podman --init-path; NULL: engine default */
    int nofile;               /* ulimit nofile (soft = hard) */
    int nproc;                /* ulimit nproc */
    int64_t tmp_bytes;        /* size of the tmpfs at /tmp */
    int64_t output_cap_bytes; /* per step; head and tail kept */
    int64_t shadow_cap_bytes; /* growth of the shadow copy per session */
    int64_t copy_max_bytes;   /* most the copy transport sends at a start (apparent sizes) */
    lc_strv authorized_imports; /* "os", "os.*", "*" */
    lc_strv tool_files;       /* host paths of user tool files, mounted read-only */
    lc_strv tool_sources;     /* once staged (lc_config_tool_files_stage): the real paths
                               * tool_files were copied from; empty before */
} lc_container_config;

typedef struct lc_model_config {
    char *name;        /* "openai/gpt-4o", "anthropic/claude-...", "ollama/llama3", "replay:FILE" */
    char *base_url;    /* NULL: the provider's default */
    char *api_key_env; /* name of the environment variable holding the key */
    double temperature;
    int max_tokens;
    int timeout_s;     /* whole request */
    int stall_s;       /* no bytes for this long: the stream is stalled */
    int max_retries;
    double input_price;  /* US$ per million prompt tokens; < 0: the built-in table */
    double output_price; /* US$ per million completion tokens; < 0: the built-in table */
} lc_model_config;

typedef enum lc_agent_type {
    LC_AGENT_CODE = 0,
    LC_AGENT_TOOL_CALLING,
} lc_agent_type;

typedef struct lc_agent_config {
    lc_agent_type type;
    int max_steps;
    int planning_interval; /* 0: no planning steps */
    char *profile;         /* NULL or "digger", "codemod", ... */
    char *instructions;    /* extra text for the system prompt, from the profile */
    lc_strv tools;         /* tool names enabled for this agent */
} lc_agent_config;

typedef struct lc_ui_config {
    char *theme;           /* name or path; "dark" by default */
    lc_strv key_bindings;  /* "action=key" pairs, applied over the defaults */
    int scrollback;        /* lines the Output pane keeps; older ones are dropped, and said so */
    bool mouse;            /* wheel scrolls the pane under the pointer, a click focuses */
} lc_ui_config;

/* One MCP server from the user's config (mcp.servers.NAME). Never from a
 * project file: it runs a program on the host. Owned strings. */
typedef struct lc_mcp_server_config {
    char *name;       /* [A-Za-z0-9_-], 1..32 bytes */
    lc_strv command;  /* argv; argv[0] is looked up in PATH */
    lc_strv env;      /* "KEY=value": the only variables besides a minimal set */
    int timeout_s;    /* per request; 0: the default (60 s) */
    char *origin;     /* "FILE:LINE" of the server's name */
} lc_mcp_server_config;

typedef struct lc_mcp_config {
    lc_mcp_server_config *v;
    size_t n;
} lc_mcp_config;

void lc_mcp_config_free(lc_mcp_config *m);

typedef struct lc_security_config {
    bool allow_local_code_execution; /* must stay false; true is refused */
    bool auto_approve;               /* --yes */
} lc_security_config;

/* How steps are approved (docs/user-guide.md "Approval"): ask every step;
 * run steps the static check finds read-only without asking; or run all. */
typedef enum lc_approve_mode { LC_APPROVE_ASK = 0, LC_APPROVE_READS, LC_APPROVE_ALL } lc_approve_mode;

typedef struct lc_approval_config {
    char *mode;   /* "ask" | "reads" | "all"; read it through lc_config_approve_mode */
    lc_strv rules; /* one rule per item, syntax in rules.c (lc_approval_rule_parse) */
    /* "FILE:LINE" of each rule's own line, when the rules came from a file
     * (origins.n == rules.n); setting the rules any other way empties it. */
    lc_strv origins;
} lc_approval_config;

/* One approval rule, parsed (rules.c has the syntax; the agent matches it).
 * Owned strings; lc_approval_rule_free. */
typedef enum lc_rule_action { LC_RULE_ALLOW = 0, LC_RULE_ASK, LC_RULE_DENY } lc_rule_action;
typedef struct lc_approval_rule {
    lc_rule_action action;
    char *name;
    char *why;        /* NULL: none given */
    lc_strv pats;     /* "call GLOB", "import GLOB", "write GLOB", "tool NAME [KEY=GLOB]" */
    lc_strv must;     /* examples it must match: facts joined by "; " */
    lc_strv must_not; /* examples it must not match */
} lc_approval_rule;
int lc_approval_rule_parse(const char *text, lc_approval_rule *out, lc_err *err);
void lc_approval_rule_free(lc_approval_rule *r);
/* Appends rule_text as the last item of approval.rules in the user's config
 * file at path (rules_save.c), creating the file, the section or the list
 * as needed and keeping everything else byte for byte (comments, order).
 * The new text is parsed back before it replaces the file (temporary file,
 * rename; a symlink's target is written). Refused, with what to do, when
 * the file cannot take a plain appended line: approval or its rules in flow
 * style ({...} or [...]), a rules key that is not a list, or YAML litecode
 * cannot read. *line is the rule's line in the file. */
int lc_approval_rule_append(const char *path, const char *rule_text, int *line, lc_err *err);
/* The names of the rules in the file's approval.rules, appended to out (a
 * missing or unreadable file adds none). */
void lc_approval_rules_names(const char *path, lc_strv *out);
/* "a; b ;c" -> trimmed non-empty items appended to out. */
void lc_approval_items(const char *s, lc_strv *out);
/* Whether f is a well-formed fact (or pattern): "call X", "import X",
 * "write X", "tool NAME [KEY=VALUE]". */
int lc_approval_fact_check(const char *f, bool pattern, lc_err *err);

/* ---- the key schema ------------------------------------------------------
 * Every configuration key is declared once here. The table drives the YAML
 * loader, flag application, validation messages, --print-config and the
 * documentation test, so they cannot disagree about names or ranges.
 * X(ID, section, name, type, member of lc_config, min, max, choices, doc)
 * min/max bound numbers and sizes (bytes); choices are "a|b|c" or NULL. */
typedef enum lc_config_type {
    LC_CFGT_STR,      /* a non-empty single-line string */
    LC_CFGT_STR_NULL, /* the same, or null */
    LC_CFGT_TEXT,     /* multi-line text, or null */
    LC_CFGT_CHOICE,   /* one of choices, stored as a string */
    LC_CFGT_INT,
    LC_CFGT_DOUBLE,
    LC_CFGT_PRICE,    /* a number >= 0, or null (stored as -1: litecode's table) */
    LC_CFGT_BOOL,
    LC_CFGT_SIZE,     /* "512m", "1g" or bytes, stored as int64_t */
    LC_CFGT_ENGINE,   /* auto|docker|podman, stored as lc_engine_kind */
    LC_CFGT_AGENT,    /* code|tool_calling, stored as lc_agent_type */
    LC_CFGT_NETWORK,  /* false|none or true|bridge, stored as bool */
    LC_CFGT_WORKSPACE,/* rw|ro, stored as bool workspace_ro */
    LC_CFGT_LIST,     /* a list of strings, stored as lc_strv */
    LC_CFGT_MAP,      /* a mapping of strings, stored as lc_strv "key=value" */
} lc_config_type;

#define LC_CONFIG_KEYS(X) \
    X(MODEL_NAME, "model", "name", LC_CFGT_STR_NULL, model.name, 0, 0, NULL, \
      "Model as provider/name: openai/gpt-4o, anthropic/claude-sonnet-4-5, ollama/llama3, or replay:FILE. Unset: the bundled demo.") \
    X(MODEL_BASE_URL, "model", "base_url", LC_CFGT_STR_NULL, model.base_url, 0, 0, NULL, \
      "Server URL for OpenAI-compatible servers (Ollama, LiteLLM proxy, vLLM). Unset: the provider's default.") \
    X(MODEL_API_KEY_ENV, "model", "api_key_env", LC_CFGT_STR_NULL, model.api_key_env, 0, 0, NULL, \
      "Name of the environment variable that holds the API key. Unset: OPENAI_API_KEY or ANTHROPIC_API_KEY by provider.") \
    X(MODEL_TEMPERATURE, "model", "temperature", LC_CFGT_DOUBLE, model.temperature, 0, 2, NULL, \
      "Sampling temperature.") \
    X(MODEL_MAX_TOKENS, "model", "max_tokens", LC_CFGT_INT, model.max_tokens, 1, 1000000, NULL, \
      "Most tokens in one reply.") \
    X(MODEL_TIMEOUT, "model", "timeout", LC_CFGT_INT, model.timeout_s, 1, 86400, NULL, \
      "Seconds a whole request may take.") \
    X(MODEL_STALL, "model", "stall_timeout", LC_CFGT_INT, model.stall_s, 1, 3600, NULL, \
      "Seconds without a byte before a stream counts as stalled.") \
    X(MODEL_RETRIES, "model", "max_retries", LC_CFGT_INT, model.max_retries, 0, 20, NULL, \
      "Retries after rate limits, server errors and network errors.") \
    X(MODEL_INPUT_PRICE, "model", "input_price", LC_CFGT_PRICE, model.input_price, 0, 100000, NULL, \
      "US dollars per million prompt tokens, for the cost shown beside the tokens. Unset: litecode's table of list prices (known OpenAI and Anthropic models; 0 for ollama/).") \
    X(MODEL_OUTPUT_PRICE, "model", "output_price", LC_CFGT_PRICE, model.output_price, 0, 100000, NULL, \
      "US dollars per million completion tokens. Unset: litecode's table, as input_price.") \
    X(AGENT_TYPE, "agent", "type", LC_CFGT_AGENT, agent.type, 0, 0, "code|tool_calling", \
      "code: the model writes Python; tool_calling: the model calls tools (python_executor among them).") \
    X(AGENT_MAX_STEPS, "agent", "max_steps", LC_CFGT_INT, agent.max_steps, 1, 1000, NULL, \
      "Steps before the agent is asked for its best answer.") \
    X(AGENT_PLANNING, "agent", "planning_interval", LC_CFGT_INT, agent.planning_interval, 0, 1000, NULL, \
      "A planning step every N steps; 0: none.") \
    X(AGENT_PROFILE, "agent", "profile", LC_CFGT_STR_NULL, agent.profile, 0, 0, NULL, \
      "Agent profile (digger, codemod, ...): tools, instructions and workspace mode.") \
    X(AGENT_INSTRUCTIONS, "agent", "instructions", LC_CFGT_TEXT, agent.instructions, 0, 0, NULL, \
      "Extra text for the system prompt.") \
    X(CONTAINER_ENGINE, "container", "engine", LC_CFGT_ENGINE, container.engine, 0, 0, LC_ENGINE_CHOICES, \
      "Container engine; auto tries docker, then podman.") \
    X(CONTAINER_IMAGE, "container", "image", LC_CFGT_STR, container.image, 0, 0, NULL, \
      "Sandbox image.") \
    X(CONTAINER_TEMPLATE, "container", "template", LC_CFGT_CHOICE, container.template_name, 0, 0, "default|secure|ml", \
      "Limits template; keys set in a file or by a flag win over it.") \
    X(CONTAINER_MEMORY, "container", "memory", LC_CFGT_SIZE, container.memory_bytes, 16.0 * 1024 * 1024, 1024.0 * 1024 * 1024 * 1024, NULL, \
      "Memory limit; swap is set equal, so there is no extra swap.") \
    X(CONTAINER_CPUS, "container", "cpus", LC_CFGT_DOUBLE, container.cpus, 0.01, 1024, NULL, \
      "CPU limit (fractions allowed).") \
    X(CONTAINER_PIDS, "container", "pids", LC_CFGT_INT, container.pids, 16, 65536, NULL, \
      "Most processes and threads in the container.") \
    X(CONTAINER_TIMEOUT, "container", "timeout", LC_CFGT_INT, container.timeout_s, 1, 86400, NULL, \
      "Seconds one step may run before it is interrupted.") \
    X(CONTAINER_GRACE, "container", "grace", LC_CFGT_INT, container.grace_s, 1, 300, NULL, \
      "Seconds after the interrupt before the container is killed and restarted.") \
    X(CONTAINER_NETWORK, "container", "network", LC_CFGT_NETWORK, container.network, 0, 0, "false|none|true|bridge", \
      "Network access from the sandbox. Off unless set explicitly; shown in the status bar when on.") \
    X(CONTAINER_WORKSPACE, "container", "workspace", LC_CFGT_WORKSPACE, container.workspace_ro, 0, 0, "rw|ro", \
      "Mount the shadow copy read-write or read-only.") \
    X(CONTAINER_TRANSPORT, "container", "transport", LC_CFGT_CHOICE, container.transport, 0, 0, "auto|mount|copy", \
      "How the shadow copy reaches the sandbox: a bind mount, or copied over the engine with each step's changes brought back (for an engine on another machine). auto: copy when the engine is remote or does not see the mount.") \
    X(CONTAINER_RUNTIME, "container", "runtime", LC_CFGT_STR_NULL, container.runtime, 0, 0, NULL, \
      "OCI runtime such as runsc (gVisor). Unset: the engine's default (podman: runc).") \
    X(CONTAINER_CGROUP, "container", "cgroup_manager", LC_CFGT_CHOICE, container.cgroup_manager, 0, 0, "cgroupfs|systemd", \
      "Podman's cgroup manager.") \
    X(CONTAINER_INIT_PATH, "container", "init_path", LC_CFGT_STR_NULL, container.init_path, 0, 0, NULL, \
      "Podman --init-path. Unset: the engine's default.") \
    X(CONTAINER_NOFILE, "container", "nofile", LC_CFGT_INT, container.nofile, 64, 1048576, NULL, \
      "Open files limit (ulimit nofile).") \
    X(CONTAINER_NPROC, "container", "nproc", LC_CFGT_INT, container.nproc, 16, 1048576, NULL, \
      "Processes of the sandbox user id across the host (ulimit nproc), a backstop; pids limits the container.") \
    X(CONTAINER_TMP, "container", "tmp_size", LC_CFGT_SIZE, container.tmp_bytes, 1024.0 * 1024, 64.0 * 1024 * 1024 * 1024, NULL, \
      "Size of the tmpfs at /tmp.") \
    X(CONTAINER_OUTPUT_CAP, "container", "output_cap", LC_CFGT_SIZE, container.output_cap_bytes, 4096, 1024.0 * 1024 * 1024, NULL, \
      "Output kept per step (half from the start, half from the end).") \
    X(CONTAINER_SHADOW_CAP, "container", "shadow_cap", LC_CFGT_SIZE, container.shadow_cap_bytes, 1024.0 * 1024, 1024.0 * 1024 * 1024 * 1024, NULL, \
      "How much the shadow copy may grow in a session.") \
    X(CONTAINER_COPY_MAX, "container", "copy_max", LC_CFGT_SIZE, container.copy_max_bytes, 1024.0 * 1024, 64.0 * 1024 * 1024 * 1024 * 1024, NULL, \
      "Most the copy transport (a remote engine) sends when the sandbox starts, counting each file's full size (a sparse file is sent in full); a larger project is refused with its largest files named.") \
    X(CONTAINER_IMPORTS, "container", "authorized_imports", LC_CFGT_LIST, container.authorized_imports, 0, 0, NULL, \
      "Modules the kernel lets code import; \"os.*\" allows submodules, \"*\" everything.") \
    X(TOOLS_FILES, "tools", "files", LC_CFGT_LIST, container.tool_files, 0, 0, NULL, \
      "Python files with your own tools, copied into the session and mounted read-only. Relative paths are relative to the config file; a project file may only name regular files inside the project.") \
    X(TOOLS_ENABLED, "tools", "enabled", LC_CFGT_LIST, agent.tools, 0, 0, NULL, \
      "Tool names enabled for the agent; empty: the profile's tools.") \
    X(SECURITY_LOCAL_EXEC, "security", "allow_local_code_execution", LC_CFGT_BOOL, security.allow_local_code_execution, 0, 0, NULL, \
      "Must stay false: code always runs in the container sandbox. true is refused.") \
    X(SECURITY_AUTO_APPROVE, "security", "auto_approve", LC_CFGT_BOOL, security.auto_approve, 0, 0, NULL, \
      "Run proposed code without asking (like --yes). Not allowed in a project file.") \
    X(APPROVAL_MODE, "approval", "mode", LC_CFGT_CHOICE, approval.mode, 0, 0, "ask|reads|all", \
      "ask: every step waits for you; reads: a step the static check finds read-only runs without asking; all: no question (like --yes). Not allowed in a project file.") \
    X(APPROVAL_RULES, "approval", "rules", LC_CFGT_LIST, approval.rules, 0, 0, NULL, \
      "Rules that allow, ask or deny a step by what the static check finds it does, one per line: 'deny NAME: call os.remove; call shutil.* | must: call os.remove | why: TEXT'. Only in your own config file.") \
    X(UI_THEME, "ui", "theme", LC_CFGT_STR, ui.theme, 0, 0, NULL, \
      "Theme name (dark, light, high-contrast, solarized, monochrome) or path to a theme file.") \
    X(UI_KEYS, "ui", "keys", LC_CFGT_MAP, ui.key_bindings, 0, 0, NULL, \
      "Key bindings over the defaults, action: key.") \
    X(UI_SCROLLBACK, "ui", "scrollback", LC_CFGT_INT, ui.scrollback, 100, 10000000, NULL, \
      "Lines of output the Output pane keeps; older lines are dropped and a marker counts them.") \
    X(UI_MOUSE, "ui", "mouse", LC_CFGT_BOOL, ui.mouse, 0, 0, NULL, \
      "The mouse wheel scrolls the pane under the pointer and a click focuses a pane; false leaves the mouse to the terminal.")

typedef enum lc_config_key_id {
#define LC_X_(id, ...) LC_CFG_##id,
    LC_CONFIG_KEYS(LC_X_)
#undef LC_X_
    LC_CFG__COUNT
} lc_config_key_id;

typedef struct lc_config_key {
    lc_config_key_id id;
    const char *section;
    const char *name;
    const char *dotted; /* "container.memory" */
    lc_config_type type;
    size_t offset;      /* into lc_config */
    double min, max;
    const char *choices;
    const char *doc;
} lc_config_key;

/* The whole table, LC_CFG__COUNT entries in declaration order. */
const lc_config_key *lc_config_keys(void);
/* "container.memory" -> its key, or NULL. */
const lc_config_key *lc_config_key_find(const char *dotted);

/* Where a value came from. */
typedef enum lc_config_origin_kind {
    LC_ORIGIN_DEFAULT = 0,
    LC_ORIGIN_TEMPLATE, /* text: template name */
    LC_ORIGIN_PROFILE,  /* text: profile name. Weak: never overrides a file, env or flag */
    LC_ORIGIN_FILE,     /* text: "FILE:LINE" */
    LC_ORIGIN_ENV,      /* text: variable name */
    LC_ORIGIN_FLAG,     /* text: "--memory" */
} lc_config_origin_kind;

typedef struct lc_config_origin {
    lc_config_origin_kind kind;
    char *text; /* owned; NULL for defaults */
} lc_config_origin;

/* Which file a layer came from: a project file may not do everything a
 * user's own file may (see lc_config_load_file). */
typedef enum lc_config_layer {
    LC_LAYER_USER = 0,
    LC_LAYER_PROJECT,
} lc_config_layer;

typedef struct lc_config {
    lc_model_config model;
    lc_agent_config agent;
    lc_container_config container;
    lc_ui_config ui;
    lc_security_config security;
    lc_approval_config approval;
    lc_mcp_config mcp; /* the user file's mcp.servers, outside the key table */
    char *user_file;   /* the user layer's file, read or missing (lc_config_load): where a saved grant goes */
    lc_config_origin origin[LC_CFG__COUNT]; /* per key, owned */
} lc_config;

/* Fills c (which need not be initialised) with the built-in defaults and the
 * "default" template. Free with lc_config_free. */
void lc_config_defaults(lc_config *c);
void lc_config_free(lc_config *c);
void lc_container_config_free(lc_container_config *cc);
void lc_container_config_copy(lc_container_config *dst, const lc_container_config *src);

/* Applies a container template (default | secure | ml) over cc: memory,
 * timeout, network, authorized imports and image. LC_EINVAL for an unknown
 * name. This overwrites unconditionally; lc_config_set("container.template")
 * only touches keys nobody set explicitly. */
int lc_container_template_apply(lc_container_config *cc, const char *name, lc_err *err);
const char *lc_engine_kind_name(lc_engine_kind k);
/* The approval mode in force: all when security.auto_approve (--yes) is set,
 * else approval.mode. */
lc_approve_mode lc_config_approve_mode(const lc_config *c);
const char *lc_approve_mode_name(lc_approve_mode m);
const char *lc_agent_type_name(lc_agent_type t);
/* The model's prices in US$ per million tokens: the config's, else the
 * built-in list prices of known models. false: not known (no cost shown). */
bool lc_model_price(const lc_model_config *m, double *input, double *output);
/* Cost in US$ of the given tokens, or < 0 when the price is not known. */
double lc_model_cost(const lc_model_config *m, int64_t prompt_tokens, int64_t completion_tokens);

/* Sets one key from text as written in YAML or on the command line (NULL:
 * null). Lists and mappings take "a,b,c" and "k=v,k2=v2". Checks the type
 * and range; the message names the value and the fix but not the key or the
 * place, which the caller puts in front. origin_text is copied.
 * With LC_ORIGIN_PROFILE the value is checked but only stored when no file,
 * variable or flag set the key: an agent profile supplies defaults, so
 * precedence is defaults < template < profile < files < env < flags. */
int lc_config_set(lc_config *c, const char *dotted, const char *value, lc_config_origin_kind kind,
                  const char *origin_text, lc_err *err);
/* Sets a list or mapping key from items (mappings: "key=value" items). */
int lc_config_set_list(lc_config *c, const char *dotted, const lc_strv *items, lc_config_origin_kind kind,
                       const char *origin_text, lc_err *err);
/* The same checks without a config (for flags, before anything is loaded). */
int lc_config_check_value(const char *dotted, const char *value, lc_err *err);

/* Reads one YAML file into c. Values it sets get origin "FILE:LINE". Errors
 * say FILE:LINE:COLUMN, and for an unknown key the nearest valid one.
 * Security rules are checked before anything else in the file:
 * allow_local_code_execution: true is refused (LC_ESECURITY), and a project
 * file may set only what lc_config_project_rule allows (LC_ESECURITY).
 * A missing file is LC_ENOTFOUND. On error c may hold part of the file. */
int lc_config_load_file(lc_config *c, const char *path, lc_config_layer layer, lc_err *err);
/* The same from bytes already read (path only names them in messages). */
int lc_config_load_data(lc_config *c, const char *path, const char *data, size_t len, lc_config_layer layer,
                        lc_err *err);

/* ---- what a project file may set -------------------------------------------
 * A project's .litecode.yaml may be hostile, so each key has a rule (the
 * table is in project.c and in docs/configuration.md). Refused keys are
 * LC_ESECURITY with FILE:LINE:COL, the reason and where to set them instead. */
typedef enum lc_key_project_rule {
    LC_KEY_PROJECT_OK = 0,  /* shapes the agent or the review only */
    LC_KEY_PROJECT_REFUSED, /* reaches secrets or the host: the user's file or a flag only */
    LC_KEY_PROJECT_TIGHTEN, /* may only be as strict or stricter than before the project file */
    LC_KEY_PROJECT_NAME,    /* a name, never a path */
    LC_KEY_PROJECT_INSIDE,  /* paths whose real path is a regular file inside the project */
} lc_key_project_rule;
/* The rule of key id; *why (may be NULL) gets the reason or NULL. */
lc_key_project_rule lc_config_project_rule(lc_config_key_id id, const char **why);
/* Whether key id in wanted is looser than in now (bigger limits, network
 * on, a workspace made writable, imports not covered, a template other than
 * secure). */
bool lc_config_is_looser(const lc_config *now, const lc_config *wanted, lc_config_key_id id);
/* The real path of tool file path (relative to root, the directory of the
 * file that names it). in_project: path must be relative without "..", and
 * its real path a regular file inside root's real path (LC_ESECURITY
 * otherwise). *out is malloc'd. */
int lc_config_tool_file_resolve(const char *root, const char *path, bool in_project, char **out, lc_err *err);
/* Copies every tool file into dest (created; emptied first) without
 * following links, and points cc->tool_files at the copies (the originals
 * move to cc->tool_sources), so what is read and mounted is a copy taken
 * once, never the user's file itself. */
int lc_config_tool_files_stage(lc_container_config *cc, const char *dest, lc_err *err);
/* Whether rel (relative to the project root) is a file litecode itself
 * reads: the project's .litecode.yaml, a configured tool file, anything in
 * litecode's configuration or state directory (agent profiles, the trust
 * store). Changes to such files are flagged in the review and never applied
 * in bulk. Case-insensitive, trailing dots and spaces ignored. c may be NULL. */
bool lc_config_reads_path(const lc_config *c, const char *root, const char *rel);
/* Environment variables that set keys, after the files and before flags. */
#define LC_CONFIG_ENV(X) \
    X("LITECODE_MODEL", "model.name") \
    X("LITECODE_BASE_URL", "model.base_url") \
    X("LITECODE_ENGINE", "container.engine") \
    X("LITECODE_IMAGE", "container.image") \
    X("LITECODE_RUNTIME", "container.runtime") \
    X("LITECODE_THEME", "ui.theme")

/* Applies the LC_CONFIG_ENV variables that are set and not empty (origin
 * "env NAME"). */
int lc_config_apply_env(lc_config *c, lc_err *err);
/* Checks rules across keys after every layer; run it last, before anything
 * starts. LC_ESECURITY for allow_local_code_execution. */
int lc_config_validate(const lc_config *c, lc_err *err);

/* Fills err with the refusal of allow_local_code_execution: why, and what
 * to use instead. Returns LC_ESECURITY. */
int lc_config_refuse_local_exec(lc_err *err);

/* ~/.config/litecode/config.yaml (XDG_CONFIG_HOME honoured). Caller frees. */
char *lc_config_user_path(lc_err *err);
/* DIR/.litecode.yaml. Caller frees. */
char *lc_config_project_path(const char *dir);

typedef struct lc_config_load_opts {
    const char *config_path; /* --config FILE: replaces the user file, which must then exist */
    const char *dir;         /* project directory; NULL: no project file */
    bool project_trusted;    /* read DIR/.litecode.yaml only when true */
    const char *project_sha256; /* set: the file's bytes must have this hash (the ones the user
                                 * trusted), else LC_ESECURITY */
} lc_config_load_opts;
#define LC_CONFIG_LOAD_OPTS_INIT {NULL, NULL, false, NULL}

/* Defaults, the user file (missing is fine unless named by --config), the
 * project file when trusted and present, then the environment. Flags come
 * after, with lc_cli_apply, which ends with lc_config_validate. c is filled
 * even on error (free it). */
int lc_config_load(lc_config *c, const lc_config_load_opts *o, lc_err *err);

/* "default", "template secure", "/home/u/.config/litecode/config.yaml:12",
 * "flag --memory", "env LITECODE_MODEL". Owned by c. */
const char *lc_config_origin_describe(const lc_config *c, lc_config_key_id id, char *out, size_t outsz);
/* The merged configuration as YAML with "# from ..." comments; the text is
 * valid YAML that lc_config_load_file reads back. Strings are quoted so no
 * byte of a hostile value can reach the terminal as a control sequence. */
void lc_config_print(const lc_config *c, lc_buf *out);
/* One value as --print-config writes it ("2g", "[json, re]", "\"a b\""). */
void lc_config_print_value(const lc_config *c, lc_config_key_id id, lc_buf *out);
/* Settings looser than the defaults, one line each ("network on (flag
 * --network)"), for the status bar and the session header. */
void lc_config_loosened(const lc_config *c, lc_strv *out);

/* The candidate closest to word by edit distance, or NULL when none is close
 * enough to be a plausible typo. */
const char *lc_config_nearest(const char *word, const char *const *candidates, size_t n);

/* ---- project trust -------------------------------------------------------
 * A project's .litecode.yaml is read only once the user trusted the exact
 * bytes of it: the store, $XDG_STATE_HOME/litecode/trusted.txt, has one line
 * "sha256:HEX REALPATH" per project. A file that changed is asked about
 * again (or skipped without a terminal). */
typedef enum lc_project_state {
    LC_PROJECT_NONE = 0, /* no .litecode.yaml */
    LC_PROJECT_TRUSTED,  /* trusted, and the file is the one trusted */
    LC_PROJECT_UNTRUSTED,
    LC_PROJECT_CHANGED,  /* trusted once, but the file changed since */
} lc_project_state;

char *lc_trust_store_path(lc_err *err);
/* The state of dir; hash (may be NULL) gets the SHA-256 of the file as it is
 * now ("" when it cannot be read). */
lc_project_state lc_trust_check(const char *dir, char hash[LC_SHA256_HEX_LEN + 1]);
lc_project_state lc_project_state_of(const char *dir);
/* Whether the file as it is now is the one trusted. False on any error. */
bool lc_trust_is_trusted(const char *dir);
/* Records that the file of dir with this hash is trusted (NULL: the file as
 * it is now), replacing earlier lines of the project. */
int lc_trust_add(const char *dir, const char *hash, lc_err *err);
/* Reads DIR/.litecode.yaml, never through a symlink, into out (bounded). */
int lc_config_project_read(const char *dir, lc_buf *out, lc_err *err);

/* For the trust prompt: what DIR/.litecode.yaml would set, one line
 * "  key: value" per key, safe to print, and (hash may be NULL) the hash of
 * the bytes shown. The file's errors (with file:line, LC_ESECURITY for
 * refused settings) are returned instead: such a file is not worth trusting
 * as it is. */
int lc_trust_preview(const char *dir, lc_buf *out, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err);
/* The question main asks on the terminal (preview included, ends "[y/N] ";
 * changed: the file changed since it was trusted), and what is said when
 * there is no terminal to ask on. hash: as lc_trust_preview. */
int lc_trust_prompt_text(const char *dir, bool changed, lc_buf *out, char hash[LC_SHA256_HEX_LEN + 1],
                         lc_err *err);
void lc_trust_refusal_text(const char *dir, bool changed, lc_buf *out);
/* Asks the trust question on out and reads the answer from in (both a
 * terminal): LC_OK when the user said yes and the file as shown is recorded
 * as trusted (hash: its hash), LC_ECANCEL when not, or the error of showing
 * the file or recording the trust. */
int lc_trust_ask(const char *dir, bool changed, FILE *in, FILE *out, char hash[LC_SHA256_HEX_LEN + 1], lc_err *err);

/* ---- command line ---------------------------------------------------------
 * One table declares every option; the parser, lc_cli_help and the man page
 * are generated from it. X(ID, long, short (0: none), ARG (NULL: a switch),
 * config key or NULL, help). */
#define LC_CLI_OPTIONS(X) \
    X(TASK, "task", 't', "TEXT", NULL, "The task for the agent (same as the TASK argument). Without one the terminal UI asks for it; --headless needs one.") \
    X(DIR, "dir", 'd', "DIR", NULL, "Project directory (default: the current directory). It is never modified without your approval; code runs on a shadow copy.") \
    X(MODEL, "model", 'm', "M", "model.name", "Model as provider/name, e.g. openai/gpt-4o, anthropic/claude-sonnet-4-5, ollama/llama3, replay:FILE.") \
    X(BASE_URL, "base-url", 0, "URL", "model.base_url", "Server of an OpenAI-compatible API (Ollama, LiteLLM proxy).") \
    X(AGENT, "agent", 'a', "NAME", "agent.profile", "Agent profile, e.g. digger or codemod.") \
    X(ENGINE, "engine", 'e', "E", "container.engine", "Container engine: auto, docker or podman.") \
    X(IMAGE, "image", 0, "I", "container.image", "Sandbox image.") \
    X(TEMPLATE, "template", 'T', "T", "container.template", "Limits template: default, secure or ml.") \
    X(MEMORY, "memory", 0, "SIZE", "container.memory", "Memory limit of the sandbox, e.g. 512m or 2g.") \
    X(CPUS, "cpus", 0, "N", "container.cpus", "CPU limit of the sandbox, e.g. 1 or 0.5.") \
    X(TIMEOUT, "timeout", 0, "SECONDS", "container.timeout", "Time limit of one step.") \
    X(NETWORK, "network", 0, NULL, "container.network", "Give the sandbox network access (off by default; shown in the status bar).") \
    X(MAX_STEPS, "max-steps", 0, "N", "agent.max_steps", "Steps before the agent must answer.") \
    X(THEME, "theme", 0, "T", "ui.theme", "Colour theme name or file.") \
    X(SET, "set", 0, "KEY=VALUE", NULL, "Set any configuration key, e.g. --set agent.type=tool_calling or --set model.temperature=0 (repeatable; checked as in the file; null unsets; lists as a,b,c).") \
    X(CONFIG, "config", 'c', "FILE", NULL, "Read FILE instead of ~/.config/litecode/config.yaml.") \
    X(HEADLESS, "headless", 0, NULL, NULL, "Run without the terminal UI: steps on stdout, approvals on stdin.") \
    X(YES, "yes", 'y', NULL, "security.auto_approve", "Approve every step without asking (shown in the status bar); the same as --approve all.") \
    X(APPROVE, "approve", 0, "MODE", "approval.mode", "ask: every step asks (default); reads: steps the static check finds read-only run without asking; all: no step asks.") \
    X(RESUME, "resume", 'r', "FILE", NULL, "Continue the session recorded in FILE; last: the latest session of --dir (default: the current directory).") \
    X(REVIEW, "review", 0, "FILE", NULL, "Open the terminal UI's Diffs pane on the shadow copy of the session recorded in FILE (a session.jsonl, or last) without running the agent: review, apply, undo.") \
    X(REPORT, "report", 0, "FILE", NULL, "Print a Markdown audit report of the session log FILE (a session.jsonl, or last) and exit.") \
    X(PATCH_OUT, "patch-out", 0, "FILE", NULL, "Headless: write the change as a unified diff to FILE (files litecode reads itself are left out, as --apply leaves them).") \
    X(APPLY, "apply", 0, NULL, NULL, "Headless: apply the change to the project directory at the end.") \
    X(CHECK, "check", 0, NULL, NULL, "Check the container engine, image, limits, model endpoint and MCP servers, then exit.") \
    X(PRINT_CONFIG, "print-config", 0, NULL, NULL, "Print the merged configuration and where each value came from, then exit.") \
    X(TRUST, "trust", 0, NULL, NULL, "Trust the project directory, so its .litecode.yaml is read.") \
    X(VERSION, "version", 'V', NULL, NULL, "Print the version and exit.") \
    X(HELP, "help", 'h', NULL, NULL, "Print this help and exit.")

typedef enum lc_cli_opt_id {
#define LC_X_(id, ...) LC_OPT_##id,
    LC_CLI_OPTIONS(LC_X_)
#undef LC_X_
    LC_OPT__COUNT
} lc_cli_opt_id;

/* Process exit codes, documented in --help, the man page and the docs. */
#define LC_EXIT_CODES(X) \
    X(OK, 0, "success; the task ended with a final answer, or the command did what it was asked") \
    X(ERROR, 1, "runtime error (model, container, files, a session log that could not be written)") \
    X(USAGE, 2, "bad usage or configuration") \
    X(STOPPED, 3, "stopped by the user") \
    X(MAX_STEPS, 4, "the agent reached max_steps without a final answer") \
    X(SECURITY, 5, "refused by a security rule") \
    X(NO_ENGINE, 6, "no usable container engine")

typedef enum lc_exit_code {
#define LC_X_(name, num, doc) LC_EXIT_##name = num,
    LC_EXIT_CODES(LC_X_)
#undef LC_X_
} lc_exit_code;

/* The exit code for a status returned by the loader, the CLI or a session. */
int lc_exit_code_for(int status);

/* A parsed command line. Strings point into argv (not copied). */
#define LC_CLI_MAX_SETS 64
typedef struct lc_cli {
    const char *task;
    const char *dir;
    const char *config_path;
    const char *resume_path;
    const char *report_path;
    const char *review_path;
    const char *patch_out_path;
    bool headless, yes, apply, check, print_config, trust, version, help;
    const char *value[LC_OPT__COUNT]; /* every option's argument ("true" for switches); --set: the last */
    bool given[LC_OPT__COUNT];
    const char *sets[LC_CLI_MAX_SETS]; /* every --set KEY=VALUE, in order */
    int nsets;
} lc_cli;

/* Parses argv. "--x v", "--x=v", "-x v", "-xv", switches bundled ("-yV"),
 * "--" ends options; one TASK argument. Errors name the flag and the fix
 * (LC_EINVAL). Values of options that set config keys are checked here. */
int lc_cli_parse(int argc, char **argv, lc_cli *out, lc_err *err);
/* Applies the config options given on the command line over cfg, with
 * origin "flag --NAME", then every --set in order (origin "flag --set"), then
 * checks the whole (lc_config_validate). */
int lc_cli_apply(const lc_cli *cli, lc_config *cfg, lc_err *err);
/* --help text. */
void lc_cli_help(lc_buf *out);
/* The man page (troff), docs/litecode-tui.1. */
void lc_cli_manpage(lc_buf *out);

#endif
