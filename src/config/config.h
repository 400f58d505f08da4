/* config: YAML files and flags become one typed, validated lc_config.
 * Sources in order: built-in defaults and a container template, the user's
 * ~/.config/litecode/config.yaml, the project's ./.litecode.yaml (only once
 * the project is trusted), then flags. Security rules are checked first.
 * Every value remembers where it came from, for --print-config. */
#ifndef LC_CONFIG_H
#define LC_CONFIG_H

#include "core/core.h"

typedef enum lc_engine_kind {
    LC_ENGINE_AUTO = 0,
    LC_ENGINE_DOCKER,
    LC_ENGINE_PODMAN,
} lc_engine_kind;

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
    char *runtime;            /* e.g. "runsc"; NULL: engine default (podman: runc) */
    char *cgroup_manager;     /* podman: "cgroupfs" by default */
    char *init_path;          /* podman --init-path; NULL: engine default */
    int nofile;               /* ulimit nofile (soft = hard) */
    int nproc;                /* ulimit nproc */
    int64_t tmp_bytes;        /* size of the tmpfs at /tmp */
    int64_t output_cap_bytes; /* per step; head and tail kept */
    int64_t shadow_cap_bytes; /* growth of the shadow copy per session */
    lc_strv authorized_imports; /* "os", "os.*", "*" */
    lc_strv tool_files;       /* host paths of user tool files, mounted read-only */
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
} lc_ui_config;

typedef struct lc_security_config {
    bool allow_local_code_execution; /* must stay false; true is refused */
    bool auto_approve;               /* --yes */
} lc_security_config;

typedef struct lc_config {
    lc_model_config model;
    lc_agent_config agent;
    lc_container_config container;
    lc_ui_config ui;
    lc_security_config security;
} lc_config;

/* Fills c with the built-in defaults (the "default" template). */
void lc_config_defaults(lc_config *c);
void lc_config_free(lc_config *c);
void lc_container_config_free(lc_container_config *cc);
void lc_container_config_copy(lc_container_config *dst, const lc_container_config *src);

/* Applies a container template (default | secure | ml) over cc: memory,
 * timeout, network and authorized imports. LC_EINVAL for an unknown name. */
int lc_container_template_apply(lc_container_config *cc, const char *name, lc_err *err);
const char *lc_engine_kind_name(lc_engine_kind k);

#endif
